// CloudTrail in the sandbox, through the real @aws-sdk/client-cloudtrail over HTTP: KMS calls
// become records in the seed documents' shape (field by field), failures included; simulated
// workloads have 90 days of history and keep calling as sandbox time passes; LookupEvents pages,
// filters, windows and throttles as AWS documents it (KMS.md §6.2).

import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  type Event,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { DecryptCommand, DisableKeyCommand, EncryptCommand, GenerateDataKeyCommand, GetKeyLastUsageCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { LogDelivery } from '../../src/sandbox/log-sink.js';
import { failure, openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const DAY = 86_400_000;

function cloudtrail(url: string, region = 'us-east-1', maxAttempts = 1): CloudTrailClient {
  return new CloudTrailClient({ region, endpoint: url, credentials: SANDBOX_CREDENTIALS, maxAttempts });
}

function recordOf(event: Event): Record<string, any> {
  return JSON.parse(event.CloudTrailEvent!) as Record<string, any>;
}

/** Every page of a lookup (the sandbox under test runs with a raised quota). */
async function lookupAll(client: CloudTrailClient, input: LookupEventsCommandInput): Promise<{ events: Event[]; pages: number }> {
  const events: Event[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const out = await client.send(new LookupEventsCommand({ ...input, ...(token ? { NextToken: token } : {}) }));
    events.push(...(out.Events ?? []));
    token = out.NextToken;
    pages += 1;
  } while (token);
  return { events, pages };
}

/** The common top-level fields of every KMS record (KMS.md §6.1; seed docs 001 and 003). */
function expectKmsShape(record: Record<string, any>, keyArn: string): void {
  expect(record.eventVersion).toBe('1.08');
  expect(record.eventSource).toBe('kms.amazonaws.com');
  expect(record.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(record.awsRegion).toBe('us-east-1');
  expect(record.requestID).toMatch(/^[0-9a-f-]{36}$/);
  expect(record.eventID).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof record.readOnly).toBe('boolean');
  expect(record.resources).toEqual([{ accountId: expect.any(String), type: 'AWS::KMS::Key', ARN: keyArn }]);
  expect(record.eventType).toBe('AwsApiCall');
  expect(record.managementEvent).toBe(true);
  expect(record.recipientAccountId).toBe(ACCOUNT);
  expect(record.eventCategory).toBe('Management');
  expect(Object.keys(record)).toEqual(expect.arrayContaining(['userIdentity', 'sourceIPAddress', 'userAgent', 'requestParameters', 'responseElements']));
}

describe('CloudTrail records of KMS calls', () => {
  let h: Harness;
  let ct: CloudTrailClient;
  beforeAll(async () => {
    h = await openHarness({ lookupEventsPerSecond: 1000 });
    ct = cloudtrail(h.sandbox.url);
  });
  afterAll(async () => {
    ct.destroy();
    await h.close();
  });

  it('records an operator Encrypt with the assumed-role identity and the key ARN as resource', async () => {
    const arn = await h.createKey();
    await h.kms().send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x'), EncryptionContext: { app: 'test' } }));
    const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }] }));
    const names = out.Events!.map((e) => e.EventName);
    expect(names).toEqual(['Encrypt', 'CreateKey']);
    const event = out.Events![0]!;
    expect(event).toMatchObject({ EventName: 'Encrypt', ReadOnly: 'true', EventSource: 'kms.amazonaws.com', Username: 'operator', AccessKeyId: SANDBOX_CREDENTIALS.accessKeyId });
    expect(event.Resources).toEqual([{ ResourceType: 'AWS::KMS::Key', ResourceName: arn }]);
    expect(event.EventTime).toBeInstanceOf(Date);
    const record = recordOf(event);
    expectKmsShape(record, arn);
    expect(record.userIdentity).toEqual({
      type: 'AssumedRole',
      principalId: 'AROAKEYWARDENOPERATOR:operator',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/KeywardenOperator/operator`,
      accountId: ACCOUNT,
      accessKeyId: SANDBOX_CREDENTIALS.accessKeyId,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAKEYWARDENOPERATOR', arn: `arn:aws:iam::${ACCOUNT}:role/KeywardenOperator`, accountId: ACCOUNT, userName: 'KeywardenOperator' },
        webIdFederationData: {},
        attributes: { creationDate: expect.stringMatching(/Z$/), mfaAuthenticated: 'false' },
      },
    });
    expect(record.sourceIPAddress).toBe('127.0.0.1');
    expect(record.userAgent).toMatch(/aws-sdk-js/);
    expect(record.requestParameters).toEqual({ keyId: arn, encryptionContext: { app: 'test' }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(record.responseElements).toBeNull();
    expect(record.readOnly).toBe(true);
    expect(record).not.toHaveProperty('errorCode');
  });

  it('records failed calls with errorCode and errorMessage: disabled, pending deletion, access denied', async () => {
    const arn = await h.createKey();
    const kms = h.kms();
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('secret') }));
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    await failure(kms.send(new DecryptCommand({ CiphertextBlob })));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    await failure(kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256' })));
    h.sandbox.faults.accessDenied = [{ key: arn, operations: ['DescribeKey'] }];
    await failure(h.arn(arn));
    h.sandbox.faults.accessDenied = [];
    const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }] });
    const records = events.map(recordOf);
    const decrypt = records.find((r) => r.eventName === 'Decrypt')!;
    expectKmsShape(decrypt, arn);
    expect(decrypt).toMatchObject({ errorCode: 'DisabledException', errorMessage: `${arn} is disabled.`, responseElements: null });
    expect(decrypt.requestParameters).toEqual({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    const pending = records.find((r) => r.eventName === 'GenerateDataKey')!;
    expect(pending).toMatchObject({ errorCode: 'KMSInvalidStateException', errorMessage: `${arn} is pending deletion.` });
    const denied = records.find((r) => r.eventName === 'DescribeKey' && r.errorCode)!;
    expect(denied.errorCode).toBe('AccessDenied');
    expect(denied.errorMessage).toMatch(/is not authorized to perform: kms:DescribeKey on resource: /);
    const schedule = records.find((r) => r.eventName === 'ScheduleKeyDeletion')!;
    expect(schedule.readOnly).toBe(false);
    expect(schedule.requestParameters).toEqual({ keyId: arn, pendingWindowInDays: 7 });
    expect(schedule.responseElements).toMatchObject({ keyId: arn, keyState: 'PendingDeletion', pendingWindowInDays: 7 });
  });

  it('never logs plaintext or ciphertext', async () => {
    const arn = await h.createKey();
    await h.kms().send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('top secret') }));
    const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }] }));
    expect(out.Events![0]!.CloudTrailEvent).not.toMatch(/plaintext|ciphertext|dG9wIHNlY3JldA/i);
  });
});

describe('simulated workloads', () => {
  let h: Harness;
  let ct: CloudTrailClient;
  beforeAll(async () => {
    h = await openHarness({ lookupEventsPerSecond: 1000 });
    ct = cloudtrail(h.sandbox.url);
  });
  afterAll(async () => {
    ct.destroy();
    await h.close();
  });

  it('Fargate: the seed document 003 shapes (ec2-frontend-api, DryRun attempts by fargate, RetireGrant by AWS Internal)', async () => {
    const arn = await h.arn('alias/ecs/fargate-ephemeral');
    const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], StartTime: new Date(Date.now() - 7 * DAY) });
    const records = events.map(recordOf);
    const generate = records.find((r) => r.eventName === 'GenerateDataKeyWithoutPlaintext' && !r.errorCode)!;
    expectKmsShape(generate, arn);
    expect(generate.userIdentity).toEqual({ type: 'AWSService', invokedBy: 'ec2-frontend-api.amazonaws.com' });
    expect(generate.sourceIPAddress).toBe('ec2-frontend-api.amazonaws.com');
    expect(generate.userAgent).toBe('ec2-frontend-api.amazonaws.com');
    expect(generate.requestParameters).toEqual({
      keyId: arn,
      numberOfBytes: 64,
      encryptionContext: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod', 'aws:ebs:id': expect.stringMatching(/^vol-0[0-9a-f]{16}$/) },
    });
    expect(generate.resources[0].accountId).toBe('AWS Internal');
    expect(generate.sharedEventID).toMatch(/^[0-9a-f-]{36}$/);
    expect(generate.readOnly).toBe(true);

    const dryRun = records.find((r) => r.eventName === 'GenerateDataKeyWithoutPlaintext' && r.errorCode)!;
    expect(dryRun).toMatchObject({
      userIdentity: { type: 'AWSService', invokedBy: 'fargate.amazonaws.com' },
      errorCode: 'DryRunOperationException',
      errorMessage: 'The request would have succeeded, but the DryRun option is set.',
      requestParameters: { keyId: arn, dryRun: true, numberOfBytes: 64, encryptionContext: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod' } },
      responseElements: null,
    });

    const grant = records.find((r) => r.eventName === 'CreateGrant' && !r.errorCode)!;
    expect(grant.requestParameters).toMatchObject({
      keyId: arn,
      granteePrincipal: 'fargate.us-east-1.amazonaws.com',
      operations: ['Decrypt'],
      constraints: { encryptionContextSubset: { 'aws:ecs:clusterName': 'payments-prod' } },
      retiringPrincipal: 'ec2.us-east-1.amazonaws.com',
    });
    expect(grant.responseElements).toEqual({ grantId: expect.stringMatching(/^[0-9a-f]{64}$/), keyId: arn });
    expect(grant.readOnly).toBe(false);
    const dryGrant = records.find((r) => r.eventName === 'CreateGrant' && r.errorCode)!;
    expect(dryGrant).toMatchObject({ errorCode: 'DryRunOperationException', requestParameters: { dryRun: true } });

    const retire = records.find((r) => r.eventName === 'RetireGrant')!;
    expect(retire).toMatchObject({
      userIdentity: { type: 'AWSService', invokedBy: 'AWS Internal' },
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: { keyId: arn },
      additionalEventData: { grantId: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });

  it('Image Builder: the seed document 001 shape (workflow role, aws:imagebuilder:arn, alias keyId), denied since the last good build', async () => {
    const arn = await h.arn('alias/imagebuilder/workflows');
    const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], StartTime: new Date(Date.now() - 30 * DAY) });
    const records = events.map(recordOf);
    const generate = records.find((r) => r.eventName === 'GenerateDataKey')!;
    expectKmsShape(generate, arn);
    expect(generate.userIdentity).toMatchObject({
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ImageBuilderWorkflowRole/workflow-build`,
      accountId: ACCOUNT,
      invokedBy: 'imagebuilder.amazonaws.com',
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/ImageBuilderWorkflowRole`, userName: 'ImageBuilderWorkflowRole' }, webIdFederationData: {} },
    });
    expect(generate.requestParameters).toEqual({
      keyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/imagebuilder/workflows`,
      numberOfBytes: 32,
      encryptionContext: { 'aws:imagebuilder:arn': expect.stringMatching(/^arn:aws:imagebuilder:us-east-1:111122223333:workflow\//), 'aws-crypto-public-key': expect.any(String) },
    });
    expect(generate.errorCode).toBe('AccessDenied');
    const decrypt = records.find((r) => r.eventName === 'Decrypt')!;
    expect(decrypt.requestParameters).toMatchObject({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
  });

  it('EBS: ec2-infrastructure Decrypts with aws:ebs:id, grants created through EC2, a denied IAM user', async () => {
    const arn = await h.arn('alias/ebs/prod-data');
    const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], StartTime: new Date(Date.now() - 14 * DAY) });
    const records = events.map(recordOf);
    const decrypt = records.find((r) => r.eventName === 'Decrypt' && r.userIdentity.arn?.includes('ec2-infrastructure'))!;
    expect(decrypt.userIdentity).toMatchObject({ type: 'AssumedRole', arn: expect.stringMatching(/assumed-role\/aws:ec2-infrastructure\/i-0/) });
    expect(decrypt.requestParameters.encryptionContext).toEqual({ 'aws:ebs:id': expect.stringMatching(/^vol-0/) });
    const grant = records.find((r) => r.eventName === 'CreateGrant')!;
    expect(grant.userIdentity).toMatchObject({ type: 'AssumedRole', invokedBy: 'ec2.amazonaws.com' });
    expect(grant.requestParameters.granteePrincipal).toMatch(/aws:ec2-infrastructure\/i-0/);
    expect(records.some((r) => r.errorCode === 'AccessDenied' && r.userIdentity.type === 'IAMUser' && r.userIdentity.userName === 'ci-deployer')).toBe(true);
    expect(events.length).toBeGreaterThan(200);
  });

  it('history spans 90 days; keys nobody uses have none', async () => {
    const busy = await h.arn('alias/ebs/prod-data');
    const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: busy }], StartTime: new Date(Date.now() - 100 * DAY) });
    const oldest = events.at(-1)!.EventTime!.getTime();
    expect(Date.now() - oldest).toBeGreaterThan(88 * DAY);
    expect(Date.now() - oldest).toBeLessThanOrEqual(90 * DAY);
    const quiet = await h.arn('alias/signing/release-artifacts');
    const before = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: quiet }], StartTime: new Date(Date.now() - 90 * DAY) }));
    // Only our own DescribeKey just now.
    expect(before.Events!.map((e) => e.EventName)).toEqual(['DescribeKey']);
  });

  it('the disabled and pending-deletion keys show failed attempts', async () => {
    for (const [alias, code] of [['alias/legacy/reporting-2023', 'DisabledException'], ['alias/legacy/old-batch', 'KMSInvalidStateException']] as const) {
      const arn = await h.arn(alias);
      const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], StartTime: new Date(Date.now() - 30 * DAY) });
      const failed = events.map(recordOf).filter((r) => r.eventName === 'Decrypt');
      expect(failed.length).toBeGreaterThan(3);
      expect(failed.every((r) => r.errorCode === code)).toBe(true);
    }
  });
});

describe('live workloads as sandbox time passes', () => {
  it('keep calling through the KMS rules: successes update last use, a disabled key makes them fail and reach the log group', async () => {
    const deliveries: LogDelivery[] = [];
    const base = Date.now();
    const h = await openHarness({ lookupEventsPerSecond: 1000, now: () => new Date(base) });
    const ct = cloudtrail(h.sandbox.url);
    try {
      const arn = await h.arn('alias/app/payments-db');
      h.sandbox.advanceClock(2 * 86_400);
      const usage = await h.kms().send(new GetKeyLastUsageCommand({ KeyId: arn }));
      expect(usage.KeyLastUsage!.Timestamp!.getTime()).toBeGreaterThan(base + DAY);
      await h.kms().send(new DisableKeyCommand({ KeyId: arn }));
      h.sandbox.advanceClock(86_400);
      const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }], StartTime: new Date(base + 2 * DAY + 1000) });
      const decrypts = events.map(recordOf).filter((r) => r.eventName === 'Decrypt' && r.userIdentity.arn?.includes('PaymentsApi'));
      expect(decrypts.length).toBeGreaterThan(10);
      expect(decrypts.every((r) => r.errorCode === 'DisabledException' && r.errorMessage === `${arn} is disabled.`)).toBe(true);
      void deliveries;
    } finally {
      ct.destroy();
      await h.close();
    }
  });

  it('persists live events next to the state file, not in it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kw-ct-'));
    const statePath = path.join(dir, 'state.json');
    try {
      const first = await openHarness({ statePath, lookupEventsPerSecond: 1000 });
      const arn = await first.createKey({ Description: 'persisted' });
      await first.close();
      const trailFile = await readFile(`${statePath}.cloudtrail.jsonl`, 'utf8');
      expect(trailFile).toContain(arn);
      const second = await openHarness({ statePath, lookupEventsPerSecond: 1000 });
      const ct = cloudtrail(second.sandbox.url);
      const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }] }));
      expect(out.Events!.map((e) => e.EventName)).toEqual(['CreateKey']);
      ct.destroy();
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('LookupEvents', () => {
  let h: Harness;
  let ct: CloudTrailClient;
  let busy: string;
  beforeAll(async () => {
    h = await openHarness({ lookupEventsPerSecond: 1000 });
    ct = cloudtrail(h.sandbox.url);
    busy = await h.arn('alias/ecs/fargate-ephemeral');
  });
  afterAll(async () => {
    ct.destroy();
    await h.close();
  });

  it('pages newest first, at most 50 per page, with no event twice', async () => {
    const { events, pages } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: busy }], StartTime: new Date(Date.now() - 10 * DAY) });
    expect(pages).toBeGreaterThan(3);
    const times = events.map((e) => e.EventTime!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(new Set(events.map((e) => e.EventId)).size).toBe(events.length);
    const first = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: busy }] }));
    expect(first.Events).toHaveLength(50);
    const small = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: busy }], MaxResults: 7 }));
    expect(small.Events).toHaveLength(7);
    expect(small.Events!.map((e) => e.EventId)).toEqual(first.Events!.slice(0, 7).map((e) => e.EventId));
  });

  it('filters by one attribute: EventName, Username, EventSource, ReadOnly', async () => {
    const window = { StartTime: new Date(Date.now() - 2 * DAY) };
    const byName = await lookupAll(ct, { ...window, LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'RetireGrant' }] });
    expect(byName.events.length).toBeGreaterThan(0);
    expect(byName.events.every((e) => e.EventName === 'RetireGrant')).toBe(true);
    const byUser = await lookupAll(ct, { ...window, LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'fargate.amazonaws.com' }] });
    expect(byUser.events.length).toBeGreaterThan(0);
    expect(byUser.events.every((e) => recordOf(e).userIdentity.invokedBy === 'fargate.amazonaws.com')).toBe(true);
    const bySource = await lookupAll(ct, { ...window, LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'kms.amazonaws.com' }] });
    expect(bySource.events.length).toBeGreaterThan(byName.events.length);
    const writes = await lookupAll(ct, { ...window, LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] });
    expect(writes.events.length).toBeGreaterThan(0);
    expect(writes.events.every((e) => e.ReadOnly === 'false')).toBe(true);
    const other = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 's3.amazonaws.com' }] }));
    expect(other.Events).toEqual([]);
  });

  it('keeps to the time window and the 90-day horizon; events are per region', async () => {
    const start = new Date(Date.now() - 3 * DAY);
    const end = new Date(Date.now() - 2 * DAY);
    const { events } = await lookupAll(ct, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: busy }], StartTime: start, EndTime: end });
    expect(events.length).toBeGreaterThan(10);
    expect(events.every((e) => e.EventTime!.getTime() >= start.getTime() - 1000 && e.EventTime!.getTime() <= end.getTime())).toBe(true);
    const old = await ct.send(new LookupEventsCommand({ StartTime: new Date(Date.now() - 200 * DAY), EndTime: new Date(Date.now() - 95 * DAY) }));
    expect(old.Events).toEqual([]);
    const eu = cloudtrail(h.sandbox.url, 'eu-west-1');
    const elsewhere = await eu.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: busy }] }));
    expect(elsewhere.Events).toEqual([]);
    eu.destroy();
  });

  it('rejects what AWS rejects', async () => {
    const two = await failure(ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Decrypt' }, { AttributeKey: 'ReadOnly', AttributeValue: 'true' }] })));
    expect(two.name).toBe('InvalidLookupAttributesException');
    const range = await failure(ct.send(new LookupEventsCommand({ StartTime: new Date(), EndTime: new Date(Date.now() - DAY) })));
    expect(range.name).toBe('InvalidTimeRangeException');
    expect((await failure(ct.send(new LookupEventsCommand({ MaxResults: 51 })))).name).toBe('InvalidMaxResultsException');
    expect((await failure(ct.send(new LookupEventsCommand({ MaxResults: 0 })))).name).toBe('InvalidMaxResultsException');
    const page = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: busy }] }));
    const changed = await failure(ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Decrypt' }], NextToken: page.NextToken })));
    expect(changed.name).toBe('InvalidNextTokenException');
    expect((await failure(ct.send(new LookupEventsCommand({ NextToken: 'garbage' })))).name).toBe('InvalidNextTokenException');
  });

  it('answers more than 2 requests per second with ThrottlingException "Rate exceeded"', async () => {
    const sandbox = await startSandbox({ port: 0 });
    const client = cloudtrail(sandbox.url);
    try {
      const started = performance.now();
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => client.send(new LookupEventsCommand({ MaxResults: 1 }))));
      const elapsed = (performance.now() - started) / 1000;
      const throttled = results.filter((r) => r.status === 'rejected');
      const served = results.length - throttled.length;
      // A bucket of 2, refilled at 2 per second while the burst was in flight.
      expect(served).toBeGreaterThanOrEqual(2);
      expect(served).toBeLessThanOrEqual(2 + Math.ceil(elapsed * 2));
      expect(throttled.length).toBeGreaterThan(0);
      const error = (throttled[0] as PromiseRejectedResult).reason as Error & { $metadata: { httpStatusCode: number } };
      expect(error.name).toBe('ThrottlingException');
      expect(error.message).toBe('Rate exceeded');
      expect(error.$metadata.httpStatusCode).toBe(400);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await client.send(new LookupEventsCommand({ MaxResults: 1 })); // the bucket refilled
    } finally {
      client.destroy();
      await sandbox.close();
    }
  });
});

describe('the trail', () => {
  it('one multi-Region trail, logging, delivering to a CloudWatch Logs log group, default selectors', async () => {
    const h = await openHarness();
    const ct = cloudtrail(h.sandbox.url, 'eu-west-1');
    try {
      const { trailList } = await ct.send(new DescribeTrailsCommand({}));
      expect(trailList).toHaveLength(1);
      expect(trailList![0]).toMatchObject({
        Name: 'management-events',
        IsMultiRegionTrail: true,
        HomeRegion: 'us-east-1',
        TrailARN: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management-events`,
        CloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:aws-cloudtrail-logs-${ACCOUNT}-management:*`,
        CloudWatchLogsRoleArn: expect.stringMatching(/^arn:aws:iam::111122223333:role\//),
        HasCustomEventSelectors: false,
      });
      expect((await ct.send(new DescribeTrailsCommand({ includeShadowTrails: false }))).trailList).toEqual([]);
      const status = await ct.send(new GetTrailStatusCommand({ Name: 'management-events' }));
      expect(status.IsLogging).toBe(true);
      expect(status.LatestCloudWatchLogsDeliveryTime).toBeInstanceOf(Date);
      expect(status).not.toHaveProperty('LatestCloudWatchLogsDeliveryError');
      const selectors = await ct.send(new GetEventSelectorsCommand({ TrailName: trailList![0]!.TrailARN }));
      expect(selectors.EventSelectors).toEqual([{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }]);
      expect((await failure(ct.send(new GetTrailStatusCommand({ Name: 'nope' })))).name).toBe('TrailNotFoundException');
    } finally {
      ct.destroy();
      await h.close();
    }
  });
});
