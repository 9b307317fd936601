// Key policies are evaluated: each seeded caller, through the real SDK clients over HTTP, is
// allowed or refused by the key policy, its identity policy and the key's grants, with AWS's
// AccessDeniedException messages, and refusals land in CloudTrail as AccessDenied.

import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { SEEDED_CALLERS } from '../../src/sandbox/principals.js';
import { failure, openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const OPERATOR = `arn:aws:sts::${ACCOUNT}:assumed-role/KeywardenOperator/operator`;
const AUDITOR = `arn:aws:sts::${ACCOUNT}:assumed-role/KeywardenAuditor/auditor`;
const APP = `arn:aws:sts::${ACCOUNT}:assumed-role/PaymentsApi/payments-api-local`;
const PARTNER = `arn:aws:sts::${OTHER}:assumed-role/PartnerAnalytics/partner`;
const text = (value: string) => new TextEncoder().encode(value);
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const ROOT = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };

const noResource = (caller: string, op: string, arn: string) => `User: ${caller} is not authorized to perform: kms:${op} on resource: ${arn} because no resource-based policy allows the kms:${op} action`;
const noIdentity = (caller: string, op: string, arn: string) => `User: ${caller} is not authorized to perform: kms:${op} on resource: ${arn} because no identity-based policy allows the kms:${op} action`;
const explicitDeny = (caller: string, op: string, arn: string) => `User: ${caller} is not authorized to perform: kms:${op} on resource: ${arn} with an explicit deny in a resource-based policy`;

let h: Harness;
const clients: Array<{ destroy(): void }> = [];
function kmsAs(accessKeyId: string): KMSClient {
  const client = new KMSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: { accessKeyId, secretAccessKey: 'any' }, maxAttempts: 1 });
  clients.push(client);
  return client;
}
const auditor = () => kmsAs('AKIAKEYWARDENAUDITOR');
const app = () => kmsAs('AKIAKEYWARDENAPPROLE');
const partner = () => kmsAs('AKIAKEYWARDENPARTNER');

beforeAll(async () => {
  h = await openHarness({ lookupEventsPerSecond: 1000, quotaScale: 20 }); // raw, unpaced calls well beyond an account's quotas
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await h.close();
});

describe('seeded callers', () => {
  it('each access key is its own principal', async () => {
    const seen: Record<string, [string, string]> = {};
    for (const caller of SEEDED_CALLERS) {
      const sts = new STSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });
      clients.push(sts);
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      seen[caller.name] = [identity.Arn!, identity.Account!];
    }
    expect(seen).toEqual({ operator: [OPERATOR, ACCOUNT], colleague: [`arn:aws:sts::${ACCOUNT}:assumed-role/KeyAdmins/colleague`, ACCOUNT], auditor: [AUDITOR, ACCOUNT], application: [APP, ACCOUNT], 'analytics-etl': ['arn:aws:sts::333344445555:assumed-role/AnalyticsEtl/etl-nightly', '333344445555'], 'reporting-batch': ['arn:aws:sts::333344445555:assumed-role/ReportingBatch/reports', '333344445555'], 'other-account': [PARTNER, OTHER] });
    expect(SEEDED_CALLERS[0]!.accessKeyId).toBe(SANDBOX_CREDENTIALS.accessKeyId);
  });

  it('the auditor reads everything and changes nothing', async () => {
    const arn = await h.arn('alias/app/orders-queue');
    const kms = auditor();
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app/orders-queue' }))).KeyMetadata!.Arn).toBe(arn);
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: arn }))).Policy).toContain('kms:*');
    expect((await kms.send(new ListKeysCommand({}))).Keys!.length).toBeGreaterThan(10);
    expect(await failure(kms.send(new DisableKeyCommand({ KeyId: arn })))).toMatchObject({ name: 'AccessDeniedException', message: noIdentity(AUDITOR, 'DisableKey', arn) });
    expect(await failure(kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('x') })))).toMatchObject({ name: 'AccessDeniedException', message: noIdentity(AUDITOR, 'Encrypt', arn) });
    expect(await failure(kms.send(new CreateKeyCommand({})))).toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${AUDITOR} is not authorized to perform: kms:CreateKey because no identity-based policy allows the kms:CreateKey action`,
    });
    expect((await h.kms().send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('the application role uses its own key and nothing else', async () => {
    const kms = app();
    const sealed = await kms.send(new EncryptCommand({ KeyId: 'alias/app/payments-db', Plaintext: text('card'), EncryptionContext: { app: 'payments-api' } }));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { app: 'payments-api' } }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe('card');
    const payments = await h.arn('alias/app/payments-db');
    const orders = await h.arn('alias/app/orders-queue');
    expect(await failure(kms.send(new EncryptCommand({ KeyId: 'alias/app/orders-queue', Plaintext: text('x') })))).toMatchObject({ name: 'AccessDeniedException', message: noIdentity(APP, 'Encrypt', orders) });
    expect(await failure(kms.send(new DisableKeyCommand({ KeyId: payments })))).toMatchObject({ name: 'AccessDeniedException', message: noIdentity(APP, 'DisableKey', payments) });
    expect((await failure(kms.send(new ListKeysCommand({})))).name).toBe('AccessDeniedException');
  });

  it('a principal of another account gets in only where a key policy names it', async () => {
    const kms = partner();
    const arn = await h.createKey({ Description: 'shared with the partner', Policy: policy(ROOT) });
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: arn })))).toMatchObject({ name: 'AccessDeniedException', message: noResource(PARTNER, 'DescribeKey', arn) });
    // A key id or alias is looked up in the caller's own account.
    const keyId = arn.split('/').pop()!;
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: keyId })))).toMatchObject({ name: 'NotFoundException', message: `Key 'arn:aws:kms:us-east-1:${OTHER}:key/${keyId}' does not exist` });
    expect((await failure(kms.send(new ListKeysCommand({})))).name).toBe('AccessDeniedException');

    await h.kms().send(
      new PutKeyPolicyCommand({
        KeyId: arn,
        Policy: policy(ROOT, { Sid: 'Partner', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], Resource: '*' }),
      }),
    );
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.Arn).toBe(arn);
    const sealed = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('shared') }));
    expect(sealed.KeyId).toBe(arn);
    expect(await failure(kms.send(new DisableKeyCommand({ KeyId: arn })))).toMatchObject({ name: 'AccessDeniedException', message: noResource(PARTNER, 'DisableKey', arn) });

    // The key's account records the calls with the caller's own account in userIdentity.
    const ct = new CloudTrailClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    clients.push(ct);
    const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }] }));
    const calls = out.Events!.map((e: Event) => JSON.parse(e.CloudTrailEvent!) as Record<string, any>).filter((r) => r.userIdentity.arn === PARTNER);
    expect(calls.map((r) => [r.eventName, r.errorCode ?? 'ok']).sort()).toEqual(
      [['DescribeKey', 'AccessDenied'], ['DescribeKey', 'ok'], ['DisableKey', 'AccessDenied'], ['Encrypt', 'ok']].sort(),
    );
    expect(calls[0]!.userIdentity).toMatchObject({ type: 'AssumedRole', accountId: OTHER, sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${OTHER}:role/PartnerAnalytics`, accountId: OTHER } } });
  });

  it('an IAM user without an identity policy is allowed only what a key policy names it for', async () => {
    const arn = await h.createKey({
      Policy: policy(ROOT, { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/AKIAEXAMPLEUSER` }, Action: 'kms:DescribeKey', Resource: '*' }),
    });
    const kms = kmsAs('AKIAEXAMPLEUSER');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.Arn).toBe(arn);
    expect((await failure(kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('x') })))).message).toBe(noIdentity(`arn:aws:iam::${ACCOUNT}:user/AKIAEXAMPLEUSER`, 'Encrypt', arn));
  });
});

describe('the kms:TrailingDaysWithoutKeyUsage guard', () => {
  it('refuses DisableKey and ScheduleKeyDeletion on the seeded guarded key, which is in use', async () => {
    const arn = await h.arn('alias/cloudtrail/management-events');
    const seeded = (await h.kms().send(new GetKeyPolicyCommand({ KeyId: arn }))).Policy!;
    expect(seeded).toContain('kms:TrailingDaysWithoutKeyUsage');
    expect(await failure(h.kms().send(new DisableKeyCommand({ KeyId: arn })))).toMatchObject({ name: 'AccessDeniedException', status: 400, message: explicitDeny(OPERATOR, 'DisableKey', arn) });
    expect(await failure(h.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 30 })))).toMatchObject({
      name: 'AccessDeniedException',
      message: explicitDeny(OPERATOR, 'ScheduleKeyDeletion', arn),
    });
    expect((await h.kms().send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('Enabled');

    // CloudTrail records the refusal as AWS does: errorCode AccessDenied.
    const ct = new CloudTrailClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    clients.push(ct);
    const out = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'DisableKey' }] }));
    const record = out.Events!.map((e: Event) => JSON.parse(e.CloudTrailEvent!) as Record<string, any>).find((r) => r.resources?.[0]?.ARN === arn)!;
    expect(record).toMatchObject({ errorCode: 'AccessDenied', errorMessage: explicitDeny(OPERATOR, 'DisableKey', arn), userIdentity: { arn: OPERATOR } });
  });

  it('lets a key go once it has not been used for more than 365 days', async () => {
    const guard = {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
      Resource: '*',
      Condition: { NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '365' } },
    };
    const h2 = await openHarness();
    // A year's jump runs the workloads' catch-up and can outlast the server's keep-alive: a client
    // that retries a reset socket (the refusals themselves are not retried).
    const kms = new KMSClient({ region: 'us-east-1', endpoint: h2.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 3 });
    try {
      const arn = await h2.createKey({ Policy: policy(ROOT, guard) });
      await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('used once') }));
      expect((await failure(kms.send(new DisableKeyCommand({ KeyId: arn })))).message).toBe(explicitDeny(OPERATOR, 'DisableKey', arn));
      const moved = await fetch(`${h2.sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 365 * 86_400 }) });
      expect(moved.status).toBe(200);
      expect((await failure(kms.send(new DisableKeyCommand({ KeyId: arn })))).name).toBe('AccessDeniedException'); // 365 days: still ≤ 365
      await fetch(`${h2.sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 86_400 }) });
      await kms.send(new DisableKeyCommand({ KeyId: arn }));
      expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('Disabled');
    } finally {
      kms.destroy();
      await h2.close();
    }
  });

  it('kms:ScheduleKeyDeletionPendingWindowInDays enforces a minimum waiting period', async () => {
    const arn = await h.createKey({
      Policy: policy(ROOT, { Effect: 'Deny', Principal: '*', Action: 'kms:ScheduleKeyDeletion', Resource: '*', Condition: { NumericLessThan: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' } } }),
    });
    expect((await failure(h.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 })))).message).toBe(explicitDeny(OPERATOR, 'ScheduleKeyDeletion', arn));
    expect((await h.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn }))).PendingWindowInDays).toBe(30);
  });
});

describe('NotPrincipal', () => {
  it("a Deny with NotPrincipal leaves out only the principals it names: the account's root ARN there leaves out the root user, not the account", async () => {
    const arn = await h.createKey({
      Policy: policy(ROOT, {
        Sid: 'Only the operator',
        Effect: 'Deny',
        NotPrincipal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/KeywardenOperator`, OPERATOR, `arn:aws:iam::${ACCOUNT}:root`] },
        Action: 'kms:*',
        Resource: '*',
      }),
    });
    expect((await h.kms().send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.Arn).toBe(arn);
    expect(await failure(auditor().send(new DescribeKeyCommand({ KeyId: arn })))).toMatchObject({ name: 'AccessDeniedException', message: explicitDeny(AUDITOR, 'DescribeKey', arn) });
  });
});

describe('other condition keys KMS supplies', () => {
  it('kms:RotationPeriodInDays bounds the rotation period', async () => {
    const arn = await h.createKey({
      Policy: policy(ROOT, { Effect: 'Deny', Principal: '*', Action: 'kms:EnableKeyRotation', Resource: '*', Condition: { NumericGreaterThan: { 'kms:RotationPeriodInDays': '365' } } }),
    });
    expect((await failure(h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 730 })))).message).toBe(explicitDeny(OPERATOR, 'EnableKeyRotation', arn));
    await h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 180 }));
  });

  it('kms:GrantIsForAWSResource is false for a direct CreateGrant', async () => {
    const arn = await h.createKey({
      Policy: policy(ROOT, { Effect: 'Deny', Principal: '*', Action: 'kms:CreateGrant', Resource: '*', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } } }),
    });
    expect((await failure(h.kms().send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: APP.replace(':sts::', ':iam::').replace('assumed-role/PaymentsApi/payments-api-local', 'role/PaymentsApi'), Operations: ['Decrypt'] })))).message).toBe(
      explicitDeny(OPERATOR, 'CreateGrant', arn),
    );
  });

  it('kms:EncryptionContextKeys and kms:EncryptionContext:<key> come from the request', async () => {
    const arn = await h.createKey({
      Policy: policy(ROOT, {
        Effect: 'Deny',
        Principal: '*',
        Action: ['kms:Encrypt', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringNotEquals: { 'kms:EncryptionContext:tenant': 'blue' } },
      }),
    });
    expect((await failure(h.kms().send(new EncryptCommand({ KeyId: arn, Plaintext: text('x') })))).message).toBe(explicitDeny(OPERATOR, 'Encrypt', arn));
    expect((await failure(h.kms().send(new EncryptCommand({ KeyId: arn, Plaintext: text('x'), EncryptionContext: { tenant: 'red' } })))).name).toBe('AccessDeniedException');
    const sealed = await h.kms().send(new EncryptCommand({ KeyId: arn, Plaintext: text('x'), EncryptionContext: { tenant: 'blue' } }));
    expect(await failure(h.kms().send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob })))).toMatchObject({ name: 'AccessDeniedException', message: explicitDeny(OPERATOR, 'Decrypt', arn) });
  });
});

describe('PutKeyPolicy', () => {
  const lockout = policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/SomeoneElse` }, Action: 'kms:*', Resource: '*' });

  it('refuses a policy that would lock the caller out, unless the safety check is bypassed', async () => {
    const arn = await h.createKey();
    expect(await failure(h.kms().send(new PutKeyPolicyCommand({ KeyId: arn, Policy: lockout })))).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: 'The new key policy will not allow you to update the key policy in the future.',
    });
    expect(await failure(h.kms().send(new CreateKeyCommand({ Policy: lockout })))).toMatchObject({ name: 'MalformedPolicyDocumentException' });
    // A Deny of PutKeyPolicy for everyone is a lockout too.
    const denyPut = policy(ROOT, { Effect: 'Deny', Principal: '*', Action: 'kms:PutKeyPolicy', Resource: '*' });
    expect((await failure(h.kms().send(new PutKeyPolicyCommand({ KeyId: arn, Policy: denyPut })))).name).toBe('MalformedPolicyDocumentException');

    await h.kms().send(new PutKeyPolicyCommand({ KeyId: arn, Policy: lockout, BypassPolicyLockoutSafetyCheck: true }));
    expect(await failure(h.kms().send(new GetKeyPolicyCommand({ KeyId: arn })))).toMatchObject({ name: 'AccessDeniedException', message: noResource(OPERATOR, 'GetKeyPolicy', arn) });
    expect((await failure(h.kms().send(new EnableKeyCommand({ KeyId: arn })))).message).toBe(noResource(OPERATOR, 'EnableKey', arn));
  });
});

describe('AWS managed keys', () => {
  it('are used only through their service; the account reads their metadata, and changes nothing', async () => {
    const arn = await h.arn('alias/aws/ebs');
    expect((await h.kms().send(new GetKeyPolicyCommand({ KeyId: arn }))).Policy).toContain('ec2.us-east-1.amazonaws.com');
    expect(await failure(h.kms().send(new EncryptCommand({ KeyId: 'alias/aws/ebs', Plaintext: text('direct') })))).toMatchObject({
      name: 'AccessDeniedException',
      message: noResource(OPERATOR, 'Encrypt', arn),
    });
    for (const command of [new DisableKeyCommand({ KeyId: arn }), new ScheduleKeyDeletionCommand({ KeyId: arn })]) {
      expect((await failure(h.kms().send(command))).message).toMatch(/because no resource-based policy allows the kms:(DisableKey|ScheduleKeyDeletion) action$/);
    }
    expect((await h.kms().send(new ListAliasesCommand({ KeyId: arn }))).Aliases!.map((a) => a.AliasName)).toEqual(['alias/aws/ebs']);
  });
});
