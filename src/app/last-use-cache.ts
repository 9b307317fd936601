// Last-use values on disk, per account, endpoint and region (keyed like the inventory cache in
// src/app/inventory-cache.ts, in the same private directory, files 0600), each with the time it
// was read: GetKeyLastUsage allows 5 requests per second (KMS.md §7.1), so a value read less than
// an hour ago is reused by the next run instead of being asked again. A value whose ARN names
// another account or region is dropped on reading; a file that cannot be read is ignored.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { ReadLastUsage } from '../domain/last-use.js';
import type { LastUseStore } from '../domain/source.js';
import { readRecord, writeRecord } from '../journal/atomic-record.js';
import { DiskRegionStore } from './region-store.js';
import { inventoryCacheDir, type CacheScope } from './inventory-cache.js';

const LAST_USE_VERSION = 1;

const valueSchema = z.union([
  z.object({
    kind: z.literal('used'),
    operation: z.string(),
    timestamp: z.string(),
    trackingStartDate: z.string().optional(),
    cloudTrailEventId: z.string().optional(),
    readAt: z.string(),
    source: z.literal('trail').optional(),
  }),
  z.object({ kind: z.literal('never'), trackingStartDate: z.string(), readAt: z.string() }),
  z.object({ kind: z.literal('not-since-tracking'), trackingStartDate: z.string(), readAt: z.string() }),
]);

const fileSchema = z.object({
  version: z.literal(LAST_USE_VERSION),
  account: z.string(),
  endpoint: z.string(),
  region: z.string(),
  values: z.record(z.string(), valueSchema),
});

export function lastUseCacheFile(scope: CacheScope): string {
  const digest = createHash('sha256').update(`${scope.account}\n${scope.endpoint}\n${scope.region}`).digest('hex').slice(0, 24);
  return path.join(inventoryCacheDir(), `${scope.account}-${scope.region}-${digest}.last-use.json`);
}

function arnIn(arn: string, scope: CacheScope): boolean {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[2] === 'kms' && parts[3] === scope.region && parts[4] === scope.account;
}

export async function readLastUseCache(scope: CacheScope): Promise<Map<string, ReadLastUsage>> {
  const read = await readRecord(lastUseCacheFile(scope), fileSchema);
  const out = new Map<string, ReadLastUsage>();
  if (!read.ok) return out;
  const file = read.value;
  if (file.account !== scope.account || file.endpoint !== scope.endpoint || file.region !== scope.region) return out;
  for (const [arn, value] of Object.entries(file.values)) {
    if (!arnIn(arn, scope)) continue;
    const clean = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as ReadLastUsage;
    out.set(arn, clean);
  }
  return out;
}

export async function writeLastUseCache(scope: CacheScope, values: ReadonlyMap<string, ReadLastUsage>): Promise<void> {
  const own = Object.fromEntries([...values].filter(([arn, value]) => arnIn(arn, scope) && value.kind !== 'error'));
  await writeRecord(lastUseCacheFile(scope), { version: LAST_USE_VERSION, account: scope.account, endpoint: scope.endpoint, region: scope.region, values: own });
}

/** The store for one account and endpoint (see DiskRegionStore). */
export class DiskLastUseStore extends DiskRegionStore<ReadLastUsage> implements LastUseStore {
  constructor(account: () => Promise<string>, endpoint: string) {
    super(account, endpoint, readLastUseCache, writeLastUseCache);
  }
}
