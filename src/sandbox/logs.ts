// CloudWatch Logs (awsJson1_1, `X-Amz-Target: Logs_20140328.<Op>`): log groups and streams, log
// events, metric filters evaluated for real (metric-filter.ts) and the sink CloudTrail delivers
// into. A matching event emits a datapoint into the CloudWatch metric store (cloudwatch.ts) at the
// event's timestamp. Behaviour choices: docs/sandbox.md, "CloudWatch Logs and CloudWatch".

import { randomInt } from 'node:crypto';
import { SANDBOX_ACCOUNT } from './constants.js';
import { putDatapoint } from './cloudwatch.js';
import type { LogDelivery } from './log-sink.js';
import { extractedValues, matchesFilter, parseFilterPattern, selectValue, type FilterPattern } from './metric-filter.js';
import { AwsError, validationError, type Handler, type JsonService } from './protocol.js';
import type { LogEventRecord, LogGroupRecord, LogStreamRecord, MetricFilterRecord, Store } from './state.js';
import { makeToken, readToken } from './paging-token.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/**
 * Log events kept per log group (oldest dropped first), besides the group's retention. The events
 * live in the state file, which is rewritten after every change, so this stays small; metric
 * datapoints (what alarms need) are kept separately for 15 days.
 */
export const MAX_EVENTS_PER_GROUP = 2_000;
export const MAX_METRIC_FILTERS_PER_GROUP = 100;
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const LOG_STREAM_NAME = /^[^:*]*$/;
const FILTER_NAME = /^[^:*]*$/;
const METRIC_NAME = /^[^:*$]*$/;

// ---------------------------------------------------------------------------------------------
// Parameter helpers (CloudWatch Logs reports model-validation failures as InvalidParameterException)

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function asInvalid(error: AwsError): AwsError {
  return invalid(error.message);
}

function str(params: Record<string, unknown>, field: string, opts: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {}): string | undefined {
  const value = params[field];
  if (value === undefined || value === null) {
    if (opts.required) throw asInvalid(validationError(null, field, 'Member must not be null'));
    return undefined;
  }
  if (typeof value !== 'string') throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (value.length < (opts.min ?? 0)) throw asInvalid(validationError(value, field, `Member must have length greater than or equal to ${opts.min ?? 0}`));
  if (opts.max !== undefined && value.length > opts.max) throw asInvalid(validationError(value, field, `Member must have length less than or equal to ${opts.max}`));
  if (opts.pattern && !opts.pattern.test(value)) {
    throw asInvalid(validationError(value, field, `Member must satisfy regular expression pattern: ${opts.pattern.source.replace(/^\^|\$$/g, '')}`));
  }
  return value;
}

function int(params: Record<string, unknown>, field: string, min?: number, max?: number): number | undefined {
  const value = params[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError('SerializationException', `Unexpected value type for ${field}`);
  if (min !== undefined && value < min) throw asInvalid(validationError(value, field, `Member must have value greater than or equal to ${min}`));
  if (max !== undefined && value > max) throw asInvalid(validationError(value, field, `Member must have value less than or equal to ${max}`));
  return value;
}

const readPage = (operation: string, token: unknown) => readToken(operation, token, () => invalid('The specified nextToken is invalid.'));

// ---------------------------------------------------------------------------------------------
// Store access

export function logGroupsOf(store: Store, region: string): LogGroupRecord[] {
  return store.state.logGroups.filter((g) => g.region === region);
}

export function findLogGroup(store: Store, region: string, name: string): LogGroupRecord | undefined {
  return store.state.logGroups.find((g) => g.region === region && g.name === name);
}

function requireGroup(store: Store, region: string, name: string): LogGroupRecord {
  const group = findLogGroup(store, region, name);
  if (!group) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
  return group;
}

/** `logGroupName`, or `logGroupIdentifier` (name or ARN) where the API accepts it. */
function groupNameParam(params: Record<string, unknown>, identifierAllowed: boolean): string {
  const identifier = identifierAllowed ? str(params, 'logGroupIdentifier', { min: 1, max: 2048 }) : undefined;
  const name = str(params, 'logGroupName', { required: !identifier, min: 1, max: 512, pattern: LOG_GROUP_NAME });
  if (identifier && name) throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  if (name) return name;
  const arn = /^arn:aws[\w-]*:logs:[^:]*:\d{12}:log-group:([^:]+)(:\*)?$/.exec(identifier!);
  return arn ? arn[1]! : identifier!;
}

function groupArn(group: LogGroupRecord): string {
  return `arn:aws:logs:${group.region}:${SANDBOX_ACCOUNT}:log-group:${group.name}`;
}

function nextEventId(timestamp: number): string {
  // AWS event ids are long digit strings; ours sort by timestamp and are unique enough.
  return `${String(timestamp).padStart(16, '0')}${String(randomInt(0, 1e12)).padStart(12, '0')}`;
}

/** Drops events older than the group's retention (relative to sandbox time) and beyond the per-stream cap. */
function trimStream(group: LogGroupRecord, stream: LogStreamRecord, nowMs: number): void {
  if (group.retentionInDays !== undefined) {
    const cutoff = nowMs - group.retentionInDays * DAY;
    if (stream.events.length > 0 && stream.events[0]!.timestamp < cutoff) stream.events = stream.events.filter((e) => e.timestamp >= cutoff);
  }
  if (stream.events.length > MAX_EVENTS_PER_GROUP) stream.events.splice(0, stream.events.length - MAX_EVENTS_PER_GROUP);
}

/** Keeps the newest MAX_EVENTS_PER_GROUP events of the group (ties at the cut-off are kept). */
function capGroup(group: LogGroupRecord): void {
  let total = 0;
  for (const stream of group.streams) total += stream.events.length;
  if (total <= MAX_EVENTS_PER_GROUP) return;
  // The MAX_EVENTS_PER_GROUP-th newest time is the (total - MAX + 1)-th oldest: walked from the
  // streams' oldest ends (each stream is in time order). This runs on every delivery into a full
  // group, which is usually one event over: a step or two, no copy and no sort of the whole group.
  const heads = group.streams.map(() => 0);
  let cutoff = -Infinity;
  for (let taken = 0; taken <= total - MAX_EVENTS_PER_GROUP; taken += 1) {
    let oldest = -1;
    for (let i = 0; i < heads.length; i += 1) {
      const events = group.streams[i]!.events;
      if (heads[i]! < events.length && (oldest < 0 || events[heads[i]!]!.timestamp < group.streams[oldest]!.events[heads[oldest]!]!.timestamp)) oldest = i;
    }
    cutoff = group.streams[oldest]!.events[heads[oldest]!]!.timestamp;
    heads[oldest] = heads[oldest]! + 1;
  }
  for (const stream of group.streams) {
    if (stream.events.length === 0 || stream.events[0]!.timestamp >= cutoff) continue;
    let keepFrom = 0;
    while (keepFrom < stream.events.length && stream.events[keepFrom]!.timestamp < cutoff) keepFrom += 1;
    stream.events.splice(0, keepFrom);
  }
}

function parsedFilter(filter: MetricFilterRecord): FilterPattern | undefined {
  const parsed = parseFilterPattern(filter.filterPattern);
  return parsed.ok ? parsed.pattern : undefined;
}

/** The number a metric transformation emits for a matching event: a literal, or a `$.field` of the event. */
function metricValueFor(metricValue: string, message: string): number | undefined {
  const text = metricValue.trim();
  if (text.startsWith('$')) {
    const selected = selectValue(message, text);
    const value = typeof selected === 'number' ? selected : typeof selected === 'string' && selected.trim() !== '' ? Number(selected) : NaN;
    return Number.isFinite(value) ? value : undefined;
  }
  const value = Number(text);
  return text !== '' && Number.isFinite(value) ? value : undefined;
}

/** Appends events to a stream (kept in timestamp order) and runs the group's metric filters over them. */
function ingest(store: Store, group: LogGroupRecord, stream: LogStreamRecord, events: Array<{ timestamp: number; message: string }>, nowMs: number): void {
  if (events.length === 0) return;
  const records: LogEventRecord[] = events.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: nowMs, eventId: nextEventId(e.timestamp) }));
  const last = stream.events[stream.events.length - 1];
  stream.events.push(...records);
  if (last && records.some((r) => r.timestamp < last.timestamp)) stream.events.sort((a, b) => a.timestamp - b.timestamp);
  trimStream(group, stream, nowMs);
  capGroup(group);
  for (const filter of group.metricFilters) {
    const pattern = parsedFilter(filter);
    const transformation = filter.metricTransformations[0];
    if (!pattern || !transformation) continue;
    for (const event of records) {
      if (!matchesFilter(pattern, event.message)) continue;
      const value = metricValueFor(transformation.metricValue, event.message);
      if (value === undefined) continue;
      const dimensions: Array<{ Name: string; Value: string }> = [];
      let complete = true;
      for (const [name, selector] of Object.entries(transformation.dimensions ?? {})) {
        const selected = selector.startsWith('$') ? selectValue(event.message, selector) : selector;
        if (selected === undefined || selected === null || typeof selected === 'object') complete = false;
        else dimensions.push({ Name: name, Value: String(selected) });
      }
      if (!complete) continue;
      putDatapoint(store, group.region, transformation.metricNamespace, transformation.metricName, dimensions, { sampleCount: 1, sum: value, min: value, max: value }, event.timestamp, nowMs, transformation.unit);
    }
  }
  store.touchState();
}

/**
 * The LogSink behind `ctx.deliverLogs`: CloudTrail's delivery into a log group. The stream is created
 * on demand; a missing log group drops the delivery (CloudTrail would report a delivery error).
 * Returns false when the group does not exist.
 */
export function deliverLogEvents(store: Store, delivery: LogDelivery, nowMs: number): boolean {
  const group = findLogGroup(store, delivery.region, delivery.logGroupName);
  if (!group) return false;
  let stream = group.streams.find((s) => s.name === delivery.logStreamName);
  if (!stream) {
    stream = { name: delivery.logStreamName, creationTime: nowMs, events: [] };
    group.streams.push(stream);
  }
  const events = [...delivery.events].sort((a, b) => a.timestamp - b.timestamp);
  ingest(store, group, stream, events, nowMs);
  store.touchState();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Operations

const createLogGroup: Handler = (ctx, params) => {
  const name = str(params, 'logGroupName', { required: true, min: 1, max: 512, pattern: LOG_GROUP_NAME })!;
  if (findLogGroup(ctx.store, ctx.region, name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
  ctx.store.state.logGroups.push({ region: ctx.region, name, creationTime: ctx.now().getTime(), streams: [], metricFilters: [] });
  ctx.store.touchState();
  return {};
};

const deleteLogGroup: Handler = (ctx, params) => {
  const name = str(params, 'logGroupName', { required: true, min: 1, max: 512, pattern: LOG_GROUP_NAME })!;
  const group = requireGroup(ctx.store, ctx.region, name);
  ctx.store.state.logGroups.splice(ctx.store.state.logGroups.indexOf(group), 1);
  ctx.store.touchState();
  return {};
};

const putRetentionPolicy: Handler = (ctx, params) => {
  const name = str(params, 'logGroupName', { required: true, min: 1, max: 512, pattern: LOG_GROUP_NAME })!;
  const days = params.retentionInDays;
  if (days === undefined || days === null) throw asInvalid(validationError(null, 'retentionInDays', 'Member must not be null'));
  if (typeof days !== 'number' || !RETENTION_DAYS.includes(days)) {
    throw invalid(`1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  }
  const group = requireGroup(ctx.store, ctx.region, name);
  group.retentionInDays = days;
  for (const stream of group.streams) trimStream(group, stream, ctx.now().getTime());
  ctx.store.touchState();
  return {};
};

const describeLogGroups: Handler = (ctx, params) => {
  const prefix = str(params, 'logGroupNamePrefix', { min: 1, max: 512, pattern: LOG_GROUP_NAME });
  const pattern = str(params, 'logGroupNamePattern', { max: 512 });
  if (prefix && pattern) throw invalid('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
  const limit = int(params, 'limit', 1, 50) ?? 50;
  const after = readPage('DescribeLogGroups', params.nextToken);
  const groups = logGroupsOf(ctx.store, ctx.region)
    .filter((g) => (prefix ? g.name.startsWith(prefix) : pattern ? g.name.toLowerCase().includes(pattern.toLowerCase()) : true))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .filter((g) => after === undefined || g.name > String(after));
  const page = groups.slice(0, limit);
  const nowMs = ctx.now().getTime();
  return {
    logGroups: page.map((g) => {
      for (const stream of g.streams) trimStream(g, stream, nowMs);
      return {
        logGroupName: g.name,
        creationTime: g.creationTime,
        ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
        metricFilterCount: g.metricFilters.length,
        arn: `${groupArn(g)}:*`,
        logGroupArn: groupArn(g),
        storedBytes: g.streams.reduce((sum, s) => sum + s.events.reduce((n, e) => n + Buffer.byteLength(e.message), 0), 0),
        logGroupClass: 'STANDARD',
      };
    }),
    ...(groups.length > limit ? { nextToken: makeToken('DescribeLogGroups', page[page.length - 1]!.name) } : {}),
  };
};

const createLogStream: Handler = (ctx, params) => {
  const groupName = str(params, 'logGroupName', { required: true, min: 1, max: 512, pattern: LOG_GROUP_NAME })!;
  const streamName = str(params, 'logStreamName', { required: true, min: 1, max: 512, pattern: LOG_STREAM_NAME })!;
  const group = requireGroup(ctx.store, ctx.region, groupName);
  if (group.streams.some((s) => s.name === streamName)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  group.streams.push({ name: streamName, creationTime: ctx.now().getTime(), events: [] });
  ctx.store.touchState();
  return {};
};

const describeLogStreams: Handler = (ctx, params) => {
  const groupName = groupNameParam(params, true);
  const prefix = str(params, 'logStreamNamePrefix', { min: 1, max: 512 });
  const limit = int(params, 'limit', 1, 50) ?? 50;
  const after = readPage('DescribeLogStreams', params.nextToken);
  const group = requireGroup(ctx.store, ctx.region, groupName);
  const streams = group.streams
    .filter((s) => !prefix || s.name.startsWith(prefix))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .filter((s) => after === undefined || s.name > String(after));
  const page = streams.slice(0, limit);
  return {
    logStreams: page.map((s) => ({
      logStreamName: s.name,
      creationTime: s.creationTime,
      arn: `${groupArn(group)}:log-stream:${s.name}`,
      storedBytes: 0,
      ...(s.events.length > 0
        ? { firstEventTimestamp: s.events[0]!.timestamp, lastEventTimestamp: s.events[s.events.length - 1]!.timestamp, lastIngestionTime: Math.max(...s.events.map((e) => e.ingestionTime)) }
        : {}),
    })),
    ...(streams.length > limit ? { nextToken: makeToken('DescribeLogStreams', page[page.length - 1]!.name) } : {}),
  };
};

const putLogEvents: Handler = (ctx, params) => {
  const groupName = str(params, 'logGroupName', { required: true, min: 1, max: 512, pattern: LOG_GROUP_NAME })!;
  const streamName = str(params, 'logStreamName', { required: true, min: 1, max: 512, pattern: LOG_STREAM_NAME })!;
  const raw = params.logEvents;
  if (raw === undefined || raw === null) throw asInvalid(validationError(null, 'logEvents', 'Member must not be null'));
  if (!Array.isArray(raw)) throw new AwsError('SerializationException', 'Unexpected value type for logEvents');
  if (raw.length < 1) throw asInvalid(validationError('[]', 'logEvents', 'Member must have length greater than or equal to 1'));
  if (raw.length > 10_000) throw asInvalid(validationError(`${raw.length} items`, 'logEvents', 'Member must have length less than or equal to 10000'));
  const events = raw.map((e: unknown, i) => {
    const event = (e ?? {}) as { timestamp?: unknown; message?: unknown };
    if (typeof event.timestamp !== 'number') throw asInvalid(validationError(null, `logEvents.${i + 1}.member.timestamp`, 'Member must not be null'));
    if (typeof event.message !== 'string') throw asInvalid(validationError(null, `logEvents.${i + 1}.member.message`, 'Member must not be null'));
    if (event.message.length < 1) throw asInvalid(validationError(event.message, `logEvents.${i + 1}.member.message`, 'Member must have length greater than or equal to 1'));
    return { timestamp: event.timestamp, message: event.message };
  });
  for (let i = 1; i < events.length; i += 1) {
    if (events[i]!.timestamp < events[i - 1]!.timestamp) throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
  }
  const group = requireGroup(ctx.store, ctx.region, groupName);
  const stream = group.streams.find((s) => s.name === streamName);
  if (!stream) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
  const nowMs = ctx.now().getTime();
  const tooOld = nowMs - 14 * DAY;
  const expired = group.retentionInDays !== undefined ? nowMs - group.retentionInDays * DAY : -Infinity;
  const tooNew = nowMs + 2 * HOUR;
  const rejected: Record<string, number> = {};
  const accepted: typeof events = [];
  events.forEach((event, i) => {
    if (event.timestamp < expired) rejected.expiredLogEventEndIndex = i + 1;
    else if (event.timestamp < tooOld) rejected.tooOldLogEventEndIndex = i + 1;
    else if (event.timestamp > tooNew) rejected.tooNewLogEventStartIndex ??= i;
    else accepted.push(event);
  });
  ingest(ctx.store, group, stream, accepted, nowMs);
  return {
    nextSequenceToken: String(nowMs).padStart(56, '0'),
    ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
  };
};

function validateTransformation(raw: unknown): MetricFilterRecord['metricTransformations'][number] {
  const t = (raw ?? {}) as Record<string, unknown>;
  const field = 'metricTransformations.1.member';
  const need = (name: string, max: number, pattern?: RegExp): string => {
    const value = t[name];
    if (value === undefined || value === null) throw asInvalid(validationError(null, `${field}.${name}`, 'Member must not be null'));
    if (typeof value !== 'string') throw new AwsError('SerializationException', `Unexpected value type for ${name}`);
    if (value.length > max) throw asInvalid(validationError(value, `${field}.${name}`, `Member must have length less than or equal to ${max}`));
    if (pattern && !pattern.test(value)) throw asInvalid(validationError(value, `${field}.${name}`, `Member must satisfy regular expression pattern: ${pattern.source.replace(/^\^|\$$/g, '')}`));
    return value;
  };
  const metricName = need('metricName', 255, METRIC_NAME);
  const metricNamespace = need('metricNamespace', 255, METRIC_NAME);
  const metricValue = need('metricValue', 100);
  if (metricValueFor(metricValue, '{}') === undefined && !metricValue.trim().startsWith('$')) {
    throw invalid(`Invalid metric value: ${metricValue}`);
  }
  const out: MetricFilterRecord['metricTransformations'][number] = { metricName, metricNamespace, metricValue };
  if (t.defaultValue !== undefined && t.defaultValue !== null) {
    if (typeof t.defaultValue !== 'number') throw new AwsError('SerializationException', 'Unexpected value type for defaultValue');
    out.defaultValue = t.defaultValue;
  }
  if (t.dimensions !== undefined && t.dimensions !== null) {
    if (typeof t.dimensions !== 'object' || Array.isArray(t.dimensions)) throw new AwsError('SerializationException', 'Unexpected value type for dimensions');
    const dims = t.dimensions as Record<string, unknown>;
    if (Object.keys(dims).length > 3) throw invalid('A metric transformation may have at most 3 dimensions.');
    if (Object.keys(dims).length > 0) {
      if (out.defaultValue !== undefined) throw invalid('The specified metric transformation cannot have both a default value and dimensions.');
      out.dimensions = Object.fromEntries(Object.entries(dims).map(([k, v]) => [k, String(v)]));
    }
  }
  if (typeof t.unit === 'string') out.unit = t.unit;
  return out;
}

const putMetricFilter: Handler = (ctx, params) => {
  const groupName = str(params, 'logGroupName', { required: true, min: 1, max: 512, pattern: LOG_GROUP_NAME })!;
  const filterName = str(params, 'filterName', { required: true, min: 1, max: 512, pattern: FILTER_NAME })!;
  const filterPattern = str(params, 'filterPattern', { required: true, min: 0, max: 1024 })!;
  const transformations = params.metricTransformations;
  if (transformations === undefined || transformations === null) throw asInvalid(validationError(null, 'metricTransformations', 'Member must not be null'));
  if (!Array.isArray(transformations)) throw new AwsError('SerializationException', 'Unexpected value type for metricTransformations');
  if (transformations.length < 1) throw asInvalid(validationError('[]', 'metricTransformations', 'Member must have length greater than or equal to 1'));
  if (transformations.length > 1) throw asInvalid(validationError(`${transformations.length} items`, 'metricTransformations', 'Member must have length less than or equal to 1'));
  const transformation = validateTransformation(transformations[0]);
  const group = requireGroup(ctx.store, ctx.region, groupName);
  const parsed = parseFilterPattern(filterPattern);
  if (!parsed.ok) throw invalid(parsed.message);
  if (transformation.dimensions && parsed.pattern.kind !== 'json') throw invalid('The specified filter pattern does not support dimensions');
  const existing = group.metricFilters.find((f) => f.filterName === filterName);
  if (!existing && group.metricFilters.length >= MAX_METRIC_FILTERS_PER_GROUP) throw new AwsError('LimitExceededException', 'Resource limit exceeded.');
  const record: MetricFilterRecord = { filterName, filterPattern, metricTransformations: [transformation], creationTime: existing?.creationTime ?? ctx.now().getTime() };
  if (existing) group.metricFilters[group.metricFilters.indexOf(existing)] = record;
  else group.metricFilters.push(record);
  ctx.store.touchState();
  return {};
};

const describeMetricFilters: Handler = (ctx, params) => {
  const groupName = str(params, 'logGroupName', { min: 1, max: 512, pattern: LOG_GROUP_NAME });
  const prefix = str(params, 'filterNamePrefix', { min: 1, max: 512, pattern: FILTER_NAME });
  const metricName = str(params, 'metricName', { max: 255, pattern: METRIC_NAME });
  const metricNamespace = str(params, 'metricNamespace', { max: 255, pattern: METRIC_NAME });
  const limit = int(params, 'limit', 1, 50) ?? 50;
  if ((metricName === undefined) !== (metricNamespace === undefined)) {
    throw invalid('If you specify metricName or metricNamespace, you must specify both.');
  }
  if (prefix && !groupName) throw invalid('If you specify filterNamePrefix, you must specify logGroupName.');
  const after = readPage('DescribeMetricFilters', params.nextToken);
  const groups = groupName ? [requireGroup(ctx.store, ctx.region, groupName)] : logGroupsOf(ctx.store, ctx.region);
  const all = groups
    .flatMap((g) => g.metricFilters.map((f) => ({ g, f, key: `${g.name}\u0000${f.filterName}` })))
    .filter(({ f }) => !prefix || f.filterName.startsWith(prefix))
    .filter(({ f }) => !metricName || f.metricTransformations.some((t) => t.metricName === metricName && t.metricNamespace === metricNamespace))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .filter(({ key }) => after === undefined || key > String(after));
  const page = all.slice(0, limit);
  return {
    metricFilters: page.map(({ g, f }) => ({
      filterName: f.filterName,
      filterPattern: f.filterPattern,
      metricTransformations: f.metricTransformations.map((t) => ({
        metricName: t.metricName,
        metricNamespace: t.metricNamespace,
        metricValue: t.metricValue,
        ...(t.defaultValue !== undefined ? { defaultValue: t.defaultValue } : {}),
        ...(t.dimensions ? { dimensions: t.dimensions } : {}),
        ...(t.unit ? { unit: t.unit } : {}),
      })),
      creationTime: f.creationTime,
      logGroupName: g.name,
      applyOnTransformedLogs: false,
    })),
    ...(all.length > limit ? { nextToken: makeToken('DescribeMetricFilters', page[page.length - 1]!.key) } : {}),
  };
};

const deleteMetricFilter: Handler = (ctx, params) => {
  const groupName = str(params, 'logGroupName', { required: true, min: 1, max: 512, pattern: LOG_GROUP_NAME })!;
  const filterName = str(params, 'filterName', { required: true, min: 1, max: 512, pattern: FILTER_NAME })!;
  const group = requireGroup(ctx.store, ctx.region, groupName);
  const at = group.metricFilters.findIndex((f) => f.filterName === filterName);
  if (at < 0) throw new AwsError('ResourceNotFoundException', 'The specified metric filter does not exist.');
  group.metricFilters.splice(at, 1);
  ctx.store.touchState();
  return {};
};

const testMetricFilter: Handler = (_ctx, params) => {
  const filterPattern = str(params, 'filterPattern', { required: true, min: 0, max: 1024 })!;
  const messages = params.logEventMessages;
  if (messages === undefined || messages === null) throw asInvalid(validationError(null, 'logEventMessages', 'Member must not be null'));
  if (!Array.isArray(messages)) throw new AwsError('SerializationException', 'Unexpected value type for logEventMessages');
  if (messages.length < 1) throw asInvalid(validationError('[]', 'logEventMessages', 'Member must have length greater than or equal to 1'));
  if (messages.length > 50) throw asInvalid(validationError(`${messages.length} items`, 'logEventMessages', 'Member must have length less than or equal to 50'));
  messages.forEach((m, i) => {
    if (typeof m !== 'string') throw new AwsError('SerializationException', 'Unexpected value type for logEventMessages');
    if (m.length < 1) throw asInvalid(validationError(m, `logEventMessages.${i + 1}.member`, 'Member must have length greater than or equal to 1'));
  });
  const parsed = parseFilterPattern(filterPattern);
  if (!parsed.ok) throw invalid(parsed.message);
  const matches = (messages as string[]).flatMap((message, i) =>
    matchesFilter(parsed.pattern, message) ? [{ eventNumber: i + 1, eventMessage: message, extractedValues: extractedValues(parsed.pattern, message) }] : [],
  );
  return { matches };
};

const filterLogEvents: Handler = (ctx, params) => {
  const groupName = groupNameParam(params, true);
  const streamNames = params.logStreamNames;
  const streamPrefix = str(params, 'logStreamNamePrefix', { min: 1, max: 512 });
  if (streamNames !== undefined && streamNames !== null && streamPrefix) {
    throw invalid('You cannot specify both LogStreamNames and LogStreamNamePrefix.');
  }
  if (streamNames !== undefined && streamNames !== null && (!Array.isArray(streamNames) || streamNames.length < 1 || streamNames.length > 100)) {
    throw asInvalid(validationError(String(streamNames), 'logStreamNames', 'Member must have length between 1 and 100'));
  }
  const startTime = int(params, 'startTime', 0);
  const endTime = int(params, 'endTime', 0);
  if (startTime !== undefined && endTime !== undefined && endTime < startTime) throw invalid('endTime must be greater than or equal to startTime');
  const filterPattern = str(params, 'filterPattern', { max: 1024 }) ?? '';
  const limit = int(params, 'limit', 1, 10_000) ?? 10_000;
  const offset = readPage('FilterLogEvents', params.nextToken);
  const group = requireGroup(ctx.store, ctx.region, groupName);
  const parsed = parseFilterPattern(filterPattern);
  if (!parsed.ok) throw invalid(parsed.message.replace('metric filter pattern', 'filter pattern'));
  const nowMs = ctx.now().getTime();
  const streams = group.streams.filter((s) => (Array.isArray(streamNames) ? streamNames.includes(s.name) : streamPrefix ? s.name.startsWith(streamPrefix) : true));
  const found: Array<{ logStreamName: string; timestamp: number; message: string; ingestionTime: number; eventId: string }> = [];
  for (const stream of streams) {
    trimStream(group, stream, nowMs);
    for (const e of stream.events) {
      if (startTime !== undefined && e.timestamp < startTime) continue;
      if (endTime !== undefined && e.timestamp > endTime) continue;
      if (!matchesFilter(parsed.pattern, e.message)) continue;
      found.push({ logStreamName: stream.name, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId });
    }
  }
  found.sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const from = typeof offset === 'number' ? offset : 0;
  const page = found.slice(from, from + limit);
  return {
    events: page,
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
    ...(from + limit < found.length ? { nextToken: makeToken('FilterLogEvents', from + limit) } : {}),
  };
};

export const logsService: JsonService = {
  name: 'logs',
  targetPrefix: 'Logs_20140328.',
  contentType: 'application/x-amz-json-1.1',
  operations: {
    CreateLogGroup: createLogGroup,
    DeleteLogGroup: deleteLogGroup,
    PutRetentionPolicy: putRetentionPolicy,
    DescribeLogGroups: describeLogGroups,
    CreateLogStream: createLogStream,
    DescribeLogStreams: describeLogStreams,
    PutLogEvents: putLogEvents,
    PutMetricFilter: putMetricFilter,
    DescribeMetricFilters: describeMetricFilters,
    DeleteMetricFilter: deleteMetricFilter,
    TestMetricFilter: testMetricFilter,
    FilterLogEvents: filterLogEvents,
  },
};
