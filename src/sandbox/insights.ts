// CloudWatch Logs Insights (StartQuery, GetQueryResults, StopQuery, DescribeQueries) over the
// sandbox's log groups: the same events the metric filters see, and for the CloudTrail trail's
// group also what the trail delivered before the sandbox stored it (cloudtrail.ts
// trailDeliveredArchive). Queries live in memory. Behaviour and sources: docs/sandbox.md,
// "Logs Insights".

import { createHash, randomUUID } from 'node:crypto';
import { TRAIL_HOME_REGION, trailDeliveredArchive, trailIdentity, trailStreamName } from './cloudtrail.js';
import { finishQuery, MAX_QUERY_ROWS, newScan, parseQuery, QueryCompileError, scanEvent, type ParsedQuery, type QueryEvent, type QueryOutcome, type QueryScan } from './insights-query.js';
import { MAX_EVENTS_PER_GROUP, findLogGroup } from './logs.js';
import { AwsError, validationError, type Handler, type RequestContext } from './protocol.js';
import type { LogGroupRecord, Store } from './state.js';

const DAY = 86_400_000;
/** StartQuery API reference: "You can have up to 30 concurrent CloudWatch Logs insights queries". */
export const MAX_CONCURRENT_QUERIES = 30;
/** StartQuery API reference: "Queries time out after 60 minutes of runtime." (sandbox time) */
export const QUERY_TIMEOUT_MS = 60 * 60_000;
/** CloudWatch Logs quotas: query results are available for 7 days. (sandbox time) */
export const RESULTS_KEPT_MS = 7 * DAY;
/** At most 50 log groups per query (StartQuery `logGroupNames`, `logGroupIdentifiers`). */
const MAX_GROUPS = 50;
const MAX_QUERY_LENGTH = 10_000;

/**
 * How long a query takes at least, in real (wall-clock) time: it is Scheduled, then Running, then
 * Complete, so a client must poll as it must against AWS. Longer for more records scanned.
 */
export function queryRunMs(recordsScanned: number): number {
  return Math.min(3_000, 400 + Math.floor(recordsScanned / 200));
}
const SCHEDULED_MS = 50;
/** Events scanned between two turns of the event loop: a query never holds up the sandbox's other requests for long. */
const SCAN_CHUNK = 2_000;

type QueryStatus = 'Scheduled' | 'Running' | 'Complete' | 'Failed' | 'Cancelled' | 'Timeout' | 'Unknown';

interface QueryRecord {
  queryId: string;
  region: string;
  queryString: string;
  logGroupNames: string[];
  /** Sandbox time (epoch ms) the query started. */
  createTime: number;
  /** Wall-clock start and (once the scan is done) run time. */
  startedAt: number;
  runMs?: number;
  /** What has been scanned so far; the outcome once the scan is done. */
  scan: QueryScan;
  outcome?: QueryOutcome;
  final?: 'Cancelled' | 'Timeout' | 'Failed';
}

const queriesByStore = new WeakMap<Store, Map<string, QueryRecord>>();

function queriesOf(store: Store): Map<string, QueryRecord> {
  let map = queriesByStore.get(store);
  if (!map) queriesByStore.set(store, (map = new Map()));
  return map;
}

function statusOf(query: QueryRecord, nowMs: number): QueryStatus {
  if (query.final) return query.final;
  const elapsed = Date.now() - query.startedAt;
  if (query.outcome && query.runMs !== undefined && elapsed >= query.runMs) return 'Complete';
  if (nowMs - query.createTime >= QUERY_TIMEOUT_MS) {
    query.final = 'Timeout';
    return 'Timeout';
  }
  return elapsed < SCHEDULED_MS ? 'Scheduled' : 'Running';
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function malformed(error: QueryCompileError): AwsError {
  const out = new AwsError('MalformedQueryException', error.message) as AwsError & { fields?: Record<string, unknown> };
  out.fields = { queryCompileError: { location: { startCharOffset: error.start, endCharOffset: error.end }, message: error.message } };
  return out;
}

function epochSeconds(params: Record<string, unknown>, field: string): number {
  const value = params[field];
  if (value === undefined || value === null) throw new AwsError('InvalidParameterException', validationError(null, field, 'Member must not be null').message);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (value < 0) throw invalid(validationError(value, field, 'Member must have value greater than or equal to 0').message);
  return value;
}

function groupNamesOf(params: Record<string, unknown>): string[] {
  const given = ['logGroupName', 'logGroupNames', 'logGroupIdentifiers'].filter((f) => params[f] !== undefined && params[f] !== null);
  if (given.length !== 1) throw invalid('Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.');
  const field = given[0]!;
  const raw = params[field];
  const list = field === 'logGroupName' ? [raw] : raw;
  if (!Array.isArray(list)) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (list.length < 1) throw invalid(validationError('[]', field, 'Member must have length greater than or equal to 1').message);
  if (list.length > MAX_GROUPS) throw invalid(validationError(`${list.length} items`, field, `Member must have length less than or equal to ${MAX_GROUPS}`).message);
  return list.map((item) => {
    if (typeof item !== 'string' || item === '') throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
    const arn = /^arn:aws[\w-]*:logs:[^:]*:\d{12}:log-group:([^:]+)(:\*)?$/.exec(item);
    if (field === 'logGroupIdentifiers' && arn) return arn[1]!;
    return item;
  });
}

/**
 * Generated history records are cached by the trail; their size is remembered here, not their
 * JSON text: a year of the trail's history scanned again and again would otherwise keep its
 * whole text (tens of MB) alive. The text is made again when a query reads @message.
 */
const sizes = new WeakMap<object, number>();
function sizeOf(record: object): number {
  let size = sizes.get(record);
  if (size === undefined) sizes.set(record, (size = Buffer.byteLength(JSON.stringify(record))));
  return size;
}

/** The events of one group in [fromMs, toMs] (retention applied), as the engine reads them. */
function* groupEvents(store: Store, group: LogGroupRecord, fromMs: number, toMs: number, nowMs: number): Generator<QueryEvent> {
  const retained = group.retentionInDays !== undefined ? nowMs - group.retentionInDays * DAY : -Infinity;
  const from = Math.max(fromMs, retained);
  const log = `${store.account}:${group.name}`;
  let stored = 0;
  let oldest = Infinity;
  for (const stream of group.streams) {
    stored += stream.events.length;
    if (stream.events.length > 0) oldest = Math.min(oldest, stream.events[0]!.timestamp);
    for (const event of stream.events) {
      if (event.timestamp < from || event.timestamp > toMs) continue;
      let parsed: Record<string, unknown> | undefined | null = null;
      yield {
        timestamp: event.timestamp,
        ingestionTime: event.ingestionTime,
        logStream: stream.name,
        log,
        ptr: Buffer.from(`${group.name}/${stream.name}/${event.eventId}`).toString('base64'),
        message: () => event.message,
        json: () => {
          if (parsed === null) {
            try {
              const value: unknown = JSON.parse(event.message);
              parsed = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
            } catch {
              parsed = undefined;
            }
          }
          return parsed;
        },
      };
    }
  }
  if (group.region !== TRAIL_HOME_REGION || group.name !== trailIdentity(store.account).logGroup) return;
  for (const entry of trailDeliveredArchive(store, from, toMs, stored >= MAX_EVENTS_PER_GROUP ? oldest : undefined)) {
    if (entry.time < from || entry.time > toMs) continue;
    const stream = trailStreamName(store.account, String(entry.record.awsRegion));
    yield {
      timestamp: entry.time,
      ingestionTime: entry.time,
      logStream: stream,
      log,
      ptr: Buffer.from(`${group.name}/${stream}/${entry.record.eventID}`).toString('base64'),
      message: () => JSON.stringify(entry.record),
      bytes: () => sizeOf(entry.record),
      json: () => entry.record,
    };
  }
}

function running(store: Store, nowMs: number): number {
  let count = 0;
  for (const query of queriesOf(store).values()) {
    const status = statusOf(query, nowMs);
    if (status === 'Scheduled' || status === 'Running') count += 1;
  }
  return count;
}

function dropExpired(store: Store, nowMs: number): void {
  const queries = queriesOf(store);
  for (const [id, query] of queries) if (nowMs - query.createTime > RESULTS_KEPT_MS) queries.delete(id);
}

const startQuery: Handler = (ctx: RequestContext, params) => {
  const nowMs = ctx.now().getTime();
  dropExpired(ctx.store, nowMs);
  const names = groupNamesOf(params);
  const startTime = epochSeconds(params, 'startTime');
  const endTime = epochSeconds(params, 'endTime');
  const queryString = params.queryString;
  if (queryString === undefined || queryString === null) throw invalid(validationError(null, 'queryString', 'Member must not be null').message);
  if (typeof queryString !== 'string') throw new AwsError('SerializationException', 'Unexpected value type for queryString');
  if (queryString.length > MAX_QUERY_LENGTH) throw invalid(validationError(`${queryString.length} characters`, 'queryString', `Member must have length less than or equal to ${MAX_QUERY_LENGTH}`).message);
  const limit = params.limit;
  if (limit !== undefined && limit !== null && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_ROWS)) {
    throw invalid(validationError(limit, 'limit', `Member must have value between 1 and ${MAX_QUERY_ROWS}`).message);
  }
  if (params.queryLanguage !== undefined && params.queryLanguage !== null && params.queryLanguage !== 'CWLI') {
    // CHOICE: the sandbox runs Logs Insights QL only (not the OpenSearch SQL or PPL languages).
    throw invalid(`The sandbox runs queryLanguage CWLI only, not ${String(params.queryLanguage)}.`);
  }
  // CHOICE (message): AWS's wording for an inverted range is not documented.
  if (endTime < startTime) throw invalid('endTime must be greater than or equal to startTime');
  let parsed;
  try {
    parsed = parseQuery(queryString);
  } catch (error) {
    if (error instanceof QueryCompileError) throw malformed(error);
    throw error;
  }
  const groups = names.map((name) => {
    const group = findLogGroup(ctx.store, ctx.region, name);
    if (!group) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return group;
  });
  if (running(ctx.store, nowMs) >= MAX_CONCURRENT_QUERIES) {
    // The concurrency error as AWS words it (seen in the wild with the older limit of 10).
    throw new AwsError('LimitExceededException', `Account maximum query concurrency limit of [${MAX_CONCURRENT_QUERIES}] reached.`);
  }
  // The range is inclusive at both ends (StartQuery API reference: "the specified end time is
  // included in the query"): CHOICE, the whole end second is, so [s, m] and [m + 1, e] together
  // are exactly [s, e] for log events with millisecond timestamps.
  const fromMs = startTime * 1000;
  const toMs = endTime * 1000 + 999;
  const events = (function* () {
    for (const group of groups) yield* groupEvents(ctx.store, group, fromMs, toMs, nowMs);
  })();
  const queryId = randomUUID();
  const record: QueryRecord = { queryId, region: ctx.region, queryString, logGroupNames: groups.map((g) => g.name), createTime: nowMs, startedAt: Date.now(), scan: newScan() };
  queriesOf(ctx.store).set(queryId, record);
  void scanInTurns(record, parsed, events, typeof limit === 'number' ? limit : MAX_QUERY_ROWS);
  return { queryId };
};

/** Scans the events a chunk at a time, letting other requests in between, until done or stopped. */
async function scanInTurns(record: QueryRecord, parsed: ParsedQuery, events: Iterator<QueryEvent>, maxRows: number): Promise<void> {
  try {
    for (;;) {
      for (let i = 0; i < SCAN_CHUNK; i += 1) {
        const next = events.next();
        if (next.done) {
          record.outcome = finishQuery(parsed, record.scan, maxRows);
          record.runMs = queryRunMs(record.outcome.recordsScanned);
          return;
        }
        scanEvent(parsed, record.scan, next.value);
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (record.final) return; // stopped, or timed out
    }
  } catch {
    // An event the engine could not handle: AWS would report the query Failed.
    record.final = 'Failed';
  }
}

function findQuery(ctx: RequestContext, params: Record<string, unknown>): QueryRecord {
  const id = params.queryId;
  if (id === undefined || id === null) throw invalid(validationError(null, 'queryId', 'Member must not be null').message);
  if (typeof id !== 'string') throw new AwsError('SerializationException', 'Unexpected value type for queryId');
  if (id.length > 256) throw invalid(validationError(id, 'queryId', 'Member must have length less than or equal to 256').message);
  dropExpired(ctx.store, ctx.now().getTime());
  const query = queriesOf(ctx.store).get(id);
  // CHOICE (message): an unknown or expired query id.
  if (!query || query.region !== ctx.region) throw new AwsError('ResourceNotFoundException', `Query ${id} does not exist.`);
  return query;
}

const getQueryResults: Handler = (ctx, params) => {
  const query = findQuery(ctx, params);
  const status = statusOf(query, ctx.now().getTime());
  const { outcome, scan } = query;
  // While running, the statistics are what has been scanned so far (held back a little after the
  // scan until the query's run time is up, so they grow smoothly to their final values).
  const share = status === 'Complete' || !outcome || query.runMs === undefined ? 1 : Math.min(0.99, (Date.now() - query.startedAt) / query.runMs);
  const scaled = (n: number) => Math.floor(n * share);
  return {
    queryLanguage: 'CWLI',
    // Partial results while running: none (a stats query has nothing final before it completes).
    results: status === 'Complete' && outcome ? outcome.rows : [],
    statistics: {
      recordsMatched: scaled(outcome?.recordsMatched ?? scan.rows.length),
      recordsScanned: scaled(outcome?.recordsScanned ?? scan.recordsScanned),
      bytesScanned: scaled(outcome?.bytesScanned ?? scan.bytesScanned),
    },
    status,
  };
};

const stopQuery: Handler = (ctx, params) => {
  const query = findQuery(ctx, params);
  const status = statusOf(query, ctx.now().getTime());
  // CHOICE: stopping a query that has already ended changes nothing and reports success false.
  if (status !== 'Scheduled' && status !== 'Running') return { success: false };
  query.final = 'Cancelled';
  return { success: true };
};

const STATUSES: QueryStatus[] = ['Scheduled', 'Running', 'Complete', 'Failed', 'Cancelled', 'Timeout', 'Unknown'];

const describeQueries: Handler = (ctx, params) => {
  const nowMs = ctx.now().getTime();
  dropExpired(ctx.store, nowMs);
  const groupName = params.logGroupName;
  if (groupName !== undefined && groupName !== null && typeof groupName !== 'string') throw new AwsError('SerializationException', 'Unexpected value type for logGroupName');
  const status = params.status;
  if (status !== undefined && status !== null && !STATUSES.includes(status as QueryStatus)) {
    throw invalid(validationError(status, 'status', `Member must satisfy enum value set: [${STATUSES.join(', ')}]`).message);
  }
  const max = params.maxResults ?? 1000;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) throw invalid(validationError(max, 'maxResults', 'Member must have value between 1 and 1000').message);
  const hash = createHash('sha256').update(JSON.stringify([groupName ?? null, status ?? null, max])).digest('hex').slice(0, 12);
  let offset = 0;
  if (typeof params.nextToken === 'string' && params.nextToken !== '') {
    const match = /^([0-9a-f]{12}):(\d+)$/.exec(Buffer.from(params.nextToken, 'base64url').toString('utf8'));
    if (!match || match[1] !== hash) throw invalid('The specified nextToken is invalid.');
    offset = Number(match[2]);
  }
  const all = [...queriesOf(ctx.store).values()]
    .filter((q) => q.region === ctx.region)
    .filter((q) => typeof groupName !== 'string' || q.logGroupNames.includes(groupName))
    .map((q) => ({ q, status: statusOf(q, nowMs) }))
    .filter(({ status: s }) => status === undefined || status === null || s === status)
    .sort((a, b) => b.q.createTime - a.q.createTime || b.q.startedAt - a.q.startedAt);
  const page = all.slice(offset, offset + max);
  return {
    queries: page.map(({ q, status: s }) => ({ queryId: q.queryId, queryString: q.queryString, status: s, createTime: q.createTime, logGroupName: q.logGroupNames[0], queryLanguage: 'CWLI' })),
    ...(offset + max < all.length ? { nextToken: Buffer.from(`${hash}:${offset + max}`).toString('base64url') } : {}),
  };
};

export const insightsOperations: Record<string, Handler> = {
  StartQuery: startQuery,
  GetQueryResults: getQueryResults,
  StopQuery: stopQuery,
  DescribeQueries: describeQueries,
};
