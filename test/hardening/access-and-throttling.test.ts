// AccessDenied on some keys or some operations, and a throttling storm (30 % of calls): the
// views show what is readable and say what is not; the inventory keeps every key; the usage
// read slows but completes; a retirement step the caller may not complete stops before it can
// leave a dangerous half state, and a later retry completes it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { lookupKeyEvents } from '../../src/aws/usage.js';
import type { KeyRow } from '../../src/domain/key.js';
import { isReadProblem } from '../../src/domain/key.js';
import { pairEntries } from '../../src/journal/journal.js';
import { driver, newKey, prepare, RestartableSandbox, tempDir } from './helpers.js';

const DAY = 86_400;
let s: RestartableSandbox;
beforeAll(async () => {
  s = await RestartableSandbox.start();
});
afterAll(async () => {
  await s.close();
});

async function inventory(source: AwsKeySource): Promise<KeyRow[]> {
  const rows = new Map<string, KeyRow>();
  await source.loadInventory({ onRows: (batch) => batch.forEach((r) => rows.set(r.arn, r)), onProgress: () => undefined });
  return [...rows.values()];
}

describe('AccessDenied', () => {
  it('allowed to describe, not to read the policy or grants: the detail shows what is readable and names what is not', async () => {
    const k = await newKey(s);
    s.sandbox.faults.accessDenied = [{ key: k.keyId, operations: ['GetKeyPolicy', 'ListGrants'] }];
    try {
      const detail = await new AwsKeySource(s.clients()).loadDetail(k.key);
      expect(detail.row.metadata?.keyId).toBe(k.keyId);
      expect(detail.row.aliases).toEqual([`alias/${k.name}`]);
      expect(isReadProblem(detail.policy)).toBe(true);
      expect(detail.policy).toMatchObject({ what: 'GetKeyPolicy', message: expect.stringMatching(/access denied.*kms:GetKeyPolicy/) });
      expect(detail.grants).toMatchObject({ what: 'ListGrants', message: expect.stringMatching(/access denied/) });
    } finally {
      delete s.sandbox.faults.accessDenied;
    }
  });

  it('one key denied entirely: the inventory lists it with the problem and every other key in full', async () => {
    const k = await newKey(s);
    const expected = (await inventory(new AwsKeySource(s.clients()))).length;
    s.sandbox.faults.accessDenied = [{ key: k.keyId }];
    try {
      const rows = await inventory(new AwsKeySource(s.clients()));
      expect(rows).toHaveLength(expected);
      const denied = rows.find((r) => r.keyId === k.keyId)!;
      expect(denied.metadata).toBeUndefined();
      expect(denied.problems[0]).toMatchObject({ what: 'DescribeKey', message: expect.stringMatching(/access denied/) });
      expect(rows.filter((r) => r.keyId !== k.keyId).every((r) => r.metadata !== undefined)).toBe(true);
    } finally {
      delete s.sandbox.faults.accessDenied;
    }
  });

  it('allowed to disable, not to create alarms: the step fails with the journal showing it, deletion stays refused, a retry completes', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    const disabled = await d.retirements.disable(record, preflight.findings);
    s.sandbox.faults.accessDenied = [{ operations: ['PutMetricAlarm'] }];
    try {
      await expect(d.retirements.armAlarm(disabled)).rejects.toMatchObject({ kind: 'access-denied', message: expect.stringMatching(/PutMetricAlarm: access denied: .*cloudwatch:PutMetricAlarm/) });
    } finally {
      delete s.sandbox.faults.accessDenied;
    }
    const ops = pairEntries((await d.journal.read()).entries);
    const alarm = ops.find((op) => op.intent.action === 'PutMetricAlarm')!;
    expect(alarm).toMatchObject({ status: 'failed', result: { outcome: { ok: false, code: 'AccessDenied' } } });
    // The filter made before the refused alarm is removed again (nothing of keywarden is left behind).
    expect(ops.at(-1)).toMatchObject({ status: 'ok', intent: { action: 'DeleteMetricFilter' } });
    const saved = (await d.store.load(k.arn))!;
    expect(saved.stage).toBe('disabled');
    expect(saved.watch).toBeUndefined();
    s.sandbox.advanceClock(30 * DAY);
    await expect(d.retirements.scheduleDeletion(saved, 7)).rejects.toThrow(/schedule-deletion is not allowed now/);
    const armed = await d.retirements.armAlarm(saved);
    expect(armed).toMatchObject({ stage: 'watching', watch: { kind: 'alarm' } });
  });

  it('CloudTrail denied: the preflight says CloudTrail cannot be read (blocking) instead of failing', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    s.sandbox.faults.accessDenied = [{ operations: ['LookupEvents'] }];
    try {
      const preflight = await d.retirements.preflight(k.key, 30);
      expect(preflight.findings.find((f) => f.id === 'cloudtrail-unreadable')).toMatchObject({ severity: 'blocking', detail: expect.stringMatching(/access denied/i) });
    } finally {
      delete s.sandbox.faults.accessDenied;
    }
  });
});

describe('a throttling storm (30 % of calls throttled)', () => {
  it('the inventory completes with every key and no read problems', async () => {
    const expected = await inventory(new AwsKeySource(s.clients()));
    s.sandbox.faults.throttle = { rate: 0.3 };
    try {
      const rows = await inventory(new AwsKeySource(s.clients()));
      expect(rows.map((r) => r.arn).sort()).toEqual(expected.map((r) => r.arn).sort());
      expect(rows.flatMap((r) => r.problems)).toEqual([]);
      expect(s.sandbox.requests().filter((r) => r.errorCode === 'ThrottlingException').length).toBeGreaterThan(0);
    } finally {
      delete s.sandbox.faults.throttle;
    }
  });

  it('the usage read slows but continues: every page arrives and the throttles are counted', async () => {
    const k = await newKey(s);
    const calm = await lookupKeyEvents(s.clients().cloudtrail('us-east-1'), k.arn, { window: { days: 7 }, now: s.sandbox.now() });
    s.sandbox.faults.throttle = { operations: ['LookupEvents'], count: 2, rate: 0.3 };
    try {
      const stormy = await lookupKeyEvents(s.clients().cloudtrail('us-east-1'), k.arn, { window: { days: 7 }, now: s.sandbox.now() });
      expect(stormy.progress.done).toBe(true);
      expect(stormy.events.length).toBe(calm.events.length);
      // The SDK's adaptive retry absorbs them; the sandbox saw them.
      expect(s.sandbox.requests().filter((r) => r.operation === 'LookupEvents' && r.errorCode === 'ThrottlingException').length).toBeGreaterThanOrEqual(2);
    } finally {
      delete s.sandbox.faults.throttle;
    }
  });

  it('a retirement step retries through the storm; when throttling outlasts the retries it stops with a clear message and no half state', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    s.sandbox.faults.throttle = { rate: 0.3, operations: ['DescribeKey', 'DisableKey', 'TagResource', 'PutMetricFilter', 'PutMetricAlarm', 'ListResourceTags'] };
    let armed;
    try {
      armed = await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    } finally {
      delete s.sandbox.faults.throttle;
    }
    expect(armed.stage).toBe('watching');

    const strict = await driver(s, tempDir(), { maxAttempts: 1 });
    const k2 = await newKey(s);
    const second = await prepare(strict, k2);
    s.sandbox.faults.throttle = { operations: ['DisableKey'] };
    try {
      await expect(strict.retirements.disable(second.record, second.preflight.findings)).rejects.toThrow(/DisableKey: AWS is throttling requests \(retried, still throttled\)/);
    } finally {
      delete s.sandbox.faults.throttle;
    }
    expect((await strict.store.load(k2.arn))?.stage).toBe('preflight');
    expect(pairEntries((await strict.journal.read()).entries).map((o) => [o.intent.action, o.status])).toEqual([['DisableKey', 'failed']]);
  });
});
