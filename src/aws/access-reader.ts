// The background reader of key policies and grants, for the findings on every row. ListGrants
// allows 100 requests per second per account and Region (GetKeyPolicy 1,000; KMS.md §7.1; AWS
// KMS Developer Guide, "Request quotas"), so 1,000 keys take at least 10 s: the rows show at once
// with their policy and grant findings "pending" and this reader fills them in, one region at a
// time each on its own quota — the same shape as the last-use reader (src/aws/last-use-reader.ts):
//
// - paced by the client: a token bucket per region at the ListGrants quota (one token per key:
//   one GetKeyPolicy and one ListGrants page), in front of the KMS client's own per-operation
//   buckets (src/aws/rate-limit.ts), which also pace a key's further ListGrants pages;
// - the key is picked when its token is granted, in the order of readingOrder: the selected key,
//   the rows on screen, then the rest;
// - a value younger than an hour (from this run or from the disk cache) is reused;
// - a throttled or failed read goes back in the queue with a growing delay; only after
//   `maxRounds` failures, or an answer that asking again cannot change (access denied), does
//   the part that failed become a ReadProblem (its findings say so: policy-unreadable …).

import { setMaxListeners } from 'node:events';
import { KeywardenError } from '../domain/errors.js';
import type { Grant, KeyAccess, KeyRow, ReadProblem } from '../domain/key.js';
import { LAST_USE_MAX_AGE_MS, readingOrder, secondsLeft, type LastUseProgress } from '../domain/last-use.js';
import type { AccessFeed, AccessSnapshot, AccessStore } from '../domain/source.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { listGrants, readPolicy } from './kms-reads.js';
import { KMS_QUOTAS, TokenBucket } from './rate-limit.js';

export interface AccessReaderOptions {
  /** Where values are kept between runs; none: every run reads again. */
  store?: AccessStore;
  /** Clock for read times and ages (default: the account's clock, `clients.now()`). */
  now?: () => Date;
  /** Keys per second per region (default: the ListGrants quota). */
  perSecond?: number;
  /** Values younger than this are reused (default one hour). */
  maxAgeMs?: number;
  /** Failed reads of one key before the failed part becomes a ReadProblem (default 8). */
  maxRounds?: number;
  /** Delay before the next try after `round` failures (default 1 s doubling to 30 s, with jitter). */
  backoffMs?: (round: number) => number;
  /** Keys in flight per region: enough to keep the pace through the round trips. */
  maxInFlight?: number;
  /** How long values may wait before they are written to the store (default 2 s). */
  saveDelayMs?: number;
  /** Snapshots handed to listeners at most this often (default 250 ms). */
  notifyMs?: number;
}

/** Errors that asking again will not change: the part becomes a ReadProblem at once. */
const FINAL_KINDS = new Set(['access-denied', 'not-found', 'validation', 'unsupported', 'invalid-state', 'disabled', 'no-credentials']);

interface Entry {
  arn: string;
  value?: KeyAccess;
  failures: number;
  notBefore: number;
  inFlight: boolean;
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
  stored?: Map<string, KeyAccess>;
}

function defaultBackoff(round: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, round - 1)) * (0.5 + Math.random() / 2);
}

function asProblem(what: string, error: KeywardenError): ReadProblem {
  return { what, message: error.message, code: error.code ?? error.kind };
}

export class AccessReader implements AccessFeed {
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
  private cached: AccessSnapshot | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly clients: Clients,
    private readonly options: AccessReaderOptions = {},
  ) {
    this.now = options.now ?? (() => clients.now());
    this.perSecond = options.perSecond ?? KMS_QUOTAS.ListGrants ?? 100;
    this.maxAgeMs = options.maxAgeMs ?? LAST_USE_MAX_AGE_MS;
    this.maxRounds = options.maxRounds ?? 8;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
    // At 100 keys per second, 16 in flight keep the pace through round trips of up to 160 ms.
    this.maxInFlight = options.maxInFlight ?? 16;
    this.saveDelayMs = options.saveDelayMs ?? 2_000;
    this.notifyMs = options.notifyMs ?? 250;
    // Every read in flight listens on the one signal (two operations, their pages and retries).
    setMaxListeners(0, this.abort.signal);
  }

  setRows(rows: readonly KeyRow[]): void {
    if (this.closed) return;
    const touched = new Set<RegionReader>();
    for (const row of rows) {
      // AWS managed keys get no findings (their policy and grants are AWS's); undescribed keys have nothing to check.
      if (!row.metadata || row.metadata.keyManager === 'AWS') continue;
      const region = this.regionReader(row.region);
      if (region.entries.has(row.arn)) continue;
      const entry: Entry = { arn: row.arn, failures: 0, notBefore: 0, inFlight: false, forced: false };
      const stored = region.stored?.get(row.arn);
      if (stored) entry.value = stored;
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

  snapshot(): AccessSnapshot {
    if (this.cached) return this.cached;
    const values = new Map<string, KeyAccess>();
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
      bucket: new TokenBucket(this.perSecond, undefined, () => performance.now()),
      inFlight: 0,
      dirty: false,
      loaded: Promise.resolve(),
    };
    reader.loaded = this.loadStored(reader);
    reader.loop = this.run(reader);
    this.regions.set(name, reader);
    return reader;
  }

  private async loadStored(region: RegionReader): Promise<void> {
    if (!this.options.store) return;
    let stored: Map<string, KeyAccess>;
    try {
      stored = await this.options.store.load(region.region);
    } catch {
      return; // a cache that cannot be read costs only the reads it would have saved
    }
    for (const [arn, value] of stored) {
      const entry = region.entries.get(arn);
      if (entry && !entry.value && !entry.inFlight) entry.value = value;
    }
    region.stored = stored;
    this.changed();
  }

  private needsRead(entry: Entry, at: number): boolean {
    if (entry.forced || !entry.value) return true;
    const readAt = entry.value.readAt ? Date.parse(entry.value.readAt) : NaN;
    if (!Number.isFinite(readAt)) return true;
    return at - readAt >= this.maxAgeMs || readAt > at + 60_000;
  }

  private pick(region: RegionReader): { entry?: Entry; wakeAt?: number } {
    const at = this.now().getTime();
    const waiting: string[] = [];
    let wakeAt: number | undefined;
    for (const entry of region.entries.values()) {
      if (entry.inFlight || !this.needsRead(entry, at)) continue;
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
      const { entry } = this.pick(region);
      if (entry) void this.read(region, entry);
    }
  }

  private async read(region: RegionReader, entry: Entry): Promise<void> {
    entry.inFlight = true;
    entry.forced = false;
    region.inFlight += 1;
    const kms = this.clients.kms(region.region);
    const signal = this.abort.signal;
    const settle = async <T>(operation: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: KeywardenError }> => {
      try {
        return { ok: true, value: await call() };
      } catch (error) {
        return { ok: false, error: error instanceof KeywardenError ? error : toDomainError(error, operation) };
      }
    };
    try {
      const [policy, grants] = await Promise.all([
        settle('GetKeyPolicy', () => readPolicy(kms, entry.arn, signal)),
        settle('ListGrants', () => listGrants(kms, entry.arn, signal)),
      ]);
      if (this.closed) return;
      const failed = [policy, grants].filter((r): r is { ok: false; error: KeywardenError } => !r.ok);
      const retry = failed.some((r) => !FINAL_KINDS.has(r.error.kind)) && entry.failures + 1 < this.maxRounds;
      if (retry) {
        entry.failures += 1;
        entry.notBefore = Date.now() + this.backoffMs(entry.failures);
        return;
      }
      entry.failures = 0;
      entry.value = {
        policy: policy.ok ? policy.value : asProblem('GetKeyPolicy', policy.error),
        grants: grants.ok ? (grants.value as Grant[]) : asProblem('ListGrants', grants.error),
        readAt: this.now().toISOString(),
      };
      region.dirty = true;
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

  /** Writes each region's values; parts that could not be read are not kept (they are asked again next run). */
  private save(): Promise<void> {
    const store = this.options.store;
    if (!store) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      for (const region of this.regions.values()) {
        if (!region.dirty) continue;
        region.dirty = false;
        const values = new Map<string, KeyAccess>();
        for (const entry of region.entries.values()) {
          const value = entry.value;
          if (value && typeof value.policy === 'string' && Array.isArray(value.grants)) values.set(entry.arn, value);
        }
        await store.save(region.region, values).catch(() => undefined);
      }
    });
    return this.saving;
  }
}
