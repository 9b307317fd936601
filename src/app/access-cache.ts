// Key policies and grants on disk, per account, endpoint and region (keyed like the last-use
// cache in src/app/last-use-cache.ts, in the same private directory, files 0600), each with the
// time it was read: ListGrants allows 100 requests per second (KMS.md §7.1), so a value read less
// than an hour ago is reused by the next run instead of being asked again. Only values read in
// full are kept (a part that could not be read is asked again). A value whose ARN names another
// account or region is dropped on reading; a file that cannot be read is ignored.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { KeyAccess } from '../domain/key.js';
import type { AccessStore } from '../domain/source.js';
import { readRecord, writeRecord } from '../journal/atomic-record.js';
import { DiskRegionStore } from './region-store.js';
import { inventoryCacheDir, type CacheScope } from './inventory-cache.js';

const ACCESS_VERSION = 1;

const context = z.record(z.string(), z.string());
const grantSchema = z.object({
  grantId: z.string(),
  keyId: z.string(),
  name: z.string().optional(),
  creationDate: z.string().optional(),
  granteePrincipal: z.string().optional(),
  retiringPrincipal: z.string().optional(),
  issuingAccount: z.string().optional(),
  operations: z.array(z.string()),
  constraints: z.object({ encryptionContextSubset: context.optional(), encryptionContextEquals: context.optional(), sourceArn: z.string().optional() }).optional(),
});

const valueSchema = z.object({ policy: z.string(), grants: z.array(grantSchema), readAt: z.string() });

const fileSchema = z.object({
  version: z.literal(ACCESS_VERSION),
  account: z.string(),
  endpoint: z.string(),
  region: z.string(),
  values: z.record(z.string(), valueSchema),
});

export function accessCacheFile(scope: CacheScope): string {
  const digest = createHash('sha256').update(`${scope.account}\n${scope.endpoint}\n${scope.region}`).digest('hex').slice(0, 24);
  return path.join(inventoryCacheDir(), `${scope.account}-${scope.region}-${digest}.access.json`);
}

function arnIn(arn: string, scope: CacheScope): boolean {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[2] === 'kms' && parts[3] === scope.region && parts[4] === scope.account;
}

/** Drops the keys zod leaves as undefined, so a value read back equals the value written. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export async function readAccessCache(scope: CacheScope): Promise<Map<string, KeyAccess>> {
  const read = await readRecord(accessCacheFile(scope), fileSchema);
  const out = new Map<string, KeyAccess>();
  if (!read.ok) return out;
  const file = read.value;
  if (file.account !== scope.account || file.endpoint !== scope.endpoint || file.region !== scope.region) return out;
  for (const [arn, value] of Object.entries(file.values)) if (arnIn(arn, scope)) out.set(arn, withoutUndefined(value) as KeyAccess);
  return out;
}

export async function writeAccessCache(scope: CacheScope, values: ReadonlyMap<string, KeyAccess>): Promise<void> {
  const own = Object.fromEntries([...values].filter(([arn, value]) => arnIn(arn, scope) && typeof value.policy === 'string' && Array.isArray(value.grants) && value.readAt));
  await writeRecord(accessCacheFile(scope), { version: ACCESS_VERSION, account: scope.account, endpoint: scope.endpoint, region: scope.region, values: own });
}

/** The store for one account and endpoint (see DiskRegionStore). */
export class DiskAccessStore extends DiskRegionStore<KeyAccess> implements AccessStore {
  constructor(account: () => Promise<string>, endpoint: string) {
    super(account, endpoint, readAccessCache, writeAccessCache);
  }
}

/**
 * Drops one key's policy and grants from the disk cache after keywarden changed them (PutKeyPolicy,
 * RevokeGrant, RetireGrant), so the next run reads them again instead of showing findings an hour stale.
 */
export async function forgetAccess(endpoint: string, account: string, key: { arn: string; region: string }): Promise<void> {
  const store = new DiskAccessStore(async () => account, endpoint);
  try {
    const values = await store.load(key.region);
    if (values.delete(key.arn)) await store.save(key.region, values);
  } catch {
    // A cache that cannot be rewritten only costs a stale hour; the change itself is made and journalled.
  }
}
