import { describe, expect, it } from 'vitest';
import { daysUntil, formatAge, formatDate, formatDateTime, formatSpan } from './format.js';

const now = new Date('2026-11-23T12:00:00Z');

describe('formatDate / formatDateTime', () => {
  it.each([
    ['2026-03-01T00:00:00Z', '2026-03-01', '2026-03-01 00:00'],
    // KMS returns epoch-derived dates with milliseconds and offsets; always shown in UTC
    ['2026-11-20T23:30:00.123-02:00', '2026-11-21', '2026-11-21 01:30'],
    [undefined, '—', '—'],
    ['', '—', '—'],
    ['not a date', '?', '?'],
  ])('%s → %s / %s', (iso, date, dateTime) => {
    expect(formatDate(iso)).toBe(date);
    expect(formatDateTime(iso)).toBe(dateTime);
  });
});

describe('formatAge', () => {
  it.each([
    ['2026-11-20T12:00:00Z', '3d ago'],
    ['2026-11-23T07:00:00Z', '5h ago'],
    ['2026-11-23T11:48:00Z', '12m ago'],
    ['2026-11-23T11:59:30Z', 'just now'],
    ['2026-12-01T12:00:00Z', 'in 8d'],
    ['2025-09-23T12:00:00Z', '14mo ago'],
    ['2023-11-23T12:00:00Z', '3y ago'],
    [undefined, ''],
    ['garbage', ''],
  ])('%s → %s', (iso, expected) => {
    expect(formatAge(iso, now)).toBe(expected);
  });

  it('formats spans', () => {
    expect(formatSpan(45_000)).toBe('45s');
    expect(formatSpan(-2 * 86_400_000)).toBe('2d');
  });

  it('counts days until a date', () => {
    expect(daysUntil('2026-12-20T12:00:00Z', now)).toBe(27);
    expect(daysUntil('2026-11-20T12:00:00Z', now)).toBe(-3);
    expect(daysUntil(undefined, now)).toBeUndefined();
  });
});

describe('regionsLabel', () => {
  it('says loading while the Regions are being asked for, lists a few, and counts many', async () => {
    const { regionsLabel } = await import('./format.js');
    expect(regionsLabel([])).toBe('loading…');
    expect(regionsLabel(['us-east-1', 'eu-west-1'])).toBe('us-east-1, eu-west-1');
    expect(regionsLabel(['a-1', 'b-1', 'c-1', 'd-1', 'e-1', 'f-1', 'g-1'])).toBe('7: a-1, b-1 +5 more');
  });
});
