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
// The measured client runs in its own process (bench/findings-child.mjs); the sandbox runs here.
//
// Last use (GetKeyLastUsage, 5/s: 200 s for 1,000 keys) is read alongside in the product and is
// measured by bench/inventory.mjs; it is not part of this floor.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSandbox } from '../dist/sandbox/index.js';
import { ROOT, printTable, saveResult } from './lib.mjs';

const SIZES = (process.env.BENCH_KEYS ?? '1000').split(',').map(Number);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const LIST_GRANTS_PER_SECOND = 100;
const run_ = promisify(execFile);

export async function run() {
  const rows = [];
  for (const size of SIZES) {
    const sandbox = await startSandbox({ port: 0, largeEstate: size, latencyMs: LATENCY_MS, regionDown: [], ...(process.env.BENCH_QUOTA_SCALE ? { quotaScale: Number(process.env.BENCH_QUOTA_SCALE) } : {}) });
    try {
      sandbox.clearRequests();
      const { stdout } = await run_(process.execPath, [join(ROOT, 'bench/findings-child.mjs'), sandbox.url, process.env.BENCH_PER_SECOND ?? '', process.env.BENCH_IN_FLIGHT ?? ''], { maxBuffer: 1 << 20 });
      const result = JSON.parse(stdout.trim().split('\n').pop());
      const log = sandbox.requests();
      // The inventory calls neither ListGrants nor GetKeyPolicy: these are the reader's.
      const answered = log.filter((r) => r.operation === 'ListGrants' && !r.errorCode).length;
      const throttled = log.filter((r) => (r.operation === 'ListGrants' || r.operation === 'GetKeyPolicy') && r.errorCode === 'ThrottlingException').length;
      const floorMs = (answered / LIST_GRANTS_PER_SECOND) * 1000;
      rows.push({
        keys: result.keys,
        'ListGrants calls': answered,
        'time (s)': (result.elapsedMs / 1000).toFixed(2),
        'floor (s)': (floorMs / 1000).toFixed(2),
        'time/floor': (result.elapsedMs / floorMs).toFixed(3),
        throttles: throttled,
        unread: result.unread,
        'client CPU (s)': (result.cpuMs / 1000).toFixed(2),
        findings: result.findings,
        'findings CPU (ms)': result.findingsMs.toFixed(0),
      });
    } finally {
      await sandbox.close();
    }
  }
  printTable('Findings: policies and grants for every key, quotas on (target time/floor ≤ 1.2)', rows);
  saveResult('findings', { latencyMs: LATENCY_MS, loadAverage: loadavg(), results: rows });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
