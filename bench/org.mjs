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
// - the same reads from a plain SDK script (child mode `bare`: AssumeRole, then the rows' requests,
//   48 keys at once, the SDK's default retries, no pacing): keywarden/bare, and the keys it failed.
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

if (process.argv[2] === 'bare') {
  // What an operator would otherwise write: a plain SDK script. AssumeRole into each account, then
  // per account × Region ListKeys and ListAliases, and per key DescribeKey, then
  // GetKeyRotationStatus (a key that can rotate) and ListResourceTags side by side — the same
  // requests as keywarden's rows, all pairs at once, the same 48 keys at once over all of them,
  // with the SDK's default retries and no pacing. A key whose reads fail after them is counted.
  const [url] = process.argv.slice(3);
  const { KMSClient, ListKeysCommand, ListAliasesCommand, DescribeKeyCommand, GetKeyRotationStatusCommand, ListResourceTagsCommand } = await import('@aws-sdk/client-kms');
  const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
  const { default: pLimit } = await import('p-limit');
  const start = now();
  const cpuStart = process.cpuUsage();
  const sts = new STSClient({ region: 'us-east-1', endpoint: url, credentials: SANDBOX_CREDENTIALS });
  const limit = pLimit(48);
  let keys = 0;
  let failed = 0;
  await Promise.all(
    ACCOUNTS.map(async (account) => {
      // The management account with the script's own credentials (as keywarden reads it), the others through the role.
      let credentials = SANDBOX_CREDENTIALS;
      if (account !== ACCOUNTS[0]) {
        const role = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/KeywardenReadOnly`, RoleSessionName: 'bench', SourceIdentity: 'bench' }));
        credentials = { accessKeyId: role.Credentials.AccessKeyId, secretAccessKey: role.Credentials.SecretAccessKey, sessionToken: role.Credentials.SessionToken };
      }
      await Promise.all(
        REGIONS.map(async (region) => {
          const kms = new KMSClient({ region, endpoint: url, credentials });
          const ids = [];
          let marker;
          do {
            const page = await kms.send(new ListKeysCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }));
            ids.push(...page.Keys.map((k) => k.KeyArn));
            marker = page.Truncated ? page.NextMarker : undefined;
          } while (marker);
          marker = undefined;
          do {
            const page = await kms.send(new ListAliasesCommand({ Limit: 100, ...(marker ? { Marker: marker } : {}) }));
            marker = page.Truncated ? page.NextMarker : undefined;
          } while (marker);
          keys += ids.length;
          await Promise.all(
            ids.map((id) =>
              limit(async () => {
                try {
                  const meta = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata;
                  const rotates = meta.KeyManager === 'CUSTOMER' && meta.KeySpec === 'SYMMETRIC_DEFAULT' && meta.Origin === 'AWS_KMS';
                  await Promise.all([rotates ? kms.send(new GetKeyRotationStatusCommand({ KeyId: id })) : undefined, kms.send(new ListResourceTagsCommand({ KeyId: id }))]);
                } catch {
                  failed += 1;
                }
              }),
            ),
          );
          kms.destroy();
        }),
      );
    }),
  );
  const cpu = process.cpuUsage(cpuStart);
  console.log(JSON.stringify({ ms: now() - start, keys, failed, rssMB: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 }));
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
  // The plain SDK script, after keywarden, on the same sandbox (its quota buckets have refilled by then).
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const bareChild = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), 'bare', sandbox.url], {
    env: { ...process.env, AWS_REGION: 'us-east-1', USER: 'bench' },
    maxBuffer: 16 * 2 ** 20,
  });
  const bare = JSON.parse(bareChild.stdout.trim().split('\n').at(-1));
  const bareLog = sandbox.requests().slice(log.length);
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
  const bareRow = {
    'quota scale': QUOTA_SCALE ?? 1,
    'keywarden rows ms': Math.round(result.rowsMs),
    'bare SDK ms': Math.round(bare.ms),
    'bare/floor': (bare.ms / floor.ms).toFixed(2),
    'keywarden/bare': (result.rowsMs / bare.ms).toFixed(2),
    'bare keys failed': bare.failed,
    'bare throttled': bareLog.filter((r) => r.errorCode === 'ThrottlingException').length,
    'bare CPU s': (bare.cpuMs / 1000).toFixed(1),
    'bare CPU ms/request': (bare.cpuMs / bareLog.length).toFixed(2),
    'bare peak RSS MB': Math.round(bare.rssMB),
  };
  printTable(`--org inventory (sandbox quotas on; ${ACCOUNTS.length} accounts × ${REGIONS.length} Regions × ${PER_REGION} keys; targets: rows/floor ≤ 1.2, peak RSS < 400 MB)`, [row]);
  printTable('the same reads from a plain SDK script (48 keys at once, the SDK\'s default retries, no pacing), on the same sandbox just after', [bareRow]);
  saveResult('org', { rows: [row], bare: [bareRow] });
} finally {
  await sandbox.close();
}
