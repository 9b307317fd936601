import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  guardStatement,
  hasUsageGuard,
  findingsForKey,
  findingsMarker,
  needsAttention,
  grantFindings,
  policyFindings,
  rowFindings,
  sortFindings,
  worstSeverity,
  type KeyFinding,
} from './findings.js';
import type { Grant, KeyDetail, KeyMetadata, KeyRow, LastUsage, RotationStatus } from './key.js';
import { startRetirement, TAG_STAGE } from './retirement.js';
import { parsePolicy, type PolicyStatement } from './policy.js';
import { keyMetadata } from '../../test/helpers/kms-fixtures.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const NOW = new Date('2026-11-23T12:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const T = DEFAULT_THRESHOLDS;

/** Every finding's id. */
const allIds = (findings: readonly KeyFinding[]) => findings.map((f) => f.id);
/**
 * The ids without the two that almost every key carries — the missing usage guard (its own tests
 * below) and the pending policy note of a row whose policy is not read yet — so each case shows
 * what it is about.
 */
const ids = (findings: readonly KeyFinding[]) => allIds(findings).filter((id) => id !== 'policy-no-usage-guard' && id !== 'policy-pending');
const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

// ----- Policies shaped like the seeds (/work/shared/seeds, src/sandbox/seed.ts)

const ROOT = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
/** KMS.md §8.2: the programmatic default key policy. */
const DEFAULT_POLICY = policy([{ Sid: 'Enable IAM policies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }]);

const IMAGE_BUILDER = policy([
  {
    Sid: 'Allow access to build images with encrypted workflow',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/YourImageBuilderExecutionRole` },
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: '*',
    Condition: { StringLike: { 'kms:EncryptionContext:aws:imagebuilder:arn': `arn:aws:imagebuilder:*:${ACCOUNT}:workflow/*` } },
  },
  { Sid: 'Allow access for key administrators', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['kms:*'], Resource: `arn:aws:kms:*:${ACCOUNT}:key/` },
]);

const CLOUDTRAIL_STATEMENT = {
  Sid: 'Allow CloudTrail to encrypt logs',
  Effect: 'Allow',
  Principal: { Service: 'cloudtrail.amazonaws.com' },
  Action: 'kms:GenerateDataKey',
  Resource: '*',
  Condition: {
    ArnEquals: { 'aws:SourceArn': [`arn:aws:cloudtrail:us-west-2:${ACCOUNT}:trail/finance`] },
    StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': [`arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`] },
  },
};
const CLOUDTRAIL = policy([ROOT, CLOUDTRAIL_STATEMENT, { Sid: 'Allow CloudTrail to describe key', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*' }]);

const FARGATE_CONDITION = { StringEquals: { 'kms:EncryptionContext:aws:ecs:clusterAccount': [ACCOUNT], 'kms:EncryptionContext:aws:ecs:clusterName': ['payments-prod'] } };
const FARGATE = policy([
  ROOT,
  { Sid: 'Allow generate data key access for Fargate tasks.', Effect: 'Allow', Principal: { Service: 'fargate.amazonaws.com' }, Action: ['kms:GenerateDataKeyWithoutPlaintext'], Resource: '*', Condition: FARGATE_CONDITION },
  {
    Sid: 'Allow grant creation permission for Fargate tasks.',
    Effect: 'Allow',
    Principal: { Service: 'fargate.amazonaws.com' },
    Action: ['kms:CreateGrant'],
    Resource: '*',
    Condition: { ...FARGATE_CONDITION, 'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Decrypt'] } },
  },
]);

const CONSOLE = policy([
  ROOT,
  {
    Sid: 'Allow access for Key Administrators',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyAdmins` },
    Action: ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion'],
    Resource: '*',
  },
  { Sid: 'Allow use of the key', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/PaymentsApi` }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'], Resource: '*' },
  {
    Sid: 'Allow attachment of persistent resources',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/PaymentsApi` },
    Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
    Resource: '*',
    Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  },
]);

/** The default policy with the guard AWS recommends. */
const GUARDED_DEFAULT = policy([
  ROOT,
  { Effect: 'Deny', Principal: { AWS: '*' }, Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'], Resource: '*', Condition: { NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '365' } } },
]);

const GUARD = {
  NumericGreaterThanEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30', 'kms:TrailingDaysWithoutKeyUsage': '30' },
};

describe('policy findings on the seed shapes', () => {
  it.each([
    ['the AWS default key policy', DEFAULT_POLICY, []],
    ['the Image Builder workflow key', IMAGE_BUILDER, []],
    ['the CloudTrail key (SourceArn and context)', CLOUDTRAIL, []],
    ['the Fargate key (context pins the account, no SourceArn)', FARGATE, ['policy-service-no-source', 'policy-service-no-source']],
    ['the console policy (admins may delete, no guard)', CONSOLE, ['policy-no-deletion-guard']],
  ])('%s', (_name, text, expected) => {
    expect(ids(policyFindings(text, ACCOUNT))).toEqual(expected);
  });

  it('rates the Fargate confused deputy low: the context already names the account', () => {
    const findings = policyFindings(FARGATE, ACCOUNT).filter((f) => f.id === 'policy-service-no-source');
    expect(findings).toHaveLength(2);
    expect(findings.every((f) => f.severity === 'low')).toBe(true);
    expect(findings[0]!.explanation).toMatch(/aws:SourceArn/);
  });

  it('the console policy with a deletion guard is clean', () => {
    const guarded = JSON.parse(CONSOLE);
    guarded.Statement[1].Condition = GUARD;
    expect(ids(policyFindings(JSON.stringify(guarded), ACCOUNT))).toEqual([]);
    const denied = JSON.parse(CONSOLE);
    denied.Statement.push({ Effect: 'Deny', Principal: '*', Action: 'kms:ScheduleKeyDeletion', Resource: '*', Condition: { NumericLessThan: { 'kms:TrailingDaysWithoutKeyUsage': '30' } } });
    expect(policyFindings(JSON.stringify(denied), ACCOUNT)).toEqual([]);
  });
});

describe('policy findings on edge shapes', () => {
  const allow = (extra: object) => policy([ROOT, { Effect: 'Allow', Resource: '*', ...extra }]);
  it.each<[string, string, string[]]>([
    ['Principal "*" with no condition', allow({ Principal: '*', Action: 'kms:Decrypt' }), ['policy-public']],
    ['{"AWS": "*"} with kms:*', allow({ Principal: { AWS: '*' }, Action: 'kms:*' }), ['policy-public', 'policy-no-deletion-guard']],
    ['{"AWS": ["*"]} limited by kms:CallerAccount', allow({ Principal: { AWS: ['*'] }, Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } }), []],
    // IAM does not expand a wildcard inside a principal ARN: it matches no one (not public), which is its own finding.
    ['a wildcard account in the principal ARN', allow({ Principal: { AWS: 'arn:aws:iam::*:root' }, Action: 'kms:Decrypt' }), ['policy-principal-pattern']],
    ['a policy variable in the principal ARN', allow({ Principal: { AWS: 'arn:aws:iam::${aws:PrincipalAccount}:root' }, Action: 'kms:Decrypt' }), ['policy-principal-pattern']],
    ['"*" limited only by an IfExists condition', allow({ Principal: '*', Action: 'kms:Decrypt', Condition: { StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT } } }), ['policy-public']],
    ['"*" limited by aws:PrincipalOrgID (any case)', allow({ Principal: '*', Action: 'kms:Decrypt', Condition: { StringEquals: { 'AWS:PrincipalOrgId': 'o-abc' } } }), []],
    ['"*" with StringNotEquals on the account (not a restriction)', allow({ Principal: '*', Action: 'kms:Decrypt', Condition: { StringNotEquals: { 'kms:CallerAccount': OTHER } } }), ['policy-public']],
    ['Allow with NotPrincipal', allow({ NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Break` }, Action: 'kms:Decrypt' }), ['policy-allow-not-principal']],
    ['Deny with Principal "*" is fine', policy([ROOT, { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]), []],
    ['kms:* to a non-admin role', allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/PaymentsApi` }, Action: 'kms:*' }), ['policy-kms-star-non-admin', 'policy-no-deletion-guard']],
    ['NotAction leaving KMS whole to a user', allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` }, NotAction: 'iam:*' }), ['policy-kms-star-non-admin', 'policy-no-deletion-guard']],
    ['kms:* to an admin role: only the missing deletion guard', allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole` }, Action: 'kms:*' }), ['policy-no-deletion-guard']],
    ['kms:* to an admin-named role of ANOTHER account', allow({ Principal: { AWS: `arn:aws:iam::${OTHER}:role/Admin` }, Action: 'kms:*' }), ['policy-kms-star-non-admin', 'policy-cross-account', 'policy-no-deletion-guard']],
    ['ScheduleKeyDeletion and Decrypt to an app role', allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/App` }, Action: ['kms:Decrypt', 'kms:ScheduleKeyDeletion'] }), ['policy-admin-actions-non-admin', 'policy-no-deletion-guard']],
    ['CreateGrant without GrantIsForAWSResource', allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/App` }, Action: 'kms:CreateGrant' }), ['policy-admin-actions-non-admin']],
    ['kms:Put* to an app role', allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/App` }, Action: 'kms:Put*' }), ['policy-admin-actions-non-admin']],
    ['a bare foreign account id', allow({ Principal: { AWS: OTHER }, Action: 'kms:Decrypt' }), ['policy-cross-account']],
    ['a foreign root with DescribeKey only', allow({ Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 'kms:DescribeKey' }), ['policy-cross-account']],
    ['a service with no source condition', allow({ Principal: { Service: 'logs.us-east-1.amazonaws.com' }, Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*'] }), ['policy-service-no-source', 'policy-service-no-context']],
    ['a service with SourceAccount but no context', allow({ Principal: { Service: ['cloudtrail.amazonaws.com'] }, Action: 'kms:GenerateDataKey*', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }), ['policy-service-no-context']],
    [
      'ForAllValues on the context key does not count',
      allow({ Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, 'ForAllValues:StringLike': { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:*' } } }),
      ['policy-service-no-context'],
    ],
    [
      'ForAnyValue on kms:EncryptionContextKeys counts',
      allow({ Principal: { Service: 'imagebuilder.amazonaws.com' }, Action: 'kms:Decrypt', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:imagebuilder:*' }, 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'aws:imagebuilder:arn' } } }),
      [],
    ],
    ['ViaService to EC2 without aws:ebs:id', allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/App` }, Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } } }), ['policy-service-no-context']],
    ['a deleted role', allow({ Principal: { AWS: 'AROAJQABLZS4A3QDU576Q' }, Action: 'kms:Decrypt' }), ['policy-deleted-principal']],
    ['a service that only describes the key', allow({ Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey' }), []],
  ])('%s', (_name, text, expected) => {
    expect(ids(policyFindings(text, ACCOUNT)).sort()).toEqual([...expected].sort());
  });

  it.each([
    ['malformed JSON', '{"Statement": [', 'policy-unparseable'],
    ['no Statement', '{}', 'policy-unparseable'],
    ['an unknown principal type', policy([ROOT, { Effect: 'Allow', Principal: { Martian: 'x' }, Action: 'kms:Decrypt' }]), 'policy-parts-ignored'],
  ])('never throws: %s', (_name, text, id) => {
    expect(ids(policyFindings(text, ACCOUNT))).toContain(id);
  });

  it('admin patterns come from the thresholds', () => {
    const text = allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/PlatformOwners` }, Action: 'kms:*' });
    expect(ids(policyFindings(text, ACCOUNT))).toEqual(['policy-kms-star-non-admin', 'policy-no-deletion-guard']);
    expect(ids(policyFindings(text, ACCOUNT, { ...T, adminRoles: ['PlatformOwners'] }))).toEqual(['policy-no-deletion-guard']);
  });
});

// ----- Rows

function meta(overrides: Partial<KeyMetadata> = {}): KeyMetadata {
  return keyMetadata({ creationDate: ago(400), ...overrides });
}

function row(overrides: { meta?: Partial<KeyMetadata>; rotation?: RotationStatus; lastUsage?: LastUsage; tags?: KeyRow['tags'] } = {}): KeyRow {
  const m = meta(overrides.meta);
  return {
    keyId: m.keyId,
    arn: m.arn,
    region: m.region,
    aliases: ['alias/app/x'],
    tags: overrides.tags ?? [],
    metadata: m,
    rotation: overrides.rotation ?? { kind: 'enabled', periodDays: 365 },
    lastUsage: overrides.lastUsage ?? { kind: 'used', operation: 'Decrypt', timestamp: ago(1) },
    problems: [],
  };
}

const trackedSince = (days: number): string => ago(days);

describe('rotation findings', () => {
  it.each<[string, KeyRow, string[]]>([
    ['rotation on, 365 days', row(), []],
    ['rotation off on a symmetric AWS_KMS key', row({ rotation: { kind: 'disabled' } }), ['rotation-off']],
    ['period longer than the maximum', row({ rotation: { kind: 'enabled', periodDays: 730 } }), ['rotation-period-long']],
    ['asymmetric key (cannot rotate)', row({ meta: { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }, rotation: { kind: 'unsupported', reason: 'asymmetric' } }), []],
    ['asymmetric key reported as disabled by KMS', row({ meta: { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }, rotation: { kind: 'disabled' } }), []],
    ['HMAC key', row({ meta: { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }, rotation: { kind: 'disabled' } }), []],
    ['imported material', row({ meta: { origin: 'EXTERNAL' }, rotation: { kind: 'disabled' } }), []],
    ['custom key store', row({ meta: { origin: 'AWS_CLOUDHSM', customKeyStoreId: 'cks-1' }, rotation: { kind: 'disabled' } }), []],
    ['multi-Region replica', row({ meta: { multiRegion: true, multiRegionRole: 'REPLICA' }, rotation: { kind: 'disabled' } }), []],
    ['AWS managed key', row({ meta: { keyManager: 'AWS' }, rotation: { kind: 'disabled' } }), []],
    ['pending deletion (status reads false)', row({ meta: { state: 'PendingDeletion' }, rotation: { kind: 'disabled' }, lastUsage: { kind: 'never', trackingStartDate: trackedSince(400) } }), []],
    ['rotation status unreadable', row({ rotation: { kind: 'error', message: 'denied' } }), []],
  ])('%s', (_name, r, expected) => {
    expect(ids(rowFindings(r, T, NOW))).toEqual(expected);
  });

  it('uses the configured maximum', () => {
    const r = row({ rotation: { kind: 'enabled', periodDays: 180 } });
    expect(ids(rowFindings(r, { ...T, maxRotationDays: 90 }, NOW))).toEqual(['rotation-period-long']);
  });
});

describe('usage findings', () => {
  it.each<[string, KeyRow, string[]]>([
    ['used yesterday', row(), []],
    ['last used 120 days ago', row({ lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: ago(120) } }), ['unused']],
    ['last used 80 days ago', row({ lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: ago(80) } }), []],
    ['never used, tracked its whole 400-day life', row({ lastUsage: { kind: 'never', trackingStartDate: ago(400) } }), ['unused']],
    ['never used, but only 9 days old', row({ meta: { creationDate: ago(9) }, lastUsage: { kind: 'never', trackingStartDate: ago(9) } }), []],
    ['no use since tracking began 200 days ago', row({ lastUsage: { kind: 'not-since-tracking', trackingStartDate: ago(200) } }), ['unused']],
    ['no use since tracking began 20 days ago: not enough evidence', row({ lastUsage: { kind: 'not-since-tracking', trackingStartDate: ago(20) } }), []],
    ['last use unreadable', row({ lastUsage: { kind: 'error', message: 'denied' } }), []],
    ['disabled, idle 200 days, no retirement', row({ meta: { state: 'Disabled', enabled: false }, lastUsage: { kind: 'not-since-tracking', trackingStartDate: ago(200) } }), ['disabled-no-retirement']],
    ['disabled, used 5 days ago', row({ meta: { state: 'Disabled', enabled: false }, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: ago(5) } }), []],
    [
      'disabled, idle, retirement under way (tag)',
      row({ meta: { state: 'Disabled', enabled: false }, lastUsage: { kind: 'never', trackingStartDate: ago(200) }, tags: [{ key: TAG_STAGE, value: 'watching' }] }),
      [],
    ],
    ['pending deletion, used 3 days ago', row({ meta: { state: 'PendingDeletion', deletionDate: ago(-7) }, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: ago(3) } }), ['pending-deletion-used-recently']],
    ['pending deletion, used 60 days ago', row({ meta: { state: 'PendingDeletion' }, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: ago(60) } }), []],
    ['enabled, last use not read yet', row({ lastUsage: { kind: 'pending' } }), ['usage-pending']],
    ['disabled, last use not read yet', row({ meta: { state: 'Disabled', enabled: false }, lastUsage: { kind: 'pending' } }), ['usage-pending']],
    ['pending deletion, last use not read yet', row({ meta: { state: 'PendingDeletion', deletionDate: ago(-7) }, lastUsage: { kind: 'pending' } }), ['usage-pending']],
    [
      'disabled, retirement under way, last use not read yet: nothing waits for it',
      row({ meta: { state: 'Disabled', enabled: false }, lastUsage: { kind: 'pending' }, tags: [{ key: TAG_STAGE, value: 'watching' }] }),
      [],
    ],
  ])('%s', (_name, r, expected) => {
    expect(ids(rowFindings(r, T, NOW))).toEqual(expected);
  });

  it('is honest about TrackingStartDate', () => {
    const [finding] = rowFindings(row({ lastUsage: { kind: 'not-since-tracking', trackingStartDate: '2026-04-15T00:00:00Z' } }), T, NOW);
    expect(finding!.severity).toBe('low');
    expect(finding!.message).toMatch(/earlier use unknown/);
    expect(finding!.explanation).toMatch(/CloudTrail/);
  });

  it('a retirement record decides, and its disabledAt dates the disable', () => {
    const disabled = row({ meta: { state: 'Disabled', enabled: false }, lastUsage: { kind: 'never', trackingStartDate: ago(200) } });
    const record = { ...startRetirement({ keyArn: disabled.arn, region: 'us-east-1', account: ACCOUNT, name: 'x', by: 'me', now: new Date(ago(50)), evidence: { summary: '', findings: [] } }), stage: 'watching' as const };
    expect(ids(findingsForKey({ key: disabled, retirement: record, now: NOW, thresholds: T, account: ACCOUNT }))).toEqual([]);
    const rolledBack = { ...record, stage: 'rolled-back' as const, disabledAt: ago(45) };
    const [finding] = findingsForKey({ key: disabled, retirement: rolledBack, now: NOW, thresholds: T, account: ACCOUNT });
    expect(finding!.message).toMatch(/disabled for 45 days/);
    expect(ids(findingsForKey({ key: disabled, disabledSince: ago(10), now: NOW, thresholds: T, account: ACCOUNT }))).toEqual([]);
  });

  it('pending last use says "pending" in the FIND marker and keeps the key in the f filter, never "fine"', () => {
    const pending = rowFindings(row({ lastUsage: { kind: 'pending' } }), T, NOW);
    expect(pending[0]!.message).toMatch(/^pending/);
    expect(findingsMarker(pending)).toBe('…');
    expect(needsAttention(pending)).toBe(true);
    const rotationOffAndPending = rowFindings(row({ rotation: { kind: 'disabled' }, lastUsage: { kind: 'pending' } }), T, NOW);
    expect(findingsMarker(rotationOffAndPending)).toBe('!1…');
    const read = rowFindings({ ...row(), access: { policy: GUARDED_DEFAULT, grants: [] } }, T, NOW);
    expect(findingsMarker(read)).toBe('');
    expect(needsAttention(read)).toBe(false);
  });

  it('a row whose policy and grants are not read yet is pending too: "…", kept by f, never "fine"', () => {
    const unread = rowFindings(row(), T, NOW);
    expect(allIds(unread)).toEqual(['policy-pending']);
    expect(unread[0]!.message).toMatch(/^pending/);
    expect(findingsMarker(unread)).toBe('…');
    expect(needsAttention(unread)).toBe(true);
    // Once read, the row's findings are the key detail's: FIND and the Findings tab agree.
    const publicPolicy = policy([ROOT, { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }]);
    const r = { ...row(), access: { policy: publicPolicy, grants: [grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App` })] } };
    const fromRow = rowFindings(r, T, NOW);
    expect(allIds(fromRow)).toEqual(['policy-public', 'grant-unconstrained', 'policy-no-usage-guard']);
    expect(fromRow).toEqual(findingsForKey({ key: { row: r, policy: publicPolicy, grants: r.access.grants, rotations: [] }, now: NOW, thresholds: T, account: '' }));
    expect(findingsMarker(fromRow)).toBe('!3');
  });

  it('thresholds are configurable', () => {
    const r = row({ lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: ago(40) } });
    expect(ids(rowFindings(r, { ...T, unusedDays: 30 }, NOW))).toEqual(['unused']);
  });
});

// ----- Grants

const grant = (overrides: Partial<Grant>): Grant => ({ grantId: `g${Math.random().toString(16).slice(2)}0000000000`, keyId: 'k', operations: ['Decrypt'], ...overrides });

describe('grant findings', () => {
  it('service grants (EBS, Fargate) are fine, even many alike', () => {
    const grants = [
      grant({ granteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-0f3e2d1c0b9a87654`, retiringPrincipal: 'ec2.us-east-1.amazonaws.com', constraints: { encryptionContextSubset: { 'aws:ebs:id': 'vol-1' } } }),
      grant({ granteePrincipal: 'fargate.us-east-1.amazonaws.com', retiringPrincipal: 'ec2.us-east-1.amazonaws.com', constraints: { encryptionContextSubset: { 'aws:ecs:clusterName': 'p' } } }),
      grant({ granteePrincipal: 'fargate.us-east-1.amazonaws.com', retiringPrincipal: 'ec2.us-east-1.amazonaws.com', constraints: { encryptionContextSubset: { 'aws:ecs:clusterName': 'p' } } }),
      grant({ granteePrincipal: 'acm.us-east-1.amazonaws.com', operations: ['Encrypt', 'ReEncryptFrom'] }),
    ];
    expect(grantFindings(grants, ACCOUNT)).toEqual([]);
  });

  it.each<[string, Grant[], string[]]>([
    ['a constrained grant to an own role', [grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App`, constraints: { encryptionContextEquals: { app: 'x' } } })], []],
    ['an unconstrained grant to an own role', [grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App` })], ['grant-unconstrained']],
    ['an unconstrained grant for Sign only (constraints impossible)', [grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App`, operations: ['Sign', 'Verify'] })], []],
    ['a grant to another account', [grant({ granteePrincipal: `arn:aws:iam::${OTHER}:role/App`, constraints: { sourceArn: 'arn:x' } })], ['grant-cross-account']],
    ['a grant to a deleted role', [grant({ granteePrincipal: 'AROAJQABLZS4A3QDU576Q', constraints: { encryptionContextSubset: { a: 'b' } } })], ['grant-deleted-grantee']],
    [
      'two identical grants',
      [
        grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App`, operations: ['Decrypt', 'Encrypt'], constraints: { encryptionContextSubset: { a: 'b', c: 'd' } } }),
        grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App`, operations: ['Encrypt', 'Decrypt'], constraints: { encryptionContextSubset: { c: 'd', a: 'b' } } }),
      ],
      ['grant-duplicate'],
    ],
  ])('%s', (_name, grants, expected) => {
    expect(ids(grantFindings(grants, ACCOUNT))).toEqual(expected);
  });
});

// ----- The whole key

describe('findingsForKey', () => {
  const detail = (r: KeyRow, policyText: string, grants: Grant[] = []): KeyDetail => ({ row: r, policy: policyText, grants, rotations: [] });

  it('combines rotation, usage, policy and grants, most severe first', () => {
    const r = row({ rotation: { kind: 'disabled' }, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: ago(200) } });
    const findings = findingsForKey({ key: detail(r, policy([ROOT, { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }]), [grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App` })]), now: NOW, thresholds: T, account: ACCOUNT });
    expect(ids(findings)).toEqual(['policy-public', 'grant-unconstrained', 'rotation-off', 'unused']);
    expect(worstSeverity(findings)).toBe('high');
  });

  it('a row with a policy and grants passed separately', () => {
    const findings = findingsForKey({ key: row(), policy: '{nope', grants: { what: 'ListGrants', message: 'denied', code: 'AccessDeniedException' }, now: NOW, thresholds: T, account: ACCOUNT });
    expect(ids(findings)).toEqual(['policy-unparseable', 'grants-unreadable']);
  });

  it('AWS managed keys get no findings at all', () => {
    const r = row({ meta: { keyManager: 'AWS' }, rotation: { kind: 'disabled' }, lastUsage: { kind: 'never', trackingStartDate: ago(900) } });
    expect(findingsForKey({ key: detail(r, policy([{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }])), now: NOW, thresholds: T, account: ACCOUNT })).toEqual([]);
  });

  it('no false positives on the default key policy, an HMAC key or an asymmetric key in use', () => {
    const hmac = row({ meta: { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }, rotation: { kind: 'unsupported', reason: 'HMAC' }, lastUsage: { kind: 'used', operation: 'GenerateMac', timestamp: ago(3) } });
    const signing = row({ meta: { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }, rotation: { kind: 'unsupported', reason: 'asymmetric' }, lastUsage: { kind: 'used', operation: 'Sign', timestamp: ago(2) } });
    for (const r of [row(), hmac, signing]) expect(ids(findingsForKey({ key: detail(r, DEFAULT_POLICY), now: NOW, thresholds: T, account: ACCOUNT }))).toEqual([]);
  });

  it('a key without access gets nothing', () => {
    const { metadata: _m, ...rest } = row();
    expect(findingsForKey({ key: rest, now: NOW, thresholds: T, account: ACCOUNT })).toEqual([]);
  });

  it('sortFindings is stable on ties', () => {
    const a: KeyFinding = { id: 'b', severity: 'low', category: 'usage', message: '', explanation: '' };
    const b: KeyFinding = { id: 'a', severity: 'low', category: 'usage', message: '', explanation: '' };
    expect(sortFindings([a, b]).map((f) => f.id)).toEqual(['a', 'b']);
  });
});

// ----- The guard against disabling or deleting a key in use (KMS.md §11)

describe('policy-no-usage-guard', () => {
  const statements = (text: string): PolicyStatement[] => {
    const parsed = parsePolicy(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.statements;
  };
  const deny = (condition: object, action: string | string[] = ['kms:DisableKey', 'kms:ScheduleKeyDeletion']) => ({ Effect: 'Deny', Principal: '*', Action: action, Resource: '*', Condition: condition });

  it.each<[string, string, boolean]>([
    ['the default key policy', DEFAULT_POLICY, false],
    ['the console policy (admins may delete, no condition)', CONSOLE, false],
    ['AWS\'s recommended Deny on both actions', GUARDED_DEFAULT, true],
    ['a Deny on DisableKey only, by trailing use', policy([ROOT, deny({ NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '90' } }, 'kms:DisableKey')]), true],
    ['a Deny of short waiting periods', policy([ROOT, deny({ NumericLessThan: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' } }, 'kms:ScheduleKeyDeletion')]), true],
    ['a Deny with an unrelated condition', policy([ROOT, deny({ Bool: { 'aws:SecureTransport': 'false' } })]), false],
    ['the guard key on the admins\' Allow while the root still allows kms:* unguarded', JSON.stringify({ ...JSON.parse(CONSOLE), Statement: JSON.parse(CONSOLE).Statement.map((s: object, i: number) => (i === 1 ? { ...s, Condition: GUARD } : s)) }), false],
    ['every Allow of ScheduleKeyDeletion carries a waiting-period minimum', policy([{ ...ROOT, Action: ['kms:Encrypt', 'kms:Decrypt'] }, { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyAdmin` }, Action: 'kms:ScheduleKeyDeletion', Resource: '*', Condition: { NumericGreaterThanEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '30' } } }]), true],
  ])('%s: guarded %s', (_name, text, guarded) => {
    expect(hasUsageGuard(statements(text))).toBe(guarded);
    expect(allIds(policyFindings(text, ACCOUNT)).includes('policy-no-usage-guard')).toBe(!guarded);
  });

  it('shows the statement AWS recommends, with the configured days and break-glass role', () => {
    const [finding] = policyFindings(DEFAULT_POLICY, ACCOUNT);
    expect(finding!.id).toBe('policy-no-usage-guard');
    expect(finding!.statement).toEqual(guardStatement(365));
    expect(finding!.explanation).toContain('"kms:TrailingDaysWithoutKeyUsage":"365"');
    const role = `arn:aws:iam::${ACCOUNT}:role/BreakGlass`;
    const [configured] = policyFindings(DEFAULT_POLICY, ACCOUNT, { ...T, guardDays: 180, breakGlassRole: role });
    expect(configured!.statement).toEqual({
      Sid: 'KeywardenDenyDisableOrDeleteWhileInUse',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
      Resource: '*',
      Condition: { NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '180' }, ArnNotEquals: { 'aws:PrincipalArn': role } },
    });
    // Applied, the guard silences its own finding, and it never denies kms:PutKeyPolicy.
    const applied = policy([ROOT, configured!.statement as object]);
    expect(allIds(policyFindings(applied, ACCOUNT))).not.toContain('policy-no-usage-guard');
    expect(JSON.stringify(configured!.statement)).not.toMatch(/PutKeyPolicy|kms:\*/);
  });
});
