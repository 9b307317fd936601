import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KMS_QUOTAS, OperationLimiter, SMALL_QUOTA_PACE_SHARE, TokenBucket } from './rate-limit.js';

/** GetKeyLastUsage's pace with nothing else in the account: its quota, 5/s. */
const FULL = 5;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('lets a burst through at once, then exactly `rate` per second, in order', async () => {
    const bucket = new TokenBucket(10, 2, () => Date.now());
    const served: number[] = [];
    const all = Array.from({ length: 12 }, (_, i) => bucket.take().then(() => served.push(i)));
    await vi.advanceTimersByTimeAsync(0);
    expect(served).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(500);
    expect(served.length).toBe(7); // 2 + 10/s × 0.5 s
    await vi.advanceTimersByTimeAsync(500);
    await Promise.all(all);
    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});

describe('OperationLimiter', () => {
  it('paces each operation on its own bucket and leaves unlisted operations alone', async () => {
    const limiter = new OperationLimiter({ DescribeKey: 1 });
    await limiter.take('DescribeKey'); // the burst of one
    let second = false;
    void limiter.take('DescribeKey').then(() => (second = true));
    await limiter.take('ListResourceTags'); // not paced here: resolves at once
    await vi.advanceTimersByTimeAsync(10);
    expect(second).toBe(false);
    await vi.advanceTimersByTimeAsync(1200); // a quota of 1/s is paced a little under it: 1.11 s
    expect(second).toBe(true);
  });

  it('uses the documented KMS quotas (KMS.md §7.1), changes included', () => {
    expect(KMS_QUOTAS).toMatchObject({ ListKeys: 500, ListAliases: 500, DescribeKey: 2000, GetKeyRotationStatus: 1000, ListResourceTags: 2000 });
    expect(KMS_QUOTAS).toMatchObject({ DisableKey: 5, EnableKey: 5, ScheduleKeyDeletion: 15, CancelKeyDeletion: 5, EnableKeyRotation: 15, DisableKeyRotation: 5 });
    expect(KMS_QUOTAS).toMatchObject({ RotateKeyOnDemand: 5, RetireGrant: 50, RevokeGrant: 50, TagResource: 10, UntagResource: 5 });
  });
});

describe('OperationLimiter under someone else’s load', () => {
  it('cuts to 70% on a throttle of a request sent at the current pace (never below a fifth of the quota); answers to older requests cut nothing more', () => {
    let at = 0;
    const limiter = new OperationLimiter({ GetKeyLastUsage: 5, DescribeKey: 2000 }, () => at);
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL);
    at = 100;
    limiter.throttled('GetKeyLastUsage', 50);
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL * 0.7);
    at = 300;
    limiter.throttled('GetKeyLastUsage', 90); // sent before the cut: the old pace, already left
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL * 0.7);
    at = 400;
    limiter.throttled('GetKeyLastUsage', 350); // sent at the new pace, still too fast
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL * 0.49);
    for (const t of [500, 600, 700, 800, 900]) {
      at = t;
      limiter.throttled('GetKeyLastUsage', t - 1);
    }
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL / 5); // a fifth of the pace
    expect(limiter.rate('DescribeKey')).toBe(2000); // other operations keep their pace
    expect(limiter.rate('ListKeys')).toBeUndefined();
  });

  it('paces a quota below 2/s (a scaled-down account holds a single request) a little under it, so jitter is not throttled', () => {
    const limiter = new OperationLimiter({ GetKeyLastUsage: 0.5, DescribeKey: 200 });
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(0.5 * SMALL_QUOTA_PACE_SHARE);
    expect(limiter.rate('DescribeKey')).toBe(200);
  });

  it("learns what is left from two throttles seconds apart (the account's bucket empty at both) and paces just under it", () => {
    let at = 0;
    const limiter = new OperationLimiter({ GetKeyLastUsage: 5 }, () => at);
    limiter.throttled('GetKeyLastUsage', 0); // 3.5
    // Over the next 4 s, 10 requests are answered: 2.5/s is what the account's other client leaves.
    for (let i = 1; i <= 10; i++) {
      at = i * 400;
      limiter.answered('GetKeyLastUsage');
    }
    limiter.throttled('GetKeyLastUsage', at - 1);
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(0.95 * 2.5);
  });

  it('holds the pace for a minute after a cut, then climbs back by 2% of the quota per answer', () => {
    let at = 0;
    const limiter = new OperationLimiter({ GetKeyLastUsage: 5 }, () => at);
    limiter.throttled('GetKeyLastUsage', 0);
    for (let i = 0; i < 100; i++) {
      at += 500;
      limiter.answered('GetKeyLastUsage');
    }
    expect(at).toBe(50_000);
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL * 0.7); // held
    at = 60_000;
    limiter.answered('GetKeyLastUsage');
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL * 0.72);
    for (let i = 0; i < 100; i++) limiter.answered('GetKeyLastUsage');
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(FULL);
  });

  it('next to a client that uses half the quota: throttled only while finding out, never after (simulated account bucket)', () => {
    // AWS's side: a bucket of a second's worth (5), refilled at 5/s of which the other client takes half.
    let at = 0;
    const limiter = new OperationLimiter({ GetKeyLastUsage: 5 }, () => at);
    const bucket = { tokens: 5, last: 0 };
    const throttles: number[] = [];
    let answered = 0;
    let next = 0;
    for (at = 0; at < 120_000; at = next) {
      bucket.tokens = Math.min(5, bucket.tokens + ((at - bucket.last) / 1000) * 2.5);
      bucket.last = at;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        answered += 1;
        limiter.answered('GetKeyLastUsage');
      } else {
        throttles.push(at);
        limiter.throttled('GetKeyLastUsage', at);
      }
      next = at + 1000 / limiter.rate('GetKeyLastUsage')!;
    }
    expect(throttles.filter((t) => t > 10_000 && t < 60_000)).toEqual([]);
    expect(throttles.length).toBeLessThanOrEqual(6); // finding out, then one probe after the minute's hold
    expect(answered / 120).toBeGreaterThanOrEqual(2.5 * 0.9);
  });
});
