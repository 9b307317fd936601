import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { plain, renderSized, waitForFrame, waitForText } from '../../../test/helpers/ink.js';
import type { Grant } from '../../domain/key.js';
import type { KeySource } from '../../domain/source.js';
import { parseCloudTrailRecord, summarizeUsage, type UsageEvent, type UsageLoadState, type UsageProgress, type UsageRequest } from '../../domain/usage.js';
import { useUsage, type UsageState } from '../hooks/use-usage.js';
import { UsageView } from './usage-view.js';

const ACCOUNT = '111122223333';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const NOW = new Date('2026-11-23T12:00:00Z');

function record(id: string, time: string, extra: Record<string, unknown>): UsageEvent {
  return parseCloudTrailRecord({
    eventVersion: '1.08',
    eventTime: time,
    eventSource: 'kms.amazonaws.com',
    awsRegion: 'us-east-1',
    eventID: id,
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KEY }],
    eventType: 'AwsApiCall',
    ...extra,
  })!;
}

const fargate = (id: string, time: string) =>
  record(id, time, {
    eventName: 'GenerateDataKeyWithoutPlaintext',
    userIdentity: { type: 'AWSService', invokedBy: 'ec2-frontend-api.amazonaws.com' },
    requestParameters: { keyId: KEY, numberOfBytes: 64, encryptionContext: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod', 'aws:ebs:id': `vol-${id}` } },
  });
const ebs = (id: string, time: string) =>
  record(id, time, {
    eventName: 'Decrypt',
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-0f3e2d1c0b9a87654` },
    requestParameters: { encryptionContext: { 'aws:ebs:id': 'vol-0a1b2c3d4e5f60718' } },
  });
const disabled = (id: string, time: string) =>
  record(id, time, {
    eventName: 'Decrypt',
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReportingEtl/etl-nightly`, sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${ACCOUNT}:role/ReportingEtl` } } },
    errorCode: 'DisabledException',
    errorMessage: `${KEY} is disabled.`,
    requestParameters: { encryptionContext: { report: 'monthly-exports-2023' } },
  });
const hostile = record('evil', '2026-11-23T09:00:00Z', {
  eventName: 'Decrypt',
  userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/mallory\u001b[2J\u001b]52;c;ZXZpbA==\u0007` },
  errorCode: 'AccessDenied\u001b[31m',
  requestParameters: { encryptionContext: { note: 'hi\u001b[1A\u202eevil' } },
});

const events = [
  fargate('f1', '2026-11-23T11:30:00Z'),
  ebs('e1', '2026-11-23T10:00:00Z'),
  hostile,
  disabled('d2', '2026-11-23T02:00:00Z'),
  fargate('f2', '2026-11-22T18:00:00Z'),
  disabled('d1', '2026-11-19T02:00:00Z'),
];

const progress = (over: Partial<UsageProgress> = {}): UsageProgress => ({ source: 'cloudtrail', pages: 9, events: 412, throttled: 0, requestsPerSecond: 2, done: false, stopped: false, oldest: '2026-11-19T02:00:00Z', ...over });
const loaded = (over: Partial<UsageProgress> = {}, list = events): UsageLoadState => ({ keyArn: KEY, window: '7d', events: list, progress: progress(over) });

const grants: Grant[] = [
  { grantId: 'g1', keyId: KEY, granteePrincipal: 'fargate.us-east-1.amazonaws.com', operations: ['Decrypt'], constraints: { encryptionContextSubset: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod' } } },
  { grantId: 'g2', keyId: KEY, granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/Backup`, operations: ['Encrypt'] },
];

function show(state: UsageState, height = 60, width = 140) {
  const { lastFrame } = renderSized(<UsageView state={state} window="7d" keyArn={KEY} grants={grants} now={NOW} height={height} width={width} />, width);
  return { frame: plain(lastFrame()), raw: lastFrame() ?? '' };
}

describe('UsageView', () => {
  it('shows callers, operations, contexts in words, the sparkline, last use and failed attempts while loading', () => {
    const { frame } = show({ status: 'loading', loaded: loaded() });
    expect(frame).toContain('412 events loaded (page 9) · 2 req/s');
    expect(frame).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d/);
    expect(frame).toMatch(/Events\s+6 \(so far, back to 2026-11-19 02:00 UTC\) · 3 failed attempts · 0 dry runs/);
    expect(frame).toMatch(/Last use\s+2026-11-23 11:30 UTC \(30m ago\) GenerateDataKeyWithoutPlaintext by AWS service ec2-front/);
    expect(frame).toMatch(/Per day\s+[ ▁▂▃▄▅▆▇█]+\s+\(oldest → now\)/);
    expect(frame).toContain('DisabledException ×2');
    expect(frame).toMatch(/first\s+2026-11-19 02:00 UTC \(4d ago\) Decrypt by role ReportingEtl/);
    expect(frame).toMatch(/2\s+AWS service ec2-frontend-api\s+GenerateDataKeyWithoutPlaintext/);
    expect(frame).toMatch(/1\s+EC2 infrastructure \(EBS\) for i-0f3e2d1c0b9a87654/);
    expect(frame).toMatch(/2\s+role ReportingEtl \(account 111122223333\)\s+Decrypt\s+\(2 failed\)/);
    expect(frame).toMatch(/2\s+ECS cluster \(Fargate ephemeral storage\) 111122223333\/payments-prod\s+\(2 distinct\)/);
    expect(frame).toMatch(/1\s+EBS volumes\s+\(1 distinct\)/);
    expect(frame).toMatch(/ECS cluster \(Fargate ephemeral storage\) 111122223333\/payments-prod\s+\(1 grant, 2 events, last 30m/);
    expect(frame).toMatch(/role Backup \(account 111122223333\)\s+\(1 grant, not seen in use\)/);
    expect(frame).toMatch(/2026-11-23 02:00\s+Decrypt\s+DisabledException\s+role ReportingEtl/);
  });

  it.each([80, 140])('wraps what does not fit in %i columns under its value, cutting nothing', (width) => {
    const { frame } = show({ status: 'ready', loaded: loaded({ done: true }) }, 80, width);
    const lines = frame.split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(width);
    expect(frame).not.toMatch(/…$/m);
    const joined = lines.map((l) => l.trim()).join(' ').replace(/\s+/g, ' ');
    expect(joined).toContain('Last use 2026-11-23 11:30 UTC (30m ago) GenerateDataKeyWithoutPlaintext by AWS service ec2-frontend-api');
    expect(joined).toMatch(/ECS cluster \(Fargate ephemeral storage\) 111122223333\/payments-prod\s+\(1 grant, 2 events, last 30m ago\)/);
    if (width === 80) {
      const at = lines.findIndex((l) => l.startsWith('Last use'));
      expect(lines[at + 1]).toMatch(/^ {12}\S/); // the continuation starts under the value
    }
  });

  it('keeps untrusted text inert', () => {
    const { raw, frame } = show({ status: 'ready', loaded: loaded({ done: true }) });
    expect(raw).not.toMatch(/\u001b\[2J|\u001b\]52|\u001b\[1A|\u202e|\u001b\[31m/);
    expect(frame).toContain('user mallory');
  });

  it('has loading, empty, error and unavailable states', () => {
    expect(show({ status: 'loading' }).frame).toContain('reading CloudTrail events (7 d)');
    const empty = show({ status: 'ready', loaded: loaded({ done: true, pages: 1, events: 0 }, []) }).frame;
    expect(empty).toContain('No CloudTrail events for this key in the last 7 d');
    expect(empty).toContain('--cloudtrail-dir');
    expect(show({ status: 'error', error: 'access denied: cloudtrail:LookupEvents' }).frame).toContain('Could not read CloudTrail');
    const partial = show({ status: 'error', error: 'network down', loaded: loaded() }).frame;
    expect(partial).toContain('stopped by an error: network down');
    expect(partial).toContain('Callers');
    expect(show({ status: 'unavailable' }).frame).toContain('Usage is not available here');
  });

  it('log files: progress in records until the summary comes, whole; says when the evidence is incomplete', () => {
    const reading: UsageLoadState = { keyArn: KEY, window: '7d', events: [], progress: { source: 'files', pages: 3, events: 15000, throttled: 0, requestsPerSecond: 0, done: false, stopped: false } };
    const during = show({ status: 'loading', loaded: reading }).frame;
    expect(during).toContain('15,000 records read (file 3)');
    expect(during).toContain('reading CloudTrail events');
    expect(during).not.toContain('Events ');
    const summary = summarizeUsage(events, '7d', NOW, { keyArn: KEY });
    const done = show({
      status: 'ready',
      loaded: { ...reading, progress: { ...reading.progress, pages: 9, done: true }, summary, incomplete: '1 log file could not be read: x.json.gz (truncated or corrupt gzip)' },
    }).frame;
    expect(done).toContain('evidence incomplete: 1 log file could not be read: x.json.gz (truncated or corrupt gzip)');
    expect(done).toMatch(/Events\s+6 · 3 failed attempts/);
  });

  it('shows a stopped read and a custom window', () => {
    const { lastFrame } = render(<UsageView state={{ status: 'ready', loaded: loaded({ stopped: true }) }} window={{ days: 120 }} keyArn={KEY} now={NOW} height={30} width={120} />);
    expect(plain(lastFrame())).toContain('412 events loaded (page 9) · stopped');
    expect(plain(lastFrame())).toContain('120 d');
  });

  it('with Logs Insights: the engine and why, records scanned, the summary it hands over, and windows up to 365 days', () => {
    const summary = summarizeUsage(events, '30d', NOW, { keyArn: KEY });
    const insights: UsageProgress = {
      source: 'insights', pages: 6, events: summary.total, throttled: 0, requestsPerSecond: 0, done: true, stopped: false, recordsScanned: 15_314, bytesScanned: 19_534_003,
      engineReason: 'Logs Insights: trail management-events delivers to log group aws-cloudtrail-logs-111122223333-management (us-east-1)', maxWindowDays: 365,
    };
    const state: UsageState = { status: 'ready', loaded: { keyArn: KEY, window: '30d', events: [], progress: insights, summary } };
    const { lastFrame } = renderSized(<UsageView state={state} window="30d" keyArn={KEY} grants={grants} now={NOW} height={40} width={160} />, 160);
    const frame = plain(lastFrame());
    expect(frame).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d\s+365 d/);
    expect(frame).toContain('Logs Insights · 15,314 records scanned');
    expect(frame).toMatch(/Engine\s+Logs Insights: trail management-events delivers to log group aws-cloudtrail-logs-111122223333-management/);
    expect(frame).toMatch(/Events\s+6 · 3 failed attempts · 0 dry runs/);
    expect(frame).toContain('DisabledException ×2');
    // Running: nothing is final until the queries complete; the header says how far the scan is.
    const running: UsageState = { status: 'loading', loaded: { keyArn: KEY, window: '30d', events: [], progress: { ...insights, done: false, recordsScanned: 1_200 } } };
    const partial = plain(renderSized(<UsageView state={running} window="30d" keyArn={KEY} now={NOW} height={20} width={160} />, 160).lastFrame());
    expect(partial).toContain('Logs Insights · 1,200 records scanned · running');
    expect(partial).toContain('reading CloudTrail events (30 d)');
    expect(partial).not.toContain('Events');
    // A summary cut at the 10,000-row limit says so.
    const cut: UsageState = { status: 'ready', loaded: { keyArn: KEY, window: '30d', events: [], progress: { ...insights, truncated: ['contexts'] }, summary } };
    expect(plain(renderSized(<UsageView state={cut} window="30d" keyArn={KEY} now={NOW} height={40} width={160} />, 160).lastFrame())).toContain("Incomplete  contexts cut at Logs Insights' 10,000 rows");
  });

  it.each([
    [80, 24],
    [140, 40],
  ])('an engine picked with m at %i×%i: named while loading and in the summary, its progress in the header, its windows in the bar', (width, rows) => {
    const height = rows - 6; // the detail screen's header, tabs and footer
    const year = { days: 365 };
    const summary = summarizeUsage(events, year, NOW, { keyArn: KEY });
    const s3: UsageProgress = { source: 's3', pages: 33_052, events: 54_414, throttled: 0, requestsPerSecond: 0, done: true, stopped: false, bytes: 26_130_442 };
    const location = 's3://aws-cloudtrail-logs-111122223333-3f1c9a2b/management';
    const fits = (frame: string) => {
      const lines = frame.split('\n');
      expect(lines.length).toBeLessThanOrEqual(height);
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(width);
    };
    const loadingState: UsageState = { status: 'loading', loaded: { keyArn: KEY, window: year, events: [], progress: { ...s3, done: false, pages: 120, events: 2_000, bytes: 94_000 }, location } as UsageLoadState };
    const loading = plain(renderSized(<UsageView state={loadingState} window={year} keyArn={KEY} now={NOW} height={height} width={width} maxWindowDays={365} engine="s3" />, width).lastFrame());
    fits(loading);
    // While reading: records of any key (a count that only grows), not the key's events.
    expect(loading).toContain('2,000 records read (120 objects, 92 KB)');
    expect(loading).toContain("reading 365 d from the trail's S3 bucket");
    expect(loading).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d\s+365 d/);
    // A long count does not cut the window bar: it goes on a line of its own.
    const busy = { ...loadingState, loaded: { ...loadingState.loaded!, progress: { ...s3, done: false, pages: 33_052, events: 11_234_567, bytes: 926_130_442 } } } as UsageState;
    const busyFrame = plain(renderSized(<UsageView state={busy} window={year} keyArn={KEY} now={NOW} height={height} width={width} maxWindowDays={365} engine="s3" />, width).lastFrame());
    fits(busyFrame);
    expect(busyFrame).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d\s+365 d/);
    expect(busyFrame).toContain('11,234,567 records read (33,052 objects, 883 MB)');
    // A window of { days: 90 } (LookupEvents after a year) is the bar's 90 d, not a second one.
    const ninety = plain(renderSized(<UsageView state={loadingState} window={{ days: 90 }} keyArn={KEY} now={NOW} height={height} width={width} maxWindowDays={365} engine="lookup" />, width).lastFrame());
    expect(ninety.split('\n').find((line) => line.startsWith('Window'))?.match(/ 90 d /g)).toHaveLength(1);
    const readyState: UsageState = { status: 'ready', loaded: { keyArn: KEY, window: year, events: [], progress: s3, summary, location } as UsageLoadState };
    const ready = plain(renderSized(<UsageView state={readyState} window={year} keyArn={KEY} now={NOW} height={height} width={width} maxWindowDays={365} engine="s3" />, width).lastFrame());
    fits(ready);
    expect(ready.replace(/\s+/g, ' ')).toContain(`Engine the trail's S3 bucket ${location}, picked with m`);
    expect(ready).toMatch(/Events\s+6 · 3 failed attempts/);
    // LookupEvents picked: its 90 days, and no more, on offer.
    const lookupState: UsageState = { status: 'ready', loaded: loaded({ done: true, maxWindowDays: 365 }) };
    const lookup = plain(renderSized(<UsageView state={lookupState} window="7d" keyArn={KEY} now={NOW} height={height} width={width} maxWindowDays={90} engine="lookup" />, width).lastFrame());
    fits(lookup);
    expect(lookup).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d/);
    expect(lookup).not.toContain('365 d');
    expect(lookup).toMatch(/Engine\s+LookupEvents, picked with m/);
  });

  it('fits the height and scrolls', () => {
    const { lastFrame } = render(<UsageView state={{ status: 'ready', loaded: loaded({ done: true }) }} window="7d" keyArn={KEY} now={NOW} height={8} width={120} scroll={0} />);
    expect(plain(lastFrame()).split('\n')).toHaveLength(8);
    const scrolled = render(<UsageView state={{ status: 'ready', loaded: loaded({ done: true }) }} window="7d" keyArn={KEY} now={NOW} height={8} width={120} scroll={10} />);
    expect(plain(scrolled.lastFrame())).not.toContain('Last use');
  });
});

describe('UsageView: callers from other accounts and their own trails', () => {
  const OTHER = '333344445555';
  const cross = (id: string, time: string, role: string, recipient: string, extra: Record<string, unknown> = {}) =>
    record(id, time, {
      eventName: 'Decrypt',
      requestID: `req-${id}`,
      recipientAccountId: recipient,
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${OTHER}:assumed-role/${role}/s`, accountId: OTHER, sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${OTHER}:role/${role}` } } },
      ...extra,
    });
  const refusal = { errorCode: 'AccessDenied', errorMessage: 'not authorized' };
  // In the key owner's trail: two ETL calls. In the caller's: their copies (same requestID) and two refusals.
  const ownerEvents = [cross('o1', '2026-11-23T08:00:00Z', 'AnalyticsEtl', ACCOUNT), cross('o2', '2026-11-22T08:00:00Z', 'AnalyticsEtl', ACCOUNT)];
  const callerEvents = [
    { ...cross('o1', '2026-11-23T08:00:00Z', 'AnalyticsEtl', OTHER), eventId: 'c1' },
    { ...cross('o2', '2026-11-22T08:00:00Z', 'AnalyticsEtl', OTHER), eventId: 'c2' },
    cross('r1', '2026-11-23T06:10:00Z', 'ReportingBatch', OTHER, refusal),
    cross('r2', '2026-11-17T06:20:00Z', 'ReportingBatch', OTHER, refusal),
  ];
  const names = new Map([[OTHER, 'analytics-prod']]);
  const view = (state: UsageState, width = 80) => {
    const { lastFrame } = renderSized(<UsageView state={state} window="7d" keyArn={KEY} now={NOW} height={80} width={width} accountNames={names} />, width);
    return plain(lastFrame());
  };
  const base = (): UsageLoadState => ({ keyArn: KEY, window: '7d', events: ownerEvents, progress: progress({ done: true }) });

  it('adds the refusals found only in the caller’s trail to its account, once, and names the trails not read — in 80 columns', () => {
    const trails = {
      window: { days: 7, start: '2026-11-16T12:00:00.000Z', end: NOW.toISOString() },
      accounts: [
        { accountId: OTHER, accountName: 'analytics-prod', status: 'read' as const, events: callerEvents, pages: 1 },
        { accountId: '888899990000', accountName: 'research', status: 'unreadable' as const, reason: 'cannot assume the role: access denied', pages: 0 },
      ],
    };
    const frame = view({ status: 'ready', loaded: { ...base(), callerTrails: trails } });
    for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(frame).not.toMatch(/…$/m);
    const joined = frame.replace(/\s+/g, ' ');
    expect(joined).toContain('From other accounts (1)');
    expect(joined).toMatch(/4 analytics-prod \(333344445555\) last 4h ago \(2 failed\): AccessDenied ×2 · 2 in its own trail only/);
    expect(joined).toMatch(/2 role AnalyticsEtl \(account 333344445555\) Decrypt 2 role ReportingBatch/);
    expect(joined).toContain('role ReportingBatch (account 333344445555) Decrypt (2 failed, 2 in own trail)');
    expect(joined).toContain('Own trails: 1 of 2 accounts read (7 d)');
    expect(joined).toContain('not read: research (888899990000): cannot assume the role: access denied');
  });

  it('says while the other trails are read, and with one account what is left out', () => {
    expect(view({ status: 'loading', loaded: { ...base(), callerTrailsPending: true } })).toContain("reading the other accounts' trails");
    const single = view({ status: 'ready', loaded: base() });
    expect(single.replace(/\s+/g, ' ')).toMatch(/2 analytics-prod \(333344445555\) last 4h ago 2 role AnalyticsEtl \(account 333344445555\) Decrypt refused by their own IAM, calls stay in their accounts' trails: --org reads them/);
    // Nobody from outside: nothing changes.
    expect(view({ status: 'ready', loaded: { ...base(), events: [] } })).not.toContain('From other accounts');
  });
});

describe('useUsage', () => {
  function pagedSource(pages: UsageEvent[][], options: { gate?: Promise<void>[] } = {}): KeySource & { calls: UsageRequest[] } {
    const calls: UsageRequest[] = [];
    return {
      calls,
      regions: ['us-east-1'],
      identity: async () => ({ account: ACCOUNT, arn: 'arn', userId: 'id' }),
      loadInventory: async () => {},
      loadDetail: async () => {
        throw new Error('not used');
      },
      async loadUsage(key, request, signal) {
        calls.push(request);
        const got: UsageEvent[] = [];
        for (const [i, page] of pages.entries()) {
          if (signal) await Promise.race([options.gate?.[i], new Promise((resolve) => signal.addEventListener('abort', resolve))]);
          else await options.gate?.[i];
          if (signal?.aborted) return { keyArn: key.arn, window: request.window, events: got, progress: progress({ pages: i, events: got.length, stopped: true }) };
          got.push(...page);
          request.onProgress?.({ keyArn: key.arn, window: request.window, events: [...got], progress: progress({ pages: i + 1, events: got.length, done: i === pages.length - 1 }) });
        }
        return { keyArn: key.arn, window: request.window, events: got, progress: progress({ pages: pages.length, events: got.length, done: true }) };
      },
    };
  }

  function Probe({ source, window = '7d', onReady }: { source: KeySource; window?: '7d' | '24h'; onReady?: (api: ReturnType<typeof useUsage>) => void }) {
    const api = useUsage(source, { arn: KEY, region: 'us-east-1' }, window);
    onReady?.(api);
    const s = api.state;
    return <Text>{`${s.status} ${'loaded' in s && s.loaded ? `${s.loaded.events.length} ${s.loaded.progress.stopped ? 'stopped' : ''}` : '-'}`}</Text>;
  }

  it('shows pages as they arrive, then ready', async () => {
    let release!: () => void;
    const second = new Promise<void>((resolve) => (release = resolve));
    const source = pagedSource([[events[0]!, events[1]!], [events[2]!]], { gate: [Promise.resolve(), second] });
    const { lastFrame } = render(<Probe source={source} />);
    await waitForText(lastFrame, 'loading 2');
    release();
    await waitForText(lastFrame, 'ready 3');
    expect(source.calls[0]!.window).toBe('7d');
    // The source picks the engine (LookupEvents or Logs Insights) for each window.
    expect(source.calls[0]!.engine).toBe('auto');
  });

  it('reads with the engine picked on the tab: the trail\'s bucket, or one named engine; a new engine starts over', async () => {
    const source = pagedSource([[events[0]!]]);
    function Picked({ engine }: { engine: 's3' | 'lookup' | 'insights' }) {
      const s = useUsage(source, { arn: KEY, region: 'us-east-1' }, '7d', { engine }).state;
      return <Text>{`${engine} ${s.status}`}</Text>;
    }
    const { lastFrame, rerender } = render(<Picked engine="s3" />);
    await waitForText(lastFrame, 's3 ready');
    expect(source.calls[0]).toMatchObject({ window: '7d', cloudtrailS3: {} });
    expect(source.calls[0]!.engine).toBeUndefined();
    rerender(<Picked engine="lookup" />);
    await waitForText(lastFrame, 'lookup ready');
    await waitForFrame(lastFrame, () => source.calls.length === 2);
    expect(source.calls[1]).toMatchObject({ window: '7d', engine: 'lookup' });
    expect(source.calls[1]!.cloudtrailS3).toBeUndefined();
  });

  it('stops on request and keeps what it read; a new window starts over', async () => {
    let api!: ReturnType<typeof useUsage>;
    const never = new Promise<void>(() => {});
    const source = pagedSource([[events[0]!], [events[1]!]], { gate: [Promise.resolve(), never] });
    const { lastFrame, rerender } = render(<Probe source={source} onReady={(a) => (api = a)} />);
    await waitForText(lastFrame, 'loading 1');
    api.stop();
    await waitForText(lastFrame, 'ready 1 stopped');
    rerender(<Probe source={pagedSource([[events[3]!, events[4]!]])} window="24h" onReady={(a) => (api = a)} />);
    const frame = await waitForFrame(lastFrame, (f) => f.startsWith('ready 2'));
    expect(frame.trim()).toBe('ready 2');
  });

  it('is unavailable without a CloudTrail reader', async () => {
    const { loadUsage: _omit, ...rest } = pagedSource([]);
    const { lastFrame } = render(<Probe source={rest} />);
    await waitForText(lastFrame, 'unavailable');
  });
});
