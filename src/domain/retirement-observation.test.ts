import { describe, expect, it } from 'vitest';
import {
  alarmFiredSince,
  disabledByKeywarden,
  disabledOutside,
  enabledOutside,
  eventSelectorProblem,
  explanationNeeded,
  failedUses,
  isRefusal,
  learnedFromAws,
  lookbackDays,
  observationPlan,
  reachedAws,
  trailCoverageProblem,
  trailDeliveryProblems,
  watchConfigProblems,
  ALARM_SHAPE,
} from './retirement-observation.js';
import { applyEvent, metricFilterPattern, startRetirement, watchNames, type Reality, type RetirementEvent, type RetirementRecord, type RetirementStage } from './retirement.js';
import type { UsageEvent } from './usage.js';

const ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const T0 = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const BY = 'arn:aws:sts::111122223333:assumed-role/Operator/alice';
const alarmWatch = { kind: 'alarm' as const, logGroupRegion: 'us-east-1', logGroupName: 'lg', ...watchNames(KEY_ID), metricNamespace: 'Keywarden/KMS' };

function inStage(stage: RetirementStage, watch: 'alarm' | 'weaker' = 'alarm'): RetirementRecord {
  let r = startRetirement({ keyArn: ARN, region: 'us-east-1', account: '111122223333', name: 'app/old', by: BY, now: T0, evidence: { summary: 'x', findings: [] } });
  const go = (event: RetirementEvent, day: number) => (r = applyEvent(r, event, at(day), BY));
  if (stage === 'preflight') return r;
  go({ type: 'disabled', byKeywarden: true }, 0);
  if (stage === 'disabled') return r;
  go({ type: 'watch-armed', watch: watch === 'alarm' ? alarmWatch : { kind: 'cloudtrail-poll', reason: 'x' } }, 0);
  if (stage === 'watching') return r;
  if (stage === 'use-detected') return go({ type: 'use-detected', summary: 'role app (Decrypt)' }, 3);
  if (stage === 'rolled-back') return go({ type: 're-enabled' }, 3);
  go({ type: 'deletion-scheduled', pendingWindowDays: 7, deletionDate: at(21).toISOString() }, 14);
  if (stage === 'deletion-scheduled') return r;
  go({ type: 'key-deleted' }, 21);
  if (stage === 'deleted') return r;
  return go({ type: 'watch-removed' }, 22);
}

const event = (over: Partial<UsageEvent>): UsageEvent => ({
  eventId: Math.random().toString(36),
  time: at(1).toISOString(),
  timeMs: at(1).getTime(),
  operation: 'Decrypt',
  eventSource: 'kms.amazonaws.com',
  arn: 'arn:aws:sts::111122223333:assumed-role/app/i-1',
  roleArn: 'arn:aws:iam::111122223333:role/app',
  identityType: 'AssumedRole',
  keyArns: [ARN],
  ...over,
});

const reality = (over: Partial<Reality> = {}): Reality => ({ keyState: 'Disabled', attemptsSinceDisabled: [], ...over });

describe('which reads a stage needs', () => {
  it('CloudTrail only while the key is expected Disabled; the alarm until closed; its history only where a use decides; the watch config only while watching', () => {
    const plan = (stage: RetirementStage) => observationPlan(inStage(stage));
    expect(plan('preflight')).toEqual({ alarm: false, alarmHistory: false, watchConfig: false, replicas: false, cloudTrail: false });
    expect(plan('disabled')).toMatchObject({ alarm: false, cloudTrail: true });
    expect(plan('watching')).toEqual({ alarm: true, alarmHistory: true, watchConfig: true, replicas: true, cloudTrail: true });
    expect(plan('use-detected')).toMatchObject({ alarm: true, alarmHistory: true, watchConfig: false, cloudTrail: true });
    expect(plan('deletion-scheduled')).toEqual({ alarm: true, alarmHistory: false, watchConfig: false, replicas: false, cloudTrail: false });
    expect(plan('rolled-back')).toMatchObject({ alarm: true, cloudTrail: false });
    expect(plan('deleted')).toMatchObject({ alarm: true, cloudTrail: false });
    expect(plan('closed')).toEqual({ alarm: false, alarmHistory: false, watchConfig: false, replicas: false, cloudTrail: false });
    expect(observationPlan(inStage('watching', 'weaker'))).toMatchObject({ alarm: false, cloudTrail: true });
  });
});

describe('what counts as a use (invariant 7)', () => {
  it('only use operations refused because this key is disabled or pending deletion, since the given time, grouped by caller', () => {
    const events = [
      event({ errorCode: 'DisabledException', errorMessage: `${ARN} is disabled.` }),
      event({ errorCode: 'DisabledException', errorMessage: `${ARN} is disabled.` }),
      event({ operation: 'GenerateDataKey', errorCode: 'KMSInvalidStateException', errorMessage: `${ARN} is pending deletion.` }),
      // keywarden's own or a colleague's management calls: the same message, no use
      event({ operation: 'ScheduleKeyDeletion', errorCode: 'KMSInvalidStateException', errorMessage: `${ARN} is pending deletion.` }),
      event({ operation: 'TagResource', errorCode: 'KMSInvalidStateException', errorMessage: `${ARN} is pending deletion.` }),
      // another key, a success, before `since`
      event({ errorCode: 'DisabledException', errorMessage: 'arn:aws:kms:us-east-1:111122223333:key/other is disabled.' }),
      event({}),
      event({ time: at(0).toISOString(), errorCode: 'DisabledException', errorMessage: `${ARN} is disabled.` }),
    ];
    const uses = failedUses(events, ARN, at(0.5));
    expect(uses).toHaveLength(2);
    expect(uses[0]).toMatch(/\(Decrypt\) ×2$/);
    expect(uses[1]).toMatch(/\(GenerateDataKey\)$/);
  });

  it('someone enabled the key after keywarden disabled it: the last successful EnableKey since the disable', () => {
    expect(enabledOutside([event({ operation: 'EnableKey', time: at(2).toISOString() })], at(1))).toMatch(/^by .* on 2026-11-03T00:00:00.000Z$/);
    expect(enabledOutside([event({ operation: 'EnableKey', time: at(0).toISOString() })], at(1))).toBeUndefined();
    expect(enabledOutside([event({ operation: 'EnableKey', errorCode: 'AccessDeniedException' })], at(0))).toBeUndefined();
  });

  it('someone else disabled the key too after keywarden did: a successful DisableKey by another principal since the disable', () => {
    const own = 'arn:aws:sts::111122223333:assumed-role/KeywardenOperator/operator';
    const theirs = event({ operation: 'DisableKey', time: at(2).toISOString(), arn: 'arn:aws:sts::111122223333:assumed-role/KeyAdmins/bob' });
    expect(disabledOutside([theirs], at(1), own)).toMatch(/^by .* on 2026-11-03T00:00:00.000Z$/);
    expect(disabledOutside([{ ...theirs, arn: own }], at(1), own)).toBeUndefined();
    expect(disabledOutside([{ ...theirs, time: at(0).toISOString() }], at(1), own)).toBeUndefined();
    expect(disabledOutside([{ ...theirs, errorCode: 'AccessDeniedException' }], at(1), own)).toBeUndefined();
  });

  it("the alarm's history counts only since the watch started", () => {
    expect(alarmFiredSince([{ summary: 'Alarm updated from OK to ALARM', time: at(1) }], at(2))).toBe(false);
    expect(alarmFiredSince([{ summary: 'Alarm updated from OK to ALARM', time: at(3) }], at(2))).toBe(true);
    expect(alarmFiredSince([{ summary: 'Alarm updated from ALARM to OK', time: at(3) }], at(2))).toBe(false);
  });

  it('reads CloudTrail back far enough, never beyond its 90 days', () => {
    expect(lookbackDays(at(0), at(0))).toBe(1);
    expect(lookbackDays(at(0), at(14))).toBe(15);
    expect(lookbackDays(at(0), at(200))).toBe(90);
  });
});

describe('drift of the alarm, the filter and the trail', () => {
  const w = alarmWatch;
  const asMade = { actionsEnabled: true, namespace: w.metricNamespace, metricName: w.metricName, threshold: ALARM_SHAPE.Threshold, comparisonOperator: ALARM_SHAPE.ComparisonOperator, period: ALARM_SHAPE.Period, evaluationPeriods: ALARM_SHAPE.EvaluationPeriods, statistic: ALARM_SHAPE.Statistic };
  const filter = { pattern: metricFilterPattern(ARN), metricName: w.metricName, metricNamespace: w.metricNamespace };
  it('as keywarden made them: no problem; each change named', () => {
    const record = inStage('watching');
    expect(watchConfigProblems(record, w, asMade, filter)).toEqual([]);
    expect(watchConfigProblems(record, w, { ...asMade, actionsEnabled: false, threshold: 5 }, { ...filter, pattern: '{ $.x = 1 }' })).toEqual([
      expect.stringMatching(/actions disabled/),
      expect.stringMatching(/fires on GreaterThanOrEqualToThreshold 5/),
      expect.stringMatching(/different pattern/),
    ]);
  });

  it('trails: coverage, selectors, delivery', () => {
    expect(trailCoverageProblem({ name: 't', isMultiRegion: false, homeRegion: 'eu-west-1', logGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:g:*' }, 'us-east-1')).toBe('covers only eu-west-1, not us-east-1');
    expect(trailCoverageProblem({ name: 't', isMultiRegion: true }, 'us-east-1')).toBe('does not deliver to CloudWatch Logs');
    expect(trailCoverageProblem({ name: 't', isMultiRegion: true, logGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:g:*' }, 'us-east-1')).toBeUndefined();
    expect(trailCoverageProblem({ name: 't', isMultiRegion: true, logGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:g:*' }, 'us-east-1', '111122223333')).toBeUndefined();
    // An organization trail seen from a member account: its log group is in the management account.
    expect(trailCoverageProblem({ name: 'org', isMultiRegion: true, logGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:org-trail:*' }, 'us-east-1', '222233334444')).toBe(
      'delivers to log group org-trail in account 111122223333 (an organization trail\'s logs are in the account that owns it), where an alarm made in this account (222233334444) cannot watch',
    );
    expect(eventSelectorProblem({})).toBeUndefined();
    expect(eventSelectorProblem({ basic: [{ readWriteType: 'WriteOnly' }] })).toMatch(/leave out KMS read-only/);
    expect(eventSelectorProblem({ advanced: [{ fields: [{ field: 'eventCategory', equals: ['Management'] }, { field: 'eventSource', notEquals: ['kms.amazonaws.com'] }] }] })).toMatch(/advanced/);
    expect(trailDeliveryProblems('t', { isLogging: true, lastDelivery: at(1) }, at(1))).toEqual([]);
    expect(trailDeliveryProblems('t', { isLogging: false, lastDelivery: at(0) }, at(1))).toEqual([expect.stringMatching(/not logging/), expect.stringMatching(/has not delivered .* since/)]);
  });
});

describe('what the record learns from AWS', () => {
  it('KMS deleted the key at the end of the waiting period', () => {
    expect(learnedFromAws(inStage('deletion-scheduled'), reality({ keyState: 'gone' }), {}, at(22))).toEqual({ type: 'key-deleted' });
  });

  it("a key pending deletion while watching: the journal is asked first, then the tags; keywarden's own call is adopted, a colleague's keywarden followed, anyone else's left as drift", () => {
    const record = inStage('watching');
    const pending = reality({ keyState: 'PendingDeletion', deletionDate: at(25).toISOString() });
    expect(explanationNeeded(record, pending)).toBe('journal');
    const own = { ownCall: { action: 'ScheduleKeyDeletion' as const, time: at(15).toISOString(), outcome: 'no answer recorded', pendingWindowDays: 10 } };
    expect(explanationNeeded(record, pending, own)).toBeUndefined();
    expect(learnedFromAws(record, pending, own, at(15))).toMatchObject({ type: 'deletion-scheduled', pendingWindowDays: 10, detail: expect.stringMatching(/^adopted: keywarden's ScheduleKeyDeletion/) });
    expect(explanationNeeded(record, pending, { ownCall: undefined })).toBe('tags');
    const colleague = { ownCall: undefined, tags: { stage: 'deletion-scheduled', since: record.startedAt } };
    expect(learnedFromAws(record, pending, colleague, at(15))).toMatchObject({ type: 'deletion-scheduled', pendingWindowDays: 10, detail: expect.stringMatching(/colleague's keywarden/) });
    // Tags of another retirement (another start), or none: not this retirement's step.
    expect(learnedFromAws(record, pending, { ownCall: undefined, tags: { stage: 'deletion-scheduled', since: at(-40).toISOString() } }, at(15))).toBeUndefined();
    expect(learnedFromAws(record, pending, { ownCall: undefined, tags: {} }, at(15))).toBeUndefined();
  });

  it('the deletion cancelled: own CancelKeyDeletion adopted, a colleague keywarden (tags say watching) followed', () => {
    const record = inStage('deletion-scheduled');
    const disabled = reality();
    expect(explanationNeeded(record, disabled)).toBe('journal');
    expect(learnedFromAws(record, disabled, { ownCall: { action: 'CancelKeyDeletion', time: at(16).toISOString(), outcome: 'ok' } }, at(16))).toMatchObject({ type: 'deletion-cancelled' });
    expect(learnedFromAws(record, disabled, { ownCall: undefined, tags: { stage: 'watching', since: record.startedAt } }, at(16))).toMatchObject({ type: 'deletion-cancelled', detail: expect.stringMatching(/colleague/) });
    expect(learnedFromAws(record, disabled, { ownCall: undefined, tags: { stage: 'deletion-scheduled', since: record.startedAt } }, at(16))).toBeUndefined();
  });

  it("keywarden's own DisableKey or EnableKey whose answer was lost (or killed before the save) is adopted; a refusal by AWS is not", () => {
    const preflight = inStage('preflight');
    expect(explanationNeeded(preflight, reality())).toBe('journal');
    expect(explanationNeeded(preflight, reality({ keyState: 'Enabled' }))).toBeUndefined();
    const disable = { action: 'DisableKey' as const, time: at(0).toISOString(), outcome: 'no answer recorded' };
    expect(learnedFromAws(preflight, reality(), { ownCall: disable }, at(0))).toMatchObject({ type: 'disabled', byKeywarden: true, detail: expect.stringMatching(/^adopted/) });
    expect(learnedFromAws(preflight, reality(), { ownCall: { ...disable, outcome: 'failed: access denied', refused: true } }, at(0))).toBeUndefined();
    expect(learnedFromAws(preflight, reality(), { ownCall: undefined }, at(0))).toBeUndefined();
    const watching = inStage('watching');
    expect(explanationNeeded(watching, reality({ keyState: 'Enabled' }))).toBe('journal');
    expect(learnedFromAws(watching, reality({ keyState: 'Enabled' }), { ownCall: { action: 'EnableKey', time: at(3).toISOString(), outcome: 'ok' } }, at(3))).toMatchObject({ type: 're-enabled' });
    // Enabled by someone else: no own EnableKey; that is drift (close), never adopted.
    expect(learnedFromAws(watching, reality({ keyState: 'Enabled' }), { ownCall: disable }, at(3))).toBeUndefined();
    expect(isRefusal('AccessDeniedException')).toBe(true);
    expect(isRefusal('network')).toBe(false);
    expect(isRefusal('KMSInternalException')).toBe(false);
  });

  it('a use while watching or disabled; nothing to learn otherwise', () => {
    expect(learnedFromAws(inStage('watching'), reality({ attemptsSinceDisabled: ['role app (Decrypt)'] }), {}, at(3))).toEqual({ type: 'use-detected', summary: 'role app (Decrypt)' });
    expect(learnedFromAws(inStage('watching'), reality({ alarm: { exists: true, filterExists: true, everAlarmed: true } }), {}, at(3))).toMatchObject({ type: 'use-detected' });
    expect(explanationNeeded(inStage('watching'), reality())).toBeUndefined();
    expect(learnedFromAws(inStage('watching'), reality(), {}, at(3))).toBeUndefined();
  });

  it('a lost answer is adopted when the key shows what the call does; disabledByKeywarden', () => {
    expect(reachedAws('ScheduleKeyDeletion', 'PendingDeletion')).toBe(true);
    expect(reachedAws('ScheduleKeyDeletion', 'Disabled')).toBe(false);
    expect(reachedAws('CancelKeyDeletion', 'Disabled')).toBe(true);
    expect(disabledByKeywarden('Enabled', false)).toBe(true);
    expect(disabledByKeywarden('Disabled', true)).toBe(true);
    expect(disabledByKeywarden('Disabled', false)).toBe(false);
  });
});
