// Observation: what AWS shows now about a retirement — the key's state, keywarden's alarm and
// metric filter (found by their predictable names), the alarm's history, the trail's delivery,
// failed uses of the key in CloudTrail since it was disabled, the key's retirement tags. Only the
// reads the record's stage needs are made (src/domain/retirement-observation.ts
// `observationPlan`); what they mean is decided there too.

import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand, type MetricFilter } from '@aws-sdk/client-cloudwatch-logs';
import { ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { KeywardenError } from '../domain/errors.js';
import type { KeyMetadata } from '../domain/key.js';
import {
  alarmFiredSince,
  disabledOutside,
  enabledOutside,
  failedUses,
  lookbackDays,
  observationPlan,
  watchConfigProblems,
  type AlarmFacts,
  type FilterFacts,
} from '../domain/retirement-observation.js';
import { alarmEvidenceFrom, METRIC_NAMESPACE, TAG_SINCE, TAG_STAGE, watchNames, type Reality, type RetirementRecord, type Watch } from '../domain/retirement.js';
import type { UsageEvent } from '../domain/usage.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { describeKey } from './kms-reads.js';
import type { TrailChecks } from './retirement-trail.js';
import { lookupKeyEvents } from './usage.js';

function alarmFacts(alarm: MetricAlarm): AlarmFacts {
  return {
    ...(alarm.ActionsEnabled !== undefined ? { actionsEnabled: alarm.ActionsEnabled } : {}),
    ...(alarm.Namespace ? { namespace: alarm.Namespace } : {}),
    ...(alarm.MetricName ? { metricName: alarm.MetricName } : {}),
    ...(alarm.Threshold !== undefined ? { threshold: alarm.Threshold } : {}),
    ...(alarm.ComparisonOperator ? { comparisonOperator: alarm.ComparisonOperator } : {}),
    ...(alarm.Period !== undefined ? { period: alarm.Period } : {}),
    ...(alarm.EvaluationPeriods !== undefined ? { evaluationPeriods: alarm.EvaluationPeriods } : {}),
    ...(alarm.Statistic ? { statistic: alarm.Statistic } : {}),
  };
}

function filterFacts(filter: MetricFilter): FilterFacts {
  const t = filter.metricTransformations?.[0];
  return {
    ...(filter.filterPattern !== undefined ? { pattern: filter.filterPattern } : {}),
    ...(t?.metricName ? { metricName: t.metricName } : {}),
    ...(t?.metricNamespace ? { metricNamespace: t.metricNamespace } : {}),
  };
}

export class Observer {
  constructor(
    private readonly clients: Clients,
    private readonly trails: TrailChecks,
    private readonly now: () => Date,
    /** keywarden's own principal: its calls are not someone else's. */
    private readonly ownArn: string,
  ) {}

  /**
   * Reads what AWS shows now, as much as the record's stage needs. `key`: the key's metadata when
   * it was read a moment ago (a preflight), so it is not read again.
   */
  async observe(record: RetirementRecord, key?: KeyMetadata): Promise<Reality> {
    const plan = observationPlan(record);
    const reality: Reality = { keyState: 'gone', attemptsSinceDisabled: [] };
    try {
      const meta = key ?? (await describeKey(this.clients.kms(record.region), record.keyArn, record.region));
      reality.keyState = meta.state;
      if (meta.deletionDate) reality.deletionDate = meta.deletionDate;
      if (plan.replicas && meta.multiRegionRole === 'PRIMARY' && (meta.replicaKeys?.length ?? 0) > 0) reality.replicas = await this.replicaStates(meta);
    } catch (error) {
      const domain = toDomainError(error, 'DescribeKey');
      if (domain.kind !== 'not-found') throw domain;
    }
    if (plan.alarm && record.watch?.kind === 'alarm') {
      const w = record.watch;
      const [alarms, filters, history] = await Promise.all([
        this.clients.cloudwatch(w.logGroupRegion).send(new DescribeAlarmsCommand({ AlarmNames: [w.alarmName] })),
        this.clients
          .logs(w.logGroupRegion)
          .send(
            new DescribeMetricFiltersCommand(
              // A watch picked up with its log group unknown (alarm and filter gone): look by metric.
              w.logGroupName ? { logGroupName: w.logGroupName, filterNamePrefix: w.filterName } : { metricName: w.metricName, metricNamespace: w.metricNamespace },
            ),
          )
          .catch((error: unknown) => {
            if ((error as { name?: string }).name === 'ResourceNotFoundException') return { metricFilters: [] };
            throw error;
          }),
        // Only this retirement's watch counts: the alarm's name is fixed per key, so its history may
        // hold an earlier retirement's ALARM.
        plan.alarmHistory
          ? this.clients.cloudwatch(w.logGroupRegion).send(
              new DescribeAlarmHistoryCommand({
                AlarmName: w.alarmName,
                HistoryItemType: 'StateUpdate',
                MaxRecords: 100,
                ...(record.watchStartedAt ? { StartDate: new Date(record.watchStartedAt) } : {}),
              }),
            )
          : Promise.resolve({ AlarmHistoryItems: [] }),
      ]).catch((error: unknown) => {
        throw toDomainError(error, 'reading the alarm');
      });
      const alarm: MetricAlarm | undefined = alarms.MetricAlarms?.[0];
      const filter = (filters.metricFilters ?? []).find((f) => f.filterName === w.filterName);
      reality.alarm = {
        exists: alarm !== undefined,
        filterExists: filter !== undefined,
        everAlarmed: alarmFiredSince(
          (history.AlarmHistoryItems ?? []).map((item) => ({ ...(item.HistorySummary ? { summary: item.HistorySummary } : {}), ...(item.Timestamp ? { time: item.Timestamp } : {}) })),
          alarmEvidenceFrom(record),
        ),
        ...(alarm?.StateValue ? { state: alarm.StateValue as 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' } : {}),
        ...(alarm?.AlarmConfigurationUpdatedTimestamp ? { configuredAt: alarm.AlarmConfigurationUpdatedTimestamp.toISOString() } : {}),
      };
      if (plan.watchConfig) {
        reality.watchProblems = [
          ...watchConfigProblems(record, w, alarm ? alarmFacts(alarm) : undefined, filter ? filterFacts(filter) : undefined),
          ...(w.trailArn ? await this.trails.deliveryProblems(w.trailArn) : []),
        ];
      }
    }
    if (plan.cloudTrail && record.disabledAt && reality.keyState !== 'gone') {
      try {
        const disabledAt = new Date(record.disabledAt);
        const since = new Date(record.usesSeenUntil ?? record.disabledAt);
        const events = await this.keyEvents(record, disabledAt < since ? disabledAt : since);
        reality.attemptsSinceDisabled = failedUses(events, record.keyArn, since);
        const outside = enabledOutside(events, disabledAt);
        if (outside) reality.enabledOutside = outside;
        const alsoDisabled = disabledOutside(events, disabledAt, this.ownArn);
        if (alsoDisabled) reality.disabledOutside = alsoDisabled;
        reality.cloudTrailReadable = true;
      } catch {
        reality.cloudTrailReadable = false;
      }
    }
    return reality;
  }

  /**
   * The key's CloudTrail events since `from` (CloudTrail delivers with a delay — minutes in AWS —
   * so a change made moments ago may not be seen yet).
   */
  async keyEvents(record: { keyArn: string; region: string }, from: Date): Promise<UsageEvent[]> {
    const now = this.now();
    return (await lookupKeyEvents(this.clients.cloudtrail(record.region), record.keyArn, { window: { days: lookbackDays(from, now) }, now })).events;
  }

  /**
   * The state of each replica of a multi-Region primary (KMS.md §1.2, §5): deleting the primary
   * while one is not pending deletion leaves it PendingReplicaDeletion. A replica that cannot be
   * read counts as not pending deletion; one KMS no longer knows is left out.
   */
  private async replicaStates(meta: KeyMetadata): Promise<NonNullable<Reality['replicas']>> {
    const states = await Promise.all(
      (meta.replicaKeys ?? []).map(async (replica) => {
        try {
          return { ...replica, state: (await describeKey(this.clients.kms(replica.region), replica.arn, replica.region)).state as string };
        } catch (error) {
          const domain = toDomainError(error, 'DescribeKey');
          return domain.kind === 'not-found' ? undefined : { ...replica, state: `unreadable: ${domain.message}` };
        }
      }),
    );
    return states.filter((s): s is NonNullable<typeof s> => s !== undefined);
  }

  /** The key's tags; undefined when KMS no longer knows the key. A read that fails is thrown. */
  async tags(key: { arn: string; region: string }): Promise<Record<string, string> | undefined> {
    try {
      const out = await this.clients.kms(key.region).send(new ListResourceTagsCommand({ KeyId: key.arn }));
      return Object.fromEntries((out.Tags ?? []).map((t) => [t.TagKey ?? '', t.TagValue ?? '']));
    } catch (error) {
      const domain = toDomainError(error, 'ListResourceTags');
      if (domain.kind === 'not-found') return undefined;
      throw domain;
    }
  }

  /** The retirement stage and start a keywarden mirrored on the key (a colleague's, perhaps); {} when they cannot be read. */
  async retirementTags(record: RetirementRecord): Promise<{ stage?: string; since?: string }> {
    const tags = await this.tags({ arn: record.keyArn, region: record.region }).catch(() => undefined);
    return { ...(tags?.[TAG_STAGE] ? { stage: tags[TAG_STAGE] } : {}), ...(tags?.[TAG_SINCE] ? { since: tags[TAG_SINCE] } : {}) };
  }

  /**
   * The keywarden alarm of a key, looked for in the key's region, then in the trail's home region.
   * When it exists nowhere, the watch it would be (`exists: false`) in the trail's region. Read
   * errors are thrown.
   */
  async findAlarm(keyId: string, region: string): Promise<{ watch: Extract<Watch, { kind: 'alarm' }>; exists: boolean; configuredAt?: string }> {
    const names = watchNames(keyId);
    const lookIn = async (r: string) => {
      const out = await this.clients.cloudwatch(r).send(new DescribeAlarmsCommand({ AlarmNames: [names.alarmName] }));
      const alarm = out.MetricAlarms?.[0];
      const filters = await this.clients
        .logs(r)
        .send(new DescribeMetricFiltersCommand({ metricName: alarm?.MetricName ?? names.metricName, metricNamespace: alarm?.Namespace ?? METRIC_NAMESPACE }));
      const filter = (filters.metricFilters ?? []).find((f) => f.filterName === names.filterName);
      return { alarm, filter };
    };
    let found = await lookIn(region);
    let where = region;
    let trailGroup: string | undefined;
    if (!found.alarm) {
      const trail = await this.trails.findTrail(region);
      if (trail.trail) {
        trailGroup = trail.trail.logGroupName;
        if (trail.trail.logGroupRegion !== region) {
          const there = await lookIn(trail.trail.logGroupRegion);
          if (there.alarm || !found.filter) {
            found = there;
            where = trail.trail.logGroupRegion;
          }
        }
      }
    }
    const { alarm, filter } = found;
    return {
      exists: alarm !== undefined,
      ...(alarm?.AlarmConfigurationUpdatedTimestamp ? { configuredAt: alarm.AlarmConfigurationUpdatedTimestamp.toISOString() } : {}),
      watch: {
        kind: 'alarm',
        logGroupRegion: where,
        logGroupName: filter?.logGroupName ?? trailGroup ?? '',
        filterName: names.filterName,
        metricNamespace: alarm?.Namespace ?? METRIC_NAMESPACE,
        metricName: alarm?.MetricName ?? names.metricName,
        alarmName: names.alarmName,
        ...(alarm?.AlarmActions?.[0] ? { snsTopicArn: alarm.AlarmActions[0] } : {}),
      },
    };
  }

  /** keywarden's alarm and metric filters of this key in `region`, found by their predictable names. */
  async watchResources(keyId: string, region: string): Promise<{ alarm: boolean; filterGroups: string[] }> {
    const names = watchNames(keyId);
    const [alarms, filters] = await Promise.all([
      this.clients.cloudwatch(region).send(new DescribeAlarmsCommand({ AlarmNames: [names.alarmName] })),
      this.clients.logs(region).send(new DescribeMetricFiltersCommand({ metricName: names.metricName, metricNamespace: METRIC_NAMESPACE })),
    ]).catch((error: unknown) => {
      throw toDomainError(error, "looking for keywarden's alarm and metric filter");
    });
    return {
      alarm: (alarms.MetricAlarms ?? []).some((a) => a.AlarmName === names.alarmName),
      filterGroups: (filters.metricFilters ?? []).filter((f) => f.filterName === names.filterName && f.logGroupName).map((f) => f.logGroupName!),
    };
  }
}

/** A read of the key's tags that failed, in the words of the pick-up (nothing was recorded). */
export function unreadableTags(error: unknown): KeywardenError {
  const domain = toDomainError(error, 'ListResourceTags');
  return new KeywardenError(
    domain.kind,
    `${domain.message}. keywarden cannot read the key's tags, so it cannot tell whether a colleague's retirement of this key is in progress. Nothing was recorded or changed; try again once the tags can be read`,
    { cause: error },
  );
}
