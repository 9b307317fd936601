// The seeds' service policies really allow their services' calls and deny the rest. AWS services
// call KMS from inside AWS (kms:ViaService, service principals, aws:SourceArn): no SDK client can
// make such a call, so these run the sandbox's KMS handlers the way its simulated workloads do, with
// the request context the service supplies. The over-HTTP half (workloads through the same
// evaluation, cut off by PutKeyPolicy) is the second describe block.

import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import { GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { seal, uuidFor } from '../../src/sandbox/crypto.js';
import { kmsService, originalMaterialId } from '../../src/sandbox/kms.js';
import { AwsError, type CallerIdentity, type RequestContext } from '../../src/sandbox/protocol.js';
import { seedState } from '../../src/sandbox/seed.js';
import { Store } from '../../src/sandbox/state.js';
import { openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const DAY = 86_400_000;
const arnOf = (seedName: string, region = 'us-east-1') => `arn:aws:kms:${region}:${ACCOUNT}:key/${uuidFor(seedName)}`;

let store: Store;
beforeAll(() => {
  store = new Store(undefined);
  store.load(seedState(Date.now()));
});

const role = (name: string, extra: Partial<CallerIdentity> = {}, account = ACCOUNT): CallerIdentity => ({
  accessKeyId: 'ASIATEST',
  arn: `arn:aws:sts::${account}:assumed-role/${name}/session`,
  userId: `AROATEST:session`,
  account,
  ...extra,
});
const servicePrincipal = (name: string, extra: Partial<CallerIdentity> = {}): CallerIdentity => ({ accessKeyId: 'AWSSERVICE', arn: name, userId: name, account: ACCOUNT, service: true, ...extra });

/** Runs one KMS operation in-process as `caller`; the outcome is 'ok' or the error code and message. */
function call(caller: CallerIdentity, operation: string, params: Record<string, unknown>): 'ok' | { code: string; message: string } {
  const ctx: RequestContext = { region: 'us-east-1', caller, requestId: 'test', operation, now: () => new Date(), store, faults: {}, deliverLogs: () => undefined };
  try {
    kmsService.operations[operation]!(ctx, params);
    return 'ok';
  } catch (error) {
    if (error instanceof AwsError) return { code: error.code, message: error.message };
    throw error;
  }
}
const denied = (outcome: ReturnType<typeof call>) => (outcome === 'ok' ? 'ok' : outcome.code);

describe('service policies, with the request context each service supplies', () => {
  it('aws/ebs: principals of the account through EC2 only', () => {
    const key = arnOf('aws-managed/us-east-1/ebs');
    const params = { KeyId: key, NumberOfBytes: 64, EncryptionContext: { 'aws:ebs:id': 'vol-0123' } };
    expect(call(role('AppServer', { viaService: 'ec2.us-east-1.amazonaws.com' }), 'GenerateDataKeyWithoutPlaintext', params)).toBe('ok');
    expect(call(role('AppServer', { viaService: 'ec2.us-east-1.amazonaws.com' }), 'CreateGrant', { KeyId: key, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:role/x`, Operations: ['Decrypt'] })).toBe('ok');
    // Not through EC2: directly, through another service, or through EC2 in another region.
    expect(call(role('AppServer'), 'GenerateDataKeyWithoutPlaintext', params)).toEqual({
      code: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/AppServer/session is not authorized to perform: kms:GenerateDataKeyWithoutPlaintext on resource: ${key} because no resource-based policy allows the kms:GenerateDataKeyWithoutPlaintext action`,
    });
    expect(denied(call(role('AppServer', { viaService: 's3.us-east-1.amazonaws.com' }), 'GenerateDataKeyWithoutPlaintext', params))).toBe('AccessDeniedException');
    expect(denied(call(role('AppServer', { viaService: 'ec2.eu-west-1.amazonaws.com' }), 'GenerateDataKeyWithoutPlaintext', params))).toBe('AccessDeniedException');
    // Another account's principal through EC2: kms:CallerAccount does not match.
    expect(denied(call(role('Partner', { viaService: 'ec2.us-east-1.amazonaws.com' }, OTHER), 'GenerateDataKeyWithoutPlaintext', params))).toBe('AccessDeniedException');
    // Through EC2 it may still not disable the key: the policy allows use only.
    expect(denied(call(role('KeywardenOperator', { viaService: 'ec2.us-east-1.amazonaws.com' }), 'DisableKey', { KeyId: key }))).toBe('AccessDeniedException');
    // The eu-west-1 key wants EC2 in eu-west-1.
    const eu = arnOf('aws-managed/eu-west-1/ebs', 'eu-west-1');
    const euCtx = (caller: CallerIdentity): RequestContext => ({ region: 'eu-west-1', caller, requestId: 't', operation: 'Encrypt', now: () => new Date(), store, faults: {}, deliverLogs: () => undefined });
    expect(() => kmsService.operations.Encrypt!(euCtx(role('AppServer', { viaService: 'ec2.eu-west-1.amazonaws.com' })), { KeyId: eu, Plaintext: Buffer.from('x').toString('base64') })).not.toThrow();
    expect(() => kmsService.operations.Encrypt!(euCtx(role('AppServer', { viaService: 'ec2.us-east-1.amazonaws.com' })), { KeyId: eu, Plaintext: Buffer.from('x').toString('base64') })).toThrow(/no resource-based policy allows/);
  });

  it('the Image Builder workflow key: the named role, with a workflow of this account as aws:imagebuilder:arn', () => {
    const key = arnOf('imagebuilder-workflows');
    const workflow = (account: string) => ({ KeyId: key, NumberOfBytes: 32, EncryptionContext: { 'aws:imagebuilder:arn': `arn:aws:imagebuilder:us-east-1:${account}:workflow/build/golden/1.0.0/1` } });
    const named = role('ImageBuilderExecutionRole', { viaService: 'imagebuilder.us-east-1.amazonaws.com' });
    expect(call(named, 'GenerateDataKey', workflow(ACCOUNT))).toBe('ok');
    expect(denied(call(named, 'GenerateDataKey', workflow(OTHER)))).toBe('AccessDeniedException');
    expect(denied(call(named, 'GenerateDataKey', { KeyId: key, NumberOfBytes: 32 }))).toBe('AccessDeniedException');
    expect(denied(call(named, 'GenerateDataKey', { KeyId: key, NumberOfBytes: 32, EncryptionContext: { other: 'x' } }))).toBe('AccessDeniedException');
    // The workflow role the seeded workload really runs as is not the one the policy names.
    expect(call(role('ImageBuilderWorkflowRole'), 'GenerateDataKey', workflow(ACCOUNT))).toEqual({
      code: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/ImageBuilderWorkflowRole/session is not authorized to perform: kms:GenerateDataKey on resource: ${key} because no identity-based policy allows the kms:GenerateDataKey action`,
    });
  });

  it('the Fargate key: fargate.amazonaws.com for the payments-prod cluster of this account, Decrypt-only grants', () => {
    const key = arnOf('fargate-ephemeral');
    const fargate = servicePrincipal('fargate.amazonaws.com');
    const cluster = (account: string, name: string) => ({ 'aws:ecs:clusterAccount': account, 'aws:ecs:clusterName': name });
    expect(call(fargate, 'GenerateDataKeyWithoutPlaintext', { KeyId: key, NumberOfBytes: 64, EncryptionContext: { ...cluster(ACCOUNT, 'payments-prod'), 'aws:ebs:id': 'vol-1' } })).toBe('ok');
    expect(denied(call(fargate, 'GenerateDataKeyWithoutPlaintext', { KeyId: key, NumberOfBytes: 64, EncryptionContext: cluster(ACCOUNT, 'other-cluster') }))).toBe('AccessDeniedException');
    expect(denied(call(fargate, 'GenerateDataKeyWithoutPlaintext', { KeyId: key, NumberOfBytes: 64, EncryptionContext: cluster(OTHER, 'payments-prod') }))).toBe('AccessDeniedException');
    expect(denied(call(fargate, 'Decrypt', { KeyId: key }))).not.toBe('ok');
    const grant = (operations: string[], context = cluster(ACCOUNT, 'payments-prod')) => ({ KeyId: key, GranteePrincipal: 'fargate.us-east-1.amazonaws.com', Operations: operations, Constraints: { EncryptionContextSubset: context } });
    expect(call(fargate, 'CreateGrant', grant(['Decrypt']))).toBe('ok');
    expect(denied(call(fargate, 'CreateGrant', grant(['Decrypt', 'Encrypt'])))).toBe('AccessDeniedException');
    expect(denied(call(fargate, 'CreateGrant', grant(['Decrypt'], cluster(ACCOUNT, 'other-cluster'))))).toBe('AccessDeniedException');
    // Another service principal is not fargate.
    expect(denied(call(servicePrincipal('ecs-tasks.amazonaws.com'), 'GenerateDataKeyWithoutPlaintext', { KeyId: key, NumberOfBytes: 64, EncryptionContext: cluster(ACCOUNT, 'payments-prod') }))).toBe('AccessDeniedException');
  });

  it('the CloudTrail key: cloudtrail.amazonaws.com for this trail (aws:SourceArn) with its context', () => {
    const key = arnOf('cloudtrail-logs');
    const trail = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management-events`;
    const params = { KeyId: key, KeySpec: 'AES_256', EncryptionContext: { 'aws:cloudtrail:arn': trail } };
    expect(call(servicePrincipal('cloudtrail.amazonaws.com', { sourceArn: trail, sourceAccount: ACCOUNT }), 'GenerateDataKey', params)).toBe('ok');
    expect(denied(call(servicePrincipal('cloudtrail.amazonaws.com', { sourceArn: `arn:aws:cloudtrail:us-east-1:${OTHER}:trail/theirs`, sourceAccount: OTHER }), 'GenerateDataKey', params))).toBe('AccessDeniedException');
    expect(denied(call(servicePrincipal('cloudtrail.amazonaws.com'), 'GenerateDataKey', params))).toBe('AccessDeniedException');
  });

  it('EBS volume grants: the instance decrypts its volume only, EC2 retires the grant', () => {
    const key = arnOf('ebs-prod-data');
    const infra = (instance: string) => ({ accessKeyId: 'ASIAEC2', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/${instance}`, userId: 'AROAEC2:i', account: ACCOUNT });
    const k = store.key('us-east-1', uuidFor('ebs-prod-data'))!;
    const grant = k.grants[0]!;
    const volume = grant.constraints!.encryptionContextSubset!['aws:ebs:id']!;
    const instance = grant.granteePrincipal!.split('/').pop()!;
    expect(call(infra(instance), 'DescribeKey', { KeyId: key })).not.toBe('ok');
    const decrypt = (who: string, vol: string) => {
      const blob = seal(store.state.secret, { arn: key, keyId: k.keyId, region: 'us-east-1', materialId: originalMaterialId(k) }, Buffer.from('volume key'), { 'aws:ebs:id': vol });
      return call(infra(who), 'Decrypt', { CiphertextBlob: blob.toString('base64'), EncryptionContext: { 'aws:ebs:id': vol } });
    };
    expect(decrypt(instance, volume)).toBe('ok');
    expect(decrypt(instance, 'vol-someone-else')).toMatchObject({ code: 'AccessDeniedException' });
    expect(decrypt('i-another', volume)).toMatchObject({ code: 'AccessDeniedException' });
    expect(call(servicePrincipal('ec2.amazonaws.com'), 'RetireGrant', { KeyId: key, GrantId: k.grants[1]!.grantId })).toBe('ok');
    expect(call(infra(instance), 'RetireGrant', { KeyId: key, GrantId: grant.grantId })).toMatchObject({ code: 'AccessDeniedException' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('simulated workloads go through the same evaluation', () => {
  let h: Harness;
  let ct: CloudTrailClient;
  const base = Date.now();
  beforeAll(async () => {
    h = await openHarness({ lookupEventsPerSecond: 1000, now: () => new Date(base) });
    ct = new CloudTrailClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(async () => {
    ct.destroy();
    await h.close();
  });

  async function records(input: { from: number; key?: string }): Promise<Array<Record<string, any>>> {
    const out: Event[] = [];
    let token: string | undefined;
    do {
      const page = await ct.send(
        new LookupEventsCommand({
          StartTime: new Date(input.from),
          ...(input.key ? { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: input.key }] } : {}),
          ...(token ? { NextToken: token } : {}),
        }),
      );
      out.push(...(page.Events ?? []));
      token = page.NextToken;
    } while (token);
    return out.map((e) => JSON.parse(e.CloudTrailEvent!) as Record<string, any>);
  }

  it('a week of live calls: refused exactly where the seeded history says, allowed everywhere else', async () => {
    h.sandbox.advanceClock(8 * 86_400);
    const live = (await records({ from: base + 1000 })).filter((r) => r.eventSource === 'kms.amazonaws.com');
    const refused = live.filter((r) => r.errorCode === 'AccessDenied');
    const who = (r: Record<string, any>) => `${r.userIdentity.arn ?? r.userIdentity.invokedBy} → ${r.resources?.[0]?.ARN}`;
    const expected = new Set([
      `arn:aws:iam::${ACCOUNT}:user/ci-deployer → ${arnOf('ebs-prod-data')}`,
      `arn:aws:sts::${ACCOUNT}:assumed-role/ReportingEtl/etl-nightly → ${arnOf('payments-db')}`,
      `arn:aws:sts::${ACCOUNT}:assumed-role/ImageBuilderWorkflowRole/workflow-build → ${arnOf('imagebuilder-workflows')}`,
    ]);
    expect(new Set(refused.map(who))).toEqual(expected);
    // Every service flow still works: grants created by the Auto Scaling role through EC2, decrypts
    // by the instance through its grant, retirement by EC2, Fargate, CloudTrail, SQS roles.
    const ok = (event: string, by: RegExp) => live.filter((r) => r.eventName === event && !r.errorCode && by.test(r.userIdentity.arn ?? r.userIdentity.invokedBy)).length;
    expect(ok('CreateGrant', /AWSServiceRoleForAutoScaling/)).toBeGreaterThan(0);
    expect(ok('Decrypt', /aws:ec2-infrastructure/)).toBeGreaterThan(0);
    expect(ok('RetireGrant', /AWS Internal/)).toBeGreaterThan(0);
    expect(ok('GenerateDataKeyWithoutPlaintext', /ec2-frontend-api/)).toBeGreaterThan(0);
    expect(ok('GenerateDataKey', /cloudtrail\.amazonaws\.com/)).toBeGreaterThan(0);
    expect(ok('Decrypt', /FulfilmentWorker/)).toBeGreaterThan(0);
    expect(ok('Decrypt', /PaymentsApi/)).toBeGreaterThan(0);
    // A live refusal reads like the seeded history's.
    const history = (await records({ from: base - 30 * DAY, key: arnOf('ebs-prod-data') })).find((r) => r.errorCode === 'AccessDenied' && Date.parse(r.eventTime) < base);
    const liveDenied = refused.find((r) => r.userIdentity.arn?.endsWith('user/ci-deployer'));
    expect(liveDenied!.errorMessage).toBe(history!.errorMessage);
  });

  it('a PutKeyPolicy that drops the service statements cuts Fargate off, and CloudTrail shows it', async () => {
    const key = arnOf('fargate-ephemeral');
    const before = JSON.parse((await h.kms().send(new GetKeyPolicyCommand({ KeyId: key }))).Policy!) as { Statement: Array<{ Sid?: string }> };
    const rootOnly = { ...before, Statement: before.Statement.filter((s) => s.Sid === 'Enable IAM User Permissions') };
    expect(rootOnly.Statement).toHaveLength(1);
    await h.kms().send(new PutKeyPolicyCommand({ KeyId: key, Policy: JSON.stringify(rootOnly) }));
    const changedAt = h.sandbox.now().getTime();
    h.sandbox.advanceClock(86_400);
    const after = (await records({ from: changedAt + 1000, key })).filter((r) => r.eventName === 'GenerateDataKeyWithoutPlaintext' || r.eventName === 'CreateGrant');
    expect(after.length).toBeGreaterThan(5);
    for (const r of after) {
      expect(r.errorCode).toBe('AccessDenied');
      expect(r.errorMessage).toBe(`User: fargate.amazonaws.com is not authorized to perform: kms:${r.eventName} on resource: ${key} because no resource-based policy allows the kms:${r.eventName} action`);
    }
  });
});
