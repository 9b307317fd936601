import { describe, expect, it } from 'vitest';
import { CALLER_TRAIL_MAX_DAYS, callerTrailWindow, ownerCalls, withCallerTrails, type CallerTrails } from './caller-trails.js';
import { outsideCallers } from './outside-callers.js';
import { parseCloudTrailRecord, summarizeUsage, type UsageEvent } from './usage.js';

const OWNER = '222233334444';
const ANALYTICS = '333344445555';
const DEV = '555566667777';
const KEY = `arn:aws:kms:us-east-1:${OWNER}:key/0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e`;
const OTHER_KEY = `arn:aws:kms:us-east-1:${OWNER}:key/11111111-2222-3333-4444-555555555555`;
const now = new Date('2026-12-07T12:00:00Z');

interface Copy {
  eventId: string;
  requestId: string;
  sharedEventId?: string;
  time: string;
  account: string;
  role: string;
  recipient: string;
  error?: { code: string; message: string };
  key?: string;
}

/** A Decrypt record as CloudTrail delivers it to `recipient` (the key owner's trail or the caller's). */
function record(c: Copy) {
  return {
    eventVersion: '1.08',
    eventID: c.eventId,
    requestID: c.requestId,
    ...(c.sharedEventId ? { sharedEventID: c.sharedEventId } : {}),
    eventTime: c.time,
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: 'us-east-1',
    recipientAccountId: c.recipient,
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${c.account}:assumed-role/${c.role}/s`,
      accountId: c.account,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${c.account}:role/${c.role}`, accountId: c.account, userName: c.role } },
    },
    requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    ...(c.error ? { errorCode: c.error.code, errorMessage: c.error.message } : {}),
    resources: [{ accountId: OWNER, type: 'AWS::KMS::Key', ARN: c.key ?? KEY }],
  };
}

const events = (records: unknown[]): UsageEvent[] => records.map((r) => parseCloudTrailRecord(r)!).sort((a, b) => b.timeMs - a.timeMs);
const disabled = { code: 'DisabledException', message: `${KEY} is disabled.` };
const denied = (role: string) => ({ code: 'AccessDenied', message: `User: arn:aws:sts::${ANALYTICS}:assumed-role/${role}/s is not authorized to perform: kms:Decrypt on resource: ${KEY} because no identity-based policy allows the kms:Decrypt action` });

// One successful ETL call and one that failed on the disabled key: in both trails (own eventIDs,
// same requestID and sharedEventID). Two refused ReportingBatch calls: in analytics-prod's trail only.
const etlOk = { requestId: 'req-1', sharedEventId: 'shared-1', time: '2026-12-06T01:00:00Z', account: ANALYTICS, role: 'AnalyticsEtl' };
const etlDisabled = { requestId: 'req-2', sharedEventId: 'shared-2', time: '2026-12-07T03:00:00Z', account: ANALYTICS, role: 'AnalyticsEtl', error: disabled };
const ownerRecords = [record({ ...etlOk, eventId: 'owner-1', recipient: OWNER }), record({ ...etlDisabled, eventId: 'owner-2', recipient: OWNER })];
const analyticsRecords = [
  record({ ...etlOk, eventId: 'caller-1', recipient: ANALYTICS }),
  record({ ...etlDisabled, eventId: 'caller-2', recipient: ANALYTICS }),
  record({ eventId: 'caller-3', requestId: 'req-3', time: '2026-12-07T06:10:00Z', account: ANALYTICS, role: 'ReportingBatch', recipient: ANALYTICS, error: denied('ReportingBatch') }),
  record({ eventId: 'caller-4', requestId: 'req-4', time: '2026-12-01T06:20:00Z', account: ANALYTICS, role: 'ReportingBatch', recipient: ANALYTICS, error: denied('ReportingBatch') }),
  // Another key, and a time before the window: not counted.
  record({ eventId: 'caller-5', requestId: 'req-5', time: '2026-12-07T07:00:00Z', account: ANALYTICS, role: 'ReportingBatch', recipient: ANALYTICS, error: denied('ReportingBatch'), key: OTHER_KEY }),
  record({ eventId: 'caller-6', requestId: 'req-6', time: '2026-11-20T07:00:00Z', account: ANALYTICS, role: 'ReportingBatch', recipient: ANALYTICS, error: denied('ReportingBatch') }),
];
const range = callerTrailWindow({ days: 7 }, now).range;

function trails(extra: CallerTrails['accounts'] = []): CallerTrails {
  return {
    window: { days: 7, start: range.start.toISOString(), end: range.end.toISOString() },
    accounts: [{ accountId: ANALYTICS, accountName: 'analytics-prod', status: 'read', events: events(analyticsRecords), pages: 1 }, ...extra],
  };
}

describe('withCallerTrails', () => {
  const summary = summarizeUsage(ownerRecords, { days: 7 }, now, { keyArn: KEY });
  const groups = outsideCallers(summary, OWNER, new Map([[ANALYTICS, 'analytics-prod']]));

  it('adds the failed calls found only in the caller’s trail; a call in both trails is counted once (requestID / sharedEventID)', () => {
    expect(groups[0]).toMatchObject({ count: 2, failed: 1 });
    const { outside, statuses } = withCallerTrails(groups, trails(), KEY, ownerCalls({ events: events(ownerRecords) }, summary));
    expect(outside).toHaveLength(1);
    const group = outside[0]!;
    expect(group).toMatchObject({ accountId: ANALYTICS, accountName: 'analytics-prod', count: 4, failed: 3, lastSeen: '2026-12-07T06:10:00Z' });
    expect(group.errorCodes).toEqual([
      { code: 'AccessDenied', count: 2 },
      { code: 'DisabledException', count: 1 },
    ]);
    expect(group.fromCallerTrail).toMatchObject({ failed: 2, errorCodes: [{ code: 'AccessDenied', count: 2 }], lastSeen: '2026-12-07T06:10:00Z' });
    expect(group.fromCallerTrail!.failures.map((f) => [f.eventId, f.requestId, f.errorCode])).toEqual([
      ['caller-3', 'req-3', 'AccessDenied'],
      ['caller-4', 'req-4', 'AccessDenied'],
    ]);
    const reporting = group.callers.find((c) => c.id === `arn:aws:iam::${ANALYTICS}:role/ReportingBatch`)!;
    expect(reporting).toMatchObject({ count: 2, failed: 2, fromCallerTrail: 2, operations: ['Decrypt'] });
    expect(group.callers.find((c) => c.id.endsWith('role/AnalyticsEtl'))).toMatchObject({ count: 2, failed: 1 });
    expect(group.callers.find((c) => c.id.endsWith('role/AnalyticsEtl'))!.fromCallerTrail).toBeUndefined();
    expect(statuses).toEqual([{ accountId: ANALYTICS, accountName: 'analytics-prod', status: 'read', events: 6, onlyThere: 2, pages: 1 }]);
  });

  it('matches the copies on sharedEventID alone, and on requestID alone', () => {
    const strip = (key: 'requestID' | 'sharedEventID') => analyticsRecords.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== key || r.eventID !== 'caller-2')));
    for (const key of ['requestID', 'sharedEventID'] as const) {
      const read: CallerTrails = { ...trails(), accounts: [{ accountId: ANALYTICS, status: 'read', events: events(strip(key)), pages: 1 }] };
      const { outside } = withCallerTrails(groups, read, KEY, ownerCalls({ events: events(ownerRecords) }, summary));
      expect(outside[0]!.fromCallerTrail!.failed).toBe(2);
    }
  });

  it('without the owner’s events, matches on the failed attempts its summary lists (their requestID)', () => {
    const owner = ownerCalls({ events: [] }, summary);
    expect(owner.ids.has('req-2')).toBe(true);
    expect(withCallerTrails(groups, trails(), KEY, owner).outside[0]!.fromCallerTrail!.failed).toBe(2);
  });

  it('when the owner lists only its newest failed attempts, an older one not refused for access is taken as counted there', () => {
    const old = record({ eventId: 'caller-7', requestId: 'req-7', time: '2026-12-01T00:00:00Z', account: ANALYTICS, role: 'AnalyticsEtl', recipient: ANALYTICS, error: disabled });
    const read: CallerTrails = { ...trails(), accounts: [{ accountId: ANALYTICS, status: 'read', events: events([...analyticsRecords, old]), pages: 1 }] };
    const partial = { ...summary, failuresOmitted: 3 };
    const merged = withCallerTrails(groups, read, KEY, ownerCalls({ events: [] }, partial));
    expect(merged.outside[0]!.fromCallerTrail!.failures.map((f) => f.eventId)).toEqual(['caller-3', 'caller-4']);
    // With every failed attempt listed, the unmatched one is the caller's trail's alone.
    expect(withCallerTrails(groups, read, KEY, ownerCalls({ events: [] }, summary)).outside[0]!.fromCallerTrail!.failures.map((f) => f.eventId)).toEqual(['caller-3', 'caller-4', 'caller-7']);
  });

  it('an account seen only in its own trail gets a group; an unreadable trail is a status with its reason', () => {
    const devRecords = [record({ eventId: 'dev-1', requestId: 'req-d1', time: '2026-12-05T05:00:00Z', account: DEV, role: 'DevApp', recipient: DEV, error: { code: 'AccessDenied', message: 'denied' } })];
    const read = trails([
      { accountId: DEV, status: 'read', events: events(devRecords), pages: 1 },
      { accountId: '888899990000', accountName: 'research', status: 'unreadable', reason: 'cannot assume the role', pages: 0 },
    ]);
    const { outside, statuses } = withCallerTrails(groups, read, KEY, ownerCalls({ events: events(ownerRecords) }, summary), new Map([[DEV, 'dev-sandbox']]));
    expect(outside.map((g) => [g.accountId, g.accountName, g.count, g.failed])).toEqual([
      [ANALYTICS, 'analytics-prod', 4, 3],
      [DEV, 'dev-sandbox', 1, 1],
    ]);
    expect(statuses.map((s) => [s.accountId, s.status, s.reason])).toEqual([
      [ANALYTICS, 'read', undefined],
      [DEV, 'read', undefined],
      ['888899990000', 'unreadable', 'cannot assume the role'],
    ]);
    // The groups handed in are not changed.
    expect(groups[0]).toMatchObject({ count: 2, failed: 1 });
  });

  it('a dry run, a success and a call by another account in the caller’s trail add nothing', () => {
    const dry = record({ eventId: 'c-dry', requestId: 'r-dry', time: '2026-12-06T00:00:00Z', account: ANALYTICS, role: 'AnalyticsEtl', recipient: ANALYTICS, error: { code: 'DryRunOperationException', message: 'dry' } });
    const ok = record({ eventId: 'c-ok', requestId: 'r-ok', time: '2026-12-06T00:00:00Z', account: ANALYTICS, role: 'AnalyticsEtl', recipient: ANALYTICS });
    const foreign = record({ eventId: 'c-dev', requestId: 'r-dev', time: '2026-12-06T00:00:00Z', account: DEV, role: 'DevApp', recipient: ANALYTICS, error: disabled });
    const read: CallerTrails = { ...trails(), accounts: [{ accountId: ANALYTICS, status: 'read', events: events([dry, ok, foreign]), pages: 1 }] };
    const { outside } = withCallerTrails(groups, read, KEY, ownerCalls({ events: events(ownerRecords) }, summary));
    expect(outside[0]!.fromCallerTrail).toBeUndefined();
    expect(outside[0]).toMatchObject({ count: 2, failed: 1 });
  });
});

describe('callerTrailWindow', () => {
  it('is the usage window, at most LookupEvents’ 90 days', () => {
    expect(callerTrailWindow('7d', now)).toEqual({ window: '7d', range: { start: new Date('2026-11-30T12:00:00Z'), end: now } });
    const year = callerTrailWindow({ days: 365 }, now);
    expect(year.window).toEqual({ days: CALLER_TRAIL_MAX_DAYS });
    expect(year.range.start).toEqual(new Date(now.getTime() - 90 * 86_400_000));
    expect(year.capped).toContain('90 days');
  });
});
