// Trail checks of the retirement (KMS.md §12): which CloudTrail trail delivers this region's KMS
// events to CloudWatch Logs, where keywarden's metric filter must go, and whether the trail that
// feeds the alarm still delivers. This file reads; src/domain/retirement-observation.ts judges.

import { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand, type GetTrailStatusCommandOutput, type Trail } from '@aws-sdk/client-cloudtrail';
import {
  eventSelectorProblem,
  logGroupFromArn,
  trailCoverageProblem,
  trailDeliveryProblems,
  trailStatusProblem,
  type TrailStatusFacts,
} from '../domain/retirement-observation.js';
import type { TrailCheck } from '../domain/retirement.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';

export interface TrailSeen {
  arn: string;
  name: string;
  group?: { name: string; region: string };
  /** Why it cannot see a use of a key in the region asked about. */
  problem?: string;
}

function statusFacts(status: GetTrailStatusCommandOutput): TrailStatusFacts {
  return {
    ...(status.IsLogging !== undefined ? { isLogging: status.IsLogging } : {}),
    ...(status.LatestCloudWatchLogsDeliveryError ? { deliveryError: status.LatestCloudWatchLogsDeliveryError } : {}),
    ...(status.LatestCloudWatchLogsDeliveryTime ? { lastDelivery: status.LatestCloudWatchLogsDeliveryTime } : {}),
  };
}

export class TrailChecks {
  constructor(
    private readonly clients: Clients,
    private readonly now: () => Date,
    /** The account whose keys are retired here, where the metric filter and alarm are made ('' when unknown). */
    private readonly account = '',
  ) {}

  /**
   * Trails that can see a use of a key in `region` (KMS.md §12): logging, covering the region,
   * delivering to CloudWatch Logs without errors, read-only management events from KMS included.
   */
  async findTrail(region: string): Promise<TrailCheck> {
    const trails = await this.trailsFor(region);
    const problems: string[] = [];
    for (const t of trails) {
      if (t.problem || !t.group) problems.push(`${t.name}: ${t.problem}`);
      else return { trail: { arn: t.arn, name: t.name, logGroupName: t.group.name, logGroupRegion: t.group.region }, problems };
    }
    if (trails.length === 0) problems.push(`no CloudTrail trail covers ${region}`);
    return { problems };
  }

  /** Every trail, with its CloudWatch Logs group and why it cannot see a use of a key in `region`. */
  async trailsFor(region: string): Promise<TrailSeen[]> {
    const trails: TrailSeen[] = [];
    for (const trail of await this.describeTrails(region)) {
      const problem = await this.trailProblem(trail, region);
      const group = trail.CloudWatchLogsLogGroupArn ? logGroupFromArn(trail.CloudWatchLogsLogGroupArn) : undefined;
      trails.push({ arn: trail.TrailARN ?? '', name: trail.Name ?? trail.TrailARN ?? '', ...(group ? { group } : {}), ...(problem ? { problem } : {}) });
    }
    return trails;
  }

  /** The regions of the log groups the trails deliver to, and `region` itself: where a watch of a key in `region` can be. */
  async watchRegions(region: string): Promise<string[]> {
    const regions = new Set([region]);
    for (const trail of await this.describeTrails(region)) {
      const group = trail.CloudWatchLogsLogGroupArn ? logGroupFromArn(trail.CloudWatchLogsLogGroupArn) : undefined;
      if (group) regions.add(group.region);
    }
    return [...regions];
  }

  /** Whether the trail that feeds the alarm still delivers (KMS.md §12): logging, CloudWatch Logs delivery recent and without error. */
  async deliveryProblems(trailArn: string): Promise<string[]> {
    const home = /^arn:aws[\w-]*:cloudtrail:([a-z0-9-]+):/.exec(trailArn)?.[1];
    const name = trailArn.split('/').pop() ?? trailArn;
    let status;
    try {
      status = await this.clients.cloudtrail(home ?? 'us-east-1').send(new GetTrailStatusCommand({ Name: trailArn }));
    } catch (error) {
      return [`the status of the trail ${name} that feeds the alarm cannot be read (${toDomainError(error, 'GetTrailStatus').message}): nobody can vouch that the alarm sees a use`];
    }
    return trailDeliveryProblems(name, statusFacts(status), this.now());
  }

  private async describeTrails(region: string): Promise<Trail[]> {
    const out = await this.clients.cloudtrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true })).catch((error: unknown) => {
      throw toDomainError(error, 'CloudTrail DescribeTrails');
    });
    return out.trailList ?? [];
  }

  private async trailProblem(trail: Trail, region: string): Promise<string | undefined> {
    const coverage = trailCoverageProblem(
      {
        name: trail.Name ?? '',
        ...(trail.IsMultiRegionTrail !== undefined ? { isMultiRegion: trail.IsMultiRegionTrail } : {}),
        ...(trail.HomeRegion ? { homeRegion: trail.HomeRegion } : {}),
        ...(trail.CloudWatchLogsLogGroupArn ? { logGroupArn: trail.CloudWatchLogsLogGroupArn } : {}),
      },
      region,
      this.account || undefined,
    );
    if (coverage) return coverage;
    const ct = this.clients.cloudtrail(trail.HomeRegion ?? region);
    const name = trail.TrailARN ?? trail.Name ?? '';
    const status = trailStatusProblem(statusFacts(await ct.send(new GetTrailStatusCommand({ Name: name }))));
    if (status) return status;
    const selectors = await ct.send(new GetEventSelectorsCommand({ TrailName: name }));
    return eventSelectorProblem({
      ...(selectors.AdvancedEventSelectors
        ? { advanced: selectors.AdvancedEventSelectors.map((s) => ({ fields: (s.FieldSelectors ?? []).map((f) => ({ ...(f.Field ? { field: f.Field } : {}), ...(f.Equals ? { equals: f.Equals } : {}), ...(f.NotEquals ? { notEquals: f.NotEquals } : {}) })) })) }
        : {}),
      ...(selectors.EventSelectors
        ? {
            basic: selectors.EventSelectors.map((s) => ({
              ...(s.IncludeManagementEvents !== undefined ? { includeManagementEvents: s.IncludeManagementEvents } : {}),
              ...(s.ReadWriteType ? { readWriteType: s.ReadWriteType } : {}),
              ...(s.ExcludeManagementEventSources ? { excludeManagementEventSources: s.ExcludeManagementEventSources } : {}),
            })),
          }
        : {}),
    });
  }
}
