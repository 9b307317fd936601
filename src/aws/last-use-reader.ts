// The background reader of last use. GetKeyLastUsage allows 5 requests per second per account and
// Region (KMS.md §7.1, §11; AWS KMS Developer Guide, "Request quotas"): 1,000 keys take 200 s at
// best, so the inventory shows its rows at once with last use "pending" and this reader fills it
// in, one region at a time each on its own quota:
//
// - paced by the client: a token bucket per region at the quota with a burst of one, in front of
//   the KMS client's own per-operation bucket (src/aws/rate-limit.ts), so neither a burst nor a
//   retry goes above 5 per second;
// - the key is picked when its token is granted, in the order of readingOrder: the selected
//   key, the rows on screen, then the rest — the view says what is on screen as it changes;
// - a value younger than an hour (from this run or from the disk cache) is reused, not re-read;
// - a throttled or failed read goes back in the queue with a growing delay (the row stays
//   "pending"); only after `maxRounds` failures, or an answer that cannot change by asking again
//   (access denied, no such key), does it become an error value.
// - with `trail`, one Logs Insights query over the log group the trail delivers to (KMS.md §13)
//   first gives the last successful use of every key of the region that has one in the group; a
//   key it names is filled from it (labelled `source: 'trail'`) and not asked of GetKeyLastUsage.
//   While the query runs (at most TRAIL_WAIT_MS) only the selected key is read; then the per-key
//   reading reads what the query has not filled.

import { KeywardenError } from '../domain/errors.js';
import type { KeyRow, LastUsage } from '../domain/key.js';
import { INSIGHTS_MAX_DAYS, type TrailLastUse } from '../domain/insights.js';
import { LAST_USE_MAX_AGE_MS, readingOrder, secondsLeft, type LastUseProgress, type ReadLastUsage } from '../domain/last-use.js';
import type { LastUseFeed, LastUseSnapshot, LastUseStore } from '../domain/source.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { readLastUsage } from './kms-reads.js';
import { KMS_QUOTAS, TokenBucket } from './rate-limit.js';

export interface LastUseReaderOptions {
  /** Where values are kept between runs; none: every run reads again. */
  store?: LastUseStore;
  /** Clock for read times and ages (default: the account's clock, `clients.now()`). */
  now?: () => Date;
  /** Requests per second per region (default: the GetKeyLastUsage quota). */
  perSecond?: number;
  /** Values younger than this are reused (default one hour). */
  maxAgeMs?: number;
  /** Failed reads of one key before its value becomes an error (default 8). */
  maxRounds?: number;
  /** Delay before the next try after `round` failures (default 1 s doubling to 30 s, with jitter). */
  backoffMs?: (round: number) => number;
  /** Reads in flight per region (the pacing, not this, sets the rate; this only covers latency). */
  maxInFlight?: number;
  /** How long values may wait before they are written to the store (default 2 s). */
  saveDelayMs?: number;
  /** Snapshots handed to listeners at most this often (default 250 ms: a re-sort of 10,000 rows each time). */
  notifyMs?: number;
  /** Fill last use from the trail's CloudWatch Logs log group first, when the trail delivers there (default false). */
  trail?: boolean;
}

const DAY_MS = 86_400_000;
/** How long the per-key reading waits for the trail's query (except for the selected key). */
const TRAIL_WAIT_MS = 15_000;

/** Errors that asking again will not change: the value becomes an error at once. */
const FINAL_KINDS = new Set(['access-denied', 'not-found', 'validation', 'unsupported', 'invalid-state', 'disabled', 'no-credentials']);

interface Entry {
  arn: string;
  creationDate: string;
  value?: ReadLastUsage;
  failures: number;
  notBefore: number;
  inFlight: boolean;
  /** Read again now, whatever the age of the value (`r`). */
  forced: boolean;
}

interface RegionReader {
  region: string;
  entries: Map<string, Entry>;
  bucket: TokenBucket;
  inFlight: number;
  loaded: Promise<void>;
  loop?: Promise<void>;
  wake?: () => void;
  dirty: boolean;
  /** What the store held for this region when it was read. */
  stored?: Map<string, ReadLastUsage>;
  /** The trail's last uses (Logs Insights), once the query has answered, and when. */
  trail?: { uses: Map<string, TrailLastUse>; readAt: string };
  /** While the trail's query runs: until when the other keys wait for it (wall clock). */
  trailWaitUntil?: number;
}

function defaultBackoff(round: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, round - 1)) * (0.5 + Math.random() / 2);
}

export class LastUseReader implements LastUseFeed {
  private readonly regions = new Map<string, RegionReader>();
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private readonly now: () => Date;
  private readonly perSecond: number;
  private readonly maxAgeMs: number;
  private readonly maxRounds: number;
  private readonly backoffMs: (round: number) => number;
  private readonly maxInFlight: number;
  private readonly saveDelayMs: number;
  private readonly notifyMs: number;
  private selected: string | undefined;
  private visible: readonly string[] = [];
  private closed = false;
  private cached: LastUseSnapshot | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly clients: Clients,
    private readonly options: LastUseReaderOptions = {},
  ) {
    // Read times are the account's time (the sandbox's clock on a keywarden sandbox), the same
    // clock the views tell ages by: a value just read is never "47 days old" after `sandbox clock`.
    this.now = options.now ?? (() => clients.now());
    this.perSecond = options.perSecond ?? KMS_QUOTAS.GetKeyLastUsage ?? 5;
    this.maxAgeMs = options.maxAgeMs ?? LAST_USE_MAX_AGE_MS;
    this.maxRounds = options.maxRounds ?? 8;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
    // Two in flight keep the pace through a round trip of up to 400 ms, and leave the client's
    // bucket room for the one-key reads of the key detail.
    this.maxInFlight = options.maxInFlight ?? 2;
    this.saveDelayMs = options.saveDelayMs ?? 2_000;
    this.notifyMs = options.notifyMs ?? 250;
  }

  setRows(rows: readonly KeyRow[]): void {
    if (this.closed) return;
    const touched = new Set<RegionReader>();
    for (const row of rows) {
      // A key that could not be described has no last use to read (its row says why).
      if (!row.metadata) continue;
      const region = this.regionReader(row.region);
      if (!region.entries.has(row.arn)) {
        const entry: Entry = { arn: row.arn, creationDate: row.metadata.creationDate, failures: 0, notBefore: 0, inFlight: false, forced: false };
        const stored = region.stored?.get(row.arn);
        if (stored) entry.value = stored;
        this.fillFromTrail(region, entry);
        region.entries.set(row.arn, entry);
        touched.add(region);
      }
    }
    for (const region of touched) region.wake?.();
    if (touched.size > 0) this.changed();
  }

  focus(selected: string | undefined, visible: readonly string[]): void {
    this.selected = selected;
    this.visible = visible;
  }

  reread(arn: string): void {
    for (const region of this.regions.values()) {
      const entry = region.entries.get(arn);
      if (!entry) continue;
      entry.forced = true;
      entry.failures = 0;
      entry.notBefore = 0;
      region.wake?.();
      this.changed();
    }
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): LastUseSnapshot {
    if (this.cached) return this.cached;
    const values = new Map<string, LastUsage>();
    const left: number[] = [];
    let total = 0;
    let done = 0;
    const at = this.now().getTime();
    for (const region of this.regions.values()) {
      let regionLeft = 0;
      for (const entry of region.entries.values()) {
        total += 1;
        if (entry.value) values.set(entry.arn, entry.value);
        if (this.needsRead(entry, at)) regionLeft += 1;
        else done += 1;
      }
      left.push(regionLeft);
    }
    const reading = left.filter((n) => n > 0).length;
    const progress: LastUseProgress = { done, total, perSecond: this.perSecond * Math.max(1, reading), secondsLeft: secondsLeft(left, this.perSecond) };
    this.cached = { values, progress };
    return this.cached;
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const region of this.regions.values()) region.wake?.();
    await Promise.all([...this.regions.values()].map((region) => region.loop?.catch(() => undefined)));
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.save();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  // -------------------------------------------------------------------------------------------

  private regionReader(name: string): RegionReader {
    const existing = this.regions.get(name);
    if (existing) return existing;
    const reader: RegionReader = {
      region: name,
      entries: new Map(),
      bucket: new TokenBucket(this.perSecond, 1, () => performance.now()),
      inFlight: 0,
      dirty: false,
      loaded: Promise.resolve(),
    };
    reader.loaded = this.loadStored(reader);
    reader.loop = this.run(reader);
    if (this.options.trail) {
      reader.trailWaitUntil = Date.now() + TRAIL_WAIT_MS;
      void this.readTrail(reader).finally(() => {
        reader.trailWaitUntil = undefined;
        reader.wake?.();
      });
    }
    this.regions.set(name, reader);
    return reader;
  }

  /** Values kept from earlier runs fill the keys that have none yet (a value older than an hour is shown and read again). */
  private async loadStored(region: RegionReader): Promise<void> {
    if (!this.options.store) return;
    let stored: Map<string, ReadLastUsage>;
    try {
      stored = await this.options.store.load(region.region);
    } catch {
      return; // a cache that cannot be read costs only the reads it would have saved
    }
    for (const [arn, value] of stored) {
      const entry = region.entries.get(arn);
      if (entry && !entry.value && !entry.inFlight) entry.value = value;
    }
    // Keys listed after the cache was read pick their values up in setRows.
    region.stored = stored;
    this.changed();
  }

  /**
   * One Logs Insights query for the last use of every key of the region, over as much as the
   * trail's log group keeps (at most a year). Any failure leaves the keys to GetKeyLastUsage.
   */
  private async readTrail(region: RegionReader): Promise<void> {
    try {
      const { findInsightsTarget, insightsLastUses } = await import('./insights.js');
      const found = await findInsightsTarget(this.clients.cloudtrail(region.region), (r) => this.clients.logs(r), region.region, this.abort.signal);
      if (!found.target || this.closed) return;
      const endMs = this.now().getTime();
      const days = Math.min(INSIGHTS_MAX_DAYS, found.target.retentionInDays ?? INSIGHTS_MAX_DAYS);
      const { uses } = await insightsLastUses(this.clients.logs(found.target.logGroupRegion), found.target, region.region, { startMs: endMs - days * DAY_MS, endMs }, this.abort.signal);
      if (this.closed) return;
      await region.loaded;
      region.trail = { uses, readAt: this.now().toISOString() };
      for (const entry of region.entries.values()) this.fillFromTrail(region, entry);
      region.dirty = true;
      this.changed();
      this.scheduleSave();
    } catch {
      // No Logs Insights here (no access, no such group, a query that failed): GetKeyLastUsage reads every key.
    }
  }

  /** A key still to be read that the trail's query names takes its value from there. */
  private fillFromTrail(region: RegionReader, entry: Entry): void {
    const use = region.trail?.uses.get(entry.arn);
    if (!use || entry.inFlight || entry.forced || !this.needsRead(entry, this.now().getTime())) return;
    entry.value = { kind: 'used', operation: use.operation, timestamp: use.timestamp, readAt: region.trail!.readAt, source: 'trail' };
  }

  private readAtMs(value: ReadLastUsage | undefined): number | undefined {
    const at = value?.readAt ? Date.parse(value.readAt) : NaN;
    return Number.isFinite(at) ? at : undefined;
  }

  private needsRead(entry: Entry, at: number): boolean {
    if (entry.forced || !entry.value) return true;
    const readAt = this.readAtMs(entry.value);
    return readAt === undefined || at - readAt >= this.maxAgeMs || readAt > at + 60_000;
  }

  /** The next key to read in this region now, or when to look again. */
  private pick(region: RegionReader): { entry?: Entry; wakeAt?: number } {
    const at = this.now().getTime();
    const waiting: string[] = [];
    let wakeAt: number | undefined;
    // While the trail's query runs, only the key the operator has selected is read.
    const trailWait = region.trailWaitUntil !== undefined && region.trailWaitUntil > Date.now() ? region.trailWaitUntil : undefined;
    if (trailWait !== undefined) wakeAt = trailWait;
    for (const entry of region.entries.values()) {
      if (entry.inFlight || !this.needsRead(entry, at)) continue;
      if (trailWait !== undefined && entry.arn !== this.selected) continue;
      if (entry.notBefore > Date.now()) {
        wakeAt = Math.min(wakeAt ?? Infinity, entry.notBefore);
        continue;
      }
      waiting.push(entry.arn);
    }
    const [first] = readingOrder(waiting, { selected: this.selected, visible: this.visible });
    const entry = first !== undefined ? region.entries.get(first) : undefined;
    return entry ? { entry } : wakeAt !== undefined ? { wakeAt } : {};
  }

  private sleep(region: RegionReader, until?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      region.wake = () => {
        region.wake = undefined;
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (until !== undefined) timer = setTimeout(() => region.wake?.(), Math.max(1, until - Date.now()));
    });
  }

  private async run(region: RegionReader): Promise<void> {
    await region.loaded;
    while (!this.closed) {
      if (region.inFlight >= this.maxInFlight) {
        await this.sleep(region);
        continue;
      }
      const first = this.pick(region);
      if (!first.entry) {
        this.checkIdle();
        await this.sleep(region, first.wakeAt);
        continue;
      }
      await region.bucket.take();
      if (this.closed) break;
      // Picked again now that the token is granted: the operator may have moved meanwhile.
      const { entry } = this.pick(region);
      if (entry) void this.read(region, entry);
    }
  }

  private async read(region: RegionReader, entry: Entry): Promise<void> {
    entry.inFlight = true;
    entry.forced = false;
    region.inFlight += 1;
    try {
      entry.value = await readLastUsage(this.clients.kms(region.region), { arn: entry.arn, creationDate: entry.creationDate }, this.abort.signal, {
        retry: false,
        now: this.now,
      });
      entry.failures = 0;
      region.dirty = true;
    } catch (error) {
      if (this.closed) return;
      const domain = error instanceof KeywardenError ? error : toDomainError(error, 'GetKeyLastUsage');
      entry.failures += 1;
      if (FINAL_KINDS.has(domain.kind) || entry.failures >= this.maxRounds) {
        entry.value = { kind: 'error', message: domain.message, readAt: this.now().toISOString() };
      } else {
        entry.notBefore = Date.now() + this.backoffMs(entry.failures);
      }
    } finally {
      entry.inFlight = false;
      region.inFlight -= 1;
      region.wake?.();
      this.changed();
      this.scheduleSave();
    }
  }

  private isIdle(): boolean {
    const at = this.now().getTime();
    for (const region of this.regions.values()) {
      for (const entry of region.entries.values()) if (entry.inFlight || this.needsRead(entry, at)) return false;
    }
    return true;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private changed(): void {
    this.cached = undefined;
    this.checkIdle();
    if (this.notifyTimer || this.closed) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      for (const listener of this.listeners) listener();
    }, this.notifyMs);
  }

  private scheduleSave(): void {
    if (!this.options.store || this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, this.saveDelayMs);
  }

  /** Writes each region's read values (errors are not kept: they are asked again next run). */
  private save(): Promise<void> {
    const store = this.options.store;
    if (!store) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      for (const region of this.regions.values()) {
        if (!region.dirty) continue;
        region.dirty = false;
        const values = new Map<string, ReadLastUsage>();
        for (const entry of region.entries.values()) if (entry.value && entry.value.kind !== 'error') values.set(entry.arn, entry.value);
        await store.save(region.region, values).catch(() => undefined); // a cache that cannot be written costs only reads next time
      }
    });
    return this.saving;
  }
}
