// CloudWatch Logs Insights over the log group a CloudTrail trail delivers to (KMS.md §13):
// StartQuery, GetQueryResults polled with backoff until the query ends, StopQuery when the caller
// gives up. A key's usage is six queries run side by side (of the 30 an account may run at once),
// their rows turned into the same UsageSummary LookupEvents gives (src/domain/insights.ts).

import { DescribeTrailsCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import {
  DescribeLogGroupsCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type CloudWatchLogsClient,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { KeywardenError } from '../domain/errors.js';
import {
  keyUsageQueries,
  lastUsesFromRows,
  lastUsesQuery,
  summaryFromInsights,
  type InsightsQuery,
  type InsightsRow,
  type InsightsTarget,
  type TrailLastUse,
  type UsageQueryName,
  type UsageQueryRows,
} from '../domain/insights.js';
import { logGroupFromArn } from '../domain/retirement-observation.js';
import { windowRange, type UsageLoadState, type UsageProgress, type UsageRequest } from '../domain/usage.js';
import { toDomainError } from './errors.js';
import { abortError, sleep } from './usage.js';

/** First wait before asking for results again; it grows by half each time, up to MAX_POLL_MS. */
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 2_000;
/** Tries of StartQuery while the account already runs its 30 queries (LimitExceededException). */
const START_TRIES = 6;

export interface QueryTarget {
  logGroupName: string;
  /** Epoch ms; sent as whole seconds (the range is inclusive at both ends). */
  startMs: number;
  endMs: number;
}

export interface QueryStatistics {
  recordsMatched: number;
  recordsScanned: number;
  bytesScanned: number;
}

export interface QueryResult {
  rows: InsightsRow[];
  statistics: QueryStatistics;
}

function statisticsOf(out: GetQueryResultsCommandOutput): QueryStatistics {
  return { recordsMatched: out.statistics?.recordsMatched ?? 0, recordsScanned: out.statistics?.recordsScanned ?? 0, bytesScanned: out.statistics?.bytesScanned ?? 0 };
}

/**
 * Runs one query to its end. `onStatistics` hears the statistics after every poll. When `signal`
 * aborts, the query is stopped (StopQuery) and an AbortError thrown. A query that ends Failed,
 * Cancelled (by someone else) or Timeout throws a domain error naming the status.
 */
export async function runInsightsQuery(
  client: CloudWatchLogsClient,
  target: QueryTarget,
  query: InsightsQuery,
  options: { signal?: AbortSignal; onStatistics?: (statistics: QueryStatistics) => void } = {},
): Promise<QueryResult> {
  const { signal } = options;
  let queryId: string | undefined;
  for (let attempt = 0; queryId === undefined; attempt += 1) {
    try {
      const started = await client.send(
        new StartQueryCommand({
          logGroupName: target.logGroupName,
          // Whole seconds covering exactly the events whose eventTime (whole seconds) is in the window.
          startTime: Math.ceil(target.startMs / 1000),
          endTime: Math.floor(target.endMs / 1000),
          queryString: query.queryString,
          limit: query.limit,
        }),
        // Not aborted in flight: a query AWS started must be known, to be stopped.
      );
      queryId = started.queryId;
      if (!queryId) throw new KeywardenError('aws', 'Logs Insights StartQuery answered without a query id');
      if (signal?.aborted) {
        await client.send(new StopQueryCommand({ queryId })).catch(() => undefined);
        throw abortError();
      }
    } catch (error) {
      if (signal?.aborted || (error as Error).name === 'AbortError') throw abortError();
      // The account's concurrent queries are all taken (30, KMS.md §13): wait for one to end.
      if ((error as { name?: string }).name !== 'LimitExceededException' || attempt + 1 >= START_TRIES) throw toDomainError(error, 'Logs Insights StartQuery');
      await sleep(Math.min(8_000, 1_000 * 2 ** attempt), signal);
    }
  }
  let wait = FIRST_POLL_MS;
  try {
    for (;;) {
      await sleep(wait, signal);
      wait = Math.min(MAX_POLL_MS, Math.round(wait * 1.5));
      const out = await client.send(new GetQueryResultsCommand({ queryId }), { abortSignal: signal });
      const statistics = statisticsOf(out);
      options.onStatistics?.(statistics);
      if (out.status === 'Scheduled' || out.status === 'Running') continue;
      if (out.status !== 'Complete') throw new KeywardenError('aws', `Logs Insights query ${queryId} ended ${out.status ?? 'Unknown'}`, { code: `Query${out.status ?? 'Unknown'}` });
      const rows = (out.results ?? []).map((row) => {
        const cells: InsightsRow = {};
        for (const cell of row) if (cell.field !== undefined && cell.value !== undefined) cells[cell.field] = cell.value;
        return cells;
      });
      return { rows, statistics };
    }
  } catch (error) {
    if (signal?.aborted || (error as Error).name === 'AbortError') {
      // Give the account its query back; the answer does not matter.
      await client.send(new StopQueryCommand({ queryId })).catch(() => undefined);
      throw abortError();
    }
    if (error instanceof KeywardenError) throw error;
    throw toDomainError(error, 'Logs Insights GetQueryResults');
  }
}

export interface CompleteResult extends QueryResult {
  /** Queries run (1 when the window fitted in one answer). */
  parts: number;
  /** A one-second part still reached the row limit: rows are missing (never the case for trail records in practice). */
  truncated: boolean;
}

const ZERO: QueryStatistics = { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 };

function plus(a: QueryStatistics, b: QueryStatistics): QueryStatistics {
  return { recordsMatched: a.recordsMatched + b.recordsMatched, recordsScanned: a.recordsScanned + b.recordsScanned, bytesScanned: a.bytesScanned + b.bytesScanned };
}

/**
 * Runs a query over the whole window with no row lost to the 10,000-row limit (KMS.md §13): an
 * aggregation (`query.splittable`) whose answer reaches the limit is asked again for each half of
 * the window (whole seconds: [s, m] and [m + 1, e], StartQuery's range being inclusive at both
 * ends), and so on until each part's answer fits; the parts' rows are put together (their counts
 * add up, their maxima compare: src/domain/insights.ts reads them so). The statistics are those of
 * the parts kept. Parts run one after the other: the account's 30 concurrent queries are shared.
 */
export async function runInsightsQueryComplete(
  client: CloudWatchLogsClient,
  target: QueryTarget,
  query: InsightsQuery,
  options: { signal?: AbortSignal; onStatistics?: (statistics: QueryStatistics, parts: number) => void } = {},
): Promise<CompleteResult> {
  const rows: InsightsRow[] = [];
  let kept = ZERO;
  let parts = 0;
  let truncated = false;
  const run = async (from: number, to: number): Promise<void> => {
    const result = await runInsightsQuery(client, { logGroupName: target.logGroupName, startMs: from * 1000, endMs: to * 1000 }, query, {
      ...(options.signal ? { signal: options.signal } : {}),
      onStatistics: (s) => options.onStatistics?.(plus(kept, s), parts + 1),
    });
    parts += 1;
    if (query.splittable && result.rows.length >= query.limit && to > from) {
      const middle = Math.floor((from + to) / 2);
      await run(from, middle);
      await run(middle + 1, to);
      return;
    }
    if (query.splittable && result.rows.length >= query.limit) truncated = true;
    for (const row of result.rows) rows.push(row);
    kept = plus(kept, result.statistics);
  };
  await run(Math.ceil(target.startMs / 1000), Math.floor(target.endMs / 1000));
  return { rows, statistics: kept, parts, truncated };
}

/**
 * The trail that covers `region` and delivers to CloudWatch Logs, with its log group (and the
 * group's retention), or undefined with the reason there is none.
 */
export async function findInsightsTarget(
  cloudtrail: CloudTrailClient,
  logsFor: (region: string) => CloudWatchLogsClient,
  region: string,
  signal?: AbortSignal,
): Promise<{ target?: InsightsTarget; why?: string }> {
  let trails;
  try {
    trails = (await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }), { abortSignal: signal })).trailList ?? [];
  } catch (error) {
    return { why: `CloudTrail DescribeTrails failed: ${toDomainError(error).message}` };
  }
  const covering = trails.filter((t) => t.IsMultiRegionTrail || t.HomeRegion === region);
  const delivering = covering.find((t) => t.CloudWatchLogsLogGroupArn && logGroupFromArn(t.CloudWatchLogsLogGroupArn));
  if (!delivering) {
    return { why: covering.length === 0 ? `no trail covers ${region}` : `no trail covering ${region} delivers to CloudWatch Logs (no CloudWatchLogsLogGroupArn)` };
  }
  const group = logGroupFromArn(delivering.CloudWatchLogsLogGroupArn!)!;
  const target: InsightsTarget = { trailName: delivering.Name ?? 'the trail', logGroupName: group.name, logGroupRegion: group.region };
  try {
    const described = await logsFor(group.region).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group.name }), { abortSignal: signal });
    const found = described.logGroups?.find((g) => g.logGroupName === group.name);
    if (!found) {
      // An organization trail seen from a member account names the management account's log group:
      // its logs are there, not here (CloudTrail user guide, "Creating a trail for an organization").
      const trailAccount = /^arn:[^:]+:cloudtrail:[^:]*:(\d{12}):/.exec(delivering.TrailARN ?? '')?.[1];
      const elsewhere = delivering.IsOrganizationTrail === true && group.account === trailAccount;
      return {
        why: elsewhere
          ? `trail ${target.trailName} is the organization's trail: its log group ${group.name} is in account ${group.account}, which owns the trail, not in this account`
          : `trail ${target.trailName} names log group ${group.name}, which does not exist in ${group.region}`,
      };
    }
    if (found.retentionInDays !== undefined) target.retentionInDays = found.retentionInDays;
  } catch (error) {
    return { why: `CloudWatch Logs DescribeLogGroups failed: ${toDomainError(error).message}` };
  }
  return { target };
}

/**
 * A key's usage over the window through Logs Insights: the six queries side by side, progress as
 * records scanned. Stopping gives what is known: nothing (`progress.stopped`, no summary).
 */
export async function insightsKeyUsage(
  client: CloudWatchLogsClient,
  target: InsightsTarget,
  keyArn: string,
  request: UsageRequest & { now?: Date },
  signal?: AbortSignal,
): Promise<UsageLoadState> {
  const now = request.now ?? new Date();
  const { start, end } = windowRange(request.window, now);
  const queries = keyUsageQueries(keyArn, request.window);
  const names = Object.keys(queries) as UsageQueryName[];
  const scanned = new Map<UsageQueryName, QueryStatistics>();
  const parts = new Map<UsageQueryName, number>();
  const cut: UsageQueryName[] = [];
  const progress: UsageProgress = { source: 'insights', pages: 0, events: 0, throttled: 0, requestsPerSecond: 0, done: false, stopped: false, recordsScanned: 0, bytesScanned: 0 };
  const report = () => {
    // Every query scans the same records: the furthest one shows how far the scan is.
    const all = [...scanned.values()];
    progress.recordsScanned = Math.max(0, ...all.map((s) => s.recordsScanned));
    progress.bytesScanned = Math.max(0, ...all.map((s) => s.bytesScanned));
    const queriesRun = [...parts.values()].reduce((a, b) => a + b, 0);
    if (queriesRun > names.length) progress.queryParts = queriesRun;
    request.onProgress?.({ keyArn, window: request.window, events: [], progress: { ...progress } });
  };
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Settled, not raced: after a stop or a failure every started query has been stopped before this returns.
    const settled = await Promise.allSettled(
      names.map(async (name) => {
        try {
          const result = await runInsightsQueryComplete(client, { logGroupName: target.logGroupName, startMs: start.getTime(), endMs: end.getTime() }, queries[name], {
            signal: inner.signal,
            onStatistics: (s, n) => {
              scanned.set(name, s);
              parts.set(name, n);
              report();
            },
          });
          progress.pages += 1;
          if (result.truncated) cut.push(name);
          return [name, result.rows] as const;
        } catch (error) {
          inner.abort(); // one failed: stop the others
          throw error;
        }
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && (r.reason as Error)?.name !== 'AbortError') ?? settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const rows = Object.fromEntries(settled.map((r) => (r as PromiseFulfilledResult<readonly [UsageQueryName, InsightsRow[]]>).value)) as UsageQueryRows;
    const summary = summaryFromInsights(rows, request.window, now);
    progress.done = true;
    progress.events = summary.total;
    if (cut.length > 0) progress.truncated = cut;
    const state: UsageLoadState = { keyArn, window: request.window, events: [], progress: { ...progress }, summary };
    request.onProgress?.(state);
    return state;
  } catch (error) {
    if (signal?.aborted) {
      progress.stopped = true;
      return { keyArn, window: request.window, events: [], progress: { ...progress } };
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The last successful use of every key of `region` whose records reach the trail's log group, in
 * one query over the window (at most the group's retention), asked in parts when the answer
 * reaches 10,000 rows (more keys than that). `complete` is false only when a one-second part
 * still reached the limit (keys missing from it are then unknown, not unused).
 */
export async function insightsLastUses(
  client: CloudWatchLogsClient,
  target: InsightsTarget,
  region: string,
  window: { startMs: number; endMs: number },
  signal?: AbortSignal,
): Promise<{ uses: Map<string, TrailLastUse>; complete: boolean; statistics: QueryStatistics }> {
  const query = lastUsesQuery(region);
  const result = await runInsightsQueryComplete(client, { logGroupName: target.logGroupName, ...window }, query, signal ? { signal } : {});
  return { uses: lastUsesFromRows(result.rows, region), complete: !result.truncated, statistics: result.statistics };
}
