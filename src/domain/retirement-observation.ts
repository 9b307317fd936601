// What the retirement reads from AWS and what it makes of it — the decisions, without I/O:
// which reads a stage needs (nothing more is asked of AWS), what counts as a use of the key, when
// the alarm, the filter or the trail has drifted from what keywarden made, which trail can see a
// use, and what the record learns from what AWS shows (KMS deleted the key; keywarden's own call
// whose answer was lost; a colleague's keywarden took the step). src/aws/retirement-observe.ts and
// src/aws/retirement-trail.ts read; this file decides.

import type { UsageEvent } from './usage.js';
import { callerOf } from './usage.js';
import {
  DELETION_WINDOW_DEFAULT,
  DELETION_WINDOW_MAX,
  DELETION_WINDOW_MIN,
  legacyMetricFilterPattern,
  metricFilterPattern,
  WATCHED_OPERATIONS,
  sawUse,
  type Reality,
  type RetirementEvent,
  type RetirementRecord,
  type RetirementStage,
  type RetirementStatus,
  type StepId,
  type Watch,
} from './retirement.js';

// ---------------------------------------------------------------------------------------------
// Which reads a stage needs

export interface ObservationPlan {
  /** The alarm and the metric filter (the alarm watch, until the retirement is closed). */
  alarm: boolean;
  /** The alarm's history since the watch started: only where a use still decides something. */
  alarmHistory: boolean;
  /** Whether the alarm, the filter and the trail are still as keywarden made them: before deletion. */
  watchConfig: boolean;
  /** A multi-Region primary's replicas (deletion must wait for them): while watching. */
  replicas: boolean;
  /**
   * CloudTrail since the key was disabled — failed uses, someone else's EnableKey: while the key
   * is expected Disabled (a use refuses the deletion; someone else's disable is never undone by
   * keywarden). After ScheduleKeyDeletion, rollback or the end nothing depends on it.
   */
  cloudTrail: boolean;
}

const LIVE: readonly RetirementStage[] = ['disabled', 'watching', 'use-detected'];

export function isLive(stage: RetirementStage): boolean {
  return LIVE.includes(stage);
}

export function isPendingDeletion(state: string): boolean {
  return state === 'PendingDeletion' || state === 'PendingReplicaDeletion';
}

export function observationPlan(record: RetirementRecord): ObservationPlan {
  const alarmWatch = record.watch?.kind === 'alarm' && record.stage !== 'closed';
  return {
    alarm: alarmWatch,
    alarmHistory: alarmWatch && isLive(record.stage),
    watchConfig: alarmWatch && record.stage === 'watching',
    replicas: record.stage === 'watching',
    cloudTrail: record.disabledAt !== undefined && isLive(record.stage),
  };
}

// ---------------------------------------------------------------------------------------------
// What counts as a use (invariant 7)

/** CloudTrail times have whole seconds: compare at that precision. */
function wholeSecond(time: Date): number {
  return Math.floor(time.getTime() / 1000) * 1000;
}

/**
 * Failed uses of the key since `since`, "who (operation) ×n": only operations that are a use
 * (WATCHED_OPERATIONS) refused because the key is disabled or pending deletion count. keywarden's
 * own calls (DisableKey, TagResource, a ScheduleKeyDeletion refused because a colleague's came
 * first) fail with the same message but are no use.
 */
export function failedUses(events: readonly UsageEvent[], keyArn: string, since: Date): string[] {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (new Date(event.time).getTime() < wholeSecond(since)) continue;
    if (!WATCHED_OPERATIONS.includes(event.operation)) continue;
    const message = event.errorMessage ?? '';
    if (!message.startsWith(keyArn) || !/ is (disabled|pending deletion|pending replica deletion)\.$/.test(message)) continue;
    const who = `${callerOf(event).description} (${event.operation})`;
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return [...counts].map(([who, n]) => (n > 1 ? `${who} ×${n}` : who));
}

/**
 * Someone enabled the key after keywarden disabled it: the last successful EnableKey since
 * `disabledAt` (keywarden's own EnableKey ends the retirement's live stages, so any while one is
 * live is someone else's), "by … on …"; undefined when there is none.
 */
export function enabledOutside(events: readonly UsageEvent[], disabledAt: Date): string | undefined {
  const enabled = events
    .filter((event) => event.operation === 'EnableKey' && !event.errorCode && new Date(event.time).getTime() >= wholeSecond(disabledAt))
    .sort((a, b) => a.time.localeCompare(b.time))
    .at(-1);
  return enabled ? `by ${callerOf(enabled).description} on ${new Date(enabled.time).toISOString()}` : undefined;
}

/**
 * Someone else disabled the key after keywarden did: the last successful DisableKey since
 * `disabledAt` by a principal other than keywarden's (`ownArn`), "by … on …". A DisableKey of a key
 * that is already Disabled changes nothing in KMS, but it is someone's decision that the key stays
 * disabled: keywarden never enables it over that (invariant 1).
 */
export function disabledOutside(events: readonly UsageEvent[], disabledAt: Date, ownArn: string): string | undefined {
  const disabled = events
    .filter((event) => event.operation === 'DisableKey' && !event.errorCode && event.arn !== ownArn && new Date(event.time).getTime() >= wholeSecond(disabledAt))
    .sort((a, b) => a.time.localeCompare(b.time))
    .at(-1);
  return disabled ? `by ${callerOf(disabled).description} on ${new Date(disabled.time).toISOString()}` : undefined;
}

/** The days of CloudTrail to read to see everything since `from` (at least 1, at most LookupEvents' 90). */
export function lookbackDays(from: Date, now: Date): number {
  return Math.max(1, Math.min(90, Math.ceil((now.getTime() - from.getTime()) / 86_400_000) + 1));
}

/** Whether the alarm went to ALARM since the watch started (its name is fixed per key: an earlier retirement's ALARM does not count). */
export function alarmFiredSince(history: ReadonlyArray<{ summary?: string; time?: Date }>, since: Date | undefined): boolean {
  const from = since?.getTime() ?? 0;
  return history.some((item) => / to ALARM/.test(item.summary ?? '') && (item.time?.getTime() ?? from) >= from);
}


// ---------------------------------------------------------------------------------------------
// The alarm and the filter as keywarden makes them; drift from that

/** What keywarden's alarm looks like (besides its names); a different one is reported as drift. */
export const ALARM_SHAPE = { Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' } as const;

export interface AlarmFacts {
  actionsEnabled?: boolean;
  namespace?: string;
  metricName?: string;
  threshold?: number;
  comparisonOperator?: string;
  period?: number;
  evaluationPeriods?: number;
  statistic?: string;
}

export interface FilterFacts {
  pattern?: string;
  metricName?: string;
  metricNamespace?: string;
}

/** How the alarm and the filter differ from what keywarden put (someone changed them: the alarm may not fire). */
export function watchConfigProblems(record: RetirementRecord, w: Extract<Watch, { kind: 'alarm' }>, alarm: AlarmFacts | undefined, filter: FilterFacts | undefined): string[] {
  const problems: string[] = [];
  if (alarm) {
    const what = `the alarm ${w.alarmName}`;
    if (alarm.actionsEnabled === false) problems.push(`${what} has its actions disabled (ActionsEnabled false): it would notify nobody`);
    if (alarm.namespace !== w.metricNamespace || alarm.metricName !== w.metricName) problems.push(`${what} now watches ${alarm.namespace ?? '?'}/${alarm.metricName ?? '?'}, not ${w.metricNamespace}/${w.metricName}`);
    if (alarm.threshold !== ALARM_SHAPE.Threshold || alarm.comparisonOperator !== ALARM_SHAPE.ComparisonOperator) {
      problems.push(`${what} fires on ${alarm.comparisonOperator ?? '?'} ${alarm.threshold ?? '?'}, not ${ALARM_SHAPE.ComparisonOperator} ${ALARM_SHAPE.Threshold}`);
    }
    if (alarm.period !== ALARM_SHAPE.Period || alarm.evaluationPeriods !== ALARM_SHAPE.EvaluationPeriods || alarm.statistic !== ALARM_SHAPE.Statistic) {
      problems.push(`${what} now evaluates ${alarm.statistic ?? '?'} over ${alarm.evaluationPeriods ?? '?'} × ${alarm.period ?? '?'} s, not ${ALARM_SHAPE.Statistic} over ${ALARM_SHAPE.EvaluationPeriods} × ${ALARM_SHAPE.Period} s`);
    }
  }
  if (filter) {
    const what = `the metric filter ${w.filterName}`;
    if (filter.pattern !== metricFilterPattern(record.keyArn) && filter.pattern !== legacyMetricFilterPattern(record.keyArn)) problems.push(`${what} has a different pattern than keywarden set: it may not match a use of this key`);
    if (filter.metricName !== w.metricName || filter.metricNamespace !== w.metricNamespace) problems.push(`${what} now feeds ${filter.metricNamespace ?? '?'}/${filter.metricName ?? '?'}, not the alarm's ${w.metricNamespace}/${w.metricName}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Trails (KMS.md §12): which one can see a use of a key in a region

/** CloudWatch Logs delivery older than this means the alarm is not seeing the trail's events. */
export const DELIVERY_STALE_MS = 6 * 3_600_000;

export function logGroupFromArn(arn: string): { name: string; region: string; account: string } | undefined {
  const match = /^arn:aws[\w-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(arn);
  return match ? { region: match[1]!, account: match[2]!, name: match[3]! } : undefined;
}

export interface TrailFacts {
  name: string;
  isMultiRegion?: boolean;
  homeRegion?: string;
  logGroupArn?: string;
}

/**
 * Why a trail cannot see a use of a key in `region` from its settings alone (before its status is
 * read); undefined when it may. `account` is the key's: the metric filter and the alarm are made
 * there, so a trail delivering to another account's log group (an organization trail seen from a
 * member account: its logs go to the management account's group) cannot feed them.
 */
export function trailCoverageProblem(trail: TrailFacts, region: string, account?: string): string | undefined {
  if (!trail.isMultiRegion && trail.homeRegion !== region) return `covers only ${trail.homeRegion}, not ${region}`;
  if (!trail.logGroupArn) return 'does not deliver to CloudWatch Logs';
  const group = logGroupFromArn(trail.logGroupArn);
  if (!group) return `unreadable log group ARN ${trail.logGroupArn}`;
  if (account && group.account !== account) {
    return `delivers to log group ${group.name} in account ${group.account} (an organization trail's logs are in the account that owns it), where an alarm made in this account (${account}) cannot watch`;
  }
  return undefined;
}

export interface TrailStatusFacts {
  isLogging?: boolean;
  deliveryError?: string;
  lastDelivery?: Date;
}

/** Why a trail's status keeps it from showing a use (for choosing the trail). */
export function trailStatusProblem(status: TrailStatusFacts): string | undefined {
  if (!status.isLogging) return 'is not logging';
  if (status.deliveryError) return `its CloudWatch Logs delivery fails: ${status.deliveryError}`;
  return undefined;
}

/** Whether the trail that feeds the alarm still delivers (read before deletion): logging, CloudWatch Logs delivery recent and without error. */
export function trailDeliveryProblems(name: string, status: TrailStatusFacts, now: Date): string[] {
  const problems: string[] = [];
  if (!status.isLogging) problems.push(`the trail ${name} that feeds the alarm is not logging: a use of the key would not reach the alarm`);
  if (status.deliveryError) problems.push(`the trail ${name} fails to deliver to CloudWatch Logs (${status.deliveryError}): the alarm sees nothing`);
  const last = status.lastDelivery?.getTime();
  if (last === undefined || now.getTime() - last > DELIVERY_STALE_MS) {
    problems.push(`the trail ${name} has not delivered to CloudWatch Logs ${last === undefined ? 'at all' : `since ${new Date(last).toISOString()}`}: the alarm sees nothing newer`);
  }
  return problems;
}

export interface EventSelectorFacts {
  advanced?: Array<{ fields: Array<{ field?: string; equals?: string[]; notEquals?: string[] }> }>;
  basic?: Array<{ includeManagementEvents?: boolean; readWriteType?: string; excludeManagementEventSources?: string[] }>;
}

/** Why the trail's event selectors leave out KMS read-only management events (Decrypt is read-only); undefined when they include them. */
export function eventSelectorProblem(selectors: EventSelectorFacts): string | undefined {
  if (selectors.advanced && selectors.advanced.length > 0) {
    const sees = selectors.advanced.some((selector) => {
      const field = (name: string) => selector.fields.find((f) => f.field === name);
      if (!field('eventCategory')?.equals?.includes('Management')) return false;
      const source = field('eventSource');
      if (source?.notEquals?.includes('kms.amazonaws.com')) return false;
      if (source?.equals && !source.equals.includes('kms.amazonaws.com')) return false;
      if (field('readOnly')?.equals?.includes('false')) return false;
      return true;
    });
    return sees ? undefined : 'its advanced event selectors leave out KMS read-only management events (Decrypt is read-only)';
  }
  const basic = selectors.basic ?? [];
  if (basic.length === 0) return undefined; // default: all management events
  const sees = basic.some((s) => s.includeManagementEvents !== false && s.readWriteType !== 'WriteOnly' && !(s.excludeManagementEventSources ?? []).includes('kms.amazonaws.com'));
  return sees ? undefined : 'its event selectors leave out KMS read-only management events (Decrypt is read-only, or kms.amazonaws.com is excluded)';
}

// ---------------------------------------------------------------------------------------------
// What the record learns from what AWS shows

/** The calls on the key's state keywarden makes in a retirement, looked for in its journal. */
export const STATE_CALLS = ['DisableKey', 'EnableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion'] as const;

/** keywarden's own last call on the key's state in this retirement, from its journal. */
export interface OwnCall {
  action: (typeof STATE_CALLS)[number];
  time: string;
  /** 'ok', 'failed: …', 'no answer recorded'. */
  outcome: string;
  /** AWS answered with a refusal (access denied, wrong state …): the call did not change the key. */
  refused?: boolean;
  pendingWindowDays?: number;
}

/** Whether a journalled failure is AWS refusing the call (it changed nothing), not a lost or failed answer. */
export function isRefusal(code: string | undefined): boolean {
  return /AccessDenied|InvalidState|DisabledException|NotFound|Validation|LimitExceeded|UnsupportedOperation|InvalidArn|DependencyTimeout|access-denied|invalid-state|not-found|validation/i.test(code ?? '');
}

/** What may explain the key's state, read only when `explanationNeeded` asks for it. */
export interface Explanation {
  /** keywarden's own last deletion call since the retirement started (ScheduleKeyDeletion or CancelKeyDeletion). */
  ownCall?: OwnCall;
  /** The key's keywarden:retirement-stage and -since tags (a colleague's keywarden mirrors its stage there). */
  tags?: { stage?: string; since?: string };
}

/**
 * What must be read to explain the key's state: the journal when the key is pending deletion
 * while watching (keywarden's own ScheduleKeyDeletion whose answer was lost?) or Disabled again
 * after the deletion was scheduled (its own CancelKeyDeletion?); the key's tags when that was not
 * keywarden's own call here (a colleague's keywarden?). undefined: nothing needs explaining.
 */
export function explanationNeeded(record: RetirementRecord, reality: Reality, known: Explanation = {}): 'journal' | 'tags' | undefined {
  const pendingWhileLive = isLive(record.stage) && isPendingDeletion(String(reality.keyState));
  const cancelledWhileScheduled = record.stage === 'deletion-scheduled' && reality.keyState === 'Disabled';
  // keywarden's own DisableKey or EnableKey whose answer was lost (or killed before the save)?
  const disabledAtPreflight = record.stage === 'preflight' && reality.keyState === 'Disabled';
  const enabledWhileLive = isLive(record.stage) && reality.keyState === 'Enabled';
  if (disabledAtPreflight || enabledWhileLive) return 'ownCall' in known ? undefined : 'journal';
  if (!pendingWhileLive && !cancelledWhileScheduled) return undefined;
  if (!('ownCall' in known)) return 'journal';
  const ownExplains = record.stage === 'watching' ? known.ownCall?.action === 'ScheduleKeyDeletion' : cancelledWhileScheduled && known.ownCall?.action === 'CancelKeyDeletion';
  if (ownExplains) return undefined;
  return 'tags' in known ? undefined : 'tags';
}

/**
 * The next thing the record learns from what AWS shows (applied one at a time until there is
 * none): KMS deleted the key at the end of the waiting period; keywarden's own ScheduleKeyDeletion
 * or CancelKeyDeletion reached AWS but the record never learnt it (answer lost, killed before the
 * save) — adopted, never sent again; a colleague's keywarden on this same retirement (the key's
 * tags carry its stage and start) scheduled or cancelled the deletion — followed, so it is not
 * taken for someone else's change; a use while the key was disabled. Everything else is drift
 * for the operator (`reconcile`).
 */
export function learnedFromAws(record: RetirementRecord, reality: Reality, known: Explanation, now: Date): RetirementEvent | undefined {
  const state = String(reality.keyState);
  if (reality.keyState === 'gone' && record.stage === 'deletion-scheduled') return { type: 'key-deleted' };
  const own = known.ownCall && !known.ownCall.refused ? known.ownCall : undefined;
  if (record.stage === 'preflight' && reality.keyState === 'Disabled' && own?.action === 'DisableKey') {
    // Killed (or the answer lost) after keywarden's DisableKey, before the record learnt it: the
    // retirement is at the disable, never abandoned as if nothing had changed.
    return { type: 'disabled', byKeywarden: true, detail: `adopted: keywarden's DisableKey of ${own.time} (journal: ${own.outcome}) reached AWS — DescribeKey shows Disabled; not sent again` };
  }
  if (isLive(record.stage) && reality.keyState === 'Enabled' && own?.action === 'EnableKey') {
    return { type: 're-enabled', detail: `adopted: keywarden's EnableKey of ${own.time} (journal: ${own.outcome}) reached AWS — DescribeKey shows Enabled; not sent again` };
  }
  const colleague = known.tags?.since === record.startedAt ? known.tags.stage : undefined;
  if (record.stage === 'watching' && isPendingDeletion(state)) {
    const when = `${reality.keyState}${reality.deletionDate ? `, deletion on ${reality.deletionDate}` : ''}`;
    const own = known.ownCall?.action === 'ScheduleKeyDeletion' ? known.ownCall : undefined;
    if (own) {
      return {
        type: 'deletion-scheduled',
        pendingWindowDays: own.pendingWindowDays ?? 30,
        ...(reality.deletionDate ? { deletionDate: reality.deletionDate } : {}),
        detail: `adopted: keywarden's ScheduleKeyDeletion of ${own.time} (journal: ${own.outcome}) reached AWS — DescribeKey shows ${when}; not sent again`,
      };
    }
    if (colleague === 'deletion-scheduled') {
      return {
        type: 'deletion-scheduled',
        // The colleague's waiting period is not on the key: the days left to its deletion date stand for it.
        pendingWindowDays: reality.deletionDate ? Math.max(DELETION_WINDOW_MIN, Math.min(DELETION_WINDOW_MAX, Math.ceil((new Date(reality.deletionDate).getTime() - now.getTime()) / 86_400_000))) : DELETION_WINDOW_DEFAULT,
        ...(reality.deletionDate ? { deletionDate: reality.deletionDate } : {}),
        detail: `scheduled by a colleague's keywarden on this retirement (the key's tags say deletion-scheduled): DescribeKey shows ${when}`,
      };
    }
  }
  if (record.stage === 'deletion-scheduled' && reality.keyState === 'Disabled') {
    const own = known.ownCall?.action === 'CancelKeyDeletion' ? known.ownCall : undefined;
    if (own) return { type: 'deletion-cancelled', detail: `adopted: keywarden's CancelKeyDeletion of ${own.time} (journal: ${own.outcome}) reached AWS — DescribeKey shows Disabled; not sent again` };
    if (colleague === 'watching') return { type: 'deletion-cancelled', detail: "cancelled by a colleague's keywarden on this retirement (the key's tags say watching): DescribeKey shows Disabled" };
  }
  if ((record.stage === 'watching' || record.stage === 'disabled') && sawUse(record, reality, now)) {
    const summary = reality.attemptsSinceDisabled.join(', ') || `the alarm ${record.watch?.kind === 'alarm' ? record.watch.alarmName : ''} went to ALARM`;
    return { type: 'use-detected', summary };
  }
  return undefined;
}

/**
 * Whether the key's state shows that a call on it already reached AWS (its answer was lost): the
 * SDK's resend is then not made (a resent EnableKey could enable a key someone disabled in the
 * meantime; a resent ScheduleKeyDeletion fails like a use), and the outcome is adopted.
 */
export function reachedAws(action: (typeof STATE_CALLS)[number], keyState: string): boolean {
  switch (action) {
    case 'ScheduleKeyDeletion':
      return isPendingDeletion(keyState);
    case 'EnableKey':
      return keyState === 'Enabled';
    case 'DisableKey':
    case 'CancelKeyDeletion':
      return keyState === 'Disabled';
  }
}

/**
 * Whether keywarden disabled the key at the disable step: it was Enabled (keywarden's DisableKey
 * does it), or Disabled after keywarden's own DisableKey of this retirement whose answer was lost;
 * false when it was already Disabled by someone else — then rollback never enables it.
 */
export function disabledByKeywarden(keyState: string, ownDisableSinceStart: boolean): boolean {
  return keyState === 'Enabled' || ownDisableSinceStart;
}

// ---------------------------------------------------------------------------------------------
// What AWS shows right after a step, without reading it again

/**
 * What AWS shows right after `step` succeeded, from the status read just before it and the calls
 * the step made (their answers): the key state the step set, the alarm and filter it created or
 * removed (removal is confirmed by a read inside the step), the evidence that starts again with
 * it. Everything else is as read a moment ago, trimmed to what the new stage reads
 * (`observationPlan`). Undefined when the step leaves something it cannot know without reading:
 * CloudTrail from the disable on (CloudTrail times have whole seconds, so someone else's DisableKey
 * in the same second counts as after it: src/domain/retirement-observation.ts `disabledOutside`),
 * and CancelKeyDeletion resumes the watch, whose uses tried while the deletion was pending are only
 * in CloudTrail. So a `retire advance` costs its safety reads and its calls, not a second full read.
 */
export function realityAfter(step: StepId, before: RetirementStatus, next: RetirementRecord): Reality | undefined {
  const was = before.reality;
  const reality: Reality = { ...was, attemptsSinceDisabled: [...was.attemptsSinceDisabled] };
  switch (step) {
    case 'acknowledge':
      break;
    case 'arm-watch':
    case 're-arm-watch':
      if (next.watch?.kind === 'alarm') {
        // PutMetricAlarm keeps an existing alarm's state and starts a new one at INSUFFICIENT_DATA;
        // its history counts from this watch's start (nothing yet); the alarm, filter and trail
        // were checked by the step itself.
        reality.alarm = { exists: true, filterExists: true, state: was.alarm?.exists && was.alarm.state ? was.alarm.state : 'INSUFFICIENT_DATA', everAlarmed: false, ...(next.watchStartedAt ? { configuredAt: next.watchStartedAt } : {}) };
        reality.watchProblems = [];
      }
      // After a detected use the uses are counted again from the restart.
      if (next.usesSeenUntil !== before.record.usesSeenUntil) reality.attemptsSinceDisabled = [];
      break;
    case 'schedule-deletion':
      if (reality.keyState === 'gone') break;
      // ScheduleKeyDeletion's answer has no DeletionDate for a multi-Region primary with replicas:
      // the key is then PendingReplicaDeletion (KMS API reference, ScheduleKeyDeletion).
      reality.keyState = next.deletionDate ? 'PendingDeletion' : 'PendingReplicaDeletion';
      if (next.deletionDate) reality.deletionDate = next.deletionDate;
      break;
    case 're-enable':
      reality.keyState = 'Enabled';
      delete reality.deletionDate;
      break;
    case 'remove-watch':
    case 'close':
      // The step deleted keywarden's alarm and filter and read again to confirm them gone.
      delete reality.alarm;
      break;
    case 'disable':
    case 'cancel-deletion':
    case 'abandon':
      return undefined;
  }
  const plan = observationPlan(next);
  if (!plan.alarm || next.watch?.kind !== 'alarm') delete reality.alarm;
  else if (!plan.alarmHistory && reality.alarm) reality.alarm = { ...reality.alarm, everAlarmed: false };
  if (!plan.watchConfig) delete reality.watchProblems;
  if (!plan.replicas) delete reality.replicas;
  if (!plan.cloudTrail || reality.keyState === 'gone') {
    reality.attemptsSinceDisabled = [];
    delete reality.enabledOutside;
    delete reality.disabledOutside;
    delete reality.cloudTrailReadable;
  }
  return reality;
}
