import { describe, expect, it } from 'vitest';
import { wrapLines } from './retire-dialog.js';

describe('wrapLines', () => {
  it('keeps every row of a wrapped line indented (two more than its first) and within the width', () => {
    const text = `    ${'keywarden-retire-e06180a2-317a-45de-b89d-b06f21eeb05a and metric filter '.repeat(3)}(those that still exist)`;
    for (const width of [40, 80, 140]) {
      const rows = wrapLines([text], width);
      expect(rows.length).toBeGreaterThan(1);
      expect(rows[0]).toMatch(/^ {4}\S/);
      for (const row of rows.slice(1)) expect(row).toMatch(/^ {6}\S/);
      for (const row of rows) expect([...row].length).toBeLessThanOrEqual(width);
      // Nothing lost (a word longer than a row is cut across rows).
      expect(rows.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
    }
  });

  it('leaves an empty line and a short line as they are', () => {
    expect(wrapLines(['', '  short'], 80)).toEqual(['', '  short']);
  });
});
