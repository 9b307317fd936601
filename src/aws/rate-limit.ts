// Client-side pacing to the KMS request quotas (KMS.md §7.1): one token bucket per operation,
// shared by every caller of one KMS client (one client per account and region — the scope AWS
// counts quotas in). The inventory's p-limit bounds requests in flight; these buckets bound
// requests per second, so a fast endpoint never pushes the account into throttling. What still
// gets throttled (other tools share the quota) is retried by the SDK and by retryThrottled, and
// slows that operation's pace down to what the throttles show is left of the quota (OperationLimiter),
// held there for a minute before it probes upward, so a client sharing the account with another
// settles just under what is left to it instead of being throttled again and again.

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

/**
 * A quota below two requests per second (only ever a scaled-down one: AWS's KMS quotas start at
 * 5/s) is paced at this share of it. The account's bucket holds a second's worth, a single request
 * there, and requests arrive with a round trip's jitter: paced at exactly the quota, two of them
 * sometimes arrive closer than it allows and the second is throttled (at 0.5/s, 97% still was, on
 * a busy machine: 90% leaves 0.2 s). At 5/s and above the bucket's second's worth absorbs the
 * jitter.
 */
export const SMALL_QUOTA_PACE_SHARE = 0.9;

/** What an operation is paced at with nothing else in the account: its quota (a small one a little under). */
export function fullPace(quota: number): number {
  return quota < 2 ? quota * SMALL_QUOTA_PACE_SHARE : quota;
}

/** A token bucket: `rate` tokens per second, at most `burst` saved up. Waiters are served in order. */
export class TokenBucket {
  private currentRate: number;
  private tokens: number;
  private last: number;
  private queue: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    rate: number,
    readonly burst: number = Math.max(1, Math.round(rate / 10)),
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.currentRate = rate;
    this.tokens = burst;
    this.last = clock();
  }

  /** Tokens per second now. */
  get rate(): number {
    return this.currentRate;
  }

  /** Changes the pace from now on (tokens saved up so far are kept). */
  setRate(rate: number): void {
    this.refill();
    this.currentRate = rate;
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

/**
 * A throttle with nothing yet to estimate from drops the pace to this share of what it was (the
 * SDK's adaptive retry mode cuts to 70% too), never below FLOOR_SHARE of the quota. Only a request
 * sent at the current pace can call for a cut: the answers to requests sent before the last cut
 * (those in flight, and their retries' first attempts) tell of the old pace, already left.
 */
const THROTTLED_FACTOR = 0.7;
const FLOOR_SHARE = 0.2;
/**
 * Two throttles at least this far apart (and at most LEARN_MAX_SPAN_MS) measure what is left of
 * the quota: each throttle means the account's bucket was empty, so what this client got answered
 * between them is what refilled for it — the quota minus everyone else's use — give or take one
 * request over the span.
 */
const LEARN_MIN_SPAN_MS = 3_000;
const LEARN_MAX_SPAN_MS = 60_000;
/** …and with at least this many answers between them (one request's error is then an eighth at most). */
const LEARN_MIN_ANSWERS = 8;
/** The pace is set this far under what was measured, so the account's bucket fills back up instead of staying empty. */
const LEARNED_MARGIN = 0.95;
/**
 * After a cut the pace is held this long before it probes upward again: every probe above what
 * is left costs a throttle, so one a minute at most (AIMD climbing back at once was throttled
 * every 4 s next to a client using half of GetKeyLastUsage's 5/s).
 */
const HOLD_MS = 60_000;
/** After the hold, each answered request adds this share of the quota back, up to the quota. */
const RECOVERY_SHARE = 0.02;

interface Paced {
  bucket: TokenBucket;
  quota: number;
  lastCut: number;
  /** Requests of this operation answered so far (not throttled). */
  answered: number;
  /** Recent throttles: when, and how many requests had been answered by then (oldest first). */
  throttles: Array<{ at: number; answered: number }>;
}

/**
 * One bucket per operation, created on first use, at that operation's quota. A throttled attempt
 * (someone else uses part of the quota) lowers the operation's pace to what the throttles show is
 * left, and holds it there; answered ones, a minute after the last cut, raise it back toward the
 * quota.
 */
export class OperationLimiter {
  private readonly buckets = new Map<string, Paced>();
  constructor(
    private readonly quotas: Readonly<Record<string, number>> = KMS_QUOTAS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  private paced(operation: string): Paced | undefined {
    const quota = this.quotas[operation];
    if (quota === undefined) return undefined;
    let paced = this.buckets.get(operation);
    if (!paced) {
      const full = fullPace(quota);
      paced = { bucket: new TokenBucket(full, Math.max(1, Math.round(quota / 10)), this.clock), quota: full, lastCut: -Infinity, answered: 0, throttles: [] };
      this.buckets.set(operation, paced);
    }
    return paced;
  }

  take(operation: string): Promise<void> {
    return this.paced(operation)?.bucket.take() ?? Promise.resolve();
  }

  /** Requests per second this operation is paced at now (undefined: not paced). */
  rate(operation: string): number | undefined {
    return this.paced(operation)?.bucket.rate;
  }

  /** When a request of this operation may be sent (the clock the limiter paces by). */
  async takeAt(operation: string): Promise<number> {
    await this.take(operation);
    return this.clock();
  }

  /**
   * An attempt of this operation was throttled: slow down to what is left of the quota.
   * `sentAt` (from takeAt): when the attempt was let through; one let through before the last cut
   * was sent at the old pace and cuts nothing more.
   */
  throttled(operation: string, sentAt?: number): void {
    const paced = this.paced(operation);
    if (!paced) return;
    const at = this.clock();
    while (paced.throttles.length > 0 && at - paced.throttles[0]!.at > LEARN_MAX_SPAN_MS) paced.throttles.shift();
    const oldest = paced.throttles[0];
    paced.throttles.push({ at, answered: paced.answered });
    if ((sentAt ?? at) <= paced.lastCut) return;
    paced.lastCut = at;
    const current = paced.bucket.rate;
    let next = current * THROTTLED_FACTOR;
    if (oldest && at - oldest.at >= LEARN_MIN_SPAN_MS && paced.answered - oldest.answered >= LEARN_MIN_ANSWERS) {
      // Bounded below by the plain cut: a span in which this client was idle for a while (its
      // share refilled unused) measures less than is left.
      const left = ((paced.answered - oldest.answered) * 1000) / (at - oldest.at);
      next = LEARNED_MARGIN * Math.min(current, Math.max(left, current * THROTTLED_FACTOR));
    }
    paced.bucket.setRate(Math.max(paced.quota * FLOOR_SHARE, next));
  }

  /** An attempt of this operation was answered (not throttled): after the hold, speed up again toward the quota. */
  answered(operation: string): void {
    const paced = this.paced(operation);
    if (!paced) return;
    paced.answered += 1;
    if (paced.bucket.rate >= paced.quota || this.clock() - paced.lastCut < HOLD_MS) return;
    paced.bucket.setRate(Math.min(paced.quota, paced.bucket.rate + paced.quota * RECOVERY_SHARE));
  }
}
