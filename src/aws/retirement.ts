// The guided retirement's steps: src/domain/retirement.ts decides what may happen, and this file
// carries it out. Reading what AWS shows is src/aws/retirement-observe.ts (the key, the alarm and
// filter, CloudTrail since the watch; only what the stage needs), the trail checks are
// src/aws/retirement-trail.ts, sending a deletion call once and adopting a lost answer is
// src/aws/retirement-send-once.ts; every decision on what they read is in
// src/domain/retirement-observation.ts. Before every change the step is checked against a status
// read just now; every change is written to the audit journal before it is sent and after it
// returns; the record is saved after each step; the stage is mirrored as tags on the key so a
// colleague's keywarden picks the retirement up.

import { DeleteAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteMetricFilterCommand, PutMetricFilterCommand, TestMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CancelKeyDeletionCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type CancelKeyDeletionCommandOutput,
  type DisableKeyCommandOutput,
  type EnableKeyCommandOutput,
  type ScheduleKeyDeletionCommandOutput,
} from '@aws-sdk/client-kms';
import { KeywardenError } from '../domain/errors.js';
import type { CallerIdentity, KeyMetadata } from '../domain/key.js';
import { isReadProblem } from '../domain/key.js';
import type { RetirementStepInput } from '../domain/retirement-steps.js';
import {
  ALARM_SHAPE,
  disabledByKeywarden,
  explanationNeeded,
  isPendingDeletion,
  isRefusal,
  learnedFromAws,
  STATE_CALLS,
  reachedAws,
  realityAfter,
  type Explanation,
  type OwnCall,
} from '../domain/retirement-observation.js';
import {
  applyEvent,
  METRIC_NAMESPACE,
  metricFilterPattern,
  nextSteps,
  preflightFindings,
  reconcile,
  retirementTags,
  startRetirement,
  syntheticFailedUse,
  TAG_SINCE,
  TAG_STAGE,
  TAG_WATCH,
  TAG_WINDOW,
  TAG_DISABLED_BY,
  watchNames,
  CLOUDTRAIL_LOOKBACK_DAYS,
  parseRetirementTags,
  stuckReason,
  guardRefusal,
  trailingDaysGuard,
  type Finding,
  type Preflight,
  type Reality,
  type RetirementStatus,
  type TrailCheck,
  type RetirementEvent,
  type RetirementRecord,
  type RetirementStage,
  type StepId,
  type Watch,
} from '../domain/retirement.js';
import { summarizeUsage, USE_OPERATIONS } from '../domain/usage.js';
import { pairEntries, type Journal, type JournalOperation } from '../journal/journal.js';
import type { RetirementStore } from '../journal/retirements.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { journaledCall } from './journaled-call.js';
import { AwsKeySource } from './inventory.js';
import { describeKey, readLastUsage, readPolicy } from './kms-reads.js';
import { Observer, unreadableTags } from './retirement-observe.js';
import { adoptedError, rereadAfterFailure, sendOnce, UNKNOWN_OUTCOME } from './retirement-send-once.js';
import { TrailChecks } from './retirement-trail.js';
import { lookupKeyEvents } from './usage.js';

/** The usage window of a preflight re-read for `status` (the CLI's --window-days default). */
const PREFLIGHT_WINDOW_DAYS = 30;

/** The later of two ISO times. */
function latest(a: string, b: string): string {
  return new Date(b).getTime() > new Date(a).getTime() ? b : a;
}

export type { Preflight, RetirementStatus, TrailCheck } from '../domain/retirement.js';

export interface RetirementsOptions {
  clients: Clients;
  journal: Journal;
  store: RetirementStore;
  identity: CallerIdentity;
  /** The account's time (default: this machine's). The built-in sandbox passes its own clock, which tests can advance. */
  now?: () => Date;
}

function describeOutcome(op: JournalOperation): string {
  if (op.status === 'unknown') return 'no answer recorded';
  const outcome = op.result?.outcome;
  return outcome && outcome.ok === false ? `failed: ${outcome.message}` : 'ok';
}

/** What a step needs besides the record: the domain's (the CLI's flags, the wizard's dialogs). */
export type StepInput = RetirementStepInput;

export class Retirements {
  /** The status `take` just read, handed to the step it runs so AWS is not read twice. */
  private fresh: { record: RetirementRecord; status: RetirementStatus } | undefined;
  private readonly clients: Clients;
  private readonly journal: Journal;
  private readonly store: RetirementStore;
  private readonly identity: CallerIdentity;
  private readonly clock: () => Date;
  private readonly trails: TrailChecks;
  private readonly observer: Observer;

  constructor(options: RetirementsOptions) {
    this.clients = options.clients;
    this.journal = options.journal;
    this.store = options.store;
    this.identity = options.identity;
    this.clock = options.now ?? (() => new Date());
    this.trails = new TrailChecks(this.clients, this.clock, this.identity.account);
    this.observer = new Observer(this.clients, this.trails, this.clock, this.identity.arn);
  }

  /** The account's time, in which windows (the watch, the usage window) are measured. */
  now(_region?: string): Date {
    return this.clock();
  }

  // ------------------------------------------------------------------ reading

  async preflight(key: { arn: string; region: string }, windowDays: number): Promise<Preflight> {
    const detail = await new AwsKeySource(this.clients).loadDetail(key);
    const meta = detail.row.metadata;
    if (!meta) {
      const gone = detail.row.problems.some((p) => p.code === 'NotFoundException' || p.code === 'not-found');
      throw new KeywardenError(gone ? 'not-found' : 'access-denied', `cannot describe ${key.arn}: ${detail.row.problems.map((p) => p.message).join('; ')}`);
    }
    const now = this.now(key.region);
    let usage: Preflight['usage'];
    try {
      const loaded = await lookupKeyEvents(this.clients.cloudtrail(key.region), key.arn, { window: { days: windowDays }, now });
      usage = summarizeUsage(loaded.events, { days: windowDays }, now, { keyArn: key.arn });
    } catch (error) {
      usage = { error: toDomainError(error, 'CloudTrail LookupEvents').message };
    }
    const findings = preflightFindings({
      metadata: meta,
      lastUsage: detail.row.lastUsage,
      ...(Array.isArray(detail.grants) ? { grants: detail.grants } : {}),
      ...('error' in usage
        ? {}
        : {
            usage: {
              windowDays,
              // Use = successful cryptographic operations; reads such as DescribeKey (keywarden's own) are not use.
              successfulUses: usage.operations.filter((o) => USE_OPERATIONS.has(o.operation)).reduce((sum, o) => sum + o.count - o.failed, 0),
              ...(usage.lastUse ? { lastSuccess: usage.lastUse.time } : {}),
              callers: usage.principals.filter((p) => p.operations.some((op) => USE_OPERATIONS.has(op))).map((p) => p.description),
            },
          }),
      now,
      windowDays,
    });
    if (isReadProblem(detail.grants)) {
      findings.push({ id: 'grants-unreadable', severity: 'blocking', title: 'the grants cannot be read', detail: detail.grants.message });
    }
    if ('error' in usage) {
      findings.push({ id: 'cloudtrail-unreadable', severity: 'blocking', title: 'CloudTrail cannot be read', detail: `${usage.error}. Recent use cannot be checked.` });
    }
    return { detail, findings, usage, windowDays };
  }

  /**
   * The local record of a key KMS may no longer know (deleted at the end of its waiting period),
   * by ARN, key id or the name it was retired under.
   */
  async recorded(ref: string): Promise<RetirementRecord | undefined> {
    const text = ref.trim().replace(/^alias\//, '');
    return (await this.store.list()).flatMap((l) => (l.ok ? [l.record] : [])).find((r) => r.keyArn === text || r.keyId === text || r.name === text);
  }

  /** The key's retirement: the local record, else one picked up from the key's tags, else undefined. */
  async find(key: { arn: string; region: string }): Promise<RetirementRecord | undefined> {
    const local = await this.store.load(key.arn);
    if (local) return local;
    return this.pickUpFromTags(key);
  }

  /**
   * A colleague started this retirement elsewhere: rebuild the record from the key's tags — checked,
   * since anyone with kms:TagResource can write them — and from what AWS keeps: the watch never
   * starts before the alarm's last configuration change (AlarmConfigurationUpdatedTimestamp) or,
   * for the weaker watch, before the key's last DisableKey in CloudTrail; a forged early `since`
   * gains nothing. A read that fails is reported, never guessed around.
   */
  private async pickUpFromTags(key: { arn: string; region: string }): Promise<RetirementRecord | undefined> {
    let tags: Record<string, string> | undefined;
    try {
      tags = await this.observer.tags(key);
    } catch (error) {
      throw unreadableTags(error);
    }
    if (tags === undefined) return undefined;
    if (tags[TAG_STAGE] === undefined) return undefined;
    const meta = await describeKey(this.clients.kms(key.region), key.arn, key.region);
    const now = this.now(key.region);
    const parsed = parseRetirementTags(tags, meta.keyId, now);
    if (parsed.kind === 'none') return undefined;
    if (parsed.kind === 'invalid') {
      throw new KeywardenError(
        'invalid-state',
        `the key's tags say a keywarden retirement is in progress, but they are not as keywarden writes them: ${parsed.problems.join('; ')}. Nothing was recorded or changed. If a colleague runs this retirement, continue it where it was started; otherwise correct the keywarden:retirement-* tags, or remove them (kms untag-resource) and start again`,
      );
    }
    const { since } = parsed;
    let stage = parsed.stage;
    const notes: string[] = [];
    if (stage === 'deletion-scheduled' && meta.state !== 'PendingDeletion' && meta.state !== 'PendingReplicaDeletion') {
      // keywarden writes this tag just before its ScheduleKeyDeletion (a pending-deletion key can
      // no longer be tagged). A key that is not pending deletion means that call failed or was
      // never sent (killed in between), or the deletion was cancelled: either way the retirement
      // is back at its watch — never someone else's change (invariant 7).
      stage = 'watching';
      notes.push(`the tags say deletion-scheduled but the key is ${meta.state}: the ScheduleKeyDeletion they announce did not happen (or was cancelled); picked up as watching`);
    }
    const reading = (what: string) => (error: unknown) => {
      const domain = toDomainError(error, what);
      return new KeywardenError(domain.kind, `${domain.message}. The retirement on the key's tags (stage ${stage}) was not picked up: nothing was recorded or changed. Try again once it can be read`, { cause: error });
    };
    const watched = stage === 'watching' || stage === 'use-detected' || stage === 'deletion-scheduled';
    let watch: Watch | undefined;
    let watchStartedAt: string | undefined;
    if (watched) {
      const found = await this.observer.findAlarm(meta.keyId, key.region).catch((error: unknown) => {
        throw reading('reading the alarm')(error);
      });
      if (found && found.exists) {
        watch = found.watch;
        // AWS keeps when the alarm was last configured: the watch cannot have started before.
        watchStartedAt = latest(since, found.configuredAt ?? now.toISOString());
        if (watchStartedAt !== since) notes.push(`the watch counts from the alarm's last configuration change (${watchStartedAt}), not from ${since}`);
      } else if (parsed.watch === 'alarm') {
        // The tags name an alarm that is gone: keep it as an alarm watch, so it shows as drift and deletion is refused.
        watch = found?.watch;
        watchStartedAt = since;
        notes.push(`the alarm ${watchNames(meta.keyId).alarmName} named in the tags does not exist`);
      } else {
        watch = { kind: 'cloudtrail-poll', reason: "picked up from the key's tags (weaker watch)" };
        const events = await lookupKeyEvents(this.clients.cloudtrail(key.region), key.arn, { window: { days: CLOUDTRAIL_LOOKBACK_DAYS }, now }).catch((error: unknown) => {
          throw reading('CloudTrail LookupEvents')(error);
        });
        const disables = events.events.filter((e) => e.operation === 'DisableKey' && !e.errorCode).map((e) => e.time);
        const lastDisable = disables.sort().at(-1);
        watchStartedAt = lastDisable ? latest(since, new Date(lastDisable).toISOString()) : since;
        if (watchStartedAt !== since) notes.push(`the watch counts from the key's last DisableKey in CloudTrail (${watchStartedAt}), not from ${since}`);
      }
    }
    let record = startRetirement({
      keyArn: key.arn,
      region: key.region,
      account: meta.accountId,
      name: meta.keyId,
      by: this.identity.arn,
      now: new Date(since),
      watchDays: parsed.watchDays,
      evidence: { summary: "picked up from the key's tags", findings: [] },
    });
    record = {
      ...record,
      stage,
      steps: [{ step: `picked up from the key's tags (stage ${stage})`, at: now.toISOString(), by: this.identity.arn, ok: true, ...(notes.length ? { detail: notes.join('; ') } : {}) }],
    };
    if (watch) record.watch = watch;
    if (watchStartedAt) record.watchStartedAt = watchStartedAt;
    if (stage !== 'preflight') record.disabledAt = since;
    if (parsed.disabledByKeywarden !== undefined) record.disabledByKeywarden = parsed.disabledByKeywarden;
    if (meta.deletionDate) record.deletionDate = meta.deletionDate;
    await this.store.save(record);
    return record;
  }

  /** Reads what AWS shows now (what the record's stage needs: src/domain/retirement-observation.ts). */
  async observe(record: RetirementRecord): Promise<Reality> {
    return this.observer.observe(record);
  }

  async status(record: RetirementRecord, given?: Finding[]): Promise<RetirementStatus> {
    // At preflight the blocking findings decide the way on: re-read them when not given, so every
    // entry point (the CLI's status, the list, the wizard) says the same. The key read for them is
    // the key's state: it is not read a second time.
    const preflight = given === undefined && record.stage === 'preflight' ? await this.preflightFindings(record) : undefined;
    const findings = given ?? preflight?.findings ?? [];
    const reality = await this.observer.observe(record, preflight?.meta);
    const now = this.now(record.region);
    let current = record;
    // The machine follows what really happened to the key (deleted at the end of its waiting
    // period, keywarden's own call whose answer was lost, a colleague's keywarden on this
    // retirement, use detected); everything else is reported as drift for the operator. The
    // journal and the key's tags are read only when the key's state needs explaining.
    const known: Explanation = {};
    for (let guard = 0; guard < 4; guard += 1) {
      for (let need = explanationNeeded(current, reality, known); need; need = explanationNeeded(current, reality, known)) {
        if (need === 'journal') known.ownCall = await this.lastOwnCall(current);
        else known.tags = await this.observer.retirementTags(current);
      }
      const event = learnedFromAws(current, reality, known, now);
      if (!event) break;
      current = await this.advance(current, event, now);
      // Colleagues see it on the key too (a failed tag write is noted in the record, not fatal).
      if (event.type !== 'key-deleted' && event.type !== 'deletion-scheduled' && !this.clients.readOnly) current = await this.mirror(current);
    }
    return { record: current, reality, drift: reconcile(current, reality), steps: nextSteps(current, reality, findings, now), findings, now };
  }

  /**
   * The status right after `step` was taken from `before`: derived from the step's own calls and
   * answers when that is exact (src/domain/retirement-observation.ts `realityAfter`), read from
   * AWS otherwise. What the CLI prints after a step, without a second full read.
   */
  async statusAfter(before: RetirementStatus, step: StepId, next: RetirementRecord): Promise<RetirementStatus> {
    const reality = realityAfter(step, before, next);
    if (!reality) return this.status(next);
    const now = this.now(next.region);
    return { record: next, reality, drift: reconcile(next, reality), steps: nextSteps(next, reality, before.findings, now), findings: before.findings, now };
  }

  /** The preflight findings of a record at preflight, read again, with the key they were read from; none when KMS no longer knows the key. */
  private async preflightFindings(record: RetirementRecord): Promise<{ findings: Finding[]; meta?: KeyMetadata }> {
    try {
      const preflight = await this.preflight({ arn: record.keyArn, region: record.region }, PREFLIGHT_WINDOW_DAYS);
      const meta = preflight.detail.row.metadata;
      return { findings: preflight.findings, ...(meta ? { meta } : {}) };
    } catch (error) {
      if (toDomainError(error).kind === 'not-found') return { findings: [] };
      throw error;
    }
  }

  /**
   * keywarden's own last call on the key's state for this retirement (DisableKey, EnableKey,
   * ScheduleKeyDeletion, CancelKeyDeletion, journalled after the record started), whatever its
   * journalled outcome: ok (crash before the record was saved), unknown (crash before the answer),
   * or failed (the answer was lost and the SDK's resend was refused because the first attempt had
   * already done it); a refusal by AWS is marked as such.
   */
  private async lastOwnCall(record: RetirementRecord): Promise<OwnCall | undefined> {
    const { entries } = await this.journal.read({ keyArn: record.keyArn });
    const last = pairEntries(entries)
      .filter((op) => (STATE_CALLS as readonly string[]).includes(op.intent.action) && op.intent.time >= record.startedAt)
      .at(-1);
    if (!last) return undefined;
    const days = Number(last.intent.params.PendingWindowInDays);
    const outcome = last.result?.outcome;
    return {
      action: last.intent.action as OwnCall['action'],
      time: last.intent.time,
      outcome: describeOutcome(last),
      ...(outcome && outcome.ok === false && isRefusal(outcome.code) ? { refused: true } : {}),
      ...(Number.isInteger(days) ? { pendingWindowDays: days } : {}),
    };
  }

  /** Whether a record's key is in the account these clients read (an unknown account reads as ours). */
  private isOwnAccount(record: RetirementRecord): boolean {
    const account = /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(record.keyArn)?.[1];
    return !account || !this.identity.account || account === this.identity.account;
  }

  async list(): Promise<Array<RetirementStatus | { file: string; problem: string }>> {
    const out: Array<RetirementStatus | { file: string; problem: string }> = [];
    for (const loaded of await this.store.list()) {
      if (!loaded.ok) out.push({ file: loaded.file, problem: loaded.problem });
      else if (!this.isOwnAccount(loaded.record)) {
        // A record of another account (kept from a run with --org or another profile) is never read with this account's credentials.
        const other = /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(loaded.record.keyArn)?.[1] ?? loaded.record.account;
        out.push({ file: loaded.file, problem: `the retirement of ${loaded.record.name} (${loaded.record.keyArn}) is in account ${other}, not ${this.identity.account}: read it with --org, --profiles or that account's profile` });
      } else out.push(await this.status(loaded.record));
    }
    return out;
  }

  /**
   * Trails that can see a use of a key in `region` (KMS.md §12): logging, covering the region,
   * delivering to CloudWatch Logs without errors, read-only management events from KMS included.
   */
  async findTrail(region: string): Promise<TrailCheck> {
    return this.trails.findTrail(region);
  }

  // ------------------------------------------------------------------ changing

  private async advance(record: RetirementRecord, event: RetirementEvent, now: Date): Promise<RetirementRecord> {
    const next = applyEvent(record, event, now, this.identity.arn);
    if (next !== record) await this.store.save(next);
    return next;
  }

  /** Journals, sends and journals the outcome of one mutating call; failures become domain errors. */
  private async call<T extends { $metadata: { requestId?: string } }>(
    record: RetirementRecord,
    action: string,
    region: string,
    params: Record<string, unknown>,
    send: () => Promise<T>,
  ): Promise<T> {
    if (this.clients.readOnly) throw new KeywardenError('read-only', `read-only mode: ${action} was refused and not sent`);
    try {
      return await journaledCall(this.journal, this.identity, { action, region, keyArn: record.keyArn, params }, send);
    } catch (error) {
      const domain = toDomainError(error, action);
      const failed = applyEvent(record, { type: 'step-failed', step: action, detail: domain.message }, this.now(record.region), this.identity.arn);
      await this.store.save(failed);
      throw domain;
    }
  }

  /**
   * Takes one step of the catalogue (src/domain/retirement-steps.ts) from a status read just now:
   * the step is checked against that status (it must be allowed) and run without reading AWS a
   * second time. The CLI's `retire advance|rollback` take every step through here.
   */
  async take(status: RetirementStatus, step: StepId, input: StepInput = {}): Promise<RetirementRecord> {
    const record = status.record;
    if (!status.steps.some((s) => s.id === step && s.allowed)) {
      const why = status.steps.find((s) => s.id === step)?.why ?? `not a step of the ${record.stage} stage`;
      throw new KeywardenError('invalid-state', `${step} is not allowed now: ${why}`);
    }
    this.fresh = { record, status };
    try {
      switch (step) {
        case 'acknowledge':
          return await this.acknowledge(record, input.findingId ?? '');
        case 'disable':
          return await this.disable(record, input.findings ?? status.findings);
        case 'arm-watch':
        case 're-arm-watch':
          if (input.weakerWatch !== undefined) return await this.armWeakerWatch(record, input.weakerWatch);
          return await this.armAlarm(record, {
            ...(input.logGroupName ? { logGroupName: input.logGroupName } : {}),
            ...(input.logGroupRegion ? { logGroupRegion: input.logGroupRegion } : {}),
            ...(input.snsTopicArn ? { snsTopicArn: input.snsTopicArn } : {}),
          });
        case 'schedule-deletion':
          return await this.scheduleDeletion(record, input.pendingWindowDays ?? 30);
        case 'cancel-deletion':
          return await this.cancelDeletion(record);
        case 're-enable':
          return await this.reEnable(record);
        case 'remove-watch':
          return await this.removeWatch(record);
        case 'close':
          return await this.close(record);
        case 'abandon':
          return await this.abandonAtPreflight(record);
      }
    } finally {
      this.fresh = undefined;
    }
  }

  /** Re-reads everything and refuses unless the machine allows `step` now. */
  private async require(record: RetirementRecord, step: StepId, findings?: Finding[]): Promise<RetirementStatus> {
    return (await this.requireOneOf(record, [step], findings)).status;
  }

  /** Re-reads everything and refuses unless the machine allows one of `steps` now (the first allowed is returned). */
  private async requireOneOf(record: RetirementRecord, steps: readonly StepId[], findings?: Finding[]): Promise<{ status: RetirementStatus; step: StepId }> {
    // A status `take` read a moment ago for this very record decides; otherwise AWS is read now.
    const fresh = this.fresh?.record === record ? this.fresh.status : undefined;
    this.fresh = undefined;
    const status = fresh ?? (await this.status(record, findings));
    const allowed = steps.find((id) => status.steps.some((s) => s.id === id && s.allowed));
    if (allowed) return { status, step: allowed };
    const decision = status.steps.find((s) => s.id === steps[0]);
    const why = decision?.why ?? `not a step of the ${status.record.stage} stage`;
    throw new KeywardenError('invalid-state', `${steps[0]} is not allowed now: ${why}${status.drift.length ? ` (changed outside this retirement: ${status.drift.join('; ')})` : ''}`);
  }

  /**
   * Mirrors the stage on the key as tags (or removes them once the retirement is closed); a key
   * that cannot be tagged is noted in the record, not fatal. A pending-deletion key cannot be
   * tagged, so the deletion stage is written just before ScheduleKeyDeletion.
   */
  private async mirror(record: RetirementRecord, stage: RetirementStage = record.stage): Promise<RetirementRecord> {
    if (stage === 'deleted') return record;
    const kms = this.clients.kms(record.region);
    try {
      if (stage === 'closed') {
        const keys = [TAG_STAGE, TAG_SINCE, TAG_WATCH, TAG_WINDOW, TAG_DISABLED_BY];
        await this.call(record, 'UntagResource', record.region, { KeyId: record.keyArn, TagKeys: keys }, () => kms.send(new UntagResourceCommand({ KeyId: record.keyArn, TagKeys: keys })));
      } else {
        const tags = retirementTags({ ...record, stage }).map((t) => ({ TagKey: t.key, TagValue: t.value }));
        await this.call(record, 'TagResource', record.region, { KeyId: record.keyArn, Tags: tags }, () => kms.send(new TagResourceCommand({ KeyId: record.keyArn, Tags: tags })));
      }
      return record;
    } catch (error) {
      const note = applyEvent(record, { type: 'step-failed', step: 'TagResource', detail: `the stage is not mirrored on the key: ${toDomainError(error).message}` }, this.now(record.region), this.identity.arn);
      await this.store.save(note);
      return note;
    }
  }

  /** Starts (or resumes) a retirement: the record is saved at the preflight stage. */
  async start(key: { arn: string; region: string }, options: { watchDays: number; name: string; preflight: Preflight }): Promise<RetirementRecord> {
    const existing = await this.find(key);
    if (existing && existing.stage !== 'closed' && existing.stage !== 'rolled-back') return existing;
    // A key that cannot be retired (AWS managed, pending deletion …) gets no record: a refused
    // start writes nothing (invariant 6), whichever entry point asked.
    const stop = options.preflight.findings.find((f) => f.severity === 'stop');
    if (stop) throw new KeywardenError('invalid-state', `this key cannot be retired: ${stop.title}. ${stop.detail} Nothing was recorded or changed.`);
    const meta = options.preflight.detail.row.metadata as KeyMetadata;
    const now = this.now(key.region);
    const record = startRetirement({
      keyArn: key.arn,
      region: key.region,
      account: meta.accountId,
      name: options.name,
      by: this.identity.arn,
      now,
      watchDays: options.watchDays,
      evidence: {
        summary: 'error' in options.preflight.usage
          ? `CloudTrail unreadable: ${options.preflight.usage.error}`
          : `${options.preflight.usage.total} CloudTrail events in ${options.preflight.windowDays} days, ${options.preflight.usage.failed} failed`,
        lastUsage: JSON.stringify(options.preflight.detail.row.lastUsage),
        findings: options.preflight.findings.map((f) => `${f.severity}: ${f.title}`),
      },
    });
    await this.store.save(record);
    return record;
  }

  /**
   * Abandons a retirement at preflight: nothing was changed in AWS, so the record is removed (the
   * journal keeps that it was abandoned). Returns the record as it was, stage unchanged.
   */
  async abandonAtPreflight(record: RetirementRecord): Promise<RetirementRecord> {
    const status = await this.require(record, 'abandon');
    await this.journal
      .recordIntent({ action: 'AbandonRetirement', account: this.identity.account, region: record.region, caller: this.identity.arn, keyArn: record.keyArn, params: { stage: status.record.stage } })
      .then((intent) => this.journal.recordResult(intent, { ok: true }));
    await this.store.remove(record.keyArn);
    return status.record;
  }

  async acknowledge(record: RetirementRecord, findingId: string): Promise<RetirementRecord> {
    return this.advance(record, { type: 'acknowledge', findingId }, this.now(record.region));
  }

  /** `findings`: the preflight's, when just read; otherwise they are read again before deciding. */
  async disable(record: RetirementRecord, findings?: Finding[]): Promise<RetirementRecord> {
    const status = await this.require(record, 'disable', findings);
    let requestId: string | undefined;
    let byKeywarden: boolean;
    if (status.reality.keyState === 'Enabled') {
      const out = await this.call(status.record, 'DisableKey', record.region, { KeyId: record.keyArn }, () =>
        sendOnce<DisableKeyCommandOutput>(this.clients.kms(record.region), { arn: record.keyArn, region: record.region }, new DisableKeyCommand({ KeyId: record.keyArn }), (state) => reachedAws('DisableKey', state)),
      ).catch(async (error: unknown) => {
        throw (await this.guardRefusalOf(record, 'kms:DisableKey', error)) ?? error;
      });
      requestId = out.$metadata.requestId;
      byKeywarden = true;
    } else {
      // Already Disabled: by an earlier DisableKey of this retirement whose answer was lost, or by
      // someone else before it started — then a rollback must not enable it.
      const { entries } = await this.journal.read({ keyArn: record.keyArn });
      const ownDisable = pairEntries(entries).some((op) => op.intent.action === 'DisableKey' && op.intent.time >= record.startedAt);
      byKeywarden = disabledByKeywarden(status.reality.keyState, ownDisable);
    }
    const next = await this.advance(status.record, { type: 'disabled', byKeywarden, ...(requestId ? { requestId } : {}) }, this.now(record.region));
    return this.mirror(next);
  }

  /**
   * Creates the metric filter on the trail's log group (or the one the operator names), checks it
   * with TestMetricFilter on synthetic failed uses of this key, then the alarm. Not armed unless
   * the self-test matches.
   */
  async armAlarm(record: RetirementRecord, options: { logGroupName?: string; logGroupRegion?: string; snsTopicArn?: string } = {}): Promise<RetirementRecord> {
    // 're-arm-watch': the alarm or filter was deleted outside the retirement, or a use was detected
    // and the operator keeps the key disabled: both are put back and the watch starts again.
    const { status, step } = await this.requireOneOf(record, ['arm-watch', 're-arm-watch']);
    let target: { logGroupName: string; logGroupRegion: string; trailArn?: string };
    if (options.logGroupName) {
      // The named group must be where a trail that sees this region's KMS events delivers: a filter
      // on any other group would never see a use, and the alarm would stay silent forever.
      const group = { name: options.logGroupName, region: options.logGroupRegion ?? record.region };
      const trails = await this.trails.trailsFor(record.region);
      const feeding = trails.find((t) => t.group?.name === group.name && t.group.region === group.region);
      if (!feeding || feeding.problem) {
        const known = trails.map((t) => `${t.name} → ${t.group ? `${t.group.name} (${t.group.region})` : 'no CloudWatch Logs group'}${t.problem ? ` [${t.problem}]` : ''}`);
        throw new KeywardenError(
          'validation',
          feeding
            ? `the log group ${group.name} (${group.region}) is fed by the trail ${feeding.name}, but that trail cannot see a use of this key: ${feeding.problem}. Nothing was created. Fix the trail, or continue with the weaker CloudTrail watch`
            : `the log group ${group.name} (${group.region}) is not where a trail that records ${record.region}'s KMS events delivers: an alarm there would never see a use of this key. Nothing was created. Trails: ${known.join('; ') || 'none'}. Name one of those groups, or continue with the weaker CloudTrail watch`,
        );
      }
      target = { logGroupName: group.name, logGroupRegion: group.region, trailArn: feeding.arn };
    } else {
      const check = await this.findTrail(record.region);
      if (!check.trail) {
        throw new KeywardenError(
          'invalid-state',
          `no trail can show a use of this key in CloudWatch Logs: ${check.problems.join('; ')}. Name a log group the trail delivers to, or continue with the weaker CloudTrail watch.`,
        );
      }
      target = { logGroupName: check.trail.logGroupName, logGroupRegion: check.trail.logGroupRegion, trailArn: check.trail.arn };
    }
    const names = watchNames(record.keyId);
    const pattern = metricFilterPattern(record.keyArn);
    const logs = this.clients.logs(target.logGroupRegion);
    const filterParams = {
      logGroupName: target.logGroupName,
      filterName: names.filterName,
      filterPattern: pattern,
      metricTransformations: [{ metricName: names.metricName, metricNamespace: METRIC_NAMESPACE, metricValue: '1', defaultValue: 0 }],
    };
    await this.call(status.record, 'PutMetricFilter', target.logGroupRegion, filterParams, () => logs.send(new PutMetricFilterCommand(filterParams)));
    try {
      return await this.testAndAlarm(status.record, step, target, pattern, options.snsTopicArn);
    } catch (error) {
      // Whatever keywarden created for this watch goes (invariant 3): the filter, and the alarm
      // when its answer was lost after it was made. Only then is the failure reported.
      const cleanup = await this.removeWatchResources(status.record, [target.logGroupRegion]).then(
        (removed) => (removed.length ? ` keywarden removed what it had created (${removed.join(', ')}).` : ''),
        (cleanupError: unknown) => ` keywarden could not remove the metric filter ${names.filterName} it had created (${toDomainError(cleanupError).message}): rolling back removes it.`,
      );
      if (error instanceof KeywardenError) throw new KeywardenError(error.kind, `${error.message}.${cleanup} The alarm is not armed`, { ...(error.code ? { code: error.code } : {}), cause: error });
      throw error;
    }
  }

  private async testAndAlarm(
    record: RetirementRecord,
    step: StepId,
    target: { logGroupName: string; logGroupRegion: string; trailArn?: string },
    pattern: string,
    snsTopicArn: string | undefined,
  ): Promise<RetirementRecord> {
    const names = watchNames(record.keyId);
    const logs = this.clients.logs(target.logGroupRegion);
    const options = { snsTopicArn };
    const status = { record };
    const now = this.now(record.region);
    const samples = [syntheticFailedUse(record.keyArn, record.account, record.region, 'disabled', now), syntheticFailedUse(record.keyArn, record.account, record.region, 'pending deletion', now)];
    const test = await logs.send(new TestMetricFilterCommand({ filterPattern: pattern, logEventMessages: samples })).catch((error: unknown) => {
      throw toDomainError(error, 'TestMetricFilter');
    });
    if ((test.matches ?? []).length !== samples.length) {
      const failed = applyEvent(status.record, { type: 'step-failed', step: 'TestMetricFilter', detail: `the filter matched ${(test.matches ?? []).length} of ${samples.length} synthetic failed uses: not armed` }, now, this.identity.arn);
      await this.store.save(failed);
      throw new KeywardenError('invalid-state', `the metric filter's self-test failed (matched ${(test.matches ?? []).length} of ${samples.length} synthetic failed uses of this key): the alarm is not armed`);
    }

    const alarmParams = {
      AlarmName: names.alarmName,
      AlarmDescription: `keywarden: any attempt to use KMS key ${record.keyArn} (${record.name}) while it is being retired. Disabled since ${record.disabledAt ?? '?'}; retirement started by ${record.startedBy}.`,
      Namespace: METRIC_NAMESPACE,
      MetricName: names.metricName,
      ...ALARM_SHAPE,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      ActionsEnabled: true,
      ...(options.snsTopicArn ? { AlarmActions: [options.snsTopicArn] } : {}),
    };
    await this.call(status.record, 'PutMetricAlarm', target.logGroupRegion, alarmParams, () => this.clients.cloudwatch(target.logGroupRegion).send(new PutMetricAlarmCommand(alarmParams)));
    const watch: Watch = {
      kind: 'alarm',
      logGroupRegion: target.logGroupRegion,
      logGroupName: target.logGroupName,
      filterName: names.filterName,
      metricNamespace: METRIC_NAMESPACE,
      metricName: names.metricName,
      alarmName: names.alarmName,
      ...(options.snsTopicArn ? { snsTopicArn: options.snsTopicArn } : {}),
      ...(target.trailArn ? { trailArn: target.trailArn } : {}),
    };
    const detail = `self-test matched ${samples.length} of ${samples.length}`;
    const next = await this.advance(status.record, step === 're-arm-watch' ? { type: 'watch-rearmed', watch, detail } : { type: 'watch-armed', watch, detail }, now);
    return this.mirror(next);
  }

  /** No alarm can see the key: record the weaker watch (CloudTrail polled by keywarden), as such. */
  async armWeakerWatch(record: RetirementRecord, reason: string): Promise<RetirementRecord> {
    // 're-arm-watch': a use was detected and the operator keeps the key disabled, or the weaker
    // watch aged out of CloudTrail's 90 days; either way it starts again from now.
    const { status, step } = await this.requireOneOf(record, ['arm-watch', 're-arm-watch']);
    const watch: Watch = { kind: 'cloudtrail-poll', reason };
    const why =
      status.record.stage === 'use-detected'
        ? `after the use detected${status.record.useDetected ? ` (${status.record.useDetected.summary})` : ''}, the key stays Disabled`
        : `the earlier start (${status.record.watchStartedAt ?? '?'}) is beyond CloudTrail's ${CLOUDTRAIL_LOOKBACK_DAYS} days`;
    const event: RetirementEvent =
      step === 're-arm-watch' ? { type: 'watch-rearmed', watch, detail: `WEAKER WATCH started again from now: ${why}; ${reason}` } : { type: 'watch-armed', watch, detail: `WEAKER WATCH: ${reason}` };
    const next = await this.advance(status.record, event, this.now(record.region));
    await this.journal.recordIntent({
      action: 'RecordWeakerWatch',
      account: this.identity.account,
      region: record.region,
      caller: this.identity.arn,
      keyArn: record.keyArn,
      params: { watch: 'cloudtrail-poll (weaker than an alarm)', reason },
    }).then((intent) => this.journal.recordResult(intent, { ok: true }));
    return this.mirror(next);
  }

  async scheduleDeletion(record: RetirementRecord, pendingWindowDays: number): Promise<RetirementRecord> {
    const status = await this.require(record, 'schedule-deletion');
    // The stage goes on the key first: a pending-deletion key can no longer be tagged.
    const tagged = await this.mirror(status.record, 'deletion-scheduled');
    const target = { arn: record.keyArn, region: record.region };
    let out;
    try {
      out = await this.call(tagged, 'ScheduleKeyDeletion', record.region, { KeyId: record.keyArn, PendingWindowInDays: pendingWindowDays }, () =>
        sendOnce<ScheduleKeyDeletionCommandOutput>(this.clients.kms(record.region), target, new ScheduleKeyDeletionCommand({ KeyId: record.keyArn, PendingWindowInDays: pendingWindowDays }), (state) => reachedAws('ScheduleKeyDeletion', state)),
      );
    } catch (error) {
      // The account's guard (kms:TrailingDaysWithoutKeyUsage) refused it: say so and stop — no
      // other change. The stage tag written just before is read as "that call did not happen"
      // by every keywarden (the key is not pending deletion).
      const guard = await this.guardRefusalOf(record, 'kms:ScheduleKeyDeletion', error);
      if (guard) throw guard;
      const meta = await rereadAfterFailure(this.clients.kms(record.region), target);
      const base = (await this.store.load(record.keyArn).catch(() => undefined)) ?? tagged;
      if (meta && reachedAws('ScheduleKeyDeletion', meta.state)) {
        // The request reached AWS; only its answer was lost. Adopt it — never send it again.
        const how = `the key is ${meta.state}${meta.deletionDate ? ` with deletion on ${meta.deletionDate}` : ''}`;
        await this.advance(
          base,
          {
            type: 'deletion-scheduled',
            pendingWindowDays,
            ...(meta.deletionDate ? { deletionDate: meta.deletionDate } : {}),
            detail: `adopted: the answer was lost (${(error as Error).message}); DescribeKey shows ${how}`,
          },
          this.now(record.region),
        );
        throw adoptedError(
          error,
          `The request did reach AWS: DescribeKey shows ${how}. keywarden recorded the deletion as scheduled (stage deletion-scheduled) and did not send it again. To undo it: keywarden retire rollback (CancelKeyDeletion)`,
        );
      }
      if (meta === undefined) throw adoptedError(error, UNKNOWN_OUTCOME);
      // Nothing happened: the stage tag written just before the call is put back.
      await this.mirror(base);
      throw error;
    }
    return this.advance(
      tagged,
      {
        type: 'deletion-scheduled',
        pendingWindowDays,
        ...(out.DeletionDate ? { deletionDate: out.DeletionDate.toISOString() } : {}),
        ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}),
      },
      this.now(record.region),
    );
  }

  async cancelDeletion(record: RetirementRecord): Promise<RetirementRecord> {
    const status = await this.require(record, 'cancel-deletion');
    const target = { arn: record.keyArn, region: record.region };
    let out;
    try {
      out = await this.call(status.record, 'CancelKeyDeletion', record.region, { KeyId: record.keyArn }, () =>
        sendOnce<CancelKeyDeletionCommandOutput>(this.clients.kms(record.region), target, new CancelKeyDeletionCommand({ KeyId: record.keyArn }), (state) => reachedAws('CancelKeyDeletion', state)),
      );
    } catch (error) {
      const meta = await rereadAfterFailure(this.clients.kms(record.region), target);
      if (meta && reachedAws('CancelKeyDeletion', meta.state)) {
        const base = (await this.store.load(record.keyArn).catch(() => undefined)) ?? status.record;
        const next = await this.advance(base, { type: 'deletion-cancelled', detail: `adopted: the answer was lost (${(error as Error).message}); DescribeKey shows the key Disabled again` }, this.now(record.region));
        await this.mirror(next);
        throw adoptedError(
          error,
          'The request did reach AWS: DescribeKey shows the key Disabled (no longer pending deletion). keywarden recorded the deletion as cancelled (stage watching) and did not send it again. The key stays Disabled; keywarden retire rollback enables it',
        );
      }
      if (meta === undefined) throw adoptedError(error, UNKNOWN_OUTCOME);
      throw error;
    }
    const next = await this.advance(status.record, { type: 'deletion-cancelled', ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}) }, this.now(record.region));
    return this.mirror(next);
  }

  /**
   * When `error` is AccessDenied and the key policy holds a kms:TrailingDaysWithoutKeyUsage Deny on
   * `action` (KMS.md §11), the refusal in the guard's words with the key's last use; else undefined.
   */
  private async guardRefusalOf(record: RetirementRecord, action: string, error: unknown): Promise<KeywardenError | undefined> {
    const domain = toDomainError(error);
    if (domain.kind !== 'access-denied') return undefined;
    const kms = this.clients.kms(record.region);
    const policy = await readPolicy(kms, record.keyArn).catch(() => undefined);
    const guard = policy === undefined ? undefined : trailingDaysGuard(policy, action);
    if (!guard) return undefined;
    const meta = await describeKey(kms, record.keyArn, record.region).catch(() => undefined);
    const lastUsage = meta ? await readLastUsage(kms, meta, undefined, { now: () => this.now(record.region) }).catch(() => undefined) : undefined;
    return new KeywardenError('access-denied', guardRefusal(action, guard, lastUsage, this.now(record.region)), { ...(domain.code ? { code: domain.code } : {}), cause: error });
  }

  async reEnable(record: RetirementRecord): Promise<RetirementRecord> {
    const status = await this.require(record, 're-enable');
    const out = await this.call(status.record, 'EnableKey', record.region, { KeyId: record.keyArn }, () =>
      // Never resent once the key shows Enabled: someone may disable it between the attempts (invariant 1).
      sendOnce<EnableKeyCommandOutput>(this.clients.kms(record.region), { arn: record.keyArn, region: record.region }, new EnableKeyCommand({ KeyId: record.keyArn }), (state) => reachedAws('EnableKey', state)),
    );
    const next = await this.advance(status.record, { type: 're-enabled', ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}) }, this.now(record.region));
    return this.mirror(next);
  }

  /**
   * Removes the alarm and the metric filter (after deletion or a rollback) and closes the
   * retirement. When the retirement is stuck because someone else changed the key (the `close`
   * step), it closes it that way: see `close`.
   */
  async removeWatch(record: RetirementRecord): Promise<RetirementRecord> {
    return this.teardown(await this.require(record, 'remove-watch'), { type: 'watch-removed' });
  }

  /**
   * Closes a retirement that can go neither on nor back (the deletion cancelled, or the key
   * enabled, by someone else; a key keywarden did not disable): removes keywarden's alarm and
   * metric filter (if any) and the stage tags, records it as closed (abandoned) with the reason.
   * Never enables, disables, deletes or cancels the deletion of the key.
   */
  async close(record: RetirementRecord): Promise<RetirementRecord> {
    return this.abandon(await this.require(record, 'close'));
  }

  private async abandon(status: RetirementStatus): Promise<RetirementRecord> {
    const { record, reality } = status;
    const reason = `${stuckReason(record, reality) ?? 'closed by the operator'}; the key was left ${reality.keyState === 'gone' ? 'gone' : reality.keyState}`;
    await this.journal
      .recordIntent({ action: 'CloseRetirement', account: this.identity.account, region: record.region, caller: this.identity.arn, keyArn: record.keyArn, params: { stage: record.stage, reason } })
      .then((intent) => this.journal.recordResult(intent, { ok: true }));
    return this.teardown(status, { type: 'abandoned', reason });
  }

  /** Deletes keywarden's alarm and filter (those that still exist), records `event`, clears the stage tags. */
  private async teardown(status: RetirementStatus, event: Extract<RetirementEvent, { type: 'watch-removed' | 'abandoned' }>): Promise<RetirementRecord> {
    // The status just read already looked for the recorded watch's alarm and filter: not read again.
    const w = status.record.watch;
    const known = w?.kind === 'alarm' && w.logGroupName && status.reality.alarm ? { alarm: status.reality.alarm.exists, filterGroups: status.reality.alarm.filterExists ? [w.logGroupName] : [] } : undefined;
    const removed = await this.removeWatchResources(status.record, await this.watchRegions(status.record), known);
    const what = removed.length ? removed.join(', ') : 'nothing of keywarden was left';
    const closed = applyEvent(status.record, { ...event, removed: what }, this.now(status.record.region), this.identity.arn);
    // The tags go before the record says closed: killed in between, the retirement is still open
    // and closing it again removes them (a closed record would leave them on the key for good).
    // A key KMS deleted has no tags; a key pending deletion cannot be untagged (KMS.md §1.3): they go with it.
    const next = status.reality.keyState === 'gone' || isPendingDeletion(status.reality.keyState) ? closed : await this.mirror(closed);
    await this.store.save(next);
    return next;
  }

  /**
   * Where keywarden's alarm and filter of this retirement can be: the recorded watch's region; with
   * no watch recorded (a kill between creating and recording), the key's region and the regions of
   * the log groups the trails deliver to.
   */
  private async watchRegions(record: RetirementRecord): Promise<string[]> {
    if (record.watch?.kind === 'alarm') return [record.watch.logGroupRegion];
    if (record.stage === 'preflight') return [];
    return this.trails.watchRegions(record.region);
  }

  /**
   * Deletes keywarden's alarm and metric filter of this key wherever they are in `regions`, then
   * reads again: what is returned as removed is confirmed gone (invariant 3). Throws when a delete
   * fails or the read still finds them.
   */
  private async removeWatchResources(record: RetirementRecord, regions: string[], known?: { alarm: boolean; filterGroups: string[] }): Promise<string[]> {
    const names = watchNames(record.keyId);
    const removed: string[] = [];
    for (const region of regions) {
      const found = known && regions.length === 1 ? known : await this.observer.watchResources(record.keyId, region);
      if (!found.alarm && found.filterGroups.length === 0) continue;
      if (found.alarm) {
        await this.call(record, 'DeleteAlarms', region, { AlarmNames: [names.alarmName] }, () => this.clients.cloudwatch(region).send(new DeleteAlarmsCommand({ AlarmNames: [names.alarmName] })));
      }
      for (const logGroupName of found.filterGroups) {
        await this.call(record, 'DeleteMetricFilter', region, { logGroupName, filterName: names.filterName }, () =>
          this.clients.logs(region).send(new DeleteMetricFilterCommand({ logGroupName, filterName: names.filterName })).catch((error: unknown) => {
            // Gone already (someone else deleted it between the read and the delete): that is the goal.
            if ((error as { name?: string }).name === 'ResourceNotFoundException') return { $metadata: {} };
            throw error;
          }),
        );
      }
      const after = await this.observer.watchResources(record.keyId, region);
      if (after.alarm || after.filterGroups.length > 0) {
        throw new KeywardenError(
          'invalid-state',
          `after the deletes, ${[after.alarm ? `the alarm ${names.alarmName}` : '', ...after.filterGroups.map((g) => `the metric filter ${names.filterName} on ${g}`)].filter(Boolean).join(' and ')} still exist${after.alarm && after.filterGroups.length ? '' : 's'} in ${region}: not removed. Try again`,
        );
      }
      if (found.alarm) removed.push(`alarm ${names.alarmName} (${region})`);
      for (const g of found.filterGroups) removed.push(`metric filter ${names.filterName} on ${g} (${region})`);
    }
    return removed;
  }
}
