// The sandbox enforces AWS's request quotas (src/sandbox/quotas.ts; KMS.md §7.1) over HTTP, as
// a real KMS client sees them: a second's worth of burst, then ThrottlingException (HTTP 400,
// KMS's message), refilled in real time, per operation, per Region, crypto calls on one shared
// quota. The quotas are the sandbox's own: against another endpoint these tests are skipped.

import { DisableKeyCommand, EnableKeyCommand, TagResourceCommand, UntagResourceCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, GetKeyLastUsageCommand, KMSClient, DecryptCommand } from '@aws-sdk/client-kms';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../../src/aws/clients.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { externalEndpoint } from '../helpers/endpoint.js';
import { failure, openHarness, type Harness } from './helpers.js';

const THROTTLED = 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

async function putFaults(settings: unknown): Promise<Response> {
  return fetch(`${h.sandbox.url}/_sandbox/faults`, { method: 'PUT', body: JSON.stringify(settings) });
}

/** Sends the call until it is throttled; returns how many passed (at most `limit`). */
async function untilThrottled(send: () => Promise<unknown>, limit = 50): Promise<number> {
  for (let passed = 0; passed < limit; passed += 1) {
    try {
      await send();
    } catch (error) {
      if ((error as Error).name === 'ThrottlingException') return passed;
      throw error;
    }
  }
  return limit;
}

describe.skipIf(externalEndpoint)('request quotas over HTTP', () => {
  it('lets a second of GetKeyLastUsage through (5), throttles the 6th exactly as KMS does, and logs it', async () => {
    const arn = await h.arn('alias/app/orders-queue');
    // A competitor takes 99 % of the refill, so a slow machine gets no token back during the test.
    expect((await putFaults({ competitor: { share: 0.99 } })).status).toBe(200);
    h.sandbox.clearRequests();
    const kms = h.kms();
    for (let i = 0; i < 5; i += 1) await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
    const error = await failure(kms.send(new GetKeyLastUsageCommand({ KeyId: arn })));
    expect(error).toEqual({ name: 'ThrottlingException', message: THROTTLED, status: 400 });
    const log = h.sandbox.requests().filter((r) => r.operation === 'GetKeyLastUsage');
    expect(log.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 400]);
    expect(log.at(-1)).toMatchObject({ service: 'kms', errorCode: 'ThrottlingException', region: 'us-east-1' });
  });

  it('refills in real time: after a throttle, one call passes 200 ms later (5/s)', async () => {
    const kms = h.kms();
    const arn = await h.arn('alias/app/orders-queue');
    expect(await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })))).toBeGreaterThanOrEqual(5);
    await sleep(220);
    await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
    // Sandbox time does not refill it: an hour of it is worth no more than the real time it took.
    await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })));
    const before = performance.now();
    await fetch(`${h.sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 3600 }) });
    const passed = await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })));
    expect(passed).toBeLessThanOrEqual(1 + Math.floor(((performance.now() - before) / 1000) * 5));
    expect(passed).toBeLessThan(5);
  });

  it('counts each operation and each Region on its own', async () => {
    const kms = h.kms();
    const arn = await h.arn('alias/app/orders-queue');
    const replica = await h.arn('alias/global/customer-data', 'eu-west-1');
    // A competitor takes 99 % of every refill: what passes is the burst alone.
    expect((await putFaults({ competitor: { share: 0.99 } })).status).toBe(200);
    expect(await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })))).toBe(5);
    expect(await untilThrottled(() => kms.send(new DescribeKeyCommand({ KeyId: arn })), 20)).toBe(20); // its own quota (2,000/s)
    expect(await untilThrottled(() => h.kms('eu-west-1').send(new GetKeyLastUsageCommand({ KeyId: replica })))).toBe(5);
    expect(await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })))).toBe(0);
  });

  it('puts Encrypt, Decrypt and GenerateDataKey on one shared quota', async () => {
    const arn = await h.arn('alias/app/orders-queue');
    // us-east-1's 100,000/s × 0.0001 = 10 crypto calls a second, whatever their operation; a
    // competitor takes 99 % of the refill, so a slow machine gets next to nothing back meanwhile.
    expect((await putFaults({ quotaScale: 0.0001, competitor: { share: 0.99 } })).status).toBe(200);
    const kms = h.kms();
    const sealed = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('x') }));
    let passed = 1;
    const calls = [
      () => kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256' })),
      () => kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob! })),
      () => kms.send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('y') })),
    ];
    let throttled: { name: string; message: string } | undefined;
    for (let i = 0; i < 30 && !throttled; i += 1) {
      try {
        await calls[i % 3]!();
        passed += 1;
      } catch (error) {
        throttled = error as Error;
      }
    }
    expect(throttled).toMatchObject({ name: 'ThrottlingException', message: THROTTLED });
    expect(passed).toBeGreaterThanOrEqual(10);
    expect(passed).toBeLessThanOrEqual(11); // three operations, but one quota of 10
  });

  it('quotaScale makes a starved or a fast account; PUT /_sandbox/faults validates it', async () => {
    const kms = h.kms();
    const arn = await h.arn('alias/app/orders-queue');
    expect((await putFaults({ quotaScale: 20 })).status).toBe(200);
    expect(await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })), 100)).toBeGreaterThanOrEqual(90); // 100 a second
    expect((await putFaults({ quotaScale: 0.01 })).status).toBe(200);
    await sleep(100);
    expect(await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })))).toBeLessThanOrEqual(1); // 0.05 a second
    expect((await putFaults({ quotaScale: 0 })).status).toBe(400);
    expect((await putFaults({ quotaScale: -1 })).status).toBe(400);
    expect((await putFaults({ competitor: { share: 1 } })).status).toBe(400);
  });

  it('a competing client using most of a quota leaves this client only the rest', async () => {
    const kms = h.kms();
    const arn = await h.arn('alias/app/orders-queue');
    const lastUse = () => kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
    await untilThrottled(lastUse);
    await sleep(1000);
    // Alone: 5/s refilled (at least) four calls in a second.
    expect(await untilThrottled(lastUse)).toBeGreaterThanOrEqual(4);
    expect((await putFaults({ competitor: { share: 0.99, operations: ['GetKeyLastUsage'] } })).status).toBe(200);
    await untilThrottled(lastUse);
    await sleep(1000);
    // The competitor takes 99 %: 0.05/s is left, at most the fraction of a call that was already there.
    expect(await untilThrottled(lastUse)).toBeLessThanOrEqual(1);
    // Other operations are not competed for.
    expect(await untilThrottled(() => kms.send(new DescribeKeyCommand({ KeyId: arn })), 20)).toBe(20);
  });

  it('CloudTrail LookupEvents keeps its 2/s, with CloudTrail\'s own message', async () => {
    const cloudtrail = new CloudTrailClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    try {
      let passed = 0;
      let error: unknown;
      for (; passed < 10; passed += 1) {
        try {
          await cloudtrail.send(new LookupEventsCommand({ MaxResults: 1 }));
        } catch (thrown) {
          error = thrown;
          break;
        }
      }
      expect(passed).toBeGreaterThanOrEqual(2);
      expect(passed).toBeLessThanOrEqual(3);
      expect(error).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    } finally {
      cloudtrail.destroy();
    }
  });

  it('is on for every sandbox started without options, and startSandbox takes a scale', async () => {
    const fast = await openHarness({ quotaScale: 10 });
    try {
      const kms = fast.kms();
      const arn = await fast.arn('alias/app/orders-queue');
      expect(await untilThrottled(() => kms.send(new GetKeyLastUsageCommand({ KeyId: arn })), 60)).toBeGreaterThanOrEqual(45);
    } finally {
      await fast.close();
    }
    const client = new KMSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    try {
      const arn = await h.arn('alias/app/orders-queue');
      expect(await untilThrottled(() => client.send(new GetKeyLastUsageCommand({ KeyId: arn })))).toBeLessThanOrEqual(6);
    } finally {
      client.destroy();
    }
  });
});

describe.skipIf(externalEndpoint)("keywarden's own pacing", () => {
  it('never causes a throttle: changes sent all at once go out at their documented rates', async () => {
    const clients = createClients({ regions: ['us-east-1'], endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS });
    try {
      const kms = clients.kms('us-east-1');
      const arn = await h.createKey();
      h.sandbox.clearRequests();
      const started = performance.now();
      await Promise.all([
        ...Array.from({ length: 15 }, (_, i) => kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: `t${i}`, TagValue: 'x' }] }))),
        ...Array.from({ length: 8 }, (_, i) => kms.send(new UntagResourceCommand({ KeyId: arn, TagKeys: [`u${i}`] }))),
        ...Array.from({ length: 8 }, () => kms.send(new DisableKeyCommand({ KeyId: arn }))),
        ...Array.from({ length: 8 }, () => kms.send(new EnableKeyCommand({ KeyId: arn }))),
      ]);
      const log = h.sandbox.requests();
      expect(log.filter((r) => r.errorCode === 'ThrottlingException')).toEqual([]);
      expect(log.filter((r) => r.status === 200)).toHaveLength(39);
      // 8 calls at 5/s after a burst of one take at least 1.4 s.
      expect(performance.now() - started).toBeGreaterThan(1_300);
    } finally {
      clients.destroy();
    }
  });
});
