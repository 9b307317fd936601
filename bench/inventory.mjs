// Inventory: time to first row and to the full inventory (rotation + last use + tags included)
// on the sandbox with simulated round-trip latency, against two references measured in the
// same run: the floor (the same requests from a bare SDK script at the same concurrency) and
// the sequential way (one request at a time, like a shell loop over the CLI).
import {
  DescribeKeyCommand,
  GetKeyLastUsageCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import pLimit from 'p-limit';
import { createClients } from '../dist/aws/clients.js';
import { AwsKeySource } from '../dist/aws/inventory.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { now, printTable, saveResult } from './lib.mjs';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const SIZES = (process.env.BENCH_KEYS ?? '1000').split(',').map(Number);
const CONCURRENCY = 24;

async function listAll(kms) {
  const keys = [];
  let marker;
  do {
    const page = await kms.send(new ListKeysCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }));
    keys.push(...page.Keys);
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  let aliasMarker;
  do {
    const page = await kms.send(new ListAliasesCommand({ Limit: 100, ...(aliasMarker ? { Marker: aliasMarker } : {}) }));
    aliasMarker = page.Truncated ? page.NextMarker : undefined;
  } while (aliasMarker);
  return keys;
}

/** The same per-key requests keywarden makes, with nothing else around them. */
async function bareKey(kms, key) {
  const meta = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyArn }))).KeyMetadata;
  const rotates = meta.KeySpec === 'SYMMETRIC_DEFAULT' && meta.Origin === 'AWS_KMS';
  await Promise.all([
    rotates ? kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyArn })) : undefined,
    kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyArn })),
    kms.send(new ListResourceTagsCommand({ KeyId: key.KeyArn })),
  ]);
}

async function floor(clients, concurrency) {
  const kms = clients.kms('us-east-1');
  const start = now();
  const keys = await listAll(kms);
  const limit = pLimit(concurrency);
  await Promise.all(keys.map((key) => limit(() => bareKey(kms, key))));
  return now() - start;
}

async function sequential(clients, sample) {
  // One request at a time over a sample of keys, scaled to the whole estate.
  const kms = clients.kms('us-east-1');
  const start = now();
  const keys = (await listAll(kms)).slice(0, sample);
  for (const key of keys) {
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyArn }))).KeyMetadata;
    if (meta.KeySpec === 'SYMMETRIC_DEFAULT' && meta.Origin === 'AWS_KMS') await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyArn }));
    await kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyArn }));
    await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyArn }));
  }
  return now() - start;
}

export async function run() {
  const rows = [];
  for (const size of SIZES) {
    const sandbox = await startSandbox({ port: 0, largeEstate: size, latencyMs: LATENCY_MS });
    const clients = createClients({ regions: ['us-east-1'], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    try {
      const total = (await listAll(clients.kms('us-east-1'))).length;
      sandbox.clearRequests();
      const rssBefore = process.memoryUsage().rss;
      const start = now();
      let firstRow;
      let loaded = 0;
      await new AwsKeySource(clients, { concurrency: CONCURRENCY }).loadInventory({
        onRows(batch) {
          firstRow ??= now() - start;
          loaded += batch.length;
        },
        onProgress() {},
      });
      const full = now() - start;
      const requests = sandbox.requests();
      const perKey = requests.filter((r) => !r.operation.startsWith('List') || r.operation === 'ListResourceTags').length / total;
      const rss = Math.max(rssBefore, process.memoryUsage().rss);
      const floorMs = await floor(clients, CONCURRENCY);
      const sample = Math.min(100, total);
      const sequentialMs = ((await sequential(clients, sample)) / sample) * total;
      rows.push({
        keys: total,
        loaded,
        latencyMs: LATENCY_MS,
        firstRowMs: Math.round(firstRow),
        fullMs: Math.round(full),
        floorMs: Math.round(floorMs),
        'full/floor': (full / floorMs).toFixed(2),
        sequentialMs: Math.round(sequentialMs),
        'sequential/full': (sequentialMs / full).toFixed(1),
        requestsPerKey: perKey.toFixed(2),
        rssMB: Math.round(rss / 2 ** 20),
      });
    } finally {
      clients.destroy();
      await sandbox.close();
    }
  }
  printTable(`inventory (sandbox, ${LATENCY_MS} ms per request, concurrency ${CONCURRENCY})`, rows);
  saveResult('inventory', { latencyMs: LATENCY_MS, concurrency: CONCURRENCY, rows });
}
