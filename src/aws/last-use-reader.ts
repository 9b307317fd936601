// Last use in the background. GetKeyLastUsage allows 5 requests per second per account and Region
// (KMS.md §7.1, §11; AWS KMS Developer Guide, "Request quotas"): 1,000 keys take 200 s at best, so
// the inventory shows its rows at once with last use "pending" and the background reader
// (src/aws/background-reader.ts: paced per region, visible rows first, values reused for an hour,
// failures retried with a growing delay) fills it in with this payload.
//
// With `trail`, one Logs Insights query over the log group the trail delivers to (KMS.md §13)
// first gives the last successful use of every key of the region that has one in the group; a key
// it names is filled from it (labelled `source: 'trail'`) and not asked of GetKeyLastUsage. While
// the query runs (at most TRAIL_WAIT_MS) only the selected key is read; then GetKeyLastUsage reads
// what the query has not filled.

import { KeywardenError } from '../domain/errors.js';
import { LOOKUP_MAX_DAYS } from '../domain/insights.js';
import type { ReadLastUsage } from '../domain/last-use.js';
import { BackgroundKeyReader, FINAL_KINDS, type BackgroundReaderOptions, type ReaderPayload } from './background-reader.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { readLastUsage } from './kms-reads.js';
import { KMS_QUOTAS } from './rate-limit.js';

export type LastUseReaderOptions = BackgroundReaderOptions<ReadLastUsage> & {
  /** Fill last use from the trail's CloudWatch Logs log group first, when the trail delivers there (default false). */
  trail?: boolean;
};

const DAY_MS = 86_400_000;
/**
 * How far the keys view's one query reaches back: 90 days. A key used in that time gets its last
 * use from it; an older last use (or none) is read per key from GetKeyLastUsage, which knows it
 * anyway. A longer reach would scan a year of the account's trail on every start — Logs Insights
 * bills by the bytes scanned — for the few keys idle that long.
 */
const TRAIL_QUERY_DAYS = LOOKUP_MAX_DAYS;
/** How long the per-key reading waits for the trail's query (except for the selected key). */
const TRAIL_WAIT_MS = 15_000;

/**
 * One Logs Insights query for the last use of every key of the region, over the last
 * TRAIL_QUERY_DAYS (or what the trail's log group keeps, if less); undefined when the trail does
 * not deliver to Logs.
 */
async function trailLastUses({ clients, region, now, signal }: Parameters<NonNullable<ReaderPayload<ReadLastUsage>['prefill']>>[0]): Promise<Map<string, ReadLastUsage> | undefined> {
  const { findInsightsTarget, insightsLastUses } = await import('./insights.js');
  const found = await findInsightsTarget(clients.cloudtrail(region), (r) => clients.logs(r), region, signal);
  if (!found.target) return undefined;
  const endMs = now().getTime();
  const days = Math.min(TRAIL_QUERY_DAYS, found.target.retentionInDays ?? TRAIL_QUERY_DAYS);
  const { uses } = await insightsLastUses(clients.logs(found.target.logGroupRegion), found.target, region, { startMs: endMs - days * DAY_MS, endMs }, signal);
  const readAt = now().toISOString();
  return new Map([...uses].map(([arn, use]) => [arn, { kind: 'used', operation: use.operation, timestamp: use.timestamp, readAt, source: 'trail' } as ReadLastUsage]));
}

export const LAST_USE_PAYLOAD: ReaderPayload<ReadLastUsage> = {
  perSecond: KMS_QUOTAS.GetKeyLastUsage ?? 5,
  operation: 'GetKeyLastUsage',
  // A burst of one: a second's worth at once would be throttled by the account's other clients.
  burst: 1,
  // Two in flight keep the pace through a round trip of up to 400 ms, and leave the client's
  // bucket room for the one-key reads of the key detail.
  maxInFlight: 2,
  // A key that could not be described has no last use to read (its row says why).
  accepts: (row) => row.metadata !== undefined,
  async read(kms, row, { signal, now, lastTry }) {
    try {
      return { value: await readLastUsage(kms, { arn: row.arn, creationDate: row.metadata!.creationDate }, signal, { retry: false, now }) };
    } catch (error) {
      const domain = error instanceof KeywardenError ? error : toDomainError(error, 'GetKeyLastUsage');
      if (FINAL_KINDS.has(domain.kind) || lastTry) return { value: { kind: 'error', message: domain.message, readAt: now().toISOString() }, regionWide: domain.kind === 'not-served' };
      return { retry: true };
    }
  },
  keep: (value) => value.kind !== 'error',
};

export class LastUseReader extends BackgroundKeyReader<ReadLastUsage> {
  constructor(clients: Clients, options: LastUseReaderOptions = {}) {
    super(clients, options.trail ? { ...LAST_USE_PAYLOAD, prefill: trailLastUses, prefillWaitMs: TRAIL_WAIT_MS } : LAST_USE_PAYLOAD, options);
  }
}
