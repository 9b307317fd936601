import { describe, expect, it } from 'vitest';
import { filesProgressText } from './usage.js';

describe('the log files progress line', () => {
  const p = { filesRead: 120, jsonBytes: 1_323_000_000, bytes: 45_000_000, records: 1_000_000, elapsedMs: 43_000 };

  it('says everything when the terminal is wide enough', () => {
    expect(filesProgressText(p, 200, 120)).toBe('files 120/200 · 1323 MB of JSON (45 MB read) · 1,000,000 records · 23,256 records/s');
  });

  it('fits an 80-column terminal (and a narrower one) by leaving parts out, never wrapping', () => {
    for (const columns of [80, 60, 40, 20, 10]) {
      const line = filesProgressText(p, 200, columns);
      expect(line.length, `${columns}: ${line}`).toBeLessThan(Math.max(21, columns));
      expect(line.startsWith('files 120/200')).toBe(true);
    }
    expect(filesProgressText(p, 200, 80)).toBe('files 120/200 · 1323 MB of JSON · 1,000,000 records · 23,256 records/s');
  });
});
