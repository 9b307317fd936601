// Inventory: time to first row and to the full inventory (rotation + last use + tags included)
// on the sandbox with simulated round-trip latency, against two references measured in the
// same run: the floor (the same requests from a bare SDK script at the same concurrency) and
// the sequential way (one request at a time, like a shell loop over the CLI). Each measured
// inventory runs in its own child process (bench/inventory-child.mjs), so its peak RSS is its
// own; the sandbox runs here.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeKeyCommand, GetKeyLastUsageCommand, GetKeyRotationStatusCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { createClients } from '../dist/aws/clients.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { ROOT, listKeys, now, printTable, saveResult } from './lib.mjs';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const SIZES = (process.env.BENCH_KEYS ?? '1000,10000').split(',').map(Number);
const CONCURRENCY = 24;
/** Measured runs of each (keywarden, floor), alternating; the best of each is reported. */
const REPEATS = (size) => Number(process.env.BENCH_REPEATS ?? (size <= 2000 ? 3 : 1));
const run_ = promisify(execFile);

async function child(mode, url) {
  const { stdout } = await run_(process.execPath, [join(ROOT, 'bench/inventory-child.mjs'), mode, url, String(CONCURRENCY)], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

/** One request at a time over a sample of keys, scaled to the whole estate. */
async function sequential(kms, keys, sample) {
  const start = now();
  for (const key of keys.slice(0, sample)) {
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyArn }))).KeyMetadata;
    if (meta.KeySpec === 'SYMMETRIC_DEFAULT' && meta.Origin === 'AWS_KMS') await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyArn }));
    await kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyArn }));
    await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyArn }));
  }
  return ((now() - start) / sample) * keys.length;
}

export async function run() {
  const rows = [];
  let warm = false;
  for (const size of SIZES) {
    const sandbox = await startSandbox({ port: 0, largeEstate: size, latencyMs: LATENCY_MS });
    const clients = createClients({ regions: ['us-east-1'], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    try {
      const keys = await listKeys(clients.kms('us-east-1'));
      const total = keys.length;
      // The first inventory a fresh process serves is slower (the sandbox's code is not compiled
      // yet): one unmeasured run first, then alternate so neither side gets the warm slot.
      if (!warm) await child('floor', sandbox.url);
      warm = true;
      const mines = [];
      const floors = [];
      let requests = [];
      for (let i = 0; i < REPEATS(size); i++) {
        sandbox.clearRequests();
        mines.push(await child('keywarden', sandbox.url));
        if (i === 0) requests = sandbox.requests();
        floors.push(await child('floor', sandbox.url));
      }
      const best = (runs) => runs.reduce((a, b) => (b.fullMs < a.fullMs ? b : a));
      const mine = best(mines);
      const floor = best(floors);
      const perKeyNonList = requests.filter((r) => !r.operation.startsWith('List')).length / total;
      const perKeyAll = requests.filter((r) => !r.operation.startsWith('List') || r.operation === 'ListResourceTags').length / total;
      const listCalls = requests.filter((r) => r.operation === 'ListKeys' || r.operation === 'ListAliases').length;
      const throttled = requests.filter((r) => r.errorCode === 'ThrottlingException').length;
      const sequentialMs = await sequential(clients.kms('us-east-1'), keys, Math.min(100, total));
      rows.push({
        keys: total,
        runs: mines.length,
        loaded: mine.loaded,
        firstRowMs: Math.round(mine.firstRowMs),
        fullMs: Math.round(mine.fullMs),
        floorMs: Math.round(floor.fullMs),
        'full/floor': (mine.fullMs / floor.fullMs).toFixed(2),
        sequentialMs: Math.round(sequentialMs),
        'sequential/full': (sequentialMs / mine.fullMs).toFixed(1),
        'req/key (non-List)': perKeyNonList.toFixed(2),
        'req/key (+tags)': perKeyAll.toFixed(2),
        listCalls,
        throttled,
        peakRssMB: Math.round(Math.max(...mines.map((m) => m.maxRssMB))),
        floorRssMB: Math.round(floor.maxRssMB),
      });
    } finally {
      clients.destroy();
      await sandbox.close();
    }
  }
  printTable(`inventory (sandbox, ${LATENCY_MS} ms per request, concurrency ${CONCURRENCY}; targets: full/floor ≤ 1.2, sequential/full ≥ 20, ≤ 3 non-List req/key, 10,000 keys < 250 MB)`, rows);
  saveResult('inventory', { latencyMs: LATENCY_MS, concurrency: CONCURRENCY, rows });
}
