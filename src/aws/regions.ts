// `--all-regions`: the regions enabled for the account (EC2 DescribeRegions). The EC2 client is
// large, so this module is imported only when the flag is given.

import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { KeywardenError } from '../domain/errors.js';
import { isValidRegionName, sharedClientConfig, type ConnectOptions } from './clients.js';
import { makeClient } from './endpoint-guard.js';
import { toDomainError } from './errors.js';

export type RegionQuery = Omit<ConnectOptions, 'regions' | 'readOnly'> & {
  /** The region to ask (any enabled region answers for the whole account). */
  region: string;
};

/**
 * Every region the account can use: those that need no opt-in and the opt-in regions it has
 * opted into, sorted. A region that is listed but later refuses KMS calls is marked by the
 * inventory, not here. The client is configured like every other (src/aws/clients.ts) but built
 * here, so the large EC2 package loads only with --all-regions; DescribeRegions only reads.
 */
export async function listEnabledRegions(query: RegionQuery): Promise<string[]> {
  const client = makeClient(EC2Client, { ...sharedClientConfig({ maxAttempts: 5, ...query }), region: query.region }, { allowInsecure: query.allowInsecureEndpoint ?? false });
  try {
    const out = await client.send(new DescribeRegionsCommand({ AllRegions: false }));
    const regions = (out.Regions ?? [])
      .filter((r) => r.OptInStatus === undefined || r.OptInStatus === 'opt-in-not-required' || r.OptInStatus === 'opted-in')
      .map((r) => r.RegionName ?? '')
      .filter(isValidRegionName)
      .sort();
    if (regions.length === 0) throw new KeywardenError('aws', 'DescribeRegions listed no enabled region');
    return regions;
  } catch (error) {
    throw toDomainError(error, '--all-regions: listing the enabled regions (EC2 DescribeRegions)');
  } finally {
    client.destroy();
  }
}
