// The background last-use reader over HTTP against the sandbox: every key ends with a value, at
// no more than GetKeyLastUsage's 5 requests per second (measured where the requests arrive), in
// the operator's order, through throttling, and reused from disk for an hour.

import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { LastUseReader } from '../../src/aws/last-use-reader.js';
import { DiskLastUseStore, lastUseCacheFile } from '../../src/app/last-use-cache.js';
import type { KeyRow } from '../../src/domain/key.js';
import type { RequestLogEntry } from '../../src/sandbox/index.js';
import { createClients } from '../../src/aws/clients.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const sandboxOnly = externalEndpoint ? describe.skip : describe;
const REGION = 'us-east-1';

async function rowsOf(source: AwsKeySource): Promise<KeyRow[]> {
  const rows: KeyRow[] = [];
  await source.loadInventory({ onRows: (batch) => rows.push(...batch), onProgress: () => undefined });
  return rows;
}

function lastUseCalls(requests: RequestLogEntry[]): RequestLogEntry[] {
  return requests.filter((r) => r.operation === 'GetKeyLastUsage');
}

/**
 * Replays the arrival times through a token bucket like AWS's (rate 5/s, a second's worth of
 * burst): the lowest level the bucket reaches. Below zero, AWS would have throttled a request.
 */
function lowestBucketLevel(times: number[], rate = 5, burst = 5): number {
  let tokens = burst;
  let last = times[0] ?? 0;
  let lowest = burst;
  for (const at of times) {
    tokens = Math.min(burst, tokens + ((at - last) / 1000) * rate);
    last = at;
    tokens -= 1;
    lowest = Math.min(lowest, tokens);
  }
  return lowest;
}

sandboxOnly('last use, read in the background', () => {
  let endpoint: TestEndpoint;
  let rows: KeyRow[];
  let readers: LastUseReader[] = [];
  let previousHome: string | undefined;
  const reader = (source: AwsKeySource, options: ConstructorParameters<typeof LastUseReader>[1] = {}) => {
    const made = source.lastUseFeed(options) as LastUseReader;
    readers.push(made);
    return made;
  };

  beforeAll(async () => {
    endpoint = await openEndpoint();
    rows = await rowsOf(new AwsKeySource(endpoint.clients([REGION])));
  });
  afterAll(async () => {
    await endpoint.close();
  });
  beforeEach(async () => {
    previousHome = process.env.KEYWARDEN_HOME;
    process.env.KEYWARDEN_HOME = await mkdtemp(path.join(tmpdir(), 'kw-last-use-'));
    endpoint.sandbox!.clearRequests();
  });
  afterEach(async () => {
    await Promise.all(readers.map((r) => r.close()));
    readers = [];
    endpoint.sandbox!.faults.throttle = undefined;
    endpoint.sandbox!.faults.competitor = undefined;
    if (previousHome === undefined) delete process.env.KEYWARDEN_HOME;
    else process.env.KEYWARDEN_HOME = previousHome;
  });

  it('fills every key, never faster than 5 requests per second as the sandbox receives them', async () => {
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source);
    const described = rows.filter((row) => row.metadata);
    expect(described.length).toBeGreaterThan(15);
    feed.setRows(rows);
    expect(feed.snapshot().progress).toMatchObject({ done: 0, total: described.length, perSecond: 5 });
    await feed.idle();
    const { values, progress } = feed.snapshot();
    expect(progress).toMatchObject({ done: described.length, total: described.length });
    for (const row of described) {
      const value = values.get(row.arn);
      expect(value?.kind, row.arn).toMatch(/^(used|never|not-since-tracking)$/);
      expect(value && 'readAt' in value ? value.readAt : undefined).toBeDefined();
    }
    const kinds = new Set([...values.values()].map((v) => v.kind));
    expect(kinds).toEqual(new Set(['used', 'never', 'not-since-tracking']));
    const calls = lastUseCalls(endpoint.sandbox!.requests());
    expect(calls.length).toBe(described.length);
    const times = calls.map((c) => c.receivedAt).sort((a, b) => a - b);
    expect(lowestBucketLevel(times)).toBeGreaterThanOrEqual(0);
    expect((times.length - 1) / ((times.at(-1)! - times[0]!) / 1000)).toBeLessThanOrEqual(5.1);
  }, 30_000);

  it('reads the selected key first, then the rows on screen, then the rest', async () => {
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source);
    const described = rows.filter((row) => row.metadata).map((row) => row.arn);
    const selected = described.at(-1)!;
    const visible = described.slice(-6, -1).reverse();
    feed.focus(selected, visible);
    feed.setRows(rows);
    await feed.idle();
    const order = lastUseCalls(endpoint.sandbox!.requests()).map((c) => (c.params as { KeyId: string }).KeyId);
    expect(order.slice(0, 1 + visible.length)).toEqual([selected, ...visible]);
    expect(order.slice(1 + visible.length)).toEqual(described.filter((arn) => arn !== selected && !visible.includes(arn)));
  }, 30_000);

  it('a throttled read goes back in the queue: every row still ends with a value, none an error', async () => {
    // The first 20 calls are throttled: more than the SDK's 8 attempts for the first keys, so
    // those reads fail and must be tried again later rather than become error rows.
    endpoint.sandbox!.faults.throttle = { operations: ['GetKeyLastUsage'], count: 20 };
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source, { backoffMs: () => 50 });
    const seen = new Set<string>();
    feed.subscribe(() => {
      for (const value of feed.snapshot().values.values()) seen.add(value.kind);
    });
    feed.setRows(rows);
    await feed.idle();
    const calls = lastUseCalls(endpoint.sandbox!.requests());
    expect(calls.filter((c) => c.errorCode === 'ThrottlingException').length).toBe(20);
    const { values } = feed.snapshot();
    for (const row of rows.filter((r) => r.metadata)) expect(values.get(row.arn)?.kind, row.arn).toMatch(/^(used|never|not-since-tracking)$/);
    expect(seen.has('error')).toBe(false);
    expect(lowestBucketLevel(calls.map((c) => c.receivedAt).sort((a, b) => a - b))).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('with a competing client using half of every quota, the rows and every last use still arrive, none an error', async () => {
    // Another tool in the account takes half of each operation's quota (the sandbox's competitor).
    endpoint.sandbox!.faults.competitor = { share: 0.5 };
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const shared = await rowsOf(source);
    expect(shared.length).toBe(rows.length);
    for (const row of shared) expect(row.problems, row.arn).toEqual([]);
    const feed = reader(source, { backoffMs: () => 200 });
    const seen = new Set<string>();
    feed.subscribe(() => {
      for (const value of feed.snapshot().values.values()) seen.add(value.kind);
    });
    feed.setRows(shared);
    await feed.idle();
    const { values, progress } = feed.snapshot();
    const described = shared.filter((row) => row.metadata);
    expect(progress).toMatchObject({ done: described.length, total: described.length });
    for (const row of described) expect(values.get(row.arn)?.kind, row.arn).toMatch(/^(used|never|not-since-tracking)$/);
    expect(seen.has('error')).toBe(false);
    // The quotas refill in real time: give the account a second's worth back before the next test.
    endpoint.sandbox!.faults.competitor = undefined;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }, 90_000);

  it('shares the quota with another client: settles under what is left, throttled only now and then', async () => {
    // Another client of the account keeps using half of GetKeyLastUsage's 5 per second. Reading on
    // at 5/s would be throttled on about every other request; the pace follows what is left.
    endpoint.sandbox!.faults.competitor = { share: 0.5, operations: ['GetKeyLastUsage'] };
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // the sandbox's bucket full again
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source);
    feed.setRows(rows);
    await feed.idle();
    const calls = lastUseCalls(endpoint.sandbox!.requests());
    const answered = calls.filter((c) => !c.errorCode);
    const throttled = calls.filter((c) => c.errorCode === 'ThrottlingException');
    expect(answered.length).toBe(rows.filter((r) => r.metadata).length);
    expect(throttled.length).toBeLessThanOrEqual(Math.ceil(answered.length / 5));
    // …and still uses what is left: the whole read goes at least at 80% of 2.5 per second (the
    // sandbox's bucket starts with a second's worth, 5 requests, saved up).
    const times = answered.map((c) => c.receivedAt).sort((a, b) => a - b);
    expect((times.length - 1 - 5) / ((times.at(-1)! - times[0]!) / 1000)).toBeGreaterThanOrEqual(2.5 * 0.8);
    // The next tests count every call: leave them the sandbox's bucket full.
    endpoint.sandbox!.faults.competitor = undefined;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
  }, 60_000);

  it('keeps values on disk (0600) and reuses them for an hour; older ones are read again', async () => {
    const caching = (now: () => Date) => {
      const source = new AwsKeySource(endpoint.clients([REGION]));
      return reader(source, { store: new DiskLastUseStore(async () => '111122223333', 'sandbox'), now, saveDelayMs: 10 });
    };
    const described = rows.filter((row) => row.metadata);
    const first = caching(() => new Date());
    first.setRows(rows);
    await first.idle();
    await first.close();
    const file = lastUseCacheFile({ account: '111122223333', endpoint: 'sandbox', region: REGION });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(lastUseCalls(endpoint.sandbox!.requests()).length).toBe(described.length);

    endpoint.sandbox!.clearRequests();
    const soon = caching(() => new Date(Date.now() + 59 * 60_000));
    soon.setRows(rows);
    await soon.idle();
    expect(soon.snapshot().progress).toMatchObject({ done: described.length, total: described.length });
    expect(soon.snapshot().values.size).toBe(described.length);
    expect(lastUseCalls(endpoint.sandbox!.requests())).toEqual([]);
    await soon.close();

    const later = caching(() => new Date(Date.now() + 61 * 60_000));
    later.setRows(rows);
    // Old values are shown while they are read again.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(later.snapshot().values.size).toBe(described.length);
    expect(later.snapshot().progress.done).toBeLessThan(described.length);
    await later.idle();
    expect(lastUseCalls(endpoint.sandbox!.requests()).length).toBe(described.length);
  }, 60_000);

  it('reads one key again on demand (r), whatever the age of its value', async () => {
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source);
    feed.setRows(rows);
    await feed.idle();
    const target = rows.find((row) => row.metadata)!.arn;
    endpoint.sandbox!.clearRequests();
    feed.reread(target);
    expect(feed.snapshot().progress.done).toBe(feed.snapshot().progress.total - 1);
    await feed.idle();
    expect(lastUseCalls(endpoint.sandbox!.requests()).map((c) => (c.params as { KeyId: string }).KeyId)).toEqual([target]);
  }, 30_000);

  it('with the trail: one Logs Insights query fills the keys it has a use for, labelled; GetKeyLastUsage reads only the others', async () => {
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source, { trail: true });
    const described = rows.filter((row) => row.metadata);
    // The selected key is read at once; the others wait for the query.
    const selected = described.find((row) => row.aliases.includes('alias/ebs/prod-data'))!;
    feed.focus(selected.arn, []);
    feed.setRows(rows);
    await expect.poll(() => endpoint.sandbox!.requests().some((r) => r.operation === 'GetQueryResults' && r.status === 200), { timeout: 10_000 }).toBe(true);
    await feed.idle();
    const { values, progress } = feed.snapshot();
    expect(progress).toMatchObject({ done: described.length, total: described.length });
    const fromTrail = [...values].filter(([, v]) => v.kind === 'used' && v.source === 'trail').map(([arn]) => arn);
    expect(fromTrail.length).toBeGreaterThan(3);
    const asked = new Set(lastUseCalls(endpoint.sandbox!.requests()).map((c) => (c.params as { KeyId: string }).KeyId));
    expect(asked.size).toBeLessThan(described.length);
    // A key is filled from one source or the other, never asked of GetKeyLastUsage once the trail named it.
    for (const arn of fromTrail) expect(asked.has(arn) || asked.has(arn.split('/').pop()!), arn).toBe(false);
    expect(asked.size + fromTrail.length).toBe(described.length);
    // The payments key's trail value is its newest successful use in the trail.
    const payments = described.find((row) => row.aliases.includes('alias/app/payments-db'))!;
    const value = values.get(payments.arn);
    expect(value).toMatchObject({ kind: 'used', source: 'trail' });
    expect(values.get(selected.arn)).toMatchObject({ kind: 'used' });
    expect(values.get(selected.arn)).not.toHaveProperty('source');
    expect(asked.has(selected.arn) || asked.has(selected.keyId)).toBe(true);
  }, 30_000);
});

sandboxOnly('last use read times in the account time', () => {
  it("stamps each value with the sandbox's time, so a value read after `sandbox clock +30d` is fresh, not a month old (the background reader and the key detail)", async () => {
    const endpoint = await openEndpoint();
    const previousHome = process.env.KEYWARDEN_HOME;
    process.env.KEYWARDEN_HOME = await mkdtemp(path.join(tmpdir(), 'kw-last-use-clock-'));
    try {
      endpoint.sandbox!.advanceClock(30 * 86_400);
      const clients = endpoint.clients([REGION]);
      const source = new AwsKeySource(clients);
      const rows = await rowsOf(source);
      const feed = source.lastUseFeed() as LastUseReader;
      feed.setRows(rows);
      await feed.idle();
      const sandboxNow = endpoint.sandbox!.now().getTime();
      const values = [...feed.snapshot().values.values()];
      expect(values.length).toBeGreaterThan(15);
      for (const value of values) {
        const readAt = 'readAt' in value && value.readAt ? Date.parse(value.readAt) : NaN;
        expect(Math.abs(sandboxNow - readAt)).toBeLessThan(5 * 60_000);
      }
      await feed.close();
      // The key detail (and `show`) reads last use with the row: in the account's time too.
      const detail = await source.loadDetail(rows.find((row) => row.aliases.includes('alias/app/payments-db'))!);
      const read = detail.row.lastUsage;
      expect(Math.abs(sandboxNow - Date.parse('readAt' in read && read.readAt ? read.readAt : ''))).toBeLessThan(5 * 60_000);
    } finally {
      if (previousHome === undefined) delete process.env.KEYWARDEN_HOME;
      else process.env.KEYWARDEN_HOME = previousHome;
      await endpoint.close();
    }
  }, 60_000);
});

sandboxOnly('last use next to another client of the account', () => {
  it('learns what the other client leaves of GetKeyLastUsage: throttled only while finding it out, then never, at nearly all that is left', async () => {
    // A faster account (quotas × 4: GetKeyLastUsage 20/s) so a few hundred keys take seconds; the
    // other client uses half of it, for the whole read. keywarden cannot know the other client's
    // share before its first throttles; once it has seen them it must not be throttled again.
    const scale = 4;
    const sandbox = await startSandbox({ port: 0, largeEstate: 150, quotaScale: scale, workloads: false });
    const clients = createClients({ regions: [REGION], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, quotaScale: scale });
    const source = new AwsKeySource(clients);
    const feed = source.lastUseFeed({ perSecond: 5 * scale }) as LastUseReader;
    try {
      const rows = await rowsOf(source);
      sandbox.faults.competitor = { share: 0.5, operations: ['GetKeyLastUsage'] };
      await new Promise((resolve) => setTimeout(resolve, 1_200)); // the sandbox's bucket full, as on a quiet second
      sandbox.clearRequests();
      const seen = new Set<string>();
      const paces: number[] = [];
      feed.subscribe(() => {
        for (const value of feed.snapshot().values.values()) seen.add(value.kind);
        const { progress } = feed.snapshot();
        if (progress.done < progress.total) paces.push(progress.perSecond);
      });
      feed.setRows(rows);
      await feed.idle();
      const described = rows.filter((row) => row.metadata);
      expect(described.length).toBeGreaterThan(150);
      // The header's pace (and time left) is the pace read at: 20/s at first, then what is left.
      expect(paces[0]).toBe(20);
      expect(paces.at(-1)).toBeGreaterThan(8);
      expect(paces.at(-1)).toBeLessThan(10.5);
      for (const row of described) expect(feed.snapshot().values.get(row.arn)?.kind, row.arn).toMatch(/^(used|never|not-since-tracking)$/);
      expect(seen.has('error')).toBe(false);
      const calls = lastUseCalls(sandbox.requests()).sort((a, b) => a.receivedAt - b.receivedAt);
      const start = calls[0]!.receivedAt;
      const throttled = calls.filter((c) => c.errorCode === 'ThrottlingException').map((c) => c.receivedAt - start);
      // Finding out what is left takes a few throttles in the first seconds (at the full 20/s the
      // sandbox's second's worth of burst lasts 2 s); after that, none at all.
      expect(throttled.length).toBeGreaterThan(0);
      expect(throttled.length).toBeLessThanOrEqual(4);
      expect(throttled.filter((ms) => ms > 5_000)).toEqual([]);
      // …and what is left is used: after the first 5 s, at least 85% of 10/s.
      const answered = calls.filter((c) => !c.errorCode && c.receivedAt - start > 5_000).map((c) => c.receivedAt);
      expect(answered.length).toBeGreaterThan(50);
      expect((answered.length - 1) / ((answered.at(-1)! - answered[0]!) / 1000)).toBeGreaterThanOrEqual(10 * 0.85);
    } finally {
      await feed.close();
      clients.destroy();
      await sandbox.close();
    }
  }, 60_000);
});
