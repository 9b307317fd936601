// The retirement under network faults: 5xx, connection resets, hung requests and the endpoint
// disappearing between DisableKey and the alarm. The journal shows intent and outcome of every
// call, a restart resumes at the right step without sending a mutation again, and deletion is
// never possible without the alarm (or a recorded weaker watch).

import { DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    const status = await again.retirements.status(found!, preflight.findings);
    expect(status.steps.find((st) => st.id === 'disable')).toMatchObject({ allowed: true, why: expect.stringMatching(/already disabled/) });
    const disabled = await again.retirements.disable(found!, preflight.findings);
    expect(disabled.stage).toBe('disabled');
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
    const last = pairEntries((await d.journal.read()).entries).at(-1)!;
    expect(last).toMatchObject({ status: 'failed', intent: { action: 'ScheduleKeyDeletion' }, result: { outcome: { code: 'KMSInternalException' } } });
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
