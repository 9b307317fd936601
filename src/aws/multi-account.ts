// The KeySource of several accounts: one AwsKeySource per account (its own clients, so its own
// pacing per account and Region), read side by side. Rows carry their account; progress is one
// entry per account × Region; an account that cannot be read is a failed entry with the reason
// and the others load. Detail, usage and the background readers go to the key's own account.

import type { CallerIdentity, KeyDetail, KeyRow } from '../domain/key.js';
import type { AccessFeed, AccessSnapshot, CachedInventory, InventoryHandlers, KeySource, LastUseFeed, LastUseSnapshot, RegionProgress } from '../domain/source.js';
import type { UsageLoadState, UsageRequest } from '../domain/usage.js';
import type { CallerTrails } from '../domain/caller-trails.js';
import type { LastUseProgress } from '../domain/last-use.js';
import { KeywardenError } from '../domain/errors.js';
import { AwsKeySource, regionConcurrency } from './inventory.js';
import type { AccountHandle } from './org.js';
import type { AccessReaderOptions } from './access-reader.js';
import type { LastUseReaderOptions } from './last-use-reader.js';

/** The account in a key ARN. */
export function accountOfArn(arn: string): string | undefined {
  return /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(arn)?.[1];
}

/** What reads one account: its AwsKeySource, or that source behind the disk caches (src/app/inventory-cache.ts). */
export type AccountKeySource = Pick<KeySource, 'loadInventory' | 'loadDetail' | 'cachedInventory'> & {
  loadUsage?: KeySource['loadUsage'];
  lastUseFeed?: KeySource['lastUseFeed'];
  accessFeed?: KeySource['accessFeed'];
  close?(): Promise<void>;
};

export class MultiAccountKeySource implements KeySource {
  readonly regions: readonly string[];
  private readonly sources = new Map<string, AccountKeySource>();
  private readonly feeds = new Set<{ close(): Promise<void> }>();

  constructor(
    readonly accounts: readonly AccountHandle[],
    regions: readonly string[],
    private readonly base: { identity(): Promise<CallerIdentity> },
    /**
     * How an account is read: by default its own AwsKeySource. The wiring wraps it in the disk
     * caches, keyed by the account's id (so each account has its own inventory, last-use and
     * access caches per Region).
     */
    sourceFor: (account: AccountHandle & { clients: NonNullable<AccountHandle['clients']> }, inner: AwsKeySource) => AccountKeySource = (_account, inner) => inner,
  ) {
    this.regions = regions;
    // The accounts are read side by side: together they start as many keys at once as one account would.
    const readable = accounts.filter((account) => account.clients);
    const concurrency = regionConcurrency(readable.length * regions.length);
    for (const account of readable) {
      if (account.clients) this.sources.set(account.id, sourceFor({ ...account, clients: account.clients }, new AwsKeySource(account.clients, { concurrency })));
    }
  }

  private annotate(account: AccountHandle, row: KeyRow): KeyRow {
    return { ...row, accountId: account.id, ...(account.name ? { accountName: account.name } : {}), ...(account.ou ? { accountOu: account.ou } : {}) };
  }

  /** Every account's cached inventory (each cache is one account's, per Region), rows naming their account. */
  async cachedInventory(): Promise<CachedInventory | undefined> {
    const reads = await Promise.all(
      this.accounts.map(async (account) => {
        const source = this.sources.get(account.id);
        const cached = source?.cachedInventory ? await source.cachedInventory().catch(() => undefined) : undefined;
        return cached ? { account, cached } : undefined;
      }),
    );
    const found = reads.filter((r): r is NonNullable<typeof r> => r !== undefined);
    if (found.length === 0) return undefined;
    return {
      rows: found.flatMap(({ account, cached }) => cached.rows.map((row) => this.annotate(account, row))),
      savedAt: found.map((f) => f.cached.savedAt).sort()[0]!,
      notices: found.flatMap((f) => f.cached.notices),
    };
  }

  /** The caller of the base credentials (the management account's operator). */
  identity(): Promise<CallerIdentity> {
    return this.base.identity();
  }

  private sourceOf(arn: string): AccountKeySource {
    const account = accountOfArn(arn);
    const source = account ? this.sources.get(account) : undefined;
    if (!source) throw new KeywardenError('not-found', `${arn} is not in an account keywarden reads`);
    return source;
  }

  private label(account: AccountHandle): string {
    return account.name || account.id;
  }

  async loadInventory(handlers: InventoryHandlers, signal?: AbortSignal): Promise<void> {
    const progress = new Map<string, RegionProgress[]>();
    // A profile whose account is unknown (its credentials failed) has no id: keyed by its name too.
    const keyOf = (account: AccountHandle) => `${account.id}/${account.name}`;
    for (const account of this.accounts) {
      progress.set(
        keyOf(account),
        this.regions.map((region) => ({ region, account: this.label(account), accountId: account.id, listed: 0, loaded: 0, done: account.error !== undefined, ...(account.error ? { error: account.error } : {}) })),
      );
    }
    const report = () => handlers.onProgress([...progress.values()].flat().map((p) => ({ ...p })));
    report();
    await Promise.all(
      this.accounts.map(async (account) => {
        const source = this.sources.get(account.id);
        if (!source) return;
        await source.loadInventory(
          {
            onRows: (rows) => handlers.onRows(rows.map((row) => this.annotate(account, row))),
            onProgress: (entries) => {
              progress.set(keyOf(account), entries.map((p) => ({ ...p, account: this.label(account), accountId: account.id })));
              report();
            },
          },
          signal,
        );
      }),
    );
    report();
  }

  async loadDetail(key: { arn: string; region: string }, signal?: AbortSignal): Promise<KeyDetail> {
    const detail = await this.sourceOf(key.arn).loadDetail(key, signal);
    const account = this.accounts.find((a) => a.id === accountOfArn(key.arn));
    if (!account) return detail;
    return { ...detail, row: this.annotate(account, detail.row) };
  }

  /**
   * The key's usage from its own account, and — read side by side, each account on its own
   * LookupEvents quota — the other accounts' trails for the key (`callerTrails`): a cross-account
   * call refused for access is logged only in the caller's account (src/aws/caller-trails.ts).
   * Progress carries `callerTrailsPending` until they are read. Not with log files.
   */
  async loadUsage(key: { arn: string; region: string }, request: UsageRequest, signal?: AbortSignal): Promise<UsageLoadState> {
    const source = this.sourceOf(key.arn);
    if (!source.loadUsage) throw new KeywardenError('unsupported', `usage cannot be read for ${key.arn}`);
    const owner = this.accounts.find((a) => a.id === accountOfArn(key.arn));
    if (request.cloudtrailDir || !this.accounts.some((a) => a !== owner)) return source.loadUsage(key, request, signal);
    const stop = new AbortController();
    const stopTrails = () => stop.abort();
    signal?.addEventListener('abort', stopTrails, { once: true });
    let trails: CallerTrails | undefined;
    let last: UsageLoadState | undefined;
    const withTrails = (state: UsageLoadState): UsageLoadState => ({ ...state, ...(trails ? { callerTrails: trails } : { callerTrailsPending: true }) });
    const reading = import('./caller-trails.js')
      .then(({ readCallerTrails }) => readCallerTrails(this.accounts, key, { window: request.window, now: owner?.clients?.now() ?? new Date() }, stop.signal))
      .then(
        (read) => {
          trails = read;
          if (last && !stop.signal.aborted) request.onProgress?.(withTrails(last));
          return read;
        },
        () => undefined,
      );
    try {
      const loaded = await source.loadUsage(
        key,
        {
          ...request,
          ...(request.onProgress
            ? {
                onProgress: (state: UsageLoadState) => {
                  last = state;
                  request.onProgress!(withTrails(state));
                },
              }
            : {}),
        },
        signal,
      );
      const read = await reading;
      return read ? { ...loaded, callerTrails: read } : loaded;
    } catch (error) {
      stop.abort();
      throw error;
    } finally {
      signal?.removeEventListener('abort', stopTrails);
    }
  }

  /**
   * A store handed in here is one account's (the caller's), so it is not passed on: each account's
   * source keeps its own values (on disk per account and Region when the wiring gave it the caches).
   */
  lastUseFeed(options: Pick<LastUseReaderOptions, 'store' | 'trail'> = {}): LastUseFeed {
    const { store: _store, ...rest } = options;
    return this.track(new CompositeFeed<LastUseSnapshot>([...this.sources].flatMap(([id, source]) => (source.lastUseFeed ? [[id, source.lastUseFeed(rest)] as [string, Feed<LastUseSnapshot>]] : []))));
  }

  private track<T extends { close(): Promise<void> }>(feed: T): T {
    this.feeds.add(feed);
    return feed;
  }

  /** Stops the background readers this source made. */
  async close(): Promise<void> {
    await Promise.all([...this.feeds].map((feed) => feed.close()));
    this.feeds.clear();
    await Promise.all([...this.sources.values()].map((source) => source.close?.()));
  }

  accessFeed(options: Pick<AccessReaderOptions, 'store'> = {}): AccessFeed {
    const { store: _store, ...rest } = options;
    return this.track(new CompositeFeed<AccessSnapshot>([...this.sources].flatMap(([id, source]) => (source.accessFeed ? [[id, source.accessFeed(rest)] as [string, Feed<AccessSnapshot>]] : []))));
  }
}

interface Feed<S> {
  setRows(rows: readonly KeyRow[]): void;
  focus(selected: string | undefined, visible: readonly string[]): void;
  reread(arn: string): void;
  subscribe(listener: () => void): () => void;
  snapshot(): S;
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** One background reader per account behind the single feed the views use: rows and focus go to their account's reader. */
class CompositeFeed<S extends { values: ReadonlyMap<string, unknown>; progress: LastUseProgress }> implements Feed<S> {
  private readonly feeds: Map<string, Feed<S>>;
  constructor(feeds: Array<[string, Feed<S>]>) {
    this.feeds = new Map(feeds);
  }
  private byAccount<T>(items: readonly T[], arnOf: (item: T) => string): Map<string, T[]> {
    const out = new Map<string, T[]>([...this.feeds.keys()].map((id) => [id, []]));
    for (const item of items) out.get(accountOfArn(arnOf(item)) ?? '')?.push(item);
    return out;
  }
  setRows(rows: readonly KeyRow[]): void {
    for (const [id, list] of this.byAccount(rows, (r) => r.arn)) this.feeds.get(id)!.setRows(list);
  }
  focus(selected: string | undefined, visible: readonly string[]): void {
    const split = this.byAccount(visible, (arn) => arn);
    const selectedAccount = selected ? accountOfArn(selected) : undefined;
    for (const [id, feed] of this.feeds) feed.focus(selectedAccount === id ? selected : undefined, split.get(id) ?? []);
  }
  reread(arn: string): void {
    const id = accountOfArn(arn);
    if (id) this.feeds.get(id)?.reread(arn);
  }
  subscribe(listener: () => void): () => void {
    const offs = [...this.feeds.values()].map((feed) => feed.subscribe(listener));
    return () => {
      for (const off of offs) off();
    };
  }
  /** The last merged snapshot and the accounts' snapshots it was made of: the same object until one of them changes (useSyncExternalStore needs that). */
  private last: { parts: S[]; merged: S } | undefined;

  snapshot(): S {
    const snapshots = [...this.feeds.values()].map((feed) => feed.snapshot());
    if (this.last && this.last.parts.length === snapshots.length && this.last.parts.every((part, i) => part === snapshots[i])) return this.last.merged;
    const merged = this.merge(snapshots);
    this.last = { parts: snapshots, merged };
    return merged;
  }

  private merge(snapshots: S[]): S {
    const values = new Map<string, unknown>();
    for (const snapshot of snapshots) for (const [arn, value] of snapshot.values) values.set(arn, value);
    const progress: LastUseProgress = {
      done: snapshots.reduce((sum, s) => sum + s.progress.done, 0),
      total: snapshots.reduce((sum, s) => sum + s.progress.total, 0),
      perSecond: snapshots.reduce((sum, s) => sum + s.progress.perSecond, 0),
      // Every account reads on its own quotas, side by side: the slowest decides.
      secondsLeft: snapshots.reduce((max, s) => Math.max(max, s.progress.secondsLeft), 0),
    };
    return { values, progress } as unknown as S;
  }
  async idle(): Promise<void> {
    await Promise.all([...this.feeds.values()].map((feed) => feed.idle()));
  }
  async close(): Promise<void> {
    await Promise.all([...this.feeds.values()].map((feed) => feed.close()));
  }
}
