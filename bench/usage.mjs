// Usage: how fast the Usage tab ingests a busy key's CloudTrail events against LookupEvents'
// quota of 2 requests/second (pages of 50 → at most 100 events/second), on the sandbox with a
// simulated round trip. Rows: keywarden's paced reader (2/s limiter, adaptive retry) over a few
// windows, and an unpaced reader (no limiter worth the name) for contrast: it gets throttled and
// is no faster.
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { createClients } from '../dist/aws/clients.js';
import { resolveKey } from '../dist/aws/inventory.js';
import { lookupKeyEvents, RateLimiter } from '../dist/aws/usage.js';
import { summarizeUsage } from '../dist/domain/usage.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { now, printTable, saveResult } from './lib.mjs';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 40);
const QUOTA_EVENTS_PER_SECOND = 2 * 50;
const CASES = [
  { alias: 'alias/ecs/fargate-ephemeral', window: '7d' },
  { alias: 'alias/ecs/fargate-ephemeral', window: '30d' },
  { alias: 'alias/ebs/prod-data', window: '30d' },
  { alias: 'alias/ecs/fargate-ephemeral', window: '7d', unpaced: true },
];

export async function run() {
  const rows = [];
  for (const c of CASES) {
    // A fresh sandbox per case: the quota bucket starts full, like a first look at a key.
    const sandbox = await startSandbox({ port: 0, latencyMs: LATENCY_MS });
    const clients = createClients({ regions: ['us-east-1'], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    const bare = new CloudTrailClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    try {
      const { arn } = await resolveKey(clients, c.alias);
      let firstPageMs;
      const start = now();
      const result = await lookupKeyEvents(c.unpaced ? bare : clients.cloudtrail('us-east-1'), arn, {
        window: c.window,
        ...(c.unpaced ? { limiter: new RateLimiter(1000) } : {}),
        onProgress: () => {
          firstPageMs ??= now() - start;
        },
      });
      const ms = now() - start;
      const summarizeStart = now();
      summarizeUsage(result.events, c.window, new Date(), { keyArn: arn });
      const summarizeMs = now() - summarizeStart;
      const eventsPerSecond = result.events.length / (ms / 1000);
      rows.push({
        key: c.alias.replace('alias/', ''),
        window: c.window,
        reader: c.unpaced ? 'unpaced' : 'paced 2/s',
        events: result.events.length,
        pages: result.progress.pages,
        throttled: result.progress.throttled,
        firstPageMs: Math.round(firstPageMs ?? ms),
        totalMs: Math.round(ms),
        'events/s': eventsPerSecond.toFixed(1),
        'of quota': `${Math.round((eventsPerSecond / QUOTA_EVENTS_PER_SECOND) * 100)}%`,
        summarizeMs: summarizeMs.toFixed(1),
      });
    } finally {
      bare.destroy();
      clients.destroy();
      await sandbox.close();
    }
  }
  printTable(`usage: LookupEvents ingestion (sandbox at 2 requests/s, ${LATENCY_MS} ms per request; quota = ${QUOTA_EVENTS_PER_SECOND} events/s)`, rows);
  saveResult('usage', { latencyMs: LATENCY_MS, quotaEventsPerSecond: QUOTA_EVENTS_PER_SECOND, rows });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
