// CloudWatch (alarms and metrics) through the real @aws-sdk/client-cloudwatch client, which sends
// AWS JSON 1.0 with the awsQueryCompatible trait; plus the Logs → metric → alarm pipeline.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  type DescribeAlarmsCommandInput,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogStreamCommand, DescribeMetricFiltersCommand, FilterLogEventsCommand, PutLogEventsCommand, PutMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateAlarms, formatReasonDate } from '../../src/sandbox/cloudwatch.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { deliverLogEvents } from '../../src/sandbox/logs.js';
import { seedState } from '../../src/sandbox/seed.js';
import { Store } from '../../src/sandbox/state.js';

const TRAIL_GROUP = 'aws-cloudtrail-logs-111122223333-management';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DOC_PATTERN = '{ $.eventSource = kms* && $.errorMessage = "* is pending deletion."}';
/** The per-key pattern keywarden installs; KEY_ARN is outside the seeded estate, so the simulated workloads never match it. */
const KEY_PATTERN = `{ ($.eventSource = "kms.amazonaws.com") && ($.resources[0].ARN = "${KEY_ARN}") && (($.errorCode = "DisabledException") || ($.errorMessage = "* is disabled.") || ($.errorMessage = "* is pending deletion.")) }`;
/** Not the trail's own stream (the simulated workloads deliver there). */
const STREAM = 'keywarden-test-stream';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:kms-alerts';
/** 2026-11-23T10:02:30Z: mid-period for both 60 s and 300 s periods. */
const BASE = Date.UTC(2026, 10, 23, 10, 2, 30);

const DOC_ALARM: PutMetricAlarmCommandInput = {
  AlarmName: 'KMSKeyPendingDeletionErrorAlarm',
  Namespace: 'CloudTrailLogMetrics',
  MetricName: 'KMSKeyPendingDeletionErrorCount',
  Statistic: 'Sum',
  Period: 300,
  EvaluationPeriods: 1,
  DatapointsToAlarm: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'notBreaching',
  AlarmActions: [TOPIC],
};

function pendingRecord(): string {
  return JSON.stringify({
    eventVersion: '1.08',
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    errorCode: 'KMSInvalidStateException',
    errorMessage: `${KEY_ARN} is pending deletion.`,
    resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY_ARN }],
  });
}

interface World {
  sandbox: Sandbox;
  cw: CloudWatchClient;
  logs: CloudWatchLogsClient;
  now(): number;
}

const opened: World[] = [];

async function open(options: SandboxOptions = {}): Promise<World> {
  let offsetMs = 0;
  const sandbox = await startSandbox({ port: 0, now: () => new Date(BASE), ...options });
  const cw = new CloudWatchClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  const logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  const advance = sandbox.advanceClock.bind(sandbox);
  sandbox.advanceClock = (seconds: number) => {
    offsetMs += seconds * 1000;
    advance(seconds);
  };
  const world = { sandbox, cw, logs, now: () => BASE + offsetMs };
  opened.push(world);
  return world;
}

afterEach(async () => {
  for (const w of opened.splice(0)) {
    w.cw.destroy();
    w.logs.destroy();
    await w.sandbox.close();
  }
});

/** `{name, message, code, status}` of a failing call; `code` is the awsQuery code the SDK read from x-amzn-query-error. */
async function cwFailure(promise: Promise<unknown>): Promise<{ name: string; message: string; code?: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; Error?: { Code?: string }; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, code: e.Error?.Code, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

async function alarm(w: World, name: string) {
  const out = await w.cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  return out.MetricAlarms![0]!;
}

async function history(w: World, name: string, type?: 'StateUpdate' | 'Action' | 'ConfigurationUpdate') {
  const out = await w.cw.send(new DescribeAlarmHistoryCommand({ AlarmName: name, ScanBy: 'TimestampAscending', ...(type ? { HistoryItemType: type } : {}) }));
  return out.AlarmHistoryItems!;
}

describe('PutMetricAlarm validation (awsQueryCompatible errors)', () => {
  const base = { ...DOC_ALARM, AlarmName: 'v' };
  const cases: Array<[string, Partial<PutMetricAlarmCommandInput> & Record<string, unknown>, string, string, string]> = [
    ['Period 45', { Period: 45 }, 'ValidationException', 'ValidationError', 'Period must be 10, 20, 30 or a multiple of 60'],
    ['Period 0', { Period: 0 }, 'ValidationException', 'ValidationError', "Value '0' at 'period' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    ['EvaluationPeriods 0', { EvaluationPeriods: 0 }, 'ValidationException', 'ValidationError', "Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    ['DatapointsToAlarm > EvaluationPeriods', { EvaluationPeriods: 2, DatapointsToAlarm: 3 }, 'ValidationException', 'ValidationError', 'DatapointsToAlarm must be less than or equal to EvaluationPeriods'],
    ['both statistics', { ExtendedStatistic: 'p99' }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', 'Exactly one element of the statistic and extendedStatistic parameters must be specified.'],
    ['no statistic', { Statistic: undefined }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', 'Exactly one element of the statistic and extendedStatistic parameters must be specified.'],
    ['bad statistic', { Statistic: 'Median' as never }, 'ValidationException', 'ValidationError', "Value 'Median' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set"],
    ['bad extended statistic', { Statistic: undefined, ExtendedStatistic: 'q9' }, 'InvalidParameterValueException', 'InvalidParameterValue', 'The value q9 for parameter ExtendedStatistic is not supported.'],
    ['bad comparison', { ComparisonOperator: 'Bigger' as never }, 'ValidationException', 'ValidationError', "Value 'Bigger' at 'comparisonOperator'"],
    ['anomaly comparison', { ComparisonOperator: 'GreaterThanUpperThreshold' }, 'InvalidParameterValueException', 'InvalidParameterValue', 'not supported by the keywarden sandbox'],
    ['bad TreatMissingData', { TreatMissingData: 'sometimes' }, 'ValidationException', 'ValidationError', "Option sometimes is not supported. Supported options for parameter TreatMissingData are 'missing', 'ignore', 'breaching' and 'notBreaching'."],
    ['6 alarm actions', { AlarmActions: Array.from({ length: 6 }, (_, i) => `${TOPIC}-${i}`) }, 'ValidationException', 'ValidationError', "at 'alarmActions' failed to satisfy constraint: Member must have length less than or equal to 5"],
    ['bad action arn', { OKActions: ['not-an-arn'] }, 'ValidationException', 'ValidationError', 'Invalid arn syntax: not-an-arn'],
    ['missing Threshold', { Threshold: undefined }, 'MissingRequiredParameterException', 'MissingParameter', 'The parameter Threshold is required.'],
    ['missing MetricName', { MetricName: undefined }, 'MissingRequiredParameterException', 'MissingParameter', 'The parameter MetricName is required.'],
    ['longer than 7 days', { Period: 86_400, EvaluationPeriods: 8 }, 'ValidationException', 'ValidationError', 'must not exceed 7 days'],
    ['name too long', { AlarmName: 'x'.repeat(256) }, 'ValidationException', 'ValidationError', "at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255"],
  ];
  it.each(cases)('%s', async (_label, change, name, code, message) => {
    const w = await open();
    const failure = await cwFailure(w.cw.send(new PutMetricAlarmCommand({ ...base, ...change } as PutMetricAlarmCommandInput)));
    expect(failure.name).toBe(name);
    expect(failure.code).toBe(code);
    expect(failure.message).toContain(message);
    expect(failure.status).toBe(400);
  });

  it('accepts periods 10, 20, 30 and multiples of 60', async () => {
    const w = await open();
    for (const period of [10, 20, 30, 60, 120, 3600]) {
      await w.cw.send(new PutMetricAlarmCommand({ ...base, AlarmName: `p${period}`, Period: period }));
    }
    expect((await w.cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'p' }))).MetricAlarms!.map((a) => a.Period)).toEqual([10, 120, 20, 30, 3600, 60]);
  });
});

describe('alarms: create, describe, overwrite, delete', () => {
  it('a new alarm starts INSUFFICIENT_DATA and is described with its configuration', async () => {
    const w = await open();
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, TreatMissingData: undefined, AlarmDescription: 'KMS key use while pending deletion' }));
    const a = await alarm(w, DOC_ALARM.AlarmName!);
    expect(a).toMatchObject({
      AlarmName: 'KMSKeyPendingDeletionErrorAlarm',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:KMSKeyPendingDeletionErrorAlarm',
      AlarmDescription: 'KMS key use while pending deletion',
      ActionsEnabled: true,
      AlarmActions: [TOPIC],
      OKActions: [],
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      Namespace: 'CloudTrailLogMetrics',
      MetricName: 'KMSKeyPendingDeletionErrorCount',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [],
    });
    expect(a.StateUpdatedTimestamp).toEqual(new Date(BASE));
    const items = await history(w, DOC_ALARM.AlarmName!);
    expect(items.map((i) => [i.HistoryItemType, i.HistorySummary])).toEqual([['ConfigurationUpdate', 'Alarm "KMSKeyPendingDeletionErrorAlarm" created']]);
  });

  it('overwriting keeps the state and records a configuration update', async () => {
    const w = await open();
    await w.cw.send(new PutMetricAlarmCommand(DOC_ALARM));
    expect((await alarm(w, DOC_ALARM.AlarmName!)).StateValue).toBe('OK'); // notBreaching, no data
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, Threshold: 5, AlarmDescription: 'changed' }));
    const a = await alarm(w, DOC_ALARM.AlarmName!);
    expect(a).toMatchObject({ StateValue: 'OK', Threshold: 5, AlarmDescription: 'changed' });
    const summaries = (await history(w, DOC_ALARM.AlarmName!)).map((i) => i.HistorySummary);
    expect(summaries).toEqual([
      'Alarm "KMSKeyPendingDeletionErrorAlarm" created',
      'Alarm updated from INSUFFICIENT_DATA to OK',
      'Alarm "KMSKeyPendingDeletionErrorAlarm" updated',
    ]);
  });

  it('AlarmConfigurationUpdatedTimestamp is when the configuration was last put (creation, then each overwrite), not moved by state changes', async () => {
    const w = await open();
    await w.cw.send(new PutMetricAlarmCommand(DOC_ALARM));
    expect((await alarm(w, DOC_ALARM.AlarmName!)).AlarmConfigurationUpdatedTimestamp).toEqual(new Date(BASE));
    w.sandbox.advanceClock(3600); // the alarm is evaluated again; its state may change, its configuration does not
    expect((await alarm(w, DOC_ALARM.AlarmName!)).AlarmConfigurationUpdatedTimestamp).toEqual(new Date(BASE));
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, Threshold: 5 }));
    expect((await alarm(w, DOC_ALARM.AlarmName!)).AlarmConfigurationUpdatedTimestamp).toEqual(new Date(BASE + 3_600_000));
  });

  it('DescribeAlarms filters by names, prefix and state, pages, and rejects bad input', async () => {
    const w = await open();
    for (const name of ['b-1', 'a-1', 'a-2', 'a-3']) {
      await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: name, TreatMissingData: name === 'a-2' ? 'breaching' : 'notBreaching' }));
    }
    const names = async (input: DescribeAlarmsCommandInput) => (await w.cw.send(new DescribeAlarmsCommand(input))).MetricAlarms!.map((a) => a.AlarmName);
    expect(await names({})).toEqual(['a-1', 'a-2', 'a-3', 'b-1']);
    expect(await names({ AlarmNames: ['b-1', 'a-3', 'nope'] })).toEqual(['a-3', 'b-1']);
    expect(await names({ AlarmNamePrefix: 'a-' })).toEqual(['a-1', 'a-2', 'a-3']);
    expect(await names({ StateValue: 'ALARM' })).toEqual(['a-2']);
    expect(await names({ StateValue: 'OK', AlarmNamePrefix: 'a' })).toEqual(['a-1', 'a-3']);
    expect(await names({ ActionPrefix: 'arn:aws:sns:us-east-1:111122223333:kms' })).toHaveLength(4);
    expect(await names({ AlarmTypes: ['CompositeAlarm'] })).toEqual([]);

    const p1 = await w.cw.send(new DescribeAlarmsCommand({ MaxRecords: 3 }));
    expect(p1.MetricAlarms!.map((a) => a.AlarmName)).toEqual(['a-1', 'a-2', 'a-3']);
    const p2 = await w.cw.send(new DescribeAlarmsCommand({ MaxRecords: 3, NextToken: p1.NextToken }));
    expect(p2.MetricAlarms!.map((a) => a.AlarmName)).toEqual(['b-1']);
    expect(p2.NextToken).toBeUndefined();

    expect(await cwFailure(w.cw.send(new DescribeAlarmsCommand({ NextToken: 'bogus' })))).toMatchObject({ name: 'InvalidNextToken', code: 'InvalidNextToken' });
    expect(await cwFailure(w.cw.send(new DescribeAlarmsCommand({ MaxRecords: 101 })))).toMatchObject({ name: 'ValidationException', code: 'ValidationError' });
    expect(await cwFailure(w.cw.send(new DescribeAlarmsCommand({ MaxRecords: 0 })))).toMatchObject({ name: 'ValidationException' });
    expect(await cwFailure(w.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['a-1'], AlarmNamePrefix: 'a' })))).toMatchObject({ name: 'InvalidParameterCombinationException' });
    expect(await cwFailure(w.cw.send(new DescribeAlarmsCommand({ AlarmNames: Array.from({ length: 101 }, (_, i) => `n${i}`) })))).toMatchObject({ name: 'ValidationException' });
    expect(await cwFailure(w.cw.send(new DescribeAlarmsCommand({ StateValue: 'BAD' as never })))).toMatchObject({ name: 'ValidationException' });
  });

  it('DeleteAlarms deletes, and an unknown name deletes nothing (ResourceNotFound, 404)', async () => {
    const w = await open();
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'x' }));
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'y' }));
    expect(await cwFailure(w.cw.send(new DeleteAlarmsCommand({ AlarmNames: ['x', 'nope'] })))).toMatchObject({ name: 'ResourceNotFound', code: 'ResourceNotFound', status: 404 });
    expect((await w.cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toHaveLength(2);
    await w.cw.send(new DeleteAlarmsCommand({ AlarmNames: ['x', 'y'] }));
    expect((await w.cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
  });
});

describe('metrics', () => {
  it('PutMetricData, GetMetricStatistics (all statistics), GetMetricData, ListMetrics', async () => {
    const w = await open();
    const t0 = BASE - 150_000; // 10:00:00
    await w.cw.send(
      new PutMetricDataCommand({
        Namespace: 'App',
        MetricData: [
          { MetricName: 'Latency', Value: 1, Timestamp: new Date(t0 + 1000), Unit: 'Milliseconds' },
          { MetricName: 'Latency', Values: [5, 3], Counts: [1, 2], Timestamp: new Date(t0 + 2000), Unit: 'Milliseconds' },
          { MetricName: 'Latency', StatisticValues: { SampleCount: 2, Sum: 20, Minimum: 8, Maximum: 12 }, Timestamp: new Date(t0 + 61_000) },
          { MetricName: 'Latency', Dimensions: [{ Name: 'Op', Value: 'Decrypt' }], Value: 7, Timestamp: new Date(t0) },
        ],
      }),
    );
    const stats = await w.cw.send(
      new GetMetricStatisticsCommand({ Namespace: 'App', MetricName: 'Latency', StartTime: new Date(t0), EndTime: new Date(t0 + 180_000), Period: 60, Statistics: ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'] }),
    );
    expect(stats.Label).toBe('Latency');
    expect(stats.Datapoints).toEqual([
      { Timestamp: new Date(t0), Sum: 12, SampleCount: 4, Average: 3, Minimum: 1, Maximum: 5, Unit: 'Milliseconds' },
      { Timestamp: new Date(t0 + 60_000), Sum: 20, SampleCount: 2, Average: 10, Minimum: 8, Maximum: 12, Unit: 'Milliseconds' },
    ]);
    const data = await w.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 300_000),
        MetricDataQueries: [
          { Id: 'sum5', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 300, Stat: 'Sum' } },
          { Id: 'max1', Label: 'max', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 60, Stat: 'Maximum' } },
          { Id: 'op', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency', Dimensions: [{ Name: 'Op', Value: 'Decrypt' }] }, Period: 60, Stat: 'Average' } },
          { Id: 'hidden', ReturnData: false, MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 60, Stat: 'Sum' } },
        ],
      }),
    );
    expect(data.MetricDataResults).toEqual([
      { Id: 'sum5', Label: 'Latency', Timestamps: [new Date(t0)], Values: [32], StatusCode: 'Complete' },
      { Id: 'max1', Label: 'max', Timestamps: [new Date(t0 + 60_000), new Date(t0)], Values: [12, 5], StatusCode: 'Complete' },
      { Id: 'op', Label: 'Latency', Timestamps: [new Date(t0)], Values: [7], StatusCode: 'Complete' },
    ]);
    const ascending = await w.cw.send(
      new GetMetricDataCommand({ StartTime: new Date(t0), EndTime: new Date(t0 + 300_000), ScanBy: 'TimestampAscending', MetricDataQueries: [{ Id: 'm', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 60, Stat: 'SampleCount' } }] }),
    );
    expect(ascending.MetricDataResults![0]!.Values).toEqual([4, 2]);
    const listed = await w.cw.send(new ListMetricsCommand({ Namespace: 'App' }));
    expect(listed.Metrics).toEqual([
      { Namespace: 'App', MetricName: 'Latency', Dimensions: [{ Name: 'Op', Value: 'Decrypt' }] },
      { Namespace: 'App', MetricName: 'Latency', Dimensions: [] },
    ]);
    expect((await w.cw.send(new ListMetricsCommand({ Dimensions: [{ Name: 'Op' }] }))).Metrics).toHaveLength(1);
    expect((await w.cw.send(new ListMetricsCommand({ MetricName: 'Nope' }))).Metrics).toEqual([]);
  });

  it('rejects bad metric requests', async () => {
    const w = await open();
    expect(await cwFailure(w.cw.send(new PutMetricDataCommand({ Namespace: 'AWS/KMS', MetricData: [{ MetricName: 'x', Value: 1 }] })))).toMatchObject({
      name: 'InvalidParameterValueException',
      code: 'InvalidParameterValue',
      message: 'The value AWS/ for parameter Namespace is invalid.',
    });
    expect((await cwFailure(w.cw.send(new PutMetricDataCommand({ Namespace: 'A', MetricData: [{ MetricName: 'x', Value: 1, Timestamp: new Date(BASE - 15 * 86_400_000) }] })))).name).toBe('InvalidParameterValueException');
    const tooMany = await cwFailure(
      w.cw.send(new GetMetricStatisticsCommand({ Namespace: 'A', MetricName: 'x', StartTime: new Date(BASE - 2 * 86_400_000), EndTime: new Date(BASE), Period: 60, Statistics: ['Sum'] })),
    );
    expect(tooMany).toMatchObject({ name: 'InvalidParameterCombinationException' });
    expect(tooMany.message).toContain('exceeds the limit of 1440');
    expect((await cwFailure(w.cw.send(new GetMetricStatisticsCommand({ Namespace: 'A', MetricName: 'x', StartTime: new Date(BASE - 60_000), EndTime: new Date(BASE), Period: 60 })))).name).toBe(
      'MissingRequiredParameterException',
    );
    expect(
      (await cwFailure(w.cw.send(new GetMetricDataCommand({ StartTime: new Date(BASE - 60_000), EndTime: new Date(BASE), MetricDataQueries: [{ Id: 'e', Expression: 'SUM(METRICS())' }] })))).name,
    ).toBe('InvalidParameterValueException');
    expect(
      (await cwFailure(w.cw.send(new GetMetricDataCommand({ StartTime: new Date(BASE - 60_000), EndTime: new Date(BASE), MetricDataQueries: [{ Id: 'Bad', MetricStat: { Metric: { Namespace: 'A', MetricName: 'x' }, Period: 60, Stat: 'Sum' } }] })))).name,
    ).toBe('ValidationException');
  });
});

describe('alarm evaluation', () => {
  it('the guided-retirement pipeline: metric filter on the trail group → event → datapoint → ALARM → OK, with actions and history', async () => {
    const w = await open();
    await w.logs.send(new PutMetricFilterCommand({ logGroupName: TRAIL_GROUP, filterName: 'KMSKeyPendingDeletion', filterPattern: KEY_PATTERN, metricTransformations: [{ metricName: 'KMSKeyPendingDeletionErrorCount', metricNamespace: 'CloudTrailLogMetrics', metricValue: '1' }] }));
    await w.cw.send(new PutMetricAlarmCommand(DOC_ALARM));
    expect((await alarm(w, DOC_ALARM.AlarmName!)).StateValue).toBe('OK');
    expect((await alarm(w, DOC_ALARM.AlarmName!)).StateReason).toBe('Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].');

    // Quiet for an hour: stays OK.
    w.sandbox.advanceClock(3600);
    expect((await alarm(w, DOC_ALARM.AlarmName!)).StateValue).toBe('OK');

    // A failed Decrypt on the pending-deletion key reaches the trail's log group.
    await w.logs.send(new CreateLogStreamCommand({ logGroupName: TRAIL_GROUP, logStreamName: STREAM }));
    const eventTime = w.now() - 10_000;
    await w.logs.send(new PutLogEventsCommand({ logGroupName: TRAIL_GROUP, logStreamName: STREAM, logEvents: [{ timestamp: eventTime, message: pendingRecord() }] }));
    const fired = await alarm(w, DOC_ALARM.AlarmName!);
    const periodStart = Math.floor(eventTime / 300_000) * 300_000;
    expect(fired.StateValue).toBe('ALARM');
    expect(fired.StateReason).toBe(`Threshold Crossed: 1 datapoint [1.0 (${formatReasonDate(periodStart)})] was greater than or equal to the threshold (1.0).`);
    expect(formatReasonDate(periodStart)).toBe('23/11/26 11:00:00');
    expect(JSON.parse(fired.StateReasonData!)).toMatchObject({ version: '1.0', statistic: 'Sum', period: 300, recentDatapoints: [1], threshold: 1 });

    // The alarm action "fires" (recorded) and the control API lists it.
    const actions = (await (await fetch(`${w.sandbox.url}/_sandbox/alarm-actions`)).json()) as Array<Record<string, string>>;
    expect(actions).toEqual([
      expect.objectContaining({ region: 'us-east-1', alarmName: DOC_ALARM.AlarmName, action: TOPIC, newState: 'ALARM' }),
    ]);

    // The period ends; with no further errors the alarm returns to OK.
    w.sandbox.advanceClock(600);
    expect((await alarm(w, DOC_ALARM.AlarmName!)).StateValue).toBe('OK');
    const states = await history(w, DOC_ALARM.AlarmName!, 'StateUpdate');
    expect(states.map((i) => i.HistorySummary)).toEqual([
      'Alarm updated from INSUFFICIENT_DATA to OK',
      'Alarm updated from OK to ALARM',
      'Alarm updated from ALARM to OK',
    ]);
    expect(JSON.parse(states[1]!.HistoryData!)).toMatchObject({ oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } });
    const actionItems = await history(w, DOC_ALARM.AlarmName!, 'Action');
    expect(actionItems.map((i) => i.HistorySummary)).toEqual([`Successfully executed action ${TOPIC}`]);
    // Default ScanBy is newest first.
    const newestFirst = (await w.cw.send(new DescribeAlarmHistoryCommand({ AlarmName: DOC_ALARM.AlarmName }))).AlarmHistoryItems!;
    expect(newestFirst[0]!.HistorySummary).toBe('Alarm updated from ALARM to OK');
    const limited = await w.cw.send(new DescribeAlarmHistoryCommand({ AlarmName: DOC_ALARM.AlarmName, MaxRecords: 2 }));
    expect(limited.AlarmHistoryItems).toHaveLength(2);
    const rest = await w.cw.send(new DescribeAlarmHistoryCommand({ AlarmName: DOC_ALARM.AlarmName, MaxRecords: 2, NextToken: limited.NextToken }));
    expect(rest.AlarmHistoryItems!.length).toBeGreaterThan(0);
  });

  it('end to end through KMS and CloudTrail: Decrypt on a pending-deletion key → trail record → log group → filter → ALARM', async () => {
    const w = await open();
    const kms = new KMSClient({ region: 'us-east-1', endpoint: w.sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    try {
      const key = (await kms.send(new CreateKeyCommand({ Description: 'retire me' }))).KeyMetadata!.Arn!;
      const blob = (await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('secret') }))).CiphertextBlob!;
      const pattern = `{ ($.eventSource = "kms.amazonaws.com") && ($.resources[0].ARN = "${key}") && (($.errorCode = "DisabledException") || ($.errorMessage = "* is disabled.") || ($.errorMessage = "* is pending deletion.")) }`;
      await w.logs.send(new PutMetricFilterCommand({ logGroupName: TRAIL_GROUP, filterName: 'retire-me', filterPattern: pattern, metricTransformations: [{ metricName: 'RetireMeUse', metricNamespace: 'Keywarden', metricValue: '1' }] }));
      await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'retire-me', Namespace: 'Keywarden', MetricName: 'RetireMeUse' }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow('is pending deletion.');
      const events = await w.logs.send(new FilterLogEventsCommand({ logGroupName: TRAIL_GROUP, filterPattern: pattern }));
      expect(events.events).toHaveLength(1);
      expect(JSON.parse(events.events![0]!.message!)).toMatchObject({ eventName: 'Decrypt', errorMessage: `${key} is pending deletion.` });
      expect((await alarm(w, 'retire-me')).StateValue).toBe('ALARM');
    } finally {
      kms.destroy();
    }
  });

  it('a CloudTrail delivery through the log sink drives the same pipeline', () => {
    const store = new Store(undefined);
    store.load(seedState(BASE));
    store.state.logGroups[0]!.metricFilters.push({
      filterName: 'f',
      filterPattern: DOC_PATTERN,
      metricTransformations: [{ metricName: 'KMSKeyPendingDeletionErrorCount', metricNamespace: 'CloudTrailLogMetrics', metricValue: '1' }],
      creationTime: BASE,
    });
    expect(deliverLogEvents(store, { region: 'us-east-1', logGroupName: 'missing', logStreamName: 's', events: [{ timestamp: BASE, message: pendingRecord() }] }, BASE)).toBe(false);
    expect(
      deliverLogEvents(store, { region: 'us-east-1', logGroupName: TRAIL_GROUP, logStreamName: '111122223333_CloudTrail_us-east-1_0', events: [{ timestamp: BASE, message: pendingRecord() }, { timestamp: BASE, message: '{"eventSource":"kms.amazonaws.com"}' }] }, BASE),
    ).toBe(true);
    const group = store.state.logGroups[0]!;
    expect(group.streams.map((s) => [s.name, s.events.length])).toEqual([['111122223333_CloudTrail_us-east-1_0', 2]]);
    expect(store.state.metrics).toHaveLength(1);
    expect(store.state.metrics[0]!.points).toEqual([[Math.floor(BASE / 60_000) * 60_000, 1, 1, 1, 1]]);
    evaluateAlarms(store, BASE + 1000); // no alarms: nothing to do, nothing thrown
  });

  it('TreatMissingData: missing → INSUFFICIENT_DATA, breaching → ALARM, ignore keeps the state', async () => {
    const w = await open();
    for (const treat of ['missing', 'breaching', 'ignore', 'notBreaching']) {
      await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: `tmd-${treat}`, MetricName: `M-${treat}`, Namespace: 'T', Period: 60, TreatMissingData: treat }));
    }
    const state = async (treat: string) => (await alarm(w, `tmd-${treat}`)).StateValue;
    expect(await state('missing')).toBe('INSUFFICIENT_DATA');
    expect(await state('breaching')).toBe('ALARM');
    expect((await alarm(w, 'tmd-breaching')).StateReason).toBe('Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].');
    expect(await state('ignore')).toBe('INSUFFICIENT_DATA');
    expect(await state('notBreaching')).toBe('OK');
    // Data below the threshold: every alarm goes OK; then silence: ignore stays OK, missing goes back.
    await w.cw.send(new PutMetricDataCommand({ Namespace: 'T', MetricData: ['missing', 'breaching', 'ignore', 'notBreaching'].map((t) => ({ MetricName: `M-${t}`, Value: 0 })) }));
    for (const treat of ['missing', 'breaching', 'ignore', 'notBreaching']) expect(await state(treat)).toBe('OK');
    expect((await alarm(w, 'tmd-missing')).StateReason).toBe(`Threshold Crossed: 1 datapoint [0.0 (${formatReasonDate(Math.floor(BASE / 60_000) * 60_000)})] was not greater than or equal to the threshold (1.0).`);
    w.sandbox.advanceClock(180);
    expect(await state('missing')).toBe('INSUFFICIENT_DATA');
    expect(await state('breaching')).toBe('ALARM');
    expect(await state('ignore')).toBe('OK');
    expect(await state('notBreaching')).toBe('OK');
  });

  it('M-of-N: 2 of 3 breaching periods are needed; statistics other than Sum', async () => {
    const w = await open();
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'two-of-three', Namespace: 'N', MetricName: 'Errors', Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2, Statistic: 'Maximum', Threshold: 10, ComparisonOperator: 'GreaterThanThreshold' }));
    const minute = Math.floor(BASE / 60_000) * 60_000;
    await w.cw.send(new PutMetricDataCommand({ Namespace: 'N', MetricData: [{ MetricName: 'Errors', Value: 11, Timestamp: new Date(minute - 120_000) }, { MetricName: 'Errors', Value: 3, Timestamp: new Date(minute - 60_000) }] }));
    expect((await alarm(w, 'two-of-three')).StateValue).toBe('OK');
    await w.cw.send(new PutMetricDataCommand({ Namespace: 'N', MetricData: [{ MetricName: 'Errors', Values: [2, 20], Timestamp: new Date(minute) }] }));
    const a = await alarm(w, 'two-of-three');
    expect(a.StateValue).toBe('ALARM');
    expect(a.StateReason).toBe(
      `Threshold Crossed: 2 out of the last 3 datapoints [20.0 (${formatReasonDate(minute)}), 11.0 (${formatReasonDate(minute - 120_000)})] were greater than the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition).`,
    );
    // Average and LessThanThreshold
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'avg-low', Namespace: 'N', MetricName: 'Errors', Period: 60, Statistic: 'Average', Threshold: 12, ComparisonOperator: 'LessThanThreshold' }));
    expect((await alarm(w, 'avg-low')).StateValue).toBe('ALARM'); // (2 + 20) / 2 = 11 < 12
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'count', Namespace: 'N', MetricName: 'Errors', Period: 60, Statistic: 'SampleCount', Threshold: 2, ComparisonOperator: 'LessThanOrEqualToThreshold' }));
    expect((await alarm(w, 'count')).StateValue).toBe('ALARM');
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'min', Namespace: 'N', MetricName: 'Errors', Period: 60, Statistic: 'Minimum', Threshold: 2, ComparisonOperator: 'GreaterThanThreshold' }));
    expect((await alarm(w, 'min')).StateValue).toBe('OK');
  });

  it('a filter defaultValue fills periods without matches (OK instead of INSUFFICIENT_DATA)', async () => {
    const w = await open();
    await w.logs.send(new PutMetricFilterCommand({ logGroupName: TRAIL_GROUP, filterName: 'with-default', filterPattern: KEY_PATTERN, metricTransformations: [{ metricName: 'Defaulted', metricNamespace: 'CloudTrailLogMetrics', metricValue: '1', defaultValue: 0 }] }));
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'defaulted', MetricName: 'Defaulted', TreatMissingData: 'missing' }));
    const a = await alarm(w, 'defaulted');
    expect(a.StateValue).toBe('OK');
    expect(a.StateReason).toContain('[0.0 (');
  });

  it('a clock jump replays every period: a breach that came and went is in the history', async () => {
    const w = await open();
    await w.cw.send(new PutMetricAlarmCommand({ ...DOC_ALARM, AlarmName: 'jump', Namespace: 'J', MetricName: 'E', Period: 60 }));
    // A datapoint 1 minute ahead (allowed: up to 2 hours in the future), then three days pass at once.
    await w.cw.send(new PutMetricDataCommand({ Namespace: 'J', MetricData: [{ MetricName: 'E', Value: 1, Timestamp: new Date(BASE + 60_000) }] }));
    w.sandbox.advanceClock(3 * 86_400);
    const a = await alarm(w, 'jump');
    expect(a.StateValue).toBe('OK');
    const states = (await history(w, 'jump', 'StateUpdate')).map((i) => [i.HistorySummary, i.Timestamp!.toISOString()]);
    const minute = Math.floor(BASE / 60_000) * 60_000;
    expect(states).toEqual([
      ['Alarm updated from INSUFFICIENT_DATA to OK', new Date(BASE).toISOString()],
      ['Alarm updated from OK to ALARM', new Date(minute + 120_000).toISOString()], // end of the 10:03 period
      ['Alarm updated from ALARM to OK', new Date(minute + 180_000).toISOString()],
    ]);
  });
});

describe('persistence', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('log groups, filters, events, datapoints, alarms and history survive a restart', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keywarden-cw-'));
    const statePath = path.join(dir, 'state.json');
    const first = await open({ statePath });
    await first.logs.send(new PutMetricFilterCommand({ logGroupName: TRAIL_GROUP, filterName: 'KMSKeyPendingDeletion', filterPattern: KEY_PATTERN, metricTransformations: [{ metricName: 'KMSKeyPendingDeletionErrorCount', metricNamespace: 'CloudTrailLogMetrics', metricValue: '1' }] }));
    await first.cw.send(new PutMetricAlarmCommand(DOC_ALARM));
    await first.logs.send(new CreateLogStreamCommand({ logGroupName: TRAIL_GROUP, logStreamName: 's' }));
    await first.logs.send(new PutLogEventsCommand({ logGroupName: TRAIL_GROUP, logStreamName: 's', logEvents: [{ timestamp: BASE - 1000, message: pendingRecord() }] }));
    const before = await alarm(first, DOC_ALARM.AlarmName!);
    expect(before.StateValue).toBe('ALARM');
    const historyBefore = await history(first, DOC_ALARM.AlarmName!);
    opened.splice(opened.indexOf(first), 1);
    first.cw.destroy();
    first.logs.destroy();
    await first.sandbox.close();

    const saved = JSON.parse(await readFile(statePath, 'utf8')) as { alarms: unknown[]; metrics: unknown[]; logGroups: unknown[] };
    expect(saved.alarms).toHaveLength(1);
    expect(saved.metrics).toHaveLength(1);

    const second = await open({ statePath });
    const after = await alarm(second, DOC_ALARM.AlarmName!);
    expect(after).toEqual(before);
    expect(await history(second, DOC_ALARM.AlarmName!)).toEqual(historyBefore);
    expect((await second.logs.send(new DescribeMetricFiltersCommand({ logGroupName: TRAIL_GROUP }))).metricFilters!.map((f) => f.filterName)).toEqual(['KMSKeyPendingDeletion']);
    const stats = await second.cw.send(new GetMetricStatisticsCommand({ Namespace: 'CloudTrailLogMetrics', MetricName: 'KMSKeyPendingDeletionErrorCount', StartTime: new Date(BASE - 600_000), EndTime: new Date(BASE + 60_000), Period: 300, Statistics: ['Sum'] }));
    expect(stats.Datapoints!.map((d) => d.Sum)).toEqual([1]);
  });

  it('a state file written before CloudWatch existed still loads', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keywarden-cw-'));
    const statePath = path.join(dir, 'state.json');
    const { logGroups: _g, metrics: _m, alarms: _a, ...old } = seedState(BASE);
    await writeFile(statePath, JSON.stringify(old));
    const w = await open({ statePath });
    expect((await w.cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
    await w.cw.send(new PutMetricAlarmCommand(DOC_ALARM));
    expect((await w.cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toHaveLength(1);
  });
});
