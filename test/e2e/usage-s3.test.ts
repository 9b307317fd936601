// `keywarden usage KEY --cloudtrail-s3 [s3://BUCKET/PREFIX]` end to end: the built program against a
// sandbox whose clock stands still on a delivery time, so the trail's bucket holds every event of
// the window: the bucket and LookupEvents give the same summary; only the window's day folders are
// listed; a file that cannot be read is named and changes the exit code (unless --allow-partial);
// a bad URL is a command-line error; a caller who may not list the bucket is told which permission.

import { DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { ListObjectsV2Command, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runKeywarden } from './terminal.js';

const ACCOUNT = '111122223333';
const BUCKET = `aws-cloudtrail-logs-${ACCOUNT}-3f1c9a2b`;
const DAY = 86_400_000;
const KEY = 'alias/ecs/fargate-ephemeral';
// A delivery time: every event of the window up to it is in the bucket.
const NOW = Math.floor(Date.now() / 300_000) * 300_000;

let sandbox: Sandbox;
let home: string;

function keywarden(args: string[], accessKeyId: string = SANDBOX_CREDENTIALS.accessKeyId) {
  return runKeywarden([...args, '--endpoint-url', sandbox.url], {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    KEYWARDEN_HOME: home,
  }, 60_000);
}

interface Doc {
  source: string;
  location?: string;
  key: { arn: string };
  progress: { pages: number; bytes?: number; done: boolean };
  summary: { total: number; failed: number; operations: unknown; principals: unknown; lastUse?: { eventId?: string; time: string } } | null;
  unreadable?: Array<{ name: string; reason: string }>;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, now: () => new Date(NOW) });
  home = mkdtempSync(join(tmpdir(), 'kw-usage-s3-home-'));
});

afterAll(async () => {
  await sandbox.close();
});

describe('keywarden usage --cloudtrail-s3', () => {
  it("summarises the trail's bucket as LookupEvents does, listing only the window's day folders", async () => {
    const lookup = await keywarden(['usage', KEY, '--days', '3', '--json']);
    expect(lookup.code).toBe(0);
    sandbox.clearRequests();
    const bucket = await keywarden(['usage', KEY, '--days', '3', '--cloudtrail-s3', '--json']);
    expect(bucket.code).toBe(0);
    const fromLookup = JSON.parse(lookup.stdout) as Doc;
    const fromBucket = JSON.parse(bucket.stdout) as Doc;
    expect(fromBucket.source).toBe('s3');
    expect(fromBucket.location).toBe(`s3://${BUCKET}/management`);
    expect(fromBucket.summary!.total).toBeGreaterThan(20);
    // LookupEvents also has keywarden's own DescribeKey and ListGrants of this minute, which the
    // trail delivers only in the next file; everything else is the same.
    const own = (doc: Doc) => (doc.summary!.principals as Array<{ id: string; count: number }>).find((p) => p.id.endsWith(':role/KeywardenOperator'))?.count ?? 0;
    const others = (doc: Doc) => ({
      total: doc.summary!.total - own(doc),
      failed: doc.summary!.failed,
      lastUse: doc.summary!.lastUse,
      operations: (doc.summary!.operations as Array<{ operation: string }>).filter((o) => o.operation !== 'DescribeKey' && o.operation !== 'ListGrants'),
      principals: (doc.summary!.principals as Array<{ id: string }>).filter((p) => !p.id.endsWith(':role/KeywardenOperator')),
    });
    expect(own(fromLookup)).toBeGreaterThan(0);
    expect(own(fromBucket)).toBe(0);
    expect(others(fromBucket)).toEqual(others(fromLookup));
    expect(fromBucket.unreadable).toEqual([]);
    expect(fromBucket.progress.pages).toBeGreaterThan(0);
    expect(fromBucket.progress.bytes).toBeGreaterThan(0);
    // Progress (objects, bytes) on stderr, stdout only the document.
    expect(bucket.stderr).toMatch(new RegExp(`^keywarden: [\\d,]+ events loaded \\(${fromBucket.progress.pages.toLocaleString('en-US')} objects, [\\d.]+ KB\\) from s3://${BUCKET}/management\\n$`));
    const lists = sandbox.requests().filter((r) => r.service === 's3' && r.operation === 'ListObjectsV2');
    const prefixes = lists.map((r) => (r.params as { Prefix: string }).Prefix);
    const days = new Set<string>();
    for (let day = Math.floor((NOW - 3 * DAY) / DAY) * DAY; day <= NOW + 3_600_000; day += DAY) {
      const d = new Date(day);
      days.add(`management/AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/`);
    }
    expect(prefixes[0]).toBe('management/AWSLogs/');
    expect(new Set(prefixes.slice(1))).toEqual(days);
    // Every object read was listed in one of those folders.
    const gets = sandbox.requests().filter((r) => r.service === 's3' && r.operation === 'GetObject');
    expect(gets.length).toBe(fromBucket.progress.pages);
  }, 120_000);

  it('reads a URL naming the bucket and prefix, beyond the 90 days LookupEvents keeps, in the key\'s own Region', async () => {
    // A key of eu-west-1 (few events there: a short read), from a client of us-east-1's bucket.
    const kms = new KMSClient({ region: 'eu-west-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    const arn = (await kms.send(new ListKeysCommand({}))).Keys![0]!.KeyArn!;
    kms.destroy();
    sandbox.clearRequests();
    const out = await keywarden(['usage', arn, '--days', '120', '--cloudtrail-s3', `s3://${BUCKET}/management/AWSLogs/${ACCOUNT}/`, '--json']);
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as Doc & { summary: { window: { days: number } } };
    expect(doc.location).toBe(`s3://${BUCKET}/management`);
    expect(doc.summary.window.days).toBe(120);
    const prefixes = sandbox
      .requests()
      .filter((r) => r.service === 's3' && r.operation === 'ListObjectsV2' && r.status === 200)
      .map((r) => (r.params as { Prefix: string }).Prefix);
    const oldest = new Date(NOW - 120 * DAY);
    expect(prefixes).toContain(`management/AWSLogs/${ACCOUNT}/CloudTrail/eu-west-1/${oldest.getUTCFullYear()}/${String(oldest.getUTCMonth() + 1).padStart(2, '0')}/${String(oldest.getUTCDate()).padStart(2, '0')}/`);
    expect(prefixes.filter((p) => p.includes('/CloudTrail/')).every((p) => p.includes('/CloudTrail/eu-west-1/'))).toBe(true);
  }, 120_000);

  it('says so when the prefix holds no log files of the account, instead of "no use": exit 1', async () => {
    const out = await keywarden(['usage', KEY, '--cloudtrail-s3', `s3://${BUCKET}/wrong-prefix`]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`Usage           unknown: no CloudTrail log files of account ${ACCOUNT} in s3://${BUCKET}/wrong-prefix/AWSLogs/`);
  }, 60_000);

  it('takes `--cloudtrail-s3 KEY` as the flag without a URL', async () => {
    const out = await keywarden(['usage', '--cloudtrail-s3', KEY, '--days', '1', '--json']);
    expect(out.code).toBe(0);
    expect((JSON.parse(out.stdout) as Doc).source).toBe('s3');
  }, 60_000);

  it('refuses a bad URL before anything is sent: exit 2', async () => {
    sandbox.clearRequests();
    for (const url of ['bucket/prefix', 's3://', 's3://Not_A_Bucket/x']) {
      const out = await keywarden(['usage', KEY, '--cloudtrail-s3', url]);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/--cloudtrail-s3 ".*" (is not an S3 URL|.*is not an S3 bucket name)/);
    }
    expect((await keywarden(['usage', KEY, '--cloudtrail-s3='])).code).toBe(2);
    expect((await keywarden(['usage', KEY, '--cloudtrail-s3', `s3://${BUCKET}`, '--cloudtrail-dir', '/tmp'])).code).toBe(2);
    expect(sandbox.requests()).toEqual([]);
  }, 60_000);

  it('names the bucket and the permission when the caller may not list it: exit 1', async () => {
    const out = await keywarden(['usage', KEY, '--cloudtrail-s3', `s3://${BUCKET}/management`], 'AKIAKEYWARDENAUDITOR');
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`access denied to s3://${BUCKET}: listing management/AWSLogs/ needs s3:ListBucket on arn:aws:s3:::${BUCKET}`);
  }, 60_000);

  it("says so when KMS refuses to decrypt the trail's files: exit 1, never \"no use\"", async () => {
    const kms = new KMSClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    const trailKey = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/cloudtrail/management-events' }))).KeyMetadata!.Arn!;
    kms.destroy();
    sandbox.faults.accessDenied = [{ key: trailKey, operations: ['Decrypt'] }];
    try {
      const out = await keywarden(['usage', KEY, '--days', '1', '--cloudtrail-s3']);
      expect(out.code).toBe(1);
      expect(out.stdout).toMatch(/Usage\s+unknown: none of the \d+ log files in s3:\/\/\S+ could be read: access denied to s3:\/\/\S+: reading \S+ needs s3:GetObject .*kms:Decrypt/);
    } finally {
      delete sandbox.faults.accessDenied;
    }
  }, 60_000);

  it('names a log file that cannot be read and exits 1, or 0 with --allow-partial', async () => {
    // A file of the window that holds uses of the key, delivered cut off.
    const s3 = new S3Client({ region: 'us-east-1', endpoint: sandbox.url, forcePathStyle: true, credentials: SANDBOX_CREDENTIALS });
    const arn = (JSON.parse((await keywarden(['usage', KEY, '--days', '2', '--json'])).stdout) as Doc).key.arn;
    let victim: string | undefined;
    for (const back of [1, 2]) {
      const d = new Date(NOW - back * DAY);
      const prefix = `management/AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/`;
      for (const item of (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []) {
        if (victim || item.LastModified!.getTime() <= NOW - 2 * DAY + 600_000) continue;
        const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: item.Key! }));
        if (gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8').includes(arn)) victim = item.Key!;
      }
    }
    s3.destroy();
    expect(victim).toBeDefined();
    const whole = JSON.parse((await keywarden(['usage', KEY, '--days', '2', '--cloudtrail-s3', '--json'])).stdout) as Doc;
    sandbox.faults.truncatedObjects = [victim!];
    try {
      const failed = await keywarden(['usage', KEY, '--days', '2', '--cloudtrail-s3']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/Incomplete\s+1 of \d+ log files could not be read/);
      expect(failed.stdout).toContain(`s3://${BUCKET}/${victim}: truncated or corrupt gzip`);
      const partial = await keywarden(['usage', KEY, '--days', '2', '--cloudtrail-s3', '--allow-partial', '--json']);
      expect(partial.code).toBe(0);
      const doc = JSON.parse(partial.stdout) as Doc;
      expect(doc.unreadable).toEqual([{ name: `s3://${BUCKET}/${victim}`, reason: expect.stringMatching(/^truncated or corrupt gzip/) }]);
      expect(doc.summary!.total).toBeLessThan(whole.summary!.total);
    } finally {
      delete sandbox.faults.truncatedObjects;
    }
  }, 120_000);
});

describe('keywarden usage --cloudtrail-s3 on an organization trail', () => {
  it('finds the account under AWSLogs/<org-id>/ and reads only its day folders there', async () => {
    const org = await startSandbox({ port: 0, now: () => new Date(NOW), organizationId: 'o-a1b2c3d4e5' });
    try {
      const out = await runKeywarden(['usage', KEY, '--days', '1', '--cloudtrail-s3', '--json', '--endpoint-url', org.url], {
        AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
        KEYWARDEN_HOME: mkdtempSync(join(tmpdir(), 'kw-usage-s3-org-')),
      }, 60_000);
      expect(out.code).toBe(0);
      const doc = JSON.parse(out.stdout) as Doc;
      expect(doc.progress.pages).toBeGreaterThan(0);
      const prefixes = org.requests().filter((r) => r.service === 's3' && r.operation === 'ListObjectsV2').map((r) => (r.params as { Prefix: string }).Prefix);
      expect(prefixes[0]).toBe('management/AWSLogs/');
      expect(prefixes.slice(1).length).toBeGreaterThan(0);
      expect(prefixes.slice(1).every((p) => p.startsWith(`management/AWSLogs/o-a1b2c3d4e5/${ACCOUNT}/CloudTrail/us-east-1/`))).toBe(true);
    } finally {
      await org.close();
    }
  }, 60_000);
});
