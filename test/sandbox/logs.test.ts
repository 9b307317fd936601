// CloudWatch Logs through the real @aws-sdk/client-cloudwatch-logs client over HTTP.

import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteMetricFilterCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  PutRetentionPolicyCommand,
  TestMetricFilterCommand,
  type MetricTransformation,
} from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { failure } from './helpers.js';

const TRAIL_GROUP = 'aws-cloudtrail-logs-111122223333-management';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DOC_PATTERN = '{ $.eventSource = kms* && $.errorMessage = "* is pending deletion."}';
const T1: MetricTransformation = { metricName: 'KMSKeyPendingDeletionErrorCount', metricNamespace: 'CloudTrailLogMetrics', metricValue: '1' };

function cloudTrailRecord(errorMessage?: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventVersion: '1.08',
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: 'us-east-1',
    readOnly: true,
    resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY_ARN }],
    ...(errorMessage ? { errorCode: 'KMSInvalidStateException', errorMessage } : {}),
    ...extra,
  });
}

let sandbox: Sandbox;
let logs: CloudWatchLogsClient;
let cw: CloudWatchClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  cw = new CloudWatchClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  logs.destroy();
  cw.destroy();
  await sandbox.close();
});

describe('log groups and streams', () => {
  it('the CloudTrail log group is seeded in us-east-1 with 365-day retention (a year of evidence)', async () => {
    const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'aws-cloudtrail-logs-' }));
    expect(out.logGroups).toHaveLength(1);
    expect(out.logGroups![0]).toMatchObject({
      logGroupName: TRAIL_GROUP,
      retentionInDays: 365,
      metricFilterCount: 0,
      arn: `arn:aws:logs:us-east-1:111122223333:log-group:${TRAIL_GROUP}:*`,
      logGroupArn: `arn:aws:logs:us-east-1:111122223333:log-group:${TRAIL_GROUP}`,
    });
    const eu = new CloudWatchLogsClient({ region: 'eu-west-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    expect((await eu.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
    eu.destroy();
  });

  it('CreateLogGroup, duplicates, names, DescribeLogGroups paging, retention, delete', async () => {
    for (const n of ['/pg/c', '/pg/a', '/pg/b']) await logs.send(new CreateLogGroupCommand({ logGroupName: n }));
    expect(await failure(logs.send(new CreateLogGroupCommand({ logGroupName: '/pg/a' })))).toMatchObject({
      name: 'ResourceAlreadyExistsException',
      message: 'The specified log group already exists',
    });
    const bad = await failure(logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name!' })));
    expect(bad.name).toBe('InvalidParameterException');
    expect(bad.message).toContain("at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern");

    const first = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/pg/', limit: 2 }));
    expect(first.logGroups!.map((g) => g.logGroupName)).toEqual(['/pg/a', '/pg/b']);
    expect(first.nextToken).toBeDefined();
    const second = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/pg/', limit: 2, nextToken: first.nextToken }));
    expect(second.logGroups!.map((g) => g.logGroupName)).toEqual(['/pg/c']);
    expect(second.nextToken).toBeUndefined();
    expect((await failure(logs.send(new DescribeLogGroupsCommand({ nextToken: 'garbage' })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new DescribeLogGroupsCommand({ limit: 51 })))).message).toContain('Member must have value less than or equal to 50');

    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/pg/c', retentionInDays: 7 }));
    expect((await failure(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/pg/c', retentionInDays: 8 })))).name).toBe('InvalidParameterException');
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/pg/c' }));
    expect(await failure(logs.send(new DeleteLogGroupCommand({ logGroupName: '/pg/c' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
      status: 400,
    });
  });

  it('CreateLogStream, PutLogEvents (order, too old/new, unknown stream), DescribeLogStreams', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/events' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/app/events', logStreamName: 's1' }));
    expect((await failure(logs.send(new CreateLogStreamCommand({ logGroupName: '/app/events', logStreamName: 's1' })))).name).toBe('ResourceAlreadyExistsException');
    expect((await failure(logs.send(new CreateLogStreamCommand({ logGroupName: '/nope', logStreamName: 's1' })))).name).toBe('ResourceNotFoundException');
    const now = Date.now();
    const put = await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/app/events',
        logStreamName: 's1',
        logEvents: [
          { timestamp: now - 15 * 86_400_000, message: 'too old' },
          { timestamp: now - 1000, message: 'ERROR one' },
          { timestamp: now, message: 'INFO two' },
          { timestamp: now + 3 * 3_600_000, message: 'too new' },
        ],
      }),
    );
    expect(put.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 3 });
    expect(put.nextSequenceToken).toBeDefined();
    expect(
      await failure(logs.send(new PutLogEventsCommand({ logGroupName: '/app/events', logStreamName: 's1', logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }] }))),
    ).toMatchObject({ name: 'InvalidParameterException', message: 'Log events in a single PutLogEvents request must be in chronological order.' });
    expect(await failure(logs.send(new PutLogEventsCommand({ logGroupName: '/app/events', logStreamName: 'nope', logEvents: [{ timestamp: now, message: 'x' }] })))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'The specified log stream does not exist.',
    });
    expect((await failure(logs.send(new PutLogEventsCommand({ logGroupName: '/app/events', logStreamName: 's1', logEvents: [] })))).name).toBe('InvalidParameterException');
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/app/events' }));
    expect(streams.logStreams).toHaveLength(1);
    expect(streams.logStreams![0]).toMatchObject({ logStreamName: 's1', firstEventTimestamp: now - 1000, lastEventTimestamp: now });
  });
});

describe('FilterLogEvents', () => {
  it('filters by time range and pattern, and pages', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/fle' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/fle', logStreamName: 'a' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/fle', logStreamName: 'b' }));
    const t = Date.now() - 60_000;
    await logs.send(new PutLogEventsCommand({ logGroupName: '/fle', logStreamName: 'a', logEvents: [0, 2, 4].map((i) => ({ timestamp: t + i, message: i % 4 === 0 ? cloudTrailRecord(`${KEY_ARN} is pending deletion.`) : cloudTrailRecord() })) }));
    await logs.send(new PutLogEventsCommand({ logGroupName: '/fle', logStreamName: 'b', logEvents: [1, 3].map((i) => ({ timestamp: t + i, message: `plain text ${i}` })) }));

    const all = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle' }));
    expect(all.events!.map((e) => e.timestamp! - t)).toEqual([0, 1, 2, 3, 4]);
    expect(all.events![1]).toMatchObject({ logStreamName: 'b', message: 'plain text 1' });
    expect(all.searchedLogStreams).toHaveLength(2);

    const matching = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', filterPattern: DOC_PATTERN }));
    expect(matching.events!.map((e) => e.timestamp! - t)).toEqual([0, 4]);
    const text = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', filterPattern: 'plain -3' }));
    expect(text.events!.map((e) => e.message)).toEqual(['plain text 1']);
    const range = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', startTime: t + 1, endTime: t + 3 }));
    expect(range.events!.map((e) => e.timestamp! - t)).toEqual([1, 2, 3]);
    const streamOnly = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', logStreamNames: ['a'] }));
    expect(streamOnly.events).toHaveLength(3);

    const page1 = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', limit: 2 }));
    expect(page1.events).toHaveLength(2);
    const page2 = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', limit: 2, nextToken: page1.nextToken }));
    const page3 = await logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', limit: 2, nextToken: page2.nextToken }));
    expect([...page1.events!, ...page2.events!, ...page3.events!].map((e) => e.timestamp! - t)).toEqual([0, 1, 2, 3, 4]);
    expect(page3.nextToken).toBeUndefined();

    expect((await failure(logs.send(new FilterLogEventsCommand({ logGroupName: '/fle', filterPattern: '{ $.a = ' })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new FilterLogEventsCommand({ logGroupName: '/none' })))).name).toBe('ResourceNotFoundException');
  });

  it('keeps the newest 2,000 events per log group', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/cap' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/cap', logStreamName: 's' }));
    const t = Date.now() - 3_600_000;
    await logs.send(new PutLogEventsCommand({ logGroupName: '/cap', logStreamName: 's', logEvents: Array.from({ length: 2500 }, (_, i) => ({ timestamp: t + i, message: `event ${i}` })) }));
    const out = await logs.send(new FilterLogEventsCommand({ logGroupName: '/cap' }));
    expect(out.events).toHaveLength(2000);
    expect(out.events![0]!.message).toBe('event 500');
  });

  it('drops events older than the retention period as sandbox time passes', async () => {
    const local = await startSandbox({ port: 0 });
    const client = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: local.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    try {
      await client.send(new CreateLogGroupCommand({ logGroupName: '/short' }));
      await client.send(new PutRetentionPolicyCommand({ logGroupName: '/short', retentionInDays: 1 }));
      await client.send(new CreateLogStreamCommand({ logGroupName: '/short', logStreamName: 's' }));
      await client.send(new PutLogEventsCommand({ logGroupName: '/short', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'hello' }] }));
      expect((await client.send(new FilterLogEventsCommand({ logGroupName: '/short' }))).events).toHaveLength(1);
      local.advanceClock(2 * 86_400);
      expect((await client.send(new FilterLogEventsCommand({ logGroupName: '/short' }))).events).toHaveLength(0);
    } finally {
      client.destroy();
      await local.close();
    }
  });
});

describe('metric filters', () => {
  it('PutMetricFilter validation', async () => {
    const base = { logGroupName: TRAIL_GROUP, filterName: 'f', filterPattern: DOC_PATTERN, metricTransformations: [T1] };
    expect(await failure(logs.send(new PutMetricFilterCommand({ ...base, logGroupName: 'missing-group' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
    });
    expect(await failure(logs.send(new PutMetricFilterCommand({ ...base, filterPattern: '{ $.eventSource = }' })))).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid metric filter pattern',
    });
    expect(await failure(logs.send(new PutMetricFilterCommand({ ...base, filterPattern: 'ERROR (x)' })))).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid character(s) in term',
    });
    const long = await failure(logs.send(new PutMetricFilterCommand({ ...base, filterPattern: 'a'.repeat(1025) })));
    expect(long.message).toContain("at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024");
    const two = await failure(logs.send(new PutMetricFilterCommand({ ...base, metricTransformations: [T1, T1] })));
    expect(two).toMatchObject({ name: 'InvalidParameterException' });
    expect(two.message).toContain("at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1");
    expect((await failure(logs.send(new PutMetricFilterCommand({ ...base, metricTransformations: [] })))).message).toContain('greater than or equal to 1');
    expect((await failure(logs.send(new PutMetricFilterCommand({ ...base, filterName: 'a:b' })))).message).toContain("at 'filterName'");
    expect((await failure(logs.send(new PutMetricFilterCommand({ ...base, filterName: 'a*b' })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new PutMetricFilterCommand({ ...base, metricTransformations: [{ ...T1, metricName: 'a$b' }] })))).message).toContain('metricName');
    expect((await failure(logs.send(new PutMetricFilterCommand({ ...base, metricTransformations: [{ ...T1, metricNamespace: 'x'.repeat(256) }] })))).message).toContain('metricNamespace');
    expect((await failure(logs.send(new PutMetricFilterCommand({ ...base, metricTransformations: [{ ...T1, metricValue: 'abc' }] })))).name).toBe('InvalidParameterException');
    expect(
      (await failure(logs.send(new PutMetricFilterCommand({ ...base, metricTransformations: [{ ...T1, defaultValue: 0, dimensions: { Key: '$.eventName' } }] })))).name,
    ).toBe('InvalidParameterException');
    expect(
      (await failure(logs.send(new PutMetricFilterCommand({ ...base, filterPattern: 'ERROR', metricTransformations: [{ ...T1, dimensions: { Key: '$.eventName' } }] })))).message,
    ).toBe('The specified filter pattern does not support dimensions');
  });

  it('PutMetricFilter / DescribeMetricFilters / DeleteMetricFilter, 100-filter limit', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/mf' }));
    await logs.send(new PutMetricFilterCommand({ logGroupName: '/mf', filterName: 'kms-pending', filterPattern: DOC_PATTERN, metricTransformations: [{ ...T1, defaultValue: 0 }] }));
    await logs.send(new PutMetricFilterCommand({ logGroupName: '/mf', filterName: 'kms-disable', filterPattern: '{ $.eventName = DisableKey }', metricTransformations: [{ metricName: 'Disables', metricNamespace: 'Other', metricValue: '1' }] }));
    // Overwrite keeps one filter of that name.
    await logs.send(new PutMetricFilterCommand({ logGroupName: '/mf', filterName: 'kms-pending', filterPattern: DOC_PATTERN, metricTransformations: [{ ...T1, defaultValue: 0 }] }));

    const all = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/mf' }));
    expect(all.metricFilters!.map((f) => f.filterName)).toEqual(['kms-disable', 'kms-pending']);
    expect(all.metricFilters![1]).toMatchObject({
      filterPattern: DOC_PATTERN,
      logGroupName: '/mf',
      metricTransformations: [{ metricName: 'KMSKeyPendingDeletionErrorCount', metricNamespace: 'CloudTrailLogMetrics', metricValue: '1', defaultValue: 0 }],
    });
    expect(typeof all.metricFilters![1]!.creationTime).toBe('number');
    expect((await logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/mf', filterNamePrefix: 'kms-p' }))).metricFilters!.map((f) => f.filterName)).toEqual(['kms-pending']);
    const byMetric = await logs.send(new DescribeMetricFiltersCommand({ metricName: 'Disables', metricNamespace: 'Other' }));
    expect(byMetric.metricFilters!.map((f) => f.filterName)).toEqual(['kms-disable']);
    expect((await failure(logs.send(new DescribeMetricFiltersCommand({ metricName: 'Disables' })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/mf', limit: 0 })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/mf', limit: 51 })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/nope' })))).name).toBe('ResourceNotFoundException');
    const page1 = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/mf', limit: 1 }));
    const page2 = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/mf', limit: 1, nextToken: page1.nextToken }));
    expect([...page1.metricFilters!, ...page2.metricFilters!].map((f) => f.filterName)).toEqual(['kms-disable', 'kms-pending']);
    expect(page2.nextToken).toBeUndefined();

    await logs.send(new DeleteMetricFilterCommand({ logGroupName: '/mf', filterName: 'kms-disable' }));
    expect((await failure(logs.send(new DeleteMetricFilterCommand({ logGroupName: '/mf', filterName: 'kms-disable' })))).name).toBe('ResourceNotFoundException');
    expect((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/mf' }))).logGroups![0]!.metricFilterCount).toBe(1);

    for (let i = 1; i < 100; i += 1) {
      await logs.send(new PutMetricFilterCommand({ logGroupName: '/mf', filterName: `f${i}`, filterPattern: '', metricTransformations: [T1] }));
    }
    expect(await failure(logs.send(new PutMetricFilterCommand({ logGroupName: '/mf', filterName: 'one-too-many', filterPattern: '', metricTransformations: [T1] })))).toMatchObject({
      name: 'LimitExceededException',
      message: 'Resource limit exceeded.',
    });
    // Replacing an existing filter at the limit is fine.
    await logs.send(new PutMetricFilterCommand({ logGroupName: '/mf', filterName: 'f1', filterPattern: 'ERROR', metricTransformations: [T1] }));
  });

  it('TestMetricFilter returns matches with event numbers and extracted values', async () => {
    const messages = [cloudTrailRecord(), cloudTrailRecord(`${KEY_ARN} is pending deletion.`), 'not json', cloudTrailRecord(`${KEY_ARN} is disabled.`)];
    const out = await logs.send(new TestMetricFilterCommand({ filterPattern: DOC_PATTERN, logEventMessages: messages }));
    expect(out.matches).toEqual([
      {
        eventNumber: 2,
        eventMessage: messages[1],
        extractedValues: { '$.eventSource': 'kms.amazonaws.com', '$.errorMessage': `${KEY_ARN} is pending deletion.` },
      },
    ]);
    const text = await logs.send(new TestMetricFilterCommand({ filterPattern: 'json', logEventMessages: messages }));
    expect(text.matches!.map((m) => m.eventNumber)).toEqual([3]);
    expect((await logs.send(new TestMetricFilterCommand({ filterPattern: '', logEventMessages: messages }))).matches).toHaveLength(4);
    expect((await failure(logs.send(new TestMetricFilterCommand({ filterPattern: '{ $.x = }', logEventMessages: ['x'] })))).message).toBe('Invalid metric filter pattern');
    expect((await failure(logs.send(new TestMetricFilterCommand({ filterPattern: 'x', logEventMessages: [] })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new TestMetricFilterCommand({ filterPattern: 'x', logEventMessages: Array(51).fill('x') })))).name).toBe('InvalidParameterException');
  });

  it('a put event matching a filter emits a datapoint at the event timestamp (literal and $.field values)', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/emit' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/emit', logStreamName: 's' }));
    await logs.send(new PutMetricFilterCommand({ logGroupName: '/emit', filterName: 'count', filterPattern: DOC_PATTERN, metricTransformations: [{ metricName: 'PendingCount', metricNamespace: 'EmitTest', metricValue: '1' }] }));
    await logs.send(new PutMetricFilterCommand({ logGroupName: '/emit', filterName: 'bytes', filterPattern: '{ $.bytes > 0 }', metricTransformations: [{ metricName: 'Bytes', metricNamespace: 'EmitTest', metricValue: '$.bytes', unit: 'Bytes' }] }));
    await logs.send(new PutMetricFilterCommand({ logGroupName: '/emit', filterName: 'by-op', filterPattern: '{ $.eventName = * }', metricTransformations: [{ metricName: 'Calls', metricNamespace: 'EmitTest', metricValue: '1', dimensions: { Operation: '$.eventName' } }] }));
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/emit',
        logStreamName: 's',
        logEvents: [
          { timestamp: minute + 1000, message: cloudTrailRecord(`${KEY_ARN} is pending deletion.`, { bytes: 100 }) },
          { timestamp: minute + 2000, message: cloudTrailRecord(`${KEY_ARN} is pending deletion.`, { bytes: 50 }) },
          { timestamp: minute + 3000, message: cloudTrailRecord(undefined, { eventName: 'Encrypt' }) },
          { timestamp: minute + 4000, message: 'not json at all' },
        ],
      }),
    );
    const stats = async (metricName: string, dims: Array<{ Name: string; Value: string }> = []) =>
      (
        await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: 'EmitTest',
            MetricName: metricName,
            Dimensions: dims,
            StartTime: new Date(minute - 60_000),
            EndTime: new Date(minute + 120_000),
            Period: 60,
            Statistics: ['Sum', 'SampleCount', 'Maximum'],
          }),
        )
      ).Datapoints;
    expect(await stats('PendingCount')).toEqual([{ Timestamp: new Date(minute), Sum: 2, SampleCount: 2, Maximum: 1, Unit: 'None' }]);
    expect(await stats('Bytes')).toEqual([{ Timestamp: new Date(minute), Sum: 150, SampleCount: 2, Maximum: 100, Unit: 'Bytes' }]);
    expect(await stats('Calls', [{ Name: 'Operation', Value: 'Decrypt' }])).toMatchObject([{ Sum: 2 }]);
    expect(await stats('Calls', [{ Name: 'Operation', Value: 'Encrypt' }])).toMatchObject([{ Sum: 1 }]);
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'EmitTest' }));
    expect(listed.Metrics!.map((m) => m.MetricName).sort()).toEqual(['Bytes', 'Calls', 'Calls', 'PendingCount']);
  });
});
