import { describe, expect, it } from 'vitest';
import {
  actionMatches,
  coversAllKmsActions,
  isRestrictive,
  isWildcardPrincipal,
  looksLikeDeletedPrincipal,
  matchesAdminPattern,
  parseOperator,
  parsePolicy,
  principalAccount,
  principalName,
  serviceOfPrincipal,
  statementCoversAction,
  type PolicyStatement,
} from './policy.js';

function statements(policy: unknown): PolicyStatement[] {
  const parsed = parsePolicy(policy);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.statements;
}

describe('parsePolicy', () => {
  it('reads a single statement object as well as a list', () => {
    const one = statements({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' } });
    expect(one).toHaveLength(1);
    expect(one[0]!.principals).toEqual([{ type: '*', value: '*' }]);
    expect(one[0]!.actions).toEqual(['kms:Decrypt']);
    const two = statements({ Statement: [{ Effect: 'Deny', NotAction: ['kms:Describe*'] }, { Effect: 'allow', Action: [] }] });
    expect(two.map((s) => s.effect)).toEqual(['Deny', 'Allow']);
    expect(two[0]!.notActions).toEqual(['kms:Describe*']);
  });

  it('normalizes principals of every type, string or list', () => {
    const [s] = statements({
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::111122223333:root', '444455556666'], Service: 'cloudtrail.amazonaws.com', Federated: 'cognito-identity.amazonaws.com', CanonicalUser: 'abc' },
          NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/Break' },
          Action: 'kms:*',
        },
      ],
    });
    expect(s!.principals).toEqual([
      { type: 'AWS', value: 'arn:aws:iam::111122223333:root' },
      { type: 'AWS', value: '444455556666' },
      { type: 'Service', value: 'cloudtrail.amazonaws.com' },
      { type: 'Federated', value: 'cognito-identity.amazonaws.com' },
      { type: 'CanonicalUser', value: 'abc' },
    ]);
    expect(s!.notPrincipals).toEqual([{ type: 'AWS', value: 'arn:aws:iam::111122223333:role/Break' }]);
  });

  it('parses condition operators with IfExists and set prefixes, keys lowercased, values as lists', () => {
    const [s] = statements({
      Statement: {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'kms:Decrypt',
        Condition: {
          'ForAllValues:StringEqualsIfExists': { 'kms:EncryptionContextKeys': ['a', 'b'] },
          'ForAnyValue:StringLike': { 'kms:EncryptionContextKeys': 'aws:imagebuilder:arn' },
          Bool: { 'kms:GrantIsForAWSResource': true },
          NumericGreaterThanEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': 30 },
        },
      },
    });
    expect(s!.conditions).toEqual([
      { operator: 'ForAllValues:StringEqualsIfExists', baseOperator: 'StringEquals', ifExists: true, setOperator: 'ForAllValues', key: 'kms:encryptioncontextkeys', rawKey: 'kms:EncryptionContextKeys', values: ['a', 'b'] },
      { operator: 'ForAnyValue:StringLike', baseOperator: 'StringLike', ifExists: false, setOperator: 'ForAnyValue', key: 'kms:encryptioncontextkeys', rawKey: 'kms:EncryptionContextKeys', values: ['aws:imagebuilder:arn'] },
      { operator: 'Bool', baseOperator: 'Bool', ifExists: false, key: 'kms:grantisforawsresource', rawKey: 'kms:GrantIsForAWSResource', values: ['true'] },
      {
        operator: 'NumericGreaterThanEquals',
        baseOperator: 'NumericGreaterThanEquals',
        ifExists: false,
        key: 'kms:schedulekeydeletionpendingwindowindays',
        rawKey: 'kms:ScheduleKeyDeletionPendingWindowInDays',
        values: ['30'],
      },
    ]);
  });

  it.each([
    ['not JSON', '{"Statement": ['],
    ['an array', '[]'],
    ['null', 'null'],
    ['a number', 42],
    ['no Statement', '{"Version":"2012-10-17"}'],
  ])('never throws: %s is an error', (_name, input) => {
    const parsed = parsePolicy(input);
    expect(parsed.ok).toBe(false);
  });

  it('keeps good statements and reports the parts it cannot read', () => {
    const parsed = parsePolicy({ Statement: [null, 'x', { Effect: 'Maybe' }, { Effect: 'Allow', Principal: 7, Condition: 'x', Action: 'kms:Encrypt' }, { Effect: 'Allow', Principal: { Bogus: 'x' } }] });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.statements).toHaveLength(2);
    expect(parsed.problems.length).toBeGreaterThanOrEqual(5);
  });

  it('survives hostile values (prototype keys, huge nesting)', () => {
    const parsed = parsePolicy('{"Statement":{"Effect":"Allow","Principal":{"__proto__":"x","AWS":[{"a":1},"arn:aws:iam::111122223333:root"]},"Condition":{"StringEquals":{"constructor":[[1]]}}}}');
    expect(parsed.ok).toBe(true);
  });
});

describe('matching', () => {
  it.each([
    ['kms:*', 'kms:Decrypt', true],
    ['*', 'kms:Decrypt', true],
    ['kms:Get*', 'kms:GetKeyPolicy', true],
    ['KMS:decrypt', 'kms:Decrypt', true],
    ['kms:Re*', 'kms:ReEncryptFrom', true],
    ['kms:Get*', 'kms:Decrypt', false],
    ['kms:Decrypt', 'kms:DecryptX', false],
    ['kms:?ecrypt', 'kms:Decrypt', true],
    ['kms:Create.*', 'kms:CreateGrant', false],
  ])('%s covers %s: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  it('honours NotAction', () => {
    const [s] = statements({ Statement: { Effect: 'Allow', Principal: '*', NotAction: ['kms:ScheduleKeyDeletion', 'kms:Put*'] } });
    expect(statementCoversAction(s!, 'kms:Decrypt')).toBe(true);
    expect(statementCoversAction(s!, 'kms:PutKeyPolicy')).toBe(false);
    expect(coversAllKmsActions(s!)).toBe(false);
    const [t] = statements({ Statement: { Effect: 'Allow', Principal: '*', NotAction: 's3:*' } });
    expect(coversAllKmsActions(t!)).toBe(true);
  });

  it('knows which conditions restrict', () => {
    const cond = (operator: string, values: string[]) => ({ ...parseOperator(operator), key: 'kms:calleraccount', rawKey: 'kms:CallerAccount', values });
    expect(isRestrictive(cond('StringEquals', ['111122223333']))).toBe(true);
    expect(isRestrictive(cond('StringEqualsIfExists', ['111122223333']))).toBe(false);
    expect(isRestrictive(cond('StringNotEquals', ['111122223333']))).toBe(false);
    expect(isRestrictive(cond('StringLike', ['*']))).toBe(false);
    expect(isRestrictive(cond('ForAllValues:StringEquals', ['x']))).toBe(false);
    expect(isRestrictive(cond('ForAnyValue:StringEquals', ['x']))).toBe(true);
    expect(isRestrictive(cond('Null', ['false']))).toBe(false);
  });

  it('reads principals', () => {
    expect(principalAccount('arn:aws:iam::444455556666:role/x')).toBe('444455556666');
    expect(principalAccount('arn:aws:sts::444455556666:assumed-role/x/y')).toBe('444455556666');
    expect(principalAccount('444455556666')).toBe('444455556666');
    expect(principalAccount('cloudtrail.amazonaws.com')).toBeUndefined();
    expect(principalName('arn:aws:iam::111122223333:role/path/to/KeyAdmins')).toEqual({ kind: 'role', name: 'KeyAdmins' });
    expect(principalName('arn:aws:sts::111122223333:assumed-role/Admin/alice')).toEqual({ kind: 'role', name: 'Admin' });
    expect(principalName('arn:aws:iam::111122223333:user/bob')).toEqual({ kind: 'user', name: 'bob' });
    expect(isWildcardPrincipal({ type: 'AWS', value: 'arn:aws:iam::*:root' })).toBe(true);
    expect(isWildcardPrincipal({ type: 'AWS', value: 'arn:aws:iam::${aws:PrincipalAccount}:root' })).toBe(true);
    expect(isWildcardPrincipal({ type: 'AWS', value: 'arn:aws:iam::111122223333:root' })).toBe(false);
    expect(looksLikeDeletedPrincipal('AROAJQABLZS4A3QDU576Q')).toBe(true);
    expect(looksLikeDeletedPrincipal('arn:aws:iam::111122223333:role/AROA')).toBe(false);
    expect(serviceOfPrincipal('logs.us-east-1.amazonaws.com')).toBe('logs');
    expect(serviceOfPrincipal('fargate.amazonaws.com')).toBe('fargate');
    expect(serviceOfPrincipal('arn:aws:iam::1:root')).toBeUndefined();
  });

  it.each([
    ['KeyAdmins', ['KeyAdmin'], true],
    ['OrganizationAccountAccessRole', ['OrganizationAccountAccessRole'], true],
    ['PaymentsApi', ['Admin'], false],
    ['ops-admin-role', ['Admin'], true],
    ['SecurityAuditor', ['Security*Admin'], false],
    ['SecurityKeyAdmin', ['Security*Admin'], true],
  ])('admin pattern: %s against %j is %s', (name, patterns, expected) => {
    expect(matchesAdminPattern(name, patterns)).toBe(expected);
  });
});
