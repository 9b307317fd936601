import { describe, expect, it } from 'vitest';
import { GUARD_SID, guardStatement, policyFindings } from './findings.js';
import { lineDiff, planGuardAdd, planGuardRemove, replayGuard } from './guard.js';
import { parsePolicy, statementCoversAction } from './policy.js';
import type { UsageEvent } from './usage.js';

const ACCOUNT = '111122223333';
const ROOT = { Sid: 'Enable IAM policies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const DEFAULT_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [ROOT] });
const ROLE = `arn:aws:iam::${ACCOUNT}:role/BreakGlass`;

describe('guard add / remove plans', () => {
  it('appends AWS\'s statement, which silences the finding; remove gives the policy back', () => {
    const plan = planGuardAdd(DEFAULT_POLICY, { days: 365, exceptRole: ROLE });
    if (!plan.ok) throw new Error(plan.reason);
    const after = JSON.parse(plan.after);
    expect(after.Statement).toEqual([ROOT, guardStatement(365, ROLE)]);
    expect(policyFindings(plan.after, ACCOUNT).map((f) => f.id)).not.toContain('policy-no-usage-guard');
    expect(plan.diff.filter((l) => l.startsWith('- '))).toEqual([]); // only added lines
    expect(plan.diff.some((l) => l.includes(GUARD_SID) && l.startsWith('+ '))).toBe(true);
    const removed = planGuardRemove(plan.after);
    if (!removed.ok) throw new Error(removed.reason);
    expect(JSON.parse(removed.after)).toEqual(JSON.parse(DEFAULT_POLICY));
  });

  it('replaces keywarden\'s earlier guard instead of adding a second; the same guard again changes nothing', () => {
    const first = planGuardAdd(DEFAULT_POLICY, { days: 365 });
    if (!first.ok) throw new Error(first.reason);
    const second = planGuardAdd(first.after, { days: 90 });
    if (!second.ok) throw new Error(second.reason);
    expect(JSON.parse(second.after).Statement).toEqual([ROOT, guardStatement(90)]);
    expect(planGuardAdd(second.after, { days: 90 })).toEqual({ ok: false, reason: expect.stringMatching(/already has this guard/) });
  });

  it('refuses a policy it cannot read, and removing a guard that is not there', () => {
    expect(planGuardAdd('{nope', { days: 365 })).toEqual({ ok: false, reason: expect.stringMatching(/cannot be read/) });
    expect(planGuardRemove(DEFAULT_POLICY)).toEqual({ ok: false, reason: expect.stringMatching(/no keywarden guard/) });
  });

  it('never denies kms:PutKeyPolicy', () => {
    const plan = planGuardAdd(DEFAULT_POLICY, { days: 30 });
    if (!plan.ok) throw new Error(plan.reason);
    const parsed = parsePolicy(plan.after);
    if (!parsed.ok) throw new Error(parsed.error);
    const denies = parsed.statements.filter((st) => st.effect === 'Deny');
    expect(denies).toHaveLength(1);
    expect(statementCoversAction(denies[0]!, 'kms:PutKeyPolicy')).toBe(false);
    expect(statementCoversAction(denies[0]!, 'kms:DisableKey')).toBe(true);
  });

  it('lineDiff marks only what changed', () => {
    expect(lineDiff('a\nb\nc', 'a\nc\nd')).toEqual(['  a', '- b', '  c', '+ d']);
  });
});

describe('replaying the guard on CloudTrail', () => {
  const DAY = 86_400_000;
  const NOW = Date.parse('2026-12-07T00:00:00Z');
  const start = NOW - 90 * DAY;
  let n = 0;
  const event = (daysAgo: number, operation: string, extra: Partial<UsageEvent> = {}): UsageEvent => ({
    eventId: `e${++n}`,
    time: new Date(NOW - daysAgo * DAY).toISOString(),
    timeMs: NOW - daysAgo * DAY,
    operation,
    eventSource: 'kms.amazonaws.com',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Ops/alice`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/Ops`,
    keyArns: [],
    ...extra,
  });

  it('refused when used within the days before; exempt for the break-glass role; unknown when the window cannot tell', () => {
    const events = [
      event(80, 'DisableKey'), // nothing seen before it, window shorter than 30 days before? 10 days seen: unknown
      event(60, 'Decrypt'),
      event(50, 'DisableKey'), // used 10 days before
      event(40, 'ScheduleKeyDeletion', { roleArn: ROLE }),
      event(5, 'DisableKey'), // last use 55 days before
      event(4, 'Decrypt', { errorCode: 'DisabledException' }), // a failed use is no use
      event(3, 'ScheduleKeyDeletion'),
    ];
    const replay = replayGuard(events, { days: 30, exceptRole: ROLE, windowStartMs: start });
    expect(replay.map((r) => [r.operation, r.verdict, r.daysSinceUse])).toEqual([
      ['DisableKey', 'unknown', undefined],
      ['DisableKey', 'refused', 10],
      ['ScheduleKeyDeletion', 'exempt', undefined],
      ['DisableKey', 'allowed', 55],
      ['ScheduleKeyDeletion', 'allowed', 57],
    ]);
    // With no use in the window and a window longer than the guard's days: allowed.
    expect(replayGuard([event(5, 'DisableKey')], { days: 30, windowStartMs: start })[0]!.verdict).toBe('allowed');
  });
});
