// Findings computed from a policy (src/domain/findings.ts) checked against what the sandbox's
// evaluator really does with the same policy: a key flagged "public" or "cross-account" lets an
// outside principal call it (over HTTP, with the other account's access key); a service principal
// flagged "no SourceArn" accepts a call made for another account's resource; a key not flagged
// does neither.

import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand, KMSClient, PutKeyPolicyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, policyFindings } from '../../src/domain/findings.js';
import { kmsService } from '../../src/sandbox/kms.js';
import { callerFor, AwsError, type CallerIdentity, type RequestContext } from '../../src/sandbox/protocol.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { seedState } from '../../src/sandbox/seed.js';
import { Store } from '../../src/sandbox/state.js';
import { openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const ROOT = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: [ROOT, ...statements] });
const USE = ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'];
const ids = (text: string) => policyFindings(text, ACCOUNT).map((f) => f.id);

describe('"public" and "cross-account" findings against an outside principal, over HTTP', () => {
  let h: Harness;
  let partner: KMSClient;
  beforeAll(async () => {
    h = await openHarness({ quotaScale: 20 }); // each case creates a key and puts a policy with raw, unpaced calls
    partner = new KMSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENPARTNER', secretAccessKey: 'x' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    partner.destroy();
    await h.close();
  });

  // [name, policy, the finding expected, whether the outside principal really gets in]
  const cases: Array<[string, string, string | undefined, boolean]> = [
    ['Principal "*" without a condition', policy({ Effect: 'Allow', Principal: '*', Action: USE, Resource: '*' }), 'policy-public', true],
    ['{"AWS": "*"} without a condition', policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: USE, Resource: '*' }), 'policy-public', true],
    ['"*" limited to the account by kms:CallerAccount', policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: USE, Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } }), undefined, false],
    ['"*" limited to use through EC2', policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: USE, Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT } } }), undefined, false],
    ['another account named', policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: USE, Resource: '*' }), 'policy-cross-account', true],
    ['the console default: the account only', policy(), undefined, false],
    // IAM does not expand wildcards in principal ARNs ("You cannot use a wildcard to match part of
    // a principal name or ARN", IAM User Guide, Principal element): it matches no one, so it is not
    // public — the finding says the statement matches no one instead, and the evaluator agrees.
    ['a wildcard inside a principal ARN (matches no one)', policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::*:root' }, Action: USE, Resource: '*' }), 'policy-principal-pattern', false],
  ];

  it.each(cases)('%s', async (_name, text, flagged, getsIn) => {
    const found = ids(text);
    if (flagged) expect(found).toContain(flagged);
    // "public" or "cross-account" exactly when the outside principal really gets in.
    expect(found.some((id) => id === 'policy-public' || id === 'policy-cross-account')).toBe(getsIn);
    const arn = (await h.kms().send(new CreateKeyCommand({ Description: 'findings check' }))).KeyMetadata!.Arn!;
    await h.kms().send(new PutKeyPolicyCommand({ KeyId: arn, Policy: text }));
    const outcome = await partner.send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('from outside') })).then(
      () => 'allowed',
      (error: Error) => error.name,
    );
    expect(outcome).toBe(getsIn ? 'allowed' : 'AccessDeniedException');
    if (getsIn) expect((await partner.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.Arn).toBe(arn);
  });
});

describe('"no SourceArn" on a service principal against a call made for another account', () => {
  // Service principals call from inside AWS: the sandbox's KMS handlers are run the way its
  // simulated workloads run them, with the service's aws:SourceArn / aws:SourceAccount.
  let store: Store;
  beforeAll(() => {
    store = new Store(undefined);
    store.load(seedState(Date.now()));
  });
  const ctx = (caller: CallerIdentity, operation: string): RequestContext => ({ region: 'us-east-1', caller, requestId: 'r', operation, now: () => new Date(), store, faults: {}, deliverLogs: () => undefined });
  const run = (caller: CallerIdentity, operation: string, params: Record<string, unknown>): unknown => kmsService.operations[operation]!(ctx(caller, operation), params);
  const operator = callerFor(SANDBOX_CREDENTIALS.accessKeyId);
  const cloudtrail = (account: string): CallerIdentity => ({
    accessKeyId: 'AWSSERVICE',
    arn: 'cloudtrail.amazonaws.com',
    userId: 'cloudtrail.amazonaws.com',
    account: ACCOUNT,
    service: true,
    sourceArn: `arn:aws:cloudtrail:us-east-1:${account}:trail/their-trail`,
    sourceAccount: account,
  });
  const statement = (condition?: object) => ({ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*', ...(condition ? { Condition: condition } : {}) });

  const cases: Array<[string, string, boolean]> = [
    ['no condition at all', policy(statement()), true],
    ['only an encryption-context condition that any account can satisfy', policy(statement({ StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:*:trail/*' } })), true],
    ['aws:SourceArn names this account\'s trail', policy(statement({ ArnLike: { 'aws:SourceArn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } })), false],
    ['aws:SourceAccount is this account', policy(statement({ StringEquals: { 'aws:SourceAccount': ACCOUNT } })), false],
  ];

  it.each(cases)('%s', (_name, text, flagged) => {
    expect(ids(text).includes('policy-service-no-source')).toBe(flagged);
    const created = run(operator, 'CreateKey', { Description: 'service findings check' }) as { KeyMetadata: { Arn: string } };
    const arn = created.KeyMetadata.Arn;
    run(operator, 'PutKeyPolicy', { KeyId: arn, Policy: text });
    const params = { KeyId: arn, KeySpec: 'AES_256', EncryptionContext: { 'aws:cloudtrail:arn': `arn:aws:cloudtrail:us-east-1:${OTHER}:trail/their-trail` } };
    let outcome = 'allowed';
    try {
      run(cloudtrail(OTHER), 'GenerateDataKey', params);
    } catch (error) {
      outcome = error instanceof AwsError ? error.code : String(error);
    }
    expect(outcome).toBe(flagged ? 'allowed' : 'AccessDeniedException');
    // The account's own trail is accepted either way.
    expect(() => run(cloudtrail(ACCOUNT), 'GenerateDataKey', { ...params, EncryptionContext: { 'aws:cloudtrail:arn': `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/their-trail` } })).not.toThrow();
  });
});

describe('the guard finding\'s statement, applied, against the evaluator (over HTTP)', () => {
  // The break-glass role is the seeded key administrators' role; its "colleague" session is a
  // second caller with its own access key (src/sandbox/principals.ts).
  const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/KeyAdmins`;
  let h: Harness;
  let colleague: KMSClient;
  beforeAll(async () => {
    h = await openHarness({ quotaScale: 20 });
    colleague = new KMSClient({ region: 'us-east-1', endpoint: h.sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENCOLLEAGUE', secretAccessKey: 'x' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    colleague.destroy();
    await h.close();
  });

  it('refuses DisableKey and ScheduleKeyDeletion on a key used recently, lets the break-glass role through, and never locks the policy', async () => {
    const before = policy();
    const finding = policyFindings(before, ACCOUNT, { ...DEFAULT_THRESHOLDS, guardDays: 30, breakGlassRole: BREAK_GLASS }).find((f) => f.id === 'policy-no-usage-guard');
    expect(finding?.statement).toBeDefined();
    const arn = (await h.kms().send(new CreateKeyCommand({ Description: 'guard check' }))).KeyMetadata!.Arn!;
    const guarded = JSON.stringify({ Version: '2012-10-17', Statement: [...JSON.parse(before).Statement, finding!.statement] });
    await h.kms().send(new PutKeyPolicyCommand({ KeyId: arn, Policy: guarded }));
    expect(ids(guarded)).not.toContain('policy-no-usage-guard');
    await h.kms().send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('in use') }));

    const refused = (call: Promise<unknown>) => call.then(() => 'allowed', (error: Error) => `${error.name}: ${error.message}`);
    expect(await refused(h.kms().send(new DisableKeyCommand({ KeyId: arn })))).toMatch(/^AccessDeniedException: .*not authorized to perform: kms:DisableKey.* with an explicit deny in a resource-based policy$/);
    expect(await refused(h.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 30 })))).toMatch(/^AccessDeniedException: .*explicit deny/);
    expect((await h.kms().send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('Enabled');

    // The named break-glass role is exempt.
    expect(await refused(colleague.send(new DisableKeyCommand({ KeyId: arn })))).toBe('allowed');
    expect((await h.kms().send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('Disabled');
    await colleague.send(new EnableKeyCommand({ KeyId: arn }));

    // The guard never denies kms:PutKeyPolicy: the operator can take it out again.
    await h.kms().send(new PutKeyPolicyCommand({ KeyId: arn, Policy: before }));
    expect(await refused(h.kms().send(new DisableKeyCommand({ KeyId: arn })))).toBe('allowed');
  });
});
