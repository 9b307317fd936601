// The retirement's seven invariants (README, "The retirement's promises"), checked from the
// outside: the sandbox's state and request log over HTTP (through the real SDK clients and the
// sandbox's own log) plus keywarden's records and journals on disk. Tests call it after every
// step; the model-based test after every command. It throws an Error naming the invariant broken.

import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import type { Clients } from '../../src/aws/clients.js';
import type { Retirements } from '../../src/aws/retirement.js';
import { METRIC_NAMESPACE, watchNames, WATCHED_OPERATIONS, type RetirementRecord } from '../../src/domain/retirement.js';
import { stageProgress } from '../../src/domain/retirement-steps.js';
import type { RetirementStore } from '../../src/journal/retirements.js';
import type { RequestLogEntry, Sandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CALLER_ARN } from '../../src/sandbox/constants.js';

const DAY_MS = 86_400_000;

export interface Machine {
  retirements: Retirements;
  store: RetirementStore;
}

export interface InvariantContext {
  sandbox: Sandbox;
  /** Clients that read the sandbox (keywarden's own credentials). */
  clients: Clients;
  key: { arn: string; keyId: string; region: string };
  /** Every keywarden (data directory) acting on the key; all use the operator's credentials. */
  machines: Machine[];
  /** A keywarden with an empty data directory, to read the key as a colleague would (invariant 7). */
  colleague?: () => Machine;
}

/** A call that changed the key: answered 200, or run and its answer lost. */
function ran(entry: RequestLogEntry): boolean {
  return entry.status === 200 || entry.fault === 'reset-after' || entry.fault === 'hang-after';
}

function keyOf(entry: RequestLogEntry): string | undefined {
  const params = entry.params as { KeyId?: string } | undefined;
  return typeof params?.KeyId === 'string' ? params.KeyId : undefined;
}

function fail(invariant: number, message: string): never {
  throw new Error(`invariant ${invariant} broken: ${message}`);
}

async function keyState(ctx: InvariantContext): Promise<string> {
  try {
    return (await ctx.clients.kms(ctx.key.region).send(new DescribeKeyCommand({ KeyId: ctx.key.arn }))).KeyMetadata?.KeyState ?? 'unknown';
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFoundException') return 'gone';
    throw error;
  }
}

/** The record's steps that start a watch (src/domain/retirement.ts applyEvent). */
const WATCH_STEP = /^(alarm armed|alarm re-armed|weaker CloudTrail watch (recorded|started again))/;

export async function checkRetirementInvariants(ctx: InvariantContext): Promise<void> {
  const log = ctx.sandbox.requests();
  const mine = (e: RequestLogEntry) => e.caller === SANDBOX_CALLER_ARN;
  const onKey = (e: RequestLogEntry) => {
    const k = keyOf(e);
    return k === ctx.key.arn || k === ctx.key.keyId;
  };
  const changes = log.filter((e) => e.service === 'kms' && onKey(e) && ran(e) && ['DisableKey', 'EnableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion'].includes(e.operation));

  // 1. keywarden never enables a key it did not disable.
  let lastDisableByKeywarden: boolean | undefined;
  for (const e of changes) {
    if (e.operation === 'DisableKey') lastDisableByKeywarden = mine(e);
    if (e.operation === 'EnableKey' && mine(e) && lastDisableByKeywarden !== true) {
      fail(1, `keywarden sent EnableKey (request ${e.seq}) for a key ${lastDisableByKeywarden === false ? 'someone else disabled' : 'it never disabled'}`);
    }
    if (e.operation === 'EnableKey') lastDisableByKeywarden = undefined;
  }

  // 2. Deletion only after a watch silent for its whole window, the key Disabled.
  const records = (await Promise.all(ctx.machines.map((m) => m.store.load(ctx.key.arn)))).filter((r): r is RetirementRecord => r !== undefined);
  for (const e of changes.filter((c) => c.operation === 'ScheduleKeyDeletion' && mine(c))) {
    const before = changes.filter((c) => c.seq < e.seq);
    const lastState = before.filter((c) => c.operation === 'DisableKey' || c.operation === 'EnableKey').at(-1);
    if (lastState?.operation !== 'DisableKey') fail(2, `ScheduleKeyDeletion (request ${e.seq}) on a key that was not Disabled`);
    const alarmName = watchNames(ctx.key.keyId).alarmName;
    const armed = log.filter((c) => c.seq < e.seq && ran(c) && c.operation === 'PutMetricAlarm' && (c.params as { AlarmName?: string })?.AlarmName === alarmName).at(-1);
    // The record that scheduled it — or, once the deletion was cancelled (the record forgets the
    // schedule), any record's watch.
    const record = records.find((r) => r.deletionScheduledAt !== undefined || r.stage === 'deletion-scheduled' || r.stage === 'deleted') ?? records.find((r) => r.watch !== undefined);
    const watchDays = record?.watchDays ?? 1;
    // The watch in force when it was sent: a watch started again later (after a cancelled
    // deletion and a detected use, say) does not judge a deletion scheduled before it.
    const sentAt = new Date(e.time).getTime();
    const inForce = (record?.steps ?? []).filter((st) => WATCH_STEP.test(st.step) && new Date(st.at).getTime() <= sentAt).at(-1);
    const weaker = inForce ? inForce.step.startsWith('weaker') : record?.watch?.kind === 'cloudtrail-poll';
    const weakerFrom = inForce ? inForce.at : record?.watchStartedAt;
    const from = weaker ? (weakerFrom ? new Date(weakerFrom).getTime() : undefined) : armed ? new Date(armed.time).getTime() : undefined;
    if (from === undefined) fail(2, `ScheduleKeyDeletion (request ${e.seq}) without an alarm (or a recorded weaker watch)`);
    if (new Date(e.time).getTime() - from < watchDays * DAY_MS - 1000) fail(2, `ScheduleKeyDeletion (request ${e.seq}) before the ${watchDays}-day watch ended`);
  }

  const state = await keyState(ctx);
  const names = watchNames(ctx.key.keyId);
  const tags =
    state === 'gone'
      ? {}
      : Object.fromEntries(((await ctx.clients.kms(ctx.key.region).send(new ListResourceTagsCommand({ KeyId: ctx.key.arn }))).Tags ?? []).map((t) => [t.TagKey, t.TagValue]));
  const retirementTags = Object.keys(tags).filter((k) => k.startsWith('keywarden:retirement-'));

  // 3. What keywarden created is gone when the retirement ended.
  const ended = records.every((r) => r.stage === 'closed') && (records.length > 0 || retirementTags.length === 0);
  if (ended) {
    const alarms = (await ctx.clients.cloudwatch(ctx.key.region).send(new DescribeAlarmsCommand({ AlarmNames: [names.alarmName] }))).MetricAlarms ?? [];
    const filters = ((await ctx.clients.logs(ctx.key.region).send(new DescribeMetricFiltersCommand({ metricName: names.metricName, metricNamespace: METRIC_NAMESPACE }))).metricFilters ?? []).filter(
      (f) => f.filterName === names.filterName,
    );
    if (alarms.length > 0) fail(3, `the retirement ended but the alarm ${names.alarmName} still exists`);
    if (filters.length > 0) fail(3, `the retirement ended but the metric filter ${names.filterName} still exists on ${filters.map((f) => f.logGroupName).join(', ')}`);
    // A key pending deletion cannot be untagged (KMS.md §1.3): its tags go with it.
    const untaggable = state === 'PendingDeletion' || state === 'PendingReplicaDeletion';
    if (records.length > 0 && retirementTags.length > 0 && !untaggable) fail(3, `the retirement ended but the key still has ${retirementTags.join(', ')}`);
  }

  for (const [i, machine] of ctx.machines.entries()) {
    const record = await machine.store.load(ctx.key.arn);
    if (!record) continue;
    // 6. A refused start writes nothing: no record of a key that cannot be retired.
    if (record.stage === 'preflight' && record.evidence.findings.some((f) => f.startsWith('stop:'))) fail(6, `machine ${i} keeps a preflight record of a key that cannot be retired`);
    if (record.stage === 'closed') continue;
    // At preflight abandon is always allowed and nothing is shown done but the preflight: the
    // findings need not be read again for the checks below.
    const status = await machine.retirements.status(record, record.stage === 'preflight' ? [] : undefined);
    // 4. Every retirement can end: some step is allowed now.
    if (!status.steps.some((s) => s.allowed)) fail(4, `machine ${i}: no step is allowed at stage ${status.record.stage} (key ${state}): ${status.steps.map((s) => `${s.id}: ${s.why}`).join('; ')}`);
    // 5. What is shown matches AWS: the stage list marks only what happened, or the difference is named.
    const progress = Object.fromEntries(stageProgress(status.record).map((p) => [p.label, p.done]));
    const named = status.drift.length > 0;
    if (progress['Deleted'] && state !== 'gone') fail(5, `machine ${i} shows the key deleted but it is ${state}`);
    if (progress['Deletion scheduled'] && !progress['Deleted'] && state !== 'PendingDeletion' && state !== 'PendingReplicaDeletion' && !named) fail(5, `machine ${i} shows the deletion scheduled but the key is ${state} and no change is named`);
    if (progress['Disabled'] && !progress['Deletion scheduled'] && state !== 'Disabled' && !named) fail(5, `machine ${i} shows the key disabled but it is ${state} and no change is named`);
    // 7. keywarden's own calls are never a use.
    for (const attempt of status.reality.attemptsSinceDisabled) {
      const op = /\(([A-Za-z]+)\)/.exec(attempt)?.[1];
      if (!op || !WATCHED_OPERATIONS.includes(op)) fail(7, `machine ${i} counts "${attempt}" as a use`);
    }
    if (status.record.stage === 'use-detected') {
      const since = new Date(status.record.usesSeenUntil ?? status.record.disabledAt ?? 0).getTime() - 1000;
      const used = log.some((e) => e.service === 'kms' && WATCHED_OPERATIONS.includes(e.operation) && e.errorCode !== undefined && new Date(e.time).getTime() >= since);
      if (!used) fail(7, `machine ${i} reports a use, but no use of a key failed since ${status.record.disabledAt}`);
    }
  }
  // 4. The way back exists: a key whose state keywarden's own DisableKey set (the last change that
  //    ran on it) is known to a retirement past preflight — also after a kill between the
  //    DisableKey and the record, or an abandon.
  const lastChange = changes.at(-1);
  if (state === 'Disabled' && lastChange?.operation === 'DisableKey' && mine(lastChange)) {
    // Read after the machines' status reads above: reading the retirement is when a restarted
    // process learns what its killed predecessor did.
    const now = (await Promise.all(ctx.machines.map((m) => m.store.load(ctx.key.arn)))).filter((r): r is RetirementRecord => r !== undefined);
    // Closed on purpose (close leaves the key as it is, and says so) is an end, and a retirement
    // started after that DisableKey did not make it; no record, or only the preflight of the
    // retirement that sent it, is a disable nobody can undo.
    const live = now.filter((r) => r.stage !== 'preflight' || new Date(r.startedAt).getTime() > new Date(lastChange.time).getTime());
    if (live.length === 0) fail(4, `keywarden disabled the key (request ${lastChange.seq}) but no retirement knows it: ${now.map((r) => r.stage).join(', ') || 'no record'}`);
  }

  if (ctx.colleague && tags['keywarden:retirement-stage'] === 'deletion-scheduled' && state !== 'PendingDeletion' && state !== 'PendingReplicaDeletion' && state !== 'gone') {
    const colleague = ctx.colleague();
    const found = await colleague.retirements.find({ arn: ctx.key.arn, region: ctx.key.region });
    if (found) {
      const status = await colleague.retirements.status(found);
      const blamed = status.drift.find((d) => /cancelled/.test(d));
      if (blamed) fail(7, `a colleague reads keywarden's own deletion-scheduled tag as someone else's change: ${blamed}`);
    }
  }
}
