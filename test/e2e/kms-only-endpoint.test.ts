// keywarden behind --endpoint-url pointed at a KMS-only emulator (nsmithuk/local-kms and its
// kind): no STS, no CloudTrail, and none of the newer KMS operations (GetKeyLastUsage,
// ListGrants …). A proxy in front of the sandbox answers those exactly as local-kms does (HTTP 501
// with a plain sentence; HTTP 415 to STS's query protocol), and serves the rest from the sandbox.
// The account comes from the keys, last use says it is not served in one request per Region, and
// usage says why it is unknown. Needs `npm run build` first.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { createClients } from '../../src/aws/clients.js';
import { SANDBOX_ACCOUNT, SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';
import { externalEndpoint } from '../helpers/endpoint.js';
import { Terminal, runKeywarden } from './terminal.js';

const LACKING = new Set(['GetKeyLastUsage', 'ListGrants', 'CreateGrant', 'RetireGrant', 'RevokeGrant', 'RotateKeyOnDemand', 'ListKeyRotations', 'ListKeyPolicies', 'ReplicateKey']);

describe.skipIf(externalEndpoint)('an endpoint that serves only KMS (a KMS emulator)', () => {
  let sandbox: Sandbox;
  let proxy: RecordingProxy;
  let env: Record<string, string>;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    proxy = await startRecordingProxy(sandbox.url, { notServed: (service, operation) => service !== 'kms' || LACKING.has(operation) });
    env = {
      KEYWARDEN_HOME: mkdtempSync(join(tmpdir(), 'kw-kms-only-')),
      AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
  });
  afterAll(async () => {
    await proxy.close();
    await sandbox.close();
  });

  it('reads the account from the keys when STS is not served, and says the caller is unknown', async () => {
    const clients = createClients({ regions: ['us-east-1'], endpoint: proxy.url, credentials: SANDBOX_CREDENTIALS });
    try {
      const identity = await new AwsKeySource(clients).identity();
      expect(identity).toMatchObject({ account: SANDBOX_ACCOUNT, arn: '' });
      expect(identity.note).toMatch(/does not serve STS/);
    } finally {
      clients.destroy();
    }
  });

  it('list --json: every key, last use "not served" from one GetKeyLastUsage request, exit 0', async () => {
    proxy.clearRequests();
    const run = await runKeywarden(['list', '--json', '--endpoint-url', proxy.url], env, 60_000);
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { account: string; caller: string; keys: Array<{ lastUsage: { kind: string; message?: string } }> };
    expect(document.account).toBe(SANDBOX_ACCOUNT);
    expect(document.keys.length).toBeGreaterThan(10);
    for (const key of document.keys) {
      expect(key.lastUsage.kind).toBe('error');
      expect(key.lastUsage.message).toMatch(/endpoint does not serve this operation \(HTTP 501\)/);
    }
    // The first refusal holds for the whole Region: the other keys are not asked, one by one at 5/s.
    expect(proxy.requests().filter((r) => r.operation === 'GetKeyLastUsage').length).toBeLessThanOrEqual(2);
  });

  it('usage: says the endpoint does not serve CloudTrail, exits 1; --json marks usage unknown', async () => {
    const text = await runKeywarden(['usage', 'alias/app/orders-queue', '--endpoint-url', proxy.url], env);
    expect(text.code).toBe(1);
    expect(text.stdout + text.stderr).toMatch(/does not serve this operation/);
    const json = await runKeywarden(['usage', 'alias/app/orders-queue', '--json', '--endpoint-url', proxy.url], env);
    const document = JSON.parse(json.stdout) as { summary: unknown; unavailable?: string };
    expect(document.summary).toBeNull();
    expect(document.unavailable).toMatch(/does not serve this operation/);
  });

  it('in a terminal at 80×24: the header shows the account and an unknown caller, whole; the keys list loads', async () => {
    const tui = await Terminal.start({ args: ['--endpoint-url', proxy.url], env, columns: 80, rows: 24 });
    try {
      const screen = await tui.waitFor((s) => s.includes('app/orders-queue'), 30_000);
      const header = screen.split('\n').slice(0, 2).join('\n');
      expect(header).toContain(`account ${SANDBOX_ACCOUNT}`);
      // Read whole at 80 columns, not cut.
      expect(header).toContain('as unknown (the endpoint does not serve STS)');
      await tui.type('q');
      expect(await tui.exitCode()).toBe(0);
    } finally {
      await tui.close();
    }
  });
});
