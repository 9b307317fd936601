// CloudWatch metrics and metric alarms over the protocol @aws-sdk/client-cloudwatch 3.116x sends:
// AWS JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`, with the awsQueryCompatible
// trait (requests carry `x-amzn-query-mode: true`; errors carry the query error code in the
// `x-amzn-query-error: <Code>;Sender` header, which the SDK maps to its modeled exception).
//
// Metrics are stored as aggregated buckets (1-minute, or 1-second for StorageResolution 1) for 15
// days. Alarms are evaluated lazily against sandbox time: before every request and after the clock
// moves, at every period boundary since the last evaluation, so a short breach that happened while
// nobody was looking still shows in the history. Behaviour choices: docs/sandbox.md.

import { SANDBOX_ACCOUNT } from './constants.js';
import { AwsError, type Handler, type JsonService } from './protocol.js';
import type { AlarmHistoryRecord, AlarmRecord, MetricRecord, Store } from './state.js';
import { makeToken, readToken } from './paging-token.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Datapoints older than this (relative to sandbox time) are dropped. */
export const METRIC_RETENTION_MS = 15 * DAY;
/** Alarm history older than this is dropped, and at most HISTORY_LIMIT items are kept per alarm. */
const HISTORY_RETENTION_MS = 30 * DAY;
const HISTORY_LIMIT = 1000;
/** A long clock jump evaluates at most this many period boundaries per alarm (the most recent ones). */
const MAX_EVALUATION_STEPS = 20_000;

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
type Statistic = (typeof STATISTICS)[number];
const COMPARISONS = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
} as const;
type Comparison = keyof typeof COMPARISONS;
const ANOMALY_COMPARISONS = ['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold'];
const TREAT_MISSING = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
type TreatMissing = (typeof TREAT_MISSING)[number];
type StateValue = AlarmRecord['stateValue'];
const STATE_VALUES: StateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

// ---------------------------------------------------------------------------------------------
// Errors: the modeled shape name as `__type`, the awsQuery code in `x-amzn-query-error`.

const QUERY_CODES: Record<string, [string, number]> = {
  InvalidParameterValueException: ['InvalidParameterValue', 400],
  InvalidParameterCombinationException: ['InvalidParameterCombination', 400],
  MissingRequiredParameterException: ['MissingParameter', 400],
  ValidationException: ['ValidationError', 400],
  LimitExceededFault: ['LimitExceeded', 400],
  ResourceNotFound: ['ResourceNotFound', 404],
  InvalidNextToken: ['InvalidNextToken', 400],
};

/** An error of a query-compatible service: carries the `x-amzn-query-error` header the SDK reads. */
export class CloudWatchError extends AwsError {
  readonly headers: Record<string, string>;
  constructor(shape: keyof typeof QUERY_CODES, message: string) {
    const [queryCode, status] = QUERY_CODES[shape] ?? [shape, 400];
    super(shape, message, status);
    this.headers = { 'x-amzn-query-error': `${queryCode};Sender` };
  }
}

const validation = (message: string) => new CloudWatchError('ValidationException', message);
const invalidValue = (message: string) => new CloudWatchError('InvalidParameterValueException', message);
const combination = (message: string) => new CloudWatchError('InvalidParameterCombinationException', message);
const missing = (field: string) => new CloudWatchError('MissingRequiredParameterException', `The parameter ${field} is required.`);

function constraint(value: unknown, field: string, text: string): CloudWatchError {
  const shown = value === null || value === undefined ? 'null' : `'${String(value)}'`;
  return validation(`1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${text}`);
}

function lowerFirst(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

function optString(params: Record<string, unknown>, field: string, max = 255, min = 1): string | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (value.length < min) throw constraint(value, lowerFirst(field), `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw constraint(value, lowerFirst(field), `Member must have length less than or equal to ${max}`);
  return value;
}

function reqString(params: Record<string, unknown>, field: string, max = 255): string {
  const value = optString(params, field, max);
  if (value === undefined) throw constraint(null, lowerFirst(field), 'Member must not be null');
  return value;
}

function optNumber(params: Record<string, unknown>, field: string): number | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  return value;
}

function optInt(params: Record<string, unknown>, field: string, min?: number, max?: number): number | undefined {
  const value = optNumber(params, field);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value)) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (min !== undefined && value < min) throw constraint(value, lowerFirst(field), `Member must have value greater than or equal to ${min}`);
  if (max !== undefined && value > max) throw constraint(value, lowerFirst(field), `Member must have value less than or equal to ${max}`);
  return value;
}

function stringList(params: Record<string, unknown>, field: string, max: number): string[] {
  const value = params[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (value.length > max) throw constraint(`[${value.join(', ')}]`, lowerFirst(field), `Member must have length less than or equal to ${max}`);
  return value as string[];
}

/** JSON 1.0 timestamps arrive as epoch seconds (numbers); ISO strings are accepted too. */
function optTime(params: Record<string, unknown>, field: string): number | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  return ms;
}

function reqTime(params: Record<string, unknown>, field: string): number {
  const value = optTime(params, field);
  if (value === undefined) throw constraint(null, lowerFirst(field), 'Member must not be null');
  return value;
}

type Dimension = { Name: string; Value: string };

function dimensionsParam(value: unknown, field = 'Dimensions', requireValue = true): Dimension[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (value.length > 30) throw constraint(`${value.length} items`, lowerFirst(field), 'Member must have length less than or equal to 30');
  return value.map((d: unknown) => {
    const dim = (d ?? {}) as { Name?: unknown; Value?: unknown };
    if (typeof dim.Name !== 'string' || dim.Name.length < 1) throw constraint(null, `${lowerFirst(field)}.member.name`, 'Member must not be null');
    if (requireValue && typeof dim.Value !== 'string') throw constraint(null, `${lowerFirst(field)}.member.value`, 'Member must not be null');
    return { Name: dim.Name, Value: typeof dim.Value === 'string' ? dim.Value : '' };
  });
}

const readPage = (operation: string, token: unknown) => readToken(operation, token, () => new CloudWatchError('InvalidNextToken', 'The service cannot process the request because the next token is invalid.'));

// ---------------------------------------------------------------------------------------------
// Metric store

function metricKey(region: string, namespace: string, name: string, dimensions: Dimension[]): string {
  const dims = [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((d) => `${d.Name}=${d.Value}`);
  return JSON.stringify([region, namespace, name, dims]);
}

const indexes = new WeakMap<MetricRecord[], Map<string, MetricRecord>>();
/** Bumped whenever a datapoint arrives, so alarms are re-evaluated even if sandbox time has not moved. */
const dataVersions = new WeakMap<Store, number>();
/** The data version each alarm last saw (in memory only; a restart simply re-evaluates). */
const seenVersions = new WeakMap<AlarmRecord, number>();

function metricIndex(store: Store): Map<string, MetricRecord> {
  const list = store.state.metrics;
  let index = indexes.get(list);
  if (!index || index.size !== list.length) {
    index = new Map(list.map((m) => [metricKey(m.region, m.namespace, m.name, m.dimensions), m]));
    indexes.set(list, index);
  }
  return index;
}

export function findMetric(store: Store, region: string, namespace: string, name: string, dimensions: Dimension[]): MetricRecord | undefined {
  return metricIndex(store).get(metricKey(region, namespace, name, dimensions));
}

export interface Aggregate {
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
}

/** First bucket index with start >= t. */
function lowerBound(points: MetricRecord['points'], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]![0] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Adds a datapoint (or pre-aggregated statistic set) to a metric at `timestampMs`, creating the metric
 * on first use. Buckets older than 15 days (sandbox time) are dropped.
 */
export function putDatapoint(
  store: Store,
  region: string,
  namespace: string,
  name: string,
  dimensions: Dimension[],
  value: Aggregate,
  timestampMs: number,
  nowMs: number,
  unit?: string,
  resolutionSeconds = 60,
): void {
  if (timestampMs < nowMs - METRIC_RETENTION_MS) return;
  let metric = findMetric(store, region, namespace, name, dimensions);
  if (!metric) {
    metric = { region, namespace, name, dimensions: [...dimensions], points: [], ...(unit ? { unit } : {}) };
    store.state.metrics.push(metric);
    metricIndex(store).set(metricKey(region, namespace, name, dimensions), metric);
  }
  const size = resolutionSeconds === 1 ? 1000 : MINUTE;
  const bucket = Math.floor(timestampMs / size) * size;
  const at = lowerBound(metric.points, bucket);
  const existing = metric.points[at];
  if (existing && existing[0] === bucket) {
    existing[1] += value.sampleCount;
    existing[2] += value.sum;
    existing[3] = Math.min(existing[3], value.min);
    existing[4] = Math.max(existing[4], value.max);
  } else {
    metric.points.splice(at, 0, [bucket, value.sampleCount, value.sum, value.min, value.max]);
  }
  const cutoff = lowerBound(metric.points, nowMs - METRIC_RETENTION_MS);
  if (cutoff > 0) metric.points.splice(0, cutoff);
  dataVersions.set(store, (dataVersions.get(store) ?? 0) + 1);
  store.touchState();
}

/** Statistics over [startMs, endMs); undefined when there is no datapoint. */
export function aggregate(metric: MetricRecord | undefined, startMs: number, endMs: number): Aggregate | undefined {
  if (!metric) return undefined;
  let out: Aggregate | undefined;
  for (let i = lowerBound(metric.points, startMs); i < metric.points.length; i += 1) {
    const [t, n, sum, min, max] = metric.points[i]!;
    if (t >= endMs) break;
    if (!out) out = { sampleCount: n, sum, min, max };
    else {
      out.sampleCount += n;
      out.sum += sum;
      out.min = Math.min(out.min, min);
      out.max = Math.max(out.max, max);
    }
  }
  return out;
}

/** A percentile (`p90`) approximated from the per-bucket averages in [startMs, endMs). */
function percentile(metric: MetricRecord | undefined, startMs: number, endMs: number, p: number): number | undefined {
  if (!metric) return undefined;
  const values: number[] = [];
  for (let i = lowerBound(metric.points, startMs); i < metric.points.length; i += 1) {
    const [t, n, sum] = metric.points[i]!;
    if (t >= endMs) break;
    for (let k = 0; k < Math.min(n, 1000); k += 1) values.push(sum / n);
  }
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1))]!;
}

function statValue(agg: Aggregate, stat: Statistic): number {
  switch (stat) {
    case 'SampleCount':
      return agg.sampleCount;
    case 'Sum':
      return agg.sum;
    case 'Average':
      return agg.sum / agg.sampleCount;
    case 'Minimum':
      return agg.min;
    case 'Maximum':
      return agg.max;
  }
}

const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100)$/;

/** The value of `stat` (a Statistic or `pNN`) over [startMs, endMs). */
function periodValue(metric: MetricRecord | undefined, stat: string, startMs: number, endMs: number): number | undefined {
  const match = PERCENTILE.exec(stat);
  if (match) return percentile(metric, startMs, endMs, Number(stat.slice(1)));
  const agg = aggregate(metric, startMs, endMs);
  return agg ? statValue(agg, stat as Statistic) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Alarm evaluation

interface AlarmConfig {
  AlarmName: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  MetricName: string;
  Namespace: string;
  Statistic?: Statistic;
  ExtendedStatistic?: string;
  Dimensions: Dimension[];
  Period: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: Comparison;
  TreatMissingData?: TreatMissing;
  EvaluateLowSampleCountPercentile?: string;
}

function configOf(alarm: AlarmRecord): AlarmConfig {
  return alarm.config as unknown as AlarmConfig;
}

function alarmArn(alarm: AlarmRecord): string {
  return `arn:aws:cloudwatch:${alarm.region}:${SANDBOX_ACCOUNT}:alarm:${alarm.name}`;
}

/** `1.0`, `2.5` — how CloudWatch prints datapoints and thresholds. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** `23/11/26 10:05:00` (UTC), as in AWS StateReason texts. */
export function formatReasonDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

function isoWithOffset(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function compare(op: Comparison, value: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/** A metric filter's defaultValue for this metric, and since when it applies (the filter's creation). */
function filterDefault(store: Store, alarm: AlarmRecord, config: AlarmConfig): { value: number; since: number } | undefined {
  if (config.Dimensions.length > 0) return undefined;
  for (const group of store.state.logGroups) {
    if (group.region !== alarm.region) continue;
    for (const filter of group.metricFilters) {
      const t = filter.metricTransformations[0];
      if (t && t.defaultValue !== undefined && t.metricName === config.MetricName && t.metricNamespace === config.Namespace) {
        return { value: t.defaultValue, since: filter.creationTime };
      }
    }
  }
  return undefined;
}

interface Evaluation {
  state: StateValue | undefined; // undefined = keep the current state (TreatMissingData ignore)
  reason: string;
  reasonData: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

interface EvaluationInputs {
  metric: MetricRecord | undefined;
  fallback: { value: number; since: number } | undefined;
}

function evaluateAt(config: AlarmConfig, inputs: EvaluationInputs, T: number): Evaluation {
  const p = config.Period * 1000;
  const n = config.EvaluationPeriods;
  const m = config.DatapointsToAlarm ?? n;
  const stat = config.Statistic ?? config.ExtendedStatistic ?? 'Sum';
  const { metric, fallback } = inputs;
  const end = Math.floor((T - 1) / p) * p + p;
  const periods: Array<{ start: number; value: number | undefined }> = [];
  for (let k = 0; k < n; k += 1) {
    const start = end - (k + 1) * p;
    let value = periodValue(metric, stat, start, start + p);
    if (value === undefined && fallback && start + p > fallback.since) {
      value = stat === 'SampleCount' ? 1 : fallback.value;
    }
    periods.push({ start, value });
  }
  const present = periods.filter((x): x is { start: number; value: number } => x.value !== undefined);
  const breaching = present.filter((x) => compare(config.ComparisonOperator, x.value, config.Threshold));
  const missingCount = n - present.length;
  const treat = config.TreatMissingData ?? 'missing';
  const opText = COMPARISONS[config.ComparisonOperator];
  const threshold = formatNumber(config.Threshold);
  const list = (xs: Array<{ start: number; value: number }>) => xs.map((x) => `${formatNumber(x.value)} (${formatReasonDate(x.start)})`).join(', ');
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: isoWithOffset(T),
    startDate: isoWithOffset(end - n * p),
    ...(config.Statistic ? { statistic: config.Statistic } : { extendedStatistic: config.ExtendedStatistic }),
    period: config.Period,
    recentDatapoints: present.map((x) => x.value),
    threshold: config.Threshold,
    evaluatedDatapoints: present.map((x) => ({ timestamp: isoWithOffset(x.start), value: x.value })),
  });

  if (present.length === 0) {
    if (treat === 'ignore') return { state: undefined, reason: '', reasonData };
    if (treat === 'missing') return { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${plural(n, 'datapoint')} ${n === 1 ? 'was' : 'were'} unknown.`, reasonData };
    const label = treat === 'breaching' ? 'Breaching' : 'NonBreaching';
    return {
      state: treat === 'breaching' ? 'ALARM' : 'OK',
      reason: `Threshold Crossed: no datapoints were received for ${plural(n, 'period')} and ${plural(n, 'missing datapoint')} ${n === 1 ? 'was' : 'were'} treated as [${label}].`,
      reasonData,
    };
  }
  const effective = breaching.length + (treat === 'breaching' ? missingCount : 0);
  const missingNote =
    missingCount > 0 && (treat === 'breaching' || treat === 'notBreaching')
      ? ` and ${plural(missingCount, 'missing datapoint')} ${missingCount === 1 ? 'was' : 'were'} treated as [${treat === 'breaching' ? 'Breaching' : 'NonBreaching'}]`
      : '';
  if (effective >= m) {
    const shown = breaching.length > 0 ? breaching : present;
    const head = n === 1 ? `1 datapoint [${list(shown)}] was` : `${breaching.length} out of the last ${n} datapoints [${list(shown)}] ${breaching.length === 1 ? 'was' : 'were'}`;
    const tail = n === 1 ? '' : ` (minimum ${plural(m, 'datapoint')} for OK -> ALARM transition)`;
    return { state: 'ALARM', reason: `Threshold Crossed: ${head} ${opText} the threshold (${threshold})${missingNote}${tail}.`, reasonData };
  }
  const okList = present.filter((x) => !compare(config.ComparisonOperator, x.value, config.Threshold));
  const shown = okList.length > 0 ? okList : present;
  const head = n === 1 ? `1 datapoint [${list(shown)}] was not` : `${okList.length} out of the last ${n} datapoints [${list(shown)}] ${okList.length === 1 ? 'was' : 'were'} not`;
  const tail = n === 1 ? '' : ` (minimum ${plural(n - m + 1, 'datapoint')} for ALARM -> OK transition)`;
  return { state: 'OK', reason: `Threshold Crossed: ${head} ${opText} the threshold (${threshold})${missingNote}${tail}.`, reasonData };
}

function addHistory(alarm: AlarmRecord, item: AlarmHistoryRecord): void {
  alarm.history.push(item);
  const cutoff = item.timestamp - HISTORY_RETENTION_MS;
  while (alarm.history.length > 0 && (alarm.history.length > HISTORY_LIMIT || alarm.history[0]!.timestamp < cutoff)) alarm.history.shift();
}

function setState(alarm: AlarmRecord, state: StateValue, reason: string, reasonData: string | undefined, at: number): void {
  const old = { stateValue: alarm.stateValue, stateReason: alarm.stateReason };
  alarm.stateValue = state;
  alarm.stateReason = reason;
  if (reasonData === undefined) delete alarm.stateReasonData;
  else alarm.stateReasonData = reasonData;
  alarm.stateUpdated = at;
  alarm.stateTransitioned = at;
  addHistory(alarm, {
    timestamp: at,
    type: 'StateUpdate',
    summary: `Alarm updated from ${old.stateValue} to ${state}`,
    data: JSON.stringify({
      version: '1.0',
      oldState: old,
      newState: { stateValue: state, stateReason: reason, ...(reasonData ? { stateReasonData: JSON.parse(reasonData) as unknown } : {}) },
    }),
  });
  const config = configOf(alarm);
  if (!config.ActionsEnabled) return;
  const actions = state === 'ALARM' ? config.AlarmActions : state === 'OK' ? config.OKActions : config.InsufficientDataActions;
  for (const action of actions) {
    // CHOICE: no SNS service; the action is recorded as executed (history + /_sandbox/alarm-actions).
    addHistory(alarm, {
      timestamp: at,
      type: 'Action',
      summary: `Successfully executed action ${action}`,
      data: JSON.stringify({ actionState: 'Succeeded', stateUpdateTimestamp: at, notificationResource: action, newState: state, publishedMessage: reason }),
    });
  }
}

/** Evaluates one alarm at every period boundary since its last evaluation, then at `nowMs`. */
function evaluateAlarm(store: Store, alarm: AlarmRecord, nowMs: number): boolean {
  const version = dataVersions.get(store) ?? 0;
  const seen = seenVersions.get(alarm);
  seenVersions.set(alarm, version);
  if (nowMs <= alarm.evaluatedUntil && seen === version) return false;
  const config = configOf(alarm);
  const p = config.Period * 1000;
  let from = alarm.evaluatedUntil;
  if ((nowMs - from) / p > MAX_EVALUATION_STEPS) from = nowMs - MAX_EVALUATION_STEPS * p;
  let changed = false;
  const inputs: EvaluationInputs = {
    metric: findMetric(store, alarm.region, config.Namespace, config.MetricName, config.Dimensions),
    fallback: filterDefault(store, alarm, config),
  };
  const step = (T: number) => {
    const result = evaluateAt(config, inputs, T);
    if (result.state !== undefined && result.state !== alarm.stateValue) {
      setState(alarm, result.state, result.reason, result.reasonData, T);
      changed = true;
    }
  };
  let boundary = (Math.floor(from / p) + 1) * p;
  for (; boundary <= nowMs; boundary += p) step(boundary);
  if (boundary - p !== nowMs) step(nowMs);
  alarm.evaluatedUntil = Math.max(alarm.evaluatedUntil, nowMs);
  return changed;
}

/** Brings every alarm up to sandbox time. Called before every request and after advanceClock. */
export function evaluateAlarms(store: Store, nowMs: number): void {
  let changed = false;
  for (const alarm of store.state.alarms) if (evaluateAlarm(store, alarm, nowMs)) changed = true;
  if (changed) store.touchState();
}

export interface AlarmActionRecord {
  region: string;
  alarmName: string;
  timestamp: string;
  action: string;
  newState: string;
  reason: string;
}

/** Every alarm action that would have fired, oldest first (for the control API). */
export function alarmActions(store: Store): AlarmActionRecord[] {
  const out: Array<AlarmActionRecord & { ms: number }> = [];
  for (const alarm of store.state.alarms) {
    for (const item of alarm.history) {
      if (item.type !== 'Action') continue;
      const data = JSON.parse(item.data) as { notificationResource?: string; newState?: string; publishedMessage?: string };
      out.push({
        ms: item.timestamp,
        region: alarm.region,
        alarmName: alarm.name,
        timestamp: new Date(item.timestamp).toISOString(),
        action: data.notificationResource ?? '',
        newState: data.newState ?? '',
        reason: data.publishedMessage ?? '',
      });
    }
  }
  return out.sort((a, b) => a.ms - b.ms).map(({ ms: _ms, ...rest }) => rest);
}

// ---------------------------------------------------------------------------------------------
// Operations

function validatePeriod(period: number, field = 'Period'): void {
  if (period < 1) throw constraint(period, lowerFirst(field), 'Member must have value greater than or equal to 1');
  if (![10, 20, 30].includes(period) && period % 60 !== 0) throw validation(`${field} must be 10, 20, 30 or a multiple of 60`);
}

function statisticParam(params: Record<string, unknown>): { Statistic?: Statistic; ExtendedStatistic?: string } {
  const statistic = optString(params, 'Statistic');
  const extended = optString(params, 'ExtendedStatistic');
  if ((statistic === undefined) === (extended === undefined)) {
    throw combination('Exactly one element of the statistic and extendedStatistic parameters must be specified.');
  }
  if (statistic !== undefined) {
    if (!(STATISTICS as readonly string[]).includes(statistic)) {
      throw constraint(statistic, 'statistic', `Member must satisfy enum value set: [${STATISTICS.join(', ')}]`);
    }
    return { Statistic: statistic as Statistic };
  }
  if (!PERCENTILE.test(extended!)) throw invalidValue(`The value ${extended!} for parameter ExtendedStatistic is not supported.`);
  return { ExtendedStatistic: extended! };
}

function actionsParam(params: Record<string, unknown>, field: string): string[] {
  const actions = stringList(params, field, 5);
  for (const action of actions) {
    if (!/^arn:aws[\w-]*:[a-z0-9-]+:/.test(action)) throw validation(`Invalid arn syntax: ${action}`);
  }
  return actions;
}

const putMetricAlarm: Handler = (ctx, params) => {
  const name = reqString(params, 'AlarmName');
  const description = optString(params, 'AlarmDescription', 1024, 0);
  const evaluationPeriods = optInt(params, 'EvaluationPeriods', 1);
  if (evaluationPeriods === undefined) throw constraint(null, 'evaluationPeriods', 'Member must not be null');
  const comparison = optString(params, 'ComparisonOperator');
  if (comparison === undefined) throw constraint(null, 'comparisonOperator', 'Member must not be null');
  const allComparisons = [...Object.keys(COMPARISONS), ...ANOMALY_COMPARISONS];
  if (!allComparisons.includes(comparison)) {
    throw constraint(comparison, 'comparisonOperator', `Member must satisfy enum value set: [${allComparisons.join(', ')}]`);
  }
  if (ANOMALY_COMPARISONS.includes(comparison)) throw invalidValue('Anomaly detection alarms are not supported by the keywarden sandbox.');
  if (params.Metrics !== undefined && params.Metrics !== null) throw invalidValue('Metric math alarms (Metrics) are not supported by the keywarden sandbox.');
  const metricName = optString(params, 'MetricName');
  const namespace = optString(params, 'Namespace');
  if (metricName === undefined) throw missing('MetricName');
  if (namespace === undefined) throw missing('Namespace');
  const period = optInt(params, 'Period');
  if (period === undefined) throw validation('Period must not be null');
  validatePeriod(period);
  if (period * evaluationPeriods > 7 * 86_400) {
    throw validation('The evaluation period (EvaluationPeriods * Period) must not exceed 7 days (604800 seconds).');
  }
  const statistic = statisticParam(params);
  const datapointsToAlarm = optInt(params, 'DatapointsToAlarm', 1);
  if (datapointsToAlarm !== undefined && datapointsToAlarm > evaluationPeriods) {
    throw validation('DatapointsToAlarm must be less than or equal to EvaluationPeriods');
  }
  const threshold = optNumber(params, 'Threshold');
  if (threshold === undefined) throw missing('Threshold');
  const treat = optString(params, 'TreatMissingData');
  if (treat !== undefined && !(TREAT_MISSING as readonly string[]).includes(treat)) {
    throw validation(`Option ${treat} is not supported. Supported options for parameter TreatMissingData are 'missing', 'ignore', 'breaching' and 'notBreaching'.`);
  }
  const actionsEnabled = params.ActionsEnabled;
  if (actionsEnabled !== undefined && actionsEnabled !== null && typeof actionsEnabled !== 'boolean') throw new AwsError('SerializationException', 'Unexpected value type for ActionsEnabled');
  const config: AlarmConfig = {
    AlarmName: name,
    ...(description !== undefined ? { AlarmDescription: description } : {}),
    ActionsEnabled: actionsEnabled !== false,
    OKActions: actionsParam(params, 'OKActions'),
    AlarmActions: actionsParam(params, 'AlarmActions'),
    InsufficientDataActions: actionsParam(params, 'InsufficientDataActions'),
    MetricName: metricName,
    Namespace: namespace,
    ...statistic,
    Dimensions: dimensionsParam(params.Dimensions),
    Period: period,
    EvaluationPeriods: evaluationPeriods,
    ...(datapointsToAlarm !== undefined ? { DatapointsToAlarm: datapointsToAlarm } : {}),
    Threshold: threshold,
    ComparisonOperator: comparison as Comparison,
    ...(treat !== undefined ? { TreatMissingData: treat as TreatMissing } : {}),
  };
  const unit = optString(params, 'Unit');
  if (unit !== undefined) config.Unit = unit;
  const low = optString(params, 'EvaluateLowSampleCountPercentile');
  if (low !== undefined) config.EvaluateLowSampleCountPercentile = low;

  const nowMs = ctx.now().getTime();
  const existing = ctx.store.state.alarms.find((a) => a.region === ctx.region && a.name === name);
  if (existing) {
    // Overwrites the whole configuration and keeps the state.
    existing.config = config as unknown as Record<string, unknown>;
    existing.configUpdated = nowMs;
    addHistory(existing, { timestamp: nowMs, type: 'ConfigurationUpdate', summary: `Alarm "${name}" updated`, data: JSON.stringify({ version: '1.0', type: 'Update', updatedAlarm: config }) });
    existing.evaluatedUntil = Math.min(existing.evaluatedUntil, nowMs - 1);
    evaluateAlarm(ctx.store, existing, nowMs);
  } else {
    const alarm: AlarmRecord = {
      region: ctx.region,
      name,
      config: config as unknown as Record<string, unknown>,
      configUpdated: nowMs,
      stateValue: 'INSUFFICIENT_DATA',
      stateReason: 'Unchecked: Initial alarm creation',
      stateUpdated: nowMs,
      evaluatedUntil: nowMs - 1,
      history: [],
    };
    addHistory(alarm, { timestamp: nowMs, type: 'ConfigurationUpdate', summary: `Alarm "${name}" created`, data: JSON.stringify({ version: '1.0', type: 'Create', createdAlarm: config }) });
    ctx.store.state.alarms.push(alarm);
    // CHOICE: a new alarm is evaluated at once (AWS does within about a minute).
    evaluateAlarm(ctx.store, alarm, nowMs);
  }
  ctx.store.touchState();
  return {};
};

function describeAlarm(alarm: AlarmRecord): Record<string, unknown> {
  const c = configOf(alarm);
  return {
    AlarmName: alarm.name,
    AlarmArn: alarmArn(alarm),
    ...(c.AlarmDescription !== undefined ? { AlarmDescription: c.AlarmDescription } : {}),
    AlarmConfigurationUpdatedTimestamp: alarm.configUpdated / 1000,
    ActionsEnabled: c.ActionsEnabled,
    OKActions: c.OKActions,
    AlarmActions: c.AlarmActions,
    InsufficientDataActions: c.InsufficientDataActions,
    StateValue: alarm.stateValue,
    StateReason: alarm.stateReason,
    ...(alarm.stateReasonData ? { StateReasonData: alarm.stateReasonData } : {}),
    StateUpdatedTimestamp: alarm.stateUpdated / 1000,
    ...(alarm.stateTransitioned !== undefined ? { StateTransitionedTimestamp: alarm.stateTransitioned / 1000 } : {}),
    MetricName: c.MetricName,
    Namespace: c.Namespace,
    ...(c.Statistic ? { Statistic: c.Statistic } : {}),
    ...(c.ExtendedStatistic ? { ExtendedStatistic: c.ExtendedStatistic } : {}),
    Dimensions: c.Dimensions,
    Period: c.Period,
    ...(c.Unit ? { Unit: c.Unit } : {}),
    EvaluationPeriods: c.EvaluationPeriods,
    ...(c.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: c.DatapointsToAlarm } : {}),
    Threshold: c.Threshold,
    ComparisonOperator: c.ComparisonOperator,
    ...(c.TreatMissingData ? { TreatMissingData: c.TreatMissingData } : {}),
    ...(c.EvaluateLowSampleCountPercentile ? { EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile } : {}),
  };
}

const describeAlarms: Handler = (ctx, params) => {
  const names = stringList(params, 'AlarmNames', 100);
  const prefix = optString(params, 'AlarmNamePrefix');
  if (names.length > 0 && prefix !== undefined) throw combination('AlarmNamePrefix and AlarmNames cannot be specified together.');
  const stateValue = optString(params, 'StateValue');
  if (stateValue !== undefined && !STATE_VALUES.includes(stateValue as StateValue)) {
    throw constraint(stateValue, 'stateValue', `Member must satisfy enum value set: [${STATE_VALUES.join(', ')}]`);
  }
  const actionPrefix = optString(params, 'ActionPrefix', 1024);
  const types = stringList(params, 'AlarmTypes', 2);
  const maxRecords = optInt(params, 'MaxRecords', 1, 100) ?? 50;
  const after = readPage('DescribeAlarms', params.NextToken);
  const wantMetric = types.length === 0 || types.includes('MetricAlarm');
  const alarms = ctx.store.state.alarms
    .filter((a) => a.region === ctx.region && wantMetric)
    .filter((a) => (names.length > 0 ? names.includes(a.name) : prefix !== undefined ? a.name.startsWith(prefix) : true))
    .filter((a) => !stateValue || a.stateValue === stateValue)
    .filter((a) => {
      if (!actionPrefix) return true;
      const c = configOf(a);
      return [...c.AlarmActions, ...c.OKActions, ...c.InsufficientDataActions].some((x) => x.startsWith(actionPrefix));
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .filter((a) => after === undefined || a.name > String(after));
  const page = alarms.slice(0, maxRecords);
  return {
    MetricAlarms: page.map(describeAlarm),
    CompositeAlarms: [],
    ...(alarms.length > maxRecords ? { NextToken: makeToken('DescribeAlarms', page[page.length - 1]!.name) } : {}),
  };
};

const deleteAlarms: Handler = (ctx, params) => {
  if (params.AlarmNames === undefined || params.AlarmNames === null) throw constraint(null, 'alarmNames', 'Member must not be null');
  const names = stringList(params, 'AlarmNames', 100);
  const alarms = ctx.store.state.alarms;
  const found = names.map((name) => alarms.find((a) => a.region === ctx.region && a.name === name));
  const unknown = names.filter((_, i) => !found[i]);
  // CHOICE (AWS API reference): an unknown name deletes nothing; the call fails with ResourceNotFound.
  if (unknown.length > 0) throw new CloudWatchError('ResourceNotFound', `Alarm(s) not found: ${unknown.join(', ')}`);
  for (const alarm of found) {
    const at = alarms.indexOf(alarm!);
    if (at >= 0) alarms.splice(at, 1);
  }
  ctx.store.touchState();
  return {};
};

const HISTORY_TYPES = ['ConfigurationUpdate', 'StateUpdate', 'Action', 'AlarmContributorStateUpdate', 'AlarmContributorAction'];

const describeAlarmHistory: Handler = (ctx, params) => {
  const name = optString(params, 'AlarmName');
  const type = optString(params, 'HistoryItemType');
  if (type !== undefined && !HISTORY_TYPES.includes(type)) throw constraint(type, 'historyItemType', `Member must satisfy enum value set: [${HISTORY_TYPES.join(', ')}]`);
  const start = optTime(params, 'StartDate');
  const end = optTime(params, 'EndDate');
  const maxRecords = optInt(params, 'MaxRecords', 1, 100) ?? 100;
  const scanBy = optString(params, 'ScanBy') ?? 'TimestampDescending';
  if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
    throw constraint(scanBy, 'scanBy', 'Member must satisfy enum value set: [TimestampDescending, TimestampAscending]');
  }
  const types = stringList(params, 'AlarmTypes', 2);
  const offset = readPage('DescribeAlarmHistory', params.NextToken);
  const wantMetric = types.length === 0 || types.includes('MetricAlarm');
  const items = ctx.store.state.alarms
    .filter((a) => a.region === ctx.region && wantMetric && (name === undefined || a.name === name))
    .flatMap((a) => a.history.map((h, i) => ({ a, h, i })))
    .filter(({ h }) => (!type || h.type === type) && (start === undefined || h.timestamp >= start) && (end === undefined || h.timestamp <= end))
    .sort((x, y) => x.h.timestamp - y.h.timestamp || (x.a.name < y.a.name ? -1 : x.a.name > y.a.name ? 1 : x.i - y.i));
  if (scanBy === 'TimestampDescending') items.reverse();
  const from = typeof offset === 'number' ? offset : 0;
  const page = items.slice(from, from + maxRecords);
  return {
    AlarmHistoryItems: page.map(({ a, h }) => ({
      AlarmName: a.name,
      AlarmType: 'MetricAlarm',
      Timestamp: h.timestamp / 1000,
      HistoryItemType: h.type,
      HistorySummary: h.summary,
      HistoryData: h.data,
    })),
    ...(from + maxRecords < items.length ? { NextToken: makeToken('DescribeAlarmHistory', from + maxRecords) } : {}),
  };
};

function metricParam(raw: unknown, field: string): { Namespace: string; MetricName: string; Dimensions: Dimension[] } {
  const metric = (raw ?? {}) as Record<string, unknown>;
  if (typeof metric.Namespace !== 'string') throw missing(`${field}.Namespace`);
  if (typeof metric.MetricName !== 'string') throw missing(`${field}.MetricName`);
  return { Namespace: metric.Namespace, MetricName: metric.MetricName, Dimensions: dimensionsParam(metric.Dimensions, `${field}.Dimensions`) };
}

const getMetricData: Handler = (ctx, params) => {
  const queries = params.MetricDataQueries;
  if (!Array.isArray(queries)) throw constraint(null, 'metricDataQueries', 'Member must not be null');
  if (queries.length > 500) throw constraint(`${queries.length} items`, 'metricDataQueries', 'Member must have length less than or equal to 500');
  const startMs = reqTime(params, 'StartTime');
  const endMs = reqTime(params, 'EndTime');
  if (endMs <= startMs) throw validation('The parameter StartTime must be less than the parameter EndTime.');
  const scanBy = optString(params, 'ScanBy') ?? 'TimestampDescending';
  const maxDatapoints = optInt(params, 'MaxDatapoints', 1) ?? 100_800;
  const ids = new Set<string>();
  const results = queries.flatMap((raw: unknown) => {
    const q = (raw ?? {}) as Record<string, unknown>;
    if (typeof q.Id !== 'string' || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) {
      throw validation(`The value ${String(q.Id)} for parameter MetricDataQueries.member.Id is invalid. Ids must start with a lowercase letter and contain only letters, digits and underscores.`);
    }
    if (ids.has(q.Id)) throw validation(`The value ${q.Id} for parameter MetricDataQueries.member.Id is not unique.`);
    ids.add(q.Id);
    if (q.Expression !== undefined) throw invalidValue('Metric math expressions are not supported by the keywarden sandbox.');
    const stat = (q.MetricStat ?? undefined) as Record<string, unknown> | undefined;
    if (!stat) throw missing('MetricDataQueries.member.MetricStat');
    const metric = metricParam(stat.Metric, 'MetricStat.Metric');
    if (typeof stat.Period !== 'number' || !Number.isInteger(stat.Period)) throw missing('MetricStat.Period');
    if (![1, 5, 10, 20, 30].includes(stat.Period) && stat.Period % 60 !== 0) throw validation('The parameter MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60.');
    if (typeof stat.Stat !== 'string' || (!(STATISTICS as readonly string[]).includes(stat.Stat) && !PERCENTILE.test(stat.Stat))) {
      throw invalidValue(`The value ${String(stat.Stat)} for parameter MetricStat.Stat is not supported.`);
    }
    if (q.ReturnData === false) return [];
    const record = findMetric(ctx.store, ctx.region, metric.Namespace, metric.MetricName, metric.Dimensions);
    const p = stat.Period * 1000;
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let t = Math.floor(startMs / p) * p; t < endMs; t += p) {
      const value = periodValue(record, stat.Stat, t, t + p);
      if (value !== undefined) {
        timestamps.push(t / 1000);
        values.push(value);
      }
    }
    if (scanBy === 'TimestampDescending') {
      timestamps.reverse();
      values.reverse();
    }
    return [{ Id: q.Id, Label: typeof q.Label === 'string' ? q.Label : metric.MetricName, Timestamps: timestamps.slice(0, maxDatapoints), Values: values.slice(0, maxDatapoints), StatusCode: 'Complete' }];
  });
  return { MetricDataResults: results, Messages: [] };
};

const getMetricStatistics: Handler = (ctx, params) => {
  const namespace = reqString(params, 'Namespace');
  const metricName = reqString(params, 'MetricName');
  const dimensions = dimensionsParam(params.Dimensions);
  const startMs = reqTime(params, 'StartTime');
  const endMs = reqTime(params, 'EndTime');
  const period = optInt(params, 'Period', 1);
  if (period === undefined) throw constraint(null, 'period', 'Member must not be null');
  if (![1, 5, 10, 20, 30].includes(period) && period % 60 !== 0) throw invalidValue('The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60.');
  const statistics = stringList(params, 'Statistics', 5);
  const extended = stringList(params, 'ExtendedStatistics', 10);
  if (statistics.length === 0 && extended.length === 0) throw missing('Statistics');
  if (statistics.length > 0 && extended.length > 0) throw combination('The parameters Statistics and ExtendedStatistics are mutually exclusive.');
  for (const s of statistics) {
    if (!(STATISTICS as readonly string[]).includes(s)) throw constraint(s, 'statistics.member', `Member must satisfy enum value set: [${STATISTICS.join(', ')}]`);
  }
  for (const s of extended) if (!PERCENTILE.test(s)) throw invalidValue(`The value ${s} for parameter ExtendedStatistics is not supported.`);
  if (endMs <= startMs) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
  const p = period * 1000;
  const first = Math.floor(startMs / p) * p;
  const count = Math.ceil((endMs - first) / p);
  if (count > 1440) {
    throw combination(`You have requested up to ${count} datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`);
  }
  const metric = findMetric(ctx.store, ctx.region, namespace, metricName, dimensions);
  const unit = optString(params, 'Unit') ?? metric?.unit ?? 'None';
  const datapoints: Array<Record<string, unknown>> = [];
  for (let t = first; t < endMs; t += p) {
    const agg = aggregate(metric, t, t + p);
    if (!agg) continue;
    const point: Record<string, unknown> = { Timestamp: t / 1000, Unit: unit };
    for (const s of statistics) point[s] = statValue(agg, s as Statistic);
    if (extended.length > 0) point.ExtendedStatistics = Object.fromEntries(extended.map((s) => [s, percentile(metric, t, t + p, Number(s.slice(1)))]));
    datapoints.push(point);
  }
  return { Label: metricName, Datapoints: datapoints };
};

const listMetrics: Handler = (ctx, params) => {
  const namespace = optString(params, 'Namespace');
  const metricName = optString(params, 'MetricName');
  const dimensions = dimensionsParam(params.Dimensions, 'Dimensions', false);
  const after = readPage('ListMetrics', params.NextToken);
  const rawFilter = Array.isArray(params.Dimensions) ? (params.Dimensions as Array<{ Value?: unknown }>) : [];
  const metrics = ctx.store.state.metrics
    .filter((m) => m.region === ctx.region && (!namespace || m.namespace === namespace) && (!metricName || m.name === metricName))
    .filter((m) => dimensions.every((d, i) => m.dimensions.some((x) => x.Name === d.Name && (typeof rawFilter[i]?.Value !== 'string' || x.Value === d.Value))))
    .map((m) => ({ m, key: metricKey(m.region, m.namespace, m.name, m.dimensions) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .filter(({ key }) => after === undefined || key > String(after));
  const page = metrics.slice(0, 500);
  return {
    Metrics: page.map(({ m }) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dimensions })),
    ...(metrics.length > 500 ? { NextToken: makeToken('ListMetrics', page[page.length - 1]!.key) } : {}),
  };
};

const putMetricData: Handler = (ctx, params) => {
  const namespace = reqString(params, 'Namespace');
  if (namespace.startsWith('AWS/')) throw invalidValue('The value AWS/ for parameter Namespace is invalid.');
  const data = params.MetricData;
  if (!Array.isArray(data)) throw constraint(null, 'metricData', 'Member must not be null');
  if (data.length > 1000) throw constraint(`${data.length} items`, 'metricData', 'Member must have length less than or equal to 1000');
  const nowMs = ctx.now().getTime();
  const points = data.map((raw: unknown, i) => {
    const d = (raw ?? {}) as Record<string, unknown>;
    const field = `MetricData.member.${i + 1}`;
    if (typeof d.MetricName !== 'string' || d.MetricName.length < 1) throw missing(`${field}.MetricName`);
    const dimensions = dimensionsParam(d.Dimensions, `${field}.Dimensions`);
    const timestamp = optTime(d, 'Timestamp') ?? nowMs;
    const resolution = d.StorageResolution === undefined || d.StorageResolution === null ? 60 : d.StorageResolution;
    if (resolution !== 1 && resolution !== 60) throw invalidValue(`The value ${String(resolution)} for parameter ${field}.StorageResolution is invalid.`);
    const unit = typeof d.Unit === 'string' ? d.Unit : undefined;
    const finite = (v: unknown, name: string): number => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidValue(`The value ${String(v)} for parameter ${field}.${name} is invalid.`);
      return v;
    };
    let agg: Aggregate;
    const given = [d.Value !== undefined && d.Value !== null, Array.isArray(d.Values), d.StatisticValues !== undefined && d.StatisticValues !== null].filter(Boolean).length;
    if (given > 1) throw combination(`The parameters ${field}.Value, ${field}.Values and ${field}.StatisticValues are mutually exclusive.`);
    if (Array.isArray(d.Values)) {
      const values = d.Values.map((v) => finite(v, 'Values'));
      const counts = Array.isArray(d.Counts) ? d.Counts.map((c) => finite(c, 'Counts')) : values.map(() => 1);
      if (counts.length !== values.length) throw combination(`The parameters ${field}.Values and ${field}.Counts must be of the same size.`);
      if (values.length === 0) throw missing(`${field}.Values`);
      agg = { sampleCount: 0, sum: 0, min: Infinity, max: -Infinity };
      values.forEach((v, k) => {
        agg.sampleCount += counts[k]!;
        agg.sum += v * counts[k]!;
        agg.min = Math.min(agg.min, v);
        agg.max = Math.max(agg.max, v);
      });
    } else if (d.StatisticValues) {
      const s = d.StatisticValues as Record<string, unknown>;
      agg = { sampleCount: finite(s.SampleCount, 'StatisticValues.SampleCount'), sum: finite(s.Sum, 'StatisticValues.Sum'), min: finite(s.Minimum, 'StatisticValues.Minimum'), max: finite(s.Maximum, 'StatisticValues.Maximum') };
    } else {
      const v = finite(d.Value ?? 0, 'Value');
      agg = { sampleCount: 1, sum: v, min: v, max: v };
    }
    if (timestamp < nowMs - 14 * DAY || timestamp > nowMs + 2 * 3_600_000) {
      throw invalidValue(`The parameter ${field}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`);
    }
    return { name: d.MetricName, dimensions, agg, timestamp, unit, resolution: resolution as number };
  });
  for (const point of points) {
    putDatapoint(ctx.store, ctx.region, namespace, point.name, point.dimensions, point.agg, point.timestamp, nowMs, point.unit, point.resolution);
  }
  return {};
};

export const cloudwatchService: JsonService = {
  name: 'monitoring',
  targetPrefix: 'GraniteServiceVersion20100801.',
  contentType: 'application/x-amz-json-1.0',
  operations: {
    PutMetricAlarm: putMetricAlarm,
    DescribeAlarms: describeAlarms,
    DeleteAlarms: deleteAlarms,
    DescribeAlarmHistory: describeAlarmHistory,
    GetMetricData: getMetricData,
    GetMetricStatistics: getMetricStatistics,
    ListMetrics: listMetrics,
    PutMetricData: putMetricData,
  },
};
