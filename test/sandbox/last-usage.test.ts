// GetKeyLastUsage lags behind use as AWS's does (KMS.md §11: up to an hour; the sandbox takes
// the whole hour), and every last use it reports — seeded or live, customer or AWS managed key —
// carries a CloudTrailEventId that LookupEvents returns for that key, same operation, same time.

import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import { EncryptCommand, GetKeyLastUsageCommand, ListKeysCommand, type GetKeyLastUsageCommandOutput } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { externalEndpoint } from '../helpers/endpoint.js';
import { openHarness, type Harness } from './helpers.js';

const BASE = Date.parse('2026-12-06T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;

let h: Harness;
let cloudtrail: (region: string) => CloudTrailClient;
const made: CloudTrailClient[] = [];

beforeAll(async () => {
  // One GetKeyLastUsage and one LookupEvents per seeded key: more than an account's 5/s and 2/s.
  h = await openHarness({ now: () => new Date(BASE), quotaScale: 100 });
  cloudtrail = (region) => {
    const client = new CloudTrailClient({ region, endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    made.push(client);
    return client;
  };
});
afterAll(async () => {
  for (const client of made) client.destroy();
  await h.close();
});

async function advance(seconds: number): Promise<void> {
  const res = await fetch(`${h.sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(res.status).toBe(200);
}

async function eventById(region: string, eventId: string): Promise<Event[]> {
  const out = await cloudtrail(region).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: eventId }] }));
  return out.Events ?? [];
}

/** The event a reported last use names: found, for this key, same operation and time. */
async function expectEventFor(region: string, arn: string, usage: NonNullable<GetKeyLastUsageCommandOutput['KeyLastUsage']>): Promise<void> {
  const events = await eventById(region, usage.CloudTrailEventId!);
  expect(events, `${arn}: ${usage.CloudTrailEventId}`).toHaveLength(1);
  const event = events[0]!;
  expect(event.EventName).toBe(usage.Operation);
  expect(event.EventTime!.getTime()).toBe(usage.Timestamp!.getTime());
  expect(event.Resources).toContainEqual({ ResourceType: 'AWS::KMS::Key', ResourceName: arn });
  const record = JSON.parse(event.CloudTrailEvent!) as { errorCode?: string; requestID?: string };
  expect(record.errorCode).toBeUndefined();
  expect(record.requestID).toBe(usage.KmsRequestId);
}

describe.skipIf(externalEndpoint)('GetKeyLastUsage and CloudTrail', () => {
  it('reports a live use only an hour later, with the event LookupEvents returns for it', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('x') }));
    expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage).toEqual({});
    await advance(3599);
    expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage).toEqual({});
    await advance(1);
    const usage = (await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage!;
    expect(usage).toMatchObject({ Operation: 'Encrypt' });
    await expectEventFor('us-east-1', arn, usage);
    // A newer use waits its hour; until then the older one is still reported.
    await advance(600);
    await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('y') }));
    await advance(1800);
    expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage!.CloudTrailEventId).toBe(usage.CloudTrailEventId);
    await advance(1800);
    const newer = (await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage!;
    expect(newer.CloudTrailEventId).not.toBe(usage.CloudTrailEventId);
    await expectEventFor('us-east-1', arn, newer);
  });
});

describe.skipIf(externalEndpoint)('the seeded estate', () => {
  let fresh: Harness;
  beforeAll(async () => {
    fresh = await openHarness({ now: () => new Date(BASE), quotaScale: 100 }); // as above: one read per key
  });
  afterAll(async () => {
    await fresh.close();
  });

  it('every reported last use (AWS managed keys included) is an event LookupEvents has for that key', async () => {
    let checked = 0;
    for (const region of ['us-east-1', 'eu-west-1']) {
      const kms = fresh.kms(region);
      const keys = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? [];
      for (const key of keys) {
        const out = await kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyArn! }));
        const usage = out.KeyLastUsage;
        if (!usage?.CloudTrailEventId) continue;
        expect(BASE - usage.Timestamp!.getTime(), key.KeyArn).toBeGreaterThanOrEqual(HOUR);
        // CloudTrail keeps 90 days: an older last use is known to KMS only.
        if (BASE - usage.Timestamp!.getTime() > 90 * DAY) continue;
        const client = new CloudTrailClient({ region, endpoint: fresh.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
        made.push(client);
        const events = (await client.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: usage.CloudTrailEventId }] }))).Events ?? [];
        expect(events, key.KeyArn).toHaveLength(1);
        expect(events[0]!.EventName).toBe(usage.Operation);
        expect(events[0]!.EventTime!.getTime()).toBe(usage.Timestamp!.getTime());
        expect(events[0]!.Resources).toContainEqual({ ResourceType: 'AWS::KMS::Key', ResourceName: key.KeyArn });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12); // customer keys, the replica and the AWS managed keys
  });

  it('a key used minutes before the seed time reports its last use from over an hour before, then the recent one', async () => {
    const kms = fresh.kms();
    const arn = await fresh.arn('alias/cloudtrail/management-events'); // seeded: GenerateDataKey 6 minutes ago
    const before = (await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage!;
    expect(BASE - before.Timestamp!.getTime()).toBeGreaterThanOrEqual(HOUR);
    // Nothing CloudTrail shows as a success in between is older than an hour.
    const events = (await new CloudTrailClient({ region: 'us-east-1', endpoint: fresh.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 }).send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], StartTime: new Date(before.Timestamp!.getTime() + 1000), EndTime: new Date(BASE - HOUR) }),
    )).Events ?? [];
    const successes = events.filter((e) => (JSON.parse(e.CloudTrailEvent!) as { errorCode?: string }).errorCode === undefined && /^(Encrypt|Decrypt|GenerateDataKey)/.test(e.EventName!));
    expect(successes).toEqual([]);
    const advanced = await fetch(`${fresh.sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 3600 }) });
    expect(advanced.status).toBe(200);
    const after = (await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage!;
    expect(after).toMatchObject({ Operation: 'GenerateDataKey' });
    expect(after.Timestamp!.getTime()).toBe(BASE - 0.1 * HOUR);
  });
});
