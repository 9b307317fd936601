import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KMS_QUOTAS, OperationLimiter, TokenBucket } from './rate-limit.js';

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
    await vi.advanceTimersByTimeAsync(1000);
    expect(second).toBe(true);
  });

  it('uses the documented KMS quotas (KMS.md §7.1), changes included', () => {
    expect(KMS_QUOTAS).toMatchObject({ ListKeys: 500, ListAliases: 500, DescribeKey: 2000, GetKeyRotationStatus: 1000, ListResourceTags: 2000 });
    expect(KMS_QUOTAS).toMatchObject({ DisableKey: 5, EnableKey: 5, ScheduleKeyDeletion: 15, CancelKeyDeletion: 5, EnableKeyRotation: 15, DisableKeyRotation: 5 });
    expect(KMS_QUOTAS).toMatchObject({ RotateKeyOnDemand: 5, RetireGrant: 50, RevokeGrant: 50, TagResource: 10, UntagResource: 5 });
  });
});

describe('OperationLimiter under someone else’s load', () => {
  it('slows an operation to 70% after a throttle (once a second at most, never below a fifth of its quota) and climbs back per answer', () => {
    let at = 0;
    const limiter = new OperationLimiter({ GetKeyLastUsage: 5, DescribeKey: 2000 }, () => at);
    expect(limiter.rate('GetKeyLastUsage')).toBe(5);
    limiter.throttled('GetKeyLastUsage');
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(3.5);
    at = 500;
    limiter.throttled('GetKeyLastUsage'); // the same burst's retry: not another cut
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(3.5);
    for (const t of [1_500, 3_000, 4_500, 6_000, 7_500]) {
      at = t;
      limiter.throttled('GetKeyLastUsage');
    }
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(1); // a fifth of 5
    expect(limiter.rate('DescribeKey')).toBe(2000); // other operations keep their pace
    limiter.answered('GetKeyLastUsage');
    expect(limiter.rate('GetKeyLastUsage')).toBeCloseTo(1.1);
    for (let i = 0; i < 100; i++) limiter.answered('GetKeyLastUsage');
    expect(limiter.rate('GetKeyLastUsage')).toBe(5);
    expect(limiter.rate('ListKeys')).toBeUndefined();
  });
});
