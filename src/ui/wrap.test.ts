import { describe, expect, it } from 'vitest';
import { segmentsText, wrapIndented, wrapSegments, wrapText } from './wrap.js';

describe('wrap', () => {
  it('breaks at spaces, cuts a word only when it is longer than the row, and keeps every character', () => {
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/b16d2fc9-c506-44e6-a1c9-c9119bb9a001';
    const rows = wrapIndented(`    key ${arn}`, 40, 8);
    expect(rows.every((r) => [...r].length <= 40)).toBe(true);
    expect(rows.slice(1).every((r) => r.startsWith('        '))).toBe(true);
    expect(rows.join('').replace(/\s+/g, '')).toBe(`key${arn}`);
    expect(wrapIndented('ARN             ' + arn, 80, 16)[0]).toMatch(/^ARN +arn:aws:kms:/); // never the label alone
    expect(wrapText('a'.repeat(25), 10)).toEqual(['a'.repeat(10), 'a'.repeat(10), 'a'.repeat(5)]);
    expect(wrapText('one two three', 10)).toEqual(['one two', 'three']);
  });

  it('wraps styled runs without breaking a kept run at its spaces', () => {
    const rows = wrapSegments([{ text: 'regions ap-southeast-2, eu-central-1, eu-west-1' }, { text: '  ' }, { text: ' SANDBOX ', keep: true, style: 'badge' }], 30, 2);
    expect(rows.every((r) => [...segmentsText(r)].length <= 30)).toBe(true);
    expect(rows.map((r) => segmentsText(r).trim()).join(' ')).toBe('regions ap-southeast-2, eu-central-1, eu-west-1 SANDBOX');
    expect(rows.flat().some((s) => s.style === 'badge' && s.text === ' SANDBOX ')).toBe(true);
  });
});
