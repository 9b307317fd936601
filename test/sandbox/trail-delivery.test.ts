// The sandbox's trail delivers its records into its bucket (DescribeTrails S3BucketName /
// S3KeyPrefix) in AWS's layout, every five minutes of sandbox time, history included: the bucket
// and LookupEvents hold the same events; what the trail did not deliver (StopLogging) is only in
// LookupEvents; the files are the same after a restart on the same state file.

import { CloudTrailClient, DescribeTrailsCommand, LookupEventsCommand, StartLoggingCommand, StopLoggingCommand, type Event } from '@aws-sdk/client-cloudtrail';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const DAY = 86_400_000;
const FIVE_MINUTES = 300_000;

interface Delivered {
  key: string;
  deliveredAt: number;
  records: Array<Record<string, any>>;
}

function s3(url: string): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
}

function dayFolder(time: number, region = 'us-east-1'): string {
  const d = new Date(time);
  return `${region}/${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/`;
}

/** Every file of the day folders that cover [from, to] (and the next day's, for late deliveries). */
async function filesFor(client: S3Client, bucket: string, root: string, from: number, to: number, region = 'us-east-1'): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (let day = Math.floor(from / DAY) * DAY; day <= to + FIVE_MINUTES; day += DAY) {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${root}${dayFolder(day, region)}`, ...(token ? { ContinuationToken: token } : {}) }));
      for (const item of page.Contents ?? []) {
        const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key! }));
        const doc = JSON.parse(gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8')) as { Records: Array<Record<string, any>> };
        const stamp = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(item.Key!)!;
        out.push({ key: item.Key!, deliveredAt: Date.UTC(+stamp[1]!, +stamp[2]! - 1, +stamp[3]!, +stamp[4]!, +stamp[5]!), records: doc.Records });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return out;
}

async function lookupIds(client: CloudTrailClient, keyArn: string, from: number, to: number): Promise<string[]> {
  const events: Event[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }], StartTime: new Date(from), EndTime: new Date(to), ...(token ? { NextToken: token } : {}) }),
    );
    events.push(...(page.Events ?? []));
    token = page.NextToken;
  } while (token);
  return events.map((e) => e.EventId!).sort();
}

function bucketIds(files: Delivered[], keyArn: string, from: number, to: number): string[] {
  return files
    .flatMap((f) => f.records)
    .filter((r) => (r.resources ?? []).some((res: { ARN: string }) => res.ARN === keyArn) && Date.parse(r.eventTime) >= from && Date.parse(r.eventTime) <= to)
    .map((r) => r.eventID as string)
    .sort();
}

describe('the trail delivers to its bucket', () => {
  let h: Harness;
  let ct: CloudTrailClient;
  let client: S3Client;
  let bucket: string;
  let root: string;
  beforeAll(async () => {
    h = await openHarness({ lookupEventsPerSecond: 1000 });
    ct = new CloudTrailClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    client = s3(h.sandbox.url);
    const trail = (await ct.send(new DescribeTrailsCommand({}))).trailList![0]!;
    bucket = trail.S3BucketName!;
    root = `${trail.S3KeyPrefix}/AWSLogs/${ACCOUNT}/CloudTrail/`;
  });
  afterAll(async () => {
    ct.destroy();
    client.destroy();
    await h.close();
  });

  it('DescribeTrails names the bucket and the key prefix', async () => {
    const trail = (await ct.send(new DescribeTrailsCommand({}))).trailList![0]!;
    expect(trail.S3BucketName).toBe(`aws-cloudtrail-logs-${ACCOUNT}-3f1c9a2b`);
    expect(trail.S3KeyPrefix).toBe('management');
  });

  it("lays the files out as AWS does: one Region's five minutes per file, in the folder of its delivery day", async () => {
    const now = h.sandbox.now().getTime();
    const from = Math.floor((now - 3 * DAY) / DAY) * DAY;
    const files = await filesFor(client, bucket, root, from, from + DAY);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const name = file.key.split('/').pop()!;
      expect(name).toMatch(new RegExp(`^${ACCOUNT}_CloudTrail_us-east-1_\\d{8}T\\d{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$`));
      expect(file.deliveredAt % FIVE_MINUTES).toBe(0);
      expect(file.key.startsWith(`${root}${dayFolder(file.deliveredAt)}`)).toBe(true);
      expect(file.records.length).toBeGreaterThan(0);
      for (const record of file.records) {
        const t = Date.parse(record.eventTime);
        expect(t).toBeGreaterThanOrEqual(file.deliveredAt - FIVE_MINUTES);
        expect(t).toBeLessThan(file.deliveredAt);
        expect(record.awsRegion).toBe('us-east-1');
      }
    }
    // Nothing is delivered before its time.
    const today = await filesFor(client, bucket, root, now, now);
    expect(today.every((f) => f.deliveredAt <= now)).toBe(true);
  });

  it('holds the same events of a key as LookupEvents over a window of history', async () => {
    const now = h.sandbox.now().getTime();
    const from = now - 2 * DAY - 7 * 3_600_000;
    const to = now - 2 * DAY;
    const sample = (await ct.send(new LookupEventsCommand({ StartTime: new Date(from), EndTime: new Date(to), MaxResults: 50 }))).Events ?? [];
    const keyArn = sample.flatMap((e) => e.Resources ?? []).find((r) => r.ResourceType === 'AWS::KMS::Key')!.ResourceName!;
    const files = await filesFor(client, bucket, root, from, to);
    const fromBucket = bucketIds(files, keyArn, from, to);
    expect(fromBucket.length).toBeGreaterThan(5);
    expect(fromBucket).toEqual(await lookupIds(ct, keyArn, from, to));
  });

  it("delivers live calls once their five minutes are over, and not what it made while it was not logging", async () => {
    const keyArn = await h.createKey();
    const start = h.sandbox.now().getTime();
    await h.kms().send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('delivered') }));
    await ct.send(new StopLoggingCommand({ Name: 'management-events' }));
    await h.kms().send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('not delivered') }));
    await ct.send(new StartLoggingCommand({ Name: 'management-events' }));
    const end = h.sandbox.now().getTime();
    const before = bucketIds(await filesFor(client, bucket, root, start - FIVE_MINUTES, end), keyArn, start - 60_000, end);
    // The open five minutes are not delivered yet (unless the test ran across a delivery time).
    expect(before.length).toBeLessThanOrEqual(2);
    await fetch(`${h.sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 600 }) });
    const after = bucketIds(await filesFor(client, bucket, root, start - FIVE_MINUTES, end + 600_000), keyArn, start - 60_000, end);
    const looked = await lookupIds(ct, keyArn, start - 60_000, end);
    // CreateKey, the first Encrypt; the second Encrypt is only in the event history.
    expect(looked.length).toBe(3);
    expect(after.length).toBe(2);
    expect(looked).toEqual(expect.arrayContaining(after));
  });
});

describe('the delivered files after a restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keywarden-delivery-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are the same objects (keys and ETags) on the same state file', async () => {
    const statePath = path.join(dir, 'state.json');
    const list = async () => {
      const sandbox = await startSandbox({ port: 0, statePath });
      const client = s3(sandbox.url);
      try {
        const prefix = `management/AWSLogs/${ACCOUNT}/CloudTrail/${dayFolder(sandbox.now().getTime() - 5 * DAY)}`;
        const page = await client.send(new ListObjectsV2Command({ Bucket: `aws-cloudtrail-logs-${ACCOUNT}-3f1c9a2b`, Prefix: prefix }));
        return (page.Contents ?? []).map((c) => `${c.Key} ${c.ETag} ${c.Size}`);
      } finally {
        client.destroy();
        await sandbox.close();
      }
    };
    const first = await list();
    expect(first.length).toBeGreaterThan(10);
    expect(await list()).toEqual(first);
  });
});
