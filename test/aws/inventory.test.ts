import { CreateKeyCommand, EncryptCommand, ListKeysCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKeySource, resolveKey } from '../../src/aws/inventory.js';
import { KeywardenError } from '../../src/domain/errors.js';
import type { KeyRow } from '../../src/domain/key.js';
import type { RegionProgress } from '../../src/domain/source.js';
import { externalEndpoint, openEndpoint, type TestEndpoint, servesKms } from '../helpers/endpoint.js';

const sandboxOnly = externalEndpoint ? it.skip : it;
// A third-party endpoint may not serve GetKeyLastUsage (added to KMS in 2025).
const withLastUse = it.skipIf(!(await servesKms('GetKeyLastUsage')));

async function inventory(source: AwsKeySource): Promise<{ rows: KeyRow[]; batches: number; progress: RegionProgress[] }> {
  const rows: KeyRow[] = [];
  let batches = 0;
  let progress: RegionProgress[] = [];
  await source.loadInventory({
    onRows(batch) {
      batches += 1;
      rows.push(...batch);
    },
    onProgress(p) {
      progress = p;
    },
  });
  return { rows, batches, progress };
}

describe('inventory over HTTP', () => {
  let endpoint: TestEndpoint;
  beforeAll(async () => {
    endpoint = await openEndpoint();
  });
  afterAll(async () => {
    await endpoint.close();
  });

  it('lists every key of the region exactly once, with aliases, rotation and last use', async () => {
    const clients = endpoint.clients(['us-east-1']);
    const source = new AwsKeySource(clients);
    const { rows, progress } = await inventory(source);
    const listed = await clients.kms('us-east-1').send(new ListKeysCommand({ Limit: 1000 }));
    expect(new Set(rows.map((r) => r.arn)).size).toBe(rows.length);
    expect(rows.map((r) => r.arn).sort()).toEqual((listed.Keys ?? []).map((k) => k.KeyArn).sort());
    expect(progress).toEqual([{ region: 'us-east-1', listed: rows.length, loaded: rows.length, done: true }]);
    for (const row of rows) {
      expect(row.problems).toEqual([]);
      expect(row.metadata?.arn).toBe(row.arn);
      expect(row.rotation.kind).not.toBe('error');
      expect(row.lastUsage.kind).not.toBe('error');
    }
  });

  sandboxOnly('reads the seeded estate the way an operator expects', async () => {
    endpoint.clearRequests();
    const source = new AwsKeySource(endpoint.clients(['us-east-1']));
    const { rows } = await inventory(source);
    const customer = rows.filter((r) => r.metadata?.keyManager === 'CUSTOMER');
    const managed = rows.filter((r) => r.metadata?.keyManager === 'AWS');
    expect(managed.length).toBeGreaterThan(0);
    expect(managed.some((r) => r.aliases.some((a) => a.startsWith('alias/aws/')))).toBe(true);
    expect(customer.some((r) => r.aliases.length > 1)).toBe(true);
    expect(customer.some((r) => r.tags.length > 0)).toBe(true);
    const asymmetric = customer.find((r) => r.metadata?.keySpec.startsWith('RSA'));
    expect(asymmetric?.rotation).toEqual({ kind: 'unsupported', reason: 'asymmetric keys cannot rotate automatically' });
    const hmac = customer.find((r) => r.metadata?.keySpec.startsWith('HMAC'));
    expect(hmac?.rotation.kind).toBe('unsupported');
    // Keys that cannot rotate are answered without asking AWS.
    const rotationCalls = endpoint.requests().filter((r) => r.operation === 'GetKeyRotationStatus');
    const asked = new Set(rotationCalls.map((r) => String((r.params as { KeyId: string }).KeyId)));
    expect(asked.has(asymmetric!.arn)).toBe(false);
    expect(asked.has(hmac!.arn)).toBe(false);
    expect(customer.some((r) => r.rotation.kind === 'enabled')).toBe(true);
    expect(customer.some((r) => r.rotation.kind === 'disabled')).toBe(true);
    const periods = new Set(customer.flatMap((r) => (r.rotation.kind === 'enabled' ? [r.rotation.periodDays] : [])));
    expect(periods.size).toBeGreaterThan(1);
    expect(customer.some((r) => r.metadata?.state === 'Disabled')).toBe(true);
    const pending = customer.find((r) => r.metadata?.state === 'PendingDeletion');
    expect(pending?.metadata?.deletionDate).toBeDefined();
    // Last use is read in the background (test/aws/last-use.test.ts), never while the rows load.
    expect(new Set(customer.map((r) => r.lastUsage.kind))).toEqual(new Set(['pending']));
    expect(endpoint.requests().filter((r) => r.operation === 'GetKeyLastUsage')).toEqual([]);
  });

  sandboxOnly('pages through a large estate without losing or repeating a key', async () => {
    const big = await openEndpoint({ largeEstate: 1100 });
    try {
      const source = new AwsKeySource(big.clients(['us-east-1']), { concurrency: 48 });
      const { rows, batches } = await inventory(source);
      expect(rows.length).toBeGreaterThan(1100);
      expect(new Set(rows.map((r) => r.arn)).size).toBe(rows.length);
      // Rows stream in batches rather than arriving all at once at the end.
      expect(batches).toBeGreaterThan(1);
      const listCalls = big.sandbox!.requests().filter((r) => r.operation === 'ListKeys');
      expect(listCalls.length).toBeGreaterThanOrEqual(2);
    } finally {
      await big.close();
    }
    // 3,300 requests through an in-process sandbox: minutes on a loaded machine, not a timing check.
  }, 120_000);

  sandboxOnly('survives throttling without losing rows', async () => {
    endpoint.sandbox!.faults.throttle = { rate: 0.3 };
    try {
      const source = new AwsKeySource(endpoint.clients(['us-east-1']));
      const { rows } = await inventory(source);
      const throttled = endpoint.requests().filter((r) => r.errorCode === 'ThrottlingException');
      expect(throttled.length).toBeGreaterThan(0);
      const clean = await inventory(new AwsKeySource(endpoint.clients(['us-east-1'])));
      expect(rows.length).toBe(clean.rows.length);
      for (const row of rows) expect(row.problems).toEqual([]);
    } finally {
      endpoint.sandbox!.faults.throttle = undefined;
    }
  });

  sandboxOnly('marks a key the caller may not describe as "no access" and loads the rest', async () => {
    const kms = endpoint.clients().kms('us-east-1');
    const created = await kms.send(new CreateKeyCommand({ Description: 'access-denied probe' }));
    const arn = created.KeyMetadata!.Arn!;
    endpoint.sandbox!.faults.accessDenied = [{ key: arn, operations: ['DescribeKey'] }];
    try {
      const { rows } = await inventory(new AwsKeySource(endpoint.clients(['us-east-1'])));
      const denied = rows.find((r) => r.arn === arn)!;
      expect(denied.metadata).toBeUndefined();
      expect(denied.problems).toEqual([expect.objectContaining({ what: 'DescribeKey', code: 'AccessDeniedException' })]);
      expect(denied.problems[0]!.message).toMatch(/access denied/);
      expect(rows.filter((r) => r.arn !== arn).every((r) => r.metadata !== undefined)).toBe(true);
    } finally {
      endpoint.sandbox!.faults.accessDenied = [];
    }
  });

  sandboxOnly('merges several regions into one inventory with the replica in its own region', async () => {
    const { rows, progress } = await inventory(new AwsKeySource(endpoint.clients(['us-east-1', 'eu-west-1'])));
    expect(progress.map((p) => p.region)).toEqual(['us-east-1', 'eu-west-1']);
    const replica = rows.find((r) => r.metadata?.multiRegionRole === 'REPLICA');
    expect(replica?.region).toBe('eu-west-1');
    const primary = rows.find((r) => r.metadata?.multiRegionRole === 'PRIMARY');
    expect(primary?.region).toBe('us-east-1');
    expect(primary?.metadata?.replicaKeys?.map((k) => k.arn)).toContain(replica!.arn);
  });

  withLastUse('reads last use against TrackingStartDate: a new key is "never", then "used"', async () => {
    const clients = endpoint.clients(['us-east-1']);
    const kms = clients.kms('us-east-1');
    const created = await kms.send(new CreateKeyCommand({ Description: 'keywarden test: last use' }));
    const arn = created.KeyMetadata!.Arn!;
    const source = new AwsKeySource(clients);
    try {
      const before = await source.loadDetail({ arn, region: 'us-east-1' });
      expect(before.row.lastUsage.kind).toBe('never');
      await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('hello') }));
      // AWS reports a use up to an hour later; the sandbox takes the whole hour (docs/sandbox.md 12a).
      if (endpoint.sandbox) await fetch(`${endpoint.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 3600 }) });
      const after = await source.loadDetail({ arn, region: 'us-east-1' });
      expect(after.row.lastUsage).toMatchObject({ kind: 'used', operation: 'Encrypt' });
    } finally {
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    }
  });

  sandboxOnly('loads the detail of a grant-holding key: grants with their service, policy, rotation history', async () => {
    const clients = endpoint.clients(['us-east-1']);
    const source = new AwsKeySource(clients);
    const { rows } = await inventory(source);
    let found = false;
    for (const row of rows.filter((r) => r.metadata?.keyManager === 'CUSTOMER')) {
      const detail = await source.loadDetail(row);
      expect(typeof detail.policy).toBe('string');
      expect(() => JSON.parse(detail.policy as string)).not.toThrow();
      // EC2's grant for an EBS volume (Fargate's ephemeral storage, seeded too, also names an EBS id).
      const grant = Array.isArray(detail.grants) ? detail.grants.find((g) => g.constraints?.encryptionContextSubset?.['aws:ebs:id'] && /aws:ec2-infrastructure/.test(g.granteePrincipal ?? '')) : undefined;
      if (grant) {
        found = true;
        expect(grant.operations).toContain('Decrypt');
        expect(Array.isArray(detail.rotations)).toBe(true);
        expect(detail.onDemandRotationsLeft).toBeLessThanOrEqual(25);
      }
    }
    expect(found).toBe(true);
  });

  sandboxOnly('resolves keys by alias (with or without alias/), id and ARN, and says when one is unknown', async () => {
    const clients = endpoint.clients(['us-east-1', 'eu-west-1']);
    const { rows } = await inventory(new AwsKeySource(clients));
    const withAlias = rows.find((r) => r.metadata?.keyManager === 'CUSTOMER' && r.aliases.length > 0)!;
    const alias = withAlias.aliases[0]!;
    expect(await resolveKey(clients, alias)).toEqual({ arn: withAlias.arn, region: withAlias.region });
    expect(await resolveKey(clients, alias.replace(/^alias\//, ''))).toEqual({ arn: withAlias.arn, region: withAlias.region });
    expect(await resolveKey(clients, withAlias.keyId)).toEqual({ arn: withAlias.arn, region: withAlias.region });
    expect(await resolveKey(clients, withAlias.arn)).toEqual({ arn: withAlias.arn, region: withAlias.region });
    const replica = rows.find((r) => r.metadata?.multiRegionRole === 'REPLICA')!;
    expect(await resolveKey(clients, replica.arn)).toEqual({ arn: replica.arn, region: 'eu-west-1' });
    const error = await resolveKey(clients, 'no-such-alias').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardenError);
    expect((error as KeywardenError).kind).toBe('not-found');
    expect((error as KeywardenError).message).toMatch(/no key "no-such-alias"/);
  });
});
