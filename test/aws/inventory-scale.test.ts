// The inventory under concurrency: every key exactly once across ListKeys pages and regions,
// with throttling injected on every KMS call; --all-regions with a region that fails.
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../src/aws/clients.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { listEnabledRegions } from '../../src/aws/regions.js';
import type { KeyRow } from '../../src/domain/key.js';
import type { RegionProgress } from '../../src/domain/source.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const describeSandbox = externalEndpoint ? describe.skip : describe;

async function inventory(source: AwsKeySource): Promise<{ rows: KeyRow[]; progress: RegionProgress[] }> {
  const rows: KeyRow[] = [];
  let progress: RegionProgress[] = [];
  await source.loadInventory({
    onRows: (batch) => rows.push(...batch),
    onProgress: (p) => {
      progress = p;
    },
  });
  return { rows, progress };
}

async function allArns(endpoint: TestEndpoint, region: string): Promise<string[]> {
  const kms = endpoint.clients([region]).kms(region);
  const arns: string[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }));
    arns.push(...(page.Keys ?? []).map((k) => k.KeyArn ?? ''));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return arns;
}

describeSandbox('inventory at scale, over HTTP', () => {
  let endpoint: TestEndpoint;
  beforeAll(async () => {
    // 40 generated keys beside the seeded ones, read in ListKeys pages of 20 (three pages in us-east-1).
    // Few keys on purpose: the test's length is the longest back-off chain, which grows with the calls made.
    endpoint = await openEndpoint({ largeEstate: 40, regionDown: ['me-south-1'] });
  });
  const cleanups: Array<() => void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) cleanup();
    await endpoint.close();
  });

  it('reads every key exactly once across pages and regions while a third of all KMS calls are throttled', async () => {
    const expected = [...(await allArns(endpoint, 'us-east-1')), ...(await allArns(endpoint, 'eu-west-1'))].sort();
    expect(expected.length).toBeGreaterThan(40);
    const sandbox = endpoint.sandbox!;
    sandbox.clearRequests();
    sandbox.faults.throttle = { rate: 0.3 };
    try {
      // Throttled calls wait out their back-off without holding a socket; a wide pool keeps the test short.
      // Three SDK attempts per call (not eight): the SDK's throttling back-off doubles from 500 ms up
      // to 20 s, so a long unlucky chain would make the test slow; retryThrottled's own rounds
      // (shorter) still have to carry every row through.
      const clients = createClients({ regions: ['us-east-1', 'eu-west-1'], endpoint: endpoint.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 3 });
      cleanups.push(() => clients.destroy());
      const { rows, progress } = await inventory(new AwsKeySource(clients, { concurrency: 200, pageSize: 20 }));
      const arns = rows.map((r) => r.arn);
      expect(new Set(arns).size).toBe(arns.length);
      expect([...arns].sort()).toEqual(expected);
      expect(progress.every((p) => p.done && !p.error && p.loaded === p.listed)).toBe(true);
      // No row lost its data to throttling: the SDK's retries and retryThrottled absorbed it.
      expect(rows.filter((r) => r.problems.length > 0)).toEqual([]);
      const log = sandbox.requests();
      expect(log.some((r) => r.errorCode === 'ThrottlingException')).toBe(true);
      expect(log.filter((r) => r.operation === 'ListKeys' && r.status === 200 && r.region === 'us-east-1').length).toBeGreaterThanOrEqual(3);
      // Each key was described successfully exactly once.
      const described = log.filter((r) => r.operation === 'DescribeKey' && r.status === 200).map((r) => String((r.params as { KeyId: string }).KeyId));
      expect(described.length).toBe(expected.length);
      expect(new Set(described).size).toBe(expected.length);
    } finally {
      delete sandbox.faults.throttle;
    }
  }, 30_000);

  it('--all-regions: lists the enabled regions, loads them in parallel and marks the one that fails', async () => {
    const regions = await listEnabledRegions({ region: 'us-east-1', endpoint: endpoint.url, credentials: SANDBOX_CREDENTIALS });
    expect(regions).toEqual(['ap-southeast-2', 'eu-central-1', 'eu-west-1', 'me-south-1', 'us-east-1', 'us-west-2']);
    const clients = endpoint.clients(regions);
    const { rows, progress } = await inventory(new AwsKeySource(clients, { concurrency: 64 }));
    const down = progress.find((p) => p.region === 'me-south-1');
    expect(down?.done).toBe(true);
    expect(down?.error).toMatch(/not enabled for this account.*UnrecognizedClientException: The security token included in the request is invalid\./);
    for (const p of progress.filter((p) => p.region !== 'me-south-1')) {
      expect(p.done).toBe(true);
      expect(p.error).toBeUndefined();
      expect(p.loaded).toBe(p.listed);
    }
    expect(rows.some((r) => r.region === 'eu-west-1')).toBe(true);
    expect(rows.filter((r) => r.region === 'us-east-1').length).toBeGreaterThan(40);
    expect(rows.some((r) => r.region === 'me-south-1')).toBe(false);
  }, 30_000);
});
