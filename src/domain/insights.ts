// Usage evidence through CloudWatch Logs Insights (KMS.md §13): the queries keywarden sends to the
// log group a CloudTrail trail delivers to, and their results turned into the same UsageSummary
// that summarizeUsage makes from LookupEvents records. Also the choice of engine, and the one
// query that gives the last use of every key of an account and Region. Pure: strings and rows in,
// summaries out. Result rows are untrusted input: nothing here throws on them.

import { grouped } from './format.js';
import {
  boundGroups,
  callerOf,
  contextGroupOf,
  FAILURES_KEPT,
  progressLine,
  summarizeUsage,
  USE_OPERATIONS,
  USAGE_WINDOWS,
  volatileResource,
  windowDays,
  type Caller,
  type ContextCount,
  type FailedAttempt,
  type OperationCount,
  type PrincipalCount,
  type UsageEvent,
  type UsageLoadState,
  type UsageProgress,
  type UsageSummary,
  type UsageWindow,
  type UseRecord,
} from './usage.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const DRY_RUN = 'DryRunOperationException';

export const USAGE_ENGINES = ['insights', 'lookup', 'files'] as const;
export type UsageEngine = (typeof USAGE_ENGINES)[number];

/** One row of GetQueryResults as field → value (fields without a value are absent). */
export type InsightsRow = Record<string, string>;

/** The most rows one query returns (StartQuery `limit`, GetQueryResults). */
export const INSIGHTS_MAX_ROWS = 10_000;
/** Logs Insights keeps no more than what the log group keeps; keywarden asks for at most a year. */
export const INSIGHTS_MAX_DAYS = 365;
/** LookupEvents keeps 90 days (KMS.md §6.2). */
export const LOOKUP_MAX_DAYS = 90;
/**
 * Longer windows go to Logs Insights when it can serve them: LookupEvents reads about 100 events
 * a second (2 requests/s × 50 events, KMS.md §13), so a key used once a minute takes over a
 * minute and a half for 7 days, and a busy key hours.
 */
export const LOOKUP_QUICK_DAYS = 7;

/** A string literal of the query language (double-quoted, `"` and `\` escaped). */
export function insightsString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const IDENTITY_FIELDS = ['userIdentity.invokedBy', 'userIdentity.type', 'userIdentity.arn', 'userIdentity.sessionContext.sessionIssuer.arn'] as const;
const USE_LIST = `[${[...USE_OPERATIONS].sort().map(insightsString).join(', ')}]`;
/**
 * The first encryption context of a record: `requestParameters.encryptionContext`, or a grant's
 * `constraints.encryptionContextSubset` / `encryptionContextEquals`, as its JSON text (flat maps).
 */
const CONTEXT_PARSE = String.raw`parse @message /"encryptionContext(?:Subset|Equals)?":(?<context>\{[^{}]*\})/`;

/** Names of the per-key usage queries. */
export type UsageQueryName = 'callers' | 'contexts' | 'timeline' | 'lastUse' | 'lastEvent' | 'failures' | 'firstFailure';

export interface InsightsQuery {
  queryString: string;
  limit: number;
  /**
   * An aggregation (`stats`) whose rows add up across parts of the window: when its answer
   * reaches the row limit, the window is asked again in parts (src/aws/insights.ts) and the parts'
   * rows are put together — never a total cut at 10,000 rows.
   */
  splittable?: boolean;
}

/** Records naming the key: KMS puts the key ARN in `resources` (KMS.md §6.1). */
function keyFilter(keyArn: string): string {
  const arn = insightsString(keyArn);
  return `(resources.0.ARN = ${arn} or resources.1.ARN = ${arn})`;
}

/** The queries behind one key's usage summary; hour buckets for a window of a day or less. */
export function keyUsageQueries(keyArn: string, window: UsageWindow): Record<UsageQueryName, InsightsQuery> {
  const key = keyFilter(keyArn);
  const identity = IDENTITY_FIELDS.join(', ');
  const bucket = windowDays(window) <= 1 ? '1h' : '1d';
  const one = (filter: string): InsightsQuery => ({
    queryString: `filter ${filter} | fields eventTime, eventName, eventID, ${identity} | sort @timestamp desc | limit 1`,
    limit: 1,
  });
  const failed = `${key} and ispresent(errorCode) and errorCode != ${insightsString(DRY_RUN)}`;
  const failureFields = `fields eventTime, eventName, eventID, requestID, errorCode, errorMessage, ${identity}`;
  return {
    callers: { queryString: `filter ${key} | stats count(*) as events, max(@timestamp) as last by eventName, errorCode, ${identity}`, limit: INSIGHTS_MAX_ROWS, splittable: true },
    contexts: { queryString: `filter ${key} | ${CONTEXT_PARSE} | stats count(*) as events, max(@timestamp) as last by context, eventName, errorCode`, limit: INSIGHTS_MAX_ROWS, splittable: true },
    timeline: { queryString: `filter ${key} | stats count(*) as events by bin(${bucket}) as bucket, errorCode`, limit: INSIGHTS_MAX_ROWS, splittable: true },
    lastUse: one(`${key} and eventName in ${USE_LIST} and not ispresent(errorCode)`),
    lastEvent: one(key),
    // The newest FAILURES_KEPT failed attempts and the oldest one, as summarizeUsage keeps them;
    // the others are counted (callers), not listed.
    failures: { queryString: `filter ${failed} | ${failureFields} | sort @timestamp desc | limit ${FAILURES_KEPT}`, limit: FAILURES_KEPT },
    firstFailure: { queryString: `filter ${failed} | ${failureFields} | sort @timestamp asc | limit 1`, limit: 1 },
  };
}

/** Epoch ms of a Logs Insights timestamp (`2026-12-07 06:24:42.000`, UTC), or undefined. */
export function parseInsightsTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)Z?$/.exec(value.trim());
  if (match) {
    const ms = Date.parse(`${match[1]}T${match[2]}Z`);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (/^\d{10,13}$/.test(value.trim())) return Number(value) < 1e11 ? Number(value) * 1000 : Number(value);
  return undefined;
}

/** As CloudTrail writes eventTime: whole seconds, `Z`. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function count(value: string | undefined): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}

/** The caller of a row that holds the identity fields (as callerOf reads a record). */
function callerOfRow(row: InsightsRow): Caller {
  const event: UsageEvent = { eventId: '', time: '', timeMs: 0, operation: '', eventSource: 'kms.amazonaws.com', keyArns: [] };
  const set = (key: 'invokedBy' | 'identityType' | 'arn' | 'roleArn', value: string | undefined) => {
    if (value !== undefined && value !== '') event[key] = value;
  };
  set('invokedBy', row['userIdentity.invokedBy']);
  set('identityType', row['userIdentity.type']);
  set('arn', row['userIdentity.arn']);
  set('roleArn', row['userIdentity.sessionContext.sessionIssuer.arn']);
  return callerOf(event);
}

/** A context's JSON text as a map of strings (numbers and booleans as text), or undefined. */
function contextOf(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const out: Record<string, string> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (typeof inner === 'string') out[key] = inner;
      else if (typeof inner === 'number' || typeof inner === 'boolean') out[key] = String(inner);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

function isFailure(code: string | undefined): boolean {
  return code !== undefined && code !== '' && code !== DRY_RUN;
}

function recordOfRow(row: InsightsRow | undefined): UseRecord | undefined {
  if (!row?.eventName || !row.eventTime) return undefined;
  return { time: row.eventTime, operation: row.eventName, caller: callerOfRow(row), eventId: row.eventID ?? `${row.eventTime}/${row.eventName}` };
}

function byCountThenName<T extends { count: number }>(name: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => b.count - a.count || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

export type UsageQueryRows = Record<UsageQueryName, InsightsRow[]>;

/**
 * The UsageSummary of a window ending at `now` from the rows of keyUsageQueries: the same shape
 * and numbers summarizeUsage gives for the same records.
 */
export function summaryFromInsights(rows: UsageQueryRows, window: UsageWindow, now: Date): UsageSummary {
  const days = windowDays(window);
  const end = now.getTime();
  const start = end - days * DAY;
  const bucketMs = days <= 1 ? HOUR : DAY;
  const firstBucket = Math.floor(start / bucketMs) * bucketMs;
  const bucketCount = Math.floor(end / bucketMs) - Math.floor(start / bucketMs) + 1;
  const counts = new Array<number>(bucketCount).fill(0);
  const failedCounts = new Array<number>(bucketCount).fill(0);

  let total = 0;
  let failed = 0;
  let dryRuns = 0;
  const operations = new Map<string, OperationCount>();
  const principals = new Map<string, PrincipalCount & { ops: Set<string>; lastMs: number }>();
  const codes = new Map<string, number>();
  for (const row of rows.callers ?? []) {
    const n = count(row.events);
    const operation = row.eventName;
    if (n === 0 || !operation) continue;
    const failure = isFailure(row.errorCode);
    total += n;
    if (failure) {
      failed += n;
      codes.set(row.errorCode!, (codes.get(row.errorCode!) ?? 0) + n);
    } else if (row.errorCode === DRY_RUN) dryRuns += n;
    const op = operations.get(operation) ?? { operation, count: 0, failed: 0 };
    op.count += n;
    if (failure) op.failed += n;
    operations.set(operation, op);
    const caller = callerOfRow(row);
    const lastMs = parseInsightsTime(row.last) ?? -Infinity;
    const principal = principals.get(caller.id) ?? { ...caller, count: 0, failed: 0, lastSeen: '', operations: [], ops: new Set<string>(), lastMs: -Infinity };
    principal.count += n;
    if (failure) principal.failed += n;
    if (lastMs > principal.lastMs) {
      principal.lastMs = lastMs;
      principal.lastSeen = isoSeconds(lastMs);
    }
    principal.ops.add(operation);
    principals.set(caller.id, principal);
  }

  const contexts = new Map<string, ContextCount & { seen: Set<string>; lastMs: number }>();
  for (const row of rows.contexts ?? []) {
    const n = count(row.events);
    const context = contextOf(row.context);
    if (n === 0 || !row.eventName || (!context && !USE_OPERATIONS.has(row.eventName))) continue;
    const group = contextGroupOf(context);
    const lastMs = parseInsightsTime(row.last) ?? -Infinity;
    const entry = contexts.get(group.id) ?? { ...group, count: 0, failed: 0, lastSeen: '', resources: 0, seen: new Set<string>(), lastMs: -Infinity };
    entry.count += n;
    if (isFailure(row.errorCode)) entry.failed += n;
    if (lastMs > entry.lastMs) {
      entry.lastMs = lastMs;
      entry.lastSeen = isoSeconds(lastMs);
    }
    const resource = volatileResource(context);
    if (resource) entry.seen.add(resource);
    contexts.set(group.id, entry);
  }

  for (const row of rows.timeline ?? []) {
    const at = parseInsightsTime(row.bucket);
    if (at === undefined) continue;
    const i = Math.round((Math.floor(at / bucketMs) * bucketMs - firstBucket) / bucketMs);
    if (i < 0 || i >= bucketCount) continue;
    counts[i]! += count(row.events);
    if (isFailure(row.errorCode)) failedCounts[i]! += count(row.events);
  }

  const failureOf = (row: InsightsRow): FailedAttempt | undefined => {
    if (!row.eventTime || !row.eventName || !isFailure(row.errorCode)) return undefined;
    return {
      time: row.eventTime,
      operation: row.eventName,
      errorCode: row.errorCode!,
      ...(row.errorMessage ? { errorMessage: row.errorMessage } : {}),
      caller: callerOfRow(row),
      eventId: row.eventID ?? `${row.eventTime}/${row.eventName}`,
      ...(row.requestID ? { requestId: row.requestID } : {}),
    };
  };
  const failures = (rows.failures ?? []).map(failureOf).filter((f): f is FailedAttempt => f !== undefined);
  failures.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  const oldestFailure = rows.firstFailure?.[0] ? failureOf(rows.firstFailure[0]) : undefined;

  // As many callers and contexts as the other engines list (GROUPS_KEPT), the rest counted together.
  const principalList = boundGroups([...principals.values()].map(({ ops, lastMs: _l, ...rest }) => ({ ...rest, operations: [...ops].sort() })).sort(byCountThenName((p) => p.id)));
  const contextList = boundGroups([...contexts.values()].map(({ seen, lastMs: _l, ...rest }) => ({ ...rest, resources: seen.size })).sort(byCountThenName((c) => c.id)));
  const summary: UsageSummary = {
    window: { days, start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    total,
    failed,
    dryRuns,
    operations: [...operations.values()].sort(byCountThenName((o) => o.operation)),
    principals: principalList.list,
    contexts: contextList.list,
    timeline: { bucket: bucketMs === HOUR ? 'hour' : 'day', start: new Date(firstBucket).toISOString(), counts, failed: failedCounts },
    errorCodes: [...codes.entries()].map(([code, n]) => ({ code, count: n })).sort(byCountThenName((c) => c.code)),
    failures,
  };
  const lastUse = recordOfRow(rows.lastUse?.[0]);
  const lastEvent = recordOfRow(rows.lastEvent?.[0]);
  if (lastUse) summary.lastUse = lastUse;
  if (lastEvent) summary.lastEvent = lastEvent;
  if (failures.length > 0) {
    summary.lastFailure = failures[0]!;
    summary.firstFailure = oldestFailure ?? failures.at(-1)!;
  }
  if (failed > failures.length) summary.failuresOmitted = failed - failures.length;
  if (principalList.omitted) summary.principalsOmitted = principalList.omitted;
  if (contextList.omitted) summary.contextsOmitted = contextList.omitted;
  return summary;
}

/** The summary of what a reader loaded: the engine's own (Insights), or made from the events. */
export function summaryOfLoad(loaded: UsageLoadState, window: UsageWindow, now: Date, keyArn?: string): UsageSummary {
  return loaded.summary ?? summarizeUsage(loaded.events, window, now, keyArn ? { keyArn } : {});
}

// ---------------------------------------------------------------------------------------------
// Last use of every key of an account and Region

/**
 * One query for the last successful cryptographic use of every key whose records reach the log
 * group, in one Region: the newest use per key and operation (the newest row per key wins).
 */
export function lastUsesQuery(region: string): InsightsQuery {
  return {
    queryString: `filter eventSource = "kms.amazonaws.com" and awsRegion = ${insightsString(region)} and eventName in ${USE_LIST} and not ispresent(errorCode) | stats max(@timestamp) as lastUse by resources.0.ARN, eventName`,
    limit: INSIGHTS_MAX_ROWS,
    splittable: true,
  };
}

export interface TrailLastUse {
  operation: string;
  /** ISO time, whole seconds. */
  timestamp: string;
}

/** Key ARN → its newest use from the rows of lastUsesQuery (only KMS key ARNs of `region`). */
export function lastUsesFromRows(rows: readonly InsightsRow[], region: string): Map<string, TrailLastUse> {
  const out = new Map<string, TrailLastUse & { ms: number }>();
  for (const row of rows) {
    const arn = row['resources.0.ARN'];
    const ms = parseInsightsTime(row.lastUse);
    if (!arn || !row.eventName || ms === undefined) continue;
    if (!new RegExp(`^arn:aws[\\w-]*:kms:${region.replace(/[^a-z0-9-]/g, '')}:\\d{12}:key/`).test(arn)) continue;
    const seen = out.get(arn);
    if (!seen || ms > seen.ms) out.set(arn, { operation: row.eventName, timestamp: isoSeconds(ms), ms });
  }
  return new Map([...out].map(([arn, { operation, timestamp }]) => [arn, { operation, timestamp }]));
}

// ---------------------------------------------------------------------------------------------
// Which engine

export interface EngineChoice {
  engine: UsageEngine;
  /** Why, in words (shown on stderr, and in --json). */
  reason: string;
}

/** Where the trail delivers, when it does: what the choice needs to know. */
export interface InsightsTarget {
  trailName: string;
  logGroupName: string;
  logGroupRegion: string;
  /** The group's retention in days; undefined = kept forever. */
  retentionInDays?: number;
}

/** "a" or "an" before a number said aloud: an 8-day, an 11-day, an 18-day, an 80-day window. */
export function article(n: number): 'a' | 'an' {
  const digits = String(Math.trunc(Math.abs(n)));
  return digits.startsWith('8') || ((digits.startsWith('11') || digits.startsWith('18')) && digits.length % 3 === 2) ? 'an' : 'a';
}

/**
 * Without `--engine`: Logs Insights when the trail delivers to CloudWatch Logs and the window is
 * longer than LookupEvents serves quickly; LookupEvents otherwise.
 */
export function chooseEngine(days: number, target: InsightsTarget | undefined, why?: string): EngineChoice {
  if (!target) {
    return { engine: 'lookup', reason: `LookupEvents: ${why ?? 'no trail covering the key’s Region delivers to CloudWatch Logs'}` };
  }
  if (days <= LOOKUP_QUICK_DAYS) {
    return { engine: 'lookup', reason: `LookupEvents: ${article(days)} ${days}-day window is read quickly from the event history (about 100 events a second)` };
  }
  return {
    engine: 'insights',
    reason: `Logs Insights: trail ${target.trailName} delivers to log group ${target.logGroupName} (${target.logGroupRegion}), and ${article(days)} ${days}-day window is longer than LookupEvents reads quickly (about 100 events a second)`,
  };
}

/** The longest window an engine can serve (Insights: a year, or the group's retention). */
export function engineMaxDays(engine: UsageEngine | undefined, retentionInDays?: number): number {
  if (engine === 'insights') return Math.min(INSIGHTS_MAX_DAYS, retentionInDays ?? INSIGHTS_MAX_DAYS);
  if (engine === 'files') return Infinity;
  return LOOKUP_MAX_DAYS;
}

/**
 * The Usage tab's engines, in the order `m` steps through them: keywarden's choice (auto), Logs
 * Insights, LookupEvents, and the log files in the trail's S3 bucket.
 */
export const TAB_ENGINES = ['auto', 'insights', 'lookup', 's3'] as const;
export type TabEngine = (typeof TAB_ENGINES)[number];

const TAB_ENGINE_NAMES: Record<TabEngine, string> = {
  auto: "keywarden's choice",
  insights: 'Logs Insights',
  lookup: 'LookupEvents',
  s3: "the trail's S3 bucket",
};

export function tabEngineName(engine: TabEngine): string {
  return TAB_ENGINE_NAMES[engine];
}

export function nextTabEngine(engine: TabEngine): TabEngine {
  return TAB_ENGINES[(TAB_ENGINES.indexOf(engine) + 1) % TAB_ENGINES.length]!;
}

/**
 * The longest window an engine picked on the tab serves before it has answered: LookupEvents 90
 * days, the others a year (Logs Insights is then told by the log group's retention; auto by the
 * engine it chose).
 */
export function tabEngineMaxDays(engine: TabEngine): number {
  return engine === 'lookup' ? LOOKUP_MAX_DAYS : INSIGHTS_MAX_DAYS;
}

/** The Usage tab's windows: 24 h, 7 d, 30 d, 90 d, and 365 d when the engine serves a year. */
export function usageWindowsFor(maxDays: number): UsageWindow[] {
  const out: UsageWindow[] = USAGE_WINDOWS.filter((w) => windowDays(w) <= maxDays);
  if (maxDays >= INSIGHTS_MAX_DAYS) out.push({ days: INSIGHTS_MAX_DAYS });
  return out;
}

/** The next window of `usageWindowsFor(maxDays)`; anything else goes to the first. */
export function nextUsageWindow(window: UsageWindow, maxDays: number): UsageWindow {
  const windows = usageWindowsFor(maxDays);
  const at = windows.findIndex((w) => windowDays(w) === windowDays(window) && typeof w === typeof window);
  return windows[(at + 1) % windows.length] ?? windows[0]!;
}


/** "Logs Insights · 15,314 records scanned", or the LookupEvents / files line. */
export function usageProgressLine(progress: UsageProgress): string {
  if (progress.source !== 'insights') return progressLine(progress);
  const scanned = `Logs Insights · ${grouped(progress.recordsScanned ?? 0)} records scanned`;
  const state = progress.stopped ? ' · stopped' : progress.done ? '' : ' · running';
  const parts = progress.queryParts && progress.queryParts > 1 ? ` · window asked in ${progress.queryParts} parts (10,000 rows each at most)` : '';
  const cut = progress.truncated && progress.truncated.length > 0 ? ` · cut at 10,000 rows: ${progress.truncated.join(', ')}` : '';
  return `${scanned}${state}${parts}${cut}`;
}
