import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadLastUsage } from '../domain/last-use.js';
import { DiskLastUseStore, lastUseCacheFile, readLastUseCache, writeLastUseCache } from './last-use-cache.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const scope = { account: ACCOUNT, endpoint: 'aws', region: 'eu-west-1' };
const arn = (account: string, region: string, id: string) => `arn:aws:kms:${region}:${account}:key/${id}`;
const used: ReadLastUsage = { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-20T08:01:44.000Z', trackingStartDate: '2025-01-01T00:00:00.000Z', readAt: '2026-12-07T01:00:00.000Z' };
const never: ReadLastUsage = { kind: 'never', trackingStartDate: '2026-05-01T00:00:00.000Z', readAt: '2026-12-07T01:00:00.000Z' };

let previousHome: string | undefined;
beforeEach(async () => {
  previousHome = process.env.KEYWARDEN_HOME;
  process.env.KEYWARDEN_HOME = await mkdtemp(path.join(tmpdir(), 'kw-last-use-cache-'));
});
afterEach(() => {
  if (previousHome === undefined) delete process.env.KEYWARDEN_HOME;
  else process.env.KEYWARDEN_HOME = previousHome;
});

describe('last-use cache', () => {
  it('writes values with their read time (0600) and reads them back for the same account, endpoint and region', async () => {
    const values = new Map<string, ReadLastUsage>([
      [arn(ACCOUNT, 'eu-west-1', 'a'), used],
      [arn(ACCOUNT, 'eu-west-1', 'b'), never],
    ]);
    await writeLastUseCache(scope, values);
    expect((await stat(lastUseCacheFile(scope))).mode & 0o777).toBe(0o600);
    expect(await readLastUseCache(scope)).toEqual(values);
    expect(await readLastUseCache({ ...scope, endpoint: 'sandbox' })).toEqual(new Map());
    expect(await readLastUseCache({ ...scope, account: OTHER })).toEqual(new Map());
  });

  it('keeps where a value came from: a use found in the trail stays labelled after a restart', async () => {
    const fromTrail: ReadLastUsage = { kind: 'used', operation: 'Encrypt', timestamp: '2026-11-21T09:00:00Z', readAt: '2026-12-07T01:00:00.000Z', source: 'trail' };
    const values = new Map<string, ReadLastUsage>([[arn(ACCOUNT, 'eu-west-1', 'c'), fromTrail]]);
    await writeLastUseCache(scope, values);
    expect((await readLastUseCache(scope)).get(arn(ACCOUNT, 'eu-west-1', 'c'))).toEqual(fromTrail);
  });

  it('never keeps errors, nor keys of another account or region', async () => {
    await writeLastUseCache(
      scope,
      new Map<string, ReadLastUsage>([
        [arn(ACCOUNT, 'eu-west-1', 'a'), used],
        [arn(ACCOUNT, 'eu-west-1', 'denied'), { kind: 'error', message: 'access denied', readAt: '2026-12-07T01:00:00.000Z' }],
        [arn(OTHER, 'eu-west-1', 'foreign'), used],
        [arn(ACCOUNT, 'us-east-1', 'elsewhere'), used],
      ]),
    );
    expect([...(await readLastUseCache(scope)).keys()]).toEqual([arn(ACCOUNT, 'eu-west-1', 'a')]);
    // A file edited to smuggle in another account's key: dropped on reading.
    const file = lastUseCacheFile(scope);
    const text = JSON.parse(await readFile(file, 'utf8')) as { values: Record<string, unknown> };
    text.values[arn(OTHER, 'eu-west-1', 'x')] = used;
    await writeFile(file, JSON.stringify(text));
    expect([...(await readLastUseCache(scope)).keys()]).toEqual([arn(ACCOUNT, 'eu-west-1', 'a')]);
  });

  it('ignores a file that is not what it should be, and leaves it in place', async () => {
    await writeLastUseCache(scope, new Map([[arn(ACCOUNT, 'eu-west-1', 'a'), used]]));
    await writeFile(lastUseCacheFile(scope), '{"version": 1, "values": ');
    expect(await readLastUseCache(scope)).toEqual(new Map());
    expect(await readFile(lastUseCacheFile(scope), 'utf8')).toBe('{"version": 1, "values": ');
  });

  it('the store keys by the account STS names; without one it reads and writes nothing', async () => {
    const store = new DiskLastUseStore(async () => ACCOUNT, 'aws');
    await store.save('eu-west-1', new Map([[arn(ACCOUNT, 'eu-west-1', 'a'), used]]));
    expect(await store.load('eu-west-1')).toEqual(new Map([[arn(ACCOUNT, 'eu-west-1', 'a'), used]]));
    const nobody = new DiskLastUseStore(async () => {
      throw new Error('no credentials');
    }, 'aws');
    await nobody.save('eu-west-1', new Map([[arn(ACCOUNT, 'eu-west-1', 'b'), never]]));
    expect(await nobody.load('eu-west-1')).toEqual(new Map());
    expect(await store.load('eu-west-1')).toEqual(new Map([[arn(ACCOUNT, 'eu-west-1', 'a'), used]]));
  });
});
