import { describe, expect, it } from 'vitest';
import { KMS_QUOTAS } from '../aws/rate-limit.js';
import { KMS_REQUEST_QUOTAS, QuotaBuckets, quotaFor, symmetricCryptoQuota, SYMMETRIC_CRYPTO_BUCKET } from './quotas.js';

/** A clock the test moves by hand (ms). */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let at = 1_000;
  return { now: () => at, advance: (ms) => (at += ms) };
}

const call = (operation: string, region = 'us-east-1', account = '111122223333', service = 'kms') => ({ account, region, service, operation });

/** How many calls in a row pass right now. */
function drain(buckets: QuotaBuckets, c: ReturnType<typeof call>, settings = {}, limit = 1_000_000): number {
  let passed = 0;
  while (passed < limit && buckets.take(c, settings)) passed += 1;
  return passed;
}

describe('quotaFor', () => {
  it('takes the 2026 values of KMS.md §7.1, and the documented ones for the other operations served', () => {
    expect(KMS_REQUEST_QUOTAS).toMatchObject({
      ListKeys: 500,
      ListAliases: 500,
      DescribeKey: 2000,
      GetKeyRotationStatus: 1000,
      GetKeyLastUsage: 5,
      ListGrants: 100,
      GetKeyPolicy: 1000,
      ListResourceTags: 2000,
      ListKeyRotations: 100,
      DisableKey: 5,
      EnableKey: 5,
      ScheduleKeyDeletion: 15,
      CancelKeyDeletion: 5,
      EnableKeyRotation: 15,
      DisableKeyRotation: 5,
      RotateKeyOnDemand: 5,
      CreateGrant: 50,
      RetireGrant: 50,
      RevokeGrant: 50,
      PutKeyPolicy: 15,
      TagResource: 10,
      UntagResource: 5,
      UpdateAlias: 5,
      CreateAlias: 5,
      DeleteAlias: 15,
      CreateKey: 5,
      ReplicateKey: 5,
    });
  });

  it('puts the symmetric crypto operations on one shared quota that depends on the Region', () => {
    for (const operation of ['Encrypt', 'Decrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext']) {
      expect(quotaFor('kms', operation, 'us-east-1')).toEqual({ bucket: SYMMETRIC_CRYPTO_BUCKET, rate: 100_000 });
    }
    expect(symmetricCryptoQuota('us-west-2')).toBe(100_000);
    expect(symmetricCryptoQuota('eu-west-1')).toBe(100_000);
    expect(symmetricCryptoQuota('eu-west-2')).toBe(20_000);
    expect(symmetricCryptoQuota('ap-northeast-1')).toBe(20_000);
    expect(symmetricCryptoQuota('us-east-2')).toBe(20_000);
    expect(symmetricCryptoQuota('ca-central-1')).toBe(10_000);
    expect(symmetricCryptoQuota('eu-north-1')).toBe(10_000);
  });

  it('limits CloudTrail LookupEvents to 2/s and leaves the other services alone', () => {
    expect(quotaFor('cloudtrail', 'LookupEvents', 'us-east-1')).toEqual({ bucket: 'cloudtrail:LookupEvents', rate: 2 });
    expect(quotaFor('cloudtrail', 'DescribeTrails', 'us-east-1')).toBeUndefined();
    expect(quotaFor('logs', 'PutMetricFilter', 'us-east-1')).toBeUndefined();
    expect(quotaFor('kms', 'NoSuchOperation', 'us-east-1')).toBeUndefined();
  });

  it('never lets keywarden pace faster, or burst more, than the sandbox allows', () => {
    for (const [operation, clientRate] of Object.entries(KMS_QUOTAS)) {
      const quota = quotaFor('kms', operation, 'us-east-1');
      expect(quota, operation).toBeDefined();
      // GetKeyLastUsage's client pacing belongs to the lazy last-use reader (KMS.md §7.1: 5/s).
      if (operation === 'GetKeyLastUsage') continue;
      expect(clientRate, operation).toBeLessThanOrEqual(quota!.rate);
      const clientBurst = Math.max(1, Math.round(clientRate / 10)); // TokenBucket's default burst
      expect(clientBurst, operation).toBeLessThanOrEqual(quota!.rate);
    }
  });
});

describe('QuotaBuckets', () => {
  it("lets one second's worth through at once, throttles the next call, and refills at the rate", () => {
    const clock = manualClock();
    const buckets = new QuotaBuckets(clock.now);
    expect(drain(buckets, call('GetKeyLastUsage'))).toBe(5);
    expect(buckets.take(call('GetKeyLastUsage'))).toBe(false);
    clock.advance(199);
    expect(buckets.take(call('GetKeyLastUsage'))).toBe(false);
    clock.advance(1);
    expect(buckets.take(call('GetKeyLastUsage'))).toBe(true); // 5/s: one every 200 ms
    expect(buckets.take(call('GetKeyLastUsage'))).toBe(false);
    clock.advance(60_000);
    expect(drain(buckets, call('GetKeyLastUsage'))).toBe(5); // never more than one second's worth
  });

  it('counts each operation, Region and account on its own', () => {
    const clock = manualClock();
    const buckets = new QuotaBuckets(clock.now);
    expect(drain(buckets, call('DisableKey'))).toBe(5);
    expect(drain(buckets, call('EnableKey'))).toBe(5);
    expect(drain(buckets, call('DisableKey', 'eu-west-1'))).toBe(5);
    expect(drain(buckets, call('DisableKey', 'us-east-1', '444455556666'))).toBe(5);
    expect(buckets.take(call('DisableKey'))).toBe(false);
  });

  it('shares one quota between the symmetric crypto operations', () => {
    const clock = manualClock();
    const buckets = new QuotaBuckets(clock.now);
    const settings = { quotaScale: 0.001 }; // ca-central-1: 10,000/s × 0.001 = 10
    let passed = 0;
    for (const operation of ['Encrypt', 'Decrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'Encrypt', 'Decrypt']) {
      passed += drain(buckets, call(operation, 'ca-central-1'), settings, 3);
    }
    expect(passed).toBe(10);
    expect(buckets.take(call('Decrypt', 'ca-central-1'), settings)).toBe(false);
    expect(buckets.take(call('DescribeKey', 'ca-central-1'), settings)).toBe(true); // its own quota
    expect(drain(buckets, call('Encrypt', 'us-east-1'), settings)).toBe(100); // 100,000/s × 0.001
  });

  it('scales every quota, and still lets one call through on a starved account', () => {
    const clock = manualClock();
    const buckets = new QuotaBuckets(clock.now);
    expect(drain(buckets, call('GetKeyLastUsage'), { quotaScale: 100 })).toBe(500);
    expect(drain(buckets, call('ListKeys'), { quotaScale: 0.1 })).toBe(50);
    expect(drain(buckets, call('EnableKey'), { quotaScale: 0.1 })).toBe(1); // 0.5/s: one fits
    clock.advance(1_000);
    expect(buckets.take(call('EnableKey'), { quotaScale: 0.1 })).toBe(false);
    clock.advance(1_000);
    expect(buckets.take(call('EnableKey'), { quotaScale: 0.1 })).toBe(true);
  });

  it('leaves the rest of the refill to this client when a competitor uses part of a quota', () => {
    const clock = manualClock();
    const buckets = new QuotaBuckets(clock.now);
    const half = { competitor: { share: 0.5 } };
    expect(drain(buckets, call('GetKeyLastUsage'), half)).toBe(5);
    clock.advance(1_000);
    expect(drain(buckets, call('GetKeyLastUsage'), half)).toBe(2); // 2.5 of 5 per second
    clock.advance(2_000);
    expect(drain(buckets, call('GetKeyLastUsage'), half)).toBe(5);
    // Only the named operations compete.
    const onlyTags = { competitor: { share: 0.5, operations: ['ListResourceTags'] } };
    expect(drain(buckets, call('DisableKey'), onlyTags)).toBe(5);
    clock.advance(1_000);
    expect(drain(buckets, call('DisableKey'), onlyTags)).toBe(5);
  });

  it('keeps a caller-given LookupEvents rate', () => {
    const buckets = new QuotaBuckets(manualClock().now);
    expect(drain(buckets, call('LookupEvents', 'us-east-1', '111122223333', 'cloudtrail'))).toBe(2);
    const fast = new QuotaBuckets(manualClock().now);
    let passed = 0;
    while (passed < 2000 && fast.take(call('LookupEvents', 'us-east-1', '111122223333', 'cloudtrail'), {}, 1000)) passed += 1;
    expect(passed).toBe(1000);
  });
});
