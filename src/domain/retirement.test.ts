import { describe, expect, it } from 'vitest';
import type { KeyMetadata } from './key.js';
import { keyMetadata } from '../../test/helpers/kms-fixtures.js';
import {
  RETIREMENT_STAGES,
  applyEvent,
  metricFilterPattern,
  nextSteps,
  parseDeletionWindow,
  parseWatchDays,
  preflightFindings,
  reconcile,
  retirementTags,
  startRetirement,
  syntheticFailedUse,
  unacknowledged,
  watchNames,
  type Reality,
  type RetirementEvent,
  type RetirementRecord,
  type RetirementStage,
} from './retirement.js';

const ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const T0 = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const BY = 'arn:aws:sts::111122223333:assumed-role/Operator/alice';

const meta: KeyMetadata = keyMetadata(); // its ARN is ARN

const fresh = (): RetirementRecord =>
  startRetirement({ keyArn: ARN, region: 'us-east-1', account: '111122223333', name: 'app/old', by: BY, now: T0, evidence: { summary: 'x', findings: [] } });

const alarmWatch = { kind: 'alarm' as const, logGroupRegion: 'us-east-1', logGroupName: 'lg', ...watchNames(meta.keyId), metricNamespace: 'Keywarden/KMS' };

/** A record in each stage, reached through the machine itself. */
function inStage(stage: RetirementStage): RetirementRecord {
  let r = fresh();
  const go = (event: RetirementEvent, day: number) => (r = applyEvent(r, event, at(day), BY));
  if (stage === 'preflight') return r;
  go({ type: 'disabled' }, 0);
  if (stage === 'disabled') return r;
  go({ type: 'watch-armed', watch: alarmWatch }, 0);
  if (stage === 'watching') return r;
  if (stage === 'use-detected') return go({ type: 'use-detected', summary: 'role app Decrypt' }, 3);
  if (stage === 'rolled-back') return go({ type: 're-enabled' }, 3);
  go({ type: 'deletion-scheduled', pendingWindowDays: 7, deletionDate: at(21).toISOString() }, 14);
  if (stage === 'deletion-scheduled') return r;
  go({ type: 'key-deleted' }, 21);
  if (stage === 'deleted') return r;
  return go({ type: 'watch-removed' }, 22);
}

const EVENTS: RetirementEvent[] = [
  { type: 'acknowledge', findingId: 'used-recently' },
  { type: 'disabled' },
  { type: 'watch-armed', watch: alarmWatch },
  { type: 'use-detected', summary: 'role app Decrypt' },
  { type: 'deletion-scheduled', pendingWindowDays: 30 },
  { type: 'deletion-cancelled' },
  { type: 're-enabled' },
  { type: 'key-deleted' },
  { type: 'watch-removed' },
];

// Expected stage after each event from each stage; undefined = the event does not apply (record unchanged).
const EXPECTED: Record<RetirementStage, Partial<Record<RetirementEvent['type'], RetirementStage>>> = {
  preflight: { acknowledge: 'preflight', disabled: 'disabled', 're-enabled': 'rolled-back' },
  disabled: { 'watch-armed': 'watching', 'use-detected': 'use-detected', 're-enabled': 'rolled-back' },
  watching: { 'use-detected': 'use-detected', 'deletion-scheduled': 'deletion-scheduled', 're-enabled': 'rolled-back' },
  'use-detected': { 're-enabled': 'rolled-back' },
  'deletion-scheduled': { 'deletion-cancelled': 'watching', 'key-deleted': 'deleted' },
  deleted: { 'watch-removed': 'closed' },
  'rolled-back': { 'watch-removed': 'closed' },
  closed: {},
};

describe('applyEvent: every stage × every event', () => {
  for (const stage of RETIREMENT_STAGES) {
    for (const event of EVENTS) {
      const expected = EXPECTED[stage][event.type];
      it(`${stage} + ${event.type} → ${expected ?? 'unchanged'}`, () => {
        const before = inStage(stage);
        expect(before.stage).toBe(stage);
        const after = applyEvent(before, event, at(30), BY);
        if (expected === undefined) expect(after).toBe(before);
        else {
          expect(after.stage).toBe(expected);
          expect(after.steps.length).toBeGreaterThan(before.steps.length);
          expect(after.steps.at(-1)).toMatchObject({ at: at(30).toISOString(), by: BY, ok: true });
        }
      });
    }
  }

  it('records a failed step in any stage without moving', () => {
    for (const stage of RETIREMENT_STAGES) {
      const before = inStage(stage);
      const after = applyEvent(before, { type: 'step-failed', step: 'PutMetricAlarm', detail: 'AccessDenied' }, at(1), BY);
      expect(after.stage).toBe(stage);
      expect(after.steps.at(-1)).toMatchObject({ step: 'PutMetricAlarm', ok: false, detail: 'AccessDenied' });
    }
  });

  it('cancelling the deletion forgets the deletion date and keeps the watch', () => {
    const after = applyEvent(inStage('deletion-scheduled'), { type: 'deletion-cancelled' }, at(15), BY);
    expect(after.deletionDate).toBeUndefined();
    expect(after.watch).toEqual(alarmWatch);
  });
});

const calm = (patch: Partial<Reality> = {}): Reality => ({
  keyState: 'Disabled',
  alarm: { exists: true, filterExists: true, state: 'OK', everAlarmed: false },
  attemptsSinceDisabled: [],
  ...patch,
});

describe('nextSteps', () => {
  const allowed = (steps: ReturnType<typeof nextSteps>, id: string) => steps.find((s) => s.id === id);

  it('needs every blocking finding acknowledged before disabling, and refuses stop findings', () => {
    const findings = preflightFindings({ metadata: meta, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: at(-2).toISOString() }, now: T0, windowDays: 30 });
    expect(findings.map((f) => f.id)).toEqual(['used-recently']);
    let steps = nextSteps(fresh(), calm({ keyState: 'Enabled' }), findings, T0);
    expect(allowed(steps, 'disable')).toMatchObject({ allowed: false });
    const acked = applyEvent(fresh(), { type: 'acknowledge', findingId: 'used-recently' }, T0, BY);
    steps = nextSteps(acked, calm({ keyState: 'Enabled' }), findings, T0);
    expect(allowed(steps, 'disable')).toMatchObject({ allowed: true });
    const stop = preflightFindings({ metadata: { ...meta, state: 'PendingDeletion' }, lastUsage: { kind: 'never', trackingStartDate: T0.toISOString() }, now: T0, windowDays: 30 });
    expect(allowed(nextSteps(acked, calm({ keyState: 'PendingDeletion' }), stop, T0), 'disable')).toMatchObject({ allowed: false });
  });

  it('allows deletion only after the window, with the watch in place and no use', () => {
    const watching = inStage('watching');
    expect(allowed(nextSteps(watching, calm(), [], at(13)), 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/1 days left|2 days left/) });
    expect(allowed(nextSteps(watching, calm(), [], at(14)), 'schedule-deletion')).toMatchObject({ allowed: true });
    expect(allowed(nextSteps(watching, calm({ attemptsSinceDisabled: ['role app Decrypt ×2'] }), [], at(20)), 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/role app/) });
    expect(allowed(nextSteps(watching, calm({ alarm: { exists: true, filterExists: true, state: 'OK', everAlarmed: true } }), [], at(20)), 'schedule-deletion')?.allowed).toBe(false);
    expect(allowed(nextSteps(watching, calm({ alarm: { exists: false, filterExists: true, everAlarmed: false } }), [], at(20)), 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/alarm .* was deleted/) });
    expect(allowed(nextSteps(watching, calm({ keyState: 'Enabled' }), [], at(20)), 'schedule-deletion')?.allowed).toBe(false);
  });

  it('the weaker watch allows deletion without an alarm', () => {
    let r = inStage('disabled');
    r = applyEvent(r, { type: 'watch-armed', watch: { kind: 'cloudtrail-poll', reason: 'no trail delivers to CloudWatch Logs' } }, at(0), BY);
    expect(allowed(nextSteps(r, calm({ alarm: undefined }), [], at(15)), 'schedule-deletion')?.allowed).toBe(true);
    expect(allowed(nextSteps(r, calm({ alarm: undefined, cloudTrailReadable: false }), [], at(15)), 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/CloudTrail cannot be read/) });
  });

  it('offers a way back at every stage', () => {
    expect(allowed(nextSteps(inStage('watching'), calm(), [], at(1)), 're-enable')?.allowed).toBe(true);
    expect(allowed(nextSteps(inStage('use-detected'), calm(), [], at(1)), 're-enable')?.allowed).toBe(true);
    expect(allowed(nextSteps(inStage('deletion-scheduled'), calm({ keyState: 'PendingDeletion' }), [], at(15)), 'cancel-deletion')?.allowed).toBe(true);
    expect(allowed(nextSteps(inStage('rolled-back'), calm({ keyState: 'Enabled' }), [], at(15)), 'remove-watch')?.allowed).toBe(true);
    expect(allowed(nextSteps(inStage('deleted'), calm({ keyState: 'gone' }), [], at(40)), 'remove-watch')?.allowed).toBe(true);
  });
});

describe('adoption, the watch re-check and who disabled the key', () => {
  const allowed = (steps: ReturnType<typeof nextSteps>, id: string) => steps.find((s) => s.id === id);

  it('an adopted deletion or cancel keeps how it was learnt in the step', () => {
    const scheduled = applyEvent(inStage('watching'), { type: 'deletion-scheduled', pendingWindowDays: 7, deletionDate: at(21).toISOString(), detail: 'adopted: the answer was lost' }, at(14), BY);
    expect(scheduled).toMatchObject({ stage: 'deletion-scheduled', deletionDate: at(21).toISOString() });
    expect(scheduled.steps.at(-1)).toMatchObject({ step: 'ScheduleKeyDeletion', ok: true, detail: 'adopted: the answer was lost' });
    const cancelled = applyEvent(scheduled, { type: 'deletion-cancelled', detail: 'adopted: DescribeKey shows Disabled' }, at(15), BY);
    expect(cancelled).toMatchObject({ stage: 'watching' });
    expect(cancelled.steps.at(-1)).toMatchObject({ step: 'CancelKeyDeletion', detail: 'adopted: DescribeKey shows Disabled' });
  });

  it('watch problems refuse deletion and are drift while watching only', () => {
    const problems = ['the trail t that feeds the alarm is not logging'];
    const steps = nextSteps(inStage('watching'), calm({ watchProblems: problems }), [], at(20));
    expect(allowed(steps, 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/the watch cannot be trusted: the trail t .* not logging\. Nothing was sent/) });
    expect(reconcile(inStage('watching'), calm({ watchProblems: problems }))).toEqual(problems);
    expect(reconcile(inStage('deletion-scheduled'), calm({ keyState: 'PendingDeletion', watchProblems: problems }))).toEqual([]);
  });

  it('re-enable is offered only when keywarden disabled the key (old records: offered)', () => {
    for (const stage of ['preflight', 'disabled', 'watching', 'use-detected'] as const) {
      expect(allowed(nextSteps(inStage(stage), calm(), [], at(1)), 're-enable')?.allowed).toBe(true);
    }
    const notOurs = applyEvent(fresh(), { type: 'disabled', byKeywarden: false }, at(0), BY);
    expect(notOurs).toMatchObject({ stage: 'disabled', disabledByKeywarden: false });
    expect(notOurs.steps.at(-1)?.step).toBe('already disabled (not by keywarden)');
    const watching = applyEvent(notOurs, { type: 'watch-armed', watch: alarmWatch }, at(0), BY);
    for (const r of [notOurs, watching, applyEvent(watching, { type: 'use-detected', summary: 'x' }, at(1), BY)]) {
      expect(allowed(nextSteps(r, calm(), [], at(1)), 're-enable')).toMatchObject({ allowed: false, why: expect.stringMatching(/already Disabled when this retirement started/) });
    }
    const ours = applyEvent(fresh(), { type: 'disabled', byKeywarden: true }, at(0), BY);
    expect(allowed(nextSteps(ours, calm(), [], at(1)), 're-enable')?.allowed).toBe(true);
  });
});

describe('reconcile', () => {
  it('names what someone else changed', () => {
    expect(reconcile(inStage('watching'), calm({ keyState: 'Enabled' }))).toEqual(['the key was enabled again by someone else']);
    expect(reconcile(inStage('watching'), calm({ alarm: { exists: false, filterExists: false, everAlarmed: false } }))).toEqual([
      `the alarm ${alarmWatch.alarmName} was deleted`,
      `the metric filter ${alarmWatch.filterName} was deleted`,
    ]);
    expect(reconcile(inStage('deletion-scheduled'), calm({ keyState: 'gone' }))).toEqual(['the waiting period ended: KMS deleted the key']);
    expect(reconcile(inStage('deletion-scheduled'), calm({ keyState: 'Disabled' }))).toEqual(['the deletion was cancelled by someone else (the key is Disabled)']);
    expect(reconcile(inStage('watching'), calm())).toEqual([]);
  });
});

describe('preflight findings', () => {
  it('flags service grants, replicas and asymmetric keys; notes unknown earlier use', () => {
    const findings = preflightFindings({
      metadata: { ...meta, keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', multiRegion: true, multiRegionRole: 'PRIMARY', replicaKeys: [{ arn: 'x', region: 'eu-west-1' }] },
      lastUsage: { kind: 'not-since-tracking', trackingStartDate: '2026-04-15T00:00:00.000Z' },
      grants: [{ grantId: 'g', keyId: meta.keyId, operations: ['Decrypt'], granteePrincipal: 'arn:aws:sts::111122223333:assumed-role/aws:ec2-infrastructure/i-0abc' }],
      now: T0,
      windowDays: 30,
    });
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['use-unknown-before-tracking', 'warning'],
      ['service-grants', 'blocking'],
      ['mrk-primary-with-replicas', 'blocking'],
      ['asymmetric', 'blocking'],
    ]);
    expect(unacknowledged(findings, ['service-grants']).map((f) => f.id)).toEqual(['mrk-primary-with-replicas', 'asymmetric']);
  });
  it('says nothing about an unused symmetric key without grants', () => {
    expect(preflightFindings({ metadata: meta, lastUsage: { kind: 'never', trackingStartDate: T0.toISOString() }, grants: [], now: T0, windowDays: 30 })).toEqual([]);
  });
});

describe('filter, names and tags', () => {
  it('matches this key ARN in the error message, for disabled and pending deletion', () => {
    const pattern = metricFilterPattern(ARN);
    expect(pattern).toContain(`"${ARN} is disabled."`);
    expect(pattern).toContain(`"${ARN} is pending deletion."`);
    expect(pattern.length).toBeLessThanOrEqual(1024);
    const record = JSON.parse(syntheticFailedUse(ARN, '111122223333', 'us-east-1', 'disabled', T0));
    expect(record).toMatchObject({ eventSource: 'kms.amazonaws.com', errorCode: 'DisabledException', errorMessage: `${ARN} is disabled.`, resources: [{ ARN }] });
  });
  it('names are predictable from the key id and tags mirror the stage', () => {
    expect(watchNames('abc')).toEqual({ filterName: 'keywarden-retire-abc', metricName: 'KeyUseWhileRetiring-abc', alarmName: 'keywarden-retire-abc' });
    const tags = retirementTags(inStage('watching'));
    expect(tags).toContainEqual({ key: 'keywarden:retirement-stage', value: 'watching' });
    expect(tags).toContainEqual({ key: 'keywarden:retirement-watch', value: alarmWatch.alarmName });
  });
});

describe('inputs', () => {
  it.each(['6', '31', 'x', '7.5', '-7'])('deletion window "%s" is refused', (input) => {
    expect(parseDeletionWindow(input).ok).toBe(false);
  });
  it.each([['7', 7], ['30', 30], ['', 30]] as const)('deletion window "%s" → %d', (input, days) => {
    expect(parseDeletionWindow(input)).toEqual({ ok: true, days });
  });
  it('watch days', () => {
    expect(parseWatchDays('')).toEqual({ ok: true, days: 14 });
    expect(parseWatchDays('0').ok).toBe(false);
    expect(parseWatchDays('21')).toEqual({ ok: true, days: 21 });
  });
});
