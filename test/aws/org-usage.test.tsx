// Several accounts below the views, against the sandbox organization over HTTP:
// - "who uses this key from outside": payments-prod's ledger key is shared with analytics-prod
//   through its policy; analytics-prod's ETL decrypts with it every day. Disabled (through
//   --operator-role in payments-prod), the ETL's calls fail there, and the key owner's trail has
//   them: the Usage tab and `usage --json` group them under analytics-prod, failed calls included.
// - retirements per account: each record read in its own account and named by it; a record of an
//   account this run does not read is named, never read with another account's credentials.

import path from 'node:path';
import { DisableKeyCommand } from '@aws-sdk/client-kms';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection, type ConnectFlags } from '../../src/app/connect.js';
import { MultiAccountRetirementSource } from '../../src/app/retirement-source.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { MultiAccountKeySource } from '../../src/aws/multi-account.js';
import { collectInventory } from '../../src/commands/inventory.js';
import { outsideAccountsOf } from '../../src/commands/usage-accounts.js';
import { summaryOfLoad } from '../../src/domain/insights.js';
import { Journal } from '../../src/journal/journal.js';
import { RetirementStore } from '../../src/journal/retirements.js';
import { ANALYTICS_ACCOUNT, DEV_ACCOUNT, PAYMENTS_ACCOUNT } from '../../src/sandbox/organization.js';
import { silent, operatorHome } from '../helpers/org-home.js';
import { UsageView } from '../../src/ui/views/usage-view.js';
import { waitForText } from '../helpers/ink.js';

const homeDir = operatorHome('kw-org-usage-');

const flags = (extra: Partial<ConnectFlags>, state: string): ConnectFlags => ({ regions: ['us-east-1'], sandbox: true, readOnly: false, org: true, sandboxState: path.join(homeDir(), state), ...extra });

describe('callers from other accounts', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await connect(flags({ operatorRole: 'KeywardenOperator' }, 'usage.json'));
  });
  afterAll(async () => {
    await connection.close();
  });

  it('groups the calls of analytics-prod on payments-prod’s ledger key under its name, with the calls that failed', async () => {
    const keys = (await collectInventory(connection, { lastUse: false, progress: silent })).document.keys;
    const ledger = keys.find((k) => k.aliases.includes('alias/payments/ledger'))!;
    expect(ledger.accountId).toBe(PAYMENTS_ACCOUNT);
    // Disabled in its own account; a day later analytics-prod's ETL has tried it and failed.
    const payments = connection.accounts!.find((a) => a.id === PAYMENTS_ACCOUNT)!;
    await payments.operatorClients!().kms('us-east-1').send(new DisableKeyCommand({ KeyId: ledger.arn }));
    await connection.sandboxClock!.advance(36 * 3600);

    const source = new MultiAccountKeySource(connection.accounts!, connection.session.regions, new AwsKeySource(connection.clients));
    const loaded = await source.loadUsage(ledger, { window: '7d', engine: 'lookup' });
    const now = connection.now();
    const summary = summaryOfLoad(loaded, '7d', now, ledger.arn);
    const outside = await outsideAccountsOf(connection, ledger.arn, summary);
    expect(outside!.map((g) => g.accountId)).toEqual([ANALYTICS_ACCOUNT]);
    const analytics = outside![0]!;
    expect(analytics.accountName).toBe('analytics-prod');
    expect(analytics.count).toBeGreaterThan(analytics.failed);
    expect(analytics.failed).toBeGreaterThan(0);
    expect(analytics.errorCodes.map((e) => e.code)).toEqual(['DisabledException']);
    expect(analytics.callers.map((c) => c.id)).toContain(`arn:aws:iam::${ANALYTICS_ACCOUNT}:role/AnalyticsEtl`);
    // Refused by its own IAM, ReportingBatch's attempts are in analytics-prod's trail only (AWS logs a
    // cross-account call denied for access only in the caller's account).
    expect(analytics.callers.map((c) => c.id)).not.toContain(`arn:aws:iam::${ANALYTICS_ACCOUNT}:role/ReportingBatch`);

    // The Usage tab names the account and its failed calls; with several accounts it also read the
    // other accounts' own trails (MultiAccountKeySource): ReportingBatch's refused attempts are
    // added from analytics-prod's trail, the ETL's failures (in both trails) counted once.
    expect(loaded.callerTrails!.accounts.map((a) => [a.accountName, a.status])).toEqual([
      ['keywarden-management', 'read'],
      ['analytics-prod', 'read'],
      ['dev-sandbox', 'read'],
      ['research', 'unreadable'],
      ['legacy-archive', 'unreadable'],
    ]);
    const analyticsTrail = loaded.callerTrails!.accounts.find((a) => a.accountId === ANALYTICS_ACCOUNT)!;
    const refusedThere = analyticsTrail.status === 'read' ? analyticsTrail.events.filter((e) => e.errorCode === 'AccessDenied').length : 0;
    const disabledThere = analyticsTrail.status === 'read' ? analyticsTrail.events.filter((e) => e.errorCode === 'DisabledException').length : 0;
    expect(disabledThere).toBe(analytics.failed); // the same failed calls, in the caller's trail too
    const names = new Map(connection.session.accounts!.map((a) => [a.id, a.name!]));
    const view = render(<UsageView state={{ status: 'ready', loaded }} window="7d" keyArn={ledger.arn} now={now} height={80} width={100} accountNames={names} />);
    try {
      const frame = await waitForText(view.lastFrame, 'From other accounts (1)');
      // Wrapped to the width: the group's line continues on the next.
      const rows = frame.split('\n');
      const at = rows.findIndex((l) => l.includes('analytics-prod (333344445555)'));
      const line = [rows[at]!, ...rows.slice(at + 1).filter((_, i, rest) => rest.slice(0, i + 1).every((r) => /^ {10}\S/.test(r)))].map((r, i) => (i === 0 ? r.trimEnd() : r.trim())).join(' ');
      const codes = refusedThere > 0 ? `DisabledException ×${analytics.failed}, AccessDenied ×${refusedThere} · ${refusedThere} in its own trail only` : `DisabledException ×${analytics.failed}`;
      expect(line).toMatch(new RegExp(`^\\s+${analytics.count + refusedThere}\\s+analytics-prod \\(333344445555\\)\\s+last .*\\(${analytics.failed + refusedThere} failed\\): ${codes}$`));
      expect(frame).toMatch(/role AnalyticsEtl.*Decrypt/);
      if (refusedThere > 0) expect(frame).toMatch(new RegExp(`${refusedThere}\\s+role ReportingBatch \\(account 333344445555\\)\\s+Decrypt\\s+\\(${refusedThere} failed, ${refusedThere} in own trail\\)`));
      expect(frame).toContain('Own trails: 3 of 5 accounts read (7 d)');
      expect(frame.replace(/\s+/g, ' ')).toMatch(/not read: research \(888899990000\): cannot assume .* is not authorized to perform: sts:AssumeRole/);
      expect(frame).toContain('not read: legacy-archive (666677778888): account is suspended');
    } finally {
      view.unmount();
    }
  }, 60_000);
});

describe('retirements in several accounts', () => {
  it('reads each record in its own account and names it; a record of an account not read is named, not read', async () => {
    const connection = await connect(flags({ operatorRole: 'KeywardenOperator', accounts: [PAYMENTS_ACCOUNT, DEV_ACCOUNT] }, 'retire.json'));
    try {
      const keys = (await collectInventory(connection, { lastUse: false, progress: silent })).document.keys;
      const dev = keys.find((k) => k.aliases.includes('alias/dev/app'))!;
      const store = new RetirementStore(path.join(homeDir(), 'retirements'));
      const retirements = new MultiAccountRetirementSource(connection.accounts!, connection.now, new Journal(path.join(homeDir(), 'journal.jsonl')), store);
      // A retirement started in dev-sandbox: the record names that account and the operator's session there.
      const preflight = await retirements.preflight(dev, 30);
      const record = await retirements.start(dev, { watchDays: 14, name: 'alias/dev/app', preflight });
      expect(record.account).toBe(DEV_ACCOUNT);
      expect(record.startedBy).toBe(`arn:aws:sts::${DEV_ACCOUNT}:assumed-role/KeywardenOperator/keywarden-alice`);
      // A record of analytics-prod, which this run does not read (kept from another run).
      await store.save({ ...record, keyArn: dev.arn.replace(DEV_ACCOUNT, ANALYTICS_ACCOUNT), account: ANALYTICS_ACCOUNT, name: 'alias/analytics/old' });

      const listed = await retirements.list();
      expect(listed).toHaveLength(2);
      const own = listed.find((item) => 'record' in item)!;
      expect(own).toMatchObject({ accountId: DEV_ACCOUNT, accountName: 'dev-sandbox' });
      expect('reality' in own && own.reality.keyState).toBe('Enabled');
      const other = listed.find((item) => 'problem' in item)!;
      expect(other).toMatchObject({ accountId: ANALYTICS_ACCOUNT });
      expect('problem' in other && other.problem).toContain(`account ${ANALYTICS_ACCOUNT} is not among the accounts keywarden reads`);
    } finally {
      await connection.close();
    }
  }, 60_000);
});
