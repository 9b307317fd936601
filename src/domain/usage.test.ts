import { describe, expect, it } from 'vitest';
import type { Grant } from './key.js';
import {
  callerOf,
  contextGroupOf,
  dependents,
  fitCounts,
  nextWindow,
  parseCloudTrailRecord,
  sparkline,
  summarizeUsage,
  FAILURES_KEPT,
  GROUPS_KEPT,
  OMITTED_IDS_KEPT,
  RECENT_IDS_KEPT,
  RESOURCES_KEPT,
  UsageAccumulator,
  windowDays,
  type UsageEvent,
  type UsageSummary,
} from './usage.js';

const ACCOUNT = '111122223333';
const KEY = `arn:aws:kms:us-west-2:${ACCOUNT}:key/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111`;
const resources = [{ accountId: 'AWS Internal', type: 'AWS::KMS::Key', ARN: KEY }];
const common = { eventVersion: '1.08', eventSource: 'kms.amazonaws.com', awsRegion: 'us-west-2', eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: ACCOUNT, eventCategory: 'Management', resources };

// Shaped like the seed documents (001 Image Builder, 003 Fargate), with the key and account filled in.
const imageBuilderGenerate = {
  ...common,
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'PRINCIPALID1234567890:workflow-role-name',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/workflow-role-name`,
    accountId: ACCOUNT,
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    sessionContext: { sessionIssuer: { type: 'Role', principalId: 'PRINCIPALID1234567890', arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, accountId: ACCOUNT, userName: 'Admin' }, webIdFederationData: {}, attributes: { creationDate: '2026-11-21T20:29:31Z', mfaAuthenticated: 'false' } },
    invokedBy: 'imagebuilder.amazonaws.com',
  },
  eventTime: '2026-11-21T20:31:03Z',
  eventName: 'GenerateDataKey',
  sourceIPAddress: 'imagebuilder.amazonaws.com',
  userAgent: 'imagebuilder.amazonaws.com',
  requestParameters: { encryptionContext: { 'aws:imagebuilder:arn': `arn:aws:imagebuilder:us-west-2:${ACCOUNT}:workflow/build/sample-encrypted-workflow/1.0.0/*`, 'aws-crypto-public-key': 'key value' }, keyId: `arn:aws:kms:us-west-2:${ACCOUNT}:alias/ExampleKMSKey`, numberOfBytes: 32 },
  responseElements: null,
  requestID: 'a1b2c3d4-5678-90ab-cdef-EXAMPLEaaaaa',
  eventID: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
  readOnly: true,
};
const fargateGenerate = {
  ...common,
  userIdentity: { type: 'AWSService', invokedBy: 'ec2-frontend-api.amazonaws.com' },
  eventTime: '2026-11-22T18:08:13Z',
  eventName: 'GenerateDataKeyWithoutPlaintext',
  sourceIPAddress: 'ec2-frontend-api.amazonaws.com',
  userAgent: 'ec2-frontend-api.amazonaws.com',
  requestParameters: { numberOfBytes: 64, keyId: KEY, encryptionContext: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ebs:id': 'vol-0aaa', 'aws:ecs:clusterName': 'payments-prod' } },
  responseElements: null,
  requestID: 'r-2',
  eventID: 'e-fargate-1',
  readOnly: true,
  sharedEventID: 's-1',
};
const fargateDryRun = {
  ...fargateGenerate,
  userIdentity: { type: 'AWSService', invokedBy: 'fargate.amazonaws.com' },
  eventTime: '2026-11-22T18:08:11Z',
  errorCode: 'DryRunOperationException',
  errorMessage: 'The request would have succeeded, but the DryRun option is set.',
  requestParameters: { keyId: KEY, dryRun: true, numberOfBytes: 64, encryptionContext: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod' } },
  eventID: 'e-fargate-dry',
};
const fargateGrant = {
  ...fargateGenerate,
  eventName: 'CreateGrant',
  eventTime: '2026-11-22T18:08:14Z',
  requestParameters: { keyId: KEY, granteePrincipal: 'fargate.us-west-2.amazonaws.com', operations: ['Decrypt'], constraints: { encryptionContextSubset: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ebs:id': 'vol-0bbb', 'aws:ecs:clusterName': 'payments-prod' } }, retiringPrincipal: 'ec2.us-west-2.amazonaws.com' },
  responseElements: { grantId: 'e3b0', keyId: KEY },
  eventID: 'e-fargate-grant',
  readOnly: false,
};
const retire = {
  ...common,
  userIdentity: { type: 'AWSService', invokedBy: 'AWS Internal' },
  eventTime: '2026-11-20T18:37:38Z',
  eventName: 'RetireGrant',
  sourceIPAddress: 'AWS Internal',
  userAgent: 'AWS Internal',
  requestParameters: null,
  responseElements: { keyId: KEY },
  additionalEventData: { grantId: 'e3b0' },
  eventID: 'e-retire',
  readOnly: false,
};
const ebsDecrypt = (time: string, id: string, instance = 'i-0f3e2d1c0b9a87654') => ({
  ...common,
  userIdentity: { type: 'AssumedRole', principalId: `AROAEC2:${instance}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/${instance}`, accountId: ACCOUNT, sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/aws:ec2-infrastructure` } } },
  eventTime: time,
  eventName: 'Decrypt',
  requestParameters: { encryptionContext: { 'aws:ebs:id': `vol-${id}` }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
  responseElements: null,
  eventID: `e-ebs-${id}`,
  readOnly: true,
});
const disabledDecrypt = (time: string, id: string) => ({
  ...common,
  userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReportingEtl/etl-nightly`, accountId: ACCOUNT, sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/ReportingEtl` } } },
  eventTime: time,
  eventName: 'Decrypt',
  errorCode: 'DisabledException',
  errorMessage: `${KEY} is disabled.`,
  requestParameters: { encryptionContext: { report: 'monthly' } },
  responseElements: null,
  eventID: `e-disabled-${id}`,
  readOnly: true,
});
const denied = {
  ...common,
  userIdentity: { type: 'IAMUser', principalId: 'AIDA1', arn: `arn:aws:iam::${ACCOUNT}:user/ci-deployer`, accountId: ACCOUNT, userName: 'ci-deployer' },
  eventTime: '2026-11-22T09:00:00Z',
  eventName: 'Decrypt',
  errorCode: 'AccessDenied',
  errorMessage: `User: arn:aws:iam::${ACCOUNT}:user/ci-deployer is not authorized to perform: kms:Decrypt on resource: ${KEY}`,
  requestParameters: null,
  responseElements: null,
  eventID: 'e-denied',
  readOnly: true,
};

const NOW = new Date('2026-11-23T12:00:00Z');

describe('parseCloudTrailRecord', () => {
  it.each([
    ['the Image Builder record (seed 001)', imageBuilderGenerate, { operation: 'GenerateDataKey', identityType: 'AssumedRole', invokedBy: 'imagebuilder.amazonaws.com', roleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`, requestKeyId: `arn:aws:kms:us-west-2:${ACCOUNT}:alias/ExampleKMSKey`, keyArns: [KEY] }],
    ['the Fargate DryRun record (seed 003)', fargateDryRun, { operation: 'GenerateDataKeyWithoutPlaintext', invokedBy: 'fargate.amazonaws.com', errorCode: 'DryRunOperationException' }],
    ['a grant: its constraint context', fargateGrant, { encryptionContext: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ebs:id': 'vol-0bbb', 'aws:ecs:clusterName': 'payments-prod' }, readOnly: false }],
    ['RetireGrant by AWS Internal (null request)', retire, { operation: 'RetireGrant', invokedBy: 'AWS Internal', keyArns: [KEY] }],
    ['the JSON string LookupEvents returns', JSON.stringify(denied), { errorCode: 'AccessDenied', arn: `arn:aws:iam::${ACCOUNT}:user/ci-deployer` }],
  ])('reads %s', (_name, input, expected) => {
    expect(parseCloudTrailRecord(input)).toMatchObject(expected);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array', [imageBuilderGenerate]],
    ['broken JSON', '{"eventName": '],
    ['no eventName', { eventTime: '2026-11-21T20:31:03Z' }],
    ['a bad time', { eventName: 'Decrypt', eventTime: 'yesterday' }],
  ])('returns undefined for %s', (_name, input) => {
    expect(parseCloudTrailRecord(input)).toBeUndefined();
  });

  it('keeps what it can from a partial or odd record', () => {
    const event = parseCloudTrailRecord({ eventName: 'Decrypt', eventTime: '2026-11-21T20:31:03Z', userIdentity: 'nope', resources: [null, { ARN: KEY }, { type: 'AWS::S3::Bucket', ARN: 'x' }], requestParameters: { encryptionContext: { a: 'b', n: 1, o: {} } } });
    expect(event).toMatchObject({ operation: 'Decrypt', keyArns: [KEY], encryptionContext: { a: 'b', n: '1' } });
    expect(event!.identityType).toBeUndefined();
  });
});

describe('callerOf and contextGroupOf', () => {
  it.each([
    [fargateGenerate, 'ec2-frontend-api.amazonaws.com', 'service', 'AWS service ec2-frontend-api'],
    [imageBuilderGenerate, 'imagebuilder.amazonaws.com', 'service', 'AWS service imagebuilder'],
    [ebsDecrypt('2026-11-22T00:00:00Z', 'x'), `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-0f3e2d1c0b9a87654`, 'role', 'EC2 infrastructure (EBS) for i-0f3e2d1c0b9a87654'],
    [disabledDecrypt('2026-11-22T00:00:00Z', 'x'), `arn:aws:iam::${ACCOUNT}:role/ReportingEtl`, 'role', `role ReportingEtl (account ${ACCOUNT})`],
    [denied, `arn:aws:iam::${ACCOUNT}:user/ci-deployer`, 'user', `user ci-deployer (account ${ACCOUNT})`],
    [retire, 'AWS Internal', 'service', 'AWS (internal)'],
  ])('names the caller of %#', (record, id, kind, description) => {
    expect(callerOf(parseCloudTrailRecord(record)!)).toEqual({ id, kind, description });
  });

  it.each([
    [{ 'aws:ebs:id': 'vol-1' }, 'EBS volumes', 'EBS volume'],
    [{ 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod', 'aws:ebs:id': 'vol-1' }, `ECS cluster (Fargate ephemeral storage) ${ACCOUNT}/payments-prod`, 'ECS cluster (Fargate ephemeral storage)'],
    [{ 'aws:imagebuilder:arn': 'arn:wf', 'aws-crypto-public-key': 'k1' }, 'Image Builder workflow arn:wf', 'Image Builder workflow'],
    [{ table: 't', app: 'payments' }, 'app=payments, table=t', undefined],
    [undefined, 'no encryption context', undefined],
  ])('groups the context %j', (context, description, service) => {
    const group = contextGroupOf(context as Record<string, string> | undefined);
    expect(group.description).toBe(description);
    expect(group.service).toBe(service);
  });

  it('puts contexts that differ only in per-resource values in one group', () => {
    expect(contextGroupOf({ 'aws:ebs:id': 'vol-1' }).id).toBe(contextGroupOf({ 'aws:ebs:id': 'vol-2' }).id);
    expect(contextGroupOf({ 'aws:imagebuilder:arn': 'a', 'aws-crypto-public-key': '1' }).id).toBe(contextGroupOf({ 'aws:imagebuilder:arn': 'a', 'aws-crypto-public-key': '2' }).id);
    expect(contextGroupOf({ app: 'a' }).id).not.toBe(contextGroupOf({ app: 'b' }).id);
  });

  it('groups S3 objects by their bucket and Secrets Manager versions by their secret', () => {
    const object = (key: string) => ({ 'aws:s3:arn': `arn:aws:s3:::payments-archive/${key}` });
    const group = contextGroupOf(object('2026/11/a.csv'));
    expect(group).toMatchObject({ service: 'S3 bucket', resource: 'arn:aws:s3:::payments-archive', description: 'S3 objects in arn:aws:s3:::payments-archive' });
    expect(contextGroupOf(object('b/c/d.parquet')).id).toBe(group.id);
    // A bucket ARN (S3 Bucket Key) is the bucket itself, not one of its objects.
    expect(contextGroupOf({ 'aws:s3:arn': 'arn:aws:s3:::payments-archive' }).description).toBe('S3 object arn:aws:s3:::payments-archive');
    expect(contextGroupOf(object('x')).id).not.toBe(contextGroupOf({ 'aws:s3:arn': 'arn:aws:s3:::other-bucket/x' }).id);
    const secret = 'arn:aws:secretsmanager:us-west-2:111122223333:secret:db-AbCdEf';
    const v1 = contextGroupOf({ SecretARN: secret, SecretVersionId: 'v1' });
    expect(v1.id).toBe(contextGroupOf({ SecretARN: secret, SecretVersionId: 'v2' }).id);
    expect(v1.description).toBe(`Secrets Manager secret ${secret}`);
  });
});

describe('summarizeUsage', () => {
  const records: unknown[] = [
    imageBuilderGenerate,
    fargateGenerate,
    fargateDryRun,
    fargateGrant,
    retire,
    ebsDecrypt('2026-11-22T03:00:00Z', 'a'),
    ebsDecrypt('2026-11-23T11:00:00Z', 'b', 'i-0a9b8c7d6e5f43210'),
    ebsDecrypt('2026-11-23T11:00:00Z', 'b', 'i-0a9b8c7d6e5f43210'), // the same event twice (pages overlapping)
    disabledDecrypt('2026-11-18T02:00:00Z', '1'),
    disabledDecrypt('2026-11-23T02:00:00Z', '2'),
    denied,
    { ...ebsDecrypt('2026-10-01T00:00:00Z', 'old') }, // outside a 7-day window
    'not a record',
    { eventName: 'Decrypt' },
  ];
  const summary = summarizeUsage(records, '7d', NOW);

  it('counts events, failures and dry runs (duplicates and junk ignored)', () => {
    expect(summary.total).toBe(10);
    expect(summary.failed).toBe(3);
    expect(summary.dryRuns).toBe(1);
    expect(summary.window).toEqual({ days: 7, start: '2026-11-16T12:00:00.000Z', end: '2026-11-23T12:00:00.000Z' });
  });

  it('counts per operation, most frequent first', () => {
    expect(summary.operations).toEqual([
      { operation: 'Decrypt', count: 5, failed: 3 },
      { operation: 'GenerateDataKeyWithoutPlaintext', count: 2, failed: 0 },
      { operation: 'CreateGrant', count: 1, failed: 0 },
      { operation: 'GenerateDataKey', count: 1, failed: 0 },
      { operation: 'RetireGrant', count: 1, failed: 0 },
    ]);
  });

  it('counts per principal in words, services by invokedBy', () => {
    const byId = Object.fromEntries(summary.principals.map((p) => [p.id, p]));
    expect(byId['ec2-frontend-api.amazonaws.com']).toMatchObject({ count: 2, failed: 0, operations: ['CreateGrant', 'GenerateDataKeyWithoutPlaintext'], description: 'AWS service ec2-frontend-api' });
    expect(byId[`arn:aws:iam::${ACCOUNT}:role/ReportingEtl`]).toMatchObject({ count: 2, failed: 2, lastSeen: '2026-11-23T02:00:00Z' });
    expect(byId['fargate.amazonaws.com']).toMatchObject({ count: 1, failed: 0 });
    expect(summary.principals).toHaveLength(8);
  });

  it('groups encryption contexts with the service they point to', () => {
    const byDescription = Object.fromEntries(summary.contexts.map((c) => [c.description, c]));
    expect(byDescription[`ECS cluster (Fargate ephemeral storage) ${ACCOUNT}/payments-prod`]).toMatchObject({ count: 3, resources: 2, service: 'ECS cluster (Fargate ephemeral storage)' });
    expect(byDescription['EBS volumes']).toMatchObject({ count: 2, resources: 2 });
    expect(byDescription['report=monthly']).toMatchObject({ count: 2, failed: 2 });
    expect(byDescription[`Image Builder workflow arn:aws:imagebuilder:us-west-2:${ACCOUNT}:workflow/build/sample-encrypted-workflow/1.0.0/*`]).toMatchObject({ count: 1 });
    expect(byDescription['no encryption context']).toMatchObject({ count: 1, failed: 1 });
  });

  it('counts per day for the sparkline', () => {
    expect(summary.timeline.bucket).toBe('day');
    expect(summary.timeline.start).toBe('2026-11-16T00:00:00.000Z');
    expect(summary.timeline.counts).toEqual([0, 0, 1, 0, 1, 1, 5, 2]);
    expect(summary.timeline.failed).toEqual([0, 0, 1, 0, 0, 0, 1, 1]);
    const day = summarizeUsage(records, '24h', NOW);
    expect(day.timeline.bucket).toBe('hour');
    expect(day.timeline.counts).toHaveLength(25);
    expect(day.total).toBe(5);
  });

  it('finds the last successful use and the first and last failed attempts', () => {
    expect(summary.lastUse).toMatchObject({ time: '2026-11-23T11:00:00Z', operation: 'Decrypt', caller: { description: 'EC2 infrastructure (EBS) for i-0a9b8c7d6e5f43210' } });
    expect(summary.firstFailure).toMatchObject({ time: '2026-11-18T02:00:00Z', errorCode: 'DisabledException', errorMessage: `${KEY} is disabled.` });
    expect(summary.lastFailure).toMatchObject({ time: '2026-11-23T02:00:00Z', errorCode: 'DisabledException', caller: { description: `role ReportingEtl (account ${ACCOUNT})` } });
    expect(summary.errorCodes).toEqual([{ code: 'DisabledException', count: 2 }, { code: 'AccessDenied', count: 1 }]);
    expect(summary.failures.map((f) => f.eventId)).toEqual(['e-disabled-2', 'e-denied', 'e-disabled-1']);
  });

  it('filters to one key when asked; an empty input is an empty summary', () => {
    expect(summarizeUsage(records, '7d', NOW, { keyArn: 'arn:aws:kms:us-west-2:111122223333:key/other' }).total).toBe(0);
    const empty = summarizeUsage([], '90d', NOW);
    expect(empty).toMatchObject({ total: 0, failed: 0, operations: [], principals: [], failures: [] });
    expect(empty.lastUse).toBeUndefined();
    expect(empty.timeline.counts).toHaveLength(91);
  });

  it('accepts parsed events as well as records', () => {
    const parsed = records.map((r) => parseCloudTrailRecord(r)).filter((e): e is UsageEvent => e !== undefined);
    expect(summarizeUsage(parsed, '7d', NOW)).toEqual(summary);
  });
});

describe('dependents', () => {
  const grants: Grant[] = [
    { grantId: 'g-ebs', keyId: KEY, granteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-0f3e`, operations: ['Decrypt'], constraints: { encryptionContextSubset: { 'aws:ebs:id': 'vol-0a1b' } } },
    { grantId: 'g-fargate', keyId: KEY, granteePrincipal: 'fargate.us-west-2.amazonaws.com', operations: ['Decrypt'], constraints: { encryptionContextSubset: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod' } } },
    { grantId: 'g-plain', keyId: KEY, granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/Backup`, operations: ['Encrypt'] },
  ];
  const summary = summarizeUsage([fargateGenerate, fargateGrant, ebsDecrypt('2026-11-23T11:00:00Z', 'b'), imageBuilderGenerate, denied], '7d', NOW);
  const list = dependents(grants, summary);

  it('merges grants and usage under the same context', () => {
    const byDescription = Object.fromEntries(list.map((d) => [d.description, d]));
    expect(byDescription['EBS volumes']).toMatchObject({ sources: ['grant', 'usage'], grantIds: ['g-ebs'], events: 1, resources: 1 });
    expect(byDescription[`ECS cluster (Fargate ephemeral storage) ${ACCOUNT}/payments-prod`]).toMatchObject({ sources: ['grant', 'usage'], grantIds: ['g-fargate'], grantees: ['fargate.us-west-2.amazonaws.com'], events: 2 });
    expect(byDescription[`Image Builder workflow arn:aws:imagebuilder:us-west-2:${ACCOUNT}:workflow/build/sample-encrypted-workflow/1.0.0/*`]).toMatchObject({ sources: ['usage'], grantIds: [] });
    expect(byDescription[`role Backup (account ${ACCOUNT})`]).toMatchObject({ sources: ['grant'], grantIds: ['g-plain'], events: 0 });
  });

  it('lists callers without a context, most recent first, grants alone last', () => {
    expect(list.some((d) => d.id === `principal:arn:aws:iam::${ACCOUNT}:user/ci-deployer`)).toBe(true);
    expect(list[0]!.description).toBe('EBS volumes');
    expect(list.at(-1)!.sources).toEqual(['grant']);
    expect(dependents([], undefined)).toEqual([]);
  });
});

describe('windows and sparklines', () => {
  it.each([
    ['24h', 1, '7d'],
    ['7d', 7, '30d'],
    ['30d', 30, '90d'],
    ['90d', 90, '24h'],
  ] as const)('%s is %i days, then %s', (window, days, next) => {
    expect(windowDays(window)).toBe(days);
    expect(nextWindow(window)).toBe(next);
  });

  it('draws counts as bars, fits them to a width', () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▁▂▄█');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(fitCounts([1, 1, 1, 1, 1, 1], 3)).toEqual([2, 2, 2]);
    expect(fitCounts([1, 2], 10)).toEqual([1, 2]);
  });
});

describe('UsageAccumulator', () => {
  const HOUR = 3_600_000;
  const base = Date.parse('2026-11-20T00:00:00Z');
  /** A varied stream: several callers, contexts, failures, dry runs, other keys, equal times. */
  const stream = (n: number, seed = 7): UsageEvent[] => {
    let s = seed;
    const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const ops = ['Decrypt', 'Encrypt', 'GenerateDataKey', 'DescribeKey', 'CreateGrant'];
    return Array.from({ length: n }, (_, i) => {
      const timeMs = base + Math.floor(rand() * 72) * HOUR + (rand() < 0.3 ? 0 : Math.floor(rand() * 1000) * 1000);
      const error = rand();
      const event: UsageEvent = {
        eventId: `id-${i}`,
        time: new Date(timeMs).toISOString(),
        timeMs,
        operation: ops[Math.floor(rand() * ops.length)]!,
        eventSource: 'kms.amazonaws.com',
        keyArns: [rand() < 0.1 ? `${KEY}-other` : KEY],
        ...(rand() < 0.5 ? { identityType: 'AWSService', invokedBy: rand() < 0.5 ? 'ec2.amazonaws.com' : 'fargate.amazonaws.com' } : { identityType: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Role${Math.floor(rand() * 4)}/s${i}` }),
        ...(error < 0.1 ? { errorCode: 'AccessDeniedException', errorMessage: `denied ${i}` } : error < 0.13 ? { errorCode: 'DryRunOperationException' } : {}),
        ...(rand() < 0.5 ? { encryptionContext: { 'aws:ebs:id': `vol-${Math.floor(rand() * 50)}` } } : {}),
      };
      return event;
    });
  };
  const window = { start: base - HOUR, end: base + 80 * HOUR };

  it.each([
    ['interleaved', (events: UsageEvent[]) => events],
    // Each part then holds other operations and times: merged callers must gain the other parts' operations.
    ['grouped by operation', (events: UsageEvent[]) => [...events].sort((a, b) => (a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0))],
  ])('merging partial accumulators gives what adding every event to one gives (%s)', (_name, order) => {
    const events = order(stream(3_000));
    const sequential = new UsageAccumulator({ keyArn: KEY });
    for (const e of events) sequential.add(e);
    // Four workers, uneven parts, merged in order; one through its plain-data state (a worker's answer).
    const cuts = [0, 400, 1_700, 1_701, 3_000];
    const parts = cuts.slice(1).map((end, i) => {
      const acc = new UsageAccumulator({ keyArn: KEY });
      for (const e of events.slice(cuts[i], end)) acc.add(e);
      return acc;
    });
    const merged = new UsageAccumulator({ keyArn: KEY });
    merged.merge(parts[0]!).merge(structuredClone(parts[1]!.toState())).merge(parts[2]!).merge(parts[3]!);
    expect(merged.summary(window)).toEqual(sequential.summary(window));
    expect(sequential.summary(window).total).toBeGreaterThan(2_000);
  });

  it('summarizeUsage is the accumulator over a window ending now', () => {
    const events = stream(500);
    const now = new Date(base + 80 * HOUR);
    const acc = new UsageAccumulator({ keyArn: KEY, start: now.getTime() - 7 * 86_400_000, end: now.getTime() });
    for (const e of events) acc.add(e);
    expect(summarizeUsage(events, '7d', now, { keyArn: KEY })).toEqual(acc.summary({ start: now.getTime() - 7 * 86_400_000, end: now.getTime(), days: 7 }));
  });

  it('keeps its memory bounded: newest failures, capped resources, a ring of recent ids', () => {
    const acc = new UsageAccumulator({ keyArn: KEY });
    const total = 3 * FAILURES_KEPT + RESOURCES_KEPT + RECENT_IDS_KEPT;
    for (let i = 0; i < total; i += 1) {
      const timeMs = base + i * 1000;
      acc.add({
        eventId: `e${i}`,
        time: new Date(timeMs).toISOString(),
        timeMs,
        operation: 'Decrypt',
        eventSource: 'kms.amazonaws.com',
        keyArns: [KEY],
        invokedBy: 'ec2.amazonaws.com',
        encryptionContext: { 'aws:ebs:id': `vol-${i}` },
        ...(i % 3 === 0 ? { errorCode: 'DisabledException' } : {}),
      });
    }
    const sizes = acc.sizes();
    expect(sizes.failures).toBeLessThanOrEqual(2 * FAILURES_KEPT);
    expect(sizes.resources).toBe(RESOURCES_KEPT);
    expect(sizes.recentIds).toBe(RECENT_IDS_KEPT);
    const summary = acc.summary({ start: base, end: base + total * 1000 });
    const failed = Math.ceil(total / 3);
    expect(summary.failed).toBe(failed);
    expect(summary.failures).toHaveLength(FAILURES_KEPT);
    expect(summary.failuresOmitted).toBe(failed - FAILURES_KEPT);
    // Newest first; the oldest failure is still known although its details were dropped from the list.
    expect(summary.lastFailure?.eventId).toBe(`e${Math.floor((total - 1) / 3) * 3}`);
    expect(summary.firstFailure?.eventId).toBe('e0');
    expect(summary.contexts[0]).toMatchObject({ resources: RESOURCES_KEPT, resourcesCapped: true, count: total });
  });

  /** One Decrypt per S3 object (its own context) by its own IAM user: no two events share a caller or an object. */
  const distinctEvent = (i: number, bucket = `bucket-${i % 3}`): UsageEvent => {
    const timeMs = base + i * 1000;
    return {
      eventId: `d${i}`,
      time: new Date(timeMs).toISOString(),
      timeMs,
      operation: 'Decrypt',
      eventSource: 'kms.amazonaws.com',
      keyArns: [KEY],
      identityType: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/u${i}`,
      encryptionContext: i % 10 === 9 ? { app: `app-${i}` } : { 'aws:s3:arn': `arn:aws:s3:::${bucket}/objects/${i}.json` },
      ...(i % 7 === 0 ? { errorCode: 'AccessDeniedException' } : {}),
    };
  };
  const listedPlusOmitted = (summary: UsageSummary) => ({
    principals: summary.principals.reduce((n, p) => n + p.count, 0) + (summary.principalsOmitted?.count ?? 0),
    principalsFailed: summary.principals.reduce((n, p) => n + p.failed, 0) + (summary.principalsOmitted?.failed ?? 0),
    contexts: summary.contexts.reduce((n, c) => n + c.count, 0) + (summary.contextsOmitted?.count ?? 0),
  });

  it('bounds its callers and contexts: the heaviest listed, the rest counted, totals exact', () => {
    const n = 30_000;
    const acc = new UsageAccumulator({ keyArn: KEY });
    // A few heavy callers and contexts first, then one event per caller and per context.
    for (let i = 0; i < 50; i += 1) acc.add({ ...distinctEvent(i), eventId: `h${i}`, arn: `arn:aws:iam::${ACCOUNT}:user/heavy`, encryptionContext: { app: 'heavy' } });
    for (let i = 0; i < n; i += 1) acc.add(distinctEvent(i));
    const sizes = acc.sizes();
    expect(sizes.principals).toBeLessThanOrEqual(2 * GROUPS_KEPT);
    expect(sizes.contexts).toBeLessThanOrEqual(2 * GROUPS_KEPT);
    expect(sizes.resources).toBeLessThanOrEqual(4 * RESOURCES_KEPT);
    const summary = acc.summary(window);
    expect(summary.total).toBe(n + 50);
    expect(summary.principals).toHaveLength(GROUPS_KEPT);
    expect(summary.principals[0]).toMatchObject({ description: `user heavy (account ${ACCOUNT})`, count: 50 });
    expect(summary.contexts[0]!.count).toBeGreaterThan(1_000); // a bucket: one group, its objects as resources
    expect(summary.contexts.find((c) => c.description === 'app=heavy')?.count).toBe(50);
    expect(summary.contexts.length).toBeLessThanOrEqual(GROUPS_KEPT);
    // More omitted callers than it remembers by name: "at least".
    expect(summary.principalsOmitted).toMatchObject({ groupsCapped: true, count: n + 50 - summary.principals.reduce((m, p) => m + p.count, 0) });
    expect(summary.principalsOmitted!.groups).toBeGreaterThanOrEqual(OMITTED_IDS_KEPT);
    expect(summary.contextsOmitted!.groups).toBeGreaterThan(1_000);
    expect(listedPlusOmitted(summary)).toEqual({ principals: n + 50, principalsFailed: summary.failed, contexts: n + 50 });
    // What depends on the key is as bounded as the contexts it comes from.
    expect(dependents([], summary).length).toBeLessThanOrEqual(GROUPS_KEPT);
  });

  it('merges bounded parts into bounded totals that still add up', () => {
    const n = 12_000;
    const parts = [0, 1, 2].map(() => new UsageAccumulator({ keyArn: KEY }));
    const sequential = new UsageAccumulator({ keyArn: KEY });
    for (let i = 0; i < n; i += 1) {
      const event = distinctEvent(i, `bucket-${i % 1500}`);
      parts[i % 3]!.add(event);
      sequential.add(event);
    }
    const merged = new UsageAccumulator({ keyArn: KEY }).merge(parts[0]!).merge(structuredClone(parts[1]!.toState())).merge(parts[2]!);
    const a = merged.summary(window);
    const b = sequential.summary(window);
    expect(a.total).toBe(n);
    expect(listedPlusOmitted(a)).toEqual(listedPlusOmitted(b));
    expect(listedPlusOmitted(a)).toEqual({ principals: n, principalsFailed: a.failed, contexts: n });
    expect(a.principals).toHaveLength(GROUPS_KEPT);
    expect(a.contexts.length).toBeLessThanOrEqual(GROUPS_KEPT);
    expect(merged.sizes().principals).toBeLessThanOrEqual(2 * GROUPS_KEPT);
    expect(a.operations).toEqual(b.operations);
    expect(a.timeline).toEqual(b.timeline);
  });

  it('drops an id repeated within its recent memory, and only there', () => {
    const [a, b] = stream(2);
    const acc = new UsageAccumulator({ keyArn: KEY });
    const counted = [a!, a!, b!, a!].map((e) => acc.add({ ...e, keyArns: [KEY] }));
    expect(counted).toEqual([true, false, true, false]);
    expect(acc.total).toBe(2);
  });

  it('counts nothing outside its bounds or for another key', () => {
    const acc = new UsageAccumulator({ keyArn: KEY, start: base, end: base + HOUR });
    const event = (timeMs: number, arn = KEY): UsageEvent => ({ eventId: `${timeMs}${arn}`, time: new Date(timeMs).toISOString(), timeMs, operation: 'Decrypt', eventSource: 'kms.amazonaws.com', keyArns: [arn] });
    expect([acc.add(event(base - 1)), acc.add(event(base)), acc.add(event(base + HOUR)), acc.add(event(base + HOUR + 1)), acc.add(event(base + 5, `${KEY}x`))]).toEqual([false, true, true, false, false]);
  });
});
