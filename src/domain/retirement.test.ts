import { describe, expect, it } from 'vitest';
import type { KeyMetadata } from './key.js';
import { keyMetadata } from '../../test/helpers/kms-fixtures.js';
import { stageProgress } from './retirement-steps.js';
import {
  RETIREMENT_STAGES,
  applyEvent,
  metricFilterPattern,
  nextSteps,
  parseDeletionWindow,
  parseRetirementTags,
  parseWatchDays,
  preflightFindings,
  stuckReason,
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
  { type: 'watch-rearmed', watch: { kind: 'cloudtrail-poll', reason: 'aged out' } },
  { type: 'abandoned', reason: 'the key was enabled again outside this retirement' },
];

// Expected stage after each event from each stage; undefined = the event does not apply (record unchanged).
const EXPECTED: Record<RetirementStage, Partial<Record<RetirementEvent['type'], RetirementStage>>> = {
  preflight: { acknowledge: 'preflight', disabled: 'disabled', 're-enabled': 'rolled-back', abandoned: 'closed' },
  disabled: { 'watch-armed': 'watching', 'use-detected': 'use-detected', 're-enabled': 'rolled-back', abandoned: 'closed' },
  watching: { 'use-detected': 'use-detected', 'deletion-scheduled': 'deletion-scheduled', 're-enabled': 'rolled-back', 'watch-rearmed': 'watching', abandoned: 'closed' },
  'use-detected': { 're-enabled': 'rolled-back', 'watch-rearmed': 'watching', abandoned: 'closed' },
  'deletion-scheduled': { 'deletion-cancelled': 'watching', 'key-deleted': 'deleted', abandoned: 'closed' },
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
    for (const stage of ['disabled', 'watching', 'use-detected'] as const) {
      expect(allowed(nextSteps(inStage(stage), calm(), [], at(1)), 're-enable')?.allowed).toBe(true);
    }
    // At preflight keywarden has disabled nothing: a Disabled key is someone else's; the way back is to abandon.
    const preflight = nextSteps(inStage('preflight'), calm(), [], at(1));
    expect(allowed(preflight, 're-enable')).toBeUndefined();
    expect(allowed(preflight, 'abandon')?.allowed).toBe(true);
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

describe('picking a retirement up from the key tags (anyone with TagResource can write them)', () => {
  const keyId = meta.keyId;
  const good = { 'keywarden:retirement-stage': 'watching', 'keywarden:retirement-since': '2026-10-01T00:00:00.000Z', 'keywarden:retirement-watch-days': '14', 'keywarden:retirement-watch': `keywarden-retire-${keyId}` };
  const parse = (patch: Record<string, string | undefined>) =>
    parseRetirementTags(Object.fromEntries(Object.entries({ ...good, ...patch }).filter(([, v]) => v !== undefined)) as Record<string, string>, keyId, T0);

  it('takes the tags keywarden writes', () => {
    expect(parse({})).toEqual({ kind: 'ok', stage: 'watching', since: '2026-10-01T00:00:00.000Z', watchDays: 14, watch: 'alarm' });
    expect(parse({ 'keywarden:retirement-watch': 'cloudtrail-poll (weaker)' })).toMatchObject({ kind: 'ok', watch: 'cloudtrail-poll' });
    expect(parse({ 'keywarden:retirement-stage': 'disabled', 'keywarden:retirement-watch': 'none yet' })).toMatchObject({ kind: 'ok', stage: 'disabled', watch: 'none' });
    const tags = Object.fromEntries(retirementTags(inStage('watching')).map((t) => [t.key, t.value]));
    expect(parseRetirementTags(tags, keyId, at(1))).toMatchObject({ kind: 'ok', stage: 'watching', watchDays: 14, watch: 'alarm' });
    expect(parseRetirementTags({}, keyId, T0)).toEqual({ kind: 'none' });
  });

  it('carries who disabled the key, so a colleague\'s rollback never enables a key keywarden did not disable', () => {
    expect(parse({ 'keywarden:retirement-disabled-by': 'already-disabled' })).toMatchObject({ kind: 'ok', disabledByKeywarden: false });
    expect(parse({ 'keywarden:retirement-disabled-by': 'keywarden' })).toMatchObject({ kind: 'ok', disabledByKeywarden: true });
    const mirrored = (by: boolean) => Object.fromEntries(retirementTags({ ...inStage('watching'), disabledByKeywarden: by }).map((t) => [t.key, t.value]));
    expect(mirrored(false)['keywarden:retirement-disabled-by']).toBe('already-disabled');
    expect(parseRetirementTags(mirrored(false), keyId, at(1))).toMatchObject({ kind: 'ok', disabledByKeywarden: false });
    expect(parseRetirementTags(mirrored(true), keyId, at(1))).toMatchObject({ kind: 'ok', disabledByKeywarden: true });
  });

  it.each([
    ['a fractional watch-days', { 'keywarden:retirement-watch-days': '1.5' }, /watch-days is "1\.5": the observation window must be a whole number/],
    ['watch-days out of range', { 'keywarden:retirement-watch-days': '0' }, /whole number of days from 1 to 365/],
    ['watch-days written differently', { 'keywarden:retirement-watch-days': '014' }, /not written as keywarden writes it/],
    ['no watch-days', { 'keywarden:retirement-watch-days': undefined }, /watch-days is missing/],
    ['an unknown stage', { 'keywarden:retirement-stage': 'done' }, /"done", not a stage keywarden writes/],
    ['since not a date', { 'keywarden:retirement-since': 'yesterday' }, /"yesterday", not an ISO-8601 UTC time/],
    ['since an impossible date', { 'keywarden:retirement-since': '2026-02-31T00:00:00.000Z' }, /not an ISO-8601 UTC time/],
    ['since in the future', { 'keywarden:retirement-since': '2026-11-02T00:00:00.000Z' }, /in the future/],
    ['a watch keywarden does not make', { 'keywarden:retirement-watch': 'someone-elses-alarm' }, /"someone-elses-alarm", not a watch keywarden makes/],
    ['watching with no watch', { 'keywarden:retirement-watch': 'none yet' }, /says no watch was set up/],
    ['an unknown disabled-by', { 'keywarden:retirement-disabled-by': 'someone' }, /disabled-by is "someone", not one of keywarden, already-disabled/],
  ])('refuses %s', (_label, patch, message) => {
    const out = parse(patch);
    expect(out.kind).toBe('invalid');
    expect(out.kind === 'invalid' ? out.problems.join('; ') : '').toMatch(message);
  });
});

describe('the way out of a stuck retirement (close) and evidence that ages out', () => {
  const find = (steps: ReturnType<typeof nextSteps>, id: string) => steps.find((s) => s.id === id);

  it('close is offered when the deletion was cancelled by someone else, never while it is pending', () => {
    for (const keyState of ['Disabled', 'Enabled'] as const) {
      const steps = nextSteps(inStage('deletion-scheduled'), calm({ keyState }), [], at(15));
      expect(find(steps, 'close')).toMatchObject({ allowed: true, why: expect.stringMatching(new RegExp(`deletion was cancelled outside this retirement \\(the key is ${keyState}\\).*does NOT enable, disable, delete`)) });
    }
    expect(find(nextSteps(inStage('deletion-scheduled'), calm({ keyState: 'PendingDeletion' }), [], at(15)), 'close')).toBeUndefined();
  });

  it('close is offered when the key was enabled by someone else during the watch or after use was detected', () => {
    for (const stage of ['disabled', 'watching', 'use-detected'] as const) {
      const steps = nextSteps(inStage(stage), calm({ keyState: 'Enabled' }), [], at(20));
      const alarm = stage === 'disabled' ? '' : "removes keywarden's alarm keywarden-retire-.*";
      expect(find(steps, 'close')).toMatchObject({ allowed: true, why: expect.stringMatching(new RegExp(`enabled again outside this retirement.*${alarm}the key stays Enabled`)) });
      expect(find(steps, 'schedule-deletion')?.allowed ?? false).toBe(false);
    }
    expect(find(nextSteps(inStage('watching'), calm(), [], at(1)), 'close')).toBeUndefined();
  });

  it('close is offered when keywarden did not disable the key (rollback will not enable it)', () => {
    const notOurs = applyEvent(fresh(), { type: 'disabled', byKeywarden: false }, at(0), BY);
    expect(find(nextSteps(notOurs, calm(), [], at(1)), 'close')).toMatchObject({ allowed: true, why: expect.stringMatching(/already Disabled when this retirement started.*the key stays Disabled/) });
    expect(stuckReason(inStage('watching'), calm())).toBeUndefined();
  });

  it('closing records why and that the key was left as it was; a closed retirement has no steps', () => {
    const closed = applyEvent(inStage('deletion-scheduled'), { type: 'abandoned', reason: 'the deletion was cancelled outside this retirement' }, at(16), BY);
    expect(closed).toMatchObject({ stage: 'closed', abandoned: { at: at(16).toISOString(), reason: 'the deletion was cancelled outside this retirement' } });
    expect(closed.steps.at(-1)).toMatchObject({ step: expect.stringMatching(/abandoned.*left as it was/), detail: 'the deletion was cancelled outside this retirement' });
    expect(nextSteps(closed, calm(), [], at(16))).toEqual([]);
  });

  it('the weaker watch older than CloudTrail reaches back (90 days) cannot clear a deletion; it can start again from now', () => {
    const weaker = applyEvent(inStage('disabled'), { type: 'watch-armed', watch: { kind: 'cloudtrail-poll', reason: 'no trail' } }, at(0), BY);
    expect(find(nextSteps(weaker, calm({ alarm: undefined }), [], at(90)), 'schedule-deletion')?.allowed).toBe(true);
    const late = nextSteps(weaker, calm({ alarm: undefined }), [], at(100));
    expect(find(late, 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/started 100 days ago.*reaches back only 90 days.*first 10 days\. Nothing was sent\. Watch again/) });
    expect(find(late, 're-arm-watch')).toMatchObject({ allowed: true });
    const again = applyEvent(weaker, { type: 'watch-rearmed', watch: { kind: 'cloudtrail-poll', reason: 'again' } }, at(100), BY);
    expect(again).toMatchObject({ stage: 'watching', watchStartedAt: at(100).toISOString() });
    expect(find(nextSteps(again, calm({ alarm: undefined }), [], at(105)), 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/runs until/) });
    expect(find(nextSteps(again, calm({ alarm: undefined }), [], at(115)), 'schedule-deletion')?.allowed).toBe(true);
    // The alarm watch is not measured by CloudTrail's reach.
    expect(find(nextSteps(inStage('watching'), calm(), [], at(100)), 'schedule-deletion')?.allowed).toBe(true);
  });

  it('a multi-Region primary is not deleted while a replica is not itself pending deletion', () => {
    const replicas = [
      { arn: 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1', region: 'eu-west-1', state: 'PendingDeletion' },
      { arn: 'arn:aws:kms:ap-south-1:111122223333:key/mrk-1', region: 'ap-south-1', state: 'Enabled' },
    ];
    expect(find(nextSteps(inStage('watching'), calm({ replicas }), [], at(20)), 'schedule-deletion')).toMatchObject({
      allowed: false,
      why: expect.stringMatching(/replicas that are not pending deletion: arn:aws:kms:ap-south-1:111122223333:key\/mrk-1 \(ap-south-1, Enabled\)\. .*PendingReplicaDeletion.*Nothing was sent/),
    });
    expect(find(nextSteps(inStage('watching'), calm({ replicas: [replicas[0]!] }), [], at(20)), 'schedule-deletion')?.allowed).toBe(true);
  });
});

describe('the stage list shows what holds now', () => {
  const done = (r: RetirementRecord) => stageProgress(r).filter((p) => p.done).map((p) => p.label);
  it('never marks a stage from a later one: rolled back and closed shows only the preflight', () => {
    const rolled = applyEvent(inStage('watching'), { type: 're-enabled' }, at(2), BY);
    expect(done(rolled)).toEqual(['Preflight']);
    expect(done(applyEvent(rolled, { type: 'watch-removed' }, at(3), BY))).toEqual(['Preflight']);
    const cancelledThenClosed = applyEvent(inStage('deletion-scheduled'), { type: 'abandoned', reason: 'x' }, at(3), BY);
    expect(done(cancelledThenClosed)).toEqual(['Preflight']);
  });
  it('a deletion that KMS carried out stays marked after the watch is removed', () => {
    const deleted = applyEvent(inStage('deletion-scheduled'), { type: 'key-deleted' }, at(40), BY);
    const closed = applyEvent(deleted, { type: 'watch-removed' }, at(41), BY);
    expect(done(closed)).toEqual(['Preflight', 'Disabled', 'Alarm + watch', 'Deletion scheduled', 'Deleted']);
  });
  it('use detected, then the watch started again: the use stays in the steps and is not counted twice', () => {
    const used = applyEvent(inStage('watching'), { type: 'use-detected', summary: 'role app (Decrypt)' }, at(5), BY);
    const again = applyEvent(used, { type: 'watch-rearmed', watch: alarmWatch }, at(6), BY);
    expect(again).toMatchObject({ stage: 'watching', watchStartedAt: at(6).toISOString(), usesSeenUntil: at(6).toISOString() });
    expect(again.useDetected).toBeUndefined();
    expect(again.steps.map((st) => st.step)).toContain('use detected');
  });
  it("the watch started again after a use accounts for uses up to the next whole second (CloudTrail's precision): the old use stamped in the restart's second is not seen again", () => {
    const used = applyEvent(inStage('watching'), { type: 'use-detected', summary: 'role app (Decrypt)' }, new Date(at(6).getTime() + 200), BY);
    const again = applyEvent(used, { type: 'watch-rearmed', watch: alarmWatch }, new Date(at(6).getTime() + 700), BY);
    expect(again.usesSeenUntil).toBe(new Date(at(6).getTime() + 1000).toISOString());
    expect(again.watchStartedAt).toBe(new Date(at(6).getTime() + 700).toISOString());
  });
});
