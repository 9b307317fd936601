// Calls refused before they reached the key, from the callers' own trails (--org against the
// sandbox organization, real SDK clients over HTTP): AWS logs a cross-account KMS call refused for
// access only in the caller's account, so `usage --org` reads every other account's trail for the
// key (LookupEvents, ResourceName = the key ARN) and adds what only that trail has to the account's
// group — once, however many trails hold the call. An account whose trail cannot be read is named
// with the reason. The LookupEvents requests are counted.

import { DescribeKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/app/connect.js';
import { collectUsage, type UsageDocument } from '../../src/commands/usage.js';
import { findInsightsTarget } from '../../src/aws/insights.js';
import { outsideAccountsOf } from '../../src/commands/usage-accounts.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { ANALYTICS_ACCOUNT, PAYMENTS_ACCOUNT } from '../../src/sandbox/organization.js';
import { operatorEnvironment } from '../helpers/org-home.js';

const MANAGEMENT = '111122223333';
const DEV = '555566667777';
const RESEARCH = '888899990000';
const LEGACY = '666677778888';
operatorEnvironment('kw-org-trails-', SANDBOX_CREDENTIALS);
let sandbox: Sandbox;
let connection: Connection | undefined;

beforeAll(async () => {
  // AWS's quotas, LookupEvents' 2 per second per account and Region included.
  sandbox = await startSandbox({ port: 0 });
});
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});
afterAll(async () => {
  await sandbox.close();
});

const lookups = () => sandbox.requests().filter((r) => r.operation === 'LookupEvents');
const accountOf = (caller: string) => /^arn:aws:(?:sts|iam)::(\d{12}):/.exec(caller)?.[1];

/** What the key owner's trail alone says of analytics-prod (the grouping before the callers' trails). */
async function ownerOnly(doc: UsageDocument) {
  return (await outsideAccountsOf(connection, doc.key.arn, doc.summary))!.find((g) => g.accountId === ANALYTICS_ACCOUNT)!;
}

describe('usage --org: the callers’ own trails', () => {
  it('a member role refused by its own IAM on another account’s key shows under its account with its error code; each trail read once, paced', async () => {
    connection = await connect({ regions: ['us-east-1'], sandbox: false, readOnly: false, org: true, endpointUrl: sandbox.url });
    const payments = connection.accounts!.find((a) => a.id === PAYMENTS_ACCOUNT)!;
    const ledger = (await payments.clients!.kms('us-east-1').send(new DescribeKeyCommand({ KeyId: 'alias/payments/ledger' }))).KeyMetadata!.Arn!;
    // analytics-prod's ReportingBatch tries the ledger key now: its own IAM refuses it.
    const reports = new KMSClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENREPORTING', secretAccessKey: 'x' }, maxAttempts: 1 });
    const refused = await reports.send(new DescribeKeyCommand({ KeyId: ledger })).then(
      () => undefined,
      (error: { name: string; $metadata: { requestId?: string } }) => ({ name: error.name, requestId: error.$metadata.requestId! }),
    );
    reports.destroy();
    expect(refused?.name).toBe('AccessDeniedException');

    sandbox.clearRequests();
    const doc = await collectUsage(connection, ledger, { days: 7, json: true, engine: 'lookup' });
    expect(doc.summary).not.toBeNull();
    const group = doc.outsideAccounts!.find((g) => g.accountId === ANALYTICS_ACCOUNT)!;
    expect(group.accountName).toBe('analytics-prod');
    expect(group.errorCodes.map((e) => e.code)).toContain('AccessDenied');
    expect(group.fromCallerTrail!.failures).toContainEqual(expect.objectContaining({ operation: 'DescribeKey', errorCode: 'AccessDenied', requestId: refused!.requestId }));
    const reporting = group.callers.find((c) => c.id === `arn:aws:iam::${ANALYTICS_ACCOUNT}:role/ReportingBatch`)!;
    expect(reporting.fromCallerTrail).toBe(group.fromCallerTrail!.failed);
    expect(reporting.operations).toContain('DescribeKey');

    // Counted once: the ETL's calls are in both trails; only what the owner's trail lacks is added.
    const owner = await ownerOnly(doc);
    expect(owner.callers.some((c) => c.id.endsWith('role/ReportingBatch'))).toBe(false);
    const statuses = doc.callerTrails!.read ? doc.callerTrails!.accounts : [];
    const analytics = statuses.find((s) => s.accountId === ANALYTICS_ACCOUNT)!;
    expect(analytics.events).toBeGreaterThan(analytics.onlyThere);
    expect(group.count).toBe(owner.count + analytics.onlyThere);
    expect(group.failed).toBe(owner.failed + analytics.onlyThere);

    // Every other account asked; the two that cannot be read named with the reason.
    expect(statuses.map((s) => [s.accountId, s.status])).toEqual([
      [MANAGEMENT, 'read'],
      [ANALYTICS_ACCOUNT, 'read'],
      [DEV, 'read'],
      [RESEARCH, 'unreadable'],
      [LEGACY, 'unreadable'],
    ]);
    expect(statuses.find((s) => s.accountId === RESEARCH)!.reason).toContain('is not authorized to perform: sts:AssumeRole');
    expect(statuses.find((s) => s.accountId === LEGACY)!.reason).toBe('account is suspended');

    // LookupEvents: the owner's pages and each readable account's, nothing else, never throttled.
    const calls = lookups();
    expect(calls.every((c) => c.status === 200 && c.region === 'us-east-1')).toBe(true);
    expect(calls.filter((c) => accountOf(c.caller) === PAYMENTS_ACCOUNT)).toHaveLength(doc.progress.pages);
    for (const status of statuses) {
      expect(calls.filter((c) => accountOf(c.caller) === status.accountId)).toHaveLength(status.pages);
      expect(status.pages).toBeLessThanOrEqual(Math.max(1, Math.ceil(status.events / 50)));
    }
    expect(calls).toHaveLength(doc.progress.pages + 3);
    expect(calls.every((c) => (c.params as { LookupAttributes: unknown }).LookupAttributes !== undefined)).toBe(true);
    for (const c of calls) expect(c.params).toMatchObject({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: ledger }] });
  }, 60_000);

  it('a call that failed at the key is in both trails and counted once; only the refused ones come from the caller’s trail', async () => {
    connection = await connect({ regions: ['us-east-1'], sandbox: false, readOnly: false, org: true, operatorRole: 'KeywardenOperator', endpointUrl: sandbox.url });
    const payments = connection.accounts!.find((a) => a.id === PAYMENTS_ACCOUNT)!;
    const ledger = (await payments.clients!.kms('us-east-1').send(new DescribeKeyCommand({ KeyId: 'alias/payments/ledger' }))).KeyMetadata!.Arn!;
    await payments.operatorClients!().kms('us-east-1').send(new DisableKeyCommand({ KeyId: ledger }));
    // A day and a half later the ETL has tried the disabled key: DisabledException in both trails.
    await connection.sandboxClock!.advance(36 * 3600);
    const doc = await collectUsage(connection, ledger, { days: 7, json: true, engine: 'lookup' });
    const group = doc.outsideAccounts!.find((g) => g.accountId === ANALYTICS_ACCOUNT)!;
    const owner = await ownerOnly(doc);
    const disabledInOwner = owner.errorCodes.find((e) => e.code === 'DisabledException')!.count;
    expect(disabledInOwner).toBeGreaterThan(0);
    expect(group.errorCodes.find((e) => e.code === 'DisabledException')!.count).toBe(disabledInOwner);
    expect(group.fromCallerTrail!.errorCodes.map((e) => e.code)).toEqual(['AccessDenied']);
    const etl = group.callers.find((c) => c.id.endsWith('role/AnalyticsEtl'))!;
    expect(etl.fromCallerTrail).toBeUndefined();
    expect(etl.failed).toBe(owner.callers.find((c) => c.id.endsWith('role/AnalyticsEtl'))!.failed);
    expect(group.count).toBe(owner.count + group.fromCallerTrail!.failed);
  }, 60_000);
});

describe('a member account’s trails', () => {
  it('its own trail delivers to its own log group: Logs Insights is found there', async () => {
    connection = await connect({ regions: ['us-east-1'], sandbox: false, readOnly: true, org: true, endpointUrl: sandbox.url });
    const clients = connection.accounts!.find((a) => a.id === PAYMENTS_ACCOUNT)!.clients!;
    const found = await findInsightsTarget(clients.cloudtrail('us-east-1'), (r) => clients.logs(r), 'us-east-1');
    expect(found.why).toBeUndefined();
    expect(found.target).toMatchObject({ logGroupName: `aws-cloudtrail-logs-${PAYMENTS_ACCOUNT}-management`, logGroupRegion: 'us-east-1' });
  }, 30_000);

  it('under an organization trail, its log group is said to be in the management account, not missing', async () => {
    const org = await startSandbox({ port: 0, organizationId: 'o-a1b2c3d4e5' });
    try {
      connection = await connect({ regions: ['us-east-1'], sandbox: false, readOnly: true, org: true, endpointUrl: org.url });
      const clients = connection.accounts!.find((a) => a.id === PAYMENTS_ACCOUNT)!.clients!;
      const found = await findInsightsTarget(clients.cloudtrail('us-east-1'), (r) => clients.logs(r), 'us-east-1');
      expect(found.target).toBeUndefined();
      expect(found.why).toBe(`trail management-events is the organization's trail: its log group aws-cloudtrail-logs-${MANAGEMENT}-management is in account ${MANAGEMENT}, which owns the trail, not in this account`);
    } finally {
      await connection?.close();
      connection = undefined;
      await org.close();
    }
  }, 30_000);
});
