// EC2 (ec2 query protocol): DescribeRegions, so `--all-regions` can find the account's regions.
// The answer lists a few regions that need no opt-in and one opt-in region (me-south-1) that the
// account has opted into; the sandbox's default faults make KMS refuse calls there
// (`regionDown`), the way an opt-in region whose enablement is incomplete does.

import { xmlEscape, type QueryService } from './protocol.js';

export const SANDBOX_REGIONS: ReadonlyArray<{ name: string; optInStatus: 'opt-in-not-required' | 'opted-in' }> = [
  { name: 'us-east-1', optInStatus: 'opt-in-not-required' },
  { name: 'us-west-2', optInStatus: 'opt-in-not-required' },
  { name: 'eu-west-1', optInStatus: 'opt-in-not-required' },
  { name: 'eu-central-1', optInStatus: 'opt-in-not-required' },
  { name: 'ap-southeast-2', optInStatus: 'opt-in-not-required' },
  { name: 'me-south-1', optInStatus: 'opted-in' },
];

/** The opt-in region whose KMS refuses the sandbox's token until the fault is cleared. */
export const SANDBOX_DOWN_REGIONS: readonly string[] = ['me-south-1'];

export const ec2Service: QueryService = {
  name: 'ec2',
  xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  ec2Protocol: true,
  operations: {
    DescribeRegions: (_ctx, params) => {
      const wanted = Object.entries(params)
        .filter(([name]) => /^RegionName\.\d+$/.test(name))
        .map(([, value]) => value);
      const items = SANDBOX_REGIONS.filter((r) => wanted.length === 0 || wanted.includes(r.name))
        .map(
          (r) =>
            `<item><regionName>${xmlEscape(r.name)}</regionName><regionEndpoint>ec2.${xmlEscape(r.name)}.amazonaws.com</regionEndpoint><optInStatus>${r.optInStatus}</optInStatus></item>`,
        )
        .join('');
      return `<regionInfo>${items}</regionInfo>`;
    },
  },
};
