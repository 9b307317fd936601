// The guided retirement as a pure state machine: disable → alarm on any use → watch → schedule
// deletion, with a way back at every stage. `applyEvent` moves a record from stage to stage
// (an event that does not apply returns the same record); `nextSteps` says what may happen now,
// given the record AND what AWS shows now (the key may have been changed by someone else);
// `reconcile` names every difference between the two. No I/O here: src/aws/retirement.ts
// carries the steps out, src/journal/ keeps the record.

import type { Grant, KeyDetail, KeyMetadata, LastUsage } from './key.js';
import { conditionsOn, parsePolicy, statementCoversAction } from './policy.js';
import type { UsageSummary } from './usage.js';
import { isServicePrincipal } from './services.js';
import { USE_OPERATIONS } from './usage.js';

export const RETIREMENT_STAGES = [
  /** Evidence gathered; blocking findings being acknowledged. Nothing changed yet. */
  'preflight',
  /** DisableKey done; no watch yet. */
  'disabled',
  /** The alarm (or the weaker CloudTrail watch) is in place; the observation window runs. */
  'watching',
  /** Someone tried to use the key while it was disabled: deletion is off the table; roll back or investigate. */
  'use-detected',
  /** ScheduleKeyDeletion done; the waiting period runs. CancelKeyDeletion is the way back. */
  'deletion-scheduled',
  /** The waiting period ended and KMS deleted the key. */
  'deleted',
  /** The key was enabled again: the retirement is abandoned. */
  'rolled-back',
  /**
   * Finished: the alarm and filter are removed (after deletion or rollback), or the retirement was
   * closed without finishing because someone else changed the key (`abandoned` says why).
   */
  'closed',
] as const;
export type RetirementStage = (typeof RETIREMENT_STAGES)[number];

export const WATCH_DAYS_DEFAULT = 14;
export const DELETION_WINDOW_MIN = 7;
export const DELETION_WINDOW_MAX = 30;
export const DELETION_WINDOW_DEFAULT = 30;
/** How far back CloudTrail LookupEvents reaches (KMS.md §7): the weaker watch sees no further. */
export const CLOUDTRAIL_LOOKBACK_DAYS = 90;

export type Watch =
  | {
      kind: 'alarm';
      /** The log group's region: a multi-Region trail delivers every region's events to its home region. */
      logGroupRegion: string;
      logGroupName: string;
      filterName: string;
      metricNamespace: string;
      metricName: string;
      alarmName: string;
      snsTopicArn?: string;
      /** The trail whose delivery the alarm relies on (absent when the operator named the log group). */
      trailArn?: string;
    }
  | {
      /** The weaker watch: no alarm can see the key's use; keywarden polls CloudTrail when it runs. */
      kind: 'cloudtrail-poll';
      reason: string;
    };

export interface StepRecord {
  step: string;
  at: string;
  by: string;
  ok: boolean;
  detail?: string;
  requestId?: string;
}

export interface RetirementRecord {
  v: 1;
  keyArn: string;
  keyId: string;
  region: string;
  account: string;
  /** The name the operator knows it by, for confirmations and lists. */
  name: string;
  stage: RetirementStage;
  startedAt: string;
  startedBy: string;
  /** Observation window in days (the operator's choice). */
  watchDays: number;
  /** Findings the operator acknowledged at preflight (ids). */
  acknowledged: string[];
  evidence: { summary: string; lastUsage?: string; findings: string[] };
  disabledAt?: string;
  /**
   * Whether keywarden's own DisableKey disabled the key (false: it was already Disabled when the
   * retirement reached that step). Absent in records written before this was kept: treated as true.
   */
  disabledByKeywarden?: boolean;
  watch?: Watch;
  watchStartedAt?: string;
  deletionScheduledAt?: string;
  deletionDate?: string;
  pendingWindowDays?: number;
  /** Who tried to use the key while it was disabled (from the alarm or CloudTrail). */
  useDetected?: { at: string; summary: string };
  /**
   * Failed uses before this time are already accounted for: the operator kept the key disabled
   * after a detected use (recorded in `steps`) and started the watch again. The restart's time
   * rounded up to a whole second, CloudTrail's precision.
   */
  usesSeenUntil?: string;
  /** Closed without finishing (the `close` step): why. The key was left as it was. */
  abandoned?: { at: string; reason: string };
  steps: StepRecord[];
}

// ---------------------------------------------------------------------------------------------
// Preflight findings

export interface Finding {
  id: string;
  /** blocking: must be acknowledged before the key is disabled. stop: the key cannot be retired at all. */
  severity: 'stop' | 'blocking' | 'warning';
  title: string;
  detail: string;
}

export interface PreflightEvidence {
  metadata: KeyMetadata;
  lastUsage: LastUsage;
  grants?: Grant[];
  /** CloudTrail over the chosen window, when it could be read. */
  usage?: { windowDays: number; successfulUses: number; lastSuccess?: string; callers: string[] };
  now: Date;
  windowDays: number;
}

const DAY_MS = 86_400_000;

function isServiceGrant(grant: Grant): boolean {
  return (
    isServicePrincipal(grant.granteePrincipal) ||
    isServicePrincipal(grant.retiringPrincipal) ||
    /:assumed-role\/aws:ec2-infrastructure\//.test(grant.granteePrincipal ?? '')
  );
}

export function preflightFindings(evidence: PreflightEvidence): Finding[] {
  const { metadata: meta, lastUsage, grants, usage, now, windowDays } = evidence;
  const findings: Finding[] = [];
  if (meta.keyManager === 'AWS') {
    findings.push({ id: 'aws-managed', severity: 'stop', title: 'AWS managed key', detail: 'AWS managed keys cannot be disabled or deleted.' });
  }
  if (meta.state !== 'Enabled' && meta.state !== 'Disabled') {
    findings.push({
      id: 'state',
      severity: 'stop',
      title: `the key is ${meta.state}`,
      detail:
        meta.state === 'PendingDeletion' || meta.state === 'PendingReplicaDeletion'
          ? 'Deletion is already scheduled. Cancel it first (the key returns to Disabled) if you want the guided retirement.'
          : `A key in state ${meta.state} cannot go through disable → watch → delete.`,
    });
  }
  const cutoff = now.getTime() - windowDays * DAY_MS;
  if (lastUsage.kind === 'used' && new Date(lastUsage.timestamp).getTime() >= cutoff) {
    findings.push({
      id: 'used-recently',
      severity: 'blocking',
      title: `used ${lastUsage.operation} on ${lastUsage.timestamp.slice(0, 10)}`,
      detail: `The key was used within the last ${windowDays} days (GetKeyLastUsage). Disabling it will break whatever used it.`,
    });
  } else if (usage && usage.successfulUses > 0) {
    findings.push({
      id: 'used-recently',
      severity: 'blocking',
      title: `${usage.successfulUses} successful uses in CloudTrail in the last ${usage.windowDays} days`,
      detail: `Callers: ${usage.callers.slice(0, 5).join(', ') || 'unknown'}. Disabling the key will break them.`,
    });
  }
  if (lastUsage.kind === 'not-since-tracking') {
    findings.push({
      id: 'use-unknown-before-tracking',
      severity: 'warning',
      title: `no use since ${lastUsage.trackingStartDate.slice(0, 10)}; earlier use unknown`,
      detail: 'KMS started tracking last use after this key was created. Only CloudTrail (90 days, or delivered log files) can tell about older use.',
    });
  }
  const serviceGrants = (grants ?? []).filter(isServiceGrant);
  if (serviceGrants.length > 0) {
    findings.push({
      id: 'service-grants',
      severity: 'blocking',
      title: `${serviceGrants.length} active grant${serviceGrants.length === 1 ? '' : 's'} held by AWS services`,
      detail: 'AWS services (EBS volumes, ECS/Fargate tasks …) hold grants on this key: the resources behind them stop working once it is disabled.',
    });
  }
  if (meta.multiRegion && meta.multiRegionRole === 'PRIMARY' && (meta.replicaKeys?.length ?? 0) > 0) {
    findings.push({
      id: 'mrk-primary-with-replicas',
      severity: 'blocking',
      title: `multi-Region primary with ${meta.replicaKeys!.length} replica${meta.replicaKeys!.length === 1 ? '' : 's'}`,
      detail:
        'Retire the replicas first. Deleting a primary that still has replicas leaves it in PendingReplicaDeletion indefinitely; its waiting period starts only when the last replica is deleted.',
    });
  }
  if (meta.keySpec !== 'SYMMETRIC_DEFAULT' && meta.keyUsage !== 'GENERATE_VERIFY_MAC') {
    findings.push({
      id: 'asymmetric',
      severity: 'blocking',
      title: 'asymmetric key',
      detail: 'Its public key may have been downloaded and used outside KMS (verifying signatures, encrypting): no alarm can see that use.',
    });
  }
  return findings;
}

/** Findings that must be acknowledged before disabling (stop findings cannot be). */
export function unacknowledged(findings: readonly Finding[], acknowledged: readonly string[]): Finding[] {
  return findings.filter((f) => f.severity === 'blocking' && !acknowledged.includes(f.id));
}

// ---------------------------------------------------------------------------------------------
// Names and the metric filter: predictable from the key id, so a colleague's keywarden finds them.

export const METRIC_NAMESPACE = 'Keywarden/KMS';

export function watchNames(keyId: string): { filterName: string; metricName: string; alarmName: string } {
  return {
    filterName: `keywarden-retire-${keyId}`,
    metricName: `KeyUseWhileRetiring-${keyId}`,
    alarmName: `keywarden-retire-${keyId}`,
  };
}

/**
 * The operations whose failure on this key is a *use* of it: the cryptographic operations (what
 * GetKeyLastUsage counts, src/domain/usage.ts) and GetPublicKey (a caller fetching the public key
 * of an asymmetric key). Management calls — keywarden's own DisableKey, TagResource,
 * ScheduleKeyDeletion, or a colleague's racing ScheduleKeyDeletion refused with "… is pending
 * deletion." — fail with the same message but are never a use (invariant 7).
 */
export const WATCHED_OPERATIONS: readonly string[] = [...USE_OPERATIONS, 'GetPublicKey'];

/**
 * Matches failed KMS calls on THIS key because it is disabled or pending deletion: AWS puts the
 * key ARN in those error messages (KMS.md §1.4, §6.1), so the pattern matches the message for
 * this ARN — not the error code alone, which other keys' failures share — and only for the
 * operations that are a use of the key (WATCHED_OPERATIONS).
 */
export function metricFilterPattern(keyArn: string): string {
  const quoted = (suffix: string) => `($.errorMessage = "${keyArn} ${suffix}")`;
  const ops = WATCHED_OPERATIONS.map((op) => `($.eventName = "${op}")`).join(' || ');
  return `{ ($.eventSource = "kms.amazonaws.com") && (${quoted('is disabled.')} || ${quoted('is pending deletion.')} || ${quoted('is pending replica deletion.')}) && (${ops}) }`;
}

/** The pattern keywarden wrote before it left management calls out: still keywarden's own filter. */
export function legacyMetricFilterPattern(keyArn: string): string {
  const quoted = (suffix: string) => `($.errorMessage = "${keyArn} ${suffix}")`;
  return `{ ($.eventSource = "kms.amazonaws.com") && (${quoted('is disabled.')} || ${quoted('is pending deletion.')} || ${quoted('is pending replica deletion.')}) }`;
}

/** A CloudTrail record of a Decrypt refused because the key is disabled: the filter's self-test. */
export function syntheticFailedUse(keyArn: string, account: string, region: string, reason: 'disabled' | 'pending deletion', at: Date): string {
  return JSON.stringify({
    eventVersion: '1.08',
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${account}:assumed-role/keywarden-self-test/check`, accountId: account },
    eventTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: region,
    sourceIPAddress: '192.0.2.1',
    userAgent: 'keywarden-self-test',
    errorCode: reason === 'disabled' ? 'DisabledException' : 'KMSInvalidStateException',
    errorMessage: `${keyArn} is ${reason}.`,
    requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    responseElements: null,
    requestID: '00000000-0000-0000-0000-000000000000',
    eventID: '00000000-0000-0000-0000-000000000001',
    readOnly: true,
    resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: keyArn }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  });
}

/** The tags that mirror the retirement on the key itself, for colleagues and the console. */
export const TAG_STAGE = 'keywarden:retirement-stage';
export const TAG_SINCE = 'keywarden:retirement-since';
export const TAG_WATCH = 'keywarden:retirement-watch';
export const TAG_WINDOW = 'keywarden:retirement-watch-days';
/** Who disabled the key: keywarden, or it was already Disabled (then rollback never enables it). */
export const TAG_DISABLED_BY = 'keywarden:retirement-disabled-by';
const DISABLED_BY_VALUES = { keywarden: true, 'already-disabled': false } as const;

export function retirementTags(record: RetirementRecord): Array<{ key: string; value: string }> {
  return [
    { key: TAG_STAGE, value: record.stage },
    { key: TAG_SINCE, value: record.startedAt },
    { key: TAG_WATCH, value: record.watch ? (record.watch.kind === 'alarm' ? record.watch.alarmName : TAG_WATCH_WEAKER) : 'none yet' },
    { key: TAG_WINDOW, value: String(record.watchDays) },
    ...(record.disabledByKeywarden === undefined ? [] : [{ key: TAG_DISABLED_BY, value: record.disabledByKeywarden ? 'keywarden' : 'already-disabled' }]),
  ];
}

/** The weaker watch as written in the watch tag. */
export const TAG_WATCH_WEAKER = 'cloudtrail-poll (weaker)';

export type TagPickUp =
  | { kind: 'none' }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'ok'; stage: RetirementStage; since: string; watchDays: number; watch: 'alarm' | 'cloudtrail-poll' | 'none'; disabledByKeywarden?: boolean };

/** Clock skew tolerated between the machine that wrote `since` and this one. */
const SINCE_SKEW_MS = 5 * 60_000;

/**
 * Reads the retirement tags of a key. Anyone with kms:TagResource can write them, so nothing is
 * taken on trust: every value must be one keywarden writes (a known stage, `since` an ISO time not
 * in the future, a whole number of watch days that `parseWatchDays` allows, a watch keywarden
 * names), or the pick-up is refused with what is wrong.
 */
export function parseRetirementTags(tags: Readonly<Record<string, string>>, keyId: string, now: Date): TagPickUp {
  const stage = tags[TAG_STAGE];
  if (stage === undefined) return { kind: 'none' };
  const problems: string[] = [];
  if (!(RETIREMENT_STAGES as readonly string[]).includes(stage)) problems.push(`${TAG_STAGE} is "${stage}", not a stage keywarden writes (${RETIREMENT_STAGES.join(', ')})`);
  const since = tags[TAG_SINCE];
  const sinceMs = since !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(since) ? new Date(since).getTime() : NaN;
  if (since === undefined) problems.push(`${TAG_SINCE} is missing`);
  else if (Number.isNaN(sinceMs) || new Date(sinceMs).toISOString().slice(0, 19) !== since.slice(0, 19)) problems.push(`${TAG_SINCE} is "${since}", not an ISO-8601 UTC time`);
  else if (sinceMs > now.getTime() + SINCE_SKEW_MS) problems.push(`${TAG_SINCE} is ${since}, in the future (now ${now.toISOString()})`);
  const days = tags[TAG_WINDOW];
  const parsedDays = days === undefined || days.trim() === '' ? undefined : parseWatchDays(days);
  if (!parsedDays) problems.push(`${TAG_WINDOW} is missing`);
  else if (!parsedDays.ok || days !== String(parsedDays.days)) problems.push(`${TAG_WINDOW} is "${days}": ${parsedDays.ok ? 'not written as keywarden writes it' : parsedDays.message}`);
  const watchTag = tags[TAG_WATCH];
  const watch = watchTag === watchNames(keyId).alarmName ? 'alarm' : watchTag === TAG_WATCH_WEAKER ? 'cloudtrail-poll' : watchTag === 'none yet' ? 'none' : undefined;
  if (watch === undefined) problems.push(`${TAG_WATCH} is ${watchTag === undefined ? 'missing' : `"${watchTag}", not a watch keywarden makes for this key`}`);
  const disabledBy = tags[TAG_DISABLED_BY];
  if (disabledBy !== undefined && !Object.hasOwn(DISABLED_BY_VALUES, disabledBy)) {
    problems.push(`${TAG_DISABLED_BY} is "${disabledBy}", not one of ${Object.keys(DISABLED_BY_VALUES).join(', ')}`);
  }
  if (problems.length > 0 || watch === undefined || !parsedDays?.ok) return { kind: 'invalid', problems };
  const watched = stage === 'watching' || stage === 'use-detected' || stage === 'deletion-scheduled';
  if (watched && watch === 'none') return { kind: 'invalid', problems: [`${TAG_STAGE} is "${stage}" but ${TAG_WATCH} says no watch was set up`] };
  const byKeywarden = disabledBy === undefined ? undefined : DISABLED_BY_VALUES[disabledBy as keyof typeof DISABLED_BY_VALUES];
  return {
    kind: 'ok',
    stage: stage as RetirementStage,
    since: new Date(sinceMs).toISOString(),
    watchDays: parsedDays.days,
    watch,
    ...(byKeywarden === undefined ? {} : { disabledByKeywarden: byKeywarden }),
  };
}

// ---------------------------------------------------------------------------------------------
// The machine

export type RetirementEvent =
  | { type: 'acknowledge'; findingId: string }
  /** `byKeywarden`: keywarden's DisableKey did it (false when the key was already Disabled). */
  | { type: 'disabled'; requestId?: string; byKeywarden?: boolean; detail?: string }
  | { type: 'watch-armed'; watch: Watch; detail?: string }
  /**
   * The watch starts again from now: the weaker watch's evidence aged out of CloudTrail, the alarm
   * was deleted outside the retirement and is put back, or a use was detected and the operator
   * keeps the key disabled (who tried stays in the steps).
   */
  | { type: 'watch-rearmed'; watch: Watch; detail?: string }
  | { type: 'use-detected'; summary: string }
  /** `detail`: how it was learnt, when the answer to keywarden's own call was lost and the key's state was adopted. */
  | { type: 'deletion-scheduled'; deletionDate?: string; pendingWindowDays: number; requestId?: string; detail?: string }
  | { type: 'deletion-cancelled'; requestId?: string; detail?: string }
  | { type: 're-enabled'; requestId?: string; detail?: string }
  | { type: 'key-deleted' }
  /** `removed`: what keywarden deleted, confirmed by a read afterwards (e.g. "alarm … and metric filter …"; "nothing was left"). */
  | { type: 'watch-removed'; removed?: string }
  /** The retirement is closed without finishing (someone else changed the key); the key is left as it is. */
  | { type: 'abandoned'; reason: string; removed?: string }
  | { type: 'step-failed'; step: string; detail: string };

/** Where an event may be applied: anything else leaves the record as it is. */
const ALLOWED: Record<RetirementEvent['type'], readonly RetirementStage[]> = {
  acknowledge: ['preflight'],
  disabled: ['preflight'],
  'watch-armed': ['disabled'],
  'watch-rearmed': ['watching', 'use-detected'],
  'use-detected': ['watching', 'disabled'],
  'deletion-scheduled': ['watching'],
  'deletion-cancelled': ['deletion-scheduled'],
  're-enabled': ['preflight', 'disabled', 'watching', 'use-detected'],
  'key-deleted': ['deletion-scheduled'],
  'watch-removed': ['rolled-back', 'deleted'],
  abandoned: ['preflight', 'disabled', 'watching', 'use-detected', 'deletion-scheduled'],
  'step-failed': RETIREMENT_STAGES,
};

export function startRetirement(input: {
  keyArn: string;
  region: string;
  account: string;
  name: string;
  by: string;
  now: Date;
  watchDays?: number;
  evidence: RetirementRecord['evidence'];
}): RetirementRecord {
  return {
    v: 1,
    keyArn: input.keyArn,
    keyId: input.keyArn.split('/').pop() ?? input.keyArn,
    region: input.region,
    account: input.account,
    name: input.name,
    stage: 'preflight',
    startedAt: input.now.toISOString(),
    startedBy: input.by,
    watchDays: input.watchDays ?? WATCH_DAYS_DEFAULT,
    acknowledged: [],
    evidence: input.evidence,
    steps: [],
  };
}

export function applyEvent(record: RetirementRecord, event: RetirementEvent, at: Date, by: string): RetirementRecord {
  if (!ALLOWED[event.type].includes(record.stage)) return record;
  const time = at.toISOString();
  const step = (name: string, extra: Partial<StepRecord> = {}): StepRecord[] => [...record.steps, { step: name, at: time, by, ok: true, ...extra }];
  const rid = (e: { requestId?: string; detail?: string }) => ({ ...(e.requestId ? { requestId: e.requestId } : {}), ...(e.detail ? { detail: e.detail } : {}) });
  switch (event.type) {
    case 'acknowledge':
      if (record.acknowledged.includes(event.findingId)) return record;
      return { ...record, acknowledged: [...record.acknowledged, event.findingId], steps: step(`acknowledged ${event.findingId}`) };
    case 'disabled':
      return {
        ...record,
        stage: 'disabled',
        disabledAt: time,
        ...(event.byKeywarden === undefined ? {} : { disabledByKeywarden: event.byKeywarden }),
        steps: step(event.byKeywarden === false ? 'already disabled (not by keywarden)' : 'DisableKey', rid(event)),
      };
    case 'watch-armed':
      return {
        ...record,
        stage: 'watching',
        watch: event.watch,
        watchStartedAt: time,
        steps: step(event.watch.kind === 'alarm' ? 'alarm armed' : 'weaker CloudTrail watch recorded', event.detail ? { detail: event.detail } : {}),
      };
    case 'watch-rearmed': {
      const { useDetected, ...rest } = record;
      return {
        ...rest,
        stage: 'watching',
        watch: event.watch,
        watchStartedAt: time,
        // CloudTrail times have whole seconds: a use detected just before the restart may carry the
        // restart's own second, so uses are accounted for up to the next whole second (as those
        // between the detection and the restart are).
        ...(useDetected ? { usesSeenUntil: new Date(Math.ceil(at.getTime() / 1000) * 1000).toISOString() } : record.usesSeenUntil ? { usesSeenUntil: record.usesSeenUntil } : {}),
        steps: step(event.watch.kind === 'alarm' ? 'alarm re-armed: the watch starts again' : 'weaker CloudTrail watch started again', event.detail ? { detail: event.detail } : {}),
      };
    }
    case 'use-detected':
      return { ...record, stage: 'use-detected', useDetected: { at: time, summary: event.summary }, steps: step('use detected', { detail: event.summary }) };
    case 'deletion-scheduled': {
      const next: RetirementRecord = {
        ...record,
        stage: 'deletion-scheduled',
        deletionScheduledAt: time,
        pendingWindowDays: event.pendingWindowDays,
        steps: step('ScheduleKeyDeletion', rid(event)),
      };
      if (event.deletionDate) next.deletionDate = event.deletionDate;
      return next;
    }
    case 'deletion-cancelled': {
      // CancelKeyDeletion leaves the key Disabled: back to watching, the alarm still in place.
      const { deletionDate: _d, deletionScheduledAt: _s, pendingWindowDays: _p, ...rest } = record;
      return { ...rest, stage: 'watching', steps: step('CancelKeyDeletion', rid(event)) };
    }
    case 're-enabled':
      return { ...record, stage: 'rolled-back', steps: step('EnableKey', rid(event)) };
    case 'key-deleted':
      return { ...record, stage: 'deleted', steps: step('key deleted by KMS') };
    case 'watch-removed':
      return { ...record, stage: 'closed', steps: step(event.removed ? `removed: ${event.removed}` : 'alarm and filter removed', event.removed ? { detail: 'confirmed by a read after the deletes' } : {}) };
    case 'abandoned':
      return { ...record, stage: 'closed', abandoned: { at: time, reason: event.reason }, steps: step('closed without finishing (abandoned); the key was left as it was', { detail: `${event.reason}${event.removed ? `; removed: ${event.removed}` : ''}` }) };
    case 'step-failed':
      return { ...record, steps: [...record.steps, { step: event.step, at: time, by, ok: false, detail: event.detail }] };
  }
}

// ---------------------------------------------------------------------------------------------
// What may happen next, given what AWS shows now

export interface Reality {
  /** The key's state now; 'gone' when KMS no longer knows it (deleted). */
  keyState: KeyMetadata['state'] | 'gone';
  deletionDate?: string;
  /** For the alarm watch: whether the alarm and filter exist, and the alarm's state. */
  alarm?: { exists: boolean; filterExists: boolean; state?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; everAlarmed: boolean; configuredAt?: string };
  /** Failed attempts to use the key seen since it was disabled (CloudTrail), e.g. "role app (Decrypt) ×3". */
  attemptsSinceDisabled: string[];
  /** False when CloudTrail could not be read: the weaker watch then sees nothing and cannot clear a deletion. */
  cloudTrailReadable?: boolean;
  /**
   * Someone enabled the key after keywarden disabled it (a successful EnableKey in CloudTrail), e.g.
   * "role KeyAdmins (account …) on 2026-12-07T10:00:00Z": a disable in force now is then theirs,
   * not keywarden's, and keywarden must not enable the key (invariant 1).
   */
  enabledOutside?: string;
  /**
   * Someone else disabled the key too after keywarden did (a successful DisableKey by another
   * principal in CloudTrail), "by … on …": the key is then Disabled on their decision as well, and
   * keywarden must not enable it (invariant 1).
   */
  disabledOutside?: string;
  /**
   * Why the alarm watch may not see a use any more, read right before deletion (KMS.md §12): the
   * trail stopped logging or delivering, the alarm or filter no longer as keywarden made them.
   */
  watchProblems?: string[];
  /** A multi-Region primary's replicas and their state now ('unreadable: …' when DescribeKey failed). */
  replicas?: Array<{ arn: string; region: string; state: string }>;
}

export type StepId = 'acknowledge' | 'disable' | 'arm-watch' | 're-arm-watch' | 'schedule-deletion' | 'cancel-deletion' | 're-enable' | 'remove-watch' | 'close' | 'abandon';

export interface NextStep {
  id: StepId;
  allowed: boolean;
  /** Why it is or is not allowed now, in words. */
  why: string;
}

/** The alarm's evaluation period (keywarden's alarm: Sum over 1 × 300 s). */
const ALARM_PERIOD_MS = 300_000;

/**
 * Since when the alarm's ALARM is evidence of a use in this watch. After a detected use the watch
 * starts again, but the metric of that old use stays in the alarm's evaluation period for up to
 * 300 s: an ALARM then may be the old use. Until that period has passed, only CloudTrail (failed
 * uses since the restart) can tell a new use, and it is always read while the key is expected
 * Disabled.
 */
export function alarmEvidenceFrom(record: RetirementRecord): Date | undefined {
  const started = record.watchStartedAt ? new Date(record.watchStartedAt).getTime() : undefined;
  const settled = record.usesSeenUntil ? new Date(record.usesSeenUntil).getTime() + ALARM_PERIOD_MS : undefined;
  if (started === undefined && settled === undefined) return undefined;
  return new Date(Math.max(started ?? 0, settled ?? 0));
}

/** Someone tried to use the key while it was disabled: CloudTrail, or the alarm once it is evidence of this watch. */
export function sawUse(record: RetirementRecord, reality: Reality, now: Date): boolean {
  const from = alarmEvidenceFrom(record);
  const alarmCounts = from === undefined || now.getTime() >= from.getTime();
  return reality.attemptsSinceDisabled.length > 0 || (alarmCounts && reality.alarm?.state === 'ALARM') || reality.alarm?.everAlarmed === true;
}

export function watchEndsAt(record: RetirementRecord): Date | undefined {
  if (!record.watchStartedAt) return undefined;
  return new Date(new Date(record.watchStartedAt).getTime() + record.watchDays * DAY_MS);
}

/** Days since the weaker watch started when CloudTrail no longer reaches back to its start, else undefined. */
export function weakerWatchAgedOut(record: RetirementRecord, now: Date): number | undefined {
  if (record.watch?.kind !== 'cloudtrail-poll' || !record.watchStartedAt) return undefined;
  const days = (now.getTime() - new Date(record.watchStartedAt).getTime()) / DAY_MS;
  return days > CLOUDTRAIL_LOOKBACK_DAYS ? Math.floor(days) : undefined;
}

/**
 * Why the retirement cannot go on nor back (someone else changed the key), when it cannot: the
 * `close` step is then offered. undefined when it can.
 */
export function stuckReason(record: RetirementRecord, reality: Reality): string | undefined {
  const state = reality.keyState;
  const live = record.stage === 'disabled' || record.stage === 'watching' || record.stage === 'use-detected';
  if (record.stage === 'deletion-scheduled' && (state === 'Disabled' || state === 'Enabled')) return `the deletion was cancelled outside this retirement (the key is ${state})`;
  if (live && state === 'Enabled') return 'the key was enabled again outside this retirement';
  // Not keywarden's ScheduleKeyDeletion (its own is adopted before this is asked): keywarden never
  // cancels a deletion it did not schedule, so the retirement can only be closed.
  if (live && (state === 'PendingDeletion' || state === 'PendingReplicaDeletion')) return `someone scheduled the key for deletion outside this retirement (it is ${state}): keywarden will not cancel a deletion it did not schedule`;
  if (live && state === 'Disabled' && record.disabledByKeywarden === false) return 'the key was already Disabled when this retirement started, so keywarden will not enable it';
  if (live && state === 'Disabled' && reality.enabledOutside) {
    return `the key was enabled outside this retirement (${reality.enabledOutside}) and is Disabled again: that disable is not keywarden's, so keywarden will not enable it`;
  }
  if (live && state === 'Disabled' && reality.disabledOutside) {
    return `someone else disabled the key too (${reality.disabledOutside}): keywarden will not enable a key someone else disabled`;
  }
  if ((live || record.stage === 'preflight') && state === 'gone') return 'the key no longer exists (deleted outside this retirement)';
  if (live && alarmGone(record, reality)) return `keywarden's alarm or metric filter was deleted outside this retirement`;
  return undefined;
}

/** The alarm watch's alarm or filter no longer exists (deleted outside this retirement). */
export function alarmGone(record: RetirementRecord, reality: Reality): boolean {
  return record.watch?.kind === 'alarm' && reality.alarm !== undefined && (!reality.alarm.exists || !reality.alarm.filterExists);
}

/** What the `close` step does and does not do, in words (for the step, the CLI and the wizard). */
export function closeStepText(record: RetirementRecord, keyState: Reality['keyState']): string {
  const watch = record.watch?.kind === 'alarm' ? `removes keywarden's alarm ${record.watch.alarmName} and metric filter ${record.watch.filterName} (those that still exist), ` : '';
  const tags =
    keyState === 'gone'
      ? ''
      : keyState === 'PendingDeletion' || keyState === 'PendingReplicaDeletion'
        ? 'leaves the keywarden:retirement-* tags on the key (a key pending deletion cannot be untagged; they go with it), '
        : 'removes the keywarden:retirement-* tags from the key, ';
  return `close the retirement without finishing it: keywarden ${watch}${tags}and records it as closed (abandoned) with the reason. It does NOT enable, disable, delete or cancel the deletion of the key: the key stays ${keyState === 'gone' ? 'gone' : keyState}. Start a new retirement later if you still want it gone`;
}

/** Differences between the record and AWS; each is a reason not to continue blindly. */
export function reconcile(record: RetirementRecord, reality: Reality): string[] {
  const drift: string[] = [];
  const { keyState } = reality;
  const expectDisabled = record.stage === 'disabled' || record.stage === 'watching' || record.stage === 'use-detected';
  if (keyState === 'gone' && record.stage !== 'deleted' && record.stage !== 'closed') {
    drift.push(record.stage === 'deletion-scheduled' ? 'the waiting period ended: KMS deleted the key' : 'the key no longer exists');
  }
  if (expectDisabled && keyState === 'Enabled') drift.push('the key was enabled again by someone else');
  if (expectDisabled && keyState === 'Disabled' && reality.enabledOutside) drift.push(`the key was enabled by someone else (${reality.enabledOutside}) and disabled again: the disable in force is not keywarden's`);
  if (expectDisabled && keyState === 'Disabled' && reality.disabledOutside && !reality.enabledOutside) drift.push(`someone else disabled the key too (${reality.disabledOutside}): it is disabled on their decision as well`);
  if (expectDisabled && (keyState === 'PendingDeletion' || keyState === 'PendingReplicaDeletion')) drift.push('someone scheduled the key for deletion outside this retirement');
  if (record.stage === 'deletion-scheduled' && keyState === 'Disabled') drift.push('the deletion was cancelled by someone else (the key is Disabled)');
  if (record.stage === 'deletion-scheduled' && keyState === 'Enabled') drift.push('the deletion was cancelled and the key enabled by someone else');
  if (record.watch?.kind === 'alarm' && reality.alarm && record.stage !== 'closed') {
    if (!reality.alarm.exists) drift.push(`the alarm ${record.watch.alarmName} was deleted`);
    if (!reality.alarm.filterExists) drift.push(`the metric filter ${record.watch.filterName} was deleted`);
  }
  if (record.stage === 'watching') drift.push(...(reality.watchProblems ?? []));
  return drift;
}

/** Every step with whether it is allowed now and why. The machine never skips a step. */
export function nextSteps(record: RetirementRecord, reality: Reality, findings: readonly Finding[], now: Date): NextStep[] {
  const steps: NextStep[] = [];
  const state = reality.keyState;
  const add = (id: StepId, allowed: boolean, why: string) => steps.push({ id, allowed, why });
  const drift = reconcile(record, reality);
  const used = sawUse(record, reality, now);

  switch (record.stage) {
    case 'preflight': {
      const stop = findings.find((f) => f.severity === 'stop');
      const open = unacknowledged(findings, record.acknowledged);
      if (open.length > 0) add('acknowledge', true, `acknowledge: ${open.map((f) => f.title).join('; ')}`);
      if (stop) add('disable', false, `cannot retire: ${stop.title}`);
      else if (open.length > 0) add('disable', false, `acknowledge ${open.length} finding${open.length === 1 ? '' : 's'} first`);
      else if (state !== 'Enabled' && state !== 'Disabled') add('disable', false, `the key is ${state}`);
      else add('disable', true, state === 'Disabled' ? 'the key is already disabled: record it and go on to the alarm' : 'disable the key (type its alias or id)');
      add('abandon', true, 'abandon the retirement: nothing was changed in AWS, so the record is removed');
      break;
    }
    case 'disabled':
      if (state !== 'Disabled') add('arm-watch', false, `the key should be Disabled but is ${state}: ${drift.join('; ') || 'check it'}`);
      else add('arm-watch', true, 'create the metric filter and the alarm that fire on any use of the key');
      break;
    case 'watching': {
      // The alarm configured after this watch started (a colleague's keywarden put it back): the
      // watch counts from that change, as a retirement picked up from the key's tags does.
      const configured = record.watch?.kind === 'alarm' && reality.alarm?.configuredAt && record.watchStartedAt && reality.alarm.configuredAt > record.watchStartedAt ? reality.alarm.configuredAt : undefined;
      const ends = configured ? new Date(new Date(configured).getTime() + record.watchDays * DAY_MS) : watchEndsAt(record);
      const agedOut = weakerWatchAgedOut(record, now);
      const replicasLeft = (reality.replicas ?? []).filter((r) => r.state !== 'PendingDeletion');
      const watchOk =
        record.watch?.kind === 'cloudtrail-poll' ? reality.cloudTrailReadable !== false : reality.alarm?.exists === true && reality.alarm.filterExists;
      if (used) add('schedule-deletion', false, `someone tried to use the key: ${reality.attemptsSinceDisabled.join(', ') || 'the alarm went off'}`);
      else if (state !== 'Disabled') add('schedule-deletion', false, `the key should be Disabled but is ${state}`);
      else if (!watchOk) {
        add(
          'schedule-deletion',
          false,
          record.watch?.kind === 'cloudtrail-poll' ? 'CloudTrail cannot be read, so the weaker watch cannot vouch that nobody used the key' : `the watch is gone: ${drift.join('; ')}`,
        );
        if (record.watch?.kind === 'alarm' && state === 'Disabled') {
          add('re-arm-watch', true, `put keywarden's metric filter and alarm back (self-tested) and start the ${record.watchDays}-day watch again from now; nothing changes on the key`);
        }
      }
      else if ((reality.watchProblems ?? []).length > 0) {
        add(
          'schedule-deletion',
          false,
          `the watch cannot be trusted: ${reality.watchProblems!.join('; ')}. Nothing was sent. Put the trail, alarm and filter back as keywarden made them (or roll back), then check again`,
        );
      }
      else if (agedOut !== undefined) {
        add(
          'schedule-deletion',
          false,
          `the weaker watch started ${agedOut} days ago (${record.watchStartedAt!.slice(0, 10)}), but CloudTrail LookupEvents reaches back only ${CLOUDTRAIL_LOOKBACK_DAYS} days: keywarden cannot see whether the key was used in the watch's first ${agedOut - CLOUDTRAIL_LOOKBACK_DAYS} days. Nothing was sent. Watch again: re-arm the watch from now and wait ${record.watchDays} days`,
        );
        add('re-arm-watch', true, `start the weaker watch again from now (${record.watchDays} days); nothing changes on the key`);
      }
      else if (ends && now < ends) add('schedule-deletion', false, `the watch runs until ${ends.toISOString().slice(0, 10)} (${Math.ceil((ends.getTime() - now.getTime()) / DAY_MS)} days left)`);
      else if (replicasLeft.length > 0) {
        add(
          'schedule-deletion',
          false,
          `this multi-Region primary key still has replicas that are not pending deletion: ${replicasLeft.map((r) => `${r.arn} (${r.region}, ${r.state})`).join('; ')}. Deleting the primary now would leave it PendingReplicaDeletion until every replica is deleted. Nothing was sent. Retire those replicas (schedule their deletion) first, then check again`,
        );
      }
      else add('schedule-deletion', true, `the ${record.watchDays}-day watch saw no use: schedule deletion (7–30 days, type the alias or id)`);
      break;
    }
    case 'use-detected':
      add('schedule-deletion', false, `use was detected: ${record.useDetected?.summary ?? ''}`);
      if (state === 'Disabled') {
        add(
          're-arm-watch',
          true,
          `keep the key disabled and start the ${record.watchDays}-day watch again from now (who tried stays recorded)${record.watch?.kind === 'alarm' ? "; keywarden's alarm and filter are put back as it made them" : ''}`,
        );
      }
      break;
    case 'deletion-scheduled':
      if (state === 'PendingDeletion' || state === 'PendingReplicaDeletion') {
        add('cancel-deletion', true, `cancel the deletion${record.deletionDate ? ` planned for ${record.deletionDate.slice(0, 10)}` : ''} (the key returns to Disabled)`);
      }
      break;
    case 'deleted':
    case 'rolled-back':
      if (record.watch?.kind === 'alarm') add('remove-watch', true, 'remove the alarm and the metric filter');
      else add('remove-watch', true, 'close the retirement');
      break;
    case 'closed':
      break;
  }
  // Never at preflight: keywarden has disabled nothing yet (invariant 1).
  if (state === 'Disabled' && (record.stage === 'disabled' || record.stage === 'watching' || record.stage === 'use-detected')) {
    if (reality.enabledOutside) {
      add(
        're-enable',
        false,
        `someone enabled the key after keywarden disabled it (${reality.enabledOutside}) and it is Disabled again: that disable is theirs, so keywarden will not enable it. Whoever disabled it decides`,
      );
    } else if (reality.disabledOutside) {
      add(
        're-enable',
        false,
        `someone else disabled the key too after keywarden did (${reality.disabledOutside}): it is disabled on their decision as well, so keywarden will not enable it. Whoever disabled it decides`,
      );
    } else if (record.disabledByKeywarden === false) {
      add(
        're-enable',
        false,
        `the key was already Disabled when this retirement started${record.disabledAt ? ` (recorded ${record.disabledAt.slice(0, 10)})` : ''}: keywarden did not disable it, so it will not enable it. Whoever disabled it decides; enable it yourself (EnableKey) if you are sure`,
      );
    } else add('re-enable', true, 'enable the key again and abandon the retirement');
  }
  const stuck = stuckReason(record, reality);
  if (stuck) add('close', true, `${stuck}: ${closeStepText(record, state)}`);
  return steps;
}

export function parseDeletionWindow(input: string | undefined): { ok: true; days: number } | { ok: false; message: string } {
  if (input === undefined || input.trim() === '') return { ok: true, days: DELETION_WINDOW_DEFAULT };
  const text = input.trim();
  if (!/^\d+$/.test(text)) return { ok: false, message: `the deletion waiting period must be a whole number of days (${DELETION_WINDOW_MIN}–${DELETION_WINDOW_MAX}), not "${text}"` };
  const days = Number(text);
  if (days < DELETION_WINDOW_MIN || days > DELETION_WINDOW_MAX) {
    return { ok: false, message: `the deletion waiting period must be between ${DELETION_WINDOW_MIN} and ${DELETION_WINDOW_MAX} days, not ${days}` };
  }
  return { ok: true, days };
}

export function parseWatchDays(input: string | undefined): { ok: true; days: number } | { ok: false; message: string } {
  if (input === undefined || input.trim() === '') return { ok: true, days: WATCH_DAYS_DEFAULT };
  const text = input.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 365) {
    return { ok: false, message: `the observation window must be a whole number of days from 1 to 365, not "${text}"` };
  }
  return { ok: true, days: Number(text) };
}

// ---------------------------------------------------------------------------------------------
// What the driver (src/aws/retirement.ts) reports

export interface Preflight {
  detail: KeyDetail;
  findings: Finding[];
  /** CloudTrail over the window, or why it could not be read. */
  usage: UsageSummary | { error: string };
  windowDays: number;
}

export interface RetirementStatus {
  record: RetirementRecord;
  reality: Reality;
  /** What AWS shows that the record does not expect. */
  drift: string[];
  steps: NextStep[];
  findings: Finding[];
  now: Date;
}

export interface TrailCheck {
  /** The trail to rely on, when one is fit for it. */
  trail?: { arn: string; name: string; logGroupName: string; logGroupRegion: string };
  /** Why each other trail cannot see a use of the key (KMS.md §12). */
  problems: string[];
}


// ---------------------------------------------------------------------------------------------
// The account's guard against retiring a used key (KMS.md §11)

/**
 * A Deny in the key policy on `action` (kms:DisableKey, kms:ScheduleKeyDeletion) conditioned on
 * kms:TrailingDaysWithoutKeyUsage — AWS's guard that refuses both while the key was used within
 * the last N days. Returns the statement's condition in words, or undefined when there is none.
 */
export function trailingDaysGuard(policy: string, action: string): { condition: string; sid?: string } | undefined {
  const parsed = parsePolicy(policy);
  if (!parsed.ok) return undefined;
  for (const statement of parsed.statements) {
    if (statement.effect !== 'Deny' || !statementCoversAction(statement, action)) continue;
    const guard = conditionsOn(statement, 'kms:TrailingDaysWithoutKeyUsage')[0];
    if (guard) return { condition: `${guard.operator} ${guard.rawKey} ${guard.values.join(', ')}`, ...(statement.sid ? { sid: statement.sid } : {}) };
  }
  return undefined;
}

/** "the account's guard refuses this: the key was used N days ago", with what is known of the last use. */
export function guardRefusal(action: string, guard: { condition: string; sid?: string }, lastUsage: LastUsage | undefined, now: Date): string {
  let used = `the key's last use is within the guard's window (GetKeyLastUsage: ${lastUsage ? lastUsage.kind : 'unreadable'})`;
  if (lastUsage?.kind === 'used') {
    const days = Math.max(0, Math.floor((now.getTime() - new Date(lastUsage.timestamp).getTime()) / DAY_MS));
    used = `the key was used ${days} day${days === 1 ? '' : 's'} ago (${lastUsage.operation} on ${lastUsage.timestamp.slice(0, 10)}, GetKeyLastUsage)`;
  }
  return `the account's guard refuses this: ${used}. The key policy denies ${action} ${guard.sid ? `(statement ${guard.sid}) ` : ''}while ${guard.condition}. Nothing else was changed; the retirement stays where it was. Retire the key once it has gone unused for that long, or ask whoever owns the guard`;
}
