// Shared by the hardening tests: a sandbox on a state file that can be closed and started again
// ("the endpoint disappears"), a retirement driver over private files, and fresh keys to retire.

import { CreateAliasCommand, CreateKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClients, type Clients, type ConnectOptions } from '../../src/aws/clients.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { Retirements } from '../../src/aws/retirement.js';
import type { CallerIdentity } from '../../src/domain/key.js';
import { Journal } from '../../src/journal/journal.js';
import { RetirementStore } from '../../src/journal/retirements.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

export const MUTATING = /^(Enable|Disable|Rotate|Retire|Revoke|Create|Schedule|Cancel|Put|Tag|Untag|Delete|Update|Replicate)/;

export function tempDir(prefix = 'kw-hardening-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A sandbox persisted to a file, so a test can close it mid-flow and start it again on the same state. */
export class RestartableSandbox {
  sandbox!: Sandbox;
  private readonly made: Clients[] = [];
  constructor(readonly statePath: string) {}

  static async start(dir = tempDir()): Promise<RestartableSandbox> {
    const s = new RestartableSandbox(join(dir, 'sandbox-state.json'));
    s.sandbox = await startSandbox({ statePath: s.statePath });
    return s;
  }

  /** The endpoint disappears: every open connection is dropped. */
  async stop(): Promise<void> {
    await this.sandbox.close();
  }

  /** The endpoint comes back (on a new port) with the saved state. */
  async restart(): Promise<void> {
    this.sandbox = await startSandbox({ statePath: this.statePath });
  }

  clients(options: Partial<ConnectOptions> = {}): Clients {
    const clients = createClients({ regions: ['us-east-1'], endpoint: this.sandbox.url, credentials: SANDBOX_CREDENTIALS, ...options });
    this.made.push(clients);
    return clients;
  }

  mutations(): string[] {
    return this.sandbox.requests().filter((r) => MUTATING.test(r.operation)).map((r) => r.operation);
  }

  async close(): Promise<void> {
    for (const c of this.made) c.destroy();
    await this.sandbox.close().catch(() => undefined);
  }
}

export interface Driver {
  retirements: Retirements;
  journal: Journal;
  store: RetirementStore;
  dir: string;
  clients: Clients;
}

let identity: CallerIdentity | undefined;

/** A retirement driver over `dir` (journal + records) against the sandbox as it is now. */
export async function driver(s: RestartableSandbox, dir = tempDir('kw-hardening-home-'), options: Partial<ConnectOptions> = {}): Promise<Driver> {
  const clients = s.clients(options);
  identity ??= await new AwsKeySource(s.clients()).identity();
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const store = new RetirementStore(join(dir, 'retirements'));
  const sandbox = s;
  return { retirements: new Retirements({ clients, journal, store, identity, now: () => sandbox.sandbox.now() }), journal, store, dir, clients };
}

let counter = 0;
export async function newKey(s: RestartableSandbox, prefix = 'kw-hard') {
  const kms = s.clients().kms('us-east-1');
  const created = await kms.send(new CreateKeyCommand({ Description: 'keywarden hardening test' }));
  const name = `${prefix}-${process.pid}-${++counter}`;
  const keyId = created.KeyMetadata!.KeyId!;
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${name}`, TargetKeyId: keyId }));
  await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: new TextEncoder().encode('payload') }));
  const arn = created.KeyMetadata!.Arn!;
  return { arn, keyId, name, key: { arn, region: 'us-east-1' } };
}

/** Preflight, start, acknowledge every blocking finding: the record at the preflight stage. */
export async function prepare(d: Driver, k: Awaited<ReturnType<typeof newKey>>) {
  const preflight = await d.retirements.preflight(k.key, 30);
  let record = await d.retirements.start(k.key, { watchDays: 14, name: k.name, preflight });
  for (const f of preflight.findings.filter((x) => x.severity === 'blocking')) record = await d.retirements.acknowledge(record, f.id);
  return { record, preflight };
}

/** Waits (without a fixed sleep) until `check` is true. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10)); // polling a condition, not a timed wait
  }
}
