// Request quotas (KMS.md §7.1, §6.2): every KMS operation, and CloudTrail LookupEvents, is limited
// per account (the caller's) and Region, the way AWS limits them. Each quota is a token bucket
// refilled in real, monotonic time (never sandbox time, which tests move forward) holding one
// second's worth of requests; a call that finds the bucket empty is throttled.
//
// Values: the "Request quotas" page of the AWS KMS Developer Guide
// (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html, 2026 table).
// KMS.md §7.1 lists the operations keywarden calls; CreateKey (5/s), ReplicateKey (5/s) and the
// shared symmetric cryptographic quota come from the same page. The sandbox serves symmetric
// cryptography only (asymmetric keys are refused by Encrypt/Decrypt), so every crypto call
// counts toward the "Cryptographic operations (symmetric) request rate".

/** Requests per second per account and Region for each KMS operation (2026 defaults). */
export const KMS_REQUEST_QUOTAS: Readonly<Record<string, number>> = {
  CancelKeyDeletion: 5,
  CreateAlias: 5,
  CreateGrant: 50,
  CreateKey: 5,
  DeleteAlias: 15,
  DescribeKey: 2000,
  DisableKey: 5,
  DisableKeyRotation: 5,
  EnableKey: 5,
  EnableKeyRotation: 15,
  GetKeyLastUsage: 5,
  GetKeyPolicy: 1000,
  GetKeyRotationStatus: 1000,
  ListAliases: 500,
  ListGrants: 100,
  ListKeyPolicies: 100,
  ListKeyRotations: 100,
  ListKeys: 500,
  ListResourceTags: 2000,
  ListRetirableGrants: 100,
  PutKeyPolicy: 15,
  ReplicateKey: 5,
  RetireGrant: 50,
  RevokeGrant: 50,
  RotateKeyOnDemand: 5,
  ScheduleKeyDeletion: 15,
  TagResource: 10,
  UntagResource: 5,
  UpdateAlias: 5,
  UpdateKeyDescription: 5,
};

/** Operations that share the "Cryptographic operations (symmetric) request rate". */
export const SYMMETRIC_CRYPTO_OPERATIONS: readonly string[] = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'GenerateRandom',
  'ReEncrypt',
  'VerifyMac',
];

const CRYPTO_20K_REGIONS = ['us-east-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'eu-central-1', 'eu-west-2'];
const CRYPTO_100K_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/** The shared symmetric cryptographic quota of a Region: 10,000/s, 20,000/s or 100,000/s. */
export function symmetricCryptoQuota(region: string): number {
  if (CRYPTO_100K_REGIONS.includes(region)) return 100_000;
  if (CRYPTO_20K_REGIONS.includes(region)) return 20_000;
  return 10_000;
}

/** CloudTrail LookupEvents: 2 requests per second per account and Region (KMS.md §6.2). */
export const LOOKUP_EVENTS_PER_SECOND = 2;

/**
 * Amazon S3: "at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per
 * partitioned Amazon S3 prefix" (Amazon S3 User Guide, "Best practices design patterns: optimizing
 * Amazon S3 performance"). ListObjectsV2 is a GET on the bucket. The sandbox's bucket is one
 * partition (a bucket starts with one; S3 splits it only after sustained load), so its reads share
 * one bucket of 5,500/s; it serves no writes.
 */
export const S3_GET_PER_SECOND = 5_500;
export const S3_WRITE_PER_SECOND = 3_500;
const S3_READS = ['ListObjectsV2', 'GetObject', 'HeadObject', 'HeadBucket'];

/** Name of the bucket the symmetric crypto operations share. */
export const SYMMETRIC_CRYPTO_BUCKET = 'Cryptographic operations (symmetric)';

/** The quota one call counts toward: a bucket name (shared by operations that share a quota) and its rate. */
export interface Quota {
  bucket: string;
  /** Requests per second, before scaling. */
  rate: number;
  /** Requests the bucket holds (default: a second's worth, `rate`). */
  burst?: number;
}

/**
 * The quota a call counts toward, or undefined when the sandbox does not limit it.
 * `lookupEventsPerSecond` overrides CloudTrail's 2/s (kept for tests of other things).
 */
export function quotaFor(service: string, operation: string, region: string, lookupEventsPerSecond = LOOKUP_EVENTS_PER_SECOND): Quota | undefined {
  if (service === 'kms') {
    if (SYMMETRIC_CRYPTO_OPERATIONS.includes(operation)) return { bucket: SYMMETRIC_CRYPTO_BUCKET, rate: symmetricCryptoQuota(region) };
    const rate = KMS_REQUEST_QUOTAS[operation];
    return rate === undefined ? undefined : { bucket: operation, rate };
  }
  if (service === 'cloudtrail' && operation === 'LookupEvents') return { bucket: 'cloudtrail:LookupEvents', rate: lookupEventsPerSecond };
  // Security Hub BatchImportFindings: 10 per second with a burst of 30 (partner guide, "Guidelines for using the BatchImportFindings API").
  if (service === 'securityhub' && operation === 'BatchImportFindings') return { bucket: 'securityhub:BatchImportFindings', rate: 10, burst: 30 };
  // S3's rates are per bucket prefix, not per caller: the caller passes the bucket as `account`.
  if (service === 's3') return S3_READS.includes(operation) ? { bucket: 's3:GET/HEAD', rate: S3_GET_PER_SECOND } : { bucket: 's3:PUT/COPY/POST/DELETE', rate: S3_WRITE_PER_SECOND };
  return undefined;
}

/** How the fault settings shape the quotas (see faults.ts). */
export interface QuotaSettings {
  /** Multiplies every quota (0.1 = a starved account, 100 = a fast one). Default 1. */
  quotaScale?: number;
  /** Another client of the same account that uses `share` of each matching quota's rate. */
  competitor?: { share: number; operations?: string[] };
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * The token buckets of one sandbox: one per account, Region and quota. A bucket holds one
 * second's worth of requests (its rate) and refills continuously; a competing client takes its
 * share of the refill, so this sandbox's callers get the rest.
 */
export class QuotaBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /**
   * Takes one request from the bucket of this call's quota. False when the quota is used up (the
   * call must be throttled). Calls without a quota always pass.
   */
  take(call: { account: string; region: string; service: string; operation: string }, settings: QuotaSettings = {}, lookupEventsPerSecond?: number): boolean {
    const quota = quotaFor(call.service, call.operation, call.region, lookupEventsPerSecond);
    if (!quota) return true;
    const scale = settings.quotaScale ?? 1;
    // At least one request fits, so a starved quota below 1/s still lets a call through now and then.
    const capacity = Math.max(1, (quota.burst ?? quota.rate) * scale);
    const competitor = settings.competitor;
    const competing = competitor && (!competitor.operations || competitor.operations.includes(call.operation)) ? competitor.share : 0;
    const refill = quota.rate * scale * (1 - competing);
    const id = `${call.account}\u0000${call.region}\u0000${quota.bucket}`;
    const at = this.clock();
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = { tokens: capacity, last: at };
      this.buckets.set(id, bucket);
    } else {
      bucket.tokens = Math.min(capacity, bucket.tokens + ((at - bucket.last) / 1000) * refill);
      bucket.last = at;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Every bucket full again (used when the sandbox is reset). */
  clear(): void {
    this.buckets.clear();
  }
}
