// The background reader of one value per key, within a quota: the inventory shows its rows at
// once with the value "pending" and this reader fills it in, one region at a time each on its own
// quota (quotas are per account and Region: KMS.md §7.1). Last use (GetKeyLastUsage, 5/s:
// src/aws/last-use-reader.ts) and policies with grants (ListGrants, 100/s:
// src/aws/access-reader.ts) are its two payloads.
//
// - paced by the client: a token bucket per region at the payload's quota, in front of the KMS
//   client's own per-operation buckets (src/aws/rate-limit.ts), so neither a burst nor a retry
//   goes above the quota;
// - the key is picked when its token is granted, in the order of readingOrder: the selected key,
//   the rows on screen, then the rest — the view says what is on screen as it changes;
// - a value younger than an hour (from this run or from the disk cache) is reused, not re-read;
// - a throttled or failed read goes back in the queue with a growing delay (the row stays
//   "pending"); only after `maxRounds` failures, or an answer that cannot change by asking again
//   (access denied, no such key), does the payload turn it into a value that says so.

import { setMaxListeners } from 'node:events';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { KeyRow } from '../domain/key.js';
import { LAST_USE_MAX_AGE_MS, readingOrder, secondsLeft, type LastUseProgress } from '../domain/last-use.js';
import type { KeyFeed, KeyFeedSnapshot, KeyValueStore } from '../domain/source.js';
import type { Clients } from './clients.js';
import { TokenBucket } from './rate-limit.js';

/** Errors that asking again will not change. */
export const FINAL_KINDS: ReadonlySet<string> = new Set(['access-denied', 'not-found', 'validation', 'unsupported', 'invalid-state', 'disabled', 'no-credentials', 'not-served']);

export interface BackgroundReaderOptions<V> {
  /** Where values are kept between runs; none: every run reads again. */
  store?: KeyValueStore<V>;
  /** Clock for read times and ages (default: the account's clock, `clients.now()`). */
  now?: () => Date;
  /** Keys per second per region (default: the payload's quota). */
  perSecond?: number;
  /** Values younger than this are reused (default one hour). */
  maxAgeMs?: number;
  /** Failed reads of one key before the payload's failure value is kept (default 8). */
  maxRounds?: number;
  /** Delay before the next try after `round` failures (default 1 s doubling to 30 s, with jitter). */
  backoffMs?: (round: number) => number;
  /** Keys in flight per region (the pacing, not this, sets the rate; this only covers latency). */
  maxInFlight?: number;
  /** How long values may wait before they are written to the store (default 2 s). */
  saveDelayMs?: number;
  /** Snapshots handed to listeners at most this often (default 250 ms: a re-sort of 10,000 rows each time). */
  notifyMs?: number;
}

/**
 * What one read gave: a value to keep, or a failure worth asking again (after a delay).
 * `regionWide`: the answer holds for every key of the region (an endpoint that does not serve the
 * operation at all), so no other key of the region is asked.
 */
export type ReadOutcome<V> = { value: V; regionWide?: boolean } | { retry: true };

/** What the reader reads: which keys, how, at what pace, and which values are worth keeping. */
export interface ReaderPayload<V> {
  /** Keys per second per region (the quota that bounds it). */
  perSecond: number;
  /** The KMS operation each read sends: the reader goes no faster than the client paces it (lower after throttles). */
  operation?: string;
  /** The bucket's burst (default: a second's worth). */
  burst?: number;
  /** Keys in flight per region by default. */
  maxInFlight: number;
  /** Whether a row has a value to read (a key that could not be described has none). */
  accepts(row: KeyRow): boolean;
  /**
   * Reads one key. `lastTry`: a failure now is final (its value says so) rather than retried.
   * Never throws for an AWS answer: errors become a value or `{ retry: true }`.
   */
  read(kms: KMSClient, row: KeyRow, context: { signal: AbortSignal; now: () => Date; lastTry: boolean }): Promise<ReadOutcome<V>>;
  /** Whether a value is saved for the next run (errors are not: they are asked again). */
  keep(value: V): boolean;
  /**
   * One read for the whole region before the per-key reads (last use: one Logs Insights query over
   * the trail's log group): the values it gives fill the keys that need one, and are not read key
   * by key. While it runs (at most `prefillWaitMs`) only the selected key is read. A failure leaves
   * every key to `read`.
   */
  prefill?(context: { clients: Clients; region: string; now: () => Date; signal: AbortSignal }): Promise<Map<string, V> | undefined>;
  prefillWaitMs?: number;
}

interface Entry<V> {
  row: KeyRow;
  value?: V;
  failures: number;
  notBefore: number;
  inFlight: boolean;
  /** Read again now, whatever the age of the value (`r`). */
  forced: boolean;
}

interface RegionReader<V> {
  region: string;
  entries: Map<string, Entry<V>>;
  bucket: TokenBucket;
  inFlight: number;
  loaded: Promise<void>;
  loop?: Promise<void>;
  wake?: () => void;
  dirty: boolean;
  /** What the store held for this region when it was read. */
  stored?: Map<string, V>;
  /** The payload's region-wide values (`prefill`), once they have come. */
  prefilled?: Map<string, V>;
  /** An answer that holds for every key of the region (the endpoint does not serve the read): keys that need a value take it instead of being asked. */
  regionWide?: V;
  /** While `prefill` runs: until when the keys other than the selected one wait for it (wall clock). */
  prefillWaitUntil?: number;
  /** The last minute's reads (wall clock), each with whether it gave a value or must be tried again: what share of the pace becomes values. */
  recent: Array<{ at: number; done: boolean }>;
}

/** How far back the share of reads that give a value is measured. */
const RECENT_MS = 60_000;
/** Reads needed before that share replaces the pace in the time left. */
const RECENT_MIN = 5;

/** Seconds of reading needed before the values' own rate replaces the pace in the time left. */
const RECENT_MIN_SECONDS = 10;

/**
 * Keys per second a region really fills: the pace, or — once it has read for a while — the rate
 * values came at over the last minute when that is lower. A read throttled again and again (an
 * account whose quota others take; the SDK's own retries included) costs requests and fills
 * nothing, so the time left is counted from what is filled, not from what is sent.
 */
export function fillRate(pace: number, recent: ReadonlyArray<{ at: number; done: boolean }>, now: number): number {
  if (recent.length < RECENT_MIN) return pace;
  const seconds = (now - recent[0]!.at) / 1000;
  if (seconds < RECENT_MIN_SECONDS) return pace;
  const done = recent.filter((r) => r.done).length;
  return Math.min(pace, Math.max(done, 0.5) / seconds);
}

function defaultBackoff(round: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, round - 1)) * (0.5 + Math.random() / 2);
}

export class BackgroundKeyReader<V extends { readAt?: string }> implements KeyFeed<V> {
  private readonly regions = new Map<string, RegionReader<V>>();
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
  private cached: KeyFeedSnapshot<V> | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly clients: Clients,
    private readonly payload: ReaderPayload<V>,
    private readonly options: BackgroundReaderOptions<V> = {},
  ) {
    // Read times are the account's time (the sandbox's clock on a keywarden sandbox), the same
    // clock the views tell ages by: a value just read is never "47 days old" after `sandbox clock`.
    this.now = options.now ?? (() => clients.now());
    this.perSecond = options.perSecond ?? payload.perSecond;
    this.maxAgeMs = options.maxAgeMs ?? LAST_USE_MAX_AGE_MS;
    this.maxRounds = options.maxRounds ?? 8;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
    this.maxInFlight = options.maxInFlight ?? payload.maxInFlight;
    this.saveDelayMs = options.saveDelayMs ?? 2_000;
    this.notifyMs = options.notifyMs ?? 250;
    // Every read in flight listens on the one signal (its operations, their pages and retries).
    setMaxListeners(0, this.abort.signal);
  }

  setRows(rows: readonly KeyRow[]): void {
    if (this.closed) return;
    const touched = new Set<RegionReader<V>>();
    for (const row of rows) {
      if (!this.payload.accepts(row)) continue;
      const region = this.regionReader(row.region);
      if (region.entries.has(row.arn)) continue;
      const entry: Entry<V> = { row, failures: 0, notBefore: 0, inFlight: false, forced: false };
      const stored = region.stored?.get(row.arn);
      if (stored) entry.value = stored;
      this.fillFromPrefill(region, entry);
      region.entries.set(row.arn, entry);
      touched.add(region);
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

  snapshot(): KeyFeedSnapshot<V> {
    if (this.cached) return this.cached;
    const values = new Map<string, V>();
    const left: number[] = [];
    let total = 0;
    let done = 0;
    const at = this.now().getTime();
    for (const region of this.regions.values()) {
      let regionLeft = 0;
      for (const entry of region.entries.values()) {
        total += 1;
        if (entry.value) values.set(entry.row.arn, entry.value);
        if (this.needsRead(entry, at)) regionLeft += 1;
        else done += 1;
      }
      left.push(regionLeft);
    }
    // Each region at its own pace (lower while the account's other clients leave less of the quota),
    // and only the share of it that gives values.
    const since = Date.now() - RECENT_MS;
    const paces = [...this.regions.values()].map((region) => {
      while (region.recent.length > 0 && region.recent[0]!.at < since) region.recent.shift();
      return fillRate(this.paceOf(region.region), region.recent, since + RECENT_MS);
    });
    const reading = left.map((n, i) => (n > 0 ? paces[i]! : 0));
    const perSecond = reading.some((pace) => pace > 0) ? reading.reduce((sum, pace) => sum + pace, 0) : (paces[0] ?? this.perSecond);
    const seconds = Math.max(0, ...left.map((n, i) => secondsLeft([n], paces[i]!)));
    const progress: LastUseProgress = { done, total, perSecond, secondsLeft: seconds };
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

  /** Keys per second this region is read at now: the reader's pace, or the client's pace of the operation when that is lower. */
  private paceOf(region: string): number {
    const client = this.payload.operation ? this.clients.kmsPace?.(region, this.payload.operation) : undefined;
    return client !== undefined ? Math.min(this.perSecond, client) : this.perSecond;
  }

  private regionReader(name: string): RegionReader<V> {
    const existing = this.regions.get(name);
    if (existing) return existing;
    const reader: RegionReader<V> = {
      region: name,
      entries: new Map(),
      bucket: new TokenBucket(this.paceOf(name), this.payload.burst, () => performance.now()),
      inFlight: 0,
      dirty: false,
      loaded: Promise.resolve(),
      recent: [],
    };
    reader.loaded = this.loadStored(reader);
    reader.loop = this.run(reader);
    if (this.payload.prefill) {
      reader.prefillWaitUntil = Date.now() + (this.payload.prefillWaitMs ?? 15_000);
      void this.runPrefill(reader).finally(() => {
        reader.prefillWaitUntil = undefined;
        reader.wake?.();
      });
    }
    this.regions.set(name, reader);
    return reader;
  }

  private async runPrefill(region: RegionReader<V>): Promise<void> {
    try {
      const values = await this.payload.prefill!({ clients: this.clients, region: region.region, now: this.now, signal: this.abort.signal });
      if (!values || this.closed) return;
      await region.loaded;
      region.prefilled = values;
      for (const entry of region.entries.values()) this.fillFromPrefill(region, entry);
      region.dirty = true;
      this.changed();
      this.scheduleSave();
    } catch {
      // Nothing region-wide here (no access, nothing to query): every key is read on its own.
    }
  }

  /** A key still to be read that the region-wide read names takes its value from there. */
  private fillFromPrefill(region: RegionReader<V>, entry: Entry<V>): void {
    const value = region.prefilled?.get(entry.row.arn);
    if (!value || entry.inFlight || entry.forced || !this.needsRead(entry, this.now().getTime())) return;
    entry.value = value;
  }

  /** Values kept from earlier runs fill the keys that have none yet (a value older than an hour is shown and read again). */
  private async loadStored(region: RegionReader<V>): Promise<void> {
    if (!this.options.store) return;
    let stored: Map<string, V>;
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

  private needsRead(entry: Entry<V>, at: number): boolean {
    return entry.forced || !entry.value || this.isStale(entry.value, at);
  }

  /** A value older than the reuse age (or with no read time, or from the future) is read again. */
  private isStale(value: V, at: number): boolean {
    const readAt = value.readAt ? Date.parse(value.readAt) : NaN;
    if (!Number.isFinite(readAt)) return true;
    return at - readAt >= this.maxAgeMs || readAt > at + 60_000;
  }

  /** The next key to read in this region now, or when to look again. */
  private pick(region: RegionReader<V>): { entry?: Entry<V>; wakeAt?: number } {
    const at = this.now().getTime();
    const waiting: string[] = [];
    let wakeAt: number | undefined;
    // While the region-wide read runs, only the key the operator has selected is read.
    const prefillWait = region.prefillWaitUntil !== undefined && region.prefillWaitUntil > Date.now() ? region.prefillWaitUntil : undefined;
    if (prefillWait !== undefined) wakeAt = prefillWait;
    // A region-wide answer is asked again, by one key, once it is as old as any value may be.
    if (region.regionWide !== undefined && this.isStale(region.regionWide, at)) region.regionWide = undefined;
    for (const entry of region.entries.values()) {
      if (entry.inFlight || !this.needsRead(entry, at)) continue;
      if (region.regionWide !== undefined && !entry.forced) {
        entry.value = region.regionWide;
        region.dirty = true;
        this.changed();
        continue;
      }
      if (prefillWait !== undefined && entry.row.arn !== this.selected) continue;
      if (entry.notBefore > Date.now()) {
        wakeAt = Math.min(wakeAt ?? Infinity, entry.notBefore);
        continue;
      }
      waiting.push(entry.row.arn);
    }
    const [first] = readingOrder(waiting, { selected: this.selected, visible: this.visible });
    const entry = first !== undefined ? region.entries.get(first) : undefined;
    return entry ? { entry } : wakeAt !== undefined ? { wakeAt } : {};
  }

  private sleep(region: RegionReader<V>, until?: number): Promise<void> {
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

  private async run(region: RegionReader<V>): Promise<void> {
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
      const pace = this.paceOf(region.region);
      if (pace !== region.bucket.rate) region.bucket.setRate(pace);
      await region.bucket.take();
      if (this.closed) break;
      // Picked again now that the token is granted: the operator may have moved meanwhile.
      const { entry } = this.pick(region);
      if (entry) void this.read(region, entry);
    }
  }

  private async read(region: RegionReader<V>, entry: Entry<V>): Promise<void> {
    entry.inFlight = true;
    entry.forced = false;
    region.inFlight += 1;
    try {
      const outcome = await this.payload.read(this.clients.kms(region.region), entry.row, { signal: this.abort.signal, now: this.now, lastTry: entry.failures + 1 >= this.maxRounds });
      region.recent.push({ at: Date.now(), done: !('retry' in outcome) });
      if ('retry' in outcome) {
        if (this.closed) return;
        entry.failures += 1;
        entry.notBefore = Date.now() + this.backoffMs(entry.failures);
        return;
      }
      // Stopped meanwhile: only a value really read is kept (a read cut short by the stop is not).
      if (this.closed && !this.payload.keep(outcome.value)) return;
      entry.value = outcome.value;
      entry.failures = 0;
      region.dirty = true;
      if (outcome.regionWide) region.regionWide = outcome.value;
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

  /** Writes each region's values the payload keeps (errors are not: they are asked again next run). */
  private save(): Promise<void> {
    const store = this.options.store;
    if (!store) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      for (const region of this.regions.values()) {
        if (!region.dirty) continue;
        region.dirty = false;
        const values = new Map<string, V>();
        for (const entry of region.entries.values()) if (entry.value && this.payload.keep(entry.value)) values.set(entry.row.arn, entry.value);
        await store.save(region.region, values).catch(() => undefined); // a cache that cannot be written costs only reads next time
      }
    });
    return this.saving;
  }
}
