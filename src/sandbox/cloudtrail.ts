// AWS CloudTrail (awsJson1_1, `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`):
// every KMS call the sandbox serves becomes a CloudTrail record with the real shape (KMS.md §6.1,
// the seed documents), the simulated workloads add theirs (workloads.ts), and LookupEvents,
// DescribeTrails, GetTrailStatus and GetEventSelectors read them back (KMS.md §6.2, §12).
//
// What is stored: only events that really happened in this sandbox (live calls and workload calls
// after the seed time), capped, in a JSON-lines file next to the state file — never in the state
// file itself, so a read-only KMS call does not rewrite a 6 MB state. The year of history before
// the seed time is generated lazily and deterministically (workloads.ts); LookupEvents serves only
// its last 90 days (HORIZON_MS), the trail's log group and bucket all of it.

import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SANDBOX_ACCOUNT } from './constants.js';
import { uuidFor } from './crypto.js';
import { AwsError, type CallerIdentity, type JsonService, type RequestContext } from './protocol.js';
import type { SandboxState, Store } from './state.js';
import { historyEvents, prepareSeededUsage, runWorkloads } from './workloads.js';

const DAY_MS = 86_400_000;
export const HORIZON_MS = 90 * DAY_MS;
/**
 * How far the generated history reaches back before the seed time: a year and a day, so that a
 * 365-day window read from the trail's bucket or its log group (kept 365 days) is whole. Never
 * before the trail's log group was created, nor before a workload's key was.
 */
export const HISTORY_MS = 366 * DAY_MS;
export const TRAIL_NAME = 'management-events';
export const TRAIL_HOME_REGION = 'us-east-1';
export const TRAIL_ARN = `arn:aws:cloudtrail:${TRAIL_HOME_REGION}:${SANDBOX_ACCOUNT}:trail/${TRAIL_NAME}`;
export const TRAIL_LOG_GROUP = `aws-cloudtrail-logs-${SANDBOX_ACCOUNT}-management`;
export const TRAIL_LOG_GROUP_ARN = `arn:aws:logs:${TRAIL_HOME_REGION}:${SANDBOX_ACCOUNT}:log-group:${TRAIL_LOG_GROUP}:*`;
/** The trail's bucket (DescribeTrails S3BucketName, in the home Region) and key prefix (S3KeyPrefix); trail-delivery.ts fills it. */
export const TRAIL_BUCKET = `aws-cloudtrail-logs-${SANDBOX_ACCOUNT}-3f1c9a2b`;
export const TRAIL_KEY_PREFIX = 'management';
export const TRAIL_ROLE_ARN = `arn:aws:iam::${SANDBOX_ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role`;

/**
 * One account's trail as AWS names it: its ARN, its CloudWatch Logs group, its bucket (bucket names
 * are global, so each account has its own) and the key that encrypts its files. The management
 * account's is the constants above, with its seeded `alias/cloudtrail/management-events` key;
 * a member account's trail writes its files with S3's own encryption (SSE-S3: no KmsKeyId).
 */
export interface TrailIdentity {
  account: string;
  arn: string;
  logGroup: string;
  logGroupArn: string;
  bucket: string;
  roleArn: string;
  kmsKeyArn?: string;
}

export function trailIdentity(account: string): TrailIdentity {
  if (account === SANDBOX_ACCOUNT) {
    return { account, arn: TRAIL_ARN, logGroup: TRAIL_LOG_GROUP, logGroupArn: TRAIL_LOG_GROUP_ARN, bucket: TRAIL_BUCKET, roleArn: TRAIL_ROLE_ARN, kmsKeyArn: TRAIL_KMS_KEY_ARN };
  }
  const logGroup = `aws-cloudtrail-logs-${account}-management`;
  return {
    account,
    arn: `arn:aws:cloudtrail:${TRAIL_HOME_REGION}:${account}:trail/${TRAIL_NAME}`,
    logGroup,
    logGroupArn: `arn:aws:logs:${TRAIL_HOME_REGION}:${account}:log-group:${logGroup}:*`,
    bucket: `aws-cloudtrail-logs-${account}-${uuidFor(`bucket/${account}`).slice(0, 8)}`,
    roleArn: `arn:aws:iam::${account}:role/CloudTrail_CloudWatchLogs_Role`,
  };
}

/** The CloudWatch Logs stream of one Region's events: `<account>_CloudTrail_<region>`. */
export function trailStreamName(account: string, region: string): string {
  return `${account}_CloudTrail_${region}`;
}
/** Stored live events kept (oldest dropped first). */
export const LIVE_EVENT_LIMIT = 50_000;

/** A CloudTrail record as delivered (the `CloudTrailEvent` JSON of LookupEvents). */
export type CloudTrailRecord = Record<string, unknown> & {
  eventVersion: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  eventID: string;
  readOnly: boolean;
};

/** Who made a call, as CloudTrail shows it. */
export type Actor =
  | { kind: 'service'; invokedBy: string }
  | { kind: 'role'; role: string; session: string; roleId: string; via?: string; sourceIp?: string; userAgent?: string; accessKeyId?: string; account?: string }
  | { kind: 'user'; user: string; userId: string; accessKeyId: string; sourceIp?: string; userAgent?: string };

export interface KmsEventInput {
  time: number;
  region: string;
  operation: string;
  actor: Actor;
  /** The KMS request as sent (PascalCase); Plaintext and CiphertextBlob are never logged. */
  params: Record<string, unknown> | null;
  /** The handler's answer, for the few operations whose responseElements are not null. */
  result?: unknown;
  error?: { code: string; message: string };
  keyArn?: string;
  requestId: string;
  eventId: string;
  additionalEventData?: Record<string, unknown>;
  /** The account whose trail holds the record (default: the management account). */
  recipientAccount?: string;
  /**
   * A call delivered to two accounts (a cross-account call, in the key owner's trail and the
   * caller's): the id both copies share, while each has its own eventID (CloudTrail User Guide,
   * "Example sharedEventID": "The events have the same sharedEventID, but the eventID and
   * recipientAccountID are unique").
   */
  sharedEventId?: string;
}

const READ_ONLY_KMS = /^(Describe|List|Get|Encrypt|Decrypt|GenerateDataKey|GenerateRandom|Sign|Verify|GenerateMac|VerifyMac|DeriveSharedSecret|ReEncrypt)/;
const NEVER_LOGGED = new Set(['Plaintext', 'CiphertextBlob', 'GrantTokens', 'Recipient']);
const VERBATIM_MAPS = new Set(['EncryptionContext', 'EncryptionContextSubset', 'EncryptionContextEquals', 'SourceEncryptionContext', 'DestinationEncryptionContext']);

function camel(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

/** KMS request parameters as CloudTrail writes them: camelCase names, context maps verbatim. */
export function requestParametersOf(params: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!params) return null;
  const convert = (value: unknown, verbatim: boolean): unknown => {
    if (verbatim || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => convert(item, false));
    const out: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
      if (NEVER_LOGGED.has(name)) continue;
      out[camel(name)] = convert(inner, VERBATIM_MAPS.has(name));
    }
    return out;
  };
  const out = convert(params, false) as Record<string, unknown>;
  return Object.keys(out).length === 0 ? null : out;
}

/** KMS logs the algorithm it used for symmetric Encrypt/Decrypt even when the caller left it out. */
function withDefaults(operation: string, params: Record<string, unknown> | null): Record<string, unknown> | null {
  if ((operation === 'Decrypt' || operation === 'Encrypt') && params && params.EncryptionAlgorithm === undefined) {
    return { ...params, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }
  return params;
}

/** responseElements: null for crypto calls and reads (KMS.md §6.1); the ids for grants and deletions. */
function responseElementsOf(operation: string, keyArn: string | undefined, result: unknown): Record<string, unknown> | null {
  const out = (result ?? {}) as Record<string, unknown>;
  switch (operation) {
    case 'CreateGrant':
      return { grantId: out.GrantId, keyId: keyArn };
    case 'RetireGrant':
    case 'CancelKeyDeletion':
      return keyArn ? { keyId: keyArn } : null;
    case 'ScheduleKeyDeletion':
      return { keyId: out.KeyId, keyState: out.KeyState, ...(out.DeletionDate !== undefined ? { deletionDate: new Date(Number(out.DeletionDate) * 1000).toUTCString().replace('GMT', 'UTC') } : {}), pendingWindowInDays: out.PendingWindowInDays };
    case 'CreateKey': {
      const meta = (out.KeyMetadata ?? {}) as Record<string, unknown>;
      return { keyMetadata: requestParametersOf({ ...meta, CreationDate: undefined }) };
    }
    default:
      return null;
  }
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A deterministic UUID-shaped id. */
export function idFor(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The eventID of the caller's account's copy of a cross-account call (the key owner's copy keeps `eventId`). */
export function callerCopyEventId(eventId: string, callerAccount: string): string {
  return idFor(`event/${eventId}/${callerAccount}`);
}

/** The sharedEventID of the two copies of a cross-account call. */
export function sharedEventIdFor(seed: string): string {
  return idFor(`shared-call/${seed}`);
}

function accessKeyFor(seed: string): string {
  return `ASIA${createHash('sha256').update(seed).digest('hex').slice(0, 16).toUpperCase()}`;
}

interface IdentityParts {
  userIdentity: Record<string, unknown>;
  sourceIPAddress: string;
  userAgent: string;
  isService: boolean;
}

function identityOf(actor: Actor, time: number): IdentityParts {
  const account = SANDBOX_ACCOUNT;
  if (actor.kind === 'service') {
    return { userIdentity: { type: 'AWSService', invokedBy: actor.invokedBy }, sourceIPAddress: actor.invokedBy, userAgent: actor.invokedBy, isService: true };
  }
  if (actor.kind === 'user') {
    return {
      userIdentity: { type: 'IAMUser', principalId: actor.userId, arn: `arn:aws:iam::${account}:user/${actor.user}`, accountId: account, accessKeyId: actor.accessKeyId, userName: actor.user },
      sourceIPAddress: actor.sourceIp ?? '203.0.113.24',
      userAgent: actor.userAgent ?? 'aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.11.9',
      isService: false,
    };
  }
  const sessionStart = Math.floor(time / 3_600_000) * 3_600_000;
  const roleAccount = actor.account ?? account; // a role of another account calling this account's key
  return {
    userIdentity: {
      type: 'AssumedRole',
      principalId: `${actor.roleId}:${actor.session}`,
      arn: `arn:aws:sts::${roleAccount}:assumed-role/${actor.role}/${actor.session}`,
      accountId: roleAccount,
      accessKeyId: actor.accessKeyId ?? accessKeyFor(`${actor.role}/${actor.session}/${sessionStart}`),
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: actor.roleId, arn: `arn:aws:iam::${roleAccount}:role/${actor.role}`, accountId: roleAccount, userName: actor.role },
        webIdFederationData: {},
        attributes: { creationDate: isoSeconds(sessionStart), mfaAuthenticated: 'false' },
      },
      ...(actor.via ? { invokedBy: actor.via } : {}),
    },
    sourceIPAddress: actor.via ?? actor.sourceIp ?? '10.0.12.34',
    userAgent: actor.via ?? actor.userAgent ?? 'aws-sdk-java/2.25.60 Linux/6.1 OpenJDK_64-Bit_Server_VM/17.0.11 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE',
    isService: false,
  };
}

/** The sandbox caller (operator role or IAM user) as a CloudTrail actor. */
export function actorForCaller(caller: CallerIdentity, meta: { sourceIp?: string; userAgent?: string } = {}): Actor {
  const role = /^arn:aws:sts::\d{12}:assumed-role\/([^/]+)\/(.+)$/.exec(caller.arn);
  if (role) {
    return { kind: 'role', role: role[1]!, session: role[2]!, roleId: caller.userId.split(':')[0]!, accessKeyId: caller.accessKeyId, ...(caller.account !== SANDBOX_ACCOUNT ? { account: caller.account } : {}), ...(meta.sourceIp ? { sourceIp: meta.sourceIp } : {}), ...(meta.userAgent ? { userAgent: meta.userAgent } : {}) };
  }
  return { kind: 'user', user: caller.arn.split('/').pop() ?? caller.accessKeyId, userId: caller.userId, accessKeyId: caller.accessKeyId, ...(meta.sourceIp ? { sourceIp: meta.sourceIp } : {}), ...(meta.userAgent ? { userAgent: meta.userAgent } : {}) };
}

/** A KMS event record in the real shape (seed documents; KMS.md §6.1). */
export function kmsRecord(input: KmsEventInput): CloudTrailRecord {
  const who = identityOf(input.actor, input.time);
  const internal = input.actor.kind === 'service' && input.actor.invokedBy === 'AWS Internal';
  const record: CloudTrailRecord = {
    eventVersion: '1.08',
    userIdentity: who.userIdentity,
    eventTime: isoSeconds(input.time),
    eventSource: 'kms.amazonaws.com',
    eventName: input.operation,
    awsRegion: input.region,
    sourceIPAddress: who.sourceIPAddress,
    userAgent: who.userAgent,
    ...(input.error ? { errorCode: input.error.code === 'AccessDeniedException' ? 'AccessDenied' : input.error.code, errorMessage: input.error.message } : {}),
    // A service acting on its own (grant retirement by AWS Internal) logs no request parameters.
    requestParameters: internal ? null : requestParametersOf(withDefaults(input.operation, input.params)),
    responseElements: input.error ? null : responseElementsOf(input.operation, input.keyArn, input.result),
    ...(input.additionalEventData ? { additionalEventData: input.additionalEventData } : {}),
    requestID: input.requestId,
    eventID: input.eventId,
    readOnly: READ_ONLY_KMS.test(input.operation),
    ...(input.keyArn ? { resources: [{ accountId: who.isService ? 'AWS Internal' : (/^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(input.keyArn)?.[1] ?? SANDBOX_ACCOUNT), type: 'AWS::KMS::Key', ARN: input.keyArn }] } : {}),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: input.recipientAccount ?? SANDBOX_ACCOUNT,
    ...(input.sharedEventId ? { sharedEventID: input.sharedEventId } : who.isService ? { sharedEventID: idFor(`shared/${input.eventId}`) } : {}),
    eventCategory: 'Management',
  };
  return record;
}

// ---------------------------------------------------------------------------------------------
// The stored events of one sandbox.

export interface TimedRecord {
  /** Epoch ms (eventTime has whole seconds only). */
  time: number;
  record: CloudTrailRecord;
  /** Order of arrival among live events, for ties within a millisecond. */
  seq?: number;
  /**
   * false: the trail did not deliver this event (it was not logging, or its event selectors left
   * the event out). The event history (LookupEvents) has it all the same; the trail's log group
   * and bucket do not.
   */
  delivered?: boolean;
}

/** Whether the trail, with these switches, delivers a record (to its log group and its bucket). */
export function trailDelivers(trail: SandboxState['trail'], record: { eventSource?: unknown; readOnly?: unknown }): boolean {
  if (!trail.logging || !trail.includeManagementEvents) return false;
  if (typeof record.eventSource === 'string' && trail.excludeManagementEventSources.includes(record.eventSource)) return false;
  if (trail.readWriteType === 'WriteOnly' && record.readOnly === true) return false;
  if (trail.readWriteType === 'ReadOnly' && record.readOnly === false) return false;
  return true;
}

export interface TrailOptions {
  /** JSON-lines file for live events; undefined = memory only. */
  file?: string;
  /** The trail is an organization trail of this organization (`o-…`): its bucket layout has the org id. */
  organizationId?: string;
}

export class Trail {
  private live: TimedRecord[] = [];
  private seq = 0;
  private writes: Promise<void> = Promise.resolve();
  private pendingLines: string[] = [];
  private linesInFile = 0;
  /** Workloads have run up to here (epoch ms of sandbox time). */
  cursor = 0;
  readonly historyCache = new Map<string, TimedRecord[]>();
  /** The log files delivered to the trail's bucket, by Region and day (trail-delivery.ts). */
  readonly deliveryCache = new Map<string, unknown>();

  constructor(
    readonly store: Store,
    private readonly options: TrailOptions,
  ) {}

  get seededAt(): number {
    return this.store.state.seededAt;
  }

  get organizationId(): string | undefined {
    return this.options.organizationId;
  }

  /**
   * The trail DescribeTrails shows this account: its own; with an organization trail, a member
   * account sees the organization's trail, which the management account owns (its ARN, its log
   * group and bucket), and has no trail of its own. Events still land in the account's own
   * LookupEvents, as AWS keeps them.
   */
  get described(): TrailIdentity & { organization: boolean } {
    const organization = this.options.organizationId !== undefined;
    return { ...trailIdentity(organization ? SANDBOX_ACCOUNT : this.store.account), organization };
  }

  async load(): Promise<void> {
    this.live = [];
    this.cursor = this.seededAt;
    this.historyCache.clear();
    this.deliveryCache.clear();
    if (!this.options.file) return;
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch {
      await this.rewrite();
      return;
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    let matches = false;
    for (const [i, line] of lines.entries()) {
      try {
        const entry = JSON.parse(line) as { seed?: number; c?: number; e?: CloudTrailRecord; t?: number; n?: number };
        if (i === 0) {
          matches = entry.seed === this.seededAt;
          if (!matches) break;
          continue;
        }
        if (typeof entry.c === 'number') this.cursor = Math.max(this.cursor, entry.c);
        if (entry.e && typeof entry.e.eventTime === 'string') {
          this.live.push({ time: entry.t ?? Date.parse(entry.e.eventTime), record: entry.e, seq: this.seq++, ...(entry.n === 1 ? { delivered: false } : {}) });
        }
      } catch {
        // A torn last line (crash while appending) is dropped.
      }
    }
    if (!matches) {
      this.live = [];
      this.cursor = this.seededAt;
      await this.rewrite();
      return;
    }
    this.live.sort((a, b) => a.time - b.time || a.seq! - b.seq!);
    this.linesInFile = lines.length;
    if (this.live.length > LIVE_EVENT_LIMIT) {
      this.live = this.live.slice(this.live.length - LIVE_EVENT_LIMIT);
      await this.rewrite();
    }
  }

  async reset(): Promise<void> {
    this.live = [];
    this.cursor = this.seededAt;
    this.historyCache.clear();
    this.deliveryCache.clear();
    prepareSeededUsage(this);
    await this.rewrite();
  }

  private rewrite(): Promise<void> {
    const file = this.options.file;
    if (!file) return Promise.resolve();
    const lines = [JSON.stringify({ seed: this.seededAt }), JSON.stringify({ c: this.cursor }), ...this.live.map(lineOf)];
    this.linesInFile = lines.length;
    this.pendingLines = [];
    this.writes = this.writes
      .catch(() => undefined)
      .then(async () => {
        await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
      });
    return this.writes;
  }

  /** Adds a record; delivers it to the trail's log group. */
  add(record: CloudTrailRecord, time: number, deliver?: RequestContext['deliverLogs']): void {
    const entry: TimedRecord = { time, record, seq: this.seq++, ...(trailDelivers(this.store.state.trail, record) ? {} : { delivered: false }) };
    const last = this.live.at(-1);
    if (!last || last.time <= time) this.live.push(entry);
    else {
      let at = this.live.length;
      while (at > 0 && this.live[at - 1]!.time > time) at -= 1;
      this.live.splice(at, 0, entry);
    }
    if (this.live.length > LIVE_EVENT_LIMIT) this.live.splice(0, this.live.length - LIVE_EVENT_LIMIT);
    if (this.options.file) this.pendingLines.push(lineOf(entry));
    if (deliver) deliverRecords(deliver, [entry], this.store.account);
  }

  /** Notes how far the workloads have run (persisted with the next flush). */
  advanceCursor(ms: number): void {
    if (ms <= this.cursor) return;
    this.cursor = ms;
    if (this.pendingLines.length > 0) this.pendingLines.push(JSON.stringify({ c: ms }));
  }

  /** Appends what was added since the last flush (compacting when the file has grown). */
  flush(): Promise<void> {
    const file = this.options.file;
    if (!file || this.pendingLines.length === 0) return this.writes;
    if (this.linesInFile + this.pendingLines.length > 2 * LIVE_EVENT_LIMIT) return this.rewrite();
    const lines = this.pendingLines;
    this.pendingLines = [];
    this.linesInFile += lines.length;
    this.writes = this.writes.catch(() => undefined).then(() => appendFile(file, `${lines.join('\n')}\n`, { mode: 0o600 }));
    return this.writes;
  }

  liveEvents(): readonly TimedRecord[] {
    return this.live;
  }
}

/** A live event's line in the JSON-lines file (`n: 1`: not delivered by the trail). */
function lineOf(entry: TimedRecord): string {
  return JSON.stringify({ t: entry.time, e: entry.record, ...(entry.delivered === false ? { n: 1 } : {}) });
}

/** Hands records to the account's trail's CloudWatch Logs log group, one delivery per log stream (region). */
export function deliverRecords(deliver: RequestContext['deliverLogs'], entries: readonly TimedRecord[], account: string): void {
  const byStream = new Map<string, TimedRecord[]>();
  for (const entry of entries) {
    const stream = trailStreamName(account, entry.record.awsRegion);
    let list = byStream.get(stream);
    if (!list) byStream.set(stream, (list = []));
    list.push(entry);
  }
  for (const [logStreamName, list] of byStream) {
    deliver({
      region: TRAIL_HOME_REGION,
      logGroupName: trailIdentity(account).logGroup,
      logStreamName,
      events: list.map((e) => ({ timestamp: e.time, message: JSON.stringify(e.record) })),
    });
  }
}

const trails = new WeakMap<Store, Trail>();

/** Creates (and loads) the trail of one sandbox; its handlers find it through the store. */
export async function openTrail(store: Store, options: TrailOptions = {}): Promise<Trail> {
  const trail = new Trail(store, options);
  await trail.load();
  prepareSeededUsage(trail);
  trails.set(store, trail);
  return trail;
}

/** The trail of one sandbox (undefined before openTrail). */
export function trailFor(store: Store): Trail | undefined {
  return trails.get(store);
}

/**
 * What the trail delivered to its CloudWatch Logs log group that the group's stored events do not
 * hold (the sandbox keeps MAX_EVENTS_PER_GROUP events per group): the generated history before
 * the seed time, in every region, and — when the group has reached its cap — the live events
 * older than its oldest stored one. Logs Insights reads these with the stored events, as AWS
 * would read the whole group. In no particular order.
 */
export function* trailDeliveredArchive(store: Store, from: number, to: number, liveBefore: number | undefined): Generator<TimedRecord> {
  const trail = trails.get(store);
  if (!trail) return;
  const regions = new Set<string>([TRAIL_HOME_REGION, ...store.state.keys.map((k) => k.region)]);
  for (const region of regions) yield* historyEvents(trail, { region, from, to: Math.min(to, trail.seededAt) });
  if (liveBefore === undefined) return;
  const config = store.state.trail;
  for (const entry of trail.liveEvents()) {
    if (entry.time >= liveBefore) break;
    if (entry.time < from || entry.time > to) continue;
    // CHOICE: evicted live events pass today's selectors (the delivery-time settings are not kept).
    if (config.excludeManagementEventSources.includes(entry.record.eventSource)) continue;
    if (config.readWriteType === 'WriteOnly' && entry.record.readOnly) continue;
    if (config.readWriteType === 'ReadOnly' && !entry.record.readOnly) continue;
    yield entry;
  }
}

/** The trail of an account's store (workloads.ts: a cross-account call is logged in the caller's trail too). */
export function trailOfStore(store: Store): Trail | undefined {
  return trails.get(store);
}

function trailOf(ctx: { store: Store }): Trail {
  const trail = trails.get(ctx.store);
  if (!trail) throw new AwsError('InternalFailure', 'CloudTrail is not set up in this sandbox', 500);
  return trail;
}

/**
 * Records one KMS call served over HTTP (success or failure). `copy`: the caller's account's copy of
 * a cross-account call gets its own eventID, and both copies the sharedEventID (kmsRecord).
 */
export function recordKmsCall(
  ctx: RequestContext,
  params: Record<string, unknown>,
  outcome: { result?: unknown; error?: { code: string; message: string }; keyArn?: string },
  meta: { sourceIp?: string; userAgent?: string } = {},
  copy: { eventId?: string; sharedEventId?: string } = {},
): void {
  const trail = trails.get(ctx.store);
  if (!trail) return;
  const record = kmsRecord({
    time: ctx.now().getTime(),
    region: ctx.region,
    operation: ctx.operation,
    actor: actorForCaller(ctx.caller, meta),
    params,
    result: outcome.result,
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.keyArn ? { keyArn: outcome.keyArn } : {}),
    requestId: ctx.requestId,
    // The same id GetKeyLastUsage reports for a successful crypto call (kms.ts recordUse).
    eventId: copy.eventId ?? ctx.eventId ?? idFor(`event/${ctx.requestId}`),
    recipientAccount: ctx.store.account,
    ...(copy.sharedEventId ? { sharedEventId: copy.sharedEventId } : {}),
  });
  trail.add(record, ctx.now().getTime(), ctx.deliverLogs);
}

/** Runs the simulated workloads' calls that fell due since the last catch-up (before each request). */
export function catchUpWorkloads(ctx: RequestContext): void {
  const trail = trails.get(ctx.store);
  if (!trail) return;
  runWorkloads(trail, ctx);
}

// ---------------------------------------------------------------------------------------------
// LookupEvents (KMS.md §6.2)

const ATTRIBUTE_KEYS = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'] as const;
type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

/** The LookupEvents `Username`: the session name of a role, the user name, or the service. */
export function usernameOf(record: CloudTrailRecord): string | undefined {
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
  if (identity.type === 'AWSService') return typeof identity.invokedBy === 'string' ? identity.invokedBy : undefined;
  if (typeof identity.userName === 'string') return identity.userName;
  if (typeof identity.arn === 'string') return identity.arn.split('/').pop();
  return undefined;
}

function resourcesOf(record: CloudTrailRecord): Array<{ type: string; ARN: string }> {
  return Array.isArray(record.resources) ? (record.resources as Array<{ type: string; ARN: string }>) : [];
}

function matches(record: CloudTrailRecord, key: AttributeKey, value: string): boolean {
  switch (key) {
    case 'EventId':
      return record.eventID === value;
    case 'EventName':
      return record.eventName === value;
    case 'ReadOnly':
      return String(record.readOnly) === value;
    case 'Username':
      return usernameOf(record) === value;
    case 'ResourceType':
      return resourcesOf(record).some((r) => r.type === value);
    case 'ResourceName':
      return resourcesOf(record).some((r) => r.ARN === value);
    case 'EventSource':
      return record.eventSource === value;
    case 'AccessKeyId':
      return (record.userIdentity as Record<string, unknown> | undefined)?.accessKeyId === value;
  }
}

function epochMs(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new AwsError('SerializationException', `Expected a timestamp for ${field}`);
  return ms;
}

function tokenFor(hash: string, last: TimedRecord): string {
  return Buffer.from(JSON.stringify({ h: hash, t: last.time, i: last.record.eventID })).toString('base64url');
}

function readToken(token: string, hash: string): { t: number; i: string } {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { h?: unknown; t?: unknown; i?: unknown };
    if (raw.h === hash && typeof raw.t === 'number' && typeof raw.i === 'string') return { t: raw.t, i: raw.i };
  } catch {
    // fall through
  }
  // CHOICE: one message for a malformed token and one sent with different parameters.
  throw new AwsError('InvalidNextTokenException', 'Invalid NextToken: it must be sent back with exactly the same parameters as the request that returned it.');
}

/** Newest first; ties broken by event id so paging is stable. */
function newerFirst(a: TimedRecord, b: TimedRecord): number {
  if (a.time !== b.time) return b.time - a.time;
  if (a.seq !== undefined && b.seq !== undefined) return b.seq - a.seq;
  if (a.seq !== undefined) return -1; // live events come after (are newer than) history at the same instant
  if (b.seq !== undefined) return 1;
  return a.record.eventID < b.record.eventID ? 1 : a.record.eventID > b.record.eventID ? -1 : 0;
}

function lookupEvents(ctx: RequestContext, params: Record<string, unknown>): unknown {
  // Its 2/s quota is enforced with the KMS quotas, before the request is served (quotas.ts).
  const trail = trailOf(ctx);
  const attributes = params.LookupAttributes ?? [];
  if (!Array.isArray(attributes)) throw new AwsError('SerializationException', 'Expected a list for LookupAttributes');
  if (attributes.length > 1) throw new AwsError('InvalidLookupAttributesException', 'You cannot have more than one lookup attribute.');
  let filter: { key: AttributeKey; value: string } | undefined;
  if (attributes.length === 1) {
    const attribute = attributes[0] as { AttributeKey?: unknown; AttributeValue?: unknown };
    const key = attribute?.AttributeKey;
    const value = attribute?.AttributeValue;
    if (typeof key !== 'string' || !(ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
      throw new AwsError('InvalidLookupAttributesException', `Invalid attribute key: ${String(key)}. Valid keys are ${ATTRIBUTE_KEYS.join(', ')}.`);
    }
    if (typeof value !== 'string' || value.length < 1 || value.length > 2000) {
      throw new AwsError('InvalidLookupAttributesException', 'The attribute value must be between 1 and 2000 characters.');
    }
    if (key === 'ReadOnly' && value !== 'true' && value !== 'false') {
      throw new AwsError('InvalidLookupAttributesException', 'The ReadOnly attribute value must be true or false.');
    }
    filter = { key: key as AttributeKey, value };
  }
  if (params.EventCategory !== undefined && params.EventCategory !== null && params.EventCategory !== 'insight') {
    throw new AwsError('InvalidEventCategoryException', 'Invalid event category. The only valid value is insight.');
  }
  const maxResults = params.MaxResults ?? 50;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50) {
    throw new AwsError('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
  }
  const nowMs = ctx.now().getTime();
  const start = epochMs(params.StartTime, 'StartTime');
  const end = epochMs(params.EndTime, 'EndTime');
  if (start !== undefined && end !== undefined && start > end) {
    throw new AwsError('InvalidTimeRangeException', 'Start time must be earlier than end time.');
  }
  const from = Math.max(start ?? 0, nowMs - HORIZON_MS);
  const to = Math.min(end ?? nowMs, nowMs);
  const hash = createHash('sha256')
    .update(JSON.stringify([ctx.region, filter ?? null, params.StartTime ?? null, params.EndTime ?? null, params.EventCategory ?? null, maxResults]))
    .digest('hex')
    .slice(0, 16);
  const token = typeof params.NextToken === 'string' && params.NextToken !== '' ? readToken(params.NextToken, hash) : undefined;
  if (params.EventCategory === 'insight') return { Events: [] };

  const candidates: TimedRecord[] = [];
  const accept = (entry: TimedRecord) => {
    if (entry.time < from || entry.time > to) return;
    if (entry.record.awsRegion !== ctx.region) return;
    if (filter && !matches(entry.record, filter.key, filter.value)) return;
    candidates.push(entry);
  };
  for (const entry of trail.liveEvents()) accept(entry);
  for (const entry of historyEvents(trail, { region: ctx.region, from, to, ...(filter?.key === 'ResourceName' ? { keyArn: filter.value } : {}) })) accept(entry);
  candidates.sort(newerFirst);
  let startAt = 0;
  if (token) {
    const at = candidates.findIndex((entry) => entry.time === token.t && entry.record.eventID === token.i);
    if (at >= 0) startAt = at + 1;
    else {
      // The last event shown is gone (dropped by the cap): resume at the first older one.
      startAt = candidates.findIndex((entry) => entry.time < token.t);
      if (startAt < 0) startAt = candidates.length;
    }
  }
  const page = candidates.slice(startAt, startAt + maxResults);
  const more = startAt + page.length < candidates.length;
  return {
    Events: page.map(({ time, record }) => {
      const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
      const username = usernameOf(record);
      return {
        EventId: record.eventID,
        EventName: record.eventName,
        ReadOnly: String(record.readOnly),
        ...(typeof identity.accessKeyId === 'string' ? { AccessKeyId: identity.accessKeyId } : {}),
        EventTime: time / 1000,
        EventSource: record.eventSource,
        ...(username ? { Username: username } : {}),
        Resources: resourcesOf(record).map((r) => ({ ResourceType: r.type, ResourceName: r.ARN })),
        CloudTrailEvent: JSON.stringify(record),
      };
    }),
    ...(more && page.length > 0 ? { NextToken: tokenFor(hash, page.at(-1)!) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The account's trail (KMS.md §12): one multi-Region trail delivering to CloudWatch Logs.

function trailDescription(trail: Trail | undefined, account: string): Record<string, unknown> {
  const id = trail?.described ?? { ...trailIdentity(account), organization: false };
  return {
    Name: TRAIL_NAME,
    S3BucketName: id.bucket,
    S3KeyPrefix: TRAIL_KEY_PREFIX,
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: true,
    HomeRegion: TRAIL_HOME_REGION,
    TrailARN: id.arn,
    LogFileValidationEnabled: true,
    CloudWatchLogsLogGroupArn: id.logGroupArn,
    CloudWatchLogsRoleArn: id.roleArn,
    ...(id.kmsKeyArn ? { KmsKeyId: id.kmsKeyArn } : {}),
    HasCustomEventSelectors: false,
    HasInsightSelectors: false,
    IsOrganizationTrail: id.organization,
  };
}

/** The seeded `alias/cloudtrail/management-events` key encrypts the trail's log files. */
const CLOUDTRAIL_KEY_ID = uuidFor('cloudtrail-logs');
export const TRAIL_KMS_KEY_ARN = `arn:aws:kms:${TRAIL_HOME_REGION}:${SANDBOX_ACCOUNT}:key/${CLOUDTRAIL_KEY_ID}`;

/** The ARN of the trail the caller's account sees. */
function describedArn(ctx: RequestContext): string {
  return trails.get(ctx.store)?.described.arn ?? trailIdentity(ctx.store.account).arn;
}

function findTrail(ctx: RequestContext, name: unknown, field: string): void {
  if (typeof name !== 'string' || name === '') throw new AwsError('InvalidTrailNameException', `${field} must not be empty.`);
  if (name !== TRAIL_NAME && name !== describedArn(ctx)) {
    const arn = name.startsWith('arn:') ? name : `arn:aws:cloudtrail:${ctx.region}:${ctx.store.account}:trail/${name}`;
    throw new AwsError('TrailNotFoundException', `Unknown trail: ${arn} for the user: ${ctx.store.account}`);
  }
}

/**
 * Current SDKs send `X-Amz-Target: CloudTrail_20131101.<Op>`; older SDKs and the AWS CLI v1 the
 * fully qualified `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>` (see the alias below).
 */
export const cloudtrailService: JsonService = {
  name: 'cloudtrail',
  targetPrefix: 'CloudTrail_20131101.',
  contentType: 'application/x-amz-json-1.1',
  operations: {
    LookupEvents: lookupEvents,
    DescribeTrails: (ctx, params) => {
      const names = params.trailNameList;
      const includeShadow = params.includeShadowTrails !== false;
      const shadow = ctx.region !== TRAIL_HOME_REGION;
      if (shadow && !includeShadow) return { trailList: [] };
      if (Array.isArray(names) && names.length > 0 && !names.some((n) => n === TRAIL_NAME || n === describedArn(ctx))) return { trailList: [] };
      return { trailList: [trailDescription(trails.get(ctx.store), ctx.store.account)] };
    },
    GetTrailStatus: (ctx, params) => {
      findTrail(ctx, params.Name, 'Name');
      const trail = trailOf(ctx);
      const nowSec = Math.floor(ctx.now().getTime() / 1000);
      const started = Math.floor(trail.seededAt / 1000) - 400 * 86_400;
      return {
        IsLogging: ctx.store.state.trail.logging,
        LatestDeliveryTime: nowSec - 300,
        LatestCloudWatchLogsDeliveryTime: nowSec - 60,
        LatestDigestDeliveryTime: nowSec - 1800,
        LatestDeliveryAttemptTime: new Date((nowSec - 300) * 1000).toISOString(),
        LatestDeliveryAttemptSucceeded: new Date((nowSec - 300) * 1000).toISOString(),
        LatestNotificationAttemptTime: '',
        LatestNotificationAttemptSucceeded: '',
        StartLoggingTime: started,
        TimeLoggingStarted: new Date(started * 1000).toISOString(),
        TimeLoggingStopped: '',
      };
    },
    GetEventSelectors: (ctx, params) => {
      findTrail(ctx, params.TrailName, 'TrailName');
      const trail = ctx.store.state.trail;
      return {
        TrailARN: describedArn(ctx),
        EventSelectors: [
          {
            ReadWriteType: trail.readWriteType,
            IncludeManagementEvents: trail.includeManagementEvents,
            DataResources: [],
            ExcludeManagementEventSources: trail.excludeManagementEventSources,
          },
        ],
      };
    },
    // The switches an account owner flips (and that silently blind an alarm, KMS.md §12).
    StopLogging: (ctx, params) => {
      findTrail(ctx, params.Name, 'Name');
      ctx.store.state.trail.logging = false;
      ctx.store.touchState();
      return {};
    },
    StartLogging: (ctx, params) => {
      findTrail(ctx, params.Name, 'Name');
      ctx.store.state.trail.logging = true;
      ctx.store.touchState();
      return {};
    },
    PutEventSelectors: (ctx, params) => {
      findTrail(ctx, params.TrailName, 'TrailName');
      const selectors = params.EventSelectors;
      if (!Array.isArray(selectors) || selectors.length === 0 || selectors.length > 5) {
        throw new AwsError('InvalidEventSelectorsException', 'You must specify 1 to 5 event selectors.');
      }
      const first = selectors[0] as { ReadWriteType?: unknown; IncludeManagementEvents?: unknown; ExcludeManagementEventSources?: unknown };
      const rw = first.ReadWriteType ?? 'All';
      if (rw !== 'All' && rw !== 'ReadOnly' && rw !== 'WriteOnly') throw new AwsError('InvalidEventSelectorsException', `Invalid ReadWriteType: ${String(rw)}`);
      ctx.store.state.trail = {
        logging: ctx.store.state.trail.logging,
        readWriteType: rw,
        includeManagementEvents: first.IncludeManagementEvents !== false,
        excludeManagementEventSources: Array.isArray(first.ExcludeManagementEventSources) ? first.ExcludeManagementEventSources.filter((x): x is string => typeof x === 'string') : [],
      };
      ctx.store.touchState();
      return { TrailARN: describedArn(ctx), EventSelectors: selectors };
    },
  },
};

/** The same service under the fully qualified target prefix. */
export const cloudtrailQualifiedService: JsonService = {
  ...cloudtrailService,
  targetPrefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.',
};
