// Usage of a key from CloudTrail records (KMS.md §6): who called it, how, with which encryption
// context, per day, the last successful use and every failed attempt — and "what depends on this
// key", grants and usage merged. Pure: records in, summaries out. Records are untrusted input:
// parsing never throws, whatever it is given.

import type { Grant } from './key.js';
import { describeEncryptionContext, describePrincipal } from './services.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The window selector of the Usage tab; `--days N` gives any other length. */
export const USAGE_WINDOWS = ['24h', '7d', '30d', '90d'] as const;
export type UsageWindowId = (typeof USAGE_WINDOWS)[number];
export type UsageWindow = UsageWindowId | { days: number };

export const DEFAULT_USAGE_WINDOW: UsageWindowId = '7d';

export function windowDays(window: UsageWindow): number {
  if (typeof window === 'object') return window.days;
  return { '24h': 1, '7d': 7, '30d': 30, '90d': 90 }[window];
}

export function windowLabel(window: UsageWindow): string {
  if (typeof window === 'object') return window.days === 1 ? '24 h' : `${window.days} d`;
  return window === '24h' ? '24 h' : window.replace('d', ' d');
}

/** The next window (24 h → 7 d → 30 d → 90 d → 24 h); any custom window goes to 24 h. */
export function nextWindow(window: UsageWindow): UsageWindowId {
  if (typeof window === 'object') return '24h';
  return USAGE_WINDOWS[(USAGE_WINDOWS.indexOf(window) + 1) % USAGE_WINDOWS.length]!;
}

/** The start and end of a window ending at `now`. */
export function windowRange(window: UsageWindow, now: Date): { start: Date; end: Date } {
  return { start: new Date(now.getTime() - windowDays(window) * DAY), end: now };
}

/** Cryptographic operations: what counts as *use* of a key (GetKeyLastUsage counts these too). */
export const USE_OPERATIONS: ReadonlySet<string> = new Set([
  'Encrypt', 'Decrypt', 'ReEncrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'Sign', 'Verify', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret',
]);

/** Not a failure: the call would have succeeded (Fargate probes with DryRun before each task). */
const DRY_RUN = 'DryRunOperationException';

/** One CloudTrail record, reduced to what the summaries need. */
export interface UsageEvent {
  eventId: string;
  /** ISO time as recorded. */
  time: string;
  timeMs: number;
  operation: string;
  eventSource: string;
  region?: string;
  /** Identity type: AssumedRole, IAMUser, AWSService, Root … */
  identityType?: string;
  /** The caller's ARN (assumed-role session, user …), when there is one. */
  arn?: string;
  /** The role behind an assumed-role session. */
  roleArn?: string;
  /** The AWS service that made the call for the caller, or that is the caller. */
  invokedBy?: string;
  sourceIp?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  encryptionContext?: Record<string, string>;
  /** `keyId` exactly as the caller passed it (id, ARN or alias). */
  requestKeyId?: string;
  /** `resources[].ARN` of type AWS::KMS::Key. */
  keyArns: string[];
  readOnly?: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'string') out[key] = inner;
    else if (typeof inner === 'number' || typeof inner === 'boolean') out[key] = String(inner);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A CloudTrail record (object or its JSON string, as LookupEvents' `CloudTrailEvent`) as a
 * UsageEvent. Anything without an event name and a valid time is `undefined`; missing or
 * malformed parts are simply left out. Never throws.
 */
export function parseCloudTrailRecord(input: unknown): UsageEvent | undefined {
  try {
    let raw: unknown = input;
    if (typeof raw === 'string') raw = JSON.parse(raw);
    if (!isObject(raw)) return undefined;
    const operation = str(raw.eventName);
    const time = str(raw.eventTime);
    const timeMs = time ? Date.parse(time) : Number.NaN;
    if (!operation || !time || !Number.isFinite(timeMs)) return undefined;
    const identity = isObject(raw.userIdentity) ? raw.userIdentity : {};
    const issuer = isObject(identity.sessionContext) && isObject(identity.sessionContext.sessionIssuer) ? identity.sessionContext.sessionIssuer : {};
    const request = isObject(raw.requestParameters) ? raw.requestParameters : {};
    const context =
      stringMap(request.encryptionContext) ??
      (isObject(request.constraints) ? stringMap(request.constraints.encryptionContextSubset) ?? stringMap(request.constraints.encryptionContextEquals) : undefined);
    const keyArns = Array.isArray(raw.resources)
      ? raw.resources.filter((r): r is Record<string, unknown> => isObject(r) && (r.type === undefined || r.type === 'AWS::KMS::Key')).map((r) => str(r.ARN)).filter((a): a is string => a !== undefined)
      : [];
    const event: UsageEvent = {
      eventId: str(raw.eventID) ?? `${time}/${operation}`,
      time,
      timeMs,
      operation,
      eventSource: str(raw.eventSource) ?? 'kms.amazonaws.com',
      keyArns,
    };
    const set = <K extends keyof UsageEvent>(key: K, value: UsageEvent[K] | undefined) => {
      if (value !== undefined) event[key] = value;
    };
    set('region', str(raw.awsRegion));
    set('identityType', str(identity.type));
    set('arn', str(identity.arn));
    set('roleArn', str(issuer.arn));
    set('invokedBy', str(identity.invokedBy));
    set('sourceIp', str(raw.sourceIPAddress));
    set('userAgent', str(raw.userAgent));
    set('errorCode', str(raw.errorCode));
    set('errorMessage', str(raw.errorMessage));
    set('encryptionContext', context);
    set('requestKeyId', str(request.keyId));
    if (typeof raw.readOnly === 'boolean') event.readOnly = raw.readOnly;
    return event;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Who called

export type PrincipalKind = 'service' | 'role' | 'user' | 'account' | 'unknown';

export interface Caller {
  /** Grouping key: the service (invokedBy), the role behind a session, or the caller's ARN. */
  id: string;
  kind: PrincipalKind;
  /** In words: "AWS service fargate", "role PaymentsApi (account …)", "EC2 infrastructure (EBS) for i-0…". */
  description: string;
}

/**
 * Who made a call. A service acting for someone (`invokedBy`) is named by the service; assumed-role
 * sessions are grouped by their role, except EC2 infrastructure, whose sessions are instances.
 */
export function callerOf(event: UsageEvent): Caller {
  if (event.invokedBy) {
    const id = event.invokedBy;
    return { id, kind: 'service', description: id === 'AWS Internal' ? 'AWS (internal)' : describePrincipal(id) };
  }
  if (event.identityType === 'AssumedRole' && event.arn) {
    if (/assumed-role\/aws:ec2-infrastructure\//.test(event.arn)) return { id: event.arn, kind: 'role', description: describePrincipal(event.arn) };
    const id = event.roleArn ?? event.arn.replace(/^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.*$/, 'arn:$1:iam::$2:role/$3');
    return { id, kind: 'role', description: describePrincipal(id) };
  }
  if (event.arn) {
    const kind: PrincipalKind = /:user\//.test(event.arn) ? 'user' : /:root$/.test(event.arn) ? 'account' : /:role\//.test(event.arn) ? 'role' : 'unknown';
    return { id: event.arn, kind, description: describePrincipal(event.arn) };
  }
  return { id: event.identityType ?? 'unknown', kind: 'unknown', description: event.identityType ?? 'unknown caller' };
}

// ---------------------------------------------------------------------------------------------
// Encryption contexts, grouped

/** Context keys whose value names one of many short-lived things (volumes, per-call keys). */
const VOLATILE_CONTEXT_KEYS = new Set(['aws:ebs:id', 'aws-crypto-public-key']);

export interface ContextGroup {
  /** Grouping key (stable JSON). */
  id: string;
  /** The context without its per-resource parts (e.g. without `aws:ebs:id`). */
  context: Record<string, string>;
  /** The AWS service it points to, when recognisable. */
  service?: string;
  /** The resource, when the group names one (cluster, workflow, trail …). */
  resource?: string;
  /** In words: "ECS cluster (Fargate ephemeral storage) 111122223333/payments-prod", "EBS volumes". */
  description: string;
}

function sortedEntries(context: Record<string, string>): Array<[string, string]> {
  return Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The group an encryption context belongs to, and what it is in words. */
export function contextGroupOf(context: Record<string, string> | undefined): ContextGroup {
  if (!context || Object.keys(context).length === 0) return { id: '{}', context: {}, description: 'no encryption context' };
  const stable: Record<string, string> = {};
  const volatile: string[] = [];
  for (const [key, value] of sortedEntries(context)) {
    if (VOLATILE_CONTEXT_KEYS.has(key)) volatile.push(key);
    else stable[key] = value;
  }
  const meaning = describeEncryptionContext(Object.keys(stable).length > 0 ? stable : context);
  // Per-resource keys do not split a group (a Fargate task's volume id, a build's public key).
  const id = Object.keys(stable).length > 0 ? JSON.stringify(sortedEntries(stable)) : JSON.stringify(volatile.map((k) => [k, '*']));
  if (meaning && Object.keys(stable).length === 0) {
    // Only per-resource keys (an EBS volume id): the group is the kind of resource.
    return { id, context: stable, service: meaning.service, description: `${meaning.service}s` };
  }
  if (meaning) return { id, context: stable, service: meaning.service, resource: meaning.resource, description: `${meaning.service} ${meaning.resource}` };
  return { id, context: stable, description: sortedEntries(stable).map(([k, v]) => `${k}=${v}`).join(', ') };
}

/** The per-resource value of a context (an EBS volume id), counted as distinct resources. */
function volatileResource(context: Record<string, string> | undefined): string | undefined {
  return context?.['aws:ebs:id'];
}

// ---------------------------------------------------------------------------------------------
// The summary

export interface OperationCount {
  operation: string;
  count: number;
  failed: number;
}

export interface PrincipalCount extends Caller {
  count: number;
  failed: number;
  lastSeen: string;
  operations: string[];
}

export interface ContextCount extends ContextGroup {
  count: number;
  failed: number;
  lastSeen: string;
  /** Distinct per-resource values seen (EBS volumes). */
  resources: number;
}

export interface FailedAttempt {
  time: string;
  operation: string;
  errorCode: string;
  errorMessage?: string;
  caller: Caller;
  eventId: string;
}

export interface UseRecord {
  time: string;
  operation: string;
  caller: Caller;
  eventId: string;
}

export interface UsageSummary {
  window: { days: number; start: string; end: string };
  /** Events in the window (dry runs included). */
  total: number;
  failed: number;
  dryRuns: number;
  operations: OperationCount[];
  principals: PrincipalCount[];
  contexts: ContextCount[];
  /** Events per bucket, oldest first: hours for a window of a day or less, else days (UTC). */
  timeline: { bucket: 'hour' | 'day'; start: string; counts: number[]; failed: number[] };
  /** The last successful cryptographic operation. */
  lastUse?: UseRecord;
  /** The last event of any kind. */
  lastEvent?: UseRecord;
  firstFailure?: FailedAttempt;
  lastFailure?: FailedAttempt;
  /** Error codes of the failed attempts, most frequent first. */
  errorCodes: Array<{ code: string; count: number }>;
  /** Every failed attempt, newest first. */
  failures: FailedAttempt[];
}

function byCountThenName<T extends { count: number }>(name: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => b.count - a.count || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

/**
 * Summarises the events of a window ending at `now`. Accepts raw records (objects or JSON
 * strings) or parsed events; anything unparseable or outside the window is skipped. With
 * `keyArn`, only events whose resources name that key count.
 */
export function summarizeUsage(records: Iterable<unknown>, window: UsageWindow, now: Date, options: { keyArn?: string } = {}): UsageSummary {
  const days = windowDays(window);
  const end = now.getTime();
  const start = end - days * DAY;
  const bucketMs = days <= 1 ? HOUR : DAY;
  const firstBucket = Math.floor(start / bucketMs) * bucketMs;
  const bucketCount = Math.floor(end / bucketMs) - Math.floor(start / bucketMs) + 1;
  const counts = new Array<number>(bucketCount).fill(0);
  const failedCounts = new Array<number>(bucketCount).fill(0);
  const operations = new Map<string, OperationCount>();
  const principals = new Map<string, PrincipalCount & { ops: Set<string> }>();
  const contexts = new Map<string, ContextCount & { seen: Set<string> }>();
  const codes = new Map<string, number>();
  const failures: FailedAttempt[] = [];
  const seenIds = new Set<string>();
  let total = 0;
  let failed = 0;
  let dryRuns = 0;
  let lastUse: UseRecord | undefined;
  let lastEvent: UseRecord | undefined;
  let lastUseMs = -Infinity;
  let lastEventMs = -Infinity;

  for (const item of records) {
    const event = isUsageEvent(item) ? item : parseCloudTrailRecord(item);
    if (!event || event.timeMs < start || event.timeMs > end) continue;
    if (options.keyArn && !event.keyArns.includes(options.keyArn)) continue;
    if (seenIds.has(event.eventId)) continue;
    seenIds.add(event.eventId);
    total += 1;
    const isDryRun = event.errorCode === DRY_RUN;
    const isFailure = event.errorCode !== undefined && !isDryRun;
    if (isDryRun) dryRuns += 1;
    if (isFailure) failed += 1;
    const bucket = Math.floor(event.timeMs / bucketMs) * bucketMs;
    const at = Math.round((bucket - firstBucket) / bucketMs);
    if (at >= 0 && at < bucketCount) {
      counts[at]! += 1;
      if (isFailure) failedCounts[at]! += 1;
    }
    const op = operations.get(event.operation) ?? { operation: event.operation, count: 0, failed: 0 };
    op.count += 1;
    if (isFailure) op.failed += 1;
    operations.set(event.operation, op);

    const caller = callerOf(event);
    const principal = principals.get(caller.id) ?? { ...caller, count: 0, failed: 0, lastSeen: event.time, operations: [], ops: new Set<string>() };
    principal.count += 1;
    if (isFailure) principal.failed += 1;
    if (event.timeMs > Date.parse(principal.lastSeen)) principal.lastSeen = event.time;
    principal.ops.add(event.operation);
    principals.set(caller.id, principal);

    if (event.encryptionContext || USE_OPERATIONS.has(event.operation)) {
      const group = contextGroupOf(event.encryptionContext);
      const entry = contexts.get(group.id) ?? { ...group, count: 0, failed: 0, lastSeen: event.time, resources: 0, seen: new Set<string>() };
      entry.count += 1;
      if (isFailure) entry.failed += 1;
      if (event.timeMs > Date.parse(entry.lastSeen)) entry.lastSeen = event.time;
      const resource = volatileResource(event.encryptionContext);
      if (resource) entry.seen.add(resource);
      contexts.set(group.id, entry);
    }

    const record: UseRecord = { time: event.time, operation: event.operation, caller, eventId: event.eventId };
    if (event.timeMs > lastEventMs) {
      lastEventMs = event.timeMs;
      lastEvent = record;
    }
    if (!event.errorCode && USE_OPERATIONS.has(event.operation) && event.timeMs > lastUseMs) {
      lastUseMs = event.timeMs;
      lastUse = record;
    }
    if (isFailure) {
      codes.set(event.errorCode!, (codes.get(event.errorCode!) ?? 0) + 1);
      failures.push({
        time: event.time,
        operation: event.operation,
        errorCode: event.errorCode!,
        ...(event.errorMessage ? { errorMessage: event.errorMessage } : {}),
        caller,
        eventId: event.eventId,
      });
    }
  }

  failures.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  const summary: UsageSummary = {
    window: { days, start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    total,
    failed,
    dryRuns,
    operations: [...operations.values()].sort(byCountThenName((o) => o.operation)),
    principals: [...principals.values()]
      .map(({ ops, ...rest }) => ({ ...rest, operations: [...ops].sort() }))
      .sort(byCountThenName((p) => p.id)),
    contexts: [...contexts.values()].map(({ seen, ...rest }) => ({ ...rest, resources: seen.size })).sort(byCountThenName((c) => c.id)),
    timeline: { bucket: bucketMs === HOUR ? 'hour' : 'day', start: new Date(firstBucket).toISOString(), counts, failed: failedCounts },
    errorCodes: [...codes.entries()].map(([code, count]) => ({ code, count })).sort(byCountThenName((c) => c.code)),
    failures,
  };
  if (lastUse) summary.lastUse = lastUse;
  if (lastEvent) summary.lastEvent = lastEvent;
  if (failures.length > 0) {
    summary.lastFailure = failures[0]!;
    summary.firstFailure = failures.at(-1)!;
  }
  return summary;
}

function isUsageEvent(value: unknown): value is UsageEvent {
  return isObject(value) && typeof value.timeMs === 'number' && typeof value.operation === 'string' && Array.isArray(value.keyArns);
}

// ---------------------------------------------------------------------------------------------
// What depends on this key

export interface Dependent {
  /** Merge key. */
  id: string;
  /** In words: "EBS volumes", "ECS cluster (Fargate ephemeral storage) 111122223333/payments-prod", "role PaymentsApi …". */
  description: string;
  service?: string;
  resource?: string;
  /** Where the evidence comes from. */
  sources: Array<'grant' | 'usage'>;
  grantIds: string[];
  /** Grantee principals of those grants. */
  grantees: string[];
  events: number;
  failed: number;
  /** Distinct per-resource values seen in use (EBS volumes). */
  resources: number;
  lastSeen?: string;
}

/**
 * Grants and usage merged into one list: a grant and the calls made under the same encryption
 * context (grouped as in the summary) are one dependent; grants without a context stand for their
 * grantee; calls without a context stand for their caller. Most recently seen first, then grants.
 */
export function dependents(grants: readonly Grant[], summary: UsageSummary | undefined): Dependent[] {
  const out = new Map<string, Dependent>();
  const entry = (id: string, make: () => Omit<Dependent, 'id' | 'sources' | 'grantIds' | 'grantees' | 'events' | 'failed' | 'resources'>): Dependent => {
    let found = out.get(id);
    if (!found) out.set(id, (found = { id, ...make(), sources: [], grantIds: [], grantees: [], events: 0, failed: 0, resources: 0 }));
    return found;
  };
  const addSource = (d: Dependent, source: 'grant' | 'usage') => {
    if (!d.sources.includes(source)) d.sources.push(source);
  };
  for (const grant of grants) {
    const context = grant.constraints?.encryptionContextSubset ?? grant.constraints?.encryptionContextEquals;
    let d: Dependent;
    if (context && Object.keys(context).length > 0) {
      const group = contextGroupOf(context);
      d = entry(`context:${group.id}`, () => ({ description: group.description, ...(group.service ? { service: group.service } : {}), ...(group.resource ? { resource: group.resource } : {}) }));
    } else {
      const grantee = grant.granteePrincipal ?? 'unknown grantee';
      d = entry(`principal:${grantee}`, () => ({ description: describePrincipal(grantee) }));
    }
    addSource(d, 'grant');
    d.grantIds.push(grant.grantId);
    if (grant.granteePrincipal && !d.grantees.includes(grant.granteePrincipal)) d.grantees.push(grant.granteePrincipal);
  }
  if (summary) {
    for (const context of summary.contexts) {
      if (context.id === '{}') continue;
      const d = entry(`context:${context.id}`, () => ({ description: context.description, ...(context.service ? { service: context.service } : {}), ...(context.resource ? { resource: context.resource } : {}) }));
      addSource(d, 'usage');
      d.events += context.count;
      d.failed += context.failed;
      d.resources += context.resources;
      if (!d.lastSeen || Date.parse(context.lastSeen) > Date.parse(d.lastSeen)) d.lastSeen = context.lastSeen;
    }
    const noContext = summary.contexts.find((c) => c.id === '{}');
    if (noContext) {
      // Calls without a context: their callers are the dependents.
      for (const principal of summary.principals) {
        if (!principal.operations.some((op) => USE_OPERATIONS.has(op))) continue;
        const d = entry(`principal:${principal.id}`, () => ({ description: principal.description }));
        if (d.sources.includes('usage')) continue;
        addSource(d, 'usage');
        d.lastSeen = principal.lastSeen;
      }
    }
  }
  return [...out.values()].sort((a, b) => {
    const at = a.lastSeen ? Date.parse(a.lastSeen) : -Infinity;
    const bt = b.lastSeen ? Date.parse(b.lastSeen) : -Infinity;
    return bt - at || b.grantIds.length - a.grantIds.length || (a.id < b.id ? -1 : 1);
  });
}

// ---------------------------------------------------------------------------------------------
// Small renderers shared by the view and the command

const SPARK = '▁▂▃▄▅▆▇█';

/** A sparkline of counts (empty buckets as the lowest bar, so the width is stable). */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  if (max === 0) return SPARK[0]!.repeat(counts.length);
  return counts.map((c) => (c === 0 ? ' ' : SPARK[Math.min(SPARK.length - 1, Math.ceil((c / max) * SPARK.length) - 1)])).join('');
}

/** Fits a sparkline into `width` columns by summing neighbouring buckets (keeps the newest at the right). */
export function fitCounts(counts: readonly number[], width: number): number[] {
  if (counts.length <= width || width <= 0) return [...counts];
  const per = Math.ceil(counts.length / width);
  const out: number[] = [];
  for (let end = counts.length; end > 0; end -= per) {
    let sum = 0;
    for (let i = Math.max(0, end - per); i < end; i += 1) sum += counts[i]!;
    out.unshift(sum);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Loading (the port's types; src/aws/usage.ts does the reading)

export interface UsageProgress {
  /** Where the events come from: LookupEvents, log files from `--cloudtrail-dir`, or Logs Insights queries. */
  source: 'cloudtrail' | 'files' | 'insights';
  /** LookupEvents pages (or files) read so far. */
  pages: number;
  events: number;
  /** ThrottlingException answers survived so far. */
  throttled: number;
  /** The pace the reader keeps (LookupEvents: 2 per second). */
  requestsPerSecond: number;
  done: boolean;
  /** Stopped by the operator before the window was read to its start. */
  stopped: boolean;
  /** The oldest event read so far (LookupEvents reads newest first). */
  oldest?: string;
  /** Logs Insights: log events scanned so far, and their bytes. */
  recordsScanned?: number;
  bytesScanned?: number;
  /** Logs Insights: parts of the summary cut at the 10,000-row limit (the summary is incomplete there). */
  truncated?: string[];
  /** Which engine reads and why, when keywarden chose it (`engine: 'auto'`). */
  engineReason?: string;
  /** The longest window the engines available for this key can serve (LookupEvents 90, Logs Insights 365). */
  maxWindowDays?: number;
}

export interface UsageLoadState {
  keyArn: string;
  window: UsageWindow;
  /** Newest first for LookupEvents; file order is not guaranteed. */
  events: UsageEvent[];
  progress: UsageProgress;
  /** Engines that summarise at the source (Logs Insights): the summary itself; `events` is then empty. */
  summary?: UsageSummary;
}

export interface UsageRequest {
  window: UsageWindow;
  /** Called after every page with everything loaded so far. */
  onProgress?: (state: UsageLoadState) => void;
  /** Read CloudTrail log files (S3 delivery format) from here instead of LookupEvents. */
  cloudtrailDir?: string;
  /**
   * Query the trail's CloudWatch Logs log group with Logs Insights instead of LookupEvents; `auto`:
   * Insights when the trail delivers there and the window is long, LookupEvents otherwise.
   */
  engine?: 'lookup' | 'insights' | 'files' | 'auto';
}

/** "412 events loaded (page 9) · 2 req/s" */
export function progressLine(progress: UsageProgress): string {
  const unit = progress.source === 'files' ? 'file' : 'page';
  const state = progress.stopped ? ' · stopped' : progress.done ? '' : ` · ${progress.requestsPerSecond} req/s`;
  const throttled = progress.throttled > 0 ? ` · throttled ${progress.throttled}×` : '';
  return `${progress.events} event${progress.events === 1 ? '' : 's'} loaded (${unit} ${progress.pages})${state}${throttled}`;
}
