// Reading a key's usage over HTTP from the sandbox: LookupEvents paced to 2 requests/second,
// progress per page, stop, throttling survived; and CloudTrail log files from a directory.

import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCloudTrailFiles } from '../../src/aws/cloudtrail-files.js';
import { AwsKeySource, resolveKey } from '../../src/aws/inventory.js';
import { lookupKeyEvents, RateLimiter } from '../../src/aws/usage.js';
import { summarizeUsage, type UsageLoadState } from '../../src/domain/usage.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const ACCOUNT = '111122223333';
const DAY = 86_400_000;

describe.skipIf(externalEndpoint)('LookupEvents for one key (sandbox at the real 2 requests/second)', () => {
  let endpoint: TestEndpoint;
  let payments: string;
  let fargate: string;
  beforeAll(async () => {
    endpoint = await openEndpoint();
    const clients = endpoint.clients();
    payments = (await resolveKey(clients, 'alias/app/payments-db')).arn;
    fargate = (await resolveKey(clients, 'alias/ecs/fargate-ephemeral')).arn;
  });
  afterAll(async () => endpoint.close());

  it('paces pages to the quota, never throttled, newest first, with progress after every page', async () => {
    const clients = endpoint.clients();
    const updates: Array<{ at: number; state: UsageLoadState }> = [];
    const started = performance.now();
    const result = await lookupKeyEvents(clients.cloudtrail('us-east-1'), payments, {
      window: { days: 3 },
      onProgress: (state) => updates.push({ at: performance.now() - started, state }),
    });
    expect(result.progress).toMatchObject({ source: 'cloudtrail', done: true, stopped: false, throttled: 0, requestsPerSecond: 2 });
    expect(result.progress.pages).toBeGreaterThanOrEqual(2);
    expect(updates).toHaveLength(result.progress.pages);
    // Growing, page by page; the last update is the result.
    expect(updates.map((u) => u.state.events.length)).toEqual([...updates.map((u) => u.state.events.length)].sort((a, b) => a - b));
    expect(updates.at(-1)!.state.events).toEqual(result.events);
    expect(updates.slice(0, -1).every((u) => !u.state.progress.done)).toBe(true);
    // 2 per second: page n starts no earlier than (n-1) × 500 ms.
    for (const [i, update] of updates.entries()) expect(update.at).toBeGreaterThanOrEqual(i * 500 - 50);
    const times = result.events.map((e) => e.timeMs);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(result.events.every((e) => e.keyArns.includes(payments))).toBe(true);
    expect(Date.now() - times.at(-1)!).toBeLessThanOrEqual(3 * DAY + 60_000);
  });

  it('stops when asked and keeps what it read', async () => {
    const clients = endpoint.clients();
    const controller = new AbortController();
    const result = await lookupKeyEvents(
      clients.cloudtrail('us-east-1'),
      fargate,
      { window: '30d', onProgress: (state) => state.progress.pages === 2 && controller.abort() },
      controller.signal,
    );
    expect(result.progress).toMatchObject({ stopped: true, done: false, pages: 2 });
    expect(result.events).toHaveLength(100);
  });

  it('summarises what it read: the busy Fargate key and its callers', async () => {
    const source = new AwsKeySource(endpoint.clients());
    const state = await source.loadUsage({ arn: fargate, region: 'us-east-1' }, { window: { days: 2 } });
    const summary = summarizeUsage(state.events, { days: 2 }, new Date(), { keyArn: fargate });
    expect(summary.total).toBe(state.events.length);
    expect(summary.principals.map((p) => p.description)).toEqual(expect.arrayContaining(['AWS service ec2-frontend-api', 'AWS service fargate']));
    expect(summary.dryRuns).toBeGreaterThan(0);
    expect(summary.contexts[0]!.description).toBe(`ECS cluster (Fargate ephemeral storage) ${ACCOUNT}/payments-prod`);
  });
});

describe.skipIf(externalEndpoint)('throttling', () => {
  it('survives ThrottlingException when a reader goes faster than the quota, slowing down', async () => {
    const endpoint = await openEndpoint();
    const client = new CloudTrailClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    try {
      const arn = (await resolveKey(endpoint.clients(), 'alias/app/payments-db')).arn;
      const result = await lookupKeyEvents(client, arn, { window: { days: 14 }, limiter: new RateLimiter(50) });
      expect(result.progress.done).toBe(true);
      expect(result.progress.throttled).toBeGreaterThan(0);
      const reference = await lookupKeyEvents(client, arn, { window: { days: 14 } });
      expect(result.events.map((e) => e.eventId)).toEqual(reference.events.map((e) => e.eventId));
    } finally {
      client.destroy();
      await endpoint.close();
    }
  });
});

describe('CloudTrail log files (--cloudtrail-dir)', () => {
  const key = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const other = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab`;
  const now = new Date('2026-11-23T12:00:00Z');
  const record = (id: string, time: string, arn = key, extra: object = {}) => ({
    eventVersion: '1.08',
    userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
    eventTime: time,
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: 'us-east-1',
    requestParameters: { encryptionContext: { 'aws:ebs:id': 'vol-0abc' } },
    responseElements: null,
    eventID: id,
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: arn }],
    eventType: 'AwsApiCall',
    eventCategory: 'Management',
    ...extra,
  });
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kw-trail-'));
    const day = (y: string, m: string, d: string) => path.join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail', 'us-east-1', y, m, d);
    await mkdir(day('2026', '11', '22'), { recursive: true });
    await mkdir(day('2026', '05', '01'), { recursive: true });
    await writeFile(path.join(day('2026', '11', '22'), `${ACCOUNT}_CloudTrail_us-east-1_20261122T0000Z_a.json.gz`), gzipSync(JSON.stringify({ Records: [record('e1', '2026-11-22T10:00:00Z'), record('e2', '2026-11-22T11:00:00Z', other)] })));
    await writeFile(path.join(day('2026', '11', '22'), 'plain.json'), JSON.stringify({ Records: [record('e3', '2026-11-22T12:00:00Z', key, { errorCode: 'DisabledException', errorMessage: `${key} is disabled.` }), record('e5', '2026-11-22T10:30:00Z', other)] }));
    await writeFile(path.join(day('2026', '05', '01'), 'old.json.gz'), gzipSync(JSON.stringify({ Records: [record('e4', '2026-05-01T08:00:00Z')] })));
    await writeFile(path.join(dir, 'README.txt'), 'not a log');
    await writeFile(path.join(dir, 'digest.json'), JSON.stringify({ awsAccountId: ACCOUNT }));
    await writeFile(path.join(dir, 'broken.json.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads a tree of plain and gzipped files, only this key; names every file it cannot read', async () => {
    const result = await readCloudTrailFiles(dir, key, { window: { days: 30 }, now });
    expect(result.events).toEqual([]);
    expect(result.summary).toMatchObject({ total: 2, failed: 1, lastFailure: { errorCode: 'DisabledException' } });
    expect(result.progress).toMatchObject({ source: 'files', done: true });
    expect(result.evidence.unreadable.map((f) => path.basename(f.name)).sort()).toEqual(['README.txt', 'broken.json.gz', 'digest.json']);
    expect(result.incomplete).toMatch(/^3 log files could not be read/);
  });

  it('goes beyond 90 days when the window does; reads a single file', async () => {
    const year = await readCloudTrailFiles(dir, key, { window: { days: 365 }, now });
    expect(year.summary?.total).toBe(3);
    expect(year.summary?.lastEvent?.eventId).toBe('e3');
    const single = await readCloudTrailFiles(path.join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail', 'us-east-1', '2026', '05', '01', 'old.json.gz'), key, { window: { days: 365 }, now });
    expect(single.summary).toMatchObject({ total: 1, lastEvent: { eventId: 'e4' } });
    expect(single.evidence.unreadable).toEqual([]);
  });

  it('explains a missing directory', async () => {
    await expect(readCloudTrailFiles(path.join(dir, 'nope'), key, { window: '7d', now })).rejects.toThrow(/no such file or directory/);
  });

  it('AwsKeySource.loadUsage reads the directory when one is given', async () => {
    const clients = { regions: ['us-east-1'], now: () => new Date() } as unknown as ConstructorParameters<typeof AwsKeySource>[0];
    const state = await new AwsKeySource(clients).loadUsage({ arn: key, region: 'us-east-1' }, { window: { days: 3650 }, cloudtrailDir: dir });
    expect(state.summary?.total).toBe(3);
  });
});
