// The sandbox's new faults over its control API: serverError, reset, hang (before or after the
// call runs) and accessDenied on whole operations of any service.

import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDomainError } from '../../src/aws/errors.js';
import { RestartableSandbox } from './helpers.js';

let s: RestartableSandbox;
beforeAll(async () => {
  s = await RestartableSandbox.start();
});
afterAll(async () => {
  await s.close();
});

async function putFaults(body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${s.sandbox.url}/_sandbox/faults`, { method: 'PUT', body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

describe('fault control API', () => {
  it('accepts the new faults, replaces the settings, and rejects invalid ones', async () => {
    const ok = await putFaults({ serverError: { operations: ['ListKeys'], count: 2, status: 503 }, reset: { count: 1, after: true }, hang: { operations: ['X'], rate: 0.5 }, accessDenied: [{ operations: ['PutMetricAlarm'] }, { key: 'k', operations: ['Decrypt'] }] });
    expect(ok.status).toBe(200);
    expect(s.sandbox.faults).toMatchObject({ serverError: { count: 2, status: 503 }, reset: { after: true }, hang: { rate: 0.5 } });
    for (const bad of [{ serverError: { status: 502 } }, { reset: { count: -1 } }, { hang: { rate: 2 } }, { accessDenied: [{ operations: 'PutMetricAlarm' }] }]) {
      expect((await putFaults(bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await putFaults({})).status).toBe(200);
    expect(s.sandbox.faults).toEqual({});
    // Every setting is replaced, the S3 ones included.
    expect((await putFaults({ truncatedObjects: ['AWSLogs/x.json.gz'], latencyMs: 5 })).status).toBe(200);
    expect(s.sandbox.faults).toMatchObject({ truncatedObjects: ['AWSLogs/x.json.gz'] });
    expect((await putFaults({})).status).toBe(200);
    expect(s.sandbox.faults).toEqual({});
    const read = await fetch(`${s.sandbox.url}/_sandbox/faults`);
    expect(await read.json()).toEqual({});
  });

  it('serverError answers 500 KMSInternalException (KMS) or 503 ServiceUnavailable, counted down', async () => {
    const kms = s.clients({ maxAttempts: 1 }).kms('us-east-1');
    await putFaults({ serverError: { operations: ['ListKeys'], count: 1 } });
    const e500 = await kms.send(new ListKeysCommand({})).catch((e: unknown) => e);
    expect(toDomainError(e500)).toMatchObject({ code: 'KMSInternalException' });
    await putFaults({ serverError: { operations: ['ListKeys'], count: 1, status: 503 } });
    const e503 = await kms.send(new ListKeysCommand({})).catch((e: unknown) => e);
    expect((e503 as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(503);
    await expect(kms.send(new ListKeysCommand({}))).resolves.toBeDefined(); // count used up
    await putFaults({});
  });

  it('reset destroys the socket: the SDK sees a network error, the request log marks it', async () => {
    const kms = s.clients({ maxAttempts: 1 }).kms('us-east-1');
    await putFaults({ reset: { operations: ['ListKeys'], count: 1 } });
    const error = await kms.send(new ListKeysCommand({})).catch((e: unknown) => e);
    expect(toDomainError(error)).toMatchObject({ kind: 'network', message: expect.stringMatching(/cannot reach AWS/) });
    expect(s.sandbox.requests().at(-1)).toMatchObject({ operation: 'ListKeys', status: 0, fault: 'reset' });
  });

  it('hang never answers: the client timeout fires (network error), and the SDK retry then succeeds', async () => {
    const kms = s.clients({ maxAttempts: 1, requestTimeoutMs: 200 }).kms('us-east-1');
    await putFaults({ hang: { operations: ['ListKeys'], count: 1 } });
    const error = await kms.send(new ListKeysCommand({})).catch((e: unknown) => e);
    expect(toDomainError(error)).toMatchObject({ kind: 'network' });
    await putFaults({ hang: { operations: ['ListKeys'], count: 1 } });
    await expect(s.clients({ requestTimeoutMs: 200 }).kms('us-east-1').send(new ListKeysCommand({}))).resolves.toBeDefined();
  });

  it('accessDenied without a key denies an operation of any service (CloudWatch here), and only that one', async () => {
    await putFaults({ accessDenied: [{ operations: ['PutMetricAlarm'] }] });
    const cw = s.clients({ maxAttempts: 1 }).cloudwatch('us-east-1');
    const error = await cw.send(new PutMetricAlarmCommand({ AlarmName: 'a', MetricName: 'm', Namespace: 'n', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' })).catch((e: unknown) => e);
    expect(toDomainError(error)).toMatchObject({ kind: 'access-denied', message: expect.stringMatching(/cloudwatch:PutMetricAlarm/) });
    await expect(cw.send(new DescribeAlarmsCommand({}))).resolves.toBeDefined();
    const keys = await s.clients().kms('us-east-1').send(new ListKeysCommand({}));
    await expect(s.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: keys.Keys![0]!.KeyId! }))).resolves.toBeDefined();
    await putFaults({});
  });
});
