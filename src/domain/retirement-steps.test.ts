import { describe, expect, it } from 'vitest';
import { followingStep, RETIREMENT_STEPS, stageProgress, STEP_ORDER, stepCalls, stepToTake } from './retirement-steps.js';
import { applyEvent, nextSteps, startRetirement, watchNames, type Reality, type RetirementEvent, type RetirementRecord } from './retirement.js';

const ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const T0 = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const BY = 'arn:aws:sts::111122223333:assumed-role/Operator/alice';
const alarmWatch = { kind: 'alarm' as const, logGroupRegion: 'us-east-1', logGroupName: 'lg', ...watchNames('1234abcd-12ab-34cd-56ef-1234567890ab'), metricNamespace: 'Keywarden/KMS' };

function walk(...events: Array<[RetirementEvent, number]>): RetirementRecord {
  let r = startRetirement({ keyArn: ARN, region: 'us-east-1', account: '111122223333', name: 'app/old', by: BY, now: T0, evidence: { summary: 'x', findings: [] } });
  for (const [event, day] of events) r = applyEvent(r, event, at(day), BY);
  return r;
}
const watching = () => walk([{ type: 'disabled', byKeywarden: true }, 0], [{ type: 'watch-armed', watch: alarmWatch }, 0]);
const scheduled = () => applyEvent(watching(), { type: 'deletion-scheduled', pendingWindowDays: 7, deletionDate: at(21).toISOString() }, at(14), BY);
const reality = (keyState: Reality['keyState'], alarm = true): Reality => ({
  keyState,
  attemptsSinceDisabled: [],
  ...(alarm ? { alarm: { exists: true, filterExists: true, state: 'OK' as const, everAlarmed: false } } : {}),
});
const done = (r: RetirementRecord, real?: Reality) => stageProgress(r, real).filter((p) => p.done).map((p) => p.label);

describe('the stage list follows what AWS shows now', () => {
  it('a deletion cancelled by someone else is not "scheduled", whatever the record says', () => {
    expect(done(scheduled(), reality('PendingDeletion'))).toEqual(['Preflight', 'Disabled', 'Alarm + watch', 'Deletion scheduled']);
    expect(done(scheduled(), reality('Disabled'))).toEqual(['Preflight']);
    expect(done(scheduled(), reality('Enabled'))).toEqual(['Preflight']);
  });
  it('a key enabled by someone else during the watch is not "disabled"', () => {
    expect(done(watching(), reality('Disabled'))).toEqual(['Preflight', 'Disabled', 'Alarm + watch']);
    expect(done(watching(), reality('Enabled'))).toEqual(['Preflight']);
  });
  it('a scheduled deletion KMS carried out is marked deleted', () => {
    expect(done(scheduled(), reality('gone'))).toEqual(['Preflight', 'Disabled', 'Alarm + watch', 'Deletion scheduled', 'Deleted']);
  });
});

describe('the step n / retire advance and b / retire rollback take: the catalogue decides', () => {
  const steps = (r: RetirementRecord, real: Reality, now = at(1)) => nextSteps(r, real, [], now);
  it('every step has a way; the catalogue is in the order the steps come', () => {
    expect(STEP_ORDER).toEqual(['acknowledge', 'disable', 'arm-watch', 're-arm-watch', 'schedule-deletion', 'cancel-deletion', 're-enable', 'remove-watch', 'close', 'abandon']);
    for (const id of STEP_ORDER) expect(['on', 'back', 'aside']).toContain(RETIREMENT_STEPS[id].way);
  });
  it('preflight: n disables (once nothing blocks), b abandons — never EnableKey', () => {
    const r = walk();
    const s = steps(r, reality('Enabled', false));
    expect(stepToTake(s, 'on', r.stage)?.id).toBe('disable');
    expect(stepToTake(s, 'back', r.stage)?.id).toBe('abandon');
  });
  it('watching before the window ends: nothing on; b enables the key again', () => {
    const r = watching();
    const s = steps(r, reality('Disabled'));
    expect(stepToTake(s, 'on', r.stage)).toBeUndefined();
    expect(stepToTake(s, 'back', r.stage)?.id).toBe('re-enable');
    expect(stepToTake(steps(r, reality('Disabled'), at(15)), 'on', r.stage)?.id).toBe('schedule-deletion');
  });
  it('deletion scheduled: b cancels the deletion first (the key returns to Disabled, not Enabled)', () => {
    const r = scheduled();
    expect(stepToTake(steps(r, reality('PendingDeletion'), at(15)), 'back', r.stage)?.id).toBe('cancel-deletion');
  });
  it('rolled back: the way back goes on with removing the alarm and filter', () => {
    const r = applyEvent(watching(), { type: 're-enabled' }, at(2), BY);
    const s = steps(r, reality('Enabled'));
    expect(stepToTake(s, 'back', r.stage)?.id).toBe('remove-watch');
    expect(stepToTake(s, 'on', r.stage)?.id).toBe('remove-watch');
  });
  it('someone else enabled the key during the watch: b closes (never enables, never disables)', () => {
    const r = watching();
    expect(stepToTake(steps(r, reality('Enabled')), 'back', r.stage)?.id).toBe('close');
  });
  it('enabling the key again is completed by removing the watch, under one confirmation that lists both', () => {
    expect(followingStep('re-enable')).toBe('remove-watch');
    expect(followingStep('cancel-deletion')).toBeUndefined();
    const calls = stepCalls('re-enable', watching()).join('; ');
    expect(calls).toMatch(/^EnableKey; TagResource .*DeleteAlarms keywarden-retire-1234abcd-12ab-34cd-56ef-1234567890ab and DeleteMetricFilter .*UntagResource/);
  });
});
