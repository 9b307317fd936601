// The log-object pipeline with its real worker threads (the built dist/aws/log-worker.js, built
// before the tests by test/helpers/build-once.ts): the delivery layouts, digest files,
// pruning before a file is opened, unreadable files named, duplicates and overlapping trails.

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLogFiles, readCloudTrailFiles } from '../../src/aws/cloudtrail-files.js';
import { summarizeLogObjects, type LogObject } from '../../src/aws/log-objects.js';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const ORG = 'o-a1b2c3d4e5';
const ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${ID}`;
const REPLICA = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${ID}`;
const OTHER_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab`;

const record = (id: string, time: string, arn = KEY, extra: object = {}) => ({
  eventVersion: '1.09',
  userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
  eventTime: time,
  eventSource: 'kms.amazonaws.com',
  eventName: 'Decrypt',
  awsRegion: /:kms:([a-z0-9-]+):/.exec(arn)![1],
  requestParameters: { encryptionContext: { 'aws:ebs:id': `vol-${id}` } },
  responseElements: null,
  eventID: id,
  readOnly: true,
  resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: arn }],
  eventType: 'AwsApiCall',
  ...extra,
});
const gz = (records: unknown[]) => gzipSync(JSON.stringify({ Records: records }));

/** `AWSLogs/[org/]<account>/CloudTrail/<region>/yyyy/mm/dd/<name>` for a delivery time. */
function logPath(delivered: string, options: { account?: string; region?: string; org?: boolean; prefix?: string; unique?: string } = {}): string {
  const account = options.account ?? ACCOUNT;
  const region = options.region ?? 'us-east-1';
  const [date, time] = delivered.split('T') as [string, string];
  const [y, m, d] = date.split('-');
  const stamp = `${y}${m}${d}T${time.slice(0, 2)}${time.slice(3, 5)}Z`;
  return path.join(options.prefix ?? '', 'AWSLogs', ...(options.org ? [ORG] : []), account, 'CloudTrail', region, y!, m!, d!, `${account}_CloudTrail_${region}_${stamp}_${options.unique ?? 'Mu0KsOhtH1ar15ZZ'}.json.gz`);
}

describe('a local tree of trail files', () => {
  let dir: string;
  const put = async (relative: string, bytes: Uint8Array | string) => {
    await mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await writeFile(path.join(dir, relative), bytes);
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kw-log-objects-'));
    // The account's own trail, and an organization trail's copy of another account.
    await put(logPath('2026-03-01T10:05'), gz([record('a1', '2026-03-01T10:01:00Z'), record('a2', '2026-03-01T10:02:00Z', OTHER_KEY)]));
    await put(logPath('2026-03-02T08:00', { org: true, prefix: 'org-trail' }), gz([record('a3', '2026-03-02T07:55:00Z', KEY, { errorCode: 'AccessDeniedException' })]));
    await put(logPath('2026-03-03T00:02'), gz([record('a4', '2026-03-02T23:59:00Z')])); // delivered the next day
    // Digest files: skipped, counted, never errors.
    await put(`AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2026/03/01/${ACCOUNT}_CloudTrail-Digest_us-east-1_management_us-east-1_20260301T100000Z.json.gz`, gzipSync('{"awsAccountId":"111122223333"}'));
    // Unreadable, in the window: a truncated gzip, a record that is not JSON, a file that is not a log.
    const whole = gz([record('a5', '2026-03-02T12:00:00Z')]);
    await put(logPath('2026-03-02T12:05', { unique: 'TRUNCATEDxxxxxxx' }), whole.subarray(0, whole.length - 12));
    await put(logPath('2026-03-02T12:10', { unique: 'BADJSONxxxxxxxxx' }), gzipSync(`{"Records":[${JSON.stringify(record('a6', '2026-03-02T12:07:00Z')).replace('"eventName":"Decrypt"', '"eventName":Decrypt')}]}`));
    await put('notes.txt', 'copied from the bucket on Monday');
    // Never opened: another account, another Region, a day long before the window (all corrupt on purpose).
    await put(logPath('2026-03-01T10:05', { account: OTHER_ACCOUNT, unique: 'OTHERACCOUNTxxxx' }), 'not gzip');
    await put(logPath('2026-03-01T10:05', { region: 'eu-west-1', unique: 'OTHERREGIONxxxxx' }), 'not gzip');
    await put(logPath('2025-12-31T23:55', { unique: 'LASTYEARxxxxxxxx' }), 'not gzip');
    await put('.DS_Store', 'not a log');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads both layouts in worker threads, skips digests, and names every file it cannot read', async () => {
    const listed = await listLogFiles(dir, { account: ACCOUNT, region: 'us-east-1', start: Date.parse('2026-02-01T00:00:00Z') });
    expect(listed.dirsPruned).toBe(3); // the other account, the other Region, last year
    expect(listed.dirsOutsideWindow).toBe(1); // last year
    const result = await summarizeLogObjects(listed.files, { keyArn: KEY, workers: 2 });
    expect(result.summary).toMatchObject({ total: 3, failed: 1, lastUse: { eventId: 'a4' } });
    expect(result.window).toEqual({ start: '2026-03-01T10:01:00.000Z', end: '2026-03-02T23:59:00.000Z' });
    expect(result.recordsSpan).toEqual({ first: '2026-03-01T10:01:00.000Z', last: '2026-03-02T23:59:00.000Z' });
    expect(result.digestFilesSkipped).toBe(1);
    expect(result.records).toBe(4);
    expect(result.unreadable.map((u) => [path.basename(u.name), u.reason.replace(/ \(.*|:.*/, '')])).toEqual([
      [`${ACCOUNT}_CloudTrail_us-east-1_20260302T1205Z_TRUNCATEDxxxxxxx.json.gz`, 'truncated or corrupt gzip'],
      [`${ACCOUNT}_CloudTrail_us-east-1_20260302T1210Z_BADJSONxxxxxxxxx.json.gz`, 'bad JSON in record 1'],
      ['notes.txt', 'not a CloudTrail log file'],
    ]);
    // The same evidence read in this thread: the same summary.
    const inThread = await summarizeLogObjects(listed.files, { keyArn: KEY, workers: 0 });
    expect(inThread.summary).toEqual(result.summary);
  });

  it('the Usage tab reads the same files for a window ending now', async () => {
    const state = await readCloudTrailFiles(dir, KEY, { window: { days: 1 }, now: new Date('2026-03-03T00:00:00Z') });
    expect(state.summary).toMatchObject({ total: 2, window: { days: 1, start: '2026-03-02T00:00:00.000Z' } });
    expect(state.incomplete).toMatch(/^3 log files could not be read/);
    expect(state.evidence.dirsPruned).toBeGreaterThanOrEqual(3);
  });
});

describe('symbolic links in a local tree', () => {
  it('follows links to files and directories, names a broken one, and walks a loop once', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'kw-log-links-'));
    try {
      const at = (relative: string) => path.join(root, 'tree', relative);
      const realFile = path.join(root, 'elsewhere', 'real.json.gz');
      await mkdir(path.dirname(realFile), { recursive: true });
      await writeFile(realFile, gz([record('l1', '2026-03-01T10:01:00Z')]));
      const day = path.dirname(at(logPath('2026-03-01T10:05')));
      await mkdir(day, { recursive: true });
      await writeFile(at(logPath('2026-03-01T10:05')), gz([record('l0', '2026-03-01T10:00:00Z')]));
      // A file that is a link (as a synced copy or a deduplicating backup leaves them).
      await symlink(realFile, at(logPath('2026-03-01T10:10', { unique: 'LINKEDxxxxxxxxxx' })));
      // A link whose target is gone.
      await symlink(path.join(root, 'gone.json.gz'), at(logPath('2026-03-01T10:15', { unique: 'BROKENxxxxxxxxxx' })));
      // A directory linked into the tree, and a link back up to the tree's root (a loop).
      const otherDay = path.join(root, 'more', 'day');
      await mkdir(otherDay, { recursive: true });
      await writeFile(path.join(otherDay, path.basename(logPath('2026-03-01T10:20', { unique: 'INLINKEDDIRxxxxx' }))), gz([record('l2', '2026-03-01T10:19:00Z')]));
      await symlink(otherDay, path.join(day, 'more'));
      await symlink(path.join(root, 'tree'), path.join(day, 'loop'));

      const listed = await listLogFiles(path.join(root, 'tree'));
      expect(listed.files.map((f) => path.basename(f.name))).toEqual([
        path.basename(logPath('2026-03-01T10:05')),
        path.basename(logPath('2026-03-01T10:10', { unique: 'LINKEDxxxxxxxxxx' })),
        path.basename(logPath('2026-03-01T10:15', { unique: 'BROKENxxxxxxxxxx' })),
        path.basename(logPath('2026-03-01T10:20', { unique: 'INLINKEDDIRxxxxx' })),
      ]);
      const result = await summarizeLogObjects(listed.files, { keyArn: KEY, workers: 0 });
      expect(result.summary?.total).toBe(3);
      expect(result.unreadable).toEqual([{ name: at(logPath('2026-03-01T10:15', { unique: 'BROKENxxxxxxxxxx' })), reason: `cannot be read: a symbolic link to ${path.join(root, 'gone.json.gz')}, which does not exist` }]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('summarizeLogObjects', () => {
  /** An object whose reading is recorded (or refused, for one that must never be opened). */
  const object = (name: string, bytes: Uint8Array, opened: string[], mustNotOpen = false): LogObject => ({
    name,
    size: bytes.length,
    read: async () => {
      if (mustNotOpen) throw new Error(`${name} was opened`);
      opened.push(name);
      return bytes;
    },
  });

  it('prunes by name before opening: account, Region, window, digest', async () => {
    const opened: string[] = [];
    const inside = gz([record('b1', '2026-03-10T09:00:00Z')]);
    const objects = [
      object(logPath('2026-03-10T09:05'), inside, opened),
      object(logPath('2026-03-10T09:05', { account: OTHER_ACCOUNT }), inside, opened, true),
      object(logPath('2026-03-10T09:05', { region: 'eu-west-1' }), inside, opened, true),
      object(logPath('2026-03-08T23:50'), inside, opened, true), // delivered before the window starts
      object(logPath('2026-03-13T00:00'), inside, opened, true), // delivered more than a day after it ends
      object(logPath('2026-03-11T08:00'), gz([record('b2', '2026-03-10T23:59:00Z')]), opened), // late, still read
      object(`AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2026/03/10/${ACCOUNT}_CloudTrail-Digest_us-east-1_t_us-east-1_20260310T090000Z.json.gz`, inside, opened, true),
    ];
    async function* stream() {
      yield* objects;
    }
    const result = await summarizeLogObjects(stream(), { keyArn: KEY, start: Date.parse('2026-03-09T00:00:00Z'), end: Date.parse('2026-03-11T00:00:00Z'), workers: 1 });
    expect(result.unreadable).toEqual([]);
    expect(opened).toHaveLength(2);
    expect(result).toMatchObject({ filesRead: 2, filesPruned: 4, filesOutsideWindow: 2, digestFilesSkipped: 1, summary: { total: 2 } });
  });

  it('reads a file copied twice once, and says when two trails deliver the same account and Region', async () => {
    const a = gz([record('c1', '2026-03-10T09:00:00Z')]);
    const b = gz([record('c2', '2026-03-10T09:01:00Z')]);
    const result = await summarizeLogObjects(
      [
        { name: logPath('2026-03-10T09:05', { prefix: 'copy-1' }), read: async () => a },
        { name: logPath('2026-03-10T09:05', { prefix: 'copy-2' }), read: async () => a },
        { name: logPath('2026-03-10T09:06', { org: true, prefix: 'org', unique: 'ORGTRAILxxxxxxxx' }), read: async () => b },
      ],
      { keyArn: KEY, workers: 1 },
    );
    expect(result).toMatchObject({ filesRead: 2, duplicateFiles: 1, summary: { total: 2 } });
    expect(result.overlappingTrails).toEqual([{ account: ACCOUNT, region: 'us-east-1', trails: ['copy-1/AWSLogs', `org/AWSLogs/${ORG}`] }]);
  });

  it('a key id: resolved when the files name one key, all ARNs listed when they name several', async () => {
    const one = await summarizeLogObjects([{ name: 'one.json.gz', read: async () => gz([record('d1', '2026-03-10T09:00:00Z'), record('d2', '2026-03-10T09:00:00Z', OTHER_KEY)]) }], { keyArn: ID, workers: 1 });
    expect(one).toMatchObject({ keyArn: KEY, keyArns: [KEY], summary: { total: 1 } });
    const two = await summarizeLogObjects([{ name: 'two.json.gz', read: async () => gz([record('d1', '2026-03-10T09:00:00Z'), record('d3', '2026-03-10T09:00:00Z', REPLICA)]) }], { keyArn: ID, workers: 1 });
    expect(two.keyArn).toBeUndefined();
    expect(two.summary).toBeUndefined();
    expect(two.keyArns).toEqual([REPLICA, KEY]);
  });

  it('names an object that cannot be fetched, and stops when asked', async () => {
    const failing = await summarizeLogObjects([{ name: 'gone.json.gz', read: async () => Promise.reject(new Error('NoSuchKey')) }], { keyArn: KEY, workers: 1 });
    expect(failing.unreadable).toEqual([{ name: 'gone.json.gz', reason: 'cannot be read: NoSuchKey' }]);
    const controller = new AbortController();
    const bytes = gz([record('e1', '2026-03-10T09:00:00Z')]);
    async function* endless() {
      for (let i = 0; ; i += 1) {
        if (i === 5) controller.abort();
        yield { name: `f${i}.json.gz`, read: async () => bytes };
      }
    }
    const stopped = await summarizeLogObjects(endless(), { keyArn: KEY, workers: 1 }, controller.signal);
    expect(stopped.stopped).toBe(true);
    expect(stopped.filesRead).toBe(5);
  });
});
