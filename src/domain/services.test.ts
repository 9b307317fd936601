import { describe, expect, it } from 'vitest';
import { describeEncryptionContext, describePrincipal, isServicePrincipal } from './services.js';

describe('describeEncryptionContext', () => {
  it.each([
    [{ 'aws:ebs:id': 'vol-0abc1234' }, { service: 'EBS volume', resource: 'vol-0abc1234' }],
    [{ 'aws:ecs:clusterAccount': '111122223333', 'aws:ecs:clusterName': 'prod' }, { service: 'ECS cluster (Fargate ephemeral storage)', resource: '111122223333/prod' }],
    [
      { 'aws:imagebuilder:arn': 'arn:aws:imagebuilder:us-west-2:111122223333:workflow/build/sample/1.0.0/*', 'aws-crypto-public-key': 'x' },
      { service: 'Image Builder workflow', resource: 'arn:aws:imagebuilder:us-west-2:111122223333:workflow/build/sample/1.0.0/*' },
    ],
    [{ 'aws:cloudtrail:arn': 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main' }, { service: 'CloudTrail trail', resource: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main' }],
  ])('%j', (context, expected) => {
    expect(describeEncryptionContext(context)).toEqual(expected);
  });
  it('says nothing about contexts it does not know', () => {
    expect(describeEncryptionContext({ app: 'billing' })).toBeUndefined();
    expect(describeEncryptionContext(undefined)).toBeUndefined();
  });
});

describe('describePrincipal', () => {
  it.each([
    ['arn:aws:sts::111122223333:assumed-role/aws:ec2-infrastructure/i-0123456789abcdef0', 'EC2 infrastructure (EBS) for i-0123456789abcdef0'],
    ['fargate.amazonaws.com', 'AWS service fargate'],
    ['acm.us-east-1.amazonaws.com', 'AWS service acm'],
    ['arn:aws:iam::111122223333:role/service-role/YourImageBuilderExecutionRole', 'role YourImageBuilderExecutionRole (account 111122223333)'],
    ['arn:aws:iam::444455556666:root', 'account 444455556666'],
    ['arn:aws:sts::111122223333:assumed-role/Admin/alice', 'role Admin (session alice, account 111122223333)'],
    ['something-else', 'something-else'],
  ])('%s', (principal, expected) => {
    expect(describePrincipal(principal)).toBe(expected);
  });
  it('knows service principals', () => {
    expect(isServicePrincipal('ec2.us-east-1.amazonaws.com')).toBe(true);
    expect(isServicePrincipal('arn:aws:iam::111122223333:root')).toBe(false);
  });
});
