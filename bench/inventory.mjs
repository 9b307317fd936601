// Inventory against the KMS request quotas (KMS.md §7.1), which the sandbox enforces per account
// and Region (src/sandbox/quotas.ts) — with the account to itself, and again with a competing
// client using half of each quota (fault `competitor: {share: 0.5}`). For each estate size:
//
// - time to all rows (last use "pending") / its floor. The floor is computed from the documented
//   quotas (src/aws/rate-limit.ts KMS_QUOTAS, which cite AWS's "Request quotas" page): for each
//   operation the inventory calls, the requests it must make for this estate (ListKeys pages of
//   1,000, ListAliases pages of 100, DescribeKey and ListResourceTags per key, GetKeyRotationStatus
//   per key that can rotate) divided by its quota (half of it with the competitor); the slowest.
// - last-use fill rate: values read by the background reader (AwsKeySource.lastUseFeed) over a
//   fixed window starting when the rows are in, / 5 per second (2.5 with the competitor).
// - throttles caused: ThrottlingException answers to this client in the sandbox's request log
//   (the competitor's calls are not logged), while loading rows and while reading last use.
// - requests per key beyond ListKeys/ListAliases, and peak RSS of the measured process.
// - bare/floor: the same requests from a plain SDK client at the same concurrency with no pacing
//   at all (child mode `bare`): what this machine can serve; when it is above 1, the CPU (the SDK's
//   signing and parsing, the sandbox), not the quota, sets the time to all rows.
// - a sequential shell-like loop (bench/inventory-child.mjs `sequential`) over a sample of keys,
//   scaled to the estate.
//
// Two runs per estate size, labelled by their quota scale:
// - AWS's quotas (scale 1): the floor needs ~3,000 requests/s (1,000 keys/s), more than two cores
//   serve with the SDK's signing and parsing and the sandbox in one machine, so rows/floor there
//   measures the CPU (bare/floor says by how much);
// - the sandbox's quotas scaled down (sandbox fault `quotaScale`, BENCH_QUOTA_SCALE, default 0.1:
//   GetKeyRotationStatus 100/s, a floor of 10 s for 1,000 keys, GetKeyLastUsage 0.5/s) and
//   keywarden told the same (createClients `quotaScale`, as `--sandbox --quota-scale` does): the
//   quotas bind, so rows/floor measures keywarden's pacing. The bare and sequential references are
//   not run there (an unpaced client at a tenth of the quotas measures only its retries).
//
// Each measured client runs in its own process (bench/inventory-child.mjs); the sandbox runs here.
// No latency is added by default (BENCH_LATENCY_MS): the quota, not the round trip, is the limit.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeKeyCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import pLimit from 'p-limit';
import { createClients } from '../dist/aws/clients.js';
import { KMS_QUOTAS } from '../dist/aws/rate-limit.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { ROOT, listKeys, printTable, saveResult } from './lib.mjs';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const SIZES = (process.env.BENCH_KEYS ?? '1000,10000').split(',').map(Number);
const CONCURRENCY = 24; // keywarden's default (AwsKeySource)
const WINDOW_MS = Number(process.env.BENCH_LAST_USE_WINDOW_MS ?? 30_000);
const SEQUENTIAL_SAMPLE = Number(process.env.BENCH_SEQUENTIAL_SAMPLE ?? 40);
const SHARE = 0.5;
/** Quota scales to run at: 1 (AWS's) and the scaled-down run where the quotas bind. */
const SCALES = (process.env.BENCH_QUOTA_SCALES ?? '1,0.1').split(',').map(Number);
/** The last-use window at a scale: long enough for ~15 reads at the slowest (0.25/s with the competitor at 0.1: 60 s). */
const windowAt = (scale) => Math.max(WINDOW_MS, Math.round(WINDOW_MS * Math.min(2, 1 / scale / 5)));
const run_ = promisify(execFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets every quota bucket of the sandbox fill up again between measurements (they hold one second's worth). */
const settle = () => sleep(1_500);

async function child(...args) {
  const { stdout } = await run_(process.execPath, [join(ROOT, 'bench/inventory-child.mjs'), ...args.map(String)], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

/** The requests the inventory must make for this estate, per operation (read here, before measuring). */
async function requiredRequests(kms) {
  const keys = await listKeys(kms);
  let aliasPages = 0;
  let marker;
  do {
    const page = await kms.send(new ListAliasesCommand({ Limit: 100, ...(marker ? { Marker: marker } : {}) }));
    aliasPages += 1;
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  const limit = pLimit(CONCURRENCY);
  const metas = await Promise.all(keys.map((k) => limit(async () => (await kms.send(new DescribeKeyCommand({ KeyId: k.KeyArn }))).KeyMetadata)));
  // GetKeyRotationStatus applies to symmetric keys with key material generated by KMS, not in a
  // custom key store (KMS.md §3; AWS managed keys answer too).
  const rotating = metas.filter((m) => m.KeySpec === 'SYMMETRIC_DEFAULT' && m.Origin === 'AWS_KMS' && !m.CustomKeyStoreId).length;
  return {
    keys: keys.length,
    ops: {
      ListKeys: Math.ceil(keys.length / 1000) || 1,
      ListAliases: aliasPages,
      DescribeKey: keys.length,
      GetKeyRotationStatus: rotating,
      ListResourceTags: keys.length,
    },
  };
}

function floorMs(ops, share, scale) {
  let slowest = { op: '', ms: 0 };
  for (const [op, n] of Object.entries(ops)) {
    const ms = (n / (KMS_QUOTAS[op] * scale * (1 - share))) * 1000;
    if (ms > slowest.ms) slowest = { op, ms };
  }
  return slowest;
}

const throttles = (log) => log.filter((r) => r.errorCode === 'ThrottlingException').length;
/** "GetKeyLastUsage 2, DescribeKey 1": the throttled requests of a log, by operation. */
function byOperation(log) {
  const counts = new Map();
  for (const r of log) if (r.errorCode === 'ThrottlingException') counts.set(r.operation, (counts.get(r.operation) ?? 0) + 1);
  return [...counts].map(([op, n]) => `${op} ${n}`).join(', ') || '-';
}

export async function run() {
  const rows = [];
  let warm = false;
  for (const size of SIZES) {
    const sandbox = await startSandbox({ port: 0, largeEstate: size, latencyMs: LATENCY_MS, regionDown: [] });
    const clients = createClients({ regions: ['us-east-1'], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    try {
      const required = await requiredRequests(clients.kms('us-east-1'));
      // The first inventory a fresh sandbox serves is slower (its code is not compiled yet).
      if (!warm) {
        await settle();
        await child('keywarden', sandbox.url, CONCURRENCY, 0);
        warm = true;
      }
      for (const scale of SCALES) {
        const scaled = scale !== 1;
        const windowMs = windowAt(scale);
        sandbox.faults.quotaScale = scale;
        for (const competing of [false, true]) {
          const share = competing ? SHARE : 0;
          sandbox.faults.competitor = competing ? { share } : undefined;
          await settle();
          sandbox.clearRequests();
          const mine = await child('keywarden', sandbox.url, CONCURRENCY, windowMs, scale);
          const log = sandbox.requests();
          const rowsLog = log.filter((r) => r.receivedAt <= mine.rowsAt);
          const lastUseLog = log.filter((r) => r.receivedAt > mine.rowsAt);
          let bare;
          let seq;
          let seqThrottles = 0;
          if (!scaled) {
            await settle();
            bare = await child('bare', sandbox.url, CONCURRENCY);
            await settle();
            sandbox.clearRequests();
            seq = await child('sequential', sandbox.url, SEQUENTIAL_SAMPLE);
            seqThrottles = throttles(sandbox.requests());
          }
          const floor = floorMs(required.ops, share, scale);
          const lastUseQuota = KMS_QUOTAS.GetKeyLastUsage * scale * (1 - share);
          const fillRate = mine.filled / (windowMs / 1000);
          const perKey = rowsLog.filter((r) => r.operation !== 'ListKeys' && r.operation !== 'ListAliases').length / required.keys;
          const sequentialRowsMs = seq ? (seq.ms / seq.keys) * required.keys : undefined;
          // keywarden with every last-use value: rows, then the whole estate at the measured fill rate.
          const fullMs = mine.rowsMs + (required.keys / fillRate) * 1000;
          rows.push({
            quotas: scaled ? `AWS's × ${scale}` : "AWS's",
            keys: required.keys,
            competitor: competing ? `${share * 100}% of each quota` : 'none',
            rows: mine.rows,
            rowProblems: mine.problems,
            rowsMs: Math.round(mine.rowsMs),
            floorMs: `${Math.round(floor.ms)} (${floor.op})`,
            'rows/floor': (mine.rowsMs / floor.ms).toFixed(2),
            'bare/floor': bare ? (bare.ms / floor.ms).toFixed(2) : '-',
            windowS: windowMs / 1000,
            'lastUse/s': fillRate.toFixed(2),
            'fill/quota': (fillRate / lastUseQuota).toFixed(2),
            lastUseErrors: mine.lastUseErrors,
            throttledRows: throttles(rowsLog),
            throttledLastUse: throttles(lastUseLog),
            throttledOps: `${byOperation(rowsLog)}; ${byOperation(lastUseLog)}`,
            'req/key': perKey.toFixed(2),
            peakRssMB: Math.round(mine.maxRssMB),
            'seq/rows': sequentialRowsMs ? (sequentialRowsMs / mine.rowsMs).toFixed(0) : '-',
            'seq/full': sequentialRowsMs ? (sequentialRowsMs / fullMs).toFixed(2) : '-',
            seqThrottled: seq ? `${seqThrottles} (${seq.failed} failed) / ${seq.keys} keys` : '-',
          });
          console.error(JSON.stringify(rows.at(-1)));
        }
      }
      sandbox.faults.quotaScale = undefined;
    } finally {
      clients.destroy();
      await sandbox.close();
    }
  }
  printTable(
    `inventory (sandbox quotas on at AWS's × ${SCALES.join(' and × ')}, +${LATENCY_MS} ms per request, concurrency ${CONCURRENCY}; last use over ${WINDOW_MS / 1000} s after the rows (longer where scaled); sequential loop sampled on ${SEQUENTIAL_SAMPLE} keys; targets: rows/floor ≤ 1.1, fill/quota ≥ 0.95, 0 throttled)`,
    rows,
  );
  saveResult('inventory', { latencyMs: LATENCY_MS, concurrency: CONCURRENCY, windowMs: WINDOW_MS, quotaScales: SCALES, sequentialSample: SEQUENTIAL_SAMPLE, rows });
}
