import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallerIdentity, KeyRow } from '../domain/key.js';
import type { InventoryHandlers, KeySource, RegionProgress } from '../domain/source.js';
import { ACCOUNT, REGION, ebsRow, fargateRow } from '../../test/helpers/kms-fixtures.js';
import { CachingKeySource, cacheEndpointKey, inventoryCacheFile, readInventoryCache, writeInventoryCache } from './inventory-cache.js';

const OTHER_ACCOUNT = '444455556666';
const scope = { account: ACCOUNT, endpoint: 'aws', region: REGION };

let previousHome: string | undefined;
beforeEach(async () => {
  previousHome = process.env.KEYWARDEN_HOME;
  process.env.KEYWARDEN_HOME = await mkdtemp(path.join(tmpdir(), 'kw-cache-'));
});
afterEach(() => {
  if (previousHome === undefined) delete process.env.KEYWARDEN_HOME;
  else process.env.KEYWARDEN_HOME = previousHome;
});

/** A KeySource over fixed rows (the UI port; no AWS). */
function fixedSource(account: string, rows: KeyRow[], progress: RegionProgress[] = [{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]): KeySource {
  const identity: CallerIdentity = { account, arn: `arn:aws:sts::${account}:assumed-role/Operator/alice`, userId: 'AROA:alice' };
  return {
    regions: [REGION],
    identity: async () => identity,
    async loadInventory(handlers: InventoryHandlers) {
      handlers.onRows(rows);
      handlers.onProgress(progress);
    },
    loadDetail: async () => {
      throw new Error('not used');
    },
  };
}

describe('inventory cache', () => {
  it('is written after a load (0600) and read back for the same account, endpoint and region', async () => {
    const source = new CachingKeySource(fixedSource(ACCOUNT, [ebsRow, fargateRow]), 'aws');
    await source.loadInventory({ onRows() {}, onProgress() {} });
    const file = inventoryCacheFile(scope);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const cached = await new CachingKeySource(fixedSource(ACCOUNT, []), 'aws').cachedInventory();
    expect(cached?.rows.map((r) => r.arn).sort()).toEqual([ebsRow.arn, fargateRow.arn].sort());
    expect(cached?.rows.find((r) => r.arn === ebsRow.arn)).toEqual(ebsRow);
    expect(cached?.notices).toEqual([]);
  });

  it('never shows another account\'s keys, nor the same account id behind another endpoint', async () => {
    await writeInventoryCache(scope, [ebsRow, fargateRow]);
    expect(await new CachingKeySource(fixedSource(OTHER_ACCOUNT, []), 'aws').cachedInventory()).toBeUndefined();
    // The sandbox's account id is a real-looking one: its cache must not show against AWS, or the other way round.
    expect(await new CachingKeySource(fixedSource(ACCOUNT, []), 'sandbox').cachedInventory()).toBeUndefined();
    expect(await new CachingKeySource(fixedSource(ACCOUNT, []), 'http://127.0.0.1:4566').cachedInventory()).toBeUndefined();
    expect(cacheEndpointKey({ sandbox: true, endpoint: 'http://127.0.0.1:40123' })).toBe('sandbox');
    expect(cacheEndpointKey({ sandbox: false })).toBe('aws');
  });

  it('drops rows of another account or region even when they are inside the right file', async () => {
    const foreign: KeyRow = { ...ebsRow, keyId: 'f0', arn: ebsRow.arn.replace(ACCOUNT, OTHER_ACCOUNT) };
    const file = inventoryCacheFile(scope);
    await writeInventoryCache(scope, [ebsRow]);
    const record = JSON.parse(await readFile(file, 'utf8')) as { rows: KeyRow[] };
    record.rows.push(foreign, { ...fargateRow, arn: fargateRow.arn.replace(REGION, 'us-east-1') });
    await writeFile(file, JSON.stringify(record));
    const read = await readInventoryCache(scope);
    expect(read.ok && read.rows.map((r) => r.arn)).toEqual([ebsRow.arn]);
  });

  it('ignores a corrupt or unreadable file with a notice, never failing', async () => {
    const file = inventoryCacheFile(scope);
    await writeInventoryCache(scope, [ebsRow]);
    await writeFile(file, '{"version": 1, "rows": [tru');
    const cached = await new CachingKeySource(fixedSource(ACCOUNT, []), 'aws').cachedInventory();
    expect(cached?.rows).toEqual([]);
    expect(cached?.notices[0]).toMatch(/inventory cache ignored: .* is not valid JSON/);
    await writeFile(file, JSON.stringify({ version: 1, account: ACCOUNT, endpoint: 'aws', region: REGION, savedAt: 'x', rows: [{ arn: 1 }] }));
    expect((await readInventoryCache(scope)).ok).toBe(false);
    if (process.getuid?.() !== 0) {
      await chmod(file, 0o000);
      const unreadable = await readInventoryCache(scope);
      expect(unreadable).toMatchObject({ ok: false, notice: expect.stringMatching(/cannot be read/) });
    }
  });

  it('keeps the previous cache of a region whose fresh load failed', async () => {
    await writeInventoryCache(scope, [ebsRow]);
    const failing = new CachingKeySource(fixedSource(ACCOUNT, [], [{ region: REGION, listed: 0, loaded: 0, done: true, error: 'access denied' }]), 'aws');
    await failing.loadInventory({ onRows() {}, onProgress() {} });
    const read = await readInventoryCache(scope);
    expect(read.ok && read.rows.map((r) => r.arn)).toEqual([ebsRow.arn]);
  });
});
