// The endpoint itself: protocols, STS, faults, the request log, the control API and persistence.

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, KMSClient, ListKeysCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CALLER_ARN, defaultSandboxStatePath } from '../../src/sandbox/constants.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { failure, openHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => {
  await h.close();
});
afterEach(() => {
  delete h.sandbox.faults.throttle;
  h.sandbox.faults.accessDenied = [];
});

async function post(target: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(h.sandbox.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target, ...headers },
    body,
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

async function control(method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${h.sandbox.url}/_sandbox/${route}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
  });
  return { status: res.status, json: await res.json() };
}

describe('protocol', () => {
  it('answers STS GetCallerIdentity over awsQuery for the real STS client', async () => {
    const out = await h.sts().send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Account: '111122223333', Arn: SANDBOX_CALLER_ARN });
    expect(out.UserId).toBeTruthy();
  });

  it('treats unknown access keys as IAM users of the sandbox account', async () => {
    const sts = new STSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: { accessKeyId: 'AKIAOTHERUSER', secretAccessKey: 'x' } });
    try {
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe('arn:aws:iam::111122223333:user/AKIAOTHERUSER');
    } finally {
      sts.destroy();
    }
  });

  it('answers KMS with awsJson1_1 content type and a request id, and errors with __type', async () => {
    const ok = await post('TrentService.ListKeys', '{"Limit":1}');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(ok.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post('TrentService.FlyToTheMoon', '{}')).toMatchObject({ status: 400, json: { __type: 'UnknownOperationException' } });
    expect(await post('SomethingElse.ListKeys', '{}')).toMatchObject({ status: 400, json: { __type: 'UnknownOperationException' } });
    expect(await post('TrentService.ListKeys', '{not json')).toMatchObject({ status: 400, json: { __type: 'SerializationException' } });
  });

  it('takes the region from the SigV4 credential scope', async () => {
    const auth = 'AWS4-HMAC-SHA256 Credential=AKIAKEYWARDENSANDBOX/20261123/eu-west-1/kms/aws4_request, SignedHeaders=host, Signature=00';
    const out = await post('TrentService.ListKeys', '{}', { Authorization: auth });
    const arns = (out.json as { Keys: Array<{ KeyArn: string }> }).Keys.map((k) => k.KeyArn);
    expect(arns.length).toBeGreaterThan(0);
    expect(arns.every((a) => a.includes(':eu-west-1:'))).toBe(true);
  });
});

describe('faults', () => {
  it('throttles the next N matching calls with ThrottlingException (HTTP 400)', async () => {
    h.sandbox.faults.throttle = { operations: ['DescribeKey'], count: 2 };
    const expected = { name: 'ThrottlingException', message: 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.', status: 400 };
    expect(await failure(h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/ebs/prod-data' })))).toEqual(expected);
    await h.kms().send(new ListKeysCommand({ Limit: 1 }));
    expect(await failure(h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/ebs/prod-data' })))).toEqual(expected);
    await h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/ebs/prod-data' }));
  });

  it('is settable over HTTP, and an SDK client with retries survives throttling', async () => {
    expect(await control('PUT', 'faults', { throttle: { operations: ['ListKeys'], count: 2 } })).toMatchObject({ status: 200 });
    expect((await control('GET', 'faults')).json).toEqual({ throttle: { operations: ['ListKeys'], count: 2 } });
    const retrying = new KMSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENSANDBOX', secretAccessKey: 'x' }, maxAttempts: 3 });
    try {
      h.sandbox.clearRequests();
      const out = await retrying.send(new ListKeysCommand({ Limit: 1 }));
      expect(out.$metadata.attempts).toBe(3);
      expect(h.sandbox.requests().map((r) => r.errorCode ?? 'ok')).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
    } finally {
      retrying.destroy();
    }
    expect((await control('PUT', 'faults', { throttle: { rate: 7 } })).status).toBe(400);
  });

  it('denies chosen operations on one key with the AWS AccessDeniedException message', async () => {
    const arn = await h.createKey();
    const other = await h.createKey();
    await control('PUT', 'faults', { accessDenied: [{ key: arn, operations: ['DisableKey'] }] });
    expect(h.sandbox.faults.accessDenied).toEqual([{ key: arn, operations: ['DisableKey'] }]);
    expect(await failure(h.kms().send(new DisableKeyCommand({ KeyId: arn })))).toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${SANDBOX_CALLER_ARN} is not authorized to perform: kms:DisableKey on resource: ${arn} because no resource-based policy allows the kms:DisableKey action`,
    });
    await h.kms().send(new DescribeKeyCommand({ KeyId: arn }));
    await h.kms().send(new DisableKeyCommand({ KeyId: other }));
    // Without operations, every call on the key is denied; the key id works as well as the ARN.
    h.sandbox.faults.accessDenied = [{ key: arn.split('/').pop()! }];
    expect((await failure(h.kms().send(new DescribeKeyCommand({ KeyId: arn })))).name).toBe('AccessDeniedException');
  });

  it('adds latency to every request', async () => {
    await control('PUT', 'faults', { latencyMs: 60 });
    const started = performance.now();
    await h.kms().send(new ListKeysCommand({ Limit: 1 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    await control('PUT', 'faults', {});
  });
});

describe('request log and control API', () => {
  it('logs every request in order with service, operation, region, caller, params and status', async () => {
    h.sandbox.clearRequests();
    await h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/ebs/prod-data' }));
    await failure(h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/none' })));
    await h.kms('eu-west-1').send(new ListKeysCommand({ Limit: 2 }));
    await h.sts().send(new GetCallerIdentityCommand({}));
    const log = h.sandbox.requests();
    expect(log.map((r) => [r.service, r.operation, r.region, r.status, r.errorCode])).toEqual([
      ['kms', 'DescribeKey', 'us-east-1', 200, undefined],
      ['kms', 'DescribeKey', 'us-east-1', 400, 'NotFoundException'],
      ['kms', 'ListKeys', 'eu-west-1', 200, undefined],
      ['sts', 'GetCallerIdentity', 'us-east-1', 200, undefined],
    ]);
    expect(log[0]).toMatchObject({ caller: SANDBOX_CALLER_ARN, params: { KeyId: 'alias/ebs/prod-data' } });
    expect(log.map((r) => r.seq)).toEqual([...log.map((r) => r.seq)].sort((a, b) => a - b));
    expect(new Date(log[0]!.time).toISOString()).toBe(log[0]!.time);
    const { json } = await control('GET', 'requests');
    expect((json as unknown[]).length).toBe(4);
    expect((await control('DELETE', 'requests')).status).toBe(200);
    expect(h.sandbox.requests()).toEqual([]);
  });

  it('never logs plaintext', async () => {
    const { EncryptCommand } = await import('@aws-sdk/client-kms');
    h.sandbox.clearRequests();
    await h.kms().send(new EncryptCommand({ KeyId: 'alias/app/orders-queue', Plaintext: new TextEncoder().encode('top secret') }));
    expect(JSON.stringify(h.sandbox.requests())).not.toContain(Buffer.from('top secret').toString('base64'));
  });

  it('serves health, clock and reset', async () => {
    expect(await control('GET', 'health')).toEqual({ status: 200, json: { ok: true } });
    const arn = await h.createKey();
    await h.kms().send(new (await import('@aws-sdk/client-kms')).ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    expect((await control('POST', 'clock', { advanceSeconds: 8 * 86_400 })).status).toBe(200);
    expect((await failure(h.kms().send(new DescribeKeyCommand({ KeyId: arn })))).name).toBe('NotFoundException');
    expect((await control('POST', 'clock', { advanceSeconds: 'soon' })).status).toBe(400);
    const created = await h.createKey();
    expect(await control('POST', 'reset')).toEqual({ status: 200, json: { ok: true } });
    expect((await failure(h.kms().send(new DescribeKeyCommand({ KeyId: created })))).name).toBe('NotFoundException');
    await h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/legacy/old-batch' }));
    expect((await control('GET', 'nothing-here')).status).toBe(404);
  });
});

describe('persistence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keywarden-sandbox-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('seeds a missing file (0600, in a 0700 directory) and keeps every mutation across restarts', async () => {
    const statePath = path.join(dir, 'nested', 'sandbox-state.json');
    const first = await startSandbox({ port: 0, statePath });
    const kms = new KMSClient({ region: 'us-east-1', endpoint: first.url, credentials: { accessKeyId: 'AKIAKEYWARDENSANDBOX', secretAccessKey: 'x' } });
    let arn: string;
    try {
      expect((await stat(statePath)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(statePath))).mode & 0o777).toBe(0o700);
      arn = (await kms.send(new CreateKeyCommand({ Description: 'persisted' }))).KeyMetadata!.Arn!;
      await kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: 'Owner', TagValue: 'me' }] }));
      await kms.send(new DisableKeyCommand({ KeyId: arn }));
      // On disk before the response came back.
      const onDisk = JSON.parse(await readFile(statePath, 'utf8')) as { keys: Array<{ keyId: string; state: string }> };
      expect(onDisk.keys.find((k) => arn.endsWith(k.keyId))?.state).toBe('Disabled');
    } finally {
      kms.destroy();
      await first.close();
    }
    const second = await startSandbox({ port: 0, statePath });
    const again = new KMSClient({ region: 'us-east-1', endpoint: second.url, credentials: { accessKeyId: 'AKIAKEYWARDENSANDBOX', secretAccessKey: 'x' } });
    try {
      const meta = (await again.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
      expect(meta).toMatchObject({ Description: 'persisted', KeyState: 'Disabled' });
      await second.reset();
      expect((await failure(again.send(new DescribeKeyCommand({ KeyId: arn })))).name).toBe('NotFoundException');
    } finally {
      again.destroy();
      await second.close();
    }
    const third = await startSandbox({ port: 0, statePath });
    await third.close();
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { keys: Array<{ keyId: string }> };
    expect(state.keys.some((k) => arn.endsWith(k.keyId))).toBe(false);
  });

  it('keeps the advanced clock across restarts', async () => {
    const statePath = path.join(dir, 'clock.json');
    const first = await startSandbox({ port: 0, statePath });
    first.advanceClock(3600);
    await first.close();
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { clockOffsetSeconds: number };
    expect(state.clockOffsetSeconds).toBe(3600);
  });

  it.each([
    ['not JSON', '{"version": 1, "keys": [', /is not valid JSON/],
    ['the wrong shape', JSON.stringify({ version: 1, keys: 'many' }), /is not a valid sandbox state/],
    ['a future version', JSON.stringify({ version: 2, seededAt: 0, secret: '0'.repeat(64), keys: [], aliases: [] }), /is not a valid sandbox state/],
  ])('refuses a state file that is %s, naming the file and suggesting a reset', async (_what, content, problem) => {
    const statePath = path.join(dir, `corrupt-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(statePath, content);
    const error = (await startSandbox({ port: 0, statePath }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(statePath);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain('keywarden sandbox reset');
    expect(await readFile(statePath, 'utf8')).toBe(content);
  });

  it('refuses a state file it cannot read', async () => {
    const statePath = path.join(dir, 'is-a-directory.json');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(statePath);
    await expect(startSandbox({ port: 0, statePath })).rejects.toThrow(/cannot be read.*keywarden sandbox reset/);
  });

  it('puts the default state file under $KEYWARDEN_HOME', () => {
    const previous = process.env.KEYWARDEN_HOME;
    process.env.KEYWARDEN_HOME = '/tmp/kw-home';
    try {
      expect(defaultSandboxStatePath()).toBe('/tmp/kw-home/sandbox-state.json');
    } finally {
      if (previous === undefined) delete process.env.KEYWARDEN_HOME;
      else process.env.KEYWARDEN_HOME = previous;
    }
    expect(defaultSandboxStatePath()).toMatch(/sandbox-state\.json$/);
  });
});
