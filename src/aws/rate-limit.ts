// Client-side pacing to the KMS request quotas (KMS.md §7.1): one token bucket per operation,
// shared by every caller of one KMS client (one client per account and region — the scope AWS
// counts quotas in). The inventory's p-limit bounds requests in flight; these buckets bound
// requests per second, so a fast endpoint never pushes the account into throttling. What still
// gets throttled (other tools share the quota) is retried by the SDK and by retryThrottled.

/**
 * Requests per second per account and region: AWS's 2026 defaults (KMS.md §7.1; the "Request
 * quotas" page of the KMS developer guide) for every KMS operation keywarden calls. Each bucket's
 * burst (a tenth of a second's worth, at least one) stays below the second's worth AWS allows, so
 * keywarden alone never causes a throttle. Operations not listed are not paced here.
 */
export const KMS_QUOTAS: Readonly<Record<string, number>> = {
  // Reads
  ListKeys: 500,
  ListAliases: 500,
  DescribeKey: 2000,
  GetKeyRotationStatus: 1000,
  ListResourceTags: 2000,
  // KMS.md §7.1 / §11 (AWS KMS Developer Guide, "Request quotas", 2026 table): 5 per second.
  // The bucket's burst is round(5/10) → 1, well inside AWS's second's worth (5).
  GetKeyLastUsage: 5,
  GetKeyPolicy: 1000,
  ListGrants: 100,
  ListKeyRotations: 100,
  // Changes
  EnableKey: 5,
  DisableKey: 5,
  ScheduleKeyDeletion: 15,
  CancelKeyDeletion: 5,
  EnableKeyRotation: 15,
  DisableKeyRotation: 5,
  RotateKeyOnDemand: 5,
  RetireGrant: 50,
  RevokeGrant: 50,
  TagResource: 10,
  UntagResource: 5,
};

/** A token bucket: `rate` tokens per second, at most `burst` saved up. Waiters are served in order. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly rate: number,
    readonly burst: number = Math.max(1, Math.round(rate / 10)),
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  private refill(): void {
    const at = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((at - this.last) / 1000) * this.rate);
    this.last = at;
  }

  /** Resolves when a request may be sent. */
  take(): Promise<void> {
    this.refill();
    if (this.queue.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.drain();
    });
  }

  private drain(): void {
    if (this.timer) return;
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()!();
    }
    if (this.queue.length > 0) {
      const wait = Math.max(1, ((1 - this.tokens) / this.rate) * 1000);
      // Not unref'd: a request waiting for its turn is work in progress. (An unref'd timer let the
      // process end mid-command, exit 0, when nothing else kept it alive — an idle keep-alive
      // socket does not — e.g. `retire start` against an external endpoint while a GetKeyLastUsage
      // waited for its 5/s turn.)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, wait);
    }
  }
}

/** One bucket per operation, created on first use. */
export class OperationLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  constructor(private readonly quotas: Readonly<Record<string, number>> = KMS_QUOTAS) {}

  take(operation: string): Promise<void> {
    const rate = this.quotas[operation];
    if (rate === undefined) return Promise.resolve();
    let bucket = this.buckets.get(operation);
    if (!bucket) {
      bucket = new TokenBucket(rate);
      this.buckets.set(operation, bucket);
    }
    return bucket.take();
  }
}
