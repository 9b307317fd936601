import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { typedText } from './text-field.js';

const none = { ctrl: false, meta: false, tab: false } as Key;

describe('typedText', () => {
  it('is the text typed or pasted, without control characters', () => {
    expect(typedText(undefined, 'ebs', none)).toBe('ebs');
    expect(typedText(undefined, 'ebs/prod\u0007-data', none)).toBe('ebs/prod-data');
  });
  it('is nothing for a command, a control key or an empty input', () => {
    expect(typedText('filter.accept', '', none)).toBeUndefined();
    expect(typedText(undefined, 'c', { ...none, ctrl: true })).toBeUndefined();
    expect(typedText(undefined, 'x', { ...none, meta: true })).toBeUndefined();
    expect(typedText(undefined, '\t', { ...none, tab: true })).toBeUndefined();
    expect(typedText(undefined, '', none)).toBeUndefined();
  });
  it('is empty text, not nothing, when only control characters came (the dialog clears its error on it)', () => {
    expect(typedText(undefined, '\u0007', none)).toBe('');
  });
});
