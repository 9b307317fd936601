import { describe, expect, it } from 'vitest';
import type { LastUsage } from './key.js';
import { aboutTime, isFreshLastUse, isStaleLastUse, lastUseProgressText, readingOrder, secondsLeft } from './last-use.js';

const now = new Date('2026-12-07T12:00:00Z');
const readMinutesAgo = (minutes: number): LastUsage => ({ kind: 'never', trackingStartDate: '2025-01-01T00:00:00Z', readAt: new Date(now.getTime() - minutes * 60_000).toISOString() });

describe('last use freshness', () => {
  it.each([
    ['read 59 minutes ago', readMinutesAgo(59), true, false],
    ['read 61 minutes ago', readMinutesAgo(61), false, true],
    ['pending', { kind: 'pending' } as LastUsage, false, false],
    ['an error', { kind: 'error', message: 'x', readAt: now.toISOString() } as LastUsage, false, false],
    ['without a read time (an older cache)', { kind: 'never', trackingStartDate: '2025-01-01T00:00:00Z' } as LastUsage, false, false],
  ])('%s: fresh %s, marked stale %s', (_name, usage, fresh, stale) => {
    expect(isFreshLastUse(usage, now)).toBe(fresh);
    expect(isStaleLastUse(usage, now)).toBe(stale);
  });
});

describe('reading order', () => {
  const waiting = ['a', 'b', 'c', 'd', 'e', 'f'];
  it('reads the selected key, then the rows on screen top to bottom, then the rest in inventory order', () => {
    expect(readingOrder(waiting, { selected: 'e', visible: ['d', 'e', 'f'] })).toEqual(['e', 'd', 'f', 'a', 'b', 'c']);
  });
  it('skips focused keys that need no read', () => {
    expect(readingOrder(['a', 'c'], { selected: 'b', visible: ['b', 'c'] })).toEqual(['c', 'a']);
  });
  it('without a focus, keeps the inventory order', () => {
    expect(readingOrder(waiting, {})).toEqual(waiting);
  });
});

describe('progress', () => {
  it('reads as the header shows it', () => {
    expect(lastUseProgressText({ done: 120, total: 1016, perSecond: 5, secondsLeft: secondsLeft([896], 5) })).toBe('last use 120 of 1,016 · 5/s · about 3 min');
    expect(lastUseProgressText({ done: 1016, total: 1016, perSecond: 5, secondsLeft: 0 })).toBe('last use 1,016 of 1,016');
    // Next to another client of the account the pace is what is left of the quota: one decimal.
    expect(lastUseProgressText({ done: 120, total: 1016, perSecond: 2.375, secondsLeft: secondsLeft([896], 2.375) })).toBe('last use 120 of 1,016 · 2.4/s · about 7 min');
  });
  it('takes the slowest region: each region reads on its own quota', () => {
    expect(secondsLeft([10, 500, 30], 5)).toBe(100);
    expect(secondsLeft([], 5)).toBe(0);
  });
  it.each([
    [12, 'about 12 s'],
    [59.2, 'about 60 s'],
    [180, 'about 3 min'],
    [181, 'about 4 min'],
    [2 * 3600 + 300, 'about 2 h 5 min'],
  ])('%s s is %s', (seconds, text) => {
    expect(aboutTime(seconds)).toBe(text);
  });
});
