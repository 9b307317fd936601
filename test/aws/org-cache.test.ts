// Disk caches with several accounts (--org against the sandbox organization, real SDK clients over
// HTTP): each account's inventory, last use and policies/grants are kept per account, endpoint and
// Region, so a second run starts from what the first one read — rows at once, no GetKeyLastUsage
// (5/s) or ListGrants (100/s) asked again within the hour.

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/app/connect.js';
import { multiAccountCachingSource } from '../../src/app/inventory-cache.js';
import { collectInventory } from '../../src/commands/inventory.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { ANALYTICS_ACCOUNT, DEV_ACCOUNT, PAYMENTS_ACCOUNT } from '../../src/sandbox/organization.js';
import { operatorEnvironment, silent } from '../helpers/org-home.js';

const MANAGEMENT = '111122223333';
const READABLE = [MANAGEMENT, PAYMENTS_ACCOUNT, ANALYTICS_ACCOUNT, DEV_ACCOUNT];
const home = operatorEnvironment('kw-org-cache-', SANDBOX_CREDENTIALS);
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, workloads: false });
});
afterAll(async () => {
  await sandbox.close();
});

const open = () => connect({ regions: ['us-east-1'], sandbox: false, readOnly: false, org: true, endpointUrl: sandbox.url });
const calls = (operation: string) => sandbox.requests().filter((r) => r.operation === operation);

describe('--org disk caches', () => {
  it('keeps every account’s inventory, last use and access on disk; a second run starts from them', async () => {
    let first: Connection = await open();
    let firstKeys;
    try {
      firstKeys = (await collectInventory(first, { lastUse: true, access: true, progress: silent })).document.keys;
    } finally {
      await first.close();
    }
    const used = firstKeys.filter((k) => k.lastUsage.kind !== 'pending' && k.lastUsage.kind !== 'error');
    expect(new Set(used.map((k) => k.accountId))).toEqual(new Set(READABLE));
    // One file of each kind per account and Region, named by the account.
    const files = readdirSync(path.join(home(), 'inventory-cache'));
    for (const account of READABLE) {
      expect(files.filter((f) => f.startsWith(`${account}-us-east-1-`) && f.endsWith('.last-use.json'))).toHaveLength(1);
      expect(files.filter((f) => f.startsWith(`${account}-us-east-1-`) && f.endsWith('.access.json'))).toHaveLength(1);
      expect(files.filter((f) => f.startsWith(`${account}-us-east-1-`) && /-[0-9a-f]{24}\.json$/.test(f))).toHaveLength(1);
    }

    sandbox.clearRequests();
    first = await open();
    try {
      // The keys view's source: the rows of every account at once, from disk, naming their account.
      const source = multiAccountCachingSource(first.accounts!, first.session, new AwsKeySource(first.clients), first.now);
      const cached = await source.cachedInventory();
      expect(cached).toBeDefined();
      expect(new Set(cached!.rows.map((r) => r.arn))).toEqual(new Set(firstKeys.map((k) => k.arn)));
      expect(cached!.rows.find((r) => r.aliases.includes('alias/payments/ledger'))).toMatchObject({ accountId: PAYMENTS_ACCOUNT, accountName: 'payments-prod' });
      expect(calls('ListKeys')).toEqual([]);
      await source.close();

      const second = (await collectInventory(first, { lastUse: true, access: true, progress: silent })).document.keys;
      // Last use and policies/grants came from disk: not one GetKeyLastUsage or ListGrants sent.
      expect(calls('GetKeyLastUsage')).toEqual([]);
      expect(calls('ListGrants')).toEqual([]);
      expect(calls('DescribeKey').length).toBeGreaterThan(0);
      for (const key of used) expect(second.find((k) => k.arn === key.arn)?.lastUsage).toEqual(key.lastUsage);
    } finally {
      await first.close();
    }
  }, 90_000);
});
