// Usage of a key from CloudTrail records (KMS.md §6): who called it, how, with which encryption
// context, per day, the last successful use and every failed attempt — and "what depends on this
// key", grants and usage merged. Pure: records in, summaries out. Records are untrusted input:
// parsing never throws, whatever it is given.

import type { CallerTrails } from './caller-trails.js';
import { grouped } from './format.js';
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
  /** `requestID`: the same in every copy of one request (the key owner's trail and the caller's). */
  requestId?: string;
  /** `sharedEventID`: the id the copies of a call delivered to several accounts share (each has its own eventID). */
  sharedEventId?: string;
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
    set('requestId', str(raw.requestID));
    set('sharedEventId', str(raw.sharedEventID));
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

/**
 * Context keys whose value names one of many things of one kind: a per-call key, or a resource
 * that services create by the thousand (volumes, object versions). They do not split a group.
 *
 * - EBS: `aws:ebs:id`, the volume id
 *   (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html#ebs-encryption-context).
 * - Secrets Manager: `SecretARN` and `SecretVersionId`; each new secret value is a new version
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-encryption-context).
 * - S3 (SSE-KMS): `aws:s3:arn` is the object's ARN, or the bucket's with an S3 Bucket Key
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context):
 *   an object ARN is grouped by its bucket (see `stableContextValue`).
 * Per-table or per-parameter values stay as they are: DynamoDB's `aws:dynamodb:tableName` and
 * `aws:dynamodb:subscriberId` (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html),
 * Parameter Store's `PARAMETER_ARN` (https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html).
 */
const VOLATILE_CONTEXT_KEYS = new Set(['aws:ebs:id', 'aws-crypto-public-key', 'SecretVersionId']);

/** `arn:aws:s3:::bucket/key…` → [bucket ARN, object ARN]; a bucket ARN (S3 Bucket Key) is not an object. */
const S3_OBJECT_ARN = /^(arn:[\w-]+:s3:::[^/]+)\/./;

/** The part of a context value that names the group (an S3 object's bucket); `undefined` for a per-resource key. */
function stableContextValue(key: string, value: string): string | undefined {
  if (VOLATILE_CONTEXT_KEYS.has(key)) return undefined;
  if (key === 'aws:s3:arn') {
    const match = S3_OBJECT_ARN.exec(value);
    if (match) return match[1];
  }
  return value;
}

export interface ContextGroup {
  /** Grouping key (stable JSON). */
  id: string;
  /** The context without its per-resource parts (e.g. without `aws:ebs:id`; an S3 object's bucket instead of the object). */
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
  let s3Objects = false;
  for (const [key, value] of sortedEntries(context)) {
    const kept = stableContextValue(key, value);
    if (kept === undefined) volatile.push(key);
    else {
      stable[key] = kept;
      if (kept !== value) s3Objects = true;
    }
  }
  // Per-resource keys do not split a group (a Fargate task's volume id, a build's public key).
  const id = Object.keys(stable).length > 0 ? JSON.stringify(sortedEntries(stable)) : JSON.stringify(volatile.map((k) => [k, '*']));
  if (s3Objects && Object.keys(stable).length === 1) {
    // One group per bucket: each object is one of its resources.
    const bucket = stable['aws:s3:arn']!;
    return { id, context: stable, service: 'S3 bucket', resource: bucket, description: `S3 objects in ${bucket}` };
  }
  const meaning = describeEncryptionContext(Object.keys(stable).length > 0 ? stable : context);
  if (meaning && Object.keys(stable).length === 0) {
    // Only per-resource keys (an EBS volume id): the group is the kind of resource.
    return { id, context: stable, service: meaning.service, description: `${meaning.service}s` };
  }
  if (meaning) return { id, context: stable, service: meaning.service, resource: meaning.resource, description: `${meaning.service} ${meaning.resource}` };
  return { id, context: stable, description: sortedEntries(stable).map(([k, v]) => `${k}=${v}`).join(', ') };
}

/** The per-resource value of a context (an EBS volume, an S3 object, a secret's version), counted as distinct resources. */
export function volatileResource(context: Record<string, string> | undefined): string | undefined {
  if (!context) return undefined;
  const volume = context['aws:ebs:id'];
  if (volume !== undefined) return volume;
  const s3 = context['aws:s3:arn'];
  if (s3 !== undefined && S3_OBJECT_ARN.test(s3)) return s3;
  return context.SecretVersionId;
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
  /** More distinct resources than keywarden counts one by one (RESOURCES_KEPT): `resources` is a floor. */
  resourcesCapped?: boolean;
}

export interface FailedAttempt {
  time: string;
  operation: string;
  errorCode: string;
  errorMessage?: string;
  caller: Caller;
  eventId: string;
  /** The request's id (the same in the key owner's trail and the caller's), when the record has one. */
  requestId?: string;
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
  /** The failed attempts, newest first: all of them, or the newest FAILURES_KEPT. */
  failures: FailedAttempt[];
  /** Failed attempts counted but not listed in `failures` (older than the ones kept). */
  failuresOmitted?: number;
  /** Callers counted but not listed in `principals` (beyond GROUPS_KEPT). */
  principalsOmitted?: GroupsOmitted;
  /** Encryption-context groups counted but not listed in `contexts` (beyond GROUPS_KEPT). */
  contextsOmitted?: GroupsOmitted;
}

/** Groups (callers, contexts) counted but not listed, so that the listed ones plus these add up to the total. */
export interface GroupsOmitted {
  /** Distinct groups not listed; with `groupsCapped`, at least this many. */
  groups: number;
  groupsCapped?: boolean;
  /** Their events, and the failed ones among them. */
  count: number;
  failed: number;
}

/** Groups not kept one by one: their events, and their ids (at most OMITTED_IDS_KEPT). */
export interface OtherGroups {
  count: number;
  failed: number;
  ids: Set<string>;
  capped: boolean;
}

function noteOmitted(other: OtherGroups, id: string): void {
  if (other.ids.has(id)) return;
  if (other.ids.size < OMITTED_IDS_KEPT) other.ids.add(id);
  else other.capped = true;
}

/**
 * The first GROUPS_KEPT of a list sorted heaviest first; the rest, with the groups already not
 * kept (`other`), as one count. Every engine lists its callers and contexts through this.
 */
export function boundGroups<T extends { id: string; count: number; failed: number }>(sorted: T[], other?: OtherGroups): { list: T[]; omitted?: GroupsOmitted } {
  const list = sorted.slice(0, GROUPS_KEPT);
  const rest = sorted.slice(GROUPS_KEPT);
  if (rest.length === 0 && (!other || other.count === 0)) return { list };
  const shown = new Set(list.map((g) => g.id));
  const ids = new Set<string>();
  for (const id of other?.ids ?? []) if (!shown.has(id)) ids.add(id);
  for (const g of rest) ids.add(g.id);
  const omitted: GroupsOmitted = {
    groups: ids.size,
    count: (other?.count ?? 0) + rest.reduce((n, g) => n + g.count, 0),
    failed: (other?.failed ?? 0) + rest.reduce((n, g) => n + g.failed, 0),
  };
  if (other?.capped) omitted.groupsCapped = true;
  return { list, omitted };
}

/** "1,234 more events from 5,000+ other callers" */
export function omittedLine(omitted: GroupsOmitted, noun: string): string {
  const groups = `${grouped(omitted.groups)}${omitted.groupsCapped ? '+' : ''} other ${noun}${omitted.groups === 1 && !omitted.groupsCapped ? '' : 's'}`;
  return `${grouped(omitted.count)} more event${omitted.count === 1 ? '' : 's'}${omitted.failed ? ` (${grouped(omitted.failed)} failed)` : ''} from ${groups}, not listed`;
}

/** Adds events to a group's counts and moves its last seen time forward. */
function tally(entry: { count: number; failed: number; lastSeen: string; lastSeenMs: number }, count: number, failed: number, time: string, timeMs: number): void {
  entry.count += count;
  entry.failed += failed;
  if (timeMs > entry.lastSeenMs) {
    entry.lastSeenMs = timeMs;
    entry.lastSeen = time;
  }
}

function byCountThenName<T extends { count: number }>(name: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => b.count - a.count || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

/** Failed attempts kept with their details (the newest); older ones are counted, not kept. */
export const FAILURES_KEPT = 500;
/** Distinct per-resource values (EBS volumes) remembered per context group; beyond it, "at least". */
export const RESOURCES_KEPT = 10_000;
/** Event ids remembered to drop a record seen twice in a row of input (see `UsageAccumulator`). */
export const RECENT_IDS_KEPT = 4_096;
/**
 * Callers and context groups listed in a summary, each: the heaviest. The rest are counted as
 * one line ("N more events from M other callers"), so that memory and output do not grow with
 * the number of distinct callers or contexts (one per IAM user, per S3 bucket …). Well under
 * Logs Insights' 10,000 rows per query, so that every engine can list as many.
 */
export const GROUPS_KEPT = 1_000;
/** Ids of the groups not listed, remembered to count them (beyond it, "at least"). */
export const OMITTED_IDS_KEPT = 10_000;
/** Distinct per-resource values remembered over all context groups (each at most RESOURCES_KEPT). */
export const RESOURCES_TOTAL_KEPT = 4 * RESOURCES_KEPT;

interface PrincipalEntry {
  caller: Caller;
  count: number;
  failed: number;
  lastSeen: string;
  lastSeenMs: number;
  ops: Set<string>;
}

interface ContextEntry {
  group: ContextGroup;
  count: number;
  failed: number;
  lastSeen: string;
  lastSeenMs: number;
  resources: Set<string>;
  /** More distinct resources were seen than `resources` keeps. */
  capped: boolean;
}

type Timed<T> = T & { timeMs: number };

/**
 * The usage summary built one event at a time, in memory that does not grow with the events:
 * counters per operation, caller, context group, error code and hour; the newest
 * `FAILURES_KEPT` failed attempts (plus the oldest, and the count of the rest); at most
 * `RESOURCES_KEPT` distinct resources per context group (`RESOURCES_TOTAL_KEPT` in all); at most
 * 2 × `GROUPS_KEPT` callers and context groups one by one — past that the heaviest `GROUPS_KEPT`
 * stay and the others' events are counted together (every event stays in the totals). Two
 * accumulators fed different parts of the evidence (worker threads, files) `merge` into the
 * accumulator of all of it: merging A then B gives exactly what adding A's events then B's would,
 * while the groups stay under that bound.
 *
 * Duplicates. A trail never delivers an event twice, so a stream of one trail's files needs no
 * dedupe at all; the accumulator only drops an event whose id is among the last
 * `RECENT_IDS_KEPT` ids it was given (a record repeated within a file or a page). The same file
 * copied twice is read once by its name (src/aws/log-objects.ts); two *trails* delivering the
 * same account and Region are detected there and reported, never silently added up twice.
 * `summarizeUsage`, whose input is already in memory, drops every repeated id.
 */
export class UsageAccumulator {
  readonly keyArn: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
  total = 0;
  failed = 0;
  dryRuns = 0;
  /** Oldest and newest event counted. */
  firstMs = Infinity;
  lastMs = -Infinity;
  private readonly hours = new Map<number, [count: number, failed: number]>();
  private readonly operations = new Map<string, OperationCount>();
  private readonly principals = new Map<string, PrincipalEntry>();
  private readonly contexts = new Map<string, ContextEntry>();
  /** Callers and contexts no longer kept one by one (at most 2 × GROUPS_KEPT are, between compactions). */
  private readonly otherPrincipals: OtherGroups = { count: 0, failed: 0, ids: new Set(), capped: false };
  private readonly otherContexts: OtherGroups = { count: 0, failed: 0, ids: new Set(), capped: false };
  /** Per-resource values held over all context groups (RESOURCES_TOTAL_KEPT at most). */
  private resourcesHeld = 0;
  private readonly codes = new Map<string, number>();
  /** The newest failures, unsorted between compactions (at most 2 × FAILURES_KEPT). */
  private failures: Array<Timed<FailedAttempt>> = [];
  private firstFailure: Timed<FailedAttempt> | undefined;
  private lastUse: Timed<UseRecord> | undefined;
  private lastEvent: Timed<UseRecord> | undefined;
  private readonly recentIds = new Set<string>();
  private readonly recentRing: string[] = [];
  private recentAt = 0;

  constructor(options: { keyArn?: string; start?: number; end?: number } = {}) {
    this.keyArn = options.keyArn;
    this.startMs = options.start ?? -Infinity;
    this.endMs = options.end ?? Infinity;
  }

  /** Counts one event when it is in range, names the key (with `keyArn`) and was not just seen. */
  add(event: UsageEvent): boolean {
    if (event.timeMs < this.startMs || event.timeMs > this.endMs) return false;
    if (this.keyArn !== undefined && !event.keyArns.includes(this.keyArn)) return false;
    if (this.recentIds.has(event.eventId)) return false;
    if (this.recentRing.length < RECENT_IDS_KEPT) this.recentRing.push(event.eventId);
    else {
      this.recentIds.delete(this.recentRing[this.recentAt]!);
      this.recentRing[this.recentAt] = event.eventId;
      this.recentAt = (this.recentAt + 1) % RECENT_IDS_KEPT;
    }
    this.recentIds.add(event.eventId);

    const isDryRun = event.errorCode === DRY_RUN;
    const isFailure = event.errorCode !== undefined && !isDryRun;
    const failedOne = isFailure ? 1 : 0;
    this.total += 1;
    this.failed += failedOne;
    if (isDryRun) this.dryRuns += 1;
    if (event.timeMs < this.firstMs) this.firstMs = event.timeMs;
    if (event.timeMs > this.lastMs) this.lastMs = event.timeMs;
    const hour = Math.floor(event.timeMs / HOUR) * HOUR;
    const bucket = this.hours.get(hour);
    if (bucket) {
      bucket[0] += 1;
      bucket[1] += failedOne;
    } else this.hours.set(hour, [1, failedOne]);

    const op = this.operations.get(event.operation);
    if (op) {
      op.count += 1;
      op.failed += failedOne;
    } else this.operations.set(event.operation, { operation: event.operation, count: 1, failed: failedOne });

    const caller = cachedCallerOf(event);
    const principal = this.groupEntry(this.principals, this.otherPrincipals, caller.id, 1, failedOne, () => ({ caller, count: 0, failed: 0, lastSeen: event.time, lastSeenMs: event.timeMs, ops: new Set<string>() }));
    if (principal) {
      tally(principal, 1, failedOne, event.time, event.timeMs);
      principal.ops.add(event.operation);
    }

    if (event.encryptionContext || USE_OPERATIONS.has(event.operation)) {
      const group = cachedContextGroupOf(event.encryptionContext);
      const entry = this.groupEntry(this.contexts, this.otherContexts, group.id, 1, failedOne, () => ({ group, count: 0, failed: 0, lastSeen: event.time, lastSeenMs: event.timeMs, resources: new Set<string>(), capped: false }));
      if (entry) {
        tally(entry, 1, failedOne, event.time, event.timeMs);
        const resource = volatileResource(event.encryptionContext);
        if (resource) this.addResource(entry, resource);
      }
    }

    const record: Timed<UseRecord> = { time: event.time, operation: event.operation, caller, eventId: event.eventId, timeMs: event.timeMs };
    if (!this.lastEvent || event.timeMs > this.lastEvent.timeMs) this.lastEvent = record;
    if (!event.errorCode && USE_OPERATIONS.has(event.operation) && (!this.lastUse || event.timeMs > this.lastUse.timeMs)) this.lastUse = record;
    if (isFailure) {
      const code = event.errorCode!;
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
      const failure: Timed<FailedAttempt> = {
        time: event.time,
        operation: event.operation,
        errorCode: code,
        ...(event.errorMessage ? { errorMessage: event.errorMessage } : {}),
        caller,
        eventId: event.eventId,
        ...(event.requestId ? { requestId: event.requestId } : {}),
        timeMs: event.timeMs,
      };
      this.pushFailures([failure]);
      if (!this.firstFailure || event.timeMs <= this.firstFailure.timeMs) this.firstFailure = failure;
    }
    return true;
  }

  /**
   * Adds another accumulator's counts (evidence this one was not given). `a.merge(b)` equals
   * feeding a's events then b's into one accumulator while each has fewer than GROUPS_KEPT
   * callers and contexts; beyond, the totals still agree exactly and the groups kept one by one
   * are the heaviest of each side. The recent-id memory is not merged.
   */
  merge(other: UsageAccumulator | UsageAccumulatorState): this {
    const state = other instanceof UsageAccumulator ? other.toState() : other;
    this.total += state.total;
    this.failed += state.failed;
    this.dryRuns += state.dryRuns;
    if (state.total > 0) {
      this.firstMs = Math.min(this.firstMs, state.firstMs);
      this.lastMs = Math.max(this.lastMs, state.lastMs);
    }
    for (const [hour, count, failed] of state.hours) {
      const bucket = this.hours.get(hour);
      if (bucket) {
        bucket[0] += count;
        bucket[1] += failed;
      } else this.hours.set(hour, [count, failed]);
    }
    for (const op of state.operations) {
      const mine = this.operations.get(op.operation);
      if (mine) {
        mine.count += op.count;
        mine.failed += op.failed;
      } else this.operations.set(op.operation, { ...op });
    }
    for (const p of state.principals) {
      const mine = this.groupEntry(this.principals, this.otherPrincipals, p.caller.id, p.count, p.failed, () => ({ caller: p.caller, count: 0, failed: 0, lastSeen: p.lastSeen, lastSeenMs: p.lastSeenMs, ops: new Set<string>() }));
      if (!mine) continue;
      tally(mine, p.count, p.failed, p.lastSeen, p.lastSeenMs);
      for (const op of p.ops) mine.ops.add(op);
    }
    for (const c of state.contexts) {
      const mine = this.groupEntry(this.contexts, this.otherContexts, c.group.id, c.count, c.failed, () => ({ group: c.group, count: 0, failed: 0, lastSeen: c.lastSeen, lastSeenMs: c.lastSeenMs, resources: new Set<string>(), capped: false }));
      if (!mine) continue;
      tally(mine, c.count, c.failed, c.lastSeen, c.lastSeenMs);
      for (const resource of c.resources) this.addResource(mine, resource);
      if (c.capped) mine.capped = true;
    }
    for (const [mine, theirs] of [[this.otherPrincipals, state.otherPrincipals], [this.otherContexts, state.otherContexts]] as const) {
      if (!theirs) continue;
      mine.count += theirs.count;
      mine.failed += theirs.failed;
      for (const id of theirs.ids) noteOmitted(mine, id);
      if (theirs.capped) mine.capped = true;
    }
    for (const [code, count] of state.codes) this.codes.set(code, (this.codes.get(code) ?? 0) + count);
    this.pushFailures(state.failures);
    if (state.firstFailure && (!this.firstFailure || state.firstFailure.timeMs <= this.firstFailure.timeMs)) this.firstFailure = state.firstFailure;
    if (state.lastEvent && (!this.lastEvent || state.lastEvent.timeMs > this.lastEvent.timeMs)) this.lastEvent = state.lastEvent;
    if (state.lastUse && (!this.lastUse || state.lastUse.timeMs > this.lastUse.timeMs)) this.lastUse = state.lastUse;
    return this;
  }

  /** Plain data (structured-clone safe: what a worker thread posts back). */
  toState(): UsageAccumulatorState {
    this.compactFailures();
    return {
      total: this.total,
      failed: this.failed,
      dryRuns: this.dryRuns,
      firstMs: this.firstMs,
      lastMs: this.lastMs,
      hours: [...this.hours].map(([hour, [count, failed]]) => [hour, count, failed]),
      operations: [...this.operations.values()].map((o) => ({ ...o })),
      principals: [...this.principals.values()].map((p) => ({ caller: p.caller, count: p.count, failed: p.failed, lastSeen: p.lastSeen, lastSeenMs: p.lastSeenMs, ops: [...p.ops] })),
      contexts: [...this.contexts.values()].map((c) => ({ group: c.group, count: c.count, failed: c.failed, lastSeen: c.lastSeen, lastSeenMs: c.lastSeenMs, resources: [...c.resources], capped: c.capped })),
      codes: [...this.codes],
      otherPrincipals: otherState(this.otherPrincipals),
      otherContexts: otherState(this.otherContexts),
      failures: [...this.failures],
      ...(this.firstFailure ? { firstFailure: this.firstFailure } : {}),
      ...(this.lastUse ? { lastUse: this.lastUse } : {}),
      ...(this.lastEvent ? { lastEvent: this.lastEvent } : {}),
    };
  }

  static fromState(state: UsageAccumulatorState, options: { keyArn?: string; start?: number; end?: number } = {}): UsageAccumulator {
    return new UsageAccumulator(options).merge(state);
  }

  /** How many items the accumulator holds (for tests of its bounds). */
  sizes(): { failures: number; resources: number; recentIds: number; hours: number; principals: number; contexts: number; omittedIds: number } {
    let resources = 0;
    for (const c of this.contexts.values()) resources += c.resources.size;
    return {
      failures: this.failures.length,
      resources,
      recentIds: this.recentIds.size,
      hours: this.hours.size,
      principals: this.principals.size,
      contexts: this.contexts.size,
      omittedIds: this.otherPrincipals.ids.size + this.otherContexts.ids.size,
    };
  }

  /**
   * The entry of group `id` to add `count` events (`failed` of them failed) to, made with `make`
   * when new — after keeping only the heaviest when the groups are full. Undefined when the group
   * is already among the ones not kept: its events are counted with theirs here.
   */
  private groupEntry<E extends { count: number; failed: number }>(groups: Map<string, E>, other: OtherGroups, id: string, count: number, failed: number, make: () => E): E | undefined {
    const entry = groups.get(id);
    if (entry) return entry;
    if (other.ids.has(id)) {
      other.count += count;
      other.failed += failed;
      return undefined;
    }
    if (groups.size >= 2 * GROUPS_KEPT) this.compactGroups(groups, other);
    const made = make();
    groups.set(id, made);
    return made;
  }

  /** Keeps the GROUPS_KEPT heaviest groups one by one; the others' events are counted together. */
  private compactGroups<E extends { count: number; failed: number; resources?: Set<string> }>(groups: Map<string, E>, other: OtherGroups): void {
    if (groups.size <= GROUPS_KEPT) return;
    const sorted = [...groups].sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0));
    for (const [id, entry] of sorted.slice(GROUPS_KEPT)) {
      groups.delete(id);
      other.count += entry.count;
      other.failed += entry.failed;
      if (entry.resources) this.resourcesHeld -= entry.resources.size;
      noteOmitted(other, id);
    }
  }

  private addResource(entry: ContextEntry, resource: string): void {
    if (entry.resources.has(resource)) return;
    if (entry.resources.size < RESOURCES_KEPT && this.resourcesHeld < RESOURCES_TOTAL_KEPT) {
      entry.resources.add(resource);
      this.resourcesHeld += 1;
    } else entry.capped = true;
  }

  /**
   * The summary of the window [start, end] (both in ms): hourly timeline for a window of a day or
   * less, daily otherwise (UTC). Events outside it were not counted when the accumulator was
   * given the same bounds; without bounds, pass the span of the evidence.
   */
  summary(range: { start: number; end: number; days?: number }): UsageSummary {
    const { start, end } = range;
    const days = range.days ?? Math.max(1, Math.ceil((end - start) / DAY));
    const bucketMs = days <= 1 ? HOUR : DAY;
    const firstBucket = Math.floor(start / bucketMs) * bucketMs;
    const bucketCount = Math.max(1, Math.floor(end / bucketMs) - Math.floor(start / bucketMs) + 1);
    const counts = new Array<number>(bucketCount).fill(0);
    const failedCounts = new Array<number>(bucketCount).fill(0);
    for (const [hour, [count, failed]] of this.hours) {
      const at = Math.round((Math.floor(hour / bucketMs) * bucketMs - firstBucket) / bucketMs);
      if (at < 0 || at >= bucketCount) continue;
      counts[at]! += count;
      failedCounts[at]! += failed;
    }
    this.compactFailures();
    const failures = this.failures.map(withoutTime);
    const principals = boundGroups(
      [...this.principals.values()]
        .map((p) => ({ ...p.caller, count: p.count, failed: p.failed, lastSeen: p.lastSeen, operations: [...p.ops].sort() }))
        .sort(byCountThenName((p) => p.id)),
      this.otherPrincipals,
    );
    const contexts = boundGroups(
      [...this.contexts.values()]
        .map((c) => ({ ...c.group, count: c.count, failed: c.failed, lastSeen: c.lastSeen, resources: c.resources.size, ...(c.capped ? { resourcesCapped: true } : {}) }))
        .sort(byCountThenName((c) => c.id)),
      this.otherContexts,
    );
    const summary: UsageSummary = {
      window: { days, start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      total: this.total,
      failed: this.failed,
      dryRuns: this.dryRuns,
      operations: [...this.operations.values()].map((o) => ({ ...o })).sort(byCountThenName((o) => o.operation)),
      principals: principals.list,
      contexts: contexts.list,
      timeline: { bucket: bucketMs === HOUR ? 'hour' : 'day', start: new Date(firstBucket).toISOString(), counts, failed: failedCounts },
      errorCodes: [...this.codes.entries()].map(([code, count]) => ({ code, count })).sort(byCountThenName((c) => c.code)),
      failures,
    };
    if (this.lastUse) summary.lastUse = withoutTime(this.lastUse);
    if (this.lastEvent) summary.lastEvent = withoutTime(this.lastEvent);
    if (this.firstFailure) {
      summary.lastFailure = failures[0]!;
      summary.firstFailure = withoutTime(this.firstFailure);
    }
    if (this.failed > failures.length) summary.failuresOmitted = this.failed - failures.length;
    if (principals.omitted) summary.principalsOmitted = principals.omitted;
    if (contexts.omitted) summary.contextsOmitted = contexts.omitted;
    return summary;
  }

  private pushFailures(more: ReadonlyArray<Timed<FailedAttempt>>): void {
    for (const f of more) this.failures.push(f);
    if (this.failures.length > 2 * FAILURES_KEPT) this.compactFailures();
  }

  /** Newest first (ties: the one given first), cut to FAILURES_KEPT. */
  private compactFailures(): void {
    this.failures.sort((a, b) => b.timeMs - a.timeMs);
    if (this.failures.length > FAILURES_KEPT) this.failures.length = FAILURES_KEPT;
  }
}

/** `UsageAccumulator.toState()`: plain data only. */
export interface UsageAccumulatorState {
  total: number;
  failed: number;
  dryRuns: number;
  firstMs: number;
  lastMs: number;
  /** [hour start (ms), events, failed] */
  hours: Array<[number, number, number]>;
  operations: OperationCount[];
  principals: Array<{ caller: Caller; count: number; failed: number; lastSeen: string; lastSeenMs: number; ops: string[] }>;
  contexts: Array<{ group: ContextGroup; count: number; failed: number; lastSeen: string; lastSeenMs: number; resources: string[]; capped: boolean }>;
  codes: Array<[string, number]>;
  /** Callers and contexts counted together (absent in a state from before they were bounded). */
  otherPrincipals?: OtherGroupsState;
  otherContexts?: OtherGroupsState;
  failures: Array<Timed<FailedAttempt>>;
  firstFailure?: Timed<FailedAttempt>;
  lastUse?: Timed<UseRecord>;
  lastEvent?: Timed<UseRecord>;
}

export interface OtherGroupsState {
  count: number;
  failed: number;
  ids: string[];
  capped: boolean;
}

function otherState(other: OtherGroups): OtherGroupsState {
  return { count: other.count, failed: other.failed, ids: [...other.ids], capped: other.capped };
}

// Millions of events share a few callers and contexts: their descriptions are computed once.
// The keys hold exactly what the result depends on; the caches are bounded (cleared when full).
const CACHE_LIMIT = 4_096;
const callerCache = new Map<string, Caller>();
const contextCache = new Map<string, ContextGroup>();

function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let found = cache.get(key);
  if (found === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, (found = make()));
  }
  return found;
}

/** `callerOf`, cached: a service by its name; a role session (not EC2 infrastructure) by its role. */
function cachedCallerOf(event: UsageEvent): Caller {
  let key: string;
  if (event.invokedBy) key = `s\u0000${event.invokedBy}`;
  else if (event.identityType === 'AssumedRole' && event.arn && event.roleArn && !event.arn.includes('assumed-role/aws:ec2-infrastructure/')) key = `r\u0000${event.roleArn}`;
  else key = `x\u0000${event.identityType ?? ''}\u0000${event.arn ?? ''}\u0000${event.roleArn ?? ''}`;
  return remember(callerCache, key, () => callerOf(event));
}

/** `contextGroupOf`, cached: per-resource values (VOLATILE_CONTEXT_KEYS, S3 objects) do not change the group. */
function cachedContextGroupOf(context: Record<string, string> | undefined): ContextGroup {
  if (!context) return remember(contextCache, '', () => contextGroupOf(undefined));
  let key = '';
  for (const name in context) key += `${name}\u0001${stableContextValue(name, context[name]!) ?? ''}\u0002`;
  return remember(contextCache, key, () => contextGroupOf(context));
}

function withoutTime<T extends { timeMs: number }>(item: T): Omit<T, 'timeMs'> {
  const { timeMs: _timeMs, ...rest } = item;
  return rest;
}

/**
 * Summarises the events of a window ending at `now`. Accepts raw records (objects or JSON
 * strings) or parsed events; anything unparseable or outside the window is skipped. With
 * `keyArn`, only events whose resources name that key count. An event id seen twice counts once.
 */
export function summarizeUsage(records: Iterable<unknown>, window: UsageWindow, now: Date, options: { keyArn?: string } = {}): UsageSummary {
  const days = windowDays(window);
  const end = now.getTime();
  const start = end - days * DAY;
  const accumulator = new UsageAccumulator({ ...(options.keyArn ? { keyArn: options.keyArn } : {}), start, end });
  // The records are in memory already: remembering their ids costs no more than they do.
  const seenIds = new Set<string>();
  for (const item of records) {
    const event = isUsageEvent(item) ? item : parseCloudTrailRecord(item);
    if (!event || seenIds.has(event.eventId)) continue;
    if (accumulator.add(event)) seenIds.add(event.eventId);
  }
  return accumulator.summary({ start, end, days });
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
  /** Where the events come from: LookupEvents, log files from `--cloudtrail-dir`, a trail's bucket (`--cloudtrail-s3`), or Logs Insights queries. */
  source: 'cloudtrail' | 'files' | 's3' | 'insights';
  /** LookupEvents pages (or files, or S3 objects) read so far. */
  pages: number;
  /** Compressed bytes read so far (S3 objects). */
  bytes?: number;
  /** Events loaded (LookupEvents), or records read, of any key (files; S3 objects while reading, the key's events once read). */
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
  /** Logs Insights: queries run, when a window had to be asked in parts to stay under 10,000 rows. */
  queryParts?: number;
  /** Which engine reads and why, when keywarden chose it (`engine: 'auto'`). */
  engineReason?: string;
  /** The longest window the engines available for this key can serve (LookupEvents 90, Logs Insights 365). */
  maxWindowDays?: number;
}

export interface UsageLoadState {
  keyArn: string;
  window: UsageWindow;
  /** Newest first for LookupEvents; empty for log files, which are summarised as they stream by. */
  events: UsageEvent[];
  progress: UsageProgress;
  /** The summary, when the reader built it itself (log files, Logs Insights); otherwise summarise `events`, which is then empty. */
  summary?: UsageSummary;
  /** Why the evidence is incomplete (log files that could not be read), in words. */
  incomplete?: string;
  /** With several accounts: the other accounts' trails read for the key (src/domain/caller-trails.ts). */
  callerTrails?: CallerTrails;
  /** With several accounts: those trails are still being read. */
  callerTrailsPending?: boolean;
}

export interface UsageRequest {
  window: UsageWindow;
  /** Called after every page with everything loaded so far. */
  onProgress?: (state: UsageLoadState) => void;
  /** Read CloudTrail log files (S3 delivery format) from here instead of LookupEvents. */
  cloudtrailDir?: string;
  /** Read the log files from a trail's S3 bucket: `url` (s3://bucket/prefix), or the trail's own bucket. */
  cloudtrailS3?: { url?: string };
  /**
   * Query the trail's CloudWatch Logs log group with Logs Insights instead of LookupEvents; `auto`:
   * Insights when the trail delivers there and the window is long, LookupEvents otherwise.
   */
  engine?: 'lookup' | 'insights' | 'files' | 'auto';
  /** `auto`: told which engine keywarden chose and why, before reading (and again if a refusal changes it). */
  onEngine?: (choice: { engine: 'lookup' | 'insights' | 'files'; reason: string }) => void;
}

/** "1.4 MB" */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "412 events loaded (page 9) · 2 req/s"; from a bucket "9,120 records read (37 objects, 1.4 MB)", then "412 events loaded (…)" */
export function progressLine(progress: UsageProgress): string {
  if (progress.source === 's3') {
    const state = progress.stopped ? ' · stopped' : '';
    // While reading, the count is of records of any key (it only grows); once read, of the key's events.
    const counted = progress.done || progress.stopped ? `${grouped(progress.events)} event${progress.events === 1 ? '' : 's'} loaded` : `${grouped(progress.events)} record${progress.events === 1 ? '' : 's'} read`;
    return `${counted} (${grouped(progress.pages)} object${progress.pages === 1 ? '' : 's'}, ${formatBytes(progress.bytes ?? 0)})${state}`;
  }
  if (progress.source === 'files') return `${grouped(progress.events)} record${progress.events === 1 ? '' : 's'} read (file ${grouped(progress.pages)})${progress.stopped ? ' · stopped' : ''}`;
  const unit = 'page';
  const state = progress.stopped ? ' · stopped' : progress.done ? '' : ` · ${progress.requestsPerSecond} req/s`;
  const throttled = progress.throttled > 0 ? ` · throttled ${progress.throttled}×` : '';
  return `${grouped(progress.events)} event${progress.events === 1 ? '' : 's'} loaded (${unit} ${grouped(progress.pages)})${state}${throttled}`;
}
