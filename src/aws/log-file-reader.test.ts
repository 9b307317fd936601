import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readLogBytes, RecordSplitter } from './log-file-reader.js';

const ACCOUNT = '111122223333';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const REPLICA = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab`;

const record = (id: string, time: string, arn = KEY, extra: object = {}) => ({
  eventVersion: '1.09',
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
  ...extra,
});

const file = (records: unknown[]) => Buffer.from(JSON.stringify({ Records: records }));

function split(bytes: Buffer, chunkSize: number): string[] {
  const out: string[] = [];
  const splitter = new RecordSplitter((r) => out.push(r.toString('utf8')));
  for (let at = 0; at < bytes.length; at += chunkSize) splitter.feed(bytes.subarray(at, at + chunkSize));
  splitter.finish();
  return out;
}

describe('RecordSplitter', () => {
  // Strings that look like structure, escapes of every kind, non-ASCII: what a chunk edge can cut.
  const tricky = [
    record('a', '2026-11-22T10:00:00Z', KEY, { errorMessage: 'quote " brace } bracket ] backslash \\ end\\', userAgent: '{"not":"a record"}' }),
    record('b', '2026-11-22T10:00:01Z', OTHER, { requestParameters: { encryptionContext: { 'ünïcødé': '✓ \\"', nested: '[[{{' } } }),
    record('c', '2026-11-22T10:00:02Z', KEY, { additionalEventData: { list: [1, [2, { x: '\\\\' }], []] } }),
  ];
  const bytes = Buffer.from(`  {\n "Records" : [ ${tricky.map((r) => JSON.stringify(r, null, 1)).join(' ,\n')} ] }\n`);

  it('finds every record whole, wherever the chunks are cut', () => {
    const whole = split(bytes, bytes.length);
    expect(whole.map((r) => JSON.parse(r) as unknown)).toEqual(tricky);
    for (const size of [1, 2, 3, 5, 7, 64]) expect(split(bytes, size)).toEqual(whole);
  });

  it.each([
    ['another document', '{"Foo":[{"a":1}]}', /not a CloudTrail log file/],
    ['a digest file', JSON.stringify({ awsAccountId: ACCOUNT, digestStartTime: '2026-11-22T00:00:00Z', logFiles: [] }), /not a CloudTrail log file/],
    ['a truncated array', '{"Records":[{"eventID":"a"},{"eventID":', /truncated/],
    ['garbage between records', '{"Records":[{"a":1} x {"b":2}]}', /bad JSON/],
    ['a member after the records', '{"Records":[],"More":1}', /bad JSON/],
    ['a second document', '{"Records":[]} {"Records":[]}', /after the end of the document/],
    ['an empty file', '', /empty file/],
  ])('refuses %s', (_name, text, reason) => {
    expect(() => split(Buffer.from(text), 3)).toThrow(reason);
  });

  it('accepts an empty trail file', () => {
    expect(split(Buffer.from('{"Records":[]}'), 4)).toEqual([]);
  });
});

describe('readLogBytes', () => {
  const records = [record('e1', '2026-11-22T10:00:00Z'), record('e2', '2026-11-22T11:00:00Z', OTHER), record('e3', '2026-11-22T12:00:00Z', KEY, { errorCode: 'DisabledException' })];

  it('counts the key in a gzipped file, and the span of every record', async () => {
    const outcome = await readLogBytes(gzipSync(file(records)), { keyArn: KEY });
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.records).toBe(3);
    expect(outcome.jsonBytes).toBe(file(records).length);
    expect(new Date(outcome.firstMs).toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(new Date(outcome.lastMs).toISOString()).toBe('2026-11-22T12:00:00.000Z');
    expect([...outcome.accumulators.keys()]).toEqual([KEY]);
    expect(outcome.accumulators.get(KEY)).toMatchObject({ total: 2, failed: 1 });
  });

  it('reads plain JSON too, and counts only inside its bounds', async () => {
    const outcome = await readLogBytes(file(records), { keyArn: KEY, start: Date.parse('2026-11-22T11:30:00Z') });
    expect(outcome.ok && outcome.accumulators.get(KEY)?.total).toBe(1);
  });

  it('a key id counts each key ARN that ends in it separately', async () => {
    const outcome = await readLogBytes(gzipSync(file([...records, record('e4', '2026-11-22T13:00:00Z', REPLICA)])), { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' });
    if (!outcome.ok) throw new Error(outcome.reason);
    expect([...outcome.accumulators.keys()].sort()).toEqual([REPLICA, KEY].sort());
    expect(outcome.accumulators.get(KEY)?.total).toBe(2);
  });

  it('names what is wrong with a file it cannot read', async () => {
    const gz = gzipSync(file(records));
    const truncated = await readLogBytes(gz.subarray(0, gz.length - 20), { keyArn: KEY });
    expect(truncated).toMatchObject({ ok: false, reason: expect.stringMatching(/^truncated or corrupt gzip \(unexpected end of file\)/) });
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 30, 60);
    expect(await readLogBytes(corrupt, { keyArn: KEY })).toMatchObject({ ok: false, reason: expect.stringMatching(/^truncated or corrupt gzip/) });
    const badRecord = Buffer.from(file(records).toString().replace('"eventName":"Decrypt"', '"eventName":Decrypt'));
    expect(await readLogBytes(gzipSync(badRecord), { keyArn: KEY })).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad JSON in record 1/) });
    expect(await readLogBytes(gzipSync('{"hello":"world"}'), { keyArn: KEY })).toMatchObject({ ok: false, reason: 'not a CloudTrail log file (no "Records" array)' });
  });
});
