// Requests per change: for each change keywarden makes (src/aws/mutations.ts KeyChanger), the
// requests it sends, counted from the sandbox's request log — the preview (the key re-read), and
// the apply (re-read, the change itself, the row read back), each measured alone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateGrantCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { createClients } from '../dist/aws/clients.js';
import { AwsKeySource } from '../dist/aws/inventory.js';
import { KeyChanger } from '../dist/aws/mutations.js';
import { Journal } from '../dist/journal/journal.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { printTable, saveResult } from './lib.mjs';

const MUTATING = /^(Enable|Disable|Rotate|Retire|Revoke|Create|Schedule|Cancel|Put|Tag|Untag|Delete|Update|Replicate)/;

function summary(log) {
  const byOp = new Map();
  for (const r of log) byOp.set(r.operation, (byOp.get(r.operation) ?? 0) + 1);
  return {
    requests: log.length,
    changes: log.filter((r) => MUTATING.test(r.operation)).length,
    operations: [...byOp].map(([op, n]) => (n > 1 ? `${op}×${n}` : op)).join(' '),
  };
}

export async function run() {
  const sandbox = await startSandbox({ port: 0, regionDown: [] });
  const clients = createClients({ regions: ['us-east-1'], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
  try {
    const kms = clients.kms('us-east-1');
    const identity = await new AwsKeySource(clients).identity();
    const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'kw-bench-changes-')), 'journal.jsonl'));
    const changer = new KeyChanger({ clients, journal, identity });
    const arn = (await kms.send(new CreateKeyCommand({ Description: 'keywarden bench: requests per change' }))).KeyMetadata.Arn;
    const grantee = `arn:aws:iam::${identity.account}:role/keywarden-bench-app`;
    const grant = async (retiring) =>
      (await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: grantee, Operations: ['Decrypt'], ...(retiring ? { RetiringPrincipal: identity.arn } : {}) }))).GrantId;
    const retireId = await grant(true);
    const revokeId = await grant(false);
    const key = { arn, region: 'us-east-1' };
    const changes = [
      ['rotation enable', { action: 'rotation.enable', periodDays: 365 }],
      ['rotation rotate now', { action: 'rotation.rotate-now' }],
      ['rotation disable', { action: 'rotation.disable' }],
      ['key disable', { action: 'key.disable' }],
      ['key enable', { action: 'key.enable' }],
      ['grant retire', { action: 'grant.retire', grantId: retireId }],
      ['grant revoke', { action: 'grant.revoke', grantId: revokeId }],
    ];
    const rows = [];
    for (const [change, request] of changes) {
      sandbox.clearRequests();
      const preview = await changer.preview(request, key);
      const previewLog = sandbox.requests();
      if (preview.blocked) throw new Error(`${change}: blocked (${preview.blocked})`);
      sandbox.clearRequests();
      await changer.apply(preview);
      const applyLog = sandbox.requests();
      const failed = applyLog.filter((r) => r.status >= 400);
      if (failed.length) throw new Error(`${change}: ${failed.map((r) => `${r.operation} ${r.errorCode}`).join(', ')}`);
      const p = summary(previewLog);
      const a = summary(applyLog);
      rows.push({ change, 'preview req': p.requests, 'apply req': a.requests, 'total req': p.requests + a.requests, 'changes sent': a.changes, 'apply operations': a.operations });
    }
    printTable('Requests per change (KeyChanger: preview, then apply; sandbox request log)', rows);
    saveResult('changes-requests', { rows });
    return rows;
  } finally {
    clients.destroy();
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
