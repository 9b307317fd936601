// Requests per retirement step, counted from the sandbox's request log: one retirement walked
// from preflight to a closed record (alarm watch), each step measured alone, and `retire advance`
// as the CLI runs it (find + status + the step + the status it prints). `KEYWARDEN_BENCH_DIST=<dir>` measures
// another build (e.g. an older commit's dist/) for a before/after comparison.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateAliasCommand, CreateKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { printTable, ROOT, saveResult } from './lib.mjs';

const DAY = 86_400;

export async function run() {
  const dist = process.env.KEYWARDEN_BENCH_DIST ?? join(ROOT, 'dist');
  const load = (p) => import(pathToFileURL(join(dist, p)).href);
  const [{ startSandbox }, { createClients }, { Retirements }, { AwsKeySource }, { Journal }, { RetirementStore }, { SANDBOX_CREDENTIALS }] = await Promise.all([
    load('sandbox/index.js'),
    load('aws/clients.js'),
    load('aws/retirement.js'),
    load('aws/inventory.js'),
    load('journal/journal.js'),
    load('journal/retirements.js'),
    load('sandbox/constants.js'),
  ]);
  const sandbox = await startSandbox({ port: 0, regionDown: [] });
  const clients = createClients({ regions: ['us-east-1'], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
  try {
    const kms = clients.kms('us-east-1');
    const created = await kms.send(new CreateKeyCommand({ Description: 'keywarden bench: requests per retirement step' }));
    const arn = created.KeyMetadata.Arn;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/kw-bench-retire', TargetKeyId: arn }));
    await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('x') }));
    const identity = await new AwsKeySource(clients).identity();
    const dir = mkdtempSync(join(tmpdir(), 'kw-bench-retire-'));
    const retirements = new Retirements({ clients, journal: new Journal(join(dir, 'journal.jsonl')), store: new RetirementStore(join(dir, 'retirements')), identity, now: () => sandbox.now() });
    const key = { arn, region: 'us-east-1' };
    const rows = [];
    const measure = async (step, act) => {
      sandbox.clearRequests();
      const out = await act();
      const log = sandbox.requests();
      const byOp = new Map();
      for (const r of log) byOp.set(r.operation, (byOp.get(r.operation) ?? 0) + 1);
      rows.push({ step, requests: log.length, step_alone: '', mutations: log.filter((r) => /^(Enable|Disable|Schedule|Cancel|Put|Tag|Untag|Delete)/.test(r.operation)).length, operations: [...byOp].map(([op, n]) => (n > 1 ? `${op}×${n}` : op)).join(' ') });
      return out;
    };
    // As `keywarden retire advance --yes` runs it: find, status, the step (through `take` where the
    // build has it, which reuses that status), status for the output.
    // `take`: the step alone, from the status just read (what its safety checks cost beyond that read).
    const advance = async (step, id, act) => {
      let stepAlone;
      const next = await measure(`retire advance: ${step}`, async () => {
        const record = await retirements.find(key);
        const status = await retirements.status(record);
        const before = sandbox.requests().length;
        const out = retirements.take ? await retirements.take(status, id, { pendingWindowDays: 7 }) : await act(status.record);
        stepAlone = sandbox.requests().slice(before);
        // What the CLI prints: derived from the step's answers where the build can (statusAfter), else read.
        if (retirements.statusAfter) await retirements.statusAfter(status, id, out);
        else await retirements.status(out);
        return out;
      });
      rows.at(-1).step_alone = stepAlone.length;
      return next;
    };

    const preflight = await measure('preflight', () => retirements.preflight(key, 30));
    let record = await measure('start (record the preflight)', () => retirements.start(key, { watchDays: 14, name: 'kw-bench-retire', preflight }));
    // `retire status` at preflight: the findings read again (the key read for them is the key's state).
    await measure('status (preflight)', () => retirements.status(record));
    for (const f of preflight.findings.filter((x) => x.severity === 'blocking')) record = await retirements.acknowledge(record, f.id);
    record = await measure('disable (DisableKey)', () => retirements.disable(record, preflight.findings));
    await measure('status (disabled)', () => retirements.status(record));
    record = await advance('arm the alarm', 'arm-watch', (r) => retirements.armAlarm(r));
    await measure('status (watching)', () => retirements.status(record));
    sandbox.advanceClock(15 * DAY);
    record = await advance('schedule deletion', 'schedule-deletion', (r) => retirements.scheduleDeletion(r, 7));
    sandbox.advanceClock(8 * DAY);
    await measure('status (KMS deleted the key)', () => retirements.status(record));
    await advance('remove the watch', 'remove-watch', (r) => retirements.removeWatch(r));
    printTable(`Requests per retirement step (${dist})`, rows);
    if (!process.env.KEYWARDEN_BENCH_DIST) saveResult('retirement-requests', { rows });
    return rows;
  } finally {
    clients.destroy();
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
