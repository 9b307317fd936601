// S3 in the sandbox, through the real @aws-sdk/client-s3 over HTTP: the trail's bucket, path-style
// and virtual-hosted addressing, ListObjectsV2 paging (prefix, delimiter, start-after,
// continuation tokens, max-keys), GetObject / HeadObject and S3's errors (XML bodies; HEAD errors
// without one), access decided by the caller's identity policy, SlowDown at the request-rate quota.

import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { failure, openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const BUCKET = `aws-cloudtrail-logs-${ACCOUNT}-3f1c9a2b`;
const ROOT = `management/AWSLogs/${ACCOUNT}/CloudTrail/`;

/** Resolves every host name to loopback, so `<bucket>.localhost` reaches the sandbox. */
const loopback = new http.Agent({
  lookup: ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
    options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)) as unknown as http.AgentOptions['lookup'],
});

let h: Harness;
const made: S3Client[] = [];

function s3(options: { pathStyle?: boolean; region?: string; accessKeyId?: string } = {}): S3Client {
  const port = new URL(h.sandbox.url).port;
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    // An IP endpoint is always addressed path-style by the SDK; `localhost` with forcePathStyle
    // false gets `<bucket>.localhost` (virtual-hosted).
    endpoint: options.pathStyle === false ? `http://localhost:${port}` : h.sandbox.url,
    forcePathStyle: options.pathStyle !== false,
    credentials: { ...SANDBOX_CREDENTIALS, ...(options.accessKeyId ? { accessKeyId: options.accessKeyId } : {}) },
    maxAttempts: 1,
    requestHandler: { httpAgent: loopback },
  });
  made.push(client);
  return client;
}

async function listAll(client: S3Client, input: Omit<ListObjectsV2CommandInput, 'Bucket'>): Promise<{ keys: string[]; prefixes: string[]; pages: ListObjectsV2CommandOutput[] }> {
  const pages: ListObjectsV2CommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, ...input, ...(token ? { ContinuationToken: token } : {}) }));
    pages.push(page);
    token = page.NextContinuationToken;
  } while (token);
  return { keys: pages.flatMap((p) => (p.Contents ?? []).map((c) => c.Key!)), prefixes: pages.flatMap((p) => (p.CommonPrefixes ?? []).map((c) => c.Prefix!)), pages };
}

function dayPrefix(time: number, region = 'us-east-1'): string {
  const d = new Date(time);
  return `${ROOT}${region}/${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/`;
}

beforeAll(async () => {
  h = await openHarness();
});

afterAll(async () => {
  for (const client of made) client.destroy();
  await h.close();
});

describe('sandbox S3: the trail bucket', () => {
  it('lists a day of log files path-style and virtual-hosted alike, in key order, with sizes and ETags', async () => {
    const prefix = dayPrefix(h.sandbox.now().getTime() - 2 * 86_400_000);
    const pathStyle = await listAll(s3(), { Prefix: prefix });
    const virtual = await listAll(s3({ pathStyle: false }), { Prefix: prefix });
    expect(pathStyle.keys.length).toBeGreaterThan(10);
    expect(virtual.keys).toEqual(pathStyle.keys);
    expect([...pathStyle.keys].sort()).toEqual(pathStyle.keys);
    for (const key of pathStyle.keys) expect(key).toMatch(new RegExp(`^${prefix}${ACCOUNT}_CloudTrail_us-east-1_\\d{8}T\\d{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$`));
    const first = pathStyle.pages[0]!.Contents![0]!;
    expect(first.Size).toBeGreaterThan(20);
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.StorageClass).toBe('STANDARD');
    expect(pathStyle.pages[0]!.KeyCount).toBe(pathStyle.pages[0]!.Contents!.length);
  });

  it('pages with max-keys and continuation tokens, and resumes after start-after', async () => {
    const prefix = dayPrefix(h.sandbox.now().getTime() - 3 * 86_400_000);
    const whole = await listAll(s3(), { Prefix: prefix });
    const paged = await listAll(s3(), { Prefix: prefix, MaxKeys: 7 });
    expect(paged.keys).toEqual(whole.keys);
    expect(paged.pages.length).toBe(Math.ceil(whole.keys.length / 7));
    expect(paged.pages.slice(0, -1).every((p) => p.IsTruncated === true && p.KeyCount === 7 && p.MaxKeys === 7)).toBe(true);
    expect(paged.pages.at(-1)!.IsTruncated).toBe(false);
    const after = await listAll(s3(), { Prefix: prefix, StartAfter: whole.keys[4] });
    expect(after.keys).toEqual(whole.keys.slice(5));
    expect(after.pages[0]!.StartAfter).toBe(whole.keys[4]);
    // More than 1,000 asked for: at most 1,000 come back.
    const big = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${ROOT}us-east-1/`, MaxKeys: 5000 }));
    expect(big.Contents!.length).toBe(1000);
    expect(big.IsTruncated).toBe(true);
    const none = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, MaxKeys: 0 }));
    expect(none.KeyCount).toBe(0);
    expect(none.IsTruncated).toBe(false);
  });

  it('rolls keys up to common prefixes with a delimiter, across pages', async () => {
    const top = await listAll(s3(), { Delimiter: '/' });
    expect(top.prefixes).toEqual(['management/']);
    expect(top.keys).toEqual([]);
    const regions = await listAll(s3(), { Prefix: ROOT, Delimiter: '/' });
    expect(regions.prefixes).toContain(`${ROOT}us-east-1/`);
    const now = h.sandbox.now();
    const months = await listAll(s3(), { Prefix: `${ROOT}us-east-1/${now.getUTCFullYear()}/`, Delimiter: '/', MaxKeys: 1 });
    expect(months.prefixes.length).toBeGreaterThanOrEqual(1);
    expect(months.pages.every((p) => (p.CommonPrefixes ?? []).length <= 1)).toBe(true);
    expect(new Set(months.prefixes).size).toBe(months.prefixes.length);
    const days = await listAll(s3(), { Prefix: `${ROOT}us-east-1/`, Delimiter: '/', MaxKeys: 2 });
    expect(days.prefixes.every((p) => /\/us-east-1\/\d{4}\/$/.test(p))).toBe(true);
  });

  it('gets a log file: gzipped {"Records": [...]} with ETag, Content-Length and Last-Modified; HeadObject agrees; a Range is served', async () => {
    const prefix = dayPrefix(h.sandbox.now().getTime() - 86_400_000);
    const listed = (await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, MaxKeys: 1 }))).Contents![0]!;
    const got = await s3({ pathStyle: false }).send(new GetObjectCommand({ Bucket: BUCKET, Key: listed.Key! }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(listed.Size);
    expect(got.ContentLength).toBe(listed.Size);
    expect(got.ETag).toBe(listed.ETag);
    expect(got.LastModified!.getTime()).toBe(Math.floor(listed.LastModified!.getTime() / 1000) * 1000);
    const doc = JSON.parse(gunzipSync(bytes).toString('utf8')) as { Records: Array<{ eventTime: string; awsRegion: string }> };
    expect(doc.Records.length).toBeGreaterThan(0);
    // Every record is from the five minutes before the delivery time in the name.
    const stamp = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(listed.Key!)!;
    const delivered = Date.UTC(+stamp[1]!, +stamp[2]! - 1, +stamp[3]!, +stamp[4]!, +stamp[5]!);
    for (const record of doc.Records) {
      expect(Date.parse(record.eventTime)).toBeLessThan(delivered);
      expect(Date.parse(record.eventTime)).toBeGreaterThanOrEqual(delivered - 5 * 60_000);
      expect(record.awsRegion).toBe('us-east-1');
    }
    const head = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: listed.Key! }));
    expect(head.ContentLength).toBe(listed.Size);
    expect(head.ETag).toBe(listed.ETag);
    const part = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: listed.Key!, Range: 'bytes=0-9' }));
    expect(Buffer.from(await part.Body!.transformToByteArray())).toEqual(bytes.subarray(0, 10));
    expect(part.ContentRange).toBe(`bytes 0-9/${bytes.length}`);
    await s3().send(new HeadBucketCommand({ Bucket: BUCKET }));
  });
});

describe('sandbox S3: errors', () => {
  it('NoSuchBucket and NoSuchKey with XML bodies; HEAD errors without one', async () => {
    expect(await failure(s3().send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-here' })))).toMatchObject({ name: 'NoSuchBucket', message: 'The specified bucket does not exist', status: 404 });
    expect(await failure(s3({ pathStyle: false }).send(new GetObjectCommand({ Bucket: BUCKET, Key: `${ROOT}us-east-1/2020/01/01/nothing.json.gz` })))).toMatchObject({
      name: 'NoSuchKey',
      message: 'The specified key does not exist.',
      status: 404,
    });
    // HEAD errors have no body: the SDK names them by status.
    expect(await failure(s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nothing' })))).toMatchObject({ name: 'NotFound', status: 404 });
    const raw = await fetch(`${h.sandbox.url}/${BUCKET}/nothing`, { method: 'GET', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAKEYWARDENSANDBOX/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' } });
    expect(raw.status).toBe(404);
    expect(raw.headers.get('content-type')).toBe('application/xml');
    const body = await raw.text();
    expect(body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>nothing<\/Key><RequestId>[0-9A-F]{16}<\/RequestId><HostId>/);
    const head = await fetch(`${h.sandbox.url}/${BUCKET}/nothing`, { method: 'HEAD', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAKEYWARDENSANDBOX/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' } });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe('');
  });

  it('InvalidArgument for a bad max-keys or continuation token', async () => {
    const base = `${h.sandbox.url}/${BUCKET}?list-type=2`;
    const auth = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAKEYWARDENSANDBOX/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' };
    for (const [query, message, argument] of [
      ['&max-keys=abc', 'Provided max-keys not an integer or within integer range', 'max-keys'],
      ['&max-keys=-1', 'Argument maxKeys must be an integer between 0 and 2147483647', 'maxKeys'],
      ['&continuation-token=bm9wZQ', 'The continuation token provided is incorrect', 'continuation-token'],
    ] as const) {
      const answer = await fetch(`${base}${query}`, { headers: auth });
      expect(answer.status).toBe(400);
      const text = await answer.text();
      expect(text).toContain(`<Code>InvalidArgument</Code><Message>${message}</Message><ArgumentName>${argument}</ArgumentName>`);
    }
    expect(await failure(s3().send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'bm9wZQ' })))).toMatchObject({ name: 'InvalidArgument', status: 400 });
  });

  it('AccessDenied by the identity policy: the auditor may not list the bucket nor get objects; another account gets "Access Denied"', async () => {
    const auditor = s3({ accessKeyId: 'AKIAKEYWARDENAUDITOR' });
    const denied = await failure(auditor.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: ROOT })));
    expect(denied).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/KeywardenAuditor/auditor is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::${BUCKET}" because no identity-based policy allows the s3:ListBucket action`,
    });
    const key = (await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${ROOT}us-east-1/`, MaxKeys: 1 }))).Contents![0]!.Key!;
    expect((await failure(auditor.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })))).message).toContain(`s3:GetObject on resource: "arn:aws:s3:::${BUCKET}/${key}"`);
    expect(await failure(s3({ accessKeyId: 'AKIAKEYWARDENPARTNER' }).send(new ListObjectsV2Command({ Bucket: BUCKET })))).toMatchObject({ name: 'AccessDenied', message: 'Access Denied' });
    // HEAD refused: 403 without a body.
    expect(await failure(s3({ accessKeyId: 'AKIAKEYWARDENAPPROLE' }).send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).toMatchObject({ status: 403 });
  });

  it("takes kms:Decrypt on the trail's key to read an object (SSE-KMS), not to HEAD it", async () => {
    const key = (await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${ROOT}us-east-1/`, MaxKeys: 1 }))).Contents![0]!.Key!;
    const keyArn = (await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).SSEKMSKeyId!;
    expect(keyArn).toBe(await h.arn('alias/cloudtrail/management-events'));
    h.sandbox.faults.accessDenied = [{ key: keyArn, operations: ['Decrypt'] }];
    try {
      const denied = await failure(s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key })));
      expect(denied).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(denied.message).toContain('kms:Decrypt');
      await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    } finally {
      delete h.sandbox.faults.accessDenied;
    }
    await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  it('names the bucket Region to a request signed for another Region; the SDK follows it', async () => {
    const wrong = await failure(s3({ region: 'eu-west-1' }).send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1 })));
    expect(wrong).toMatchObject({ name: 'PermanentRedirect', status: 301 });
    const port = new URL(h.sandbox.url).port;
    const following = new S3Client({ region: 'eu-west-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: SANDBOX_CREDENTIALS, followRegionRedirects: true, maxAttempts: 1 });
    made.push(following);
    expect((await following.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1 }))).KeyCount).toBe(1);
  });

  it('answers SlowDown (503) beyond 5,500 GET/HEAD requests a second on the bucket', async () => {
    const sandbox = await openHarness({ quotaScale: 0.0002 }); // 1.1 requests a second
    try {
      const client = new S3Client({ region: 'us-east-1', endpoint: sandbox.sandbox.url, forcePathStyle: true, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
      made.push(client);
      const started = performance.now();
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.send(new HeadBucketCommand({ Bucket: BUCKET }))));
      const seconds = (performance.now() - started) / 1000;
      const passed = results.filter((r) => r.status === 'fulfilled').length;
      // One request's worth in the bucket, refilled at 1.1 a second while the burst arrives.
      expect(passed).toBeGreaterThanOrEqual(1);
      expect(passed).toBeLessThanOrEqual(2 + Math.ceil(seconds * 1.1));
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(503);
      const list = await failure(Promise.all(Array.from({ length: 5 }, () => client.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1 })))));
      expect(list).toMatchObject({ name: 'SlowDown', message: 'Please reduce your request rate.', status: 503 });
    } finally {
      await sandbox.close();
    }
  });
});
