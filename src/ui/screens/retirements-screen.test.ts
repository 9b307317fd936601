import { describe, expect, it } from 'vitest';
import { headline } from './retirements-screen.js';

const step = (id: string, allowed: boolean) => ({ id, allowed, why: id });

describe('headline', () => {
  it('is the next step forward, even while it must wait, never a way back', () => {
    // Watching: deletion waits for the end of the watch; enabling the key again is a way back.
    expect(headline([step('re-enable', true), step('schedule-deletion', false)])?.id).toBe('schedule-deletion');
    expect(headline([step('disable', true), step('acknowledge', true)])?.id).toBe('disable');
  });

  it('falls back to a step that can be taken, then to any step', () => {
    expect(headline([step('re-enable', false), step('cancel-deletion', true)])?.id).toBe('cancel-deletion');
    expect(headline([step('re-enable', false)])?.id).toBe('re-enable');
    expect(headline([])).toBeUndefined();
  });
});
