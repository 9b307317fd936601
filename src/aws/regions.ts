// `--all-regions`: the regions enabled for the account (EC2 DescribeRegions). The EC2 client is
// large, so this module is imported only when the flag is given.

import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { KeywardenError } from '../domain/errors.js';
import { isValidRegionName, parseEndpoint, type StaticCredentials } from './clients.js';
import { toDomainError } from './errors.js';

export interface RegionQuery {
  /** The region to ask (any enabled region answers for the whole account). */
  region: string;
  profile?: string;
  endpoint?: string;
  credentials?: StaticCredentials;
  /** The operator accepted plain HTTP to a host that is not this machine (--allow-insecure-endpoint). */
  allowInsecureEndpoint?: boolean;
}

/**
 * Every region the account can use: those that need no opt-in and the opt-in regions it has
 * opted into, sorted. A region that is listed but later refuses KMS calls is marked by the
 * inventory, not here.
 */
export async function listEnabledRegions(query: RegionQuery): Promise<string[]> {
  const client = new EC2Client({
    region: query.region,
    ...(query.profile ? { profile: query.profile } : {}),
    ...(query.endpoint ? { endpoint: parseEndpoint(query.endpoint, { allowInsecure: query.allowInsecureEndpoint ?? false }).toString().replace(/\/$/, '') } : {}),
    ...(query.credentials ? { credentials: query.credentials } : {}),
    retryMode: 'standard',
    maxAttempts: 5,
  });
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
