// The last inventory per account, endpoint and region, on disk, so the keys view has rows the
// moment it opens (marked stale) while the fresh inventory loads.
//
// Keying: the account id comes from STS (GetCallerIdentity), never from a profile name, and the
// endpoint is part of the key ("aws" for the real endpoints of the partition, "sandbox" for the
// built-in sandbox whatever its port, else the --endpoint-url), so the sandbox's 111122223333
// never shows in a real account of the same id and one account's keys never show in another.
// Each row is checked again on reading: a row whose ARN names another account or region is
// dropped. A file that cannot be read or fails the schema is ignored with a notice, never fatal.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { CallerIdentity, KeyRow } from '../domain/key.js';
import type { AccessFeed, AccessStore, CachedInventory, InventoryHandlers, KeySource, LastUseFeed, LastUseStore, RegionProgress } from '../domain/source.js';
import { readRecord, writeRecord } from '../journal/atomic-record.js';
import { dataDir } from '../journal/paths.js';
import { DiskLastUseStore } from './last-use-cache.js';
import { DiskAccessStore } from './access-cache.js';
import type { AccountHandle } from '../aws/org.js';
import { MultiAccountKeySource } from '../aws/multi-account.js';
import type { AwsKeySource } from '../aws/inventory.js';

export interface CacheScope {
  account: string;
  /** "aws", "sandbox" or the endpoint URL. */
  endpoint: string;
  region: string;
}

const CACHE_VERSION = 1;

const rowSchema = z.looseObject({
  keyId: z.string(),
  arn: z.string(),
  region: z.string(),
  aliases: z.array(z.string()),
  tags: z.array(z.object({ key: z.string(), value: z.string() })),
  metadata: z.looseObject({ keyId: z.string(), arn: z.string(), state: z.string(), keyManager: z.string() }).optional(),
  rotation: z.looseObject({ kind: z.enum(['enabled', 'disabled', 'unsupported', 'error']) }),
  lastUsage: z.looseObject({ kind: z.enum(['used', 'never', 'not-since-tracking', 'pending', 'error']) }),
  problems: z.array(z.looseObject({ what: z.string(), message: z.string(), code: z.string() })),
});

const cacheSchema = z.object({
  version: z.literal(CACHE_VERSION),
  account: z.string(),
  endpoint: z.string(),
  region: z.string(),
  savedAt: z.string(),
  rows: z.array(rowSchema),
});

export function inventoryCacheDir(): string {
  return path.join(dataDir(), 'inventory-cache');
}

/** One file per account + endpoint + region; the name is a digest so no part of it needs escaping. */
export function inventoryCacheFile(scope: CacheScope): string {
  const digest = createHash('sha256').update(`${scope.account}\n${scope.endpoint}\n${scope.region}`).digest('hex').slice(0, 24);
  return path.join(inventoryCacheDir(), `${scope.account}-${scope.region}-${digest}.json`);
}

/** Where the account and region of a KMS key ARN are: arn:PARTITION:kms:REGION:ACCOUNT:key/ID. */
function arnScope(arn: string): { region: string; account: string } | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[2] === 'kms' ? { region: parts[3] ?? '', account: parts[4] ?? '' } : undefined;
}

export async function writeInventoryCache(scope: CacheScope, rows: readonly KeyRow[], savedAt = new Date()): Promise<void> {
  const own = rows.filter((row) => row.region === scope.region && arnScope(row.arn)?.account === scope.account);
  await writeRecord(inventoryCacheFile(scope), {
    version: CACHE_VERSION,
    account: scope.account,
    endpoint: scope.endpoint,
    region: scope.region,
    savedAt: savedAt.toISOString(),
    rows: own,
  });
}

export type CacheRead = { ok: true; rows: KeyRow[]; savedAt: string } | { ok: false; notice?: string };

export async function readInventoryCache(scope: CacheScope): Promise<CacheRead> {
  const file = inventoryCacheFile(scope);
  const read = await readRecord(file, cacheSchema);
  if (!read.ok) return read.reason === 'missing' ? { ok: false } : { ok: false, notice: `inventory cache ignored: ${read.detail}` };
  const value = read.value;
  if (value.account !== scope.account || value.endpoint !== scope.endpoint || value.region !== scope.region) {
    return { ok: false, notice: `inventory cache ignored: ${file} belongs to another account, endpoint or region` };
  }
  const rows = (value.rows as unknown as KeyRow[]).filter((row) => {
    const at = arnScope(row.arn);
    return at?.account === scope.account && at.region === scope.region && row.region === scope.region;
  });
  return { ok: true, rows, savedAt: value.savedAt };
}

/**
 * A KeySource that serves the cached inventory and saves each region's fresh inventory when it
 * has loaded completely (a region that failed keeps its previous cache).
 */
export class CachingKeySource implements KeySource {
  private identityPromise: Promise<CallerIdentity> | undefined;
  private readonly feeds = new Set<LastUseFeed | AccessFeed>();

  constructor(
    private readonly inner: KeySource,
    /** "aws", "sandbox" or the endpoint URL (see CacheScope). */
    private readonly endpoint: string,
    /** The account's time (the sandbox's clock on a sandbox): a cache's age is measured against the data's own clock. */
    private readonly now: () => Date = () => new Date(),
    /**
     * The account the inner source reads, when it is known already (an account of --org or
     * --profiles): the caches are keyed by it without asking STS. Otherwise GetCallerIdentity says.
     */
    private readonly knownAccount?: string,
  ) {}

  /** The account the caches are keyed by ('' when it cannot be known: then nothing is cached). */
  private async account(): Promise<string> {
    if (this.knownAccount !== undefined) return this.knownAccount;
    return (await this.identity()).account;
  }

  get regions(): readonly string[] {
    return this.inner.regions;
  }

  identity(): Promise<CallerIdentity> {
    if (!this.identityPromise) {
      const promise = this.inner.identity();
      this.identityPromise = promise;
      promise.catch(() => {
        if (this.identityPromise === promise) this.identityPromise = undefined;
      });
    }
    return this.identityPromise;
  }

  async cachedInventory(): Promise<CachedInventory | undefined> {
    const account = await this.account();
    if (!account) return undefined;
    const reads = await Promise.all(this.regions.map((region) => readInventoryCache({ account, endpoint: this.endpoint, region })));
    const rows: KeyRow[] = [];
    const notices: string[] = [];
    let oldest: string | undefined;
    for (const read of reads) {
      if (read.ok) {
        rows.push(...read.rows);
        if (!oldest || read.savedAt < oldest) oldest = read.savedAt;
      } else if (read.notice) notices.push(read.notice);
    }
    if (!oldest && notices.length === 0) return undefined;
    return { rows, savedAt: oldest ?? this.now().toISOString(), notices };
  }

  async loadInventory(handlers: InventoryHandlers, signal?: AbortSignal): Promise<void> {
    const byRegion = new Map<string, Map<string, KeyRow>>();
    let progress: RegionProgress[] = [];
    await this.inner.loadInventory(
      {
        onRows(rows) {
          for (const row of rows) {
            let regionRows = byRegion.get(row.region);
            if (!regionRows) byRegion.set(row.region, (regionRows = new Map()));
            regionRows.set(row.arn, row);
          }
          handlers.onRows(rows);
        },
        onProgress(next) {
          progress = next;
          handlers.onProgress(next);
        },
      },
      signal,
    );
    if (signal?.aborted) return;
    let account: string;
    try {
      account = await this.account();
    } catch {
      return; // no account id, no cache: it could not be keyed safely
    }
    if (!account) return;
    const complete = progress.filter((p) => p.done && !p.error);
    await Promise.all(
      complete.map((p) =>
        writeInventoryCache({ account, endpoint: this.endpoint, region: p.region }, [...(byRegion.get(p.region)?.values() ?? [])], this.now()).catch(
          () => undefined, // a cache that cannot be written costs only the next start's head start
        ),
      ),
    );
  }

  loadDetail(key: { arn: string; region: string }, signal?: AbortSignal) {
    return this.inner.loadDetail(key, signal);
  }

  /** The inner source's last-use reader, keeping its values on disk for this account and endpoint. */
  get lastUseFeed(): ((options?: { store?: LastUseStore; trail?: boolean }) => LastUseFeed) | undefined {
    const inner = this.inner.lastUseFeed?.bind(this.inner);
    if (!inner) return undefined;
    return (options = {}) => {
      const feed = inner({ store: options.store ?? new DiskLastUseStore(() => this.account(), this.endpoint), ...(options.trail !== undefined ? { trail: options.trail } : {}) });
      this.feeds.add(feed);
      return feed;
    };
  }

  /** The inner source's policy and grant reader, keeping its values on disk for this account and endpoint. */
  get accessFeed(): ((options?: { store?: AccessStore }) => AccessFeed) | undefined {
    const inner = this.inner.accessFeed?.bind(this.inner);
    if (!inner) return undefined;
    return (options = {}) => {
      const feed = inner({ store: options.store ?? new DiskAccessStore(() => this.account(), this.endpoint) });
      this.feeds.add(feed);
      return feed;
    };
  }

  /** Stops every last-use and access reader made here and waits until their values are on disk (before the program exits). */
  async close(): Promise<void> {
    const feeds = [...this.feeds];
    this.feeds.clear();
    await Promise.all(feeds.map((feed) => feed.close().catch(() => undefined)));
  }

  get loadUsage(): KeySource['loadUsage'] {
    return this.inner.loadUsage?.bind(this.inner);
  }
}

/** The endpoint part of the cache key for a session. */
export function cacheEndpointKey(session: { sandbox: boolean; endpoint?: string }): string {
  if (session.sandbox) return 'sandbox';
  return session.endpoint ?? 'aws';
}

/**
 * Several accounts (--org, --profiles) read side by side, each through its own source behind its
 * own disk caches: inventory, last use and access per account (its id, known without asking STS),
 * endpoint and Region, so a second run starts from what the first one read in every account.
 */
export function multiAccountCachingSource(
  accounts: readonly AccountHandle[],
  session: { regions: readonly string[]; sandbox: boolean; endpoint?: string },
  base: AwsKeySource,
  now: () => Date,
): MultiAccountKeySource {
  const endpoint = cacheEndpointKey(session);
  return new MultiAccountKeySource(accounts, session.regions, base, (account, inner) => new CachingKeySource(inner, endpoint, now, account.id));
}
