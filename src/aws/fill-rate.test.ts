import { describe, expect, it } from 'vitest';
import { fillRate } from './background-reader.js';

/** `done` values and `retried` reads spread evenly over `seconds` before `now`. */
function reads(done: number, retried: number, seconds: number, now = 100_000) {
  const all = [...Array.from({ length: done }, () => true), ...Array.from({ length: retried }, () => false)];
  return all.map((ok, i) => ({ at: now - seconds * 1000 + (i * seconds * 1000) / all.length, done: ok }));
}

describe('fillRate', () => {
  it('is the pace until enough reads over enough time have been seen', () => {
    expect(fillRate(5, [], 100_000)).toBe(5);
    expect(fillRate(5, reads(0, 4, 30), 100_000)).toBe(5);
    expect(fillRate(5, reads(2, 30, 5), 100_000)).toBe(5);
  });
  it('is the rate values came at when that is lower than the pace', () => {
    expect(fillRate(5, reads(30, 0, 60), 100_000)).toBe(0.5);
    expect(fillRate(5, reads(600, 0, 60), 100_000)).toBe(5);
    expect(fillRate(5, reads(6, 54, 60), 100_000)).toBeCloseTo(0.1);
  });
  it('never reaches zero while every read is throttled: the time left stays a number', () => {
    expect(fillRate(5, reads(0, 50, 50), 100_000)).toBeCloseTo(0.01);
  });
});
