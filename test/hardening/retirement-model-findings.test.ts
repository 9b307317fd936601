// What the model-based test (retirement-model.test.ts) found, each replayed as a plain test
// against the sandbox over HTTP, with the seven invariants checked from the outside after the steps.

import { DisableKeyCommand, EnableKeyCommand, GenerateDataKeyCommand, ListResourceTagsCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { DeleteMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createClients } from '../../src/aws/clients.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { Retirements } from '../../src/aws/retirement.js';
import { Journal } from '../../src/journal/journal.js';
import { RetirementStore } from '../../src/journal/retirements.js';
import { Mortal } from '../helpers/mortal.js';
import { checkRetirementInvariants } from '../helpers/retirement-invariants.js';
import { driver, newKey, prepare, RestartableSandbox, tempDir, type Driver } from './helpers.js';

const DAY = 86_400;
let s: RestartableSandbox;
beforeEach(async () => {
  s = await RestartableSandbox.start();
});
afterEach(async () => {
  await s.close();
});

async function check(k: Awaited<ReturnType<typeof newKey>>, ...machines: Driver[]) {
  await checkRetirementInvariants({ sandbox: s.sandbox, clients: s.clients(), key: { arn: k.arn, keyId: k.keyId, region: 'us-east-1' }, machines });
}

function colleague() {
  return createClients({ regions: ['us-east-1'], endpoint: s.sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENCOLLEAGUE', secretAccessKey: 'colleague-secret' } });
}

const sent = (op: string) => s.sandbox.requests().filter((r) => r.operation === op && r.caller.includes('KeywardenOperator'));

describe('found by the model-based test', () => {
  it('someone else schedules the deletion while keywarden watches: close is offered (not a dead end), removes the alarm and filter, never cancels the deletion', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    const colleague = createClients({ regions: ['us-east-1'], endpoint: s.sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENCOLLEAGUE', secretAccessKey: 'colleague-secret' } });
    try {
      await colleague.kms('us-east-1').send(new ScheduleKeyDeletionCommand({ KeyId: k.arn, PendingWindowInDays: 7 }));
    } finally {
      colleague.destroy();
    }
    const status = await d.retirements.status(disabled);
    expect(status.steps.filter((st) => st.allowed).map((st) => st.id)).toEqual(['close']);
    expect(status.steps.find((st) => st.id === 'close')?.why).toMatch(/someone scheduled the key for deletion outside this retirement.*will not cancel a deletion it did not schedule/);
    expect(status.steps.find((st) => st.id === 'close')?.why).toMatch(/leaves the keywarden:retirement-\* tags on the key \(a key pending deletion cannot be untagged/);
    await check(k, d);
    const closed = await d.retirements.take(status, 'close');
    expect(closed.stage).toBe('closed');
    expect(sent('CancelKeyDeletion')).toEqual([]);
    expect(sent('EnableKey')).toEqual([]);
    // No UntagResource: it would only fail on a key pending deletion.
    expect(sent('UntagResource')).toEqual([]);
    await check(k, d);
  });

  it('someone else disables the key again during the watch (it was already Disabled): rollback never enables it; close is offered, the watch may go on', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    const other = colleague();
    try {
      // Incident response disables the key: KMS changes nothing (it is Disabled), but it is their decision.
      await other.kms('us-east-1').send(new DisableKeyCommand({ KeyId: k.arn }));
    } finally {
      other.destroy();
    }
    const status = await d.retirements.status(armed);
    expect(status.reality.disabledOutside).toMatch(/^by role KeyAdmins/);
    expect(status.steps.find((st) => st.id === 're-enable')).toMatchObject({ allowed: false, why: expect.stringMatching(/someone else disabled the key too/) });
    expect(status.steps.find((st) => st.id === 'close')).toMatchObject({ allowed: true });
    await expect(d.retirements.reEnable(armed)).rejects.toThrow(/re-enable is not allowed now/);
    expect(sent('EnableKey')).toEqual([]);
    await check(k, d);
  });

  it('killed after DisableKey reached AWS, before the record learnt it: the restart adopts the disable (rollback offered), never abandons as if nothing changed', async () => {
    const home = tempDir();
    const d = await driver(s, home);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    // The same data directory, through a process that dies when DisableKey's answer is on its way.
    const mortal = new Mortal();
    const dying = new Retirements({
      clients: mortal.clients(d.clients),
      journal: mortal.files(new Journal(join(home, 'journal.jsonl'), { now: () => s.sandbox.now() }), 'journal'),
      store: mortal.files(new RetirementStore(join(home, 'retirements')), 'store'),
      identity: await new AwsKeySource(s.clients()).identity(),
      now: () => s.sandbox.now(),
    });
    mortal.arm({ on: 'kms:DisableKey', lost: true });
    const outcome = await Promise.race([dying.disable(record, preflight.findings).then(() => 'finished'), mortal.died.then(() => 'killed')]);
    expect(outcome).toBe('killed');
    expect((await d.store.load(k.arn))?.stage).toBe('preflight');

    const restarted = await driver(s, home);
    const status = await restarted.retirements.status((await restarted.retirements.find(k.key))!);
    expect(status.record.stage).toBe('disabled');
    expect(status.record.disabledByKeywarden).toBe(true);
    expect(status.record.steps.at(-1)?.detail).toMatch(/^adopted: keywarden's DisableKey/);
    expect(status.steps.filter((st) => st.allowed).map((st) => st.id)).toEqual(expect.arrayContaining(['arm-watch', 're-enable']));
    expect(status.steps.some((st) => st.id === 'abandon')).toBe(false);
    expect(sent('DisableKey')).toHaveLength(1);
    await check(k, restarted);
  });

  it("rollback's EnableKey whose answer was lost is not resent (someone may disable the key in between); the next status adopts it", async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    s.sandbox.faults.reset = { operations: ['EnableKey'], count: 1, after: true };
    await expect(d.retirements.reEnable(disabled)).rejects.toMatchObject({ kind: 'network' });
    // It ran once; the SDK's retry read the key (Enabled) instead of sending it again.
    expect(s.sandbox.requests().filter((r) => r.operation === 'EnableKey')).toHaveLength(1);
    const status = await d.retirements.status((await d.retirements.find(k.key))!);
    expect(status.record.stage).toBe('rolled-back');
    expect(status.record.steps.some((st) => st.step === 'EnableKey' && /^adopted/.test(st.detail ?? ''))).toBe(true);
    await check(k, d);
  });

  it('killed between closing and removing the tags: the record is not closed yet, and closing again removes them (never a closed retirement with its tags left on the key)', async () => {
    const home = tempDir();
    const d = await driver(s, home);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    const other = colleague();
    try {
      await other.kms('us-east-1').send(new EnableKeyCommand({ KeyId: k.arn }));
    } finally {
      other.destroy();
    }
    const mortal = new Mortal();
    const dying = new Retirements({
      clients: mortal.clients(d.clients),
      journal: mortal.files(new Journal(join(home, 'journal.jsonl'), { now: () => s.sandbox.now() }), 'journal'),
      store: mortal.files(new RetirementStore(join(home, 'retirements')), 'store'),
      identity: await new AwsKeySource(s.clients()).identity(),
      now: () => s.sandbox.now(),
    });
    const status = await dying.status((await dying.find(k.key))!);
    mortal.arm({ on: 'kms:UntagResource', lost: false });
    expect(await Promise.race([dying.take(status, 'close').then(() => 'finished'), mortal.died.then(() => 'killed')])).toBe('killed');
    expect((await d.store.load(k.arn))?.stage).not.toBe('closed');

    const restarted = await driver(s, home);
    const again = await restarted.retirements.status((await restarted.retirements.find(k.key))!);
    expect((await restarted.retirements.take(again, 'close')).stage).toBe('closed');
    const tags = (await s.clients().kms('us-east-1').send(new ListResourceTagsCommand({ KeyId: k.arn }))).Tags ?? [];
    expect(tags.filter((t) => t.TagKey?.startsWith('keywarden:retirement-'))).toEqual([]);
    await check(k, restarted);
  });

  it("after a detected use the watch starts again without the alarm re-detecting that old use (its metric is still in the alarm's period); a new use is still seen", async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    const other = colleague();
    try {
      await expect(other.kms('us-east-1').send(new GenerateDataKeyCommand({ KeyId: k.arn, KeySpec: 'AES_256' }))).rejects.toThrow(/disabled/);
      const used = await d.retirements.status((await d.retirements.find(k.key))!);
      expect(used.record.stage).toBe('use-detected');
      await d.retirements.take(used, 're-arm-watch');
      const again = await d.retirements.status((await d.retirements.find(k.key))!);
      expect(again.record.stage).toBe('watching');
      s.sandbox.advanceClock(60);
      expect((await d.retirements.status((await d.retirements.find(k.key))!)).record.stage).toBe('watching');
      await check(k, d);
      // A new use after the restart is a use.
      await expect(other.kms('us-east-1').send(new GenerateDataKeyCommand({ KeyId: k.arn, KeySpec: 'AES_256' }))).rejects.toThrow(/disabled/);
      expect((await d.retirements.status((await d.retirements.find(k.key))!)).record.stage).toBe('use-detected');
    } finally {
      other.destroy();
    }
    await check(k, d);
  });

  it('a deletion scheduled after a full watch, cancelled, then a use and the weaker watch started again: that earlier deletion is judged by the watch in force when it was sent', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    s.sandbox.advanceClock(15 * DAY);
    const watched = await d.retirements.status((await d.retirements.find(k.key))!);
    await d.retirements.take(watched, 'schedule-deletion', { pendingWindowDays: 7 });
    await d.retirements.take(await d.retirements.status((await d.retirements.find(k.key))!), 'cancel-deletion');
    s.sandbox.advanceClock(DAY);
    const other = colleague();
    try {
      await expect(other.kms('us-east-1').send(new GenerateDataKeyCommand({ KeyId: k.arn, KeySpec: 'AES_256' }))).rejects.toThrow(/disabled/);
    } finally {
      other.destroy();
    }
    const used = await d.retirements.status((await d.retirements.find(k.key))!);
    expect(used.record.stage).toBe('use-detected');
    const again = await d.retirements.take(used, 're-arm-watch', { weakerWatch: 'no trail delivers to CloudWatch Logs' });
    expect(again.stage).toBe('watching');
    expect(again.watch?.kind).toBe('cloudtrail-poll');
    expect(sent('ScheduleKeyDeletion')).toHaveLength(1);
    await check(k, d);
    // The new watch holds: no deletion until it has run its 14 days.
    const now = await d.retirements.status((await d.retirements.find(k.key))!);
    expect(now.steps.find((st) => st.id === 'schedule-deletion')?.allowed).toBe(false);
  });

  it("a colleague's keywarden puts the deleted filter and alarm back: the other machine's watch counts from that, not from its own earlier start", async () => {
    const a = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(a, k);
    const armed = await a.retirements.armAlarm(await a.retirements.disable(record, preflight.findings));
    const b = await driver(s, tempDir('kw-colleague-'));
    expect((await b.retirements.find(k.key))?.stage).toBe('watching');
    s.sandbox.advanceClock(15 * DAY);
    const w = armed.watch!;
    if (w.kind !== 'alarm') throw new Error('expected the alarm watch');
    await s.clients().logs(w.logGroupRegion).send(new DeleteMetricFilterCommand({ logGroupName: w.logGroupName, filterName: w.filterName }));
    s.sandbox.advanceClock(DAY);
    const onB = await b.retirements.status((await b.retirements.find(k.key))!);
    await b.retirements.take(onB, 're-arm-watch');
    const onA = await a.retirements.status((await a.retirements.find(k.key))!);
    expect(onA.record.stage).toBe('watching');
    expect(onA.steps.find((st) => st.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/the watch runs until .* \(14 days left\)/) });
    expect(sent('ScheduleKeyDeletion')).toEqual([]);
    await check(k, a, b);
  });

  it("a colleague's keywarden schedules the deletion of the same retirement: the other machine follows it (cancel offered), never blames someone else or offers close", async () => {
    const a = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(a, k);
    await a.retirements.armAlarm(await a.retirements.disable(record, preflight.findings));
    const b = await driver(s, tempDir('kw-colleague-'));
    const picked = await b.retirements.find(k.key);
    expect(picked?.stage).toBe('watching');
    s.sandbox.advanceClock(15 * DAY);
    const onA = await a.retirements.status((await a.retirements.find(k.key))!);
    await a.retirements.take(onA, 'schedule-deletion', { pendingWindowDays: 7 });
    const seen = await b.retirements.status((await b.retirements.find(k.key))!);
    expect(seen.record.stage).toBe('deletion-scheduled');
    expect(seen.record.steps.at(-1)?.detail).toMatch(/colleague's keywarden/);
    expect(seen.steps.filter((st) => st.allowed).map((st) => st.id)).toEqual(['cancel-deletion']);
    expect(seen.drift).toEqual([]);
    await check(k, a, b);

    // And back: B cancels; A follows to watching instead of reading it as someone else's cancellation.
    await b.retirements.take(seen, 'cancel-deletion');
    const back = await a.retirements.status((await a.retirements.find(k.key))!);
    expect(back.record.stage).toBe('watching');
    expect(back.drift).toEqual([]);
    expect(back.steps.some((st) => st.id === 'close')).toBe(false);
    await check(k, a, b);
  });
});
