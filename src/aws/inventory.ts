// The inventory: ListKeys (paged) + ListAliases once per region, then per key DescribeKey,
// GetKeyRotationStatus (only where the key can rotate) and ListResourceTags, with bounded
// concurrency. Rows stream to the caller in small batches as they complete. Last use is not read
// here: GetKeyLastUsage allows 5 requests per second (KMS.md §7.1), so rows come with last use
// "pending" and src/aws/last-use-reader.ts fills it in the background (the key detail reads it
// for its one key).

import { setMaxListeners } from 'node:events';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ListAliasesCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import pLimit from 'p-limit';
import { KeywardenError } from '../domain/errors.js';
import { ON_DEMAND_ROTATION_LIMIT, type CallerIdentity, type KeyDetail, type KeyRow, type LastUsage, type ReadProblem } from '../domain/key.js';
import type { AccessFeed, InventoryHandlers, KeySource, LastUseFeed, RegionProgress } from '../domain/source.js';
import { AccessReader, type AccessReaderOptions } from './access-reader.js';
import { LastUseReader, type LastUseReaderOptions } from './last-use-reader.js';
import { type UsageLoadState, type UsageRequest } from '../domain/usage.js';
import type { InsightsTarget } from '../domain/insights.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { describeKey, listAliases, listGrants, listKeyPages, listRotations, listTags, readLastUsage, readPolicy, readRotation } from './kms-reads.js';

export interface InventoryOptions {
  /** Keys loaded at once per region. */
  concurrency?: number;
  /** Milliseconds between row batches handed to the view. */
  flushIntervalMs?: number;
  /** ListKeys page size (1–1000; default 1000, the fewest List calls). */
  pageSize?: number;
}

/** Keys loaded at once per Region when one account is read. */
export const REGION_CONCURRENCY = 24;
/**
 * Keys loaded at once over every account × Region of a several-account read. A key's row is a
 * DescribeKey and then two reads side by side, and the requests in flight over all accounts are
 * capped at 96 (src/app/connect.ts): more keys started than the cap can send only wait, each
 * holding its half-made requests. With 5 accounts × 3 Regions at 24 each, 360 keys waited at
 * once and the peak RSS of a 15,000-key read was 400–430 MB; at this bound it is under 300 MB,
 * and fewer waiting keys also cost less CPU (bench/org.mjs).
 */
export const ROWS_IN_FLIGHT = 48;

/** Keys loaded at once per Region when `pairs` account × Region pairs are read side by side. */
export function regionConcurrency(pairs: number): number {
  return Math.max(4, Math.min(REGION_CONCURRENCY, Math.round(ROWS_IN_FLIGHT / Math.max(1, pairs))));
}

function problem(what: string, error: unknown): ReadProblem {
  const domain = toDomainError(error);
  return { what, message: domain.message, code: domain.code ?? domain.kind };
}

/** Runs a read; on failure records a problem and returns the fallback. Aborts propagate. */
async function attempt<T>(what: string, problems: ReadProblem[], fallback: T, read: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (signal?.aborted) throw error;
    problems.push(problem(what, error));
    return fallback;
  }
}

/**
 * Reads one key's row: metadata, rotation, tags, and last use when `withLastUse` (else it is
 * "pending"). Never throws for a per-key failure.
 */
export async function loadRow(
  clients: Clients,
  region: string,
  key: { keyId: string; arn: string },
  aliases: string[],
  signal?: AbortSignal,
  withLastUse = true,
): Promise<KeyRow> {
  const kms = clients.kms(region);
  const problems: ReadProblem[] = [];
  const row: KeyRow = {
    keyId: key.keyId,
    arn: key.arn,
    region,
    aliases,
    tags: [],
    rotation: { kind: 'error', message: 'not read' },
    lastUsage: { kind: 'error', message: 'not read' },
    problems,
  };
  try {
    row.metadata = await describeKey(kms, key.arn || key.keyId, region, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    const p = problem('DescribeKey', error);
    problems.push(p);
    row.rotation = { kind: 'error', message: p.message };
    row.lastUsage = { kind: 'error', message: p.message };
    return row;
  }
  const meta = row.metadata;
  const [rotation, lastUsage, tags] = await Promise.all([
    readRotation(kms, meta, signal).catch((error: unknown) => {
      if (signal?.aborted) throw error;
      const p = problem('GetKeyRotationStatus', error);
      problems.push(p);
      return { kind: 'error', message: p.message } as const;
    }),
    withLastUse
      ? // Read at the account's time (the sandbox's clock on a sandbox), so its age is counted as the cache counts it.
        readLastUsage(kms, meta, signal, { now: () => clients.now() }).catch((error: unknown): LastUsage => {
          if (signal?.aborted) throw error;
          const p = problem('GetKeyLastUsage', error);
          problems.push(p);
          return { kind: 'error', message: p.message, readAt: clients.now().toISOString() };
        })
      : Promise.resolve<LastUsage>({ kind: 'pending' }),
    attempt('ListResourceTags', problems, [], () => listTags(kms, meta.arn, signal), signal),
  ]);
  row.rotation = rotation;
  row.lastUsage = lastUsage;
  row.tags = tags;
  return row;
}

/**
 * Why a whole region failed, in words. An opt-in region that is not enabled (or not yet ready)
 * answers with the same "security token is invalid" error as bad credentials; when the other
 * regions work, it is the region.
 */
function regionFailure(error: unknown): string {
  const domain = toDomainError(error);
  if (domain.code === 'UnrecognizedClientException' || domain.code === 'InvalidClientTokenId') {
    const raw = error instanceof Error ? error.message : String(error);
    return `not enabled for this account, or no access there (${domain.code}: ${raw})`;
  }
  return domain.message;
}

/**
 * Every request in flight listens on the caller's AbortSignal; with dozens at once Node would warn
 * about a listener leak on stderr — over the TUI. The listeners go away as requests finish.
 */
function allowManyListeners(signal: AbortSignal | undefined): void {
  if (signal) setMaxListeners(0, signal);
}

/** The account of an endpoint that does not serve STS, from the ARN of its first key or alias ('' when it has neither). */
async function identityFromKeys(clients: Clients): Promise<CallerIdentity> {
  const note = 'the endpoint does not serve STS';
  for (const region of clients.regions) {
    const kms = clients.kms(region);
    try {
      const keys = await kms.send(new ListKeysCommand({ Limit: 1 }));
      const fromKeys = keys.Keys?.[0]?.KeyArn;
      const fromAliases = fromKeys ? undefined : (await kms.send(new ListAliasesCommand({ Limit: 1 }))).Aliases?.[0]?.AliasArn;
      const account = (fromKeys ?? fromAliases)?.split(':')[4];
      if (account) return { account, arn: '', userId: '', note };
    } catch (error) {
      throw toDomainError(error, 'ListKeys');
    }
  }
  return { account: '', arn: '', userId: '', note };
}

export class AwsKeySource implements KeySource {
  readonly regions: readonly string[];
  private readonly clients: Clients;
  private readonly options: Required<InventoryOptions>;

  constructor(clients: Clients, options: InventoryOptions = {}) {
    this.clients = clients;
    this.regions = clients.regions;
    this.options = { concurrency: options.concurrency ?? REGION_CONCURRENCY, flushIntervalMs: options.flushIntervalMs ?? 40, pageSize: options.pageSize ?? 1000 };
  }

  /** A background reader of policies and grants for this source's rows (see src/aws/access-reader.ts). */
  accessFeed(options: AccessReaderOptions = {}): AccessFeed {
    return new AccessReader(this.clients, options);
  }

  /** A background reader of last use for this source's rows (see src/aws/last-use-reader.ts). */
  lastUseFeed(options: LastUseReaderOptions = {}): LastUseFeed {
    return new LastUseReader(this.clients, options);
  }

  async identity(): Promise<CallerIdentity> {
    try {
      const out = await this.clients.sts().send(new GetCallerIdentityCommand({}));
      return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
    } catch (error) {
      const domain = toDomainError(error, 'GetCallerIdentity');
      // AWS always serves STS: only an endpoint that is not AWS (a KMS-only emulator) says it does
      // not. Its keys' ARNs still name the account.
      if (domain.kind === 'not-served') return identityFromKeys(this.clients);
      throw domain;
    }
  }

  async loadInventory(handlers: InventoryHandlers, signal?: AbortSignal): Promise<void> {
    allowManyListeners(signal);
    const progress = new Map<string, RegionProgress>(
      this.regions.map((region) => [region, { region, listed: 0, loaded: 0, done: false }]),
    );
    let pending: KeyRow[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (pending.length > 0) {
        const batch = pending;
        pending = [];
        handlers.onRows(batch);
      }
      handlers.onProgress([...progress.values()].map((p) => ({ ...p })));
    };
    const schedule = () => {
      timer ??= setTimeout(flush, this.options.flushIntervalMs);
    };

    await Promise.all(
      this.regions.map(async (region) => {
        const state = progress.get(region)!;
        try {
          await this.loadRegion(region, state, (row) => {
            pending.push(row);
            schedule();
          }, schedule, signal);
        } catch (error) {
          if (signal?.aborted) return;
          state.error = regionFailure(error);
        } finally {
          state.done = true;
          schedule();
        }
      }),
    );
    if (timer) clearTimeout(timer);
    flush();
  }

  private async loadRegion(
    region: string,
    state: RegionProgress,
    onRow: (row: KeyRow) => void,
    onProgress: () => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const kms = this.clients.kms(region);
    const limit = pLimit(this.options.concurrency);
    const aliasesPromise = listAliases(kms, { signal });
    // An unreadable alias list must not stop the inventory: keys are still listed, without aliases.
    const aliasesOrEmpty = aliasesPromise.catch(() => new Map<string, string[]>());
    const work: Array<Promise<void>> = [];
    await listKeyPages(
      kms,
      (keys) => {
        state.listed += keys.length;
        onProgress();
        for (const key of keys) {
          work.push(
            limit(async () => {
              if (signal?.aborted) return;
              const aliases = (await aliasesOrEmpty).get(key.keyId) ?? [];
              const row = await loadRow(this.clients, region, key, aliases, signal, false);
              state.loaded += 1;
              onRow(row);
            }),
          );
        }
      },
      signal,
      this.options.pageSize,
    );
    await Promise.all(work);
    await aliasesPromise.catch((error: unknown) => {
      state.error = toDomainError(error, 'ListAliases').message;
    });
  }

  async loadDetail(key: { arn: string; region: string }, signal?: AbortSignal): Promise<KeyDetail> {
    allowManyListeners(signal);
    const kms = this.clients.kms(key.region);
    const keyId = key.arn;
    const aliasMap = await listAliases(kms, { keyId, signal }).catch(() => undefined);
    const keyIdFromArn = keyId.split('/').pop() ?? keyId;
    const aliases = aliasMap ? (aliasMap.get(keyIdFromArn) ?? []) : [];
    const row = await loadRow(this.clients, key.region, { keyId: keyIdFromArn, arn: key.arn }, aliases, signal);
    if (!aliasMap) row.problems.push({ what: 'ListAliases', message: 'could not list aliases', code: 'unknown' });
    const settle = async <T>(what: string, read: () => Promise<T>): Promise<T | ReadProblem> => {
      try {
        return await read();
      } catch (error) {
        if (signal?.aborted) throw error;
        return problem(what, error);
      }
    };
    const canListRotations = row.metadata !== undefined && row.rotation.kind !== 'unsupported' && row.metadata.keyManager === 'CUSTOMER';
    const [policy, grants, rotations] = await Promise.all([
      settle('GetKeyPolicy', () => readPolicy(kms, keyId, signal)),
      settle('ListGrants', () => listGrants(kms, keyId, signal)),
      canListRotations ? settle('ListKeyRotations', () => listRotations(kms, keyId, signal)) : Promise.resolve([]),
    ]);
    const detail: KeyDetail = { row, policy, grants, rotations };
    if (Array.isArray(rotations) && canListRotations) {
      const used = rotations.filter((r) => r.rotationType === 'ON_DEMAND').length;
      detail.onDemandRotationsLeft = Math.max(0, ON_DEMAND_ROTATION_LIMIT - used);
    }
    return detail;
  }

  private readonly insightsTargets = new Map<string, Promise<{ target?: InsightsTarget; why?: string }>>();

  /** The trail's log group for a Region, asked once per source (DescribeTrails, DescribeLogGroups). */
  private insightsTarget(region: string, signal?: AbortSignal): Promise<{ target?: InsightsTarget; why?: string }> {
    let found = this.insightsTargets.get(region);
    if (!found) {
      found = import('./insights.js').then(({ findInsightsTarget }) => findInsightsTarget(this.clients.cloudtrail(region), (r) => this.clients.logs(r), region, signal));
      this.insightsTargets.set(region, found);
      // A failed look-up (aborted, refused) is asked again next time.
      void found.then((f) => (f.target ? undefined : this.insightsTargets.delete(region)));
    }
    return found;
  }

  async loadUsage(key: { arn: string; region: string }, usageRequest: UsageRequest, signal?: AbortSignal): Promise<UsageLoadState> {
    // The window ends at the account's time (the sandbox's clock on a sandbox), not this machine's.
    const request = { ...usageRequest, now: this.clients.now() };
    if (request.cloudtrailS3) {
      const { readTrailBucket } = await import('./cloudtrail-s3.js');
      return readTrailBucket(this.clients, key, { ...request, cloudtrailS3: request.cloudtrailS3 }, signal);
    }
    if (request.cloudtrailDir) {
      const { readCloudTrailFiles } = await import('./cloudtrail-files.js');
      return readCloudTrailFiles(request.cloudtrailDir, key.arn, request, signal);
    }
    if (request.engine === 'auto') {
      const { readUsageWithChosenEngine } = await import('./usage-engine.js');
      return readUsageWithChosenEngine(this.clients, key, request, { findTarget: (region, s) => this.insightsTarget(region, s), ...(request.onEngine ? { onEngine: request.onEngine } : {}) }, signal);
    }
    if (request.engine === 'insights') {
      const { insightsKeyUsage } = await import('./insights.js');
      const found = await this.insightsTarget(key.region, signal);
      if (!found.target) throw new KeywardenError('unsupported', `Logs Insights cannot read this key's usage: ${found.why ?? 'no trail delivers to CloudWatch Logs'}`);
      return insightsKeyUsage(this.clients.logs(found.target.logGroupRegion), found.target, key.arn, request, signal);
    }
    const { lookupKeyEvents } = await import('./usage.js');
    return lookupKeyEvents(this.clients.cloudtrail(key.region), key.arn, request, signal);
  }
}

/**
 * Finds a key from what an operator typed: alias name (with or without `alias/`), key id or ARN.
 * An ARN names its region; otherwise each region is tried in order.
 */
export async function resolveKey(clients: Clients, ref: string, signal?: AbortSignal): Promise<{ arn: string; region: string }> {
  const text = ref.trim();
  if (!text) throw new KeywardenError('validation', 'no key given: pass an alias, key id or key ARN');
  const arnMatch = /^arn:aws[\w-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/.+$/.exec(text);
  const looksLikeId = /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(text);
  const candidate = arnMatch || looksLikeId || text.startsWith('alias/') ? text : `alias/${text}`;
  const regions = arnMatch ? [arnMatch[1]!] : clients.regions;
  let lastError: KeywardenError | undefined;
  for (const region of regions) {
    try {
      const meta = await describeKey(clients.kms(region), candidate, region, signal);
      return { arn: meta.arn, region };
    } catch (error) {
      const domain = toDomainError(error);
      if (domain.kind !== 'not-found') throw toDomainError(error, `looking up ${text} in ${region}`);
      lastError = domain;
    }
  }
  throw new KeywardenError('not-found', `no key "${text}" in ${regions.join(', ')} (tried ${candidate})`, {
    ...(lastError?.code ? { code: lastError.code } : {}),
  });
}
