// `keywarden usage KEY --cloudtrail-dir DIR` end to end, offline: the built program with no
// credentials, no Region, and every AWS endpoint pointed at a closed port, reading a copy of a
// trail's bucket; the window from the evidence; unreadable files change the exit code.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUPS_KEPT, RESOURCES_KEPT, type UsageSummary } from '../../src/domain/usage.js';
import { runKeywarden, Terminal } from './terminal.js';

const ACCOUNT = '111122223333';
const ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${ID}`;
const OTHER = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0000abcd-12ab-34cd-56ef-1234567890ab`;
const REPLICA = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${ID}`;

const record = (id: string, time: string, arn = KEY, extra: object = {}) => ({
  eventVersion: '1.09',
  userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/PaymentsApi/s-${id}`, sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${ACCOUNT}:role/PaymentsApi` } } },
  eventTime: time,
  eventSource: 'kms.amazonaws.com',
  eventName: 'Decrypt',
  awsRegion: /:kms:([a-z0-9-]+):/.exec(arn)![1],
  requestParameters: { encryptionContext: { PARTITION: 'payments' } },
  eventID: id,
  resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: arn }],
  ...extra,
});

/** Offline: no credentials, no Region, no profile, and any endpoint a closed port. */
const offline = (home: string) => ({ KEYWARDEN_HOME: home, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });

describe('keywarden usage --cloudtrail-dir, offline', () => {
  let root: string;
  let good: string;
  let broken: string;
  let home: string;
  const put = (tree: string, relative: string, bytes: Uint8Array | string) => {
    mkdirSync(dirname(join(tree, relative)), { recursive: true });
    writeFileSync(join(tree, relative), bytes);
  };
  const logName = (day: string, hhmm: string, region = 'us-east-1', unique = 'Mu0KsOhtH1ar15ZZ') =>
    `AWSLogs/${ACCOUNT}/CloudTrail/${region}/${day.replaceAll('-', '/')}/${ACCOUNT}_CloudTrail_${region}_${day.replaceAll('-', '')}T${hhmm}Z_${unique}.json.gz`;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'kw-usage-files-'));
    home = join(root, 'home');
    good = join(root, 'good');
    // A year-old copy of the trail: three days of use, other keys, a failure, a digest file.
    put(good, logName('2025-06-01', '1005'), gzipSync(JSON.stringify({ Records: [record('a1', '2025-06-01T10:00:00Z'), record('a2', '2025-06-01T10:01:00Z', OTHER)] })));
    put(good, logName('2025-06-02', '0905'), gzipSync(JSON.stringify({ Records: [record('a3', '2025-06-02T09:00:00Z', KEY, { errorCode: 'AccessDeniedException', errorMessage: 'denied' })] })));
    put(good, logName('2025-06-03', '0805'), gzipSync(JSON.stringify({ Records: [record('a4', '2025-06-03T08:00:00Z')] })));
    put(good, `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2025/06/03/${ACCOUNT}_CloudTrail-Digest_us-east-1_t_us-east-1_20250603T080000Z.json.gz`, gzipSync('{}'));
    // The same evidence, and a truncated file holding the key's last use.
    broken = join(root, 'broken');
    put(broken, logName('2025-06-01', '1005'), gzipSync(JSON.stringify({ Records: [record('a1', '2025-06-01T10:00:00Z')] })));
    put(broken, logName('2025-06-03', '0805', 'us-east-1', 'TRUNCATEDxxxxxxx'), gzipSync(JSON.stringify({ Records: [record('a4', '2025-06-03T08:00:00Z')] })).subarray(0, 30));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('summarises a key ARN from the files with no credentials and no network; the window is the span of the records', async () => {
    const out = await runKeywarden(['usage', KEY, '--cloudtrail-dir', good, '--json'], offline(home));
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as {
      offline: boolean;
      caller: string | null;
      account: string;
      key: { region: string };
      summary: { total: number; failed: number; window: { start: string; end: string }; lastUse: { time: string } };
      evidence: { complete: boolean; filesRead: number; digestFilesSkipped: number; records: number; unreadable: unknown[] };
    };
    expect(doc).toMatchObject({ offline: true, caller: null, account: ACCOUNT, key: { region: 'us-east-1' } });
    expect(doc.summary).toMatchObject({ total: 3, failed: 1, lastUse: { time: '2025-06-03T08:00:00Z' }, window: { start: '2025-06-01T10:00:00.000Z', end: '2025-06-03T08:00:00.000Z' } });
    expect(doc.evidence).toMatchObject({ complete: true, filesRead: 3, digestFilesSkipped: 1, records: 4, unreadable: [] });
  }, 60_000);

  it('--since / --until / --days narrow the window; bad values exit 2', async () => {
    const narrowed = await runKeywarden(['usage', KEY, '--cloudtrail-dir', good, '--since', '2025-06-02', '--until', '2025-06-02', '--json'], offline(home));
    expect(narrowed.code).toBe(0);
    expect(JSON.parse(narrowed.stdout)).toMatchObject({ summary: { total: 1, window: { start: '2025-06-02T00:00:00.000Z', end: '2025-06-02T23:59:59.999Z' } }, evidence: { filesOutsideWindow: 1 } });
    // What the dates in the paths left unread is said, not silent.
    const narrowedText = await runKeywarden(['usage', KEY, '--cloudtrail-dir', good, '--since', '2025-06-02', '--until', '2025-06-02'], offline(home));
    expect(narrowedText.stdout).toContain(', 1 file left unread, dated by name before the window or more than a day after it');
    // The last 24 hours of the evidence: up to the newest delivery the file names show (08:05).
    const lastDay = await runKeywarden(['usage', KEY, '--cloudtrail-dir', good, '--days', '1', '--json'], offline(home));
    expect(JSON.parse(lastDay.stdout)).toMatchObject({ summary: { total: 2, failed: 1, window: { start: '2025-06-02T08:05:00.000Z', end: '2025-06-03T08:05:00.000Z' } } });
    for (const args of [['--since', 'yesterday'], ['--until', '2025-02-30'], ['--since', '2025-06-03', '--until', '2025-06-01'], ['--days', '0']]) {
      const bad = await runKeywarden(['usage', KEY, '--cloudtrail-dir', good, ...args], offline(home));
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stdout).toBe('');
    }
    const withoutFiles = await runKeywarden(['usage', KEY, '--since', '2025-06-01'], offline(home));
    expect(withoutFiles.code).toBe(2);
    expect(withoutFiles.stderr).toContain('--since goes with --cloudtrail-dir');
  }, 60_000);

  it('a truncated file: the evidence is incomplete, the file is named, exit 1 unless --allow-partial', async () => {
    const out = await runKeywarden(['usage', KEY, '--cloudtrail-dir', broken], offline(home));
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/INCOMPLETE\s+1 file could not be read; none of its events are counted|INCOMPLETE\s+1 file could not be read; none of their events are counted/);
    expect(out.stdout).toContain('TRUNCATEDxxxxxxx.json.gz: truncated or corrupt gzip');
    const partial = await runKeywarden(['usage', KEY, '--cloudtrail-dir', broken, '--allow-partial', '--json'], offline(home));
    expect(partial.code).toBe(0);
    expect(JSON.parse(partial.stdout)).toMatchObject({ summary: { total: 1 }, evidence: { complete: false, unreadable: [{ reason: expect.stringMatching(/^truncated or corrupt gzip/) }] } });
  }, 60_000);

  it('a key id the files name once is enough; one they name for two keys exits 2 with both ARNs', async () => {
    const byId = await runKeywarden(['usage', ID, '--cloudtrail-dir', good, '--json'], offline(home));
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ key: { arn: KEY }, summary: { total: 3 } });
    const both = join(root, 'both');
    put(both, logName('2025-06-01', '1005'), gzipSync(JSON.stringify({ Records: [record('b1', '2025-06-01T10:00:00Z')] })));
    put(both, logName('2025-06-01', '1005', 'eu-west-1'), gzipSync(JSON.stringify({ Records: [record('b2', '2025-06-01T10:00:00Z', REPLICA)] })));
    const ambiguous = await runKeywarden(['usage', ID, '--cloudtrail-dir', both], offline(home));
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(KEY);
    expect(ambiguous.stderr).toContain(REPLICA);
  }, 60_000);

  it('one context per S3 object and one caller per event: a bounded summary, exact totals', async () => {
    // 20 files × 5,000 Decrypts, each of its own object in one of 4 buckets and by its own IAM user
    // (an SSE-KMS bucket without a Bucket Key, read by many users): nothing repeats.
    const tree = join(root, 'distinct');
    const perFile = 5_000;
    for (let f = 0; f < 20; f += 1) {
      const hour = String(f).padStart(2, '0');
      const records = Array.from({ length: perFile }, (_, r) => {
        const n = f * perFile + r;
        return {
          ...record(`d${n}`, `2025-06-01T${hour}:${String(r % 60).padStart(2, '0')}:00Z`),
          userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/reader-${n}` },
          requestParameters: { encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::archive-${n % 4}/2025/06/01/object-${n}.parquet` } },
          ...(n % 50 === 0 ? { errorCode: 'AccessDeniedException', errorMessage: 'denied' } : {}),
        };
      });
      put(tree, logName('2025-06-01', `${hour}05`, 'us-east-1', `DISTINCT${hour}xxxxxx`), gzipSync(JSON.stringify({ Records: records })));
    }
    const started = Date.now();
    const out = await runKeywarden(['usage', KEY, '--cloudtrail-dir', tree, '--json'], offline(home), 240_000);
    const seconds = (Date.now() - started) / 1000;
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    // What a run holds and prints does not grow with the objects or the users: well under a megabyte of JSON.
    expect(out.stdout.length).toBeLessThan(1_000_000);
    const doc = JSON.parse(out.stdout) as { summary: UsageSummary; dependents: unknown[] };
    const total = 20 * perFile;
    expect(doc.summary).toMatchObject({ total, failed: total / 50 });
    expect(doc.summary.contexts).toHaveLength(4);
    // Each bucket one group; its objects counted as distinct resources up to RESOURCES_KEPT ("at least").
    for (const bucket of doc.summary.contexts) expect(bucket).toMatchObject({ service: 'S3 bucket', count: total / 4, resources: RESOURCES_KEPT, resourcesCapped: true });
    expect(doc.summary.contextsOmitted).toBeUndefined();
    expect(doc.dependents).toHaveLength(4);
    expect(doc.summary.principals.length).toBe(GROUPS_KEPT);
    const listed = doc.summary.principals.reduce((n, p) => n + p.count, 0);
    expect(doc.summary.principalsOmitted).toMatchObject({ count: total - listed, groupsCapped: true });
    expect(doc.summary.principals.reduce((n, p) => n + p.failed, 0) + doc.summary.principalsOmitted!.failed).toBe(total / 50);
    // The text: one line per bucket, the callers cut at GROUPS_KEPT with the rest on one line.
    const text = await runKeywarden(['usage', KEY, '--cloudtrail-dir', tree], offline(home), 240_000);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').length).toBeLessThan(GROUPS_KEPT + 100);
    expect(text.stdout).toMatch(/S3 objects in arn:aws:s3:::archive-0 +\(10000\+ distinct\)/);
    expect(text.stdout).toMatch(/[\d,]+ more events \([\d,]+ failed\) from [\d,]+\+ other callers, not listed/);
    console.log(`distinct contexts and callers: ${total} records summarised in ${seconds.toFixed(1)} s`);
  }, 600_000);

  it('shows progress on stderr in a terminal', async () => {
    const raw = join(root, 'raw.out');
    writeFileSync(raw, '');
    const terminal = await Terminal.start({ args: ['usage', KEY, '--cloudtrail-dir', good], env: offline(home), rawOutputFile: raw });
    try {
      await terminal.waitFor('[exit:0]', 30_000);
      expect(readFileSync(raw, 'utf8')).toMatch(/files \d+\/3 · \d+ MB of JSON \(\d+ MB read\) · [\d,]+ records · [\d,]+ records\/s/);
      expect(await terminal.screen()).toContain('Last use        2025-06-03T08:00:00Z Decrypt by role PaymentsApi');
    } finally {
      await terminal.close();
    }
  }, 60_000);
});
