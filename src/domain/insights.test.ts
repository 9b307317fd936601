import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  article,
  chooseEngine,
  insightsString,
  keyUsageQueries,
  lastUsesFromRows,
  nextUsageWindow,
  parseInsightsTime,
  summaryFromInsights,
  usageProgressLine,
  type InsightsRow,
  type UsageQueryRows,
} from './insights.js';

const TARGET = { trailName: 'management-events', logGroupName: 'aws-cloudtrail-logs-111122223333-management', logGroupRegion: 'us-east-1', retentionInDays: 90 };
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('the engine choice', () => {
  it('Logs Insights for a window over 7 days when the trail delivers to CloudWatch Logs; LookupEvents otherwise, saying why', () => {
    expect(chooseEngine(30, TARGET)).toEqual({
      engine: 'insights',
      reason: 'Logs Insights: trail management-events delivers to log group aws-cloudtrail-logs-111122223333-management (us-east-1), and a 30-day window is longer than LookupEvents reads quickly (about 100 events a second)',
    });
    expect(chooseEngine(7, TARGET).engine).toBe('lookup');
    expect(chooseEngine(7, TARGET).reason).toContain('a 7-day window is read quickly');
    expect(chooseEngine(8, TARGET).reason).toContain('an 8-day window is longer');
    expect([1, 8, 11, 18, 30, 80, 89, 90, 111, 180, 365, 800, 11_000].map((n) => `${article(n)} ${n}`)).toEqual(['a 1', 'an 8', 'an 11', 'an 18', 'a 30', 'an 80', 'an 89', 'a 90', 'a 111', 'a 180', 'a 365', 'an 800', 'an 11000']);
    expect(chooseEngine(30, undefined, 'no trail covers eu-west-3')).toEqual({ engine: 'lookup', reason: 'LookupEvents: no trail covers eu-west-3' });
  });

  it('w cycles through the windows the engine serves: a year only with Logs Insights', () => {
    const cycle = (max: number) => {
      const seen: string[] = [];
      let w: Parameters<typeof nextUsageWindow>[0] = '24h';
      for (let i = 0; i < 6; i += 1) {
        seen.push(typeof w === 'object' ? `${w.days}d` : w);
        w = nextUsageWindow(w, max);
      }
      return seen;
    };
    expect(cycle(90)).toEqual(['24h', '7d', '30d', '90d', '24h', '7d']);
    expect(cycle(365)).toEqual(['24h', '7d', '30d', '90d', '365d', '24h']);
    expect(nextUsageWindow({ days: 12 }, 365)).toBe('24h');
  });
});

describe('reading results', () => {
  it('reads Logs Insights timestamps (and epoch numbers), nothing else', () => {
    expect(parseInsightsTime('2026-12-07 06:24:42.000')).toBe(Date.parse('2026-12-07T06:24:42Z'));
    expect(parseInsightsTime('2026-12-07 06:24:42')).toBe(Date.parse('2026-12-07T06:24:42Z'));
    expect(parseInsightsTime('1765088682000')).toBe(1765088682000);
    for (const bad of [undefined, '', 'yesterday', '2026-13-45 99:99:99.000', '{"a":1}']) expect(parseInsightsTime(bad)).toBeUndefined();
  });

  it('quotes strings for the query language', () => {
    expect(insightsString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(keyUsageQueries('arn:"x', '7d').callers.queryString).toContain('resources.0.ARN = "arn:\\"x"');
  });

  it('the last use of every key: the newest row per key, keys of other regions left out', () => {
    const rows: InsightsRow[] = [
      { 'resources.0.ARN': KEY, eventName: 'Decrypt', lastUse: '2026-12-01 10:00:00.000' },
      { 'resources.0.ARN': KEY, eventName: 'Encrypt', lastUse: '2026-12-03 09:30:00.500' },
      { 'resources.0.ARN': 'arn:aws:kms:eu-west-1:111122223333:key/other', eventName: 'Decrypt', lastUse: '2026-12-05 00:00:00.000' },
      { 'resources.0.ARN': 'not an arn', eventName: 'Decrypt', lastUse: '2026-12-05 00:00:00.000' },
      { eventName: 'Decrypt', lastUse: '2026-12-05 00:00:00.000' },
    ];
    expect([...lastUsesFromRows(rows, 'us-east-1')]).toEqual([[KEY, { operation: 'Encrypt', timestamp: '2026-12-03T09:30:00Z' }]]);
  });

  it('never throws on whatever rows come back, and counts nothing it cannot read', () => {
    const row = fc.dictionary(fc.oneof(fc.constantFrom('events', 'eventName', 'errorCode', 'last', 'bucket', 'context', 'eventTime', 'userIdentity.arn'), fc.string()), fc.string());
    fc.assert(
      fc.property(fc.record({ callers: fc.array(row), contexts: fc.array(row), timeline: fc.array(row), lastUse: fc.array(row), lastEvent: fc.array(row), failures: fc.array(row), firstFailure: fc.array(row) }), (rows) => {
        const summary = summaryFromInsights(rows as UsageQueryRows, '7d', new Date('2026-12-07T00:00:00Z'));
        expect(Number.isFinite(summary.total)).toBe(true);
        expect(summary.total).toBeGreaterThanOrEqual(summary.failed);
      }),
    );
  });

  it('says how far a Logs Insights scan is, and what was cut', () => {
    const base = { source: 'insights' as const, pages: 0, events: 0, throttled: 0, requestsPerSecond: 0, done: false, stopped: false, recordsScanned: 1234567 };
    expect(usageProgressLine(base)).toBe('Logs Insights · 1,234,567 records scanned · running');
    expect(usageProgressLine({ ...base, done: true, truncated: ['contexts'] })).toBe('Logs Insights · 1,234,567 records scanned · cut at 10,000 rows: contexts');
    expect(usageProgressLine({ ...base, done: true, queryParts: 9 })).toBe('Logs Insights · 1,234,567 records scanned · window asked in 9 parts (10,000 rows each at most)');
  });

  it('lists the newest 500 failed attempts and the oldest, and counts the rest, as summarizeUsage does', () => {
    const failedRow = (i: number): InsightsRow => ({ eventTime: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString().replace('.000', ''), eventName: 'Decrypt', eventID: `e${i}`, errorCode: 'DisabledException', 'userIdentity.arn': 'arn:aws:sts::111122223333:assumed-role/R/s' });
    const rows: UsageQueryRows = {
      callers: [{ eventName: 'Decrypt', errorCode: 'DisabledException', events: '700', 'userIdentity.arn': 'arn:aws:sts::111122223333:assumed-role/R/s' }],
      contexts: [],
      timeline: [],
      lastUse: [],
      lastEvent: [failedRow(699)],
      // What the queries return: the newest 500, newest first, and the oldest of all.
      failures: Array.from({ length: 500 }, (_, i) => failedRow(699 - i)),
      firstFailure: [failedRow(0)],
    };
    const summary = summaryFromInsights(rows, { days: 30 }, new Date('2026-11-20T00:00:00Z'));
    expect(summary.failed).toBe(700);
    expect(summary.failures).toHaveLength(500);
    expect(summary.failuresOmitted).toBe(200);
    expect(summary.lastFailure!.eventId).toBe('e699');
    expect(summary.firstFailure!.eventId).toBe('e0');
    expect(keyUsageQueries(KEY, '7d').failures.limit).toBe(500);
  });
});
