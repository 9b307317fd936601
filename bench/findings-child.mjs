// The measured client of bench/findings.mjs, in its own process (the sandbox runs in the parent,
// so the two do not share one event loop): lists the estate, lets the quota buckets fill again,
// then reads every key's policy and grants with the background reader and prints one JSON line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { createClients } from '../dist/aws/clients.js';
import { AwsKeySource } from '../dist/aws/inventory.js';
import { DEFAULT_THRESHOLDS, findingsForKey } from '../dist/domain/findings.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { now } from './lib.mjs';

const [url, perSecond, inFlight] = process.argv.slice(2);
const clients = createClients({ regions: ['us-east-1'], endpoint: url, credentials: SANDBOX_CREDENTIALS });
const source = new AwsKeySource(clients);
const rows = [];
await source.loadInventory({ onRows: (batch) => rows.push(...batch), onProgress: () => undefined });
await new Promise((resolve) => setTimeout(resolve, 1_500));
const options = { ...(perSecond ? { perSecond: Number(perSecond) } : {}), ...(inFlight ? { maxInFlight: Number(inFlight) } : {}) };
const feed = source.accessFeed(options);
const cpu = process.cpuUsage();
const start = now();
feed.setRows(rows);
await feed.idle();
const elapsedMs = now() - start;
const used = process.cpuUsage(cpu);
const values = feed.snapshot().values;
await feed.close();
const customer = rows.filter((r) => r.metadata?.keyManager === 'CUSTOMER');
const at = new Date();
const cpuStart = now();
let findings = 0;
for (const row of customer) findings += findingsForKey({ key: { ...row, access: values.get(row.arn) }, thresholds: DEFAULT_THRESHOLDS, now: at, account: '111122223333' }).length;
const findingsMs = now() - cpuStart;
clients.destroy();
console.log(JSON.stringify({ keys: customer.length, elapsedMs, cpuMs: (used.user + used.system) / 1000, unread: customer.filter((r) => !values.has(r.arn)).length, findings, findingsMs }));
