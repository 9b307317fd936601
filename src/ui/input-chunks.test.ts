import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { splitChunk } from './input-chunks.js';

const none = { return: false, delete: false, backspace: false, tab: false, ctrl: false, meta: false, shift: false } as Key;
const summary = (events: ReturnType<typeof splitChunk>) =>
  events.map((e) => (e.key.return ? '⏎' : e.key.delete || e.key.backspace ? '⌫' : e.key.tab ? '⇥' : e.input));

describe('splitChunk', () => {
  it('splits text followed by Enter', () => {
    expect(summary(splitChunk('200\r', none, true))).toEqual(['200', '⏎']);
  });
  it('splits repeated erases', () => {
    expect(summary(splitChunk('\u007f\u007f\u007f', none, true))).toEqual(['⌫', '⌫', '⌫']);
  });
  it('splits command keys one by one outside text fields', () => {
    expect(summary(splitChunk('jjA\r', none, false))).toEqual(['j', 'j', 'A', '⏎']);
    expect(splitChunk('jjA', none, false)[2]!.key.shift).toBe(true);
  });
  it('keeps a paste together in a text field and drops stray controls', () => {
    expect(summary(splitChunk('ebs/prod\u0007-data', none, true))).toEqual(['ebs/prod-data']);
  });
  it('passes single keys and escape sequences through', () => {
    const key = { ...none, return: true } as Key;
    expect(splitChunk('\r', key, true)).toEqual([{ input: '\r', key }]);
    expect(splitChunk('\u001b[A', none, true)).toEqual([{ input: '\u001b[A', key: none }]);
  });
});
