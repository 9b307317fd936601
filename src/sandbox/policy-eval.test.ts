import { describe, expect, it } from 'vitest';
import { parsePolicy, type PolicyCondition } from '../domain/policy.js';
import { arnMatches, authorize, conditionHolds, deniedMessage, evaluatePolicy, grantAllows, mayRetire, principalMatch, readPolicy, type EvalGrant, type EvalPrincipal, type RequestValues } from './policy-eval.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const session = (role: string, name = 's', account = ACCOUNT): EvalPrincipal => ({ arn: `arn:aws:sts::${account}:assumed-role/${role}/${name}`, kind: 'session', account });
const user = (name: string, account = ACCOUNT): EvalPrincipal => ({ arn: `arn:aws:iam::${account}:user/${name}`, kind: 'user', account });
const service = (name: string, account = ACCOUNT): EvalPrincipal => ({ arn: name, kind: 'service', account });

function condition(operator: string, key: string, values: string[]): PolicyCondition {
  const parsed = parsePolicy({ Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { [operator]: { [key]: values } } }] });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.statements[0]!.conditions[0]!;
}

describe('condition operators over the keys KMS supplies', () => {
  const ec = { 'kms:encryptioncontext:aws:ebs:id': 'vol-1', 'kms:encryptioncontextkeys': ['aws:ebs:id', 'app'] };
  const cases: Array<[string, string, string, string[], RequestValues, boolean]> = [
    ['StringEquals matches exactly', 'StringEquals', 'kms:CallerAccount', [ACCOUNT], { 'kms:calleraccount': ACCOUNT }, true],
    ['StringEquals is case-sensitive', 'StringEquals', 'kms:ViaService', ['EC2.us-east-1.amazonaws.com'], { 'kms:viaservice': 'ec2.us-east-1.amazonaws.com' }, false],
    ['StringEquals: several values are ORed', 'StringEquals', 'kms:ViaService', ['s3.us-east-1.amazonaws.com', 'ec2.us-east-1.amazonaws.com'], { 'kms:viaservice': 'ec2.us-east-1.amazonaws.com' }, true],
    ['StringEquals: a missing key is false', 'StringEquals', 'kms:ViaService', ['ec2.us-east-1.amazonaws.com'], {}, false],
    ['StringEqualsIgnoreCase', 'StringEqualsIgnoreCase', 'kms:ViaService', ['EC2.US-EAST-1.amazonaws.com'], { 'kms:viaservice': 'ec2.us-east-1.amazonaws.com' }, true],
    ['StringNotEquals: a missing key is true', 'StringNotEquals', 'kms:ViaService', ['ec2.us-east-1.amazonaws.com'], {}, true],
    ['StringNotEquals: values are NORed', 'StringNotEquals', 'kms:CallerAccount', [OTHER, ACCOUNT], { 'kms:calleraccount': ACCOUNT }, false],
    ['StringNotEquals: another value', 'StringNotEquals', 'kms:CallerAccount', [OTHER], { 'kms:calleraccount': ACCOUNT }, true],
    ['StringLike with *', 'StringLike', 'kms:EncryptionContext:aws:imagebuilder:arn', [`arn:aws:imagebuilder:*:${ACCOUNT}:workflow/*`], { 'kms:encryptioncontext:aws:imagebuilder:arn': `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:workflow/build/x/1.0.0/*` }, true],
    ['StringLike with ?', 'StringLike', 'kms:CallerAccount', ['11112222333?'], { 'kms:calleraccount': ACCOUNT }, true],
    ['StringLike: another account', 'StringLike', 'kms:EncryptionContext:aws:imagebuilder:arn', [`arn:aws:imagebuilder:*:${ACCOUNT}:workflow/*`], { 'kms:encryptioncontext:aws:imagebuilder:arn': `arn:aws:imagebuilder:us-east-1:${OTHER}:workflow/x` }, false],
    ['StringNotLike', 'StringNotLike', 'aws:PrincipalArn', ['arn:aws:iam::*:role/BreakGlass'], { 'aws:principalarn': `arn:aws:iam::${ACCOUNT}:role/Ops` }, true],
    ['StringEqualsIfExists: missing key is true', 'StringEqualsIfExists', 'kms:ViaService', ['ec2.us-east-1.amazonaws.com'], {}, true],
    ['StringEqualsIfExists: present and different is false', 'StringEqualsIfExists', 'kms:ViaService', ['ec2.us-east-1.amazonaws.com'], { 'kms:viaservice': 's3.us-east-1.amazonaws.com' }, false],
    ['ArnEquals', 'ArnEquals', 'aws:SourceArn', [`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/t`], { 'aws:sourcearn': `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/t` }, true],
    ['ArnLike: wildcard region', 'ArnLike', 'aws:SourceArn', [`arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`], { 'aws:sourcearn': `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/t` }, true],
    ['ArnLike: another account', 'ArnLike', 'aws:SourceArn', [`arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`], { 'aws:sourcearn': `arn:aws:cloudtrail:eu-west-1:${OTHER}:trail/t` }, false],
    ['ArnNotEquals: missing key is true', 'ArnNotEquals', 'aws:SourceArn', ['arn:aws:s3:::b'], {}, true],
    ['ArnLikeIfExists: missing key is true', 'ArnLikeIfExists', 'aws:SourceArn', ['arn:aws:s3:::b'], {}, true],
    ['NumericLessThanEquals: 365 ≤ 365', 'NumericLessThanEquals', 'kms:TrailingDaysWithoutKeyUsage', ['365'], { 'kms:trailingdayswithoutkeyusage': '365' }, true],
    ['NumericLessThanEquals: 366 > 365', 'NumericLessThanEquals', 'kms:TrailingDaysWithoutKeyUsage', ['365'], { 'kms:trailingdayswithoutkeyusage': '366' }, false],
    ['NumericLessThanEquals: missing key is false', 'NumericLessThanEquals', 'kms:TrailingDaysWithoutKeyUsage', ['365'], {}, false],
    ['NumericLessThan', 'NumericLessThan', 'kms:ScheduleKeyDeletionPendingWindowInDays', ['30'], { 'kms:schedulekeydeletionpendingwindowindays': '7' }, true],
    ['NumericGreaterThanEquals', 'NumericGreaterThanEquals', 'kms:ScheduleKeyDeletionPendingWindowInDays', ['30'], { 'kms:schedulekeydeletionpendingwindowindays': '30' }, true],
    ['NumericGreaterThan', 'NumericGreaterThan', 'kms:RotationPeriodInDays', ['180'], { 'kms:rotationperiodindays': '180' }, false],
    ['NumericEquals', 'NumericEquals', 'kms:RotationPeriodInDays', ['365'], { 'kms:rotationperiodindays': '365' }, true],
    ['NumericNotEquals', 'NumericNotEquals', 'kms:RotationPeriodInDays', ['365'], { 'kms:rotationperiodindays': '90' }, true],
    ['Numeric on a non-number is false', 'NumericEquals', 'kms:RotationPeriodInDays', ['x'], { 'kms:rotationperiodindays': '365' }, false],
    ['Bool true', 'Bool', 'kms:GrantIsForAWSResource', ['true'], { 'kms:grantisforawsresource': 'true' }, true],
    ['Bool false vs true', 'Bool', 'kms:GrantIsForAWSResource', ['true'], { 'kms:grantisforawsresource': 'false' }, false],
    ['Bool: missing key is false', 'Bool', 'kms:GrantIsForAWSResource', ['true'], {}, false],
    ['Null true: absent', 'Null', 'kms:ViaService', ['true'], {}, true],
    ['Null true: present', 'Null', 'kms:ViaService', ['true'], { 'kms:viaservice': 'ec2.us-east-1.amazonaws.com' }, false],
    ['Null false: present', 'Null', 'kms:EncryptionContextKeys', ['false'], ec, true],
    ['ForAnyValue:StringEquals: one key matches', 'ForAnyValue:StringEquals', 'kms:EncryptionContextKeys', ['aws:ebs:id'], ec, true],
    ['ForAnyValue:StringEquals: none matches', 'ForAnyValue:StringEquals', 'kms:EncryptionContextKeys', ['aws:s3:arn'], ec, false],
    ['ForAnyValue: absent key is false', 'ForAnyValue:StringEquals', 'kms:EncryptionContextKeys', ['aws:ebs:id'], {}, false],
    ['ForAllValues:StringEquals: all allowed', 'ForAllValues:StringEquals', 'kms:EncryptionContextKeys', ['aws:ebs:id', 'app', 'other'], ec, true],
    ['ForAllValues:StringEquals: one not allowed', 'ForAllValues:StringEquals', 'kms:EncryptionContextKeys', ['aws:ebs:id'], ec, false],
    ['ForAllValues: absent key is true', 'ForAllValues:StringEquals', 'kms:GrantOperations', ['Decrypt'], {}, true],
    ['ForAllValues:StringEquals on grant operations', 'ForAllValues:StringEquals', 'kms:GrantOperations', ['Decrypt', 'Encrypt'], { 'kms:grantoperations': ['Decrypt'] }, true],
    ['ForAllValues:StringEquals: a wider grant', 'ForAllValues:StringEquals', 'kms:GrantOperations', ['Decrypt'], { 'kms:grantoperations': ['Decrypt', 'CreateGrant'] }, false],
    ['ForAnyValue:StringLike', 'ForAnyValue:StringLike', 'kms:EncryptionContextKeys', ['aws:*'], ec, true],
    ['ForAllValues:StringNotEquals: no forbidden value', 'ForAllValues:StringNotEquals', 'kms:GrantOperations', ['CreateGrant'], { 'kms:grantoperations': ['Decrypt'] }, true],
    ['an operator KMS keys never use is false', 'DateGreaterThan', 'kms:CallerAccount', ['2020-01-01T00:00:00Z'], { 'kms:calleraccount': ACCOUNT }, false],
  ];
  it.each(cases)('%s', (_name, operator, key, values, request, expected) => {
    expect(conditionHolds(condition(operator, key, values), request)).toBe(expected);
  });
});

describe('principals', () => {
  const cases: Array<[string, unknown, EvalPrincipal, 'direct' | 'account' | undefined]> = [
    ['"*" is everyone', '*', user('x', OTHER), 'direct'],
    ['{"AWS": "*"} is everyone', { AWS: '*' }, session('Any', 's', OTHER), 'direct'],
    ['the account root leaves it to IAM', { AWS: `arn:aws:iam::${ACCOUNT}:root` }, session('Ops'), 'account'],
    ['the bare account id is the root', { AWS: ACCOUNT }, user('alice'), 'account'],
    ['another account root matches no one here', { AWS: `arn:aws:iam::${OTHER}:root` }, session('Ops'), undefined],
    ['a role ARN matches its sessions', { AWS: `arn:aws:iam::${ACCOUNT}:role/PaymentsApi` }, session('PaymentsApi', 'task-1'), 'direct'],
    ['a role ARN with a path matches its sessions', { AWS: `arn:aws:iam::${ACCOUNT}:role/app/PaymentsApi` }, session('PaymentsApi', 'task-1'), 'direct'],
    ['a role ARN does not match another role', { AWS: `arn:aws:iam::${ACCOUNT}:role/PaymentsApi` }, session('ReportingEtl'), undefined],
    ['a role ARN does not match the same name in another account', { AWS: `arn:aws:iam::${ACCOUNT}:role/PaymentsApi` }, session('PaymentsApi', 's', OTHER), undefined],
    ['a session ARN matches only that session', { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/PaymentsApi/task-1` }, session('PaymentsApi', 'task-2'), undefined],
    ['a user ARN', { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, user('alice'), 'direct'],
    ['a service principal', { Service: 'cloudtrail.amazonaws.com' }, service('cloudtrail.amazonaws.com'), 'direct'],
    ['a regional service principal name', { Service: 'logs.us-east-1.amazonaws.com' }, service('logs.amazonaws.com'), 'direct'],
    ['a service principal is not an IAM principal', { Service: 'cloudtrail.amazonaws.com' }, session('cloudtrail'), undefined],
    ['the account root does not cover services', { AWS: `arn:aws:iam::${ACCOUNT}:root` }, service('cloudtrail.amazonaws.com'), undefined],
  ];
  it.each(cases)('%s', (_name, principal, caller, expected) => {
    const parsed = parsePolicy({ Statement: [{ Effect: 'Allow', Principal: principal, Action: 'kms:*', Resource: '*' }] });
    if (!parsed.ok) throw new Error(parsed.error);
    const found = parsed.statements[0]!.principals!.map((p) => principalMatch(p, caller));
    expect(found.includes('direct') ? 'direct' : found.includes('account') ? 'account' : undefined).toBe(expected);
  });
});

describe('actions and resources', () => {
  const cases: Array<[string, Record<string, unknown>, string, boolean]> = [
    ['kms:* covers everything', { Action: 'kms:*' }, 'kms:Decrypt', true],
    ['a wildcard prefix', { Action: 'kms:GenerateDataKey*' }, 'kms:GenerateDataKeyWithoutPlaintext', true],
    ['actions are case-insensitive', { Action: 'KMS:decrypt' }, 'kms:Decrypt', true],
    ['another action', { Action: ['kms:Encrypt'] }, 'kms:Decrypt', false],
    ['NotAction covers what it does not name', { NotAction: ['kms:ScheduleKeyDeletion'] }, 'kms:Decrypt', true],
    ['NotAction leaves out what it names', { NotAction: 'kms:Schedule*' }, 'kms:ScheduleKeyDeletion', false],
    ['Resource: the key ARN', { Action: 'kms:*', Resource: KEY }, 'kms:Decrypt', true],
    ['Resource: a key ARN pattern', { Action: 'kms:*', Resource: `arn:aws:kms:*:${ACCOUNT}:key/*` }, 'kms:Decrypt', true],
    ['Resource: another key', { Action: 'kms:*', Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/other` }, 'kms:Decrypt', false],
    ['Resource: a pattern that matches no key', { Action: 'kms:*', Resource: `arn:aws:kms:*:${ACCOUNT}:key/` }, 'kms:Decrypt', false],
    ['NotResource', { Action: 'kms:*', NotResource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/other` }, 'kms:Decrypt', true],
  ];
  it.each(cases)('%s', (_name, parts, action, expected) => {
    const statements = readPolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Resource: '*', ...parts }] }));
    expect(evaluatePolicy(statements, user('alice'), { action, resource: KEY, values: {} }).allow !== undefined).toBe(expected);
  });

  it('matches ARNs segment by segment', () => {
    expect(arnMatches('arn:aws:kms:*:111122223333:key/*', KEY)).toBe(true);
    expect(arnMatches('arn:aws:kms:*:*:alias/*', KEY)).toBe(false);
    expect(arnMatches('arn:aws:kms', KEY)).toBe(false);
  });
});

const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const ADMIN_IDENTITY = readPolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));
const READ_IDENTITY = readPolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'], Resource: '*' }] }));
const GUARD = {
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
  Resource: '*',
  Condition: { NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '365' } },
};

describe('the decision', () => {
  const policy = (...statements: object[]) => readPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
  const decide = (keyPolicy: ReturnType<typeof policy>, principal: EvalPrincipal, action: string, options: { identity?: ReturnType<typeof policy>; values?: RequestValues; grants?: EvalGrant[]; context?: Record<string, string> } = {}) =>
    authorize({
      principal,
      request: { action, resource: KEY, values: options.values ?? {} },
      keyPolicy,
      keyAccount: ACCOUNT,
      ...(options.identity ? { identityPolicy: options.identity } : {}),
      ...(options.grants ? { grants: options.grants } : {}),
      ...(options.context ? { encryptionContext: options.context } : {}),
    });

  const cases: Array<[string, ReturnType<typeof decide>, ReturnType<typeof decide>]> = [
    ['root statement + identity Allow: allowed', decide(policy(ROOT), session('Ops'), 'kms:DisableKey', { identity: ADMIN_IDENTITY }), { allowed: true, by: 'key-policy' }],
    ['root statement, no identity Allow: denied by IAM', decide(policy(ROOT), session('Ops'), 'kms:DisableKey', { identity: READ_IDENTITY }), { allowed: false, reason: 'no-identity' }],
    ['root statement, no identity policy at all', decide(policy(ROOT), user('bob'), 'kms:Decrypt'), { allowed: false, reason: 'no-identity' }],
    ['a statement naming the role suffices in the account', decide(policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/App` }, Action: 'kms:Decrypt', Resource: '*' }), session('App'), 'kms:Decrypt'), { allowed: true, by: 'key-policy' }],
    ['no statement for the caller: no resource-based allow', decide(policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/App` }, Action: 'kms:Decrypt', Resource: '*' }), session('Other'), 'kms:Decrypt', { identity: ADMIN_IDENTITY }), { allowed: false, reason: 'no-resource' }],
    ['another account named, with its identity Allow', decide(policy(ROOT, { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 'kms:Decrypt', Resource: '*' }), session('Partner', 'p', OTHER), 'kms:Decrypt', { identity: ADMIN_IDENTITY }), { allowed: true, by: 'key-policy' }],
    ['another account named, without its identity Allow', decide(policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:role/Partner` }, Action: 'kms:Decrypt', Resource: '*' }), session('Partner', 'p', OTHER), 'kms:Decrypt'), { allowed: false, reason: 'no-identity' }],
    ['another account not named', decide(policy(ROOT), session('Partner', 'p', OTHER), 'kms:Decrypt', { identity: ADMIN_IDENTITY }), { allowed: false, reason: 'no-resource' }],
    ['public "*" lets another account in', decide(policy({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }), session('Partner', 'p', OTHER), 'kms:Decrypt', { identity: ADMIN_IDENTITY }), { allowed: true, by: 'key-policy' }],
    ['explicit Deny wins over Allow', decide(policy(ROOT, GUARD), session('Ops'), 'kms:DisableKey', { identity: ADMIN_IDENTITY, values: { 'kms:trailingdayswithoutkeyusage': '3' } }), { allowed: false, reason: 'explicit-resource', statement: expect.objectContaining({ effect: 'Deny' }) as never }],
    ['the guard lets an unused key go', decide(policy(ROOT, GUARD), session('Ops'), 'kms:DisableKey', { identity: ADMIN_IDENTITY, values: { 'kms:trailingdayswithoutkeyusage': '400' } }), { allowed: true, by: 'key-policy' }],
    ['the guard does not cover other actions', decide(policy(ROOT, GUARD), session('Ops'), 'kms:EnableKey', { identity: ADMIN_IDENTITY, values: { 'kms:trailingdayswithoutkeyusage': '3' } }), { allowed: true, by: 'key-policy' }],
    ['an identity Deny wins too', decide(policy(ROOT), session('Ops'), 'kms:Decrypt', { identity: policy({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }) }), { allowed: false, reason: 'explicit-identity', statement: expect.objectContaining({ effect: 'Deny' }) as never }],
    ['a service principal needs no identity policy', decide(policy({ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*' }), service('cloudtrail.amazonaws.com'), 'kms:GenerateDataKey'), { allowed: true, by: 'key-policy' }],
    ['a grant allows its grantee', decide(policy(ROOT), session('aws:ec2-infrastructure', 'i-1'), 'kms:Decrypt', { grants: [{ granteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-1`, operations: ['Decrypt'] }] }), { allowed: true, by: 'grant' }],
    ['a grant does not allow an operation it lacks', decide(policy(ROOT), session('aws:ec2-infrastructure', 'i-1'), 'kms:Encrypt', { grants: [{ granteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-1`, operations: ['Decrypt'] }] }), { allowed: false, reason: 'no-identity' }],
    ['a Deny beats a grant', decide(policy(ROOT, { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }), session('App'), 'kms:Decrypt', { grants: [{ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App`, operations: ['Decrypt'] }] }), { allowed: false, reason: 'explicit-resource', statement: expect.objectContaining({ effect: 'Deny' }) as never }],
  ];
  it.each(cases)('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('without a key, the identity policy alone decides', () => {
    expect(authorize({ principal: session('Ops'), request: { action: 'kms:CreateKey', resource: '*', values: {} }, identityPolicy: ADMIN_IDENTITY })).toEqual({ allowed: true, by: 'identity-policy' });
    expect(authorize({ principal: session('Audit'), request: { action: 'kms:CreateKey', resource: '*', values: {} }, identityPolicy: READ_IDENTITY })).toEqual({ allowed: false, reason: 'no-identity' });
    expect(authorize({ principal: session('Audit'), request: { action: 'kms:ListKeys', resource: '*', values: {} }, identityPolicy: READ_IDENTITY })).toEqual({ allowed: true, by: 'identity-policy' });
  });
});

describe('grants', () => {
  const ec2 = session('aws:ec2-infrastructure', 'i-1');
  const base: EvalGrant = { granteePrincipal: ec2.arn, retiringPrincipal: 'ec2.us-east-1.amazonaws.com', operations: ['Decrypt'], constraints: { encryptionContextSubset: { 'aws:ebs:id': 'vol-1' } } };
  const cases: Array<[string, EvalGrant, EvalPrincipal, string, Record<string, string> | undefined, boolean]> = [
    ['subset holds with extra pairs', base, ec2, 'Decrypt', { 'aws:ebs:id': 'vol-1', other: 'x' }, true],
    ['subset: another volume', base, ec2, 'Decrypt', { 'aws:ebs:id': 'vol-2' }, false],
    ['subset: no context', base, ec2, 'Decrypt', undefined, false],
    ['another grantee', base, session('aws:ec2-infrastructure', 'i-2'), 'Decrypt', { 'aws:ebs:id': 'vol-1' }, false],
    ['equals: exactly', { ...base, constraints: { encryptionContextEquals: { a: '1' } } }, ec2, 'Decrypt', { a: '1' }, true],
    ['equals: an extra pair', { ...base, constraints: { encryptionContextEquals: { a: '1' } } }, ec2, 'Decrypt', { a: '1', b: '2' }, false],
    ['a constrained grant never allows DescribeKey', { ...base, operations: ['Decrypt', 'DescribeKey'] }, ec2, 'DescribeKey', undefined, false],
    ['a role grantee covers its sessions', { granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App`, operations: ['Encrypt'] }, session('App', 'x'), 'Encrypt', undefined, true],
    ['a regional service grantee', { granteePrincipal: 'fargate.us-east-1.amazonaws.com', operations: ['Decrypt'] }, service('fargate.amazonaws.com'), 'Decrypt', undefined, true],
  ];
  it.each(cases)('%s', (_name, grant, principal, operation, context, expected) => {
    expect(grantAllows(grant, principal, operation, context)).toBe(expected);
  });

  it('lets the retiring principal, and a grantee holding RetireGrant, retire the grant', () => {
    expect(mayRetire(base, service('ec2.amazonaws.com'))).toBe(true);
    expect(mayRetire(base, ec2)).toBe(false);
    expect(mayRetire({ ...base, operations: ['Decrypt', 'RetireGrant'] }, ec2)).toBe(true);
    expect(mayRetire(base, session('Ops'))).toBe(false);
  });
});

describe('messages', () => {
  const caller = `arn:aws:sts::${ACCOUNT}:assumed-role/Ops/o`;
  it('says why, in the forms AWS uses', () => {
    expect(deniedMessage(caller, 'kms:DisableKey', KEY, 'no-resource')).toBe(`User: ${caller} is not authorized to perform: kms:DisableKey on resource: ${KEY} because no resource-based policy allows the kms:DisableKey action`);
    expect(deniedMessage(caller, 'kms:DisableKey', KEY, 'explicit-resource')).toBe(`User: ${caller} is not authorized to perform: kms:DisableKey on resource: ${KEY} with an explicit deny in a resource-based policy`);
    expect(deniedMessage(caller, 'kms:Decrypt', KEY, 'no-identity')).toBe(`User: ${caller} is not authorized to perform: kms:Decrypt on resource: ${KEY} because no identity-based policy allows the kms:Decrypt action`);
    expect(deniedMessage(caller, 'kms:CreateKey', undefined, 'no-identity')).toBe(`User: ${caller} is not authorized to perform: kms:CreateKey because no identity-based policy allows the kms:CreateKey action`);
  });
});
