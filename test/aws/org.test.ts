// --org end to end below the views: connect() to the sandbox organization (Organizations, AssumeRole
// into each account), the multi-account inventory with its failed accounts, narrowing by
// --accounts and --ou, changes through --operator-role into the key's own account with the
// journal's record of the assumed role, and credentials refreshed before they expire.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection, type ConnectFlags } from '../../src/app/connect.js';
import { MultiAccountChangeSource } from '../../src/app/change-source.js';
import { collectInventory } from '../../src/commands/inventory.js';
import { AccountClock } from '../../src/domain/clock.js';
import { InFlightCap } from '../../src/aws/clients.js';
import { assumeRoleProvider } from '../../src/aws/org.js';
import { Journal } from '../../src/journal/journal.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { ANALYTICS_ACCOUNT, DEV_ACCOUNT, PAYMENTS_ACCOUNT, PRODUCTION_OU, RESEARCH_ACCOUNT } from '../../src/sandbox/organization.js';
import { silent, operatorHome } from '../helpers/org-home.js';

const MANAGEMENT = '111122223333';
const homeDir = operatorHome('kw-org-');

const flags = (extra: Partial<ConnectFlags> = {}, state = 'state.json'): ConnectFlags => ({
  regions: ['us-east-1'],
  sandbox: true,
  readOnly: false,
  org: true,
  sandboxState: path.join(homeDir(), state),
  ...extra,
});

async function inventoryOf(connection: Connection) {
  return (await collectInventory(connection, { lastUse: false, progress: silent })).document;
}

describe('--org over the sandbox organization', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await connect(flags());
  });
  afterAll(async () => {
    await connection.close();
  });

  it('reads every account of the organization; the ones that cannot be read fail with the reason, the rest load', async () => {
    expect(connection.accounts!.map((a) => a.name)).toEqual(['keywarden-management', 'payments-prod', 'analytics-prod', 'dev-sandbox', 'research', 'legacy-archive']);
    // --org reads only: nothing can change without --operator-role.
    expect(connection.session.readOnly).toBe(true);
    const document = await inventoryOf(connection);
    const byAccount = new Map<string, string[]>();
    for (const key of document.keys) byAccount.set(key.accountName ?? '', [...(byAccount.get(key.accountName ?? '') ?? []), key.aliases[0] ?? key.keyId]);
    expect(byAccount.get('payments-prod')?.sort()).toEqual(['alias/payments/card-tokens', 'alias/payments/ledger']);
    expect(byAccount.get('analytics-prod')?.sort()).toEqual(['alias/analytics/scratch', 'alias/analytics/warehouse']);
    expect(byAccount.get('keywarden-management')?.length).toBeGreaterThan(10);
    // Every key carries its account id, matching its ARN.
    expect(document.keys.every((k) => k.accountId !== undefined && k.arn.includes(`:${k.accountId}:key/`))).toBe(true);
    expect(document.keys.find((k) => k.aliases.includes('alias/payments/ledger'))).toMatchObject({ accountId: PAYMENTS_ACCOUNT, accountName: 'payments-prod', accountOu: 'Production' });
    const failures = Object.fromEntries(document.regionErrors.map((e) => [e.accountId, e.error]));
    expect(failures[RESEARCH_ACCOUNT]).toBe(
      `cannot assume arn:aws:iam::${RESEARCH_ACCOUNT}:role/OrganizationAccountAccessRole: access denied: User: arn:aws:sts::${MANAGEMENT}:assumed-role/KeywardenOperator/operator is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${RESEARCH_ACCOUNT}:role/OrganizationAccountAccessRole`,
    );
    expect(failures['666677778888']).toBe('account is suspended');
    expect(Object.keys(failures).sort()).toEqual(['666677778888', RESEARCH_ACCOUNT]);
    expect(document.accounts?.find((a) => a.accountId === DEV_ACCOUNT)).toEqual({ accountId: DEV_ACCOUNT, accountName: 'dev-sandbox', ou: 'Sandbox' });
  });

  it('a change without --operator-role is refused, in words, before anything is sent', async () => {
    const changes = new MultiAccountChangeSource(connection.accounts!, connection.now, new Journal(path.join(homeDir(), 'journal-a.jsonl')));
    const ledger = (await inventoryOf(connection)).keys.find((k) => k.aliases.includes('alias/payments/ledger'))!;
    await expect(changes.preview({ action: 'rotation.disable' }, ledger)).rejects.toThrow(
      `read-only: with --org keywarden changes a key only through a role in its own account; start it with --operator-role NAME to change keys in payments-prod (${PAYMENTS_ACCOUNT})`,
    );
  });
});

describe('narrowing and changing', () => {
  it('--accounts and --ou narrow the accounts; ids that are not in the organization are refused', async () => {
    const two = await connect(flags({ accounts: [PAYMENTS_ACCOUNT, ANALYTICS_ACCOUNT] }, 'narrow.json'));
    try {
      expect(two.accounts!.map((a) => a.id)).toEqual([PAYMENTS_ACCOUNT, ANALYTICS_ACCOUNT]);
    } finally {
      await two.close();
    }
    const production = await connect(flags({ ou: PRODUCTION_OU }, 'narrow.json'));
    try {
      expect(production.accounts!.map((a) => a.name)).toEqual(['payments-prod', 'analytics-prod']);
    } finally {
      await production.close();
    }
    await expect(connect(flags({ accounts: ['999999999999'] }, 'narrow.json'))).rejects.toThrow('--accounts: 999999999999 is not in the organization');
    await expect(connect(flags({ ou: 'ou-kw7q-zzzzzzzz' }, 'narrow.json'))).rejects.toThrow('--ou ou-kw7q-zzzzzzzz: no such OU or root in the organization');
    await expect(connect({ ...flags({}, 'narrow.json'), org: false, operatorRole: 'KeywardenOperator' })).rejects.toThrow('--operator-role goes with --org');
    await expect(connect(flags({ accounts: ['12345'] }, 'narrow.json'))).rejects.toThrow('--accounts: "12345" is not an AWS account id (12 digits)');
  });

  it('with --operator-role a change goes to the key’s own account through that role, and the journal records the account and the assumed role', async () => {
    const connection = await connect(flags({ operatorRole: 'KeywardenOperator', accounts: [DEV_ACCOUNT] }, 'operator.json'));
    try {
      expect(connection.session.readOnly).toBe(false);
      const key = (await inventoryOf(connection)).keys.find((k) => k.aliases.includes('alias/dev/app'))!;
      const journal = new Journal(path.join(homeDir(), 'journal-b.jsonl'));
      const changes = new MultiAccountChangeSource(connection.accounts!, connection.now, journal);
      const preview = await changes.preview({ action: 'rotation.disable' }, key);
      const result = await changes.apply(preview);
      expect(result.after.rotation.kind).toBe('disabled');
      const { operations } = await changes.journal(key.arn);
      expect(operations).toHaveLength(1);
      expect(operations[0]).toMatchObject({ action: 'DisableKeyRotation', keyArn: key.arn, caller: `arn:aws:sts::${DEV_ACCOUNT}:assumed-role/KeywardenOperator/keywarden-alice`, status: 'ok' });
      expect(key.arn).toContain(`:${DEV_ACCOUNT}:key/`);
      // The reading clients stay read-only: the change went through the operator's session only.
      const rotation = (await connection.accounts![0]!.clients!.kms('us-east-1').config.credentials()).accessKeyId;
      const operator = (await connection.accounts![0]!.operatorClients!().kms('us-east-1').config.credentials()).accessKeyId;
      expect(rotation).not.toBe(operator);
    } finally {
      await connection.close();
    }
  });
});

describe('assumed-role credentials', () => {
  it('are assumed once for every client, and again before they expire in the account’s time', async () => {
    const sandbox = await startSandbox({ port: 0, workloads: false });
    try {
      const clock = new AccountClock();
      clock.observe(sandbox.now());
      const provider = assumeRoleProvider({ base: { endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS }, roleArn: `arn:aws:iam::${PAYMENTS_ACCOUNT}:role/KeywardenReadOnly`, sessionName: 'keywarden-alice', sourceIdentity: 'alice', durationSeconds: 900, clock });
      const [a, b] = await Promise.all([provider(), provider()]);
      expect(a.accessKeyId).toBe(b.accessKeyId);
      expect(sandbox.requests().filter((r) => r.operation === 'AssumeRole')).toHaveLength(1);
      // The sandbox's time moves 14 minutes on: the session has a minute left, and is renewed.
      sandbox.advanceClock(14 * 60);
      clock.observe(sandbox.now());
      const c = await provider();
      expect(c.accessKeyId).not.toBe(a.accessKeyId);
      expect(sandbox.requests().filter((r) => r.operation === 'AssumeRole')).toHaveLength(2);
      expect(c.expiration!.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
      provider.close();
    } finally {
      await sandbox.close();
    }
  });

  it('a cap on requests in flight holds over every client that shares it', async () => {
    const cap = new InFlightCap(2);
    let peak = 0;
    const task = async () => {
      await cap.acquire();
      peak = Math.max(peak, cap.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      cap.release();
    };
    await Promise.all(Array.from({ length: 10 }, task));
    expect(peak).toBe(2);
    expect(cap.inFlight).toBe(0);
  });
});

describe('--profiles', () => {
  it('reads each profile of the shared config as its account; a profile without credentials fails with the reason; a typo is a usage error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-profiles-'));
    const saved = { config: process.env.AWS_CONFIG_FILE, credentials: process.env.AWS_SHARED_CREDENTIALS_FILE };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'config'), '[profile ops]\nregion = us-east-1\n[profile etl]\nregion = us-east-1\n[profile ops-again]\nregion = us-east-1\n[profile broken]\nregion = us-east-1\nsource_profile = nowhere\nrole_arn = arn:aws:iam::222233334444:role/KeywardenReadOnly\n');
    writeFileSync(
      path.join(dir, 'credentials'),
      `[ops]\naws_access_key_id = ${SANDBOX_CREDENTIALS.accessKeyId}\naws_secret_access_key = x\n[etl]\naws_access_key_id = AKIAKEYWARDENANALYTICS\naws_secret_access_key = x\n[ops-again]\naws_access_key_id = AKIAKEYWARDENCOLLEAGUE\naws_secret_access_key = x\n`,
    );
    process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
    try {
      const connection = await connect({ ...flags({}, 'profiles.json'), org: false, profiles: ['ops', 'etl', 'ops-again', 'broken'] });
      try {
        // ops-again is a second profile of the management account: left out.
        expect(connection.accounts!.map((a) => [a.name, a.id])).toEqual([['ops', MANAGEMENT], ['etl', ANALYTICS_ACCOUNT], ['broken', '']]);
        expect(connection.accounts![2]!.error).toMatch(/^profile broken: /);
        expect(connection.session.readOnly).toBe(false);
        const document = await inventoryOf(connection);
        // The ETL role's IAM allows using keys, not listing them: its account is marked failed with KMS's refusal, the others load.
        expect(document.keys.some((k) => k.accountName === 'etl')).toBe(false);
        expect(document.regionErrors.find((e) => e.accountId === ANALYTICS_ACCOUNT)?.error).toContain('is not authorized to perform: kms:ListKeys');
        expect(document.keys.some((k) => k.accountName === 'ops' && k.accountId === MANAGEMENT)).toBe(true);
      } finally {
        await connection.close();
      }
      await expect(connect({ ...flags({}, 'profiles.json'), org: false, profiles: ['nosuch'] })).rejects.toThrow('unknown AWS profile "nosuch"');
      await expect(connect({ ...flags({}, 'profiles.json'), profiles: ['ops'] })).rejects.toThrow('--profiles / --all-profiles and --org cannot be used together');
      const all = await connect({ ...flags({}, 'profiles.json'), org: false, allProfiles: true });
      try {
        expect(all.accounts!.map((a) => a.name).sort()).toEqual(['broken', 'etl', 'ops']);
      } finally {
        await all.close();
      }
    } finally {
      if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved.config;
      if (saved.credentials === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      else process.env.AWS_SHARED_CREDENTIALS_FILE = saved.credentials;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
