// The retirement under network faults: 5xx, connection resets, hung requests and the endpoint
// disappearing between DisableKey and the alarm. The journal shows intent and outcome of every
// call, a restart resumes at the right step without sending a mutation again, and deletion is
// never possible without the alarm (or a recorded weaker watch).

import { StartLoggingCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { DeleteAlarmsCommand, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateLogGroupCommand, PutMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  ListResourceTagsCommand,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { Retirements } from '../../src/aws/retirement.js';
import { pairEntries } from '../../src/journal/journal.js';
import { driver, newKey, prepare, RestartableSandbox, tempDir, until } from './helpers.js';

const DAY = 86_400;
let s: RestartableSandbox;
beforeEach(async () => {
  s = await RestartableSandbox.start();
});
afterEach(async () => {
  await s.close();
});

/** A retirement (default SDK retries) whose 14-day alarm watch has passed: deletion may be scheduled. */
async function watchedPastWindow() {
  const home = tempDir();
  const d = await driver(s, home);
  const k = await newKey(s);
  const { record, preflight } = await prepare(d, k);
  const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
  s.sandbox.advanceClock(15 * DAY);
  return { home, d, k, armed };
}

/** An alarm watch on a fresh key, then a Decrypt refused because the key is disabled: a use the watch must see. */
async function armedThenUsed() {
  const d = await driver(s);
  const k = await newKey(s);
  const kms = s.clients().kms('us-east-1');
  const blob = (await kms.send(new EncryptCommand({ KeyId: k.arn, Plaintext: new TextEncoder().encode('x') }))).CiphertextBlob!;
  const { record, preflight } = await prepare(d, k);
  const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
  await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(/disabled/);
  return { d, k, kms, armed };
}

const keyState = async (arn: string) => (await s.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState;

describe('retirement under network faults', () => {
  it('DisableKey answered by a reset after it ran: the journal says failed, the restart records the disable without sending it again', async () => {
    const home = tempDir();
    // One attempt: the answer is lost exactly once, as when the process or the network dies after the request left.
    const d = await driver(s, home, { maxAttempts: 1 });
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    s.sandbox.faults.reset = { operations: ['DisableKey'], count: 1, after: true };
    await expect(d.retirements.disable(record, preflight.findings)).rejects.toMatchObject({ kind: 'network' });
    expect(await keyState(k.arn)).toBe('Disabled'); // it did happen
    const ops = pairEntries((await d.journal.read()).entries);
    expect(ops.map((o) => [o.intent.action, o.status])).toEqual([['DisableKey', 'failed']]);
    expect(ops[0]!.result?.outcome).toMatchObject({ ok: false, message: expect.stringMatching(/cannot reach AWS|socket|ECONNRESET/i) });

    // The endpoint disappears and comes back; a fresh driver over the same files resumes.
    await s.stop();
    await s.restart();
    const again = await driver(s, home);
    const found = await again.retirements.find(k.key);
    expect(found?.stage).toBe('preflight');
    // The status read adopts the disable from the journal (its DisableKey reached AWS): never
    // abandon at preflight as if nothing had changed.
    const status = await again.retirements.status(found!, preflight.findings);
    const disabled = status.record;
    expect(disabled.stage).toBe('disabled');
    expect(disabled.disabledByKeywarden).toBe(true);
    expect(status.steps.find((st) => st.id === 'arm-watch')).toMatchObject({ allowed: true });
    expect(s.mutations()).not.toContain('DisableKey'); // recorded from the re-read, not sent again
    const armed = await again.retirements.armAlarm(disabled);
    expect(armed.stage).toBe('watching');
  });

  it('the endpoint disappears while PutMetricAlarm hangs (after DisableKey): deletion stays refused; the restart re-arms the alarm', async () => {
    const home = tempDir();
    const d = await driver(s, home, { maxAttempts: 1 });
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    s.sandbox.faults.hang = { operations: ['PutMetricAlarm'], count: 1 };
    const arming = d.retirements.armAlarm(disabled).then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(() => s.sandbox.requests().some((r) => r.operation === 'PutMetricAlarm' && r.fault === 'hang'), 'PutMetricAlarm to hang');
    await s.stop(); // the endpoint disappears mid-step
    const error = await arming;
    expect(error).toMatchObject({ kind: 'network' });

    const ops = pairEntries((await d.journal.read()).entries);
    expect(ops.map((o) => [o.intent.action, o.status])).toEqual([
      ['DisableKey', 'ok'],
      ['TagResource', 'ok'],
      ['PutMetricFilter', 'ok'],
      ['PutMetricAlarm', 'failed'],
    ]);
    const saved = await d.store.load(k.arn);
    expect(saved?.stage).toBe('disabled');
    expect(saved?.steps.at(-1)).toMatchObject({ step: 'PutMetricAlarm', ok: false });

    await s.restart();
    const again = await driver(s, home);
    const found = (await again.retirements.find(k.key))!;
    s.sandbox.advanceClock(30 * DAY);
    const status = await again.retirements.status(found);
    expect(status.steps.map((st) => st.id)).not.toContain('schedule-deletion');
    await expect(again.retirements.scheduleDeletion(found, 7)).rejects.toThrow(/schedule-deletion is not allowed now/);
    expect(s.mutations()).toEqual([]);
    const armed = await again.retirements.armAlarm(found);
    expect(armed).toMatchObject({ stage: 'watching', watch: { kind: 'alarm' } });
    expect(s.mutations()).toEqual(['PutMetricFilter', 'PutMetricAlarm', 'TagResource']);
  });

  it('5xx and resets on every step are retried by the SDK and the retirement completes; the request log shows the faults', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    s.sandbox.faults.serverError = { operations: ['DisableKey', 'PutMetricFilter', 'ScheduleKeyDeletion'], count: 3, status: 503 };
    s.sandbox.faults.reset = { operations: ['TagResource', 'PutMetricAlarm'], count: 2 };
    const disabled = await d.retirements.disable(record, preflight.findings);
    const armed = await d.retirements.armAlarm(disabled);
    s.sandbox.advanceClock(15 * DAY);
    const scheduled = await d.retirements.scheduleDeletion(armed, 7);
    expect(scheduled.stage).toBe('deletion-scheduled');
    const log = s.sandbox.requests();
    expect(log.filter((r) => r.status === 503).length).toBe(3);
    expect(log.filter((r) => r.fault === 'reset').length).toBe(2);
    const ops = pairEntries((await d.journal.read()).entries);
    expect(ops.every((o) => o.status === 'ok')).toBe(true);
  });

  it('a 500 that outlasts the retries stops the step with a clear message and leaves the record at its stage; the retry completes', async () => {
    const d = await driver(s, tempDir(), { maxAttempts: 2 });
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    const armed = await d.retirements.armAlarm(disabled);
    s.sandbox.advanceClock(15 * DAY);
    s.sandbox.faults.serverError = { operations: ['ScheduleKeyDeletion'], count: 2 };
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toThrow(/ScheduleKeyDeletion: .*internal error/i);
    expect(await keyState(k.arn)).toBe('Disabled');
    const saved = (await d.store.load(k.arn))!;
    expect(saved.stage).toBe('watching');
    const ops = pairEntries((await d.journal.read()).entries);
    const last = ops.filter((o) => o.intent.action === 'ScheduleKeyDeletion').at(-1)!;
    expect(last).toMatchObject({ status: 'failed', intent: { action: 'ScheduleKeyDeletion' }, result: { outcome: { code: 'KMSInternalException' } } });
    // The stage tag written just before the call is put back to "watching" once the call failed.
    expect(ops.at(-1)).toMatchObject({ status: 'ok', intent: { action: 'TagResource', params: { Tags: expect.arrayContaining([{ TagKey: 'keywarden:retirement-stage', TagValue: 'watching' }]) } } });
    expect((await s.clients().kms('us-east-1').send(new ListResourceTagsCommand({ KeyId: k.arn }))).Tags).toContainEqual({ TagKey: 'keywarden:retirement-stage', TagValue: 'watching' });
    const scheduled = await d.retirements.scheduleDeletion(saved, 7);
    expect(scheduled.stage).toBe('deletion-scheduled');
  });

  it('a hung DescribeKey is cut by the client timeout and retried; the status read completes', async () => {
    const d = await driver(s, tempDir(), { requestTimeoutMs: 300 });
    const k = await newKey(s);
    const { record } = await prepare(d, k);
    s.sandbox.faults.hang = { operations: ['DescribeKey'], count: 1 };
    const status = await d.retirements.status(record);
    expect(status.reality.keyState).toBe('Enabled');
    expect(s.sandbox.requests().filter((r) => r.operation === 'DescribeKey' && r.fault === 'hang')).toHaveLength(1);
  });

  it('ScheduleKeyDeletion ran but its answer was lost: the restart sees the deletion, does not send it again, and can cancel it', async () => {
    const home = tempDir();
    const d = await driver(s, home, { maxAttempts: 1 });
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(15 * DAY);
    s.sandbox.faults.reset = { operations: ['ScheduleKeyDeletion'], count: 1, after: true };
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toMatchObject({ kind: 'network' });
    expect(await keyState(k.arn)).toBe('PendingDeletion');
    s.sandbox.clearRequests();
    const again = await driver(s, home);
    const status = await again.retirements.status((await again.retirements.find(k.key))!);
    expect(status.record.stage).toBe('deletion-scheduled');
    expect(status.steps.find((st) => st.id === 'cancel-deletion')).toMatchObject({ allowed: true });
    expect(s.mutations()).toEqual([]);
  });

  it('ScheduleKeyDeletion answer lost with the default SDK retries: the resend is not made, the deletion is adopted, no use is counted, cancel is offered', async () => {
    const { home, d, k, armed } = await watchedPastWindow(); // production retries (maxAttempts 8)
    s.sandbox.faults.reset = { operations: ['ScheduleKeyDeletion'], count: 1, after: true };
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toThrow(/did reach AWS: DescribeKey shows the key is PendingDeletion.*recorded the deletion as scheduled.*did not send it again/);
    expect(await keyState(k.arn)).toBe('PendingDeletion');
    expect(s.sandbox.requests().filter((r) => r.operation === 'ScheduleKeyDeletion')).toHaveLength(1); // never resent
    const saved = (await d.store.load(k.arn))!;
    expect(saved.stage).toBe('deletion-scheduled');
    expect(saved.deletionDate).toBeDefined();
    expect(saved.steps.at(-1)).toMatchObject({ step: 'ScheduleKeyDeletion', ok: true, detail: expect.stringMatching(/^adopted: the answer was lost/) });
    s.sandbox.advanceClock(600);
    const again = await driver(s, home);
    const status = await again.retirements.status((await again.retirements.find(k.key))!);
    expect(status.record.stage).toBe('deletion-scheduled');
    expect(status.drift).toEqual([]);
    expect(status.reality.attemptsSinceDisabled).toEqual([]);
    expect(status.reality.alarm?.everAlarmed).toBe(false);
    expect(status.steps.find((st) => st.id === 'cancel-deletion')).toMatchObject({ allowed: true });
  });

  it('crash after ScheduleKeyDeletion succeeded, before the record was saved: the restart adopts the deletion from the journal and offers cancel', async () => {
    const { home, d, k, armed } = await watchedPastWindow();
    const real = d.store;
    const crashing = Object.create(real) as typeof real;
    crashing.save = async (r) => {
      if (r.stage === 'deletion-scheduled') throw new Error('SIGKILL');
      return real.save(r);
    };
    const identity = await new AwsKeySource(s.clients()).identity();
    const d2 = new Retirements({ clients: d.clients, journal: d.journal, store: crashing, identity, now: () => s.sandbox.now() });
    await expect(d2.scheduleDeletion(armed, 7)).rejects.toThrow('SIGKILL');
    expect(await keyState(k.arn)).toBe('PendingDeletion');
    s.sandbox.clearRequests();
    const again = await driver(s, home);
    const status = await again.retirements.status((await again.retirements.find(k.key))!);
    expect(status.record.stage).toBe('deletion-scheduled');
    expect(status.record.steps.at(-1)?.detail).toMatch(/adopted: keywarden's ScheduleKeyDeletion .*journal: ok/);
    expect(status.drift).toEqual([]);
    expect(status.steps.find((st) => st.id === 'cancel-deletion')).toMatchObject({ allowed: true });
    expect(s.mutations()).toEqual([]);
  });

  it('CancelKeyDeletion answer lost with the default SDK retries: the resend is not made, the cancel is adopted (stage watching, key Disabled)', async () => {
    const { home, d, k, armed } = await watchedPastWindow();
    const scheduled = await d.retirements.scheduleDeletion(armed, 7);
    s.sandbox.faults.reset = { operations: ['CancelKeyDeletion'], count: 1, after: true };
    await expect(d.retirements.cancelDeletion(scheduled)).rejects.toThrow(/did reach AWS: DescribeKey shows the key Disabled.*recorded the deletion as cancelled/);
    expect(await keyState(k.arn)).toBe('Disabled');
    expect(s.sandbox.requests().filter((r) => r.operation === 'CancelKeyDeletion')).toHaveLength(1);
    const again = await driver(s, home);
    const status = await again.retirements.status((await again.retirements.find(k.key))!);
    expect(status.record.stage).toBe('watching');
    expect(status.record.deletionDate).toBeUndefined();
    expect(status.drift).toEqual([]);
    expect(status.steps.find((st) => st.id === 're-enable')).toMatchObject({ allowed: true });
  });
});

describe('someone else changes the key between the re-read and the step', () => {
  it('a key scheduled for deletion by someone else after the preflight: disable refuses and explains; nothing is sent', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    await s.clients().kms('us-east-1').send(new ScheduleKeyDeletionCommand({ KeyId: k.arn, PendingWindowInDays: 7 }));
    s.sandbox.clearRequests();
    await expect(d.retirements.disable(record, preflight.findings)).rejects.toThrow(/disable is not allowed now: the key is PendingDeletion/);
    expect(s.mutations()).toEqual([]);
  });

  it('a key re-enabled by someone else during the watch: deletion refuses and names the change', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(15 * DAY);
    await s.clients().kms('us-east-1').send(new EnableKeyCommand({ KeyId: k.arn }));
    s.sandbox.clearRequests();
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toThrow(/schedule-deletion is not allowed now: the key should be Disabled but is Enabled.*enabled again by someone else/);
    expect(s.mutations()).toEqual([]);
    // and a second disable by someone else is not repeated by us either
    await s.clients().kms('us-east-1').send(new DisableKeyCommand({ KeyId: k.arn }));
  });
});

describe('the watch is re-checked right before deletion', () => {
  const cw = () => s.clients().cloudwatch('us-east-1');
  const TRAIL_GROUP = 'aws-cloudtrail-logs-111122223333-management';

  it('the trail that feeds the alarm stopped logging during the watch: deletion refused as drift, nothing sent', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    expect(armed.watch).toMatchObject({ kind: 'alarm', trailArn: expect.stringContaining(':trail/') });
    await s.clients().cloudtrail('us-east-1').send(new StopLoggingCommand({ Name: 'management-events' }));
    s.sandbox.advanceClock(15 * DAY);
    const status = await d.retirements.status(armed);
    expect(status.drift).toContainEqual(expect.stringMatching(/trail management-events that feeds the alarm is not logging/));
    s.sandbox.clearRequests();
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toThrow(/schedule-deletion is not allowed now: the watch cannot be trusted: the trail management-events .* is not logging.*Nothing was sent/);
    expect(s.mutations()).toEqual([]);
    await s.clients().cloudtrail('us-east-1').send(new StartLoggingCommand({ Name: 'management-events' }));
    expect((await d.retirements.status(armed)).steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({ allowed: true });
  });

  it('the alarm or the filter no longer as keywarden made them (actions off, threshold, pattern): deletion refused, each change named', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    const name = `keywarden-retire-${k.keyId}`;
    const alarm = (await cw().send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms![0]!;
    await cw().send(new PutMetricAlarmCommand({ AlarmName: name, Namespace: alarm.Namespace!, MetricName: alarm.MetricName!, Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 1e9, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ActionsEnabled: false }));
    await s.clients().logs('us-east-1').send(new PutMetricFilterCommand({ logGroupName: TRAIL_GROUP, filterName: name, filterPattern: '{ $.eventSource = "nothing" }', metricTransformations: [{ metricName: alarm.MetricName!, metricNamespace: alarm.Namespace!, metricValue: '1' }] }));
    s.sandbox.advanceClock(15 * DAY);
    const status = await d.retirements.status(armed);
    expect(status.drift).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/actions disabled/),
        expect.stringMatching(/fires on GreaterThanOrEqualToThreshold 1000000000, not GreaterThanOrEqualToThreshold 1/),
        expect.stringMatching(/metric filter .* different pattern/),
      ]),
    );
    s.sandbox.clearRequests();
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toThrow(/the watch cannot be trusted/);
    expect(s.mutations()).toEqual([]);
  });

  it('--log-group naming a group no trail delivers to is refused, naming the trails and their groups; nothing is created', async () => {
    await s.clients().logs('us-east-1').send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/unrelated' }));
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    s.sandbox.clearRequests();
    await expect(d.retirements.armAlarm(disabled, { logGroupName: '/aws/lambda/unrelated' })).rejects.toThrow(
      new RegExp(`log group /aws/lambda/unrelated \\(us-east-1\\) is not where a trail .* delivers.*Nothing was created.*management-events → ${TRAIL_GROUP} \\(us-east-1\\)`),
    );
    expect(s.mutations()).toEqual([]);
    const armed = await d.retirements.armAlarm(disabled, { logGroupName: TRAIL_GROUP });
    expect(armed.watch).toMatchObject({ kind: 'alarm', logGroupName: TRAIL_GROUP, trailArn: expect.stringContaining(':trail/management-events') });
  });

  it('an ALARM left in the history by an earlier retirement of the same key does not count as use in a new one', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const blob = (await s.clients().kms('us-east-1').send(new EncryptCommand({ KeyId: k.arn, Plaintext: new TextEncoder().encode('x') }))).CiphertextBlob!;
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    await expect(s.clients().kms('us-east-1').send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(/disabled/);
    s.sandbox.advanceClock(600);
    const used = await d.retirements.status(armed);
    expect(used.record.stage).toBe('use-detected');
    expect(used.reality.alarm?.everAlarmed).toBe(true);
    await d.retirements.reEnable(used.record); // rolled back; the alarm is left in place (its history too)
    s.sandbox.advanceClock(3 * DAY);
    const again = await prepare(d, k);
    const rearmed = await d.retirements.armAlarm(await d.retirements.disable(again.record, again.preflight.findings));
    s.sandbox.advanceClock(600);
    const status = await d.retirements.status(rearmed);
    expect(status.record.stage).toBe('watching');
    expect(status.reality.alarm?.everAlarmed).toBe(false);
    expect(status.record.useDetected).toBeUndefined();
  });
});

describe('tags and the way back', () => {
  it('use-detected is mirrored on the key tags', async () => {
    const { d, k, kms, armed } = await armedThenUsed();
    const status = await d.retirements.status(armed);
    expect(status.record.stage).toBe('use-detected');
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: k.arn }))).Tags).toContainEqual({ TagKey: 'keywarden:retirement-stage', TagValue: 'use-detected' });
  });

  it('a key that was already Disabled before the retirement: rollback does not offer to enable it, and says why; nothing is sent', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    await s.clients().kms('us-east-1').send(new DisableKeyCommand({ KeyId: k.arn }));
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    expect(disabled).toMatchObject({ stage: 'disabled', disabledByKeywarden: false });
    const status = await d.retirements.status(disabled);
    expect(status.steps.find((st) => st.id === 're-enable')).toMatchObject({ allowed: false, why: expect.stringMatching(/already Disabled when this retirement started.*keywarden did not disable it/) });
    s.sandbox.clearRequests();
    await expect(d.retirements.reEnable(disabled)).rejects.toThrow(/re-enable is not allowed now: the key was already Disabled/);
    expect(s.mutations()).toEqual([]);
    expect(await keyState(k.arn)).toBe('Disabled');

    // A colleague picking it up from the key's tags knows it too.
    const colleague = await driver(s);
    const picked = await colleague.retirements.find(k.key);
    expect(picked).toMatchObject({ stage: 'disabled', disabledByKeywarden: false });
    const theirs = await colleague.retirements.status(picked!);
    expect(theirs.steps.find((st) => st.id === 're-enable')).toMatchObject({ allowed: false });
  });
});

describe('picking a retirement up from the key tags', () => {
  const tag = (arn: string, tags: Record<string, string>) =>
    s.clients().kms('us-east-1').send(new TagResourceCommand({ KeyId: arn, Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) }));

  it('the alarm named in the tags was deleted: the colleague gets the alarm watch as gone (drift), not the weaker watch; deletion refused, nothing sent', async () => {
    const { k } = await watchedPastWindow();
    await s.clients().cloudwatch('us-east-1').send(new DeleteAlarmsCommand({ AlarmNames: [`keywarden-retire-${k.keyId}`] }));
    const colleague = await driver(s);
    const picked = await colleague.retirements.find(k.key);
    expect(picked).toMatchObject({ stage: 'watching', watch: { kind: 'alarm', alarmName: `keywarden-retire-${k.keyId}` } });
    const status = await colleague.retirements.status(picked!);
    expect(status.drift).toContain(`the alarm keywarden-retire-${k.keyId} was deleted`);
    expect(status.steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/the watch is gone: the alarm .* was deleted/) });
    s.sandbox.clearRequests();
    await expect(colleague.retirements.scheduleDeletion(picked!, 7)).rejects.toThrow(/schedule-deletion is not allowed now: the watch is gone/);
    expect(s.mutations()).toEqual([]);
    expect(await keyState(k.arn)).toBe('Disabled');
  });

  it('a forged early since (2020, watch-days 1) gains nothing: the watch counts from the alarm\'s AlarmConfigurationUpdatedTimestamp', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    const armedAt = s.sandbox.now().getTime();
    await tag(k.arn, { 'keywarden:retirement-since': '2020-01-01T00:00:00.000Z', 'keywarden:retirement-watch-days': '1' });
    s.sandbox.advanceClock(3600);
    const colleague = await driver(s);
    const picked = await colleague.retirements.find(k.key);
    expect(picked).toMatchObject({ stage: 'watching', watchDays: 1 });
    expect(new Date(picked!.watchStartedAt!).getTime()).toBeGreaterThanOrEqual(armedAt - 1000);
    expect(picked!.steps[0]!.detail).toMatch(/counts from the alarm's last configuration change/);
    const status = await colleague.retirements.status(picked!);
    expect(status.steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/the watch runs until/) });
    s.sandbox.clearRequests();
    await expect(colleague.retirements.scheduleDeletion(picked!, 7)).rejects.toThrow(/not allowed now/);
    expect(s.mutations()).toEqual([]);
  });

  it('forged tags for a weaker watch on a key disabled just now: the watch counts from the DisableKey in CloudTrail', async () => {
    const k = await newKey(s);
    s.sandbox.advanceClock(30 * DAY);
    await s.clients().kms('us-east-1').send(new DisableKeyCommand({ KeyId: k.arn }));
    const since = new Date(s.sandbox.now().getTime() - 20 * DAY * 1000).toISOString();
    await tag(k.arn, { 'keywarden:retirement-stage': 'watching', 'keywarden:retirement-since': since, 'keywarden:retirement-watch-days': '14', 'keywarden:retirement-watch': 'cloudtrail-poll (weaker)' });
    const colleague = await driver(s);
    const picked = await colleague.retirements.find(k.key);
    expect(picked).toMatchObject({ stage: 'watching', watch: { kind: 'cloudtrail-poll' } });
    expect(new Date(picked!.watchStartedAt!).getTime()).toBeGreaterThan(new Date(since).getTime() + 19 * DAY * 1000);
    const status = await colleague.retirements.status(picked!);
    expect(status.steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/the watch runs until/) });
  });

  it.each([
    ['a fractional watch-days', { 'keywarden:retirement-watch-days': '1.5' }, /retirement-watch-days is "1\.5"/],
    ['a since in the future', { 'keywarden:retirement-since': '2099-01-01T00:00:00.000Z' }, /retirement-since is 2099-01-01T00:00:00.000Z, in the future/],
    ['an unknown stage', { 'keywarden:retirement-stage': 'finished' }, /"finished", not a stage keywarden writes/],
  ])('tags not as keywarden writes them (%s): the pick-up is refused, saying what is wrong; nothing recorded', async (_label, patch, message) => {
    const { k } = await watchedPastWindow();
    await tag(k.arn, patch);
    const colleague = await driver(s);
    const refused = colleague.retirements.find(k.key);
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toThrow(/not as keywarden writes them.*Nothing was recorded or changed/);
    expect(await colleague.store.load(k.arn)).toBeUndefined();
  });

  it('a read that fails during the pick-up (tags, alarm) is reported, not guessed around; nothing recorded', async () => {
    const { k } = await watchedPastWindow();
    const colleague = await driver(s, tempDir(), { maxAttempts: 1 });
    s.sandbox.faults.accessDenied = [{ operations: ['DescribeAlarms'] }];
    await expect(colleague.retirements.find(k.key)).rejects.toThrow(/was not picked up: nothing was recorded or changed/);
    s.sandbox.faults.accessDenied = [{ key: k.arn, operations: ['ListResourceTags'] }];
    await expect(colleague.retirements.find(k.key)).rejects.toThrow(/cannot read the key's tags.*Nothing was recorded or changed/);
    s.sandbox.faults.accessDenied = [];
    expect(await colleague.store.load(k.arn)).toBeUndefined();
    expect(await colleague.retirements.find(k.key)).toMatchObject({ stage: 'watching', watch: { kind: 'alarm' } });
  });
});

describe('a way out when someone else changed the key (close)', () => {
  const tagsOf = async (arn: string) => ((await s.clients().kms('us-east-1').send(new ListResourceTagsCommand({ KeyId: arn }))).Tags ?? []).filter((t) => t.TagKey?.startsWith('keywarden:'));
  const alarmsOf = async (keyId: string) => (await s.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${keyId}`] }))).MetricAlarms ?? [];

  it('the deletion cancelled by someone else: close removes the alarm, filter and tags, records why, and leaves the key Disabled', async () => {
    const { d, k, armed } = await watchedPastWindow();
    const scheduled = await d.retirements.scheduleDeletion(armed, 7);
    await s.clients().kms('us-east-1').send(new CancelKeyDeletionCommand({ KeyId: k.arn }));
    const status = await d.retirements.status(scheduled);
    expect(status.steps).toEqual([
      { id: 'close', allowed: true, why: expect.stringMatching(/deletion was cancelled outside this retirement \(the key is Disabled\).*does NOT enable, disable, delete.*the key stays Disabled/) },
    ]);
    s.sandbox.clearRequests();
    const closed = await d.retirements.close(scheduled);
    expect(closed).toMatchObject({ stage: 'closed', abandoned: { reason: expect.stringMatching(/deletion was cancelled outside this retirement.*left Disabled/) } });
    expect(s.mutations()).toEqual(['DeleteAlarms', 'DeleteMetricFilter', 'UntagResource']);
    expect(await keyState(k.arn)).toBe('Disabled');
    expect(await tagsOf(k.arn)).toEqual([]);
    expect(await alarmsOf(k.keyId)).toEqual([]);
    expect((await d.store.load(k.arn))?.stage).toBe('closed');
    expect(pairEntries((await d.journal.read()).entries).map((o) => o.intent.action)).toContain('CloseRetirement');
  });

  it('the key enabled by someone else after use was detected: the way back (close, as the wizard\'s b) closes it and leaves the key Enabled', async () => {
    const { d, k, kms, armed } = await armedThenUsed();
    const used = (await d.retirements.status(armed)).record;
    expect(used.stage).toBe('use-detected');
    await kms.send(new EnableKeyCommand({ KeyId: k.arn }));
    const status = await d.retirements.status(used);
    expect(status.steps.find((st) => st.id === 'close')).toMatchObject({ allowed: true, why: expect.stringMatching(/enabled again outside this retirement.*the key stays Enabled/) });
    s.sandbox.clearRequests();
    const closed = await d.retirements.close(used);
    expect(closed).toMatchObject({ stage: 'closed', abandoned: { reason: expect.stringMatching(/enabled again outside/) } });
    expect(s.mutations()).toEqual(['DeleteAlarms', 'DeleteMetricFilter', 'UntagResource']);
    expect(await keyState(k.arn)).toBe('Enabled');
  });

  it('a key that was already Disabled: close is the way back; the key stays Disabled', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    await s.clients().kms('us-east-1').send(new DisableKeyCommand({ KeyId: k.arn }));
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armWeakerWatch(await d.retirements.disable(record, preflight.findings), 'test');
    s.sandbox.clearRequests();
    const closed = await d.retirements.close(armed);
    expect(closed).toMatchObject({ stage: 'closed', abandoned: { reason: expect.stringMatching(/already Disabled when this retirement started.*left Disabled/) } });
    expect(s.mutations()).toEqual(['UntagResource']);
    expect(await keyState(k.arn)).toBe('Disabled');
    expect(await tagsOf(k.arn)).toEqual([]);
  });

  it('close is refused while the retirement can go on or back normally; nothing is sent', async () => {
    const { d, armed } = await watchedPastWindow();
    s.sandbox.clearRequests();
    await expect(d.retirements.close(armed)).rejects.toThrow(/close is not allowed now/);
    expect(s.mutations()).toEqual([]);
  });
});

describe('evidence that ages out and multi-Region replicas', () => {
  it('a weaker watch older than CloudTrail\'s 90 days: deletion refused, saying to watch again; re-armed from now, deletion after the window', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const weaker = await d.retirements.armWeakerWatch(await d.retirements.disable(record, preflight.findings), 'test');
    s.sandbox.advanceClock(100 * DAY);
    const status = await d.retirements.status(weaker);
    expect(status.steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/reaches back only 90 days.*Watch again/) });
    expect(status.steps.find((st) => st.id === 're-arm-watch')).toMatchObject({ allowed: true });
    s.sandbox.clearRequests();
    await expect(d.retirements.scheduleDeletion(weaker, 7)).rejects.toThrow(/not allowed now: the weaker watch started 100 days ago/);
    const again = await d.retirements.armWeakerWatch(weaker, 'again');
    expect(s.mutations()).toEqual(['TagResource']);
    expect(again.stage).toBe('watching');
    expect(s.sandbox.now().getTime() - new Date(again.watchStartedAt!).getTime()).toBeLessThan(60_000);
    expect(again.steps.at(-1)).toMatchObject({ step: 'weaker CloudTrail watch started again', detail: expect.stringMatching(/beyond CloudTrail's 90 days/) });
    expect((await d.retirements.status(again)).steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/runs until/) });
    s.sandbox.advanceClock(15 * DAY);
    expect((await d.retirements.status(again)).steps.find((st) => st.id === 'schedule-deletion')?.allowed).toBe(true);
  });

  it('a weaker watch started again after a detected use says so (not that CloudTrail aged out)', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const blob = (await s.clients().kms('us-east-1').send(new EncryptCommand({ KeyId: k.arn, Plaintext: new TextEncoder().encode('x') }))).CiphertextBlob!;
    const { record, preflight } = await prepare(d, k);
    const weaker = await d.retirements.armWeakerWatch(await d.retirements.disable(record, preflight.findings), 'test');
    s.sandbox.advanceClock(60);
    await expect(s.clients().kms('us-east-1').send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(/disabled/);
    s.sandbox.advanceClock(600);
    const used = await d.retirements.status(weaker);
    expect(used.record.stage).toBe('use-detected');
    const again = await d.retirements.armWeakerWatch(used.record, 'kept disabled');
    expect(again.stage).toBe('watching');
    const detail = again.steps.at(-1)?.detail ?? '';
    expect(detail).toMatch(/after the use detected \(.*Decrypt.*\), the key stays Disabled; kept disabled/);
    expect(detail).not.toMatch(/90 days/);
  });

  it('a multi-Region primary whose replica is not pending deletion: deletion refused, naming the replica; nothing sent', async () => {
    const kms = s.clients().kms('us-east-1');
    const created = await kms.send(new CreateKeyCommand({ MultiRegion: true }));
    const arn = created.KeyMetadata!.Arn!;
    const replica = (await kms.send(new ReplicateKeyCommand({ KeyId: arn, ReplicaRegion: 'eu-west-1' }))).ReplicaKeyMetadata!.Arn!;
    const d = await driver(s);
    const key = { arn, region: 'us-east-1' };
    const preflight = await d.retirements.preflight(key, 30);
    let record = await d.retirements.start(key, { watchDays: 14, name: 'mrk', preflight });
    for (const f of preflight.findings.filter((x) => x.severity === 'blocking')) record = await d.retirements.acknowledge(record, f.id);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(15 * DAY);
    const status = await d.retirements.status(armed);
    expect(status.steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({
      allowed: false,
      why: expect.stringMatching(new RegExp(`replicas that are not pending deletion: ${replica.replace(/[/]/g, '\\/')} \\(eu-west-1, Enabled\\).*PendingReplicaDeletion`)),
    });
    s.sandbox.clearRequests();
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toThrow(/not allowed now: this multi-Region primary key still has replicas/);
    expect(s.mutations()).toEqual([]);
    await s.clients({ regions: ['eu-west-1'] }).kms('eu-west-1').send(new ScheduleKeyDeletionCommand({ KeyId: replica, PendingWindowInDays: 7 }));
    expect((await d.retirements.status(armed)).steps.find((st) => st.id === 'schedule-deletion')?.allowed).toBe(true);
  });
});
