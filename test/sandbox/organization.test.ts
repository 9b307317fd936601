// The sandbox as an organization: member accounts with their own keys and trails, STS AssumeRole
// with trust checks and expiring credentials, Organizations' read calls, cross-account KMS calls
// evaluated by the key policy and the caller's IAM and logged as AWS logs them. Real SDK clients
// over HTTP, no retries.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, GetKeyLastUsageCommand, KMSClient, ListAliasesCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type Credentials } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { ANALYTICS_ACCOUNT, PAYMENTS_ACCOUNT, PRODUCTION_OU, RESEARCH_ACCOUNT, ROOT_ID } from '../../src/sandbox/organization.js';
import { failure, openHarness, type Harness } from './helpers.js';

const MANAGEMENT = '111122223333';
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let h: Harness;
const made: Array<{ destroy(): void }> = [];
function track<T extends { destroy(): void }>(client: T): T {
  made.push(client);
  return client;
}
const kmsWith = (credentials: Creds, region = 'us-east-1') => track(new KMSClient({ region, endpoint: h.sandbox.url, credentials, maxAttempts: 1 }));
const stsWith = (credentials: Creds) => track(new STSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials, maxAttempts: 1 }));
const orgWith = (credentials: Creds) => track(new OrganizationsClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials, maxAttempts: 1 }));
const trailWith = (credentials: Creds) => track(new CloudTrailClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials, maxAttempts: 1 }));
const key = (accessKeyId: string): Creds => ({ accessKeyId, secretAccessKey: 'x' });
const asCreds = (c: Credentials): Creds => ({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });

async function assume(roleArn: string, extra: { SourceIdentity?: string; DurationSeconds?: number } = {}, as: Creds = SANDBOX_CREDENTIALS) {
  return stsWith(as).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'alice', ...extra }));
}
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

async function keyArnsOf(kms: KMSClient): Promise<string[]> {
  const out = await kms.send(new ListKeysCommand({}));
  return out.Keys!.map((k) => k.KeyArn!);
}

beforeAll(async () => {
  h = await openHarness({ lookupEventsPerSecond: 1000 }); // LookupEvents over many pages; every other quota is AWS's
});
afterAll(async () => {
  for (const client of made) client.destroy();
  await h.close();
});

describe('member accounts', () => {
  it('each account has its own keys and aliases, reached through an assumed role', async () => {
    const out = await assume(role(PAYMENTS_ACCOUNT, 'OrganizationAccountAccessRole'), { SourceIdentity: 'alice' });
    expect(out.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${PAYMENTS_ACCOUNT}:assumed-role/OrganizationAccountAccessRole/alice`);
    expect(out.SourceIdentity).toBe('alice');
    const payments = kmsWith(asCreds(out.Credentials!));
    const arns = await keyArnsOf(payments);
    expect(arns.length).toBe(2); // the ledger and card tokens in us-east-1
    expect(arns.every((arn) => arn.includes(`:${PAYMENTS_ACCOUNT}:key/`))).toBe(true);
    const aliases = (await payments.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
    expect(aliases).toEqual(['alias/payments/card-tokens', 'alias/payments/ledger']);
    const ledger = await payments.send(new DescribeKeyCommand({ KeyId: 'alias/payments/ledger' }));
    expect(ledger.KeyMetadata!.AWSAccountId).toBe(PAYMENTS_ACCOUNT);
    // The management account's view is unchanged: none of the members' keys.
    expect((await keyArnsOf(h.kms())).some((arn) => !arn.includes(`:${MANAGEMENT}:`))).toBe(false);
    // eu-west-1 is its own Region of the member account too.
    const eu = await keyArnsOf(kmsWith(asCreds(out.Credentials!), 'eu-west-1'));
    expect(eu).toHaveLength(1);
  });

  it('a key created in a member account belongs to it', async () => {
    const out = await assume(role(ANALYTICS_ACCOUNT, 'KeywardenOperator'));
    const analytics = kmsWith(asCreds(out.Credentials!));
    const created = await analytics.send(new CreateKeyCommand({ Description: 'member key' }));
    expect(created.KeyMetadata!.Arn).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${ANALYTICS_ACCOUNT}:key/`));
    expect(created.KeyMetadata!.AWSAccountId).toBe(ANALYTICS_ACCOUNT);
    expect(await keyArnsOf(analytics)).toContain(created.KeyMetadata!.Arn);
    expect(await keyArnsOf(h.kms())).not.toContain(created.KeyMetadata!.Arn);
  });
});

describe('cross-account KMS calls', () => {
  let ledgerArn: string;
  let cardTokensArn: string;
  let warehouseArn: string;
  let paymentsSession: Creds;
  let analyticsSession: Creds;
  beforeAll(async () => {
    paymentsSession = asCreds((await assume(role(PAYMENTS_ACCOUNT, 'OrganizationAccountAccessRole'))).Credentials!);
    analyticsSession = asCreds((await assume(role(ANALYTICS_ACCOUNT, 'OrganizationAccountAccessRole'))).Credentials!);
    const payments = kmsWith(paymentsSession);
    ledgerArn = (await payments.send(new DescribeKeyCommand({ KeyId: 'alias/payments/ledger' }))).KeyMetadata!.Arn!;
    cardTokensArn = (await payments.send(new DescribeKeyCommand({ KeyId: 'alias/payments/card-tokens' }))).KeyMetadata!.Arn!;
    warehouseArn = (await kmsWith(analyticsSession).send(new DescribeKeyCommand({ KeyId: 'alias/analytics/warehouse' }))).KeyMetadata!.Arn!;
  });

  it('the key policy shares the ledger key with analytics-prod, and its own IAM lets the ETL role use it', async () => {
    const etl = kmsWith(key('AKIAKEYWARDENANALYTICS'));
    const described = await etl.send(new DescribeKeyCommand({ KeyId: ledgerArn }));
    expect(described.KeyMetadata!.AWSAccountId).toBe(PAYMENTS_ACCOUNT);
    // Ciphertext made in payments-prod decrypts in analytics-prod (Decrypt without KeyId finds the key's account).
    const payments = kmsWith(paymentsSession);
    const sealed = await payments.send(new EncryptCommand({ KeyId: 'alias/payments/ledger', Plaintext: Buffer.from('ledger export') }));
    const opened = await etl.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob! }));
    expect(Buffer.from(opened.Plaintext!).toString()).toBe('ledger export');
    // The key policy shares Decrypt and DescribeKey only.
    const encrypt = await failure(etl.send(new EncryptCommand({ KeyId: ledgerArn, Plaintext: Buffer.from('x') })));
    expect(encrypt.name).toBe('AccessDeniedException');
    expect(encrypt.message).toBe(
      `User: arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/AnalyticsEtl/etl-nightly is not authorized to perform: kms:Encrypt on resource: ${ledgerArn} because no resource-based policy allows the kms:Encrypt action`,
    );
  });

  it('a key of another account is named by ARN: a bare id or alias name is looked up in the caller’s own account', async () => {
    const etl = kmsWith(key('AKIAKEYWARDENANALYTICS'));
    const id = ledgerArn.split('/').pop()!;
    const bare = await failure(etl.send(new DescribeKeyCommand({ KeyId: id })));
    expect(bare).toMatchObject({ name: 'NotFoundException', message: `Key 'arn:aws:kms:us-east-1:${ANALYTICS_ACCOUNT}:key/${id}' does not exist` });
    const alias = await failure(etl.send(new DescribeKeyCommand({ KeyId: 'alias/payments/ledger' })));
    expect(alias).toMatchObject({ name: 'NotFoundException', message: `Alias arn:aws:kms:us-east-1:${ANALYTICS_ACCOUNT}:alias/payments/ledger is not found.` });
  });

  it('a grant to another account’s role allows what it names, when that role’s IAM allows it', async () => {
    const etl = kmsWith(key('AKIAKEYWARDENANALYTICS'));
    await expect(etl.send(new DescribeKeyCommand({ KeyId: cardTokensArn }))).resolves.toBeDefined();
    const generate = await failure(etl.send(new GenerateDataKeyCommand({ KeyId: cardTokensArn, KeySpec: 'AES_256' })));
    expect(generate.name).toBe('AccessDeniedException');
  });

  it('a role whose own IAM does not allow the other account’s key is refused, however the key policy reads', async () => {
    const reports = kmsWith(key('AKIAKEYWARDENREPORTING'));
    const denied = await failure(reports.send(new DescribeKeyCommand({ KeyId: ledgerArn })));
    expect(denied).toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/ReportingBatch/reports is not authorized to perform: kms:DescribeKey on resource: ${ledgerArn} because no identity-based policy allows the kms:DescribeKey action`,
    });
    await expect(reports.send(new DescribeKeyCommand({ KeyId: warehouseArn }))).resolves.toBeDefined();
  });

  it('CloudTrail: the key owner’s trail and the caller’s both log a cross-account call; a refused one only the caller’s', async () => {
    const etl = kmsWith(key('AKIAKEYWARDENANALYTICS'));
    const reports = kmsWith(key('AKIAKEYWARDENREPORTING'));
    const allowed = await etl.send(new DescribeKeyCommand({ KeyId: ledgerArn }));
    const allowedId = allowed.$metadata.requestId!;
    const refused = await reports.send(new DescribeKeyCommand({ KeyId: ledgerArn })).then(
      () => undefined,
      (error: { $metadata: { requestId?: string } }) => error.$metadata.requestId,
    );
    expect(refused).toBeDefined();
    const records = async (session: Creds) => {
      const out = await trailWith(session).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'DescribeKey' }], MaxResults: 50 }));
      return out.Events!.map((e) => JSON.parse(e.CloudTrailEvent!) as { requestID: string; eventID: string; sharedEventID?: string; recipientAccountId: string; userIdentity: { accountId: string }; resources?: Array<{ accountId: string }>; errorCode?: string });
    };
    const owner = await records(paymentsSession);
    const caller = await records(analyticsSession);
    const ownerCopy = owner.find((r) => r.requestID === allowedId);
    expect(ownerCopy).toMatchObject({ recipientAccountId: PAYMENTS_ACCOUNT, userIdentity: { accountId: ANALYTICS_ACCOUNT }, resources: [{ accountId: PAYMENTS_ACCOUNT }] });
    const callerCopy = caller.find((r) => r.requestID === allowedId);
    expect(callerCopy).toMatchObject({ recipientAccountId: ANALYTICS_ACCOUNT, userIdentity: { accountId: ANALYTICS_ACCOUNT } });
    // The two copies: the same requestID and sharedEventID, each its own eventID (CloudTrail User
    // Guide, "Example sharedEventID").
    expect(callerCopy!.eventID).not.toBe(ownerCopy!.eventID);
    expect(ownerCopy!.sharedEventID).toMatch(/^[0-9a-f-]{36}$/);
    expect(callerCopy!.sharedEventID).toBe(ownerCopy!.sharedEventID);
    expect(owner.find((r) => r.requestID === refused)).toBeUndefined();
    const refusedCopy = caller.find((r) => r.requestID === refused);
    expect(refusedCopy).toMatchObject({ errorCode: 'AccessDenied', recipientAccountId: ANALYTICS_ACCOUNT });
    // Delivered to one account only: nothing shared.
    expect(refusedCopy!.sharedEventID).toBeUndefined();
    // The management account's trail has none of it.
    expect((await records(SANDBOX_CREDENTIALS)).some((r) => r.requestID === allowedId || r.requestID === refused)).toBe(false);
  });

  it('a refused cross-account call is found in the caller’s trail by the key ARN: resources and keyId name the key, the error is IAM’s', async () => {
    const reports = kmsWith(key('AKIAKEYWARDENREPORTING'));
    const requestId = await reports.send(new DescribeKeyCommand({ KeyId: ledgerArn })).then(
      () => undefined,
      (error: { $metadata: { requestId?: string } }) => error.$metadata.requestId,
    );
    expect(requestId).toBeDefined();
    type Logged = { requestID: string; eventID: string; eventName: string; errorCode?: string; errorMessage?: string; recipientAccountId: string; requestParameters: { keyId?: string } | null; resources?: Array<{ accountId: string; type: string; ARN: string }> };
    const byKey = async (session: Creds) => {
      const out: Array<{ event: Logged; resources: Array<{ ResourceType?: string; ResourceName?: string }> }> = [];
      let token: string | undefined;
      do {
        const page = await trailWith(session).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: ledgerArn }], ...(token ? { NextToken: token } : {}) }));
        out.push(...page.Events!.map((e) => ({ event: JSON.parse(e.CloudTrailEvent!) as Logged, resources: e.Resources ?? [] })));
        token = page.NextToken;
      } while (token);
      return out;
    };
    const caller = await byKey(analyticsSession);
    const found = caller.find((e) => e.event.requestID === requestId);
    // As AWS logs it (KMS developer guide, "Logging AWS KMS API calls with AWS CloudTrail"): the key
    // ARN in resources (the key owner's account) and keyId as the caller passed it.
    expect(found?.event).toMatchObject({
      eventName: 'DescribeKey',
      errorCode: 'AccessDenied',
      errorMessage: `User: arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/ReportingBatch/reports is not authorized to perform: kms:DescribeKey on resource: ${ledgerArn} because no identity-based policy allows the kms:DescribeKey action`,
      recipientAccountId: ANALYTICS_ACCOUNT,
      requestParameters: { keyId: ledgerArn },
      resources: [{ accountId: PAYMENTS_ACCOUNT, type: 'AWS::KMS::Key', ARN: ledgerArn }],
    });
    expect(found?.resources).toEqual([{ ResourceType: 'AWS::KMS::Key', ResourceName: ledgerArn }]);
    // The workload's refused Decrypts (no KeyId: the key comes from the ciphertext) carry the key ARN too.
    const decrypts = caller.filter((e) => e.event.eventName === 'Decrypt' && e.event.errorCode === 'AccessDenied');
    expect(decrypts.length).toBeGreaterThanOrEqual(1);
    for (const d of decrypts) expect(d.event.resources).toEqual([{ accountId: PAYMENTS_ACCOUNT, type: 'AWS::KMS::Key', ARN: ledgerArn }]);
    // None of them in the key owner's trail.
    const owner = await byKey(paymentsSession);
    expect(owner.some((e) => e.event.errorCode === 'AccessDenied')).toBe(false);
  });

  it('workloads: analytics-prod uses payments-prod’s ledger key every day; its refused reporting role shows only in its own trail', async () => {
    const since = new Date(h.sandbox.now().getTime() - 14 * 86_400_000);
    const decrypts = async (session: Creds) => {
      const out: Array<{ userIdentity: { arn: string; accountId: string }; recipientAccountId: string; errorCode?: string; requestID: string; eventID: string; sharedEventID?: string }> = [];
      let token: string | undefined;
      do {
        const page = await trailWith(session).send(new LookupEventsCommand({ StartTime: since, LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Decrypt' }], ...(token ? { NextToken: token } : {}) }));
        out.push(...page.Events!.map((e) => JSON.parse(e.CloudTrailEvent!) as (typeof out)[number]));
        token = page.NextToken;
      } while (token);
      return out;
    };
    const owner = await decrypts(paymentsSession);
    const etl = owner.filter((r) => r.userIdentity.arn.includes('AnalyticsEtl'));
    expect(etl.length).toBeGreaterThan(14 * 2);
    expect(etl.every((r) => r.userIdentity.accountId === ANALYTICS_ACCOUNT && r.recipientAccountId === PAYMENTS_ACCOUNT)).toBe(true);
    expect(owner.some((r) => r.userIdentity.arn.includes('ReportingBatch'))).toBe(false);
    const caller = await decrypts(analyticsSession);
    // Every call is in both trails, except the seeded last use (rendered in the key owner's trail only: docs/sandbox.md).
    const callerEtl = caller.filter((r) => r.userIdentity.arn.includes('AnalyticsEtl'));
    expect(callerEtl.length).toBe(etl.length - 1);
    // Each copy its own eventID; the requestID and sharedEventID the same in both.
    const ownerByRequest = new Map(etl.map((r) => [r.requestID, r]));
    for (const copy of callerEtl) {
      const other = ownerByRequest.get(copy.requestID);
      expect(other).toBeDefined();
      expect(copy.eventID).not.toBe(other!.eventID);
      expect(copy.sharedEventID).toBeDefined();
      expect(copy.sharedEventID).toBe(other!.sharedEventID);
    }
    const refused = caller.filter((r) => r.userIdentity.arn.includes('ReportingBatch'));
    expect(refused.length).toBeGreaterThanOrEqual(1); // Mondays
    expect(refused.every((r) => r.errorCode === 'AccessDenied' && r.recipientAccountId === ANALYTICS_ACCOUNT)).toBe(true);
    // The management account's trail has none of the organization's other accounts' calls.
    expect((await decrypts(SANDBOX_CREDENTIALS)).some((r) => r.userIdentity.accountId === ANALYTICS_ACCOUNT)).toBe(false);
  });

  it('quotas are per account and Region: one account throttled leaves the others their own', async () => {
    // GetKeyLastUsage allows 5 requests per second per account and Region.
    const payments = kmsWith(paymentsSession);
    const burst = await Promise.allSettled(Array.from({ length: 12 }, () => payments.send(new GetKeyLastUsageCommand({ KeyId: ledgerArn }))));
    expect(burst.some((r) => r.status === 'rejected' && (r.reason as Error).name === 'ThrottlingException')).toBe(true);
    await expect(kmsWith(analyticsSession).send(new GetKeyLastUsageCommand({ KeyId: warehouseArn }))).resolves.toBeDefined();
  });
});

describe('STS AssumeRole', () => {
  it('GetCallerIdentity answers for the session', async () => {
    const out = await assume(role(PAYMENTS_ACCOUNT, 'KeywardenReadOnly'), { SourceIdentity: 'alice@example.com' });
    const identity = await stsWith(asCreds(out.Credentials!)).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: PAYMENTS_ACCOUNT, Arn: `arn:aws:sts::${PAYMENTS_ACCOUNT}:assumed-role/KeywardenReadOnly/alice` });
  });

  it('a role that does not exist, or does not trust the caller, is AccessDenied with the same message', async () => {
    const missing = await failure(assume(role(RESEARCH_ACCOUNT, 'OrganizationAccountAccessRole')));
    expect(missing).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:sts::${MANAGEMENT}:assumed-role/KeywardenOperator/operator is not authorized to perform: sts:AssumeRole on resource: ${role(RESEARCH_ACCOUNT, 'OrganizationAccountAccessRole')}`,
    });
    // The partner account is not trusted by the organization's roles.
    const partner = await failure(assume(role(PAYMENTS_ACCOUNT, 'KeywardenReadOnly'), {}, key('AKIAKEYWARDENPARTNER')));
    expect(partner.name).toBe('AccessDenied');
    // The auditor's own IAM does not allow sts:AssumeRole, though the role trusts its account.
    const auditor = await failure(assume(role(PAYMENTS_ACCOUNT, 'KeywardenReadOnly'), {}, key('AKIAKEYWARDENAUDITOR')));
    expect(auditor.message).toContain('is not authorized to perform: sts:AssumeRole on resource:');
  });

  it('a SourceIdentity needs sts:SetSourceIdentity in the trust policy', async () => {
    const legacy = role(PAYMENTS_ACCOUNT, 'LegacyAuditRole');
    const refused = await failure(assume(legacy, { SourceIdentity: 'alice' }));
    expect(refused).toMatchObject({ name: 'AccessDenied', message: `User: arn:aws:sts::${MANAGEMENT}:assumed-role/KeywardenOperator/operator is not authorized to perform: sts:SetSourceIdentity on resource: ${legacy}` });
    await expect(assume(legacy)).resolves.toBeDefined();
  });

  it('validates DurationSeconds, names and the role chaining limit', async () => {
    const arn = role(PAYMENTS_ACCOUNT, 'KeywardenReadOnly');
    expect(await failure(assume(arn, { DurationSeconds: 600 }))).toMatchObject({ name: 'ValidationError', message: "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900" });
    // The operator is itself a role session: role chaining allows one hour at most.
    expect(await failure(assume(arn, { DurationSeconds: 7200 }))).toMatchObject({ name: 'ValidationError', message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.' });
    expect((await failure(assume(arn, { SourceIdentity: 'bad name' }))).name).toBe('ValidationError');
  });

  it('credentials expire in sandbox time: ExpiredTokenException (KMS), ExpiredToken (STS)', async () => {
    const out = await assume(role(PAYMENTS_ACCOUNT, 'KeywardenReadOnly'), { DurationSeconds: 900 });
    const expiration = out.Credentials!.Expiration!.getTime();
    expect(expiration - h.sandbox.now().getTime()).toBeGreaterThan(890_000);
    expect(expiration - h.sandbox.now().getTime()).toBeLessThanOrEqual(900_000);
    const creds = asCreds(out.Credentials!);
    await expect(kmsWith(creds).send(new ListKeysCommand({}))).resolves.toBeDefined();
    // A forged token (another session's body with this signature) is refused.
    const [prefix, body, mac] = creds.sessionToken!.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), a: ANALYTICS_ACCOUNT })).toString('base64url');
    const forged = await failure(kmsWith({ ...creds, sessionToken: `${prefix}.${forgedBody}.${mac}` }).send(new ListKeysCommand({})));
    expect(forged).toMatchObject({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    h.sandbox.advanceClock(901);
    const kms = await failure(kmsWith(creds).send(new ListKeysCommand({})));
    expect(kms).toMatchObject({ name: 'ExpiredTokenException', message: 'The security token included in the request is expired' });
    const sts = await failure(stsWith(creds).send(new GetCallerIdentityCommand({})));
    expect(sts).toMatchObject({ name: 'ExpiredToken', message: 'The security token included in the request is expired' });
  });
});

describe('Organizations', () => {
  it('the management account lists accounts, roots, OUs and OU members, page by page', async () => {
    const org = orgWith(SANDBOX_CREDENTIALS);
    const description = await org.send(new DescribeOrganizationCommand({}));
    expect(description.Organization).toMatchObject({ MasterAccountId: MANAGEMENT, FeatureSet: 'ALL' });
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await org.send(new ListAccountsCommand({ MaxResults: 4, ...(token ? { NextToken: token } : {}) }));
      ids.push(...page.Accounts!.map((a) => a.Id!));
      token = page.NextToken;
      pages += 1;
    } while (token);
    expect(pages).toBe(2);
    expect(ids).toHaveLength(6);
    expect(ids).toContain(PAYMENTS_ACCOUNT);
    const roots = await org.send(new ListRootsCommand({}));
    expect(roots.Roots!.map((r) => r.Id)).toEqual([ROOT_ID]);
    const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: ROOT_ID }));
    expect(ous.OrganizationalUnits!.map((ou) => ou.Name)).toEqual(['Production', 'Sandbox']);
    const production = await org.send(new ListAccountsForParentCommand({ ParentId: PRODUCTION_OU }));
    expect(production.Accounts!.map((a) => a.Name)).toEqual(['payments-prod', 'analytics-prod']);
    const all = await org.send(new ListAccountsCommand({}));
    expect(all.Accounts!.find((a) => a.Name === 'legacy-archive')!.Status).toBe('SUSPENDED');
  });

  it('refuses as AWS does: member accounts, accounts outside, bad input', async () => {
    const member = orgWith(asCreds((await assume(role(PAYMENTS_ACCOUNT, 'OrganizationAccountAccessRole'))).Credentials!));
    await expect(member.send(new DescribeOrganizationCommand({}))).resolves.toBeDefined();
    expect(await failure(member.send(new ListAccountsCommand({})))).toMatchObject({ name: 'AccessDeniedException', message: "You don't have permissions to access this resource." });
    expect(await failure(orgWith(key('AKIAKEYWARDENPARTNER')).send(new ListAccountsCommand({})))).toMatchObject({
      name: 'AWSOrganizationsNotInUseException',
      message: 'Your account is not a member of an organization.',
    });
    // The auditor's IAM allows KMS reads only.
    expect((await failure(orgWith(key('AKIAKEYWARDENAUDITOR')).send(new ListAccountsCommand({})))).name).toBe('AccessDeniedException');
    const org = orgWith(SANDBOX_CREDENTIALS);
    expect((await failure(org.send(new ListAccountsCommand({ NextToken: 'not-a-token' })))).name).toBe('InvalidInputException');
    expect((await failure(org.send(new ListAccountsCommand({ MaxResults: 21 })))).name).toBe('InvalidInputException');
    expect(await failure(org.send(new ListAccountsForParentCommand({ ParentId: 'ou-kw7q-zzzzzzzz' })))).toMatchObject({
      name: 'ParentNotFoundException',
      message: "We can't find a root or OU with the ParentId that you specified.",
    });
  });
});

describe('persistence', () => {
  it('member accounts are saved in the state file; a file from before the organization gets them seeded', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kw-org-'));
    try {
      const statePath = path.join(dir, 'state.json');
      const first = await startSandbox({ statePath, workloads: false });
      const sts = new STSClient({ region: 'us-east-1', endpoint: first.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
      const creds = asCreds((await sts.send(new AssumeRoleCommand({ RoleArn: role(PAYMENTS_ACCOUNT, 'KeywardenOperator'), RoleSessionName: 'alice' }))).Credentials!);
      const kms = new KMSClient({ region: 'us-east-1', endpoint: first.url, credentials: creds, maxAttempts: 1 });
      const created = (await kms.send(new CreateKeyCommand({ Description: 'kept' }))).KeyMetadata!.Arn!;
      kms.destroy();
      sts.destroy();
      await first.close();

      // Restarted: the key is there, and the session's credentials still work (stateless tokens).
      const second = await startSandbox({ statePath, workloads: false });
      const again = new KMSClient({ region: 'us-east-1', endpoint: second.url, credentials: creds, maxAttempts: 1 });
      expect((await again.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyArn)).toContain(created);
      again.destroy();
      await second.close();

      // An older file (no members): the organization's accounts are seeded on load.
      const saved = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown>;
      delete saved.members;
      await writeFile(statePath, JSON.stringify(saved));
      const third = await startSandbox({ statePath, workloads: false });
      const sts3 = new STSClient({ region: 'us-east-1', endpoint: third.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
      const creds3 = asCreds((await sts3.send(new AssumeRoleCommand({ RoleArn: role(PAYMENTS_ACCOUNT, 'KeywardenOperator'), RoleSessionName: 'alice' }))).Credentials!);
      const kms3 = new KMSClient({ region: 'us-east-1', endpoint: third.url, credentials: creds3, maxAttempts: 1 });
      const arns = (await kms3.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyArn);
      expect(arns).toHaveLength(2);
      expect(arns).not.toContain(created);
      kms3.destroy();
      sts3.destroy();
      await third.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
