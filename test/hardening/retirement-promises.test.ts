// The retirement keeps its promises at the edges someone found broken: each test is one broken
// promise, replayed against the sandbox over HTTP, with the seven invariants checked from the
// outside (test/helpers/retirement-invariants.ts) after the steps.

import { DeleteAlarmsCommand, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand, PutMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, GenerateDataKeyCommand, GetKeyPolicyCommand, PutKeyPolicyCommand, ListResourceTagsCommand, ScheduleKeyDeletionCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../../src/aws/clients.js';
import { METRIC_NAMESPACE, metricFilterPattern, retirementTags, watchNames } from '../../src/domain/retirement.js';
import { retirementPath } from '../../src/journal/retirements.js';
import { checkRetirementInvariants } from '../helpers/retirement-invariants.js';
import { driver, newKey, prepare, RestartableSandbox, tempDir, type Driver } from './helpers.js';

const DAY = 86_400;
const LOG_GROUP = 'aws-cloudtrail-logs-111122223333-management';
let s: RestartableSandbox;
beforeEach(async () => {
  s = await RestartableSandbox.start();
});
afterEach(async () => {
  await s.close();
});

/** Someone else in the account: other credentials, so the request log tells them apart. */
function outsider() {
  return createClients({ regions: ['us-east-1'], endpoint: s.sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENCOLLEAGUE', secretAccessKey: 'colleague-secret' } });
}

async function check(k: Awaited<ReturnType<typeof newKey>>, ...machines: Driver[]) {
  await checkRetirementInvariants({
    sandbox: s.sandbox,
    clients: s.clients(),
    key: { arn: k.arn, keyId: k.keyId, region: 'us-east-1' },
    machines,
  });
}

const keyState = async (arn: string) => (await s.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState;
const filtersOf = async (keyId: string) =>
  ((await s.clients().logs('us-east-1').send(new DescribeMetricFiltersCommand({ metricName: watchNames(keyId).metricName, metricNamespace: METRIC_NAMESPACE }))).metricFilters ?? []).filter(
    (f) => f.filterName === watchNames(keyId).filterName,
  );
const alarmsOf = async (keyId: string) => (await s.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [watchNames(keyId).alarmName] }))).MetricAlarms ?? [];

describe('the retirement keeps its promises', () => {
  it('a key someone else disabled: the way back at preflight is to abandon (record removed), never EnableKey', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const colleague = outsider();
    await colleague.kms('us-east-1').send(new DisableKeyCommand({ KeyId: k.arn }));
    const { record } = await prepare(d, k);
    const status = await d.retirements.status(record);
    expect(status.steps.filter((st) => st.allowed).map((st) => st.id)).not.toContain('re-enable');
    expect(status.steps.find((st) => st.id === 'abandon')).toMatchObject({ allowed: true });
    await d.retirements.abandonAtPreflight(record);
    expect(existsSync(retirementPath(k.arn, `${d.dir}/retirements`))).toBe(false);
    expect(await keyState(k.arn)).toBe('Disabled');
    expect(s.mutations().filter((op) => op === 'EnableKey')).toEqual([]);
    await check(k, d);
    colleague.destroy();
  });

  it('keywarden disabled the key, then a colleague enabled it and disabled it again on purpose: rollback never enables it; close is offered', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    const colleague = outsider();
    await colleague.kms('us-east-1').send(new EnableKeyCommand({ KeyId: k.arn }));
    await colleague.kms('us-east-1').send(new DisableKeyCommand({ KeyId: k.arn }));
    const status = await d.retirements.status(disabled);
    expect(status.steps.find((st) => st.id === 're-enable')).toMatchObject({ allowed: false });
    expect(status.steps.find((st) => st.id === 're-enable')?.why).toMatch(/someone enabled the key after keywarden disabled it \(by .*KeyAdmins.*\) and it is Disabled again/);
    expect(status.steps.find((st) => st.id === 'close')).toMatchObject({ allowed: true });
    expect(status.drift.join('\n')).toMatch(/enabled by someone else .* disabled again: the disable in force is not keywarden's/);
    await expect(d.retirements.take(status, 're-enable')).rejects.toThrow();
    expect(s.mutations().filter((op) => op === 'EnableKey')).toEqual(['EnableKey']); // the colleague's only
    expect(await keyState(k.arn)).toBe('Disabled');
    await check(k, d);
    colleague.destroy();
  });

  it('PutMetricAlarm refused after the filter was made: the filter is removed before the failure is reported', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    s.sandbox.faults.accessDenied = [{ operations: ['PutMetricAlarm'] }];
    await expect(d.retirements.armAlarm(disabled)).rejects.toThrow(/not authorized[\s\S]*removed what it had created[\s\S]*not armed/);
    expect(await filtersOf(k.keyId)).toEqual([]);
    s.sandbox.faults.accessDenied = [];
    await check(k, d);
    // The way back still ends cleanly.
    const rolled = await d.retirements.reEnable((await d.store.load(k.arn))!);
    const closed = await d.retirements.removeWatch(rolled);
    expect(closed.stage).toBe('closed');
    await check(k, d);
  });

  it('killed after the alarm reached AWS, before the record was saved: rollback and close find the alarm and filter by their names and remove them, confirmed by a read', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    // What the killed keywarden left: its filter and alarm exist; the record still says "disabled".
    const names = watchNames(k.keyId);
    await s.clients().logs('us-east-1').send(
      new PutMetricFilterCommand({ logGroupName: LOG_GROUP, filterName: names.filterName, filterPattern: metricFilterPattern(k.arn), metricTransformations: [{ metricName: names.metricName, metricNamespace: METRIC_NAMESPACE, metricValue: '1' }] }),
    );
    await s.clients().cloudwatch('us-east-1').send(
      new PutMetricAlarmCommand({ AlarmName: names.alarmName, Namespace: METRIC_NAMESPACE, MetricName: names.metricName, Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }),
    );
    expect(disabled.watch).toBeUndefined();
    const rolled = await d.retirements.reEnable(disabled);
    const closed = await d.retirements.removeWatch(rolled);
    expect(closed.steps.at(-1)?.step).toMatch(/removed: alarm keywarden-retire-.* metric filter keywarden-retire-/);
    expect(await alarmsOf(k.keyId)).toEqual([]);
    expect(await filtersOf(k.keyId)).toEqual([]);
    await check(k, d);
  });

  it('an AWS managed key: start is refused and writes nothing', async () => {
    const d = await driver(s);
    const managed = { arn: (await s.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }))).KeyMetadata!.Arn!, region: 'us-east-1' };
    const preflight = await d.retirements.preflight(managed, 30);
    await expect(d.retirements.start(managed, { watchDays: 14, name: 'aws/ebs', preflight })).rejects.toThrow(/cannot be retired: AWS managed key[\s\S]*Nothing was recorded/);
    expect(await d.store.list()).toEqual([]);
  });

  it('the alarm deleted during the watch: re-arm (the watch starts again) and close are offered, not only re-enabling', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(3 * DAY);
    await outsider().cloudwatch('us-east-1').send(new DeleteAlarmsCommand({ AlarmNames: [watchNames(k.keyId).alarmName] }));
    const status = await d.retirements.status(armed);
    const allowed = status.steps.filter((st) => st.allowed).map((st) => st.id);
    expect(allowed).toEqual(expect.arrayContaining(['re-arm-watch', 're-enable', 'close']));
    const rearmed = await d.retirements.armAlarm(status.record);
    expect(rearmed.stage).toBe('watching');
    expect(new Date(rearmed.watchStartedAt!).getTime()).toBeGreaterThanOrEqual(new Date(armed.watchStartedAt!).getTime() + 3 * DAY * 1000);
    expect(await alarmsOf(k.keyId)).toHaveLength(1);
    await check(k, d);
  });

  it('use detected: the key can stay disabled and the watch start again; who tried stays recorded', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    await expect(outsider().kms('us-east-1').send(new GenerateDataKeyCommand({ KeyId: k.arn, KeySpec: 'AES_256' }))).rejects.toThrow(/disabled/);
    const used = await d.retirements.status(armed);
    expect(used.record.stage).toBe('use-detected');
    expect(used.steps.find((st) => st.id === 're-arm-watch')).toMatchObject({ allowed: true });
    s.sandbox.advanceClock(600);
    const again = await d.retirements.armAlarm(used.record);
    expect(again.stage).toBe('watching');
    expect(again.steps.some((st) => st.step === 'use detected')).toBe(true);
    const later = await d.retirements.status(again);
    expect(later.record.stage).toBe('watching');
    await check(k, d);
  });

  it('retire status at preflight re-evaluates the blocking findings: disable is not offered while one is open', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const preflight = await d.retirements.preflight(k.key, 30);
    expect(preflight.findings.some((f) => f.severity === 'blocking')).toBe(true);
    const record = await d.retirements.start(k.key, { watchDays: 14, name: k.name, preflight });
    const status = await d.retirements.status(record);
    expect(status.steps.find((st) => st.id === 'disable')).toMatchObject({ allowed: false, why: expect.stringMatching(/acknowledge 1 finding first/) });
    expect(status.steps.find((st) => st.id === 'acknowledge')).toMatchObject({ allowed: true });
    await expect(d.retirements.disable(record)).rejects.toThrow(/not allowed now/);
    expect(await keyState(k.arn)).toBe('Enabled');
  });

  it('the deletion-scheduled tag written before a ScheduleKeyDeletion that never happened: a colleague picks it up as watching, not as a cancellation by someone else', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(15 * DAY);
    // What keywarden writes just before ScheduleKeyDeletion; then it is killed.
    const tags = retirementTags({ ...armed, stage: 'deletion-scheduled' }).map((t) => ({ TagKey: t.key, TagValue: t.value }));
    await s.clients().kms('us-east-1').send(new TagResourceCommand({ KeyId: k.arn, Tags: tags }));
    const colleague = await driver(s, tempDir('kw-colleague-'));
    const found = await colleague.retirements.find(k.key);
    expect(found?.stage).toBe('watching');
    const status = await colleague.retirements.status(found!);
    expect(status.drift.join(' ')).not.toMatch(/cancelled/);
    expect(status.steps.find((st) => st.id === 'close')).toBeUndefined();
    await check(k, d, colleague);
  });

  it("two machines scheduling at once: the loser's refused ScheduleKeyDeletion is not a use, for CloudTrail nor for the alarm", async () => {
    const a = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(a, k);
    const armed = await a.retirements.armAlarm(await a.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(15 * DAY);
    const scheduled = await a.retirements.scheduleDeletion(armed, 7);
    // The other machine's call lands second: refused, "… is pending deletion.", in CloudTrail and the log group.
    await expect(s.clients().kms('us-east-1').send(new ScheduleKeyDeletionCommand({ KeyId: k.arn, PendingWindowInDays: 7 }))).rejects.toThrow(/pending deletion/);
    await expect(s.clients().kms('us-east-1').send(new TagResourceCommand({ KeyId: k.arn, Tags: [{ TagKey: 'keywarden:retirement-stage', TagValue: 'deletion-scheduled' }] }))).rejects.toThrow(/pending deletion/);
    s.sandbox.advanceClock(600);
    const status = await a.retirements.status(scheduled);
    expect(status.reality.attemptsSinceDisabled).toEqual([]);
    expect(status.reality.alarm?.everAlarmed).toBe(false);
    const colleague = await driver(s, tempDir('kw-colleague-'));
    const picked = await colleague.retirements.find(k.key);
    const seen = await colleague.retirements.status(picked!);
    expect(seen.reality.attemptsSinceDisabled).toEqual([]);
    await check(k, a, colleague);
  });

  it('after KMS deleted the key the retirement finishes: found by its ARN on disk, alarm and filter removed', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(15 * DAY);
    await d.retirements.scheduleDeletion(armed, 7);
    s.sandbox.advanceClock(8 * DAY);
    expect(await keyState(k.arn).catch((e: Error) => e.name)).toBe('NotFoundException');
    const recorded = await d.retirements.recorded(k.arn);
    expect(recorded?.keyArn).toBe(k.arn);
    expect((await d.retirements.recorded(k.name))?.keyArn).toBe(k.arn);
    const status = await d.retirements.status(recorded!);
    expect(status.record.stage).toBe('deleted');
    const closed = await d.retirements.removeWatch(status.record);
    expect(closed.stage).toBe('closed');
    expect(await alarmsOf(k.keyId)).toEqual([]);
    expect(await filtersOf(k.keyId)).toEqual([]);
    await check(k, d);
  });

  it('rollback and close: every tag keywarden wrote is gone', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    const closed = await d.retirements.removeWatch(await d.retirements.reEnable(armed));
    expect(closed.stage).toBe('closed');
    const tags = (await s.clients().kms('us-east-1').send(new ListResourceTagsCommand({ KeyId: k.arn }))).Tags ?? [];
    expect(tags.filter((t) => t.TagKey?.startsWith('keywarden:'))).toEqual([]);
    await check(k, d);
  });

  it("DisableKey refused by the account's kms:TrailingDaysWithoutKeyUsage guard: said in the guard's words with the last use, nothing else changed", async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const kms = s.clients().kms('us-east-1');
    // The guard from AWS's example (AWS Security Blog, 2026-06-02), added to the key's own policy.
    const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: k.arn, PolicyName: 'default' }))).Policy!);
    policy.Statement.push({
      Sid: 'DenyRetiringRecentlyUsedKeys',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
      Resource: '*',
      Condition: { NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '365' } },
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: k.arn, PolicyName: 'default', Policy: JSON.stringify(policy) }));
    // GetKeyLastUsage reports a use an hour after it happened (as AWS may): let the key's use show.
    s.sandbox.advanceClock(3_660);
    const { record, preflight } = await prepare(d, k);
    s.sandbox.clearRequests();
    // The sandbox evaluates the guard itself; the key-scoped fault makes the refusal certain
    // whatever the evaluator decides about this key's age.
    s.sandbox.faults.accessDenied = [{ key: k.arn, operations: ['DisableKey'] }];
    await expect(d.retirements.disable(record, preflight.findings)).rejects.toThrow(
      /^the account's guard refuses this: the key was used 0 days ago \(Encrypt on \d{4}-\d\d-\d\d, GetKeyLastUsage\)\. The key policy denies kms:DisableKey \(statement DenyRetiringRecentlyUsedKeys\) while NumericLessThanEquals kms:TrailingDaysWithoutKeyUsage 365\. Nothing else was changed/,
    );
    expect(s.mutations()).toEqual(['DisableKey']);
    expect(await keyState(k.arn)).toBe('Enabled');
    expect((await d.store.load(k.arn))?.stage).toBe('preflight');
    s.sandbox.faults.accessDenied = [];
  });

  it("the seeded guarded key: the sandbox's own policy evaluation refuses DisableKey, and the retirement says it is the guard", async () => {
    const d = await driver(s);
    const arn = (await s.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: 'alias/cloudtrail/management-events' }))).KeyMetadata!.Arn!;
    const k = { arn, keyId: arn.split('/').pop()!, name: 'cloudtrail/management-events', key: { arn, region: 'us-east-1' } };
    const { record, preflight } = await prepare(d, k);
    s.sandbox.clearRequests();
    await expect(d.retirements.disable(record, preflight.findings)).rejects.toThrow(/^the account's guard refuses this: .*kms:TrailingDaysWithoutKeyUsage.*Nothing else was changed/);
    expect(s.mutations()).toEqual(['DisableKey']);
    expect(s.sandbox.requests().find((r) => r.operation === 'DisableKey')?.errorCode).toBe('AccessDeniedException');
    expect(await keyState(arn)).toBe('Enabled');
    await d.retirements.abandonAtPreflight((await d.store.load(arn))!);
    expect(await d.store.load(arn)).toBeUndefined();
  });

  it('AccessDenied without the guard in the key policy stays a plain permission error', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    s.sandbox.faults.accessDenied = [{ key: k.arn, operations: ['DisableKey'] }];
    await expect(d.retirements.disable(record, preflight.findings)).rejects.toThrow(/not authorized to perform: kms:DisableKey/);
    s.sandbox.faults.accessDenied = [];
  });
});
