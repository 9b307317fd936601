import { describe, expect, it } from 'vitest';
import { accountLabel, callerAccount, outsideCallers } from './outside-callers.js';
import { summarizeUsage } from './usage.js';

const OWNER = '222233334444';
const ANALYTICS = '333344445555';
const DEV = '555566667777';
const KEY = `arn:aws:kms:us-east-1:${OWNER}:key/0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e`;
const now = new Date('2026-12-07T12:00:00Z');

/** A Decrypt record as the key owner's trail has it: the caller's assumed-role session in its own account. */
function decrypt(id: string, time: string, account: string, role: string, error?: { code: string; message: string }) {
  return {
    eventVersion: '1.08',
    eventID: id,
    eventTime: time,
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: 'us-east-1',
    recipientAccountId: OWNER,
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${role}-session`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/${role}-session`,
      accountId: account,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${role}`, accountId: account, userName: role } },
    },
    requestParameters: { encryptionContext: { export: 'ledger-daily' }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
    resources: [{ accountId: OWNER, type: 'AWS::KMS::Key', ARN: KEY }],
  };
}

const service = {
  eventVersion: '1.08',
  eventID: 'svc-1',
  eventTime: '2026-12-06T08:00:00Z',
  eventSource: 'kms.amazonaws.com',
  eventName: 'GenerateDataKey',
  awsRegion: 'us-east-1',
  userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
  resources: [{ accountId: OWNER, type: 'AWS::KMS::Key', ARN: KEY }],
};

const disabled = { code: 'DisabledException', message: `${KEY} is disabled.` };

describe('outsideCallers', () => {
  const summary = summarizeUsage(
    [
      decrypt('a1', '2026-12-06T01:00:00Z', ANALYTICS, 'AnalyticsEtl'),
      decrypt('a2', '2026-12-06T02:00:00Z', ANALYTICS, 'AnalyticsEtl'),
      decrypt('a3', '2026-12-07T03:00:00Z', ANALYTICS, 'AnalyticsEtl', disabled),
      decrypt('a4', '2026-12-07T04:00:00Z', ANALYTICS, 'ReportingBatch', disabled),
      decrypt('d1', '2026-12-05T05:00:00Z', DEV, 'DevApp'),
      decrypt('o1', '2026-12-06T06:00:00Z', OWNER, 'PaymentsApi'),
      service,
    ],
    { days: 7 },
    now,
    { keyArn: KEY },
  );

  it('groups the callers of other accounts by account, failed calls included, most calls first', () => {
    const groups = outsideCallers(summary, OWNER, new Map([[ANALYTICS, 'analytics-prod']]));
    expect(groups.map((g) => g.accountId)).toEqual([ANALYTICS, DEV]);
    const [analytics, dev] = groups;
    expect(analytics).toMatchObject({ accountName: 'analytics-prod', count: 4, failed: 2, lastSeen: '2026-12-07T04:00:00Z', errorCodes: [{ code: 'DisabledException', count: 2 }] });
    expect(analytics!.callers.map((c) => [c.id, c.count, c.failed])).toEqual([
      [`arn:aws:iam::${ANALYTICS}:role/AnalyticsEtl`, 3, 1],
      [`arn:aws:iam::${ANALYTICS}:role/ReportingBatch`, 1, 1],
    ]);
    // No name known: the id alone.
    expect(dev).toMatchObject({ count: 1, failed: 0, errorCodes: [] });
    expect(dev!.accountName).toBeUndefined();
    expect(accountLabel(analytics!)).toBe(`analytics-prod (${ANALYTICS})`);
    expect(accountLabel(dev!)).toBe(DEV);
    expect(accountLabel({ accountId: '', accountName: 'prod-profile' })).toBe('prod-profile');
  });

  it('leaves out the key’s own account and AWS services', () => {
    const ids = outsideCallers(summary, OWNER).flatMap((g) => g.callers.map((c) => c.id));
    expect(ids.some((id) => id.includes(OWNER))).toBe(false);
    expect(ids).not.toContain('cloudtrail.amazonaws.com');
    expect(outsideCallers(summary, ANALYTICS).map((g) => g.accountId)).toEqual([OWNER, DEV]);
  });

  it('reads the account from role, session, user and root ARNs, never from a service', () => {
    expect(callerAccount({ id: `arn:aws:iam::${DEV}:role/DevApp`, kind: 'role' })).toBe(DEV);
    expect(callerAccount({ id: `arn:aws:sts::${DEV}:assumed-role/aws:ec2-infrastructure/i-0abc`, kind: 'role' })).toBe(DEV);
    expect(callerAccount({ id: `arn:aws-us-gov:iam::${DEV}:user/ci`, kind: 'user' })).toBe(DEV);
    expect(callerAccount({ id: `arn:aws:iam::${DEV}:root`, kind: 'account' })).toBe(DEV);
    expect(callerAccount({ id: 'ec2.amazonaws.com', kind: 'service' })).toBeUndefined();
    expect(callerAccount({ id: 'AWSAccount', kind: 'unknown' })).toBeUndefined();
  });
});
