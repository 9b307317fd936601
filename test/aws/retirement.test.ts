// The guided retirement over HTTP against the sandbox: a clean run to deletion with the clock
// advanced, an alarm that fires when the disabled key is used, rollback, resume after a restart,
// a colleague's keywarden picking the retirement up from tags, and drift when someone else acts.
import { PutEventSelectorsCommand, StartLoggingCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EnableKeyCommand, EncryptCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { Retirements } from '../../src/aws/retirement.js';
import type { CallerIdentity } from '../../src/domain/key.js';
import { Journal } from '../../src/journal/journal.js';
import { RetirementStore } from '../../src/journal/retirements.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const describeSandbox = externalEndpoint ? describe.skip : describe;
const DAY = 86_400;

describeSandbox('guided retirement over HTTP', () => {
  let endpoint: TestEndpoint;
  let identity: CallerIdentity;
  beforeAll(async () => {
    endpoint = await openEndpoint();
    identity = await new AwsKeySource(endpoint.clients()).identity();
  });
  afterAll(async () => {
    await endpoint.close();
  });

  function driver(dir = mkdtempSync(join(tmpdir(), 'kw-retire-'))) {
    const journal = new Journal(join(dir, 'journal.jsonl'));
    const store = new RetirementStore(join(dir, 'retirements'));
    return { retirements: new Retirements({ clients: endpoint.clients(['us-east-1']), journal, store, identity, now: () => endpoint.sandbox!.now() }), journal, store, dir };
  }

  let counter = 0;
  async function newKey() {
    const kms = endpoint.clients().kms('us-east-1');
    const created = await kms.send(new CreateKeyCommand({ Description: 'keywarden retirement test' }));
    const name = `kw-retire-${process.pid}-${++counter}`;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${name}`, TargetKeyId: created.KeyMetadata!.KeyId! }));
    const blob = (await kms.send(new EncryptCommand({ KeyId: created.KeyMetadata!.Arn!, Plaintext: new TextEncoder().encode('payload') }))).CiphertextBlob!;
    return { arn: created.KeyMetadata!.Arn!, keyId: created.KeyMetadata!.KeyId!, name, blob, key: { arn: created.KeyMetadata!.Arn!, region: 'us-east-1' } };
  }

  async function startAndDisable(d: ReturnType<typeof driver>, k: Awaited<ReturnType<typeof newKey>>) {
    const preflight = await d.retirements.preflight(k.key, 30);
    let record = await d.retirements.start(k.key, { watchDays: 14, name: k.name, preflight });
    for (const f of preflight.findings.filter((x) => x.severity === 'blocking')) record = await d.retirements.acknowledge(record, f.id);
    record = await d.retirements.disable(record, preflight.findings);
    return { record, preflight };
  }

  it('runs cleanly to deletion: disable, alarm (self-tested), 14-day watch, schedule, deletion completes', async () => {
    const d = driver();
    const k = await newKey();
    const { record: disabled, preflight } = await startAndDisable(d, k);
    expect(preflight.findings.filter((f) => f.severity === 'blocking').map((f) => f.id)).toEqual(['used-recently']);
    expect(disabled.stage).toBe('disabled');
    const kms = endpoint.clients().kms('us-east-1');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k.arn }))).KeyMetadata?.KeyState).toBe('Disabled');

    const armed = await d.retirements.armAlarm(disabled);
    expect(armed.stage).toBe('watching');
    expect(armed.watch).toMatchObject({ kind: 'alarm', alarmName: `keywarden-retire-${k.keyId}`, logGroupName: 'aws-cloudtrail-logs-111122223333-management' });
    expect(armed.steps.find((s) => s.step === 'alarm armed')?.detail).toBe('self-test matched 2 of 2');
    const alarm = (await endpoint.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${k.keyId}`] }))).MetricAlarms?.[0];
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', Statistic: 'Sum' });
    expect(alarm?.AlarmDescription).toContain(k.arn);
    const tags = (await kms.send(new ListResourceTagsCommand({ KeyId: k.arn }))).Tags ?? [];
    expect(tags).toContainEqual({ TagKey: 'keywarden:retirement-stage', TagValue: 'watching' });

    // Before the window ends, deletion is refused and nothing is sent.
    await expect(d.retirements.scheduleDeletion(armed, 7)).rejects.toThrow(/schedule-deletion is not allowed now: the watch runs until/);
    endpoint.sandbox!.advanceClock(15 * DAY);
    const ready = await d.retirements.status(armed);
    expect(ready.steps.find((s) => s.id === 'schedule-deletion')).toMatchObject({ allowed: true });
    const scheduled = await d.retirements.scheduleDeletion(armed, 7);
    expect(scheduled.stage).toBe('deletion-scheduled');
    expect(scheduled.deletionDate).toBeDefined();
    expect((await kms.send(new DescribeKeyCommand({ KeyId: k.arn }))).KeyMetadata?.KeyState).toBe('PendingDeletion');
    const filters = await endpoint.clients().logs('us-east-1').send(new DescribeMetricFiltersCommand({ logGroupName: 'aws-cloudtrail-logs-111122223333-management', filterNamePrefix: `keywarden-retire-${k.keyId}` }));
    expect(filters.metricFilters).toHaveLength(1);

    endpoint.sandbox!.advanceClock(8 * DAY);
    const after = await d.retirements.status(scheduled);
    expect(after.record.stage).toBe('deleted');
    expect(after.reality.keyState).toBe('gone');
    const closed = await d.retirements.removeWatch(after.record);
    expect(closed.stage).toBe('closed');
    expect((await endpoint.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${k.keyId}`] }))).MetricAlarms).toEqual([]);

    const { entries, problems } = await d.journal.read();
    expect(problems).toEqual([]);
    const actions = entries.filter((e) => e.phase === 'intent').map((e) => e.action);
    expect(actions).toEqual(['DisableKey', 'TagResource', 'PutMetricFilter', 'PutMetricAlarm', 'TagResource', 'TagResource', 'ScheduleKeyDeletion', 'DeleteAlarms', 'DeleteMetricFilter']);
  });

  it('fires the alarm when a workload uses the disabled key, names the caller, refuses deletion, and rolls back', async () => {
    const d = driver();
    const k = await newKey();
    const { record } = await startAndDisable(d, k);
    const armed = await d.retirements.armAlarm(record);
    // A workload still holding ciphertext tries to decrypt it.
    await expect(endpoint.clients().kms('us-east-1').send(new DecryptCommand({ CiphertextBlob: k.blob }))).rejects.toThrow(/is disabled/);
    const status = await d.retirements.status(armed);
    // The alarm went to ALARM; with missing data treated as not breaching it may already be back
    // to OK in a later period, as in AWS — its history keeps the transition, and that counts.
    expect(status.reality.alarm?.state === 'ALARM' || status.reality.alarm?.everAlarmed).toBe(true);
    expect(status.record.stage).toBe('use-detected');
    expect(status.reality.attemptsSinceDisabled.join(' ')).toMatch(/KeywardenOperator.*Decrypt/);
    endpoint.sandbox!.advanceClock(20 * DAY);
    const later = await d.retirements.status(status.record);
    expect(later.steps.find((s) => s.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/use was detected/) });
    const rolled = await d.retirements.reEnable(later.record);
    expect(rolled.stage).toBe('rolled-back');
    expect((await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: k.arn }))).KeyMetadata?.KeyState).toBe('Enabled');
    const closed = await d.retirements.removeWatch(rolled);
    expect(closed.stage).toBe('closed');
    const tags = (await endpoint.clients().kms('us-east-1').send(new ListResourceTagsCommand({ KeyId: k.arn }))).Tags ?? [];
    expect(tags.filter((t) => t.TagKey?.startsWith('keywarden:'))).toEqual([]);
  });

  it('resumes after a restart, sees a key re-enabled by someone else and refuses to continue blindly', async () => {
    const first = driver();
    const k = await newKey();
    await startAndDisable(first, k);
    // "Restart": a new driver over the same files.
    const again = driver(first.dir);
    const record = await again.retirements.find(k.key);
    expect(record?.stage).toBe('disabled');
    await endpoint.clients().kms('us-east-1').send(new EnableKeyCommand({ KeyId: k.arn }));
    const status = await again.retirements.status(record!);
    expect(status.drift).toEqual(['the key was enabled again by someone else']);
    expect(status.steps.find((s) => s.id === 'arm-watch')).toMatchObject({ allowed: false });
    await expect(again.retirements.armAlarm(record!)).rejects.toThrow(/arm-watch is not allowed now.*enabled again by someone else/);
  });

  it('a colleague with no local record picks the retirement up from the key tags and the alarm', async () => {
    const mine = driver();
    const k = await newKey();
    const { record } = await startAndDisable(mine, k);
    await mine.retirements.armAlarm(record);
    const colleague = driver();
    const picked = await colleague.retirements.find(k.key);
    expect(picked).toMatchObject({ stage: 'watching', watch: { kind: 'alarm', alarmName: `keywarden-retire-${k.keyId}` } });
    const status = await colleague.retirements.status(picked!);
    expect(status.drift).toEqual([]);
  });

  it('cancelling a scheduled deletion returns the key to Disabled and the retirement to watching', async () => {
    const d = driver();
    const k = await newKey();
    const { record } = await startAndDisable(d, k);
    const armed = await d.retirements.armAlarm(record);
    endpoint.sandbox!.advanceClock(15 * DAY);
    const scheduled = await d.retirements.scheduleDeletion(armed, 30);
    const cancelled = await d.retirements.cancelDeletion(scheduled);
    expect(cancelled.stage).toBe('watching');
    expect((await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: k.arn }))).KeyMetadata?.KeyState).toBe('Disabled');
  });

  it('records the weaker watch as weaker', async () => {
    const d = driver();
    const k = await newKey();
    const { record } = await startAndDisable(d, k);
    const weak = await d.retirements.armWeakerWatch(record, 'no trail delivers to CloudWatch Logs');
    expect(weak.watch).toEqual({ kind: 'cloudtrail-poll', reason: 'no trail delivers to CloudWatch Logs' });
    expect(weak.steps.at(-1)?.detail ?? weak.steps.find((s) => s.step.includes('weaker'))?.detail).toMatch(/WEAKER|weaker/);
    const { entries } = await d.journal.read();
    expect(entries.some((e) => e.action === 'RecordWeakerWatch')).toBe(true);
    const tags = (await endpoint.clients().kms('us-east-1').send(new ListResourceTagsCommand({ KeyId: k.arn }))).Tags ?? [];
    expect(tags).toContainEqual({ TagKey: 'keywarden:retirement-watch', TagValue: 'cloudtrail-poll (weaker)' });
  });

  it('with no trail that can see the key, refuses to arm an alarm, says why, and records the weaker watch', async () => {
    const d = driver();
    const k = await newKey();
    const { record } = await startAndDisable(d, k);
    const ct = endpoint.clients().cloudtrail('us-east-1');
    await ct.send(new StopLoggingCommand({ Name: 'management-events' }));
    try {
      await expect(d.retirements.armAlarm(record)).rejects.toThrow(/no trail can show a use of this key.*management-events: is not logging.*weaker CloudTrail watch/);
    } finally {
      await ct.send(new StartLoggingCommand({ Name: 'management-events' }));
    }
    await ct.send(new PutEventSelectorsCommand({ TrailName: 'management-events', EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: ['kms.amazonaws.com'] }] }));
    try {
      await expect(d.retirements.armAlarm(record)).rejects.toThrow(/leave out KMS read-only management events/);
      const weak = await d.retirements.armWeakerWatch(record, 'no trail delivers KMS events to CloudWatch Logs');
      expect(weak.stage).toBe('watching');
      expect(weak.watch).toEqual({ kind: 'cloudtrail-poll', reason: 'no trail delivers KMS events to CloudWatch Logs' });
      const { entries } = await d.journal.read();
      expect(entries.find((e) => e.action === 'RecordWeakerWatch')?.params).toMatchObject({ watch: 'cloudtrail-poll (weaker than an alarm)' });
    } finally {
      await ct.send(new PutEventSelectorsCommand({ TrailName: 'management-events', EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: [] }] }));
    }
  });
});
