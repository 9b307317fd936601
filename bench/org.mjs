// Many accounts (--org) against the KMS request quotas, which the sandbox enforces per account and
// Region: 5 accounts × 3 Regions × BENCH_KEYS (default 1,000) generated keys, read through
// Organizations and an assumed role per account (KeywardenReadOnly, which every member has).
//
// - time to all rows / its floor. Each account × Region is bounded by its own quotas (AWS's are
//   per account and Region) and all are read side by side, so the floor is the slowest pair's: for
//   each operation the inventory calls there (ListKeys pages of 1,000, ListAliases pages of 100,
//   DescribeKey and ListResourceTags per key, GetKeyRotationStatus per customer key that can
//   rotate), the requests divided by the quota (src/aws/rate-limit.ts KMS_QUOTAS); the slowest.
//   Target ≤ 1.2.
// - peak RSS of the measured process (the client only: the sandbox runs in this process, the
//   client in a child). Target under 400 MB.
// - throttles caused (ThrottlingException answers in the sandbox's request log).
// - CPU time of the client (child) and of the sandbox (this process), per request too: on a shared
//   machine the wall time says more about the neighbours than about keywarden.
//
//   node bench/org.mjs            (after npm run build)
//
// BENCH_QUOTA_SCALE=0.05 scales the sandbox's quotas (and keywarden's pacing, as --quota-scale does)
// so that the quotas, not this machine's CPU, bind: rows/floor then measures keywarden's pacing.
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of the client (child) and of the sandbox (this process).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { KMS_QUOTAS } from '../dist/aws/rate-limit.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { now, printTable, saveResult } from './lib.mjs';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const PER_REGION = Number(process.env.BENCH_KEYS ?? 1000);
const QUOTA_SCALE = process.env.BENCH_QUOTA_SCALE ? Number(process.env.BENCH_QUOTA_SCALE) : undefined;
const CPU_PROF = process.env.BENCH_CPU_PROF;
// The management account and four members that have KeywardenReadOnly (legacy-archive is suspended).
const ACCOUNTS = ['111122223333', '222233334444', '333344445555', '555566667777', '888899990000'];

if (process.argv[2] === 'child') {
  // The measured client: connect (Organizations, AssumeRole per account) and load every row.
  const [url] = process.argv.slice(3);
  const { connect } = await import('../dist/app/connect.js');
  const { collectInventory } = await import('../dist/commands/inventory.js');
  const silent = { write: () => true, isTTY: false };
  const start = now();
  const cpuStart = process.cpuUsage();
  const connection = await connect({ regions: REGIONS, sandbox: false, readOnly: false, org: true, orgRole: 'KeywardenReadOnly', accounts: ACCOUNTS, endpointUrl: url, ...(QUOTA_SCALE !== undefined ? { sandboxQuotaScale: QUOTA_SCALE } : {}) });
  const { document } = await collectInventory(connection, { lastUse: false, progress: silent });
  const rowsMs = now() - start;
  const cpu = process.cpuUsage(cpuStart);
  await connection.close();
  const perPair = {};
  for (const key of document.keys) {
    const pair = `${key.accountId} ${key.region}`;
    perPair[pair] ??= { keys: 0, rotating: 0 };
    perPair[pair].keys += 1;
    if (key.metadata?.keyManager === 'CUSTOMER' && key.metadata.keySpec === 'SYMMETRIC_DEFAULT' && key.metadata.origin === 'AWS_KMS') perPair[pair].rotating += 1;
  }
  console.log(JSON.stringify({ rowsMs, keys: document.keys.length, errors: document.regionErrors.length, perPair, rssMB: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 }));
  process.exit(0);
}

function floorOf(perPair, aliasPagesOf) {
  let slowest = { pair: '', op: '', ms: 0 };
  for (const [pair, { keys, rotating }] of Object.entries(perPair)) {
    const ops = { ListKeys: Math.ceil(keys / 1000) || 1, ListAliases: aliasPagesOf(pair), DescribeKey: keys, ListResourceTags: keys, GetKeyRotationStatus: rotating };
    for (const [op, n] of Object.entries(ops)) {
      const ms = (n / (KMS_QUOTAS[op] * (QUOTA_SCALE ?? 1))) * 1000;
      if (ms > slowest.ms) slowest = { pair, op, ms };
    }
  }
  return slowest;
}

const sandbox = await startSandbox({ port: 0, orgEstate: { regions: REGIONS, perRegion: PER_REGION }, regionDown: [], workloads: false, ...(QUOTA_SCALE !== undefined ? { quotaScale: QUOTA_SCALE } : {}) });
let session;
if (CPU_PROF) {
  // The sandbox's side: the inspector's profiler in this process, from the first request to the last.
  const { Session } = await import('node:inspector/promises');
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const sandboxCpuStart = process.cpuUsage();
try {
  const profArgs = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, '--cpu-prof-name=client.cpuprofile'] : [];
  const child = await promisify(execFile)(process.execPath, [...profArgs, fileURLToPath(import.meta.url), 'child', sandbox.url], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', USER: 'bench' },
    maxBuffer: 16 * 2 ** 20,
  });
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
  const sandboxCpu = process.cpuUsage(sandboxCpuStart);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${CPU_PROF}/sandbox.cpuprofile`, JSON.stringify(profile));
  }
  const log = sandbox.requests();
  // ListAliases pages per account × Region, as the client made them (100 aliases a page).
  const aliasPages = {};
  for (const r of log) if (r.operation === 'ListAliases' && r.status === 200) aliasPages[r.region] = (aliasPages[r.region] ?? 0) + 1;
  const floor = floorOf(result.perPair, () => 1);
  const row = {
    'quota scale': QUOTA_SCALE ?? 1,
    accounts: ACCOUNTS.length,
    regions: REGIONS.length,
    keys: result.keys,
    'rows ms': Math.round(result.rowsMs),
    'floor ms': `${Math.round(floor.ms)} (${floor.op})`,
    'rows/floor': (result.rowsMs / floor.ms).toFixed(2),
    'peak RSS MB': Math.round(result.rssMB),
    // CPU time is what keywarden's own work costs, whatever else the machine runs (wall time is not).
    'client CPU s': (result.cpuMs / 1000).toFixed(1),
    'client CPU ms/request': (result.cpuMs / log.length).toFixed(2),
    'sandbox CPU s': ((sandboxCpu.user + sandboxCpu.system) / 1e6).toFixed(1),
    throttled: log.filter((r) => r.errorCode === 'ThrottlingException').length,
    'failed pairs': result.errors,
  };
  printTable(`--org inventory (sandbox quotas on; ${ACCOUNTS.length} accounts × ${REGIONS.length} Regions × ${PER_REGION} keys; targets: rows/floor ≤ 1.2, peak RSS < 400 MB)`, [row]);
  saveResult('org', { rows: [row] });
} finally {
  await sandbox.close();
}
