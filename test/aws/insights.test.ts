// Usage through Logs Insights over HTTP against the sandbox: the same summary LookupEvents gives
// for the same window, queries stopped when the reader is stopped, and the last use of every key.

import { DescribeQueriesCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInsightsTarget, insightsKeyUsage, insightsLastUses, runInsightsQuery } from '../../src/aws/insights.js';
import { AwsKeySource, resolveKey } from '../../src/aws/inventory.js';
import { lookupKeyEvents, RateLimiter } from '../../src/aws/usage.js';
import { INSIGHTS_MAX_ROWS, keyUsageQueries, type InsightsTarget } from '../../src/domain/insights.js';
import { summarizeUsage, USE_OPERATIONS } from '../../src/domain/usage.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { comparable } from '../helpers/usage-summary.js';

const DAY = 86_400_000;

describe.skipIf(externalEndpoint)('Logs Insights usage (sandbox)', () => {
  let endpoint: TestEndpoint;
  let target: InsightsTarget;
  beforeAll(async () => {
    // LookupEvents at 50× its quota so that 90 days of a busy key are read in seconds.
    endpoint = await openEndpoint({ quotaScale: 50 });
    const clients = endpoint.clients();
    const found = await findInsightsTarget(clients.cloudtrail('us-east-1'), (r) => clients.logs(r), 'us-east-1');
    expect(found.why).toBeUndefined();
    target = found.target!;
  });
  afterAll(async () => endpoint.close());

  it('finds the trail’s log group and its retention', () => {
    expect(target).toEqual({ trailName: 'management-events', logGroupName: 'aws-cloudtrail-logs-111122223333-management', logGroupRegion: 'us-east-1', retentionInDays: 365 });
  });

  it.each(['alias/app/payments-db', 'alias/ebs/prod-data', 'alias/ecs/fargate-ephemeral', 'alias/legacy/reporting-2023'])(
    'over the sandbox’s 90 days, %s has the same summary from Insights as from LookupEvents',
    async (alias) => {
      const clients = endpoint.clients();
      const key = await resolveKey(clients, alias);
      // A whole second a little in the past: events of that second are all in, on both sides.
      const now = new Date(Math.floor(clients.now().getTime() / 1000) * 1000 - 2000);
      const window = { days: 90 };
      const lookup = await lookupKeyEvents(clients.cloudtrail('us-east-1'), key.arn, { window, now, limiter: new RateLimiter(100) });
      expect(lookup.progress.done).toBe(true);
      const fromLookup = summarizeUsage(lookup.events, window, now, { keyArn: key.arn });
      const scanned: number[] = [];
      const insights = await insightsKeyUsage(clients.logs('us-east-1'), target, key.arn, { window, now, onProgress: (s) => scanned.push(s.progress.recordsScanned ?? 0) });
      expect(insights.progress).toMatchObject({ source: 'insights', done: true, stopped: false });
      expect(insights.progress.truncated).toBeUndefined();
      expect(scanned.at(-1)).toBeGreaterThan(1000);
      const fromInsights = insights.summary!;
      expect(fromLookup.total).toBeGreaterThan(0);
      expect(fromInsights.total).toBe(fromLookup.total);
      expect(fromInsights.failed).toBe(fromLookup.failed);
      expect(comparable(fromInsights)).toEqual(comparable(fromLookup));
    },
    60_000,
  );

  it('through the key source: engine insights, and a window beyond LookupEvents’ 90 days', async () => {
    const clients = endpoint.clients();
    const source = new AwsKeySource(clients);
    const key = await resolveKey(clients, 'alias/app/payments-db');
    const ninety = await source.loadUsage(key, { window: { days: 90 }, engine: 'insights' });
    const year = await source.loadUsage(key, { window: { days: 365 }, engine: 'insights' });
    expect(year.summary!.window.days).toBe(365);
    // The group keeps a year: its oldest days hold evidence LookupEvents no longer has.
    expect(year.summary!.total).toBeGreaterThan(3 * ninety.summary!.total);
    expect(year.summary!.timeline.counts).toHaveLength(366);
    expect(year.summary!.timeline.counts.slice(1, 270).every((n) => n > 0)).toBe(true);
  }, 60_000);

  it('engine auto: LookupEvents for a short window, Logs Insights for a long one, each saying why and how long a window the key can have', async () => {
    const clients = endpoint.clients();
    const source = new AwsKeySource(clients);
    const key = await resolveKey(clients, 'alias/legacy/reporting-2023');
    const reasons: string[] = [];
    const short = await source.loadUsage(key, { window: '7d', engine: 'auto', onProgress: (s) => reasons.push(s.progress.engineReason ?? '') });
    expect(short.progress).toMatchObject({ source: 'cloudtrail', done: true, maxWindowDays: 365 });
    expect(short.progress.engineReason).toMatch(/^LookupEvents: a 7-day window is read quickly/);
    expect(reasons.every((r) => r === short.progress.engineReason)).toBe(true);
    const long = await source.loadUsage(key, { window: '30d', engine: 'auto' });
    expect(long.progress).toMatchObject({ source: 'insights', done: true, maxWindowDays: 365 });
    expect(long.progress.engineReason).toMatch(/^Logs Insights: trail management-events delivers to log group aws-cloudtrail-logs-111122223333-management/);
    expect(long.summary!.total).toBeGreaterThan(0);
  }, 60_000);

  it('engine auto: when Logs Insights is refused, LookupEvents reads the window and the reason says so', async () => {
    const clients = endpoint.clients();
    const source = new AwsKeySource(clients);
    const key = await resolveKey(clients, 'alias/legacy/reporting-2023');
    endpoint.sandbox!.faults.accessDenied = [{ operations: ['StartQuery'] }];
    try {
      const loaded = await source.loadUsage(key, { window: '30d', engine: 'auto' });
      expect(loaded.progress).toMatchObject({ source: 'cloudtrail', done: true, maxWindowDays: 90 });
      expect(loaded.progress.engineReason).toMatch(/^LookupEvents: Logs Insights was refused \(.*access denied/i);
      // A window only Logs Insights serves is not read at all: unknown, never a shorter answer.
      await expect(source.loadUsage(key, { window: { days: 365 }, engine: 'auto' })).rejects.toThrow(/^Logs Insights was refused \(.*access denied.*\), and LookupEvents keeps only 90 days/i);
    } finally {
      endpoint.sandbox!.faults.accessDenied = undefined;
    }
  }, 60_000);

  it('stopping the reader stops its queries (StopQuery), and reports stopped', async () => {
    const clients = endpoint.clients();
    const key = await resolveKey(clients, 'alias/ebs/prod-data');
    const controller = new AbortController();
    // Stopped as soon as the first query reports progress (it has started, and has an id to stop).
    const result = await insightsKeyUsage(clients.logs('us-east-1'), target, key.arn, { window: { days: 90 }, now: clients.now(), onProgress: () => controller.abort() }, controller.signal);
    expect(result.progress.stopped).toBe(true);
    expect(result.summary).toBeUndefined();
    // Every query it started has been stopped or had already finished: none is left running.
    const queries = (await clients.logs('us-east-1').send(new DescribeQueriesCommand({}))).queries!;
    expect(queries.filter((q) => q.status === 'Running' || q.status === 'Scheduled')).toEqual([]);
    expect(queries.some((q) => q.status === 'Cancelled')).toBe(true);
  });

  it('one query gives the last successful use of every key that has one', async () => {
    const clients = endpoint.clients();
    const now = clients.now().getTime();
    const { uses, complete } = await insightsLastUses(clients.logs('us-east-1'), target, 'us-east-1', { startMs: now - 90 * DAY, endMs: now });
    expect(complete).toBe(true);
    expect(uses.size).toBeGreaterThan(3);
    for (const alias of ['alias/app/payments-db', 'alias/ebs/prod-data']) {
      const key = await resolveKey(clients, alias);
      const lookup = await lookupKeyEvents(clients.cloudtrail('us-east-1'), key.arn, { window: { days: 90 }, now: clients.now(), limiter: new RateLimiter(100) });
      const newest = lookup.events.find((e) => !e.errorCode && USE_OPERATIONS.has(e.operation))!;
      expect(uses.get(key.arn)).toEqual({ operation: newest.operation, timestamp: newest.time });
    }
    expect([...uses.keys()].every((arn) => arn.startsWith('arn:aws:kms:us-east-1:'))).toBe(true);
  }, 60_000);

  it('a year whose answer exceeds 10,000 rows is asked in parts by time: complete, never cut', async () => {
    const clients = endpoint.clients();
    const key = await resolveKey(clients, 'alias/app/payments-db');
    const now = new Date(Math.floor(clients.now().getTime() / 1000) * 1000 - 2000);
    const window = { days: 365 };
    // The payments API calls with a session per task: a year of callers is more rows than AWS returns.
    const whole = await runInsightsQuery(clients.logs('us-east-1'), { logGroupName: target.logGroupName, startMs: now.getTime() - 365 * DAY, endMs: now.getTime() }, keyUsageQueries(key.arn, window).callers);
    expect(whole.rows).toHaveLength(INSIGHTS_MAX_ROWS);
    const loaded = await insightsKeyUsage(clients.logs('us-east-1'), target, key.arn, { window, now });
    expect(loaded.progress.truncated).toBeUndefined();
    expect(loaded.progress.queryParts).toBeGreaterThan(Object.keys(keyUsageQueries(key.arn, window)).length);
    const summary = loaded.summary!;
    // Every count adds up to the same total: the callers (split) and the timeline (one answer).
    const timeline = summary.timeline.counts.reduce((a, b) => a + b, 0);
    expect(summary.total).toBe(timeline);
    expect(summary.principals.reduce((a, p) => a + p.count, 0)).toBe(timeline);
    expect(summary.total).toBeGreaterThan(INSIGHTS_MAX_ROWS);
  }, 120_000);
});
