// The background reader of key policies and grants over HTTP against the sandbox: every
// customer-managed key ends with its policy and grants, at no more than ListGrants' 100 requests
// per second (measured where the requests arrive), in the operator's order, through throttling,
// and reused from disk for an hour. Rows with them carry the same findings as the key detail.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccessReader } from '../../src/aws/access-reader.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { DiskAccessStore } from '../../src/app/access-cache.js';
import { DEFAULT_THRESHOLDS, findingsForKey, rowFindings } from '../../src/domain/findings.js';
import type { KeyRow } from '../../src/domain/key.js';
import type { RequestLogEntry } from '../../src/sandbox/index.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const sandboxOnly = externalEndpoint ? describe.skip : describe;
const REGION = 'us-east-1';

async function rowsOf(source: AwsKeySource): Promise<KeyRow[]> {
  const rows: KeyRow[] = [];
  await source.loadInventory({ onRows: (batch) => rows.push(...batch), onProgress: () => undefined });
  return rows;
}

const calls = (requests: RequestLogEntry[], operation: string) => requests.filter((r) => r.operation === operation);

sandboxOnly('policies and grants, read in the background', () => {
  let endpoint: TestEndpoint;
  let rows: KeyRow[];
  let customer: KeyRow[];
  let readers: AccessReader[] = [];
  let previousHome: string | undefined;
  const reader = (source: AwsKeySource, options: ConstructorParameters<typeof AccessReader>[1] = {}) => {
    const made = source.accessFeed(options) as AccessReader;
    readers.push(made);
    return made;
  };

  beforeAll(async () => {
    endpoint = await openEndpoint();
    rows = await rowsOf(new AwsKeySource(endpoint.clients([REGION])));
    customer = rows.filter((r) => r.metadata && r.metadata.keyManager === 'CUSTOMER');
  });
  afterAll(async () => {
    await endpoint.close();
  });
  beforeEach(async () => {
    previousHome = process.env.KEYWARDEN_HOME;
    process.env.KEYWARDEN_HOME = await mkdtemp(path.join(tmpdir(), 'kw-access-'));
    endpoint.sandbox!.clearRequests();
  });
  afterEach(async () => {
    await Promise.all(readers.map((r) => r.close()));
    readers = [];
    endpoint.sandbox!.faults.throttle = undefined;
    if (previousHome === undefined) delete process.env.KEYWARDEN_HOME;
    else process.env.KEYWARDEN_HOME = previousHome;
  });

  it('reads every customer-managed key once, AWS managed keys never, in the operator\'s order', async () => {
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source, { maxInFlight: 1 });
    const selected = customer[3]!.arn;
    const visible = [customer[5]!.arn, customer[1]!.arn];
    feed.focus(selected, visible);
    feed.setRows(rows);
    await feed.idle();
    const { values, progress } = feed.snapshot();
    expect([...values.keys()].sort()).toEqual(customer.map((r) => r.arn).sort());
    expect(progress).toMatchObject({ done: customer.length, total: customer.length });
    const grantCalls = calls(endpoint.sandbox!.requests(), 'ListGrants');
    expect(grantCalls.length).toBe(customer.length);
    expect(calls(endpoint.sandbox!.requests(), 'GetKeyPolicy').length).toBe(customer.length);
    const order = grantCalls.map((c) => (c.params as { KeyId: string }).KeyId);
    expect(order.slice(0, 3)).toEqual([selected, ...visible]);
  });

  it('a row with its policy and grants has exactly the key detail\'s findings (FIND agrees with the Findings tab)', async () => {
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source);
    feed.setRows(rows);
    await feed.idle();
    const { values } = feed.snapshot();
    const now = endpoint.sandbox!.now();
    for (const row of customer) {
      const detail = await source.loadDetail(row);
      // The detail's row is read again; compare with the same last use on both sides.
      const withAccess = { ...detail.row, access: values.get(row.arn)! };
      expect(rowFindings(withAccess, DEFAULT_THRESHOLDS, now)).toEqual(findingsForKey({ key: detail, now, thresholds: DEFAULT_THRESHOLDS, account: '' }));
    }
  });

  it('a throttled read goes back in the queue: every key still ends with its policy and grants, none a problem', async () => {
    endpoint.sandbox!.faults.throttle = { operations: ['ListGrants'], count: 30 };
    const source = new AwsKeySource(endpoint.clients([REGION]));
    const feed = reader(source, { backoffMs: () => 20 });
    feed.setRows(rows);
    await feed.idle();
    const { values } = feed.snapshot();
    expect(values.size).toBe(customer.length);
    for (const value of values.values()) expect(Array.isArray(value.grants)).toBe(true);
    expect(calls(endpoint.sandbox!.requests(), 'ListGrants').filter((c) => c.errorCode === 'ThrottlingException').length).toBeGreaterThan(0);
  });

  it('never faster than 100 ListGrants per second as the sandbox receives them', async () => {
    const source = new AwsKeySource(endpoint.clients([REGION]));
    // Every key read 4 times over (forced), so the pace is measured over more than a second's worth.
    const feed = reader(source);
    feed.setRows(rows);
    await feed.idle();
    for (let round = 0; round < 4; round += 1) {
      for (const row of customer) feed.reread(row.arn);
      await feed.idle();
    }
    const times = calls(endpoint.sandbox!.requests(), 'ListGrants').map((c) => c.receivedAt).sort((a, b) => a - b);
    expect(times.length).toBe(customer.length * 5);
    // A token bucket like AWS's (100/s, a second's worth of burst) never runs dry.
    let tokens = 100;
    let last = times[0]!;
    for (const at of times) {
      tokens = Math.min(100, tokens + ((at - last) / 1000) * 100) - 1;
      last = at;
      expect(tokens).toBeGreaterThanOrEqual(0);
    }
  });

  it('values read less than an hour ago are reused from disk; older ones are read again', async () => {
    let clock = endpoint.sandbox!.now().getTime();
    const now = () => new Date(clock);
    const make = () => reader(new AwsKeySource(endpoint.clients([REGION])), { store: new DiskAccessStore(async () => '111122223333', 'sandbox'), now, saveDelayMs: 10 });
    const first = make();
    first.setRows(rows);
    await first.idle();
    await first.close();
    expect(calls(endpoint.sandbox!.requests(), 'ListGrants').length).toBe(customer.length);

    endpoint.sandbox!.clearRequests();
    clock += 30 * 60_000;
    const second = make();
    second.setRows(rows);
    await second.idle();
    expect(second.snapshot().values.size).toBe(customer.length);
    expect(calls(endpoint.sandbox!.requests(), 'ListGrants')).toEqual([]);
    await second.close();

    clock += 31 * 60_000;
    const third = make();
    third.setRows(rows);
    await third.idle();
    expect(calls(endpoint.sandbox!.requests(), 'ListGrants').length).toBe(customer.length);
  });
});
