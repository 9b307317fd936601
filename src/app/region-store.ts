// A per-Region store kept on disk for one account (asked of STS when first needed) and endpoint:
// the shape the background readers (last use, policies and grants) save their values in.
// Without an account id nothing is read or written.

import type { CacheScope } from './inventory-cache.js';

export class DiskRegionStore<T> {
  constructor(
    private readonly account: () => Promise<string>,
    /** "aws", "sandbox" or the endpoint URL (see CacheScope). */
    private readonly endpoint: string,
    private readonly read: (scope: CacheScope) => Promise<Map<string, T>>,
    private readonly write: (scope: CacheScope, values: ReadonlyMap<string, T>) => Promise<void>,
  ) {}

  private async scope(region: string): Promise<CacheScope | undefined> {
    const account = await this.account().catch(() => '');
    return account ? { account, endpoint: this.endpoint, region } : undefined;
  }

  async load(region: string): Promise<Map<string, T>> {
    const scope = await this.scope(region);
    return scope ? this.read(scope) : new Map();
  }

  async save(region: string, values: ReadonlyMap<string, T>): Promise<void> {
    const scope = await this.scope(region);
    if (scope) await this.write(scope, values);
  }
}
