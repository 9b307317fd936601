// Findings for a large estate with AWS's request quotas on (the sandbox enforces them per account
// and Region, src/sandbox/quotas.ts). The findings of a key need its policy (GetKeyPolicy,
// 1,000/s) and grants (ListGrants, 100/s): the background reader (src/aws/access-reader.ts) reads
// them for every customer-managed key after the rows are in. Measured:
//
// - time from the rows being in to every key's policy and grants read, / the floor: the
//   ListGrants requests the estate needs (one per key, more for a key with over 100 grants,
//   counted from the sandbox's request log) at 100 per second. Target ≤ 1.2.
// - throttles caused (ThrottlingException answers in the request log): the pacing should keep it 0.
// - the CPU time to compute every key's findings once everything is read.
//
// Last use (GetKeyLastUsage, 5/s: 200 s for 1,000 keys) is read alongside in the product and is
// measured by bench/inventory.mjs; it is not part of this floor.
import { createClients } from '../dist/aws/clients.js';
import { AwsKeySource } from '../dist/aws/inventory.js';
import { DEFAULT_THRESHOLDS, findingsForKey } from '../dist/domain/findings.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { now, printTable, saveResult } from './lib.mjs';

const SIZES = (process.env.BENCH_KEYS ?? '1000').split(',').map(Number);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const LIST_GRANTS_PER_SECOND = 100;

export async function run() {
  const rows = [];
  for (const size of SIZES) {
    const sandbox = await startSandbox({ port: 0, largeEstate: size, latencyMs: LATENCY_MS, regionDown: [], ...(process.env.BENCH_QUOTA_SCALE ? { quotaScale: Number(process.env.BENCH_QUOTA_SCALE) } : {}) });
    const clients = createClients({ regions: ['us-east-1'], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    try {
      const source = new AwsKeySource(clients);
      const keyRows = [];
      await source.loadInventory({ onRows: (batch) => keyRows.push(...batch), onProgress: () => undefined });
      const customer = keyRows.filter((r) => r.metadata?.keyManager === 'CUSTOMER');
      // Let the quota buckets fill again after the inventory, as they would by the time it is on screen.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      sandbox.clearRequests();
      const feed = source.accessFeed(process.env.BENCH_PER_SECOND ? { perSecond: Number(process.env.BENCH_PER_SECOND), maxInFlight: Number(process.env.BENCH_IN_FLIGHT ?? 16) } : {});
      const start = now();
      feed.setRows(keyRows);
      await feed.idle();
      const elapsedMs = now() - start;
      const values = feed.snapshot().values;
      await feed.close();
      const log = sandbox.requests();
      const listGrants = log.filter((r) => r.operation === 'ListGrants');
      const answered = listGrants.filter((r) => !r.errorCode).length;
      const throttled = log.filter((r) => r.errorCode === 'ThrottlingException').length;
      const floorMs = (answered / LIST_GRANTS_PER_SECOND) * 1000;
      const cpuStart = now();
      let findings = 0;
      const at = sandbox.now();
      for (const row of customer) findings += findingsForKey({ key: { ...row, access: values.get(row.arn) }, thresholds: DEFAULT_THRESHOLDS, now: at, account: '111122223333' }).length;
      const findingsMs = now() - cpuStart;
      const unread = customer.filter((r) => !values.has(r.arn)).length;
      rows.push({
        keys: customer.length,
        'ListGrants calls': answered,
        'time (s)': (elapsedMs / 1000).toFixed(2),
        'floor (s)': (floorMs / 1000).toFixed(2),
        'time/floor': (elapsedMs / floorMs).toFixed(3),
        throttles: throttled,
        unread,
        findings,
        'findings CPU (ms)': findingsMs.toFixed(0),
      });
    } finally {
      clients.destroy();
      await sandbox.close();
    }
  }
  printTable('Findings: policies and grants for every key, quotas on (target time/floor ≤ 1.2)', rows);
  saveResult('findings', { latencyMs: LATENCY_MS, results: rows });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
