// CloudWatch Logs Insights through the real @aws-sdk/client-cloudwatch-logs client over HTTP:
// the query subset keywarden sends, AWS's statuses, statistics, limits and errors.

import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeQueriesCommand,
  GetQueryResultsCommand,
  MalformedQueryException,
  PutLogEventsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { failure } from './helpers.js';
import { keyUsageQueries, lastUsesQuery } from '../../src/domain/insights.js';
import { parseQuery } from '../../src/sandbox/insights-query.js';

const NOW = Date.parse('2026-11-20T12:00:00.000Z');
const GROUP = '/test/insights';
const TRAIL_GROUP = 'aws-cloudtrail-logs-111122223333-management';
const KEY_A = 'arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444';
const KEY_B = 'arn:aws:kms:us-east-1:111122223333:key/bbbbbbbb-1111-2222-3333-444444444444';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let sandbox: Sandbox;
let logs: CloudWatchLogsClient;


function record(eventName: string, key: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventVersion: '1.08',
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/App/s1', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/App' } } },
    eventSource: 'kms.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    readOnly: true,
    resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: key }],
    ...extra,
  });
}

// Ten events over three days, two keys, two failures, one with an encryption context.
const EVENTS = [
  { timestamp: NOW - 3 * DAY + HOUR, message: record('Decrypt', KEY_A) },
  { timestamp: NOW - 3 * DAY + 2 * HOUR, message: record('Decrypt', KEY_A, { errorCode: 'AccessDenied', errorMessage: 'no' }) },
  { timestamp: NOW - 2 * DAY, message: record('Encrypt', KEY_A, { requestParameters: { encryptionContext: { 'aws:ebs:id': 'vol-1', app: 'pay' } } }) },
  { timestamp: NOW - 2 * DAY + HOUR, message: record('GenerateDataKey', KEY_B) },
  { timestamp: NOW - DAY, message: record('Decrypt', KEY_A) },
  { timestamp: NOW - DAY + 5, message: record('DescribeKey', KEY_A) },
  { timestamp: NOW - DAY + 10, message: record('Decrypt', KEY_B, { errorCode: 'DisabledException' }) },
  { timestamp: NOW - 3 * HOUR, message: record('Decrypt', KEY_A) },
  { timestamp: NOW - 2 * HOUR, message: 'not json at all: Decrypt' },
  { timestamp: NOW - HOUR, message: record('Decrypt', KEY_A, { errorCode: 'DryRunOperationException' }) },
];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, now: () => new Date(NOW), workloads: false });
  logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 's' }));
  await logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: 's', logEvents: EVENTS }));
});

afterAll(async () => {
  logs.destroy();
  await sandbox.close();
});

const secs = (ms: number) => Math.floor(ms / 1000);

async function start(queryString: string, extra: { startTime?: number; endTime?: number; limit?: number; logGroupName?: string } = {}): Promise<string> {
  const out = await logs.send(
    new StartQueryCommand({ logGroupName: extra.logGroupName ?? GROUP, startTime: extra.startTime ?? secs(NOW - 10 * DAY), endTime: extra.endTime ?? secs(NOW), queryString, ...(extra.limit ? { limit: extra.limit } : {}) }),
  );
  return out.queryId!;
}

async function finish(queryId: string): Promise<GetQueryResultsCommandOutput> {
  for (;;) {
    const out = await logs.send(new GetQueryResultsCommand({ queryId }));
    if (out.status !== 'Scheduled' && out.status !== 'Running') return out;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function rows(queryString: string, extra: Parameters<typeof start>[1] = {}): Promise<Array<Record<string, string>>> {
  const out = await finish(await start(queryString, extra));
  expect(out.status).toBe('Complete');
  return (out.results ?? []).map((row) => Object.fromEntries(row.map((cell) => [cell.field!, cell.value!])));
}

describe('the query language', () => {
  it('counts by a dotted field and an error code, over events without the field too', async () => {
    const got = await rows(`filter resources.0.ARN = "${KEY_A}" | stats count(*) as n by eventName, errorCode | sort n desc, eventName asc`);
    expect(got).toEqual([
      { eventName: 'Decrypt', n: '3' },
      { eventName: 'Decrypt', errorCode: 'AccessDenied', n: '1' },
      { eventName: 'Decrypt', errorCode: 'DryRunOperationException', n: '1' },
      { eventName: 'DescribeKey', n: '1' },
      { eventName: 'Encrypt', n: '1' },
    ]);
  });

  it('bins by day, and max/min of @timestamp print as Logs Insights timestamps', async () => {
    const got = await rows('filter eventName in ["Decrypt", "Encrypt"] and not ispresent(errorCode) | stats count(*), max(@timestamp), min(@timestamp) by bin(1d) as day | sort day asc');
    expect(got).toEqual([
      { day: '2026-11-17 00:00:00.000', 'count(*)': '1', 'max(@timestamp)': '2026-11-17 13:00:00.000', 'min(@timestamp)': '2026-11-17 13:00:00.000' },
      { day: '2026-11-18 00:00:00.000', 'count(*)': '1', 'max(@timestamp)': '2026-11-18 12:00:00.000', 'min(@timestamp)': '2026-11-18 12:00:00.000' },
      { day: '2026-11-19 00:00:00.000', 'count(*)': '1', 'max(@timestamp)': '2026-11-19 12:00:00.000', 'min(@timestamp)': '2026-11-19 12:00:00.000' },
      { day: '2026-11-20 00:00:00.000', 'count(*)': '1', 'max(@timestamp)': '2026-11-20 09:00:00.000', 'min(@timestamp)': '2026-11-20 09:00:00.000' },
    ]);
  });

  it('like with a string and a regex, or, parentheses, != and back-ticked keys', async () => {
    expect(await rows('filter @message like "not json" | fields @message')).toEqual([{ '@message': 'not json at all: Decrypt', '@ptr': expect.any(String) }]);
    const regex = await rows('filter eventName like /^Gen/ or (eventName = "Decrypt" and errorCode != "DryRunOperationException" and ispresent(errorCode)) | fields eventName, errorCode | sort @timestamp asc');
    expect(regex.map((r) => `${r.eventName}/${r.errorCode ?? ''}`)).toEqual(['Decrypt/AccessDenied', 'GenerateDataKey/', 'Decrypt/DisabledException']);
    const ctx = await rows('filter ispresent(requestParameters.encryptionContext.`aws:ebs:id`) | fields requestParameters.encryptionContext.`aws:ebs:id` as volume, requestParameters.encryptionContext.app');
    expect(ctx).toEqual([{ volume: 'vol-1', 'requestParameters.encryptionContext.app': 'pay', '@ptr': expect.any(String) }]);
  });

  it('parse with named groups, then stats by the parsed field', async () => {
    const got = await rows('parse @message /"encryptionContext":(?<context>\\{[^{}]*\\})/ | filter ispresent(context) | stats count(*) by context');
    expect(got).toEqual([{ context: '{"aws:ebs:id":"vol-1","app":"pay"}', 'count(*)': '1' }]);
  });

  it('sort and limit; the time range is inclusive at both ends', async () => {
    const newest = await rows('fields eventName | sort @timestamp desc | limit 2');
    expect(newest.map((r) => r.eventName ?? '(none)')).toEqual(['Decrypt', '(none)']);
    const one = await rows('stats count(*)', { startTime: secs(NOW - DAY), endTime: secs(NOW - DAY) });
    // Inclusive at both ends, whole seconds: NOW-DAY, +5 ms and +10 ms are all in the end second
    // (so a window split at a second boundary loses no event between the halves).
    expect(one).toEqual([{ 'count(*)': '3' }]);
  });

  it('statistics count what was scanned and matched', async () => {
    const out = await finish(await start('filter eventName = "Decrypt" | fields eventName'));
    const bytes = EVENTS.reduce((n, e) => n + Buffer.byteLength(e.message), 0);
    expect(out.statistics).toEqual({ recordsMatched: 6, recordsScanned: 10, bytesScanned: bytes });
  });
});

describe('statuses and limits', () => {
  it('a query is Scheduled or Running before it is Complete, with no results until then', async () => {
    const id = await start('stats count(*)');
    const first = await logs.send(new GetQueryResultsCommand({ queryId: id }));
    expect(['Scheduled', 'Running']).toContain(first.status);
    expect(first.results).toEqual([]);
    expect((await finish(id)).results).toEqual([[{ field: 'count(*)', value: '10' }]]);
  });

  it('StopQuery cancels a running query; stopping it again reports false', async () => {
    const id = await start('stats count(*)');
    expect((await logs.send(new StopQueryCommand({ queryId: id }))).success).toBe(true);
    expect((await logs.send(new GetQueryResultsCommand({ queryId: id }))).status).toBe('Cancelled');
    expect((await logs.send(new StopQueryCommand({ queryId: id }))).success).toBe(false);
    const listed = await logs.send(new DescribeQueriesCommand({ logGroupName: GROUP, status: 'Cancelled' }));
    expect(listed.queries?.map((q) => q.queryId)).toContain(id);
  });

  it('a query still running after 60 minutes of sandbox time has timed out', async () => {
    const id = await start('stats count(*)');
    sandbox.advanceClock(61 * 60);
    expect((await logs.send(new GetQueryResultsCommand({ queryId: id }))).status).toBe('Timeout');
  });

  it('the 31st concurrent query gets LimitExceededException', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => start('stats count(*)')));
    const refused = await failure(start('stats count(*)'));
    expect(refused).toMatchObject({ name: 'LimitExceededException', message: 'Account maximum query concurrency limit of [30] reached.' });
    await Promise.all(ids.map((id) => logs.send(new StopQueryCommand({ queryId: id }))));
    await start('stats count(*)');
  });

  it('at most 10,000 rows, and `limit` caps them', async () => {
    const trail = { logGroupName: TRAIL_GROUP, startTime: secs(NOW - 90 * DAY), endTime: secs(NOW) };
    const out = await finish(await start('fields eventID', trail));
    expect(out.statistics!.recordsMatched).toBeGreaterThan(10_000);
    expect(out.results!.length).toBe(10_000);
    expect((await rows('fields eventID | limit 7', trail)).length).toBe(7);
    expect((await rows('fields eventID', { ...trail, limit: 3 })).length).toBe(3);
    const over = await failure(start('fields eventID | limit 10001', trail));
    expect(over.name).toBe('MalformedQueryException');
  });

  it('the trail group answers from the whole year it keeps (beyond LookupEvents\' 90 days), up to its retention', async () => {
    const counted = await rows('stats count(*) as n', { logGroupName: TRAIL_GROUP, startTime: secs(NOW - 400 * DAY), endTime: secs(NOW) });
    expect(Number(counted[0]!.n)).toBeGreaterThan(1000);
    const older = await rows('stats count(*) as n', { logGroupName: TRAIL_GROUP, startTime: secs(NOW - 400 * DAY), endTime: secs(NOW - 95 * DAY) });
    expect(Number(older[0]!.n)).toBeGreaterThan(1000);
    // Retention 365 days: nothing older, though the trail's bucket keeps a year and a day.
    const beyond = await rows('stats count(*) as n', { logGroupName: TRAIL_GROUP, startTime: secs(NOW - 400 * DAY), endTime: secs(NOW - 365 * DAY - 60) });
    expect(beyond).toEqual([]);
  });
});

describe('what keywarden sends', () => {
  it('every query keywarden sends is in the subset the sandbox runs', () => {
    const queries = [...Object.values(keyUsageQueries(KEY_A, '24h')), ...Object.values(keyUsageQueries(KEY_A, { days: 365 })), lastUsesQuery('us-east-1')];
    for (const { queryString } of queries) expect(() => parseQuery(queryString), queryString).not.toThrow();
  });
});

describe('errors', () => {
  it('a query it cannot parse is MalformedQueryException with the place it failed', async () => {
    const error = await logs.send(new StartQueryCommand({ logGroupName: GROUP, startTime: 0, endTime: secs(NOW), queryString: 'fields @timestamp | dedup eventName' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedQueryException);
    const malformed = error as MalformedQueryException;
    expect(malformed.message).toBe("mismatched input 'dedup' expecting {K_FIELDS, K_FILTER, K_PARSE, K_SORT, K_STATS, K_LIMIT}");
    expect(malformed.queryCompileError?.location).toEqual({ startCharOffset: 20, endCharOffset: 24 });
    for (const bad of ['', 'filter eventName ==', 'stats avg(x)', 'filter x like', 'stats count(*) by bin(1 fortnight)', 'filter eventName = "a" |', 'fields foo-bar']) {
      expect((await failure(start(bad))).name, bad).toBe('MalformedQueryException');
    }
  });

  it('a missing log group is ResourceNotFoundException; bad parameters are InvalidParameterException', async () => {
    expect(await failure(start('stats count(*)', { logGroupName: '/no/such/group' }))).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
    expect((await failure(start('stats count(*)', { startTime: secs(NOW), endTime: secs(NOW - DAY) }))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new StartQueryCommand({ logGroupName: GROUP, logGroupNames: [GROUP], startTime: 0, endTime: 1, queryString: 'stats count(*)' })))).name).toBe('InvalidParameterException');
    expect((await failure(logs.send(new GetQueryResultsCommand({ queryId: 'no-such-query' })))).name).toBe('ResourceNotFoundException');
  });
});
