import { describe, expect, it } from 'vitest';
import { cleanText } from './sanitize.js';

describe('cleanText', () => {
  it.each([
    ['CSI colour and cursor moves', 'prod\u001b[31m-red\u001b[0m\u001b[2J\u001b[H', 'prod-red'],
    ['OSC 52 clipboard write (BEL)', 'a\u001b]52;c;Y3VybCBldmlsIHwgc2g=\u0007b', 'ab'],
    ['OSC 8 hyperlink (ST)', '\u001b]8;;https://evil\u001b\\click\u001b]8;;\u001b\\', 'click'],
    ['8-bit CSI', 'x\u009b2Jy', 'xy'],
    ['BEL and backspace overwrite', 'safe\u0008\u0008\u0008\u0008evil\u0007', 'safeevil'],
    ['carriage return overwrite', 'alias/prod\rALIAS/EVIL', 'alias/prod␤ALIAS/EVIL'],
    ['bidi override', 'key\u202egnp.exe', 'keygnp.exe'],
    ['bidi isolates', '\u2066a\u2069\u2067b\u2068', 'ab'],
    ['DCS', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
    ['zero-width space, joiner and word joiner', 'alias/pr\u200bod\u200d-da\u2060ta', 'alias/prod-data'],
    ['byte-order mark and soft hyphen', '\ufeffalias/pro\u00add', 'alias/prod'],
    ['line and paragraph separators', 'alias/prod\u2028-data\u2029', 'alias/prod-data'],
    ['invisible tag characters', 'key\u{E0041}\u{E0042}', 'key'],
    ['NUL and DEL', 'a\u0000b\u007fc', 'abc'],
    ['plain text stays', 'alias/ebs/prod-data ✓ ünïcode', 'alias/ebs/prod-data ✓ ünïcode'],
  ])('%s', (_name, input, expected) => {
    expect(cleanText(input)).toBe(expected);
  });

  it('keeps newlines in multi-line text (policies) and drops the rest', () => {
    expect(cleanText('{\n  "a": "b\u001b[2J"\r\n}', { singleLine: false })).toBe('{\n  "a": "b"\n}');
    expect(cleanText('a\u2028b\nc\u2029', { singleLine: false })).toBe('ab\nc');
  });
});
