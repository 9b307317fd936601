import { describe, expect, it } from 'vitest';
import type { RetirementStatus } from '../../domain/retirement.js';
import { plain, renderSized, unwrapped, widestRow } from '../../../test/helpers/ink.js';
import { headline, RetirementsScreen } from './retirements-screen.js';

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

describe('RetirementsScreen', () => {
  const watching = {
    record: { name: 'dev/secrets', stage: 'watching', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/b16d2fc9-c506-44e6-a1c9-c9119bb9a001', watch: { kind: 'alarm' } },
    reality: { keyState: 'Disabled', alarm: { state: 'OK' } },
    drift: [],
    steps: [step('re-enable', true), { id: 'schedule-deletion', allowed: false, why: 'the watch runs until 2026-12-21 (14 days left)' }],
  } as unknown as RetirementStatus;
  const unreadable = { file: 'retirements/arn-aws-kms-us-east-1-111122223333-key-0c2b7e9d.json', problem: 'not JSON: Unexpected end of JSON input at position 4096 (the file was cut short)' };
  for (const [columns, rows] of [[80, 24], [140, 40]] as const) {
    it(`at ${columns}×${rows} shows each retirement's next step whole, wrapped below its row when it does not fit`, () => {
      const { lastFrame } = renderSized(<RetirementsScreen state={{ status: 'ready', items: [watching, unreadable] }} selected={0} height={rows - 4} width={columns} />, columns);
      const frame = lastFrame();
      expect(widestRow(frame)).toBeLessThanOrEqual(columns);
      expect(plain(frame)).toMatch(/› dev\/secrets\s+watching\s+Disabled\s+alarm OK/);
      expect(unwrapped(frame)).toContain(unwrapped('waits: the watch runs until 2026-12-21 (14 days left)'));
      expect(unwrapped(frame)).toContain(unwrapped(`cannot read ${unreadable.file}: ${unreadable.problem}`));
    });
  }
});
