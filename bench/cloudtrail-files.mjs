// CloudTrail log files: how fast `keywarden usage KEY --cloudtrail-dir DIR` (offline, worker
// threads) summarises a key from gzip files in the S3 delivery layout, against `zcat | wc -c`
// (the floor: decompressing alone) and `zcat | jq` counting the same events (a reference).
// Generates the files once (kept in the system's temp directory, reused by later runs):
// 1,000,000 records by default, `--records 10000000` (or BENCH_RECORDS) for ten million; about
// 10 % of the records are for other keys and about 2 % are failed calls; a digest file per day.
// As a trail delivers them: each file holds at most an hour of records (at most 5,000) and is
// delivered 5 minutes after its last one — CloudTrail "publishes log files multiple times an
// hour, about every 5 minutes" and "typically delivers logs within an average of about 5 minutes
// of an API call" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
// Measures wall time, records/s, MB/s of JSON and peak RSS (/usr/bin/time -v). Never part of
// npm test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { now, printTable, ROOT, saveResult } from './lib.mjs';

const gzipAsync = promisify(gzip);
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
export const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const OTHERS = [1, 2, 3].map((n) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${n}${n}${n}${n}abcd-12ab-34cd-56ef-1234567890ab`);
const RECORDS_PER_FILE = 5_000;
const DAYS = 31;
/** The longest span of records in one file. */
const FILE_SPAN_MS = 3_600_000;
const START = Date.UTC(2026, 9, 1);

function argRecords() {
  const at = process.argv.indexOf('--records');
  const text = at >= 0 ? process.argv[at + 1] : process.env.BENCH_RECORDS;
  return text ? Number(text) : 1_000_000;
}

/** A deterministic pseudo-random sequence (the same files every time). */
function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const OPERATIONS = ['Decrypt', 'GenerateDataKey', 'Encrypt', 'Decrypt', 'Decrypt', 'GenerateDataKeyWithoutPlaintext', 'ReEncrypt', 'DescribeKey'];
const ROLES = ['PaymentsApi', 'LedgerWorker', 'ReportsBatch', 'Checkout', 'Backoffice'];

function record(rand, timeMs, n) {
  const other = rand() < 0.1;
  const arn = other ? OTHERS[Math.floor(rand() * OTHERS.length)] : KEY;
  const op = OPERATIONS[Math.floor(rand() * OPERATIONS.length)];
  const failed = rand() < 0.02;
  const role = ROLES[Math.floor(rand() * ROLES.length)];
  const time = new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const service = rand() < 0.3;
  const identity = service
    ? `{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}`
    : `{"type":"AssumedRole","principalId":"AROAEXAMPLE${role.toUpperCase()}:i-0${n.toString(16).padStart(8, '0')}","arn":"arn:aws:sts::${ACCOUNT}:assumed-role/${role}/i-0${n.toString(16).padStart(8, '0')}","accountId":"${ACCOUNT}","accessKeyId":"ASIAEXAMPLE${String(n % 100000).padStart(5, '0')}","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE${role.toUpperCase()}","arn":"arn:aws:iam::${ACCOUNT}:role/${role}","accountId":"${ACCOUNT}","userName":"${role}"},"webIdFederationData":{},"attributes":{"creationDate":"${time}","mfaAuthenticated":"false"}}}`;
  const context = service ? `{"aws:ebs:id":"vol-0${(n % 5000).toString(16).padStart(16, '0')}"}` : `{"aws:lambda:FunctionArn":"arn:aws:lambda:${REGION}:${ACCOUNT}:function:${role}"}`;
  const error = failed ? `"errorCode":"AccessDeniedException","errorMessage":"User: arn:aws:sts::${ACCOUNT}:assumed-role/${role}/x is not authorized to perform: kms:${op} on resource: ${arn} because no identity-based policy allows the kms:${op} action",` : '';
  const id = `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${(n * 7919).toString(16).padStart(12, '0').slice(-12)}`;
  return `{"eventVersion":"1.09","userIdentity":${identity},"eventTime":"${time}","eventSource":"kms.amazonaws.com","eventName":"${op}","awsRegion":"${REGION}","sourceIPAddress":"${service ? 'ec2.amazonaws.com' : `10.0.${n % 256}.${(n >> 8) % 256}`}","userAgent":"${service ? 'ec2.amazonaws.com' : 'aws-sdk-java/2.25.1 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9'}",${error}"requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":${context}},"responseElements":null,"requestID":"${id.replace(/^(.{8})/, 'aaaaaaaa')}","eventID":"${id}","readOnly":true,"resources":[{"accountId":"${ACCOUNT}","type":"AWS::KMS::Key","ARN":"${arn}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${ACCOUNT}","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_256_GCM_SHA384","clientProvidedHostHeader":"kms.${REGION}.amazonaws.com"}}`;
}

/** Generates the tree once; returns its directory, file list and JSON size. */
export async function generate(records) {
  // v2: files of at most an hour (the first trees held several hours per file).
  const dir = join(tmpdir(), `keywarden-bench-cloudtrail-v2-${records}`);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  rmSync(dir, { recursive: true, force: true });
  const spanMs = DAYS * 86_400_000;
  const files = Math.max(Math.ceil(records / RECORDS_PER_FILE), Math.ceil(spanMs / FILE_SPAN_MS));
  const rand = random(42);
  console.log(`generating ${records.toLocaleString('en')} records in ${files} files under ${dir} …`);
  let n = 0;
  const pending = [];
  for (let f = 0; f < files; f += 1) {
    const fileStart = START + Math.floor((f * spanMs) / files);
    const fileEnd = START + Math.floor(((f + 1) * spanMs) / files);
    const count = Math.floor(((f + 1) * records) / files) - n;
    const parts = [];
    for (let r = 0; r < count; r += 1) {
      parts.push(record(rand, fileStart + Math.floor(((fileEnd - fileStart) * r) / count), n));
      n += 1;
    }
    const delivered = new Date(fileEnd + 5 * 60_000);
    const y = delivered.getUTCFullYear();
    const m = String(delivered.getUTCMonth() + 1).padStart(2, '0');
    const d = String(delivered.getUTCDate()).padStart(2, '0');
    const stamp = `${y}${m}${d}T${String(delivered.getUTCHours()).padStart(2, '0')}${String(delivered.getUTCMinutes()).padStart(2, '0')}Z`;
    const folder = join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail', REGION, String(y), m, d);
    mkdirSync(folder, { recursive: true });
    const name = join(folder, `${ACCOUNT}_CloudTrail_${REGION}_${stamp}_${String(f).padStart(16, 'X')}.json.gz`);
    pending.push(gzipAsync(`{"Records":[${parts.join(',')}]}`).then((bytes) => writeFileSync(name, bytes)));
    if (pending.length >= 4) await pending.shift();
  }
  await Promise.all(pending);
  for (let day = 0; day <= DAYS; day += 1) {
    const date = new Date(START + day * 86_400_000);
    const [y, m, d] = date.toISOString().slice(0, 10).split('-');
    const folder = join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', REGION, y, m, d);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${ACCOUNT}_CloudTrail-Digest_${REGION}_management_${REGION}_${y}${m}${d}T000000Z.json.gz`), await gzipAsync('{"awsAccountId":"111122223333"}'));
  }
  writeFileSync(marker, new Date().toISOString());
  return dir;
}

function logFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'CloudTrail-Digest') walk(full);
      } else if (entry.name.endsWith('.json.gz')) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** Runs a shell command under /usr/bin/time -v: wall ms, peak RSS (MB), stdout. */
function timed(command, env = {}) {
  const haveTime = existsSync('/usr/bin/time');
  const start = now();
  const child = spawnSync(haveTime ? '/usr/bin/time' : 'sh', haveTime ? ['-v', 'sh', '-c', command] : ['-c', command], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = now() - start;
  if (child.status !== 0) throw new Error(`${command} failed (${child.status}): ${child.stderr.slice(-2000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr)?.[1];
  return { ms, rssMB: rss ? Number(rss) / 1024 : undefined, stdout: child.stdout };
}

const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function run() {
  const records = argRecords();
  const dir = await generate(records);
  const files = logFiles(dir);
  const compressed = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const list = join(dir, '.files');
  writeFileSync(list, files.join('\n'));
  // The floor: decompressing alone. xargs keeps the argument list within the system's limit.
  const floor = timed(`xargs zcat < ${quote(list)} | wc -c`);
  const jsonBytes = Number(floor.stdout.trim());
  const cli = join(ROOT, 'dist', 'cli.js');
  // Offline: no credentials, no region, and any endpoint refused (a closed port).
  const offline = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_REGION: '', AWS_PROFILE: '', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_EC2_METADATA_DISABLED: 'true' };
  const kw = timed(`${quote(process.execPath)} ${quote(cli)} usage ${KEY} --cloudtrail-dir ${quote(dir)} --json`, offline);
  const doc = JSON.parse(kw.stdout);
  const counted = doc.summary.total;
  const rows = [
    { tool: 'keywarden usage --cloudtrail-dir', ms: kw.ms, rssMB: kw.rssMB, events: counted },
    { tool: 'zcat | wc -c (floor)', ms: floor.ms, rssMB: floor.rssMB, events: '' },
  ];
  let jq;
  const haveJq = spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8' }).status === 0;
  if (haveJq && !process.argv.includes('--no-jq')) {
    jq = timed(`xargs zcat < ${quote(list)} | jq -n --arg arn ${KEY} 'reduce (inputs | .Records[] | select(any(.resources[]?; .ARN == $arn))) as $r (0; . + 1)'`);
    rows.push({ tool: 'zcat | jq (reference)', ms: jq.ms, rssMB: jq.rssMB, events: Number(jq.stdout.trim()) });
    if (Number(jq.stdout.trim()) !== counted) console.error(`warning: jq counted ${jq.stdout.trim()} events, keywarden ${counted}`);
  }
  const table = rows.map((r) => ({
    tool: r.tool,
    seconds: (r.ms / 1000).toFixed(1),
    'records/s': Math.round(records / (r.ms / 1000)).toLocaleString('en'),
    'JSON MB/s': (jsonBytes / 1e6 / (r.ms / 1000)).toFixed(0),
    'peak RSS MB': r.rssMB === undefined ? 'n/a' : r.rssMB.toFixed(0),
    events: r.events,
  }));
  const ratios = {
    vsJq: jq ? jq.ms / kw.ms : undefined,
    vsFloor: kw.ms / floor.ms,
  };
  printTable(
    `cloudtrail-files: ${records.toLocaleString('en')} records, ${files.length} files, ${(compressed / 1e6).toFixed(0)} MB gzip, ${(jsonBytes / 1e9).toFixed(2)} GB JSON` +
      ` — keywarden is ${ratios.vsJq ? `${ratios.vsJq.toFixed(1)}× faster than jq, ` : ''}${ratios.vsFloor.toFixed(2)}× the zcat floor`,
    table,
  );
  saveResult(records === 1_000_000 ? 'cloudtrail-files' : `cloudtrail-files-${records}`, { records, files: files.length, compressedBytes: compressed, jsonBytes, rows: table, ratios, filesRead: doc.evidence?.filesRead });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
