// The retirement's step catalogue: for each step its words, the exact API calls it makes (tags
// included), what undoes it and what the operator confirms with. The wizard's previews, its step
// list, the CLI's prompts and the driver's confirmation rule all read this one table, so the same
// API call gets the same confirmation everywhere. When a step is allowed is `nextSteps` (from the
// record and what AWS shows now); this table says what taking it means.

import {
  TAG_DISABLED_BY,
  TAG_SINCE,
  TAG_STAGE,
  TAG_WATCH,
  TAG_WINDOW,
  watchNames,
  type Finding,
  type NextStep,
  type Reality,
  type RetirementRecord,
  type RetirementStage,
  type StepId,
} from './retirement.js';

/** What a step needs besides the status it is taken from (the CLI's flags, the wizard's dialogs). */
export interface RetirementStepInput {
  findings?: Finding[];
  /** schedule-deletion: the waiting period, 7–30 days. */
  pendingWindowDays?: number;
  /** arm-watch: a log group the operator names instead of the trail's. */
  logGroupName?: string;
  logGroupRegion?: string;
  /** arm-watch: an SNS topic the alarm notifies. */
  snsTopicArn?: string;
  /** Arm (or re-arm) the weaker CloudTrail watch instead of the alarm, for this reason. */
  weakerWatch?: string;
  /** acknowledge: which finding. */
  findingId?: string;
}

/**
 * Which way a step goes: 'on' is the next step (the wizard's n, `retire advance`), 'back' the way
 * back (b, `retire rollback`), 'aside' a step with its own key (a: acknowledge a finding).
 */
export type StepWay = 'on' | 'back' | 'aside';

export interface RetirementStepSpec {
  id: StepId;
  /** The step in words, for the step list, footers and messages (never the id). */
  words: string;
  /** The API calls the step makes, in order, for the preview. */
  calls: (record: RetirementRecord) => string[];
  /** What undoes it. */
  undo: string;
  /**
   * How the operator confirms it: 'typed' = the alias or key id (it can break or destroy
   * something), 'plain' = a yes (on a terminal; --yes in scripts), 'none' = nothing changes in AWS.
   */
  confirm: 'typed' | 'plain' | 'none';
  way: StepWay;
}

const TAGS = `keywarden:retirement-* tags (${[TAG_STAGE, TAG_SINCE, TAG_WATCH, TAG_WINDOW, TAG_DISABLED_BY].map((t) => t.replace('keywarden:retirement-', '')).join(', ')})`;

/** The calls that arm a watch: the alarm's (filter, self-test, alarm, tags) or the weaker watch's (tags only). */
export function watchCalls(record: RetirementRecord, weaker: boolean): string[] {
  if (weaker) return [`TagResource (${TAGS})`];
  const names = watchNames(record.keyId);
  return [`PutMetricFilter ${names.filterName}`, 'TestMetricFilter (self-test on synthetic failed uses)', `PutMetricAlarm ${names.alarmName}`, `TagResource (${TAGS})`];
}

function teardownCalls(record: RetirementRecord, untag: boolean): string[] {
  const names = watchNames(record.keyId);
  return [
    `DescribeAlarms / DescribeMetricFilters (find ${names.alarmName} by its name)`,
    `DeleteAlarms ${names.alarmName} and DeleteMetricFilter ${names.filterName} (those that exist)`,
    'DescribeAlarms / DescribeMetricFilters again (confirm they are gone)',
    ...(untag ? [`UntagResource (${TAGS})`] : []),
  ];
}

export const RETIREMENT_STEPS: Record<StepId, RetirementStepSpec> = {
  acknowledge: { id: 'acknowledge', words: 'acknowledge a finding', calls: () => [], undo: 'nothing changes in AWS', confirm: 'none', way: 'aside' },
  disable: {
    id: 'disable',
    words: 'disable the key',
    calls: () => ['DisableKey', `TagResource (${TAGS})`],
    undo: 'enable the key again (EnableKey)',
    confirm: 'typed',
    way: 'on',
  },
  'arm-watch': {
    id: 'arm-watch',
    words: 'create the alarm and start the watch',
    calls: (record) => watchCalls(record, false),
    undo: 'enable the key again, then remove the alarm and filter',
    confirm: 'plain',
    way: 'on',
  },
  're-arm-watch': {
    id: 're-arm-watch',
    words: 'start the watch again',
    calls: (record) => watchCalls(record, record.watch?.kind === 'cloudtrail-poll'),
    undo: 'enable the key again, then remove the alarm and filter',
    confirm: 'plain',
    way: 'on',
  },
  'schedule-deletion': {
    id: 'schedule-deletion',
    words: 'schedule the deletion',
    // The stage tag goes first: a key pending deletion can no longer be tagged.
    calls: () => [`TagResource (${TAG_STAGE} = deletion-scheduled, before the call: a pending-deletion key cannot be tagged)`, 'ScheduleKeyDeletion'],
    undo: 'cancel the deletion (CancelKeyDeletion) before the waiting period ends',
    confirm: 'typed',
    way: 'on',
  },
  'cancel-deletion': {
    id: 'cancel-deletion',
    words: 'cancel the deletion',
    calls: () => ['CancelKeyDeletion (the key returns to Disabled)', `TagResource (${TAGS})`],
    undo: 'schedule the deletion again',
    confirm: 'plain',
    way: 'back',
  },
  're-enable': {
    id: 're-enable',
    words: 'enable the key again',
    calls: () => ['EnableKey', `TagResource (${TAGS})`],
    undo: 'start a new retirement',
    confirm: 'plain',
    way: 'back',
  },
  'remove-watch': {
    id: 'remove-watch',
    words: 'remove the alarm and filter and finish',
    calls: (record) => teardownCalls(record, record.stage !== 'deleted'),
    undo: 'nothing: the retirement is finished',
    confirm: 'plain',
    way: 'on',
  },
  close: {
    id: 'close',
    words: 'close the retirement without finishing',
    calls: (record) => teardownCalls(record, true),
    undo: 'start a new retirement',
    confirm: 'plain',
    way: 'back',
  },
  abandon: {
    id: 'abandon',
    words: 'abandon the retirement (nothing was changed)',
    calls: () => [],
    undo: 'start again',
    confirm: 'none',
    way: 'back',
  },
};

export function stepWords(id: StepId): string {
  return RETIREMENT_STEPS[id].words;
}

/** The steps in catalogue order. */
export const STEP_ORDER: readonly StepId[] = Object.keys(RETIREMENT_STEPS) as StepId[];

/**
 * The step the next (n, `retire advance`) or the way back (b, `retire rollback`) takes now: the
 * first step of that way that the status allows, in catalogue order. Once the key is enabled again
 * (rolled back) the way back goes on with removing keywarden's alarm and filter (invariant 3).
 */
export function stepToTake(steps: readonly NextStep[], way: 'on' | 'back', stage: RetirementStage): NextStep | undefined {
  const goes = (id: StepId) => RETIREMENT_STEPS[id].way === way || (way === 'back' && id === 'remove-watch' && stage === 'rolled-back');
  for (const id of STEP_ORDER) {
    const step = steps.find((s) => s.id === id && s.allowed);
    if (step && goes(id)) return step;
  }
  return undefined;
}

/**
 * The step that completes `step` under the same confirmation, when the status then allows it:
 * enabling the key again ends the retirement, so keywarden's alarm and filter are removed with it.
 */
export function followingStep(step: StepId): StepId | undefined {
  return step === 're-enable' ? 'remove-watch' : undefined;
}

/** The API calls of a step and of the step that completes it (for the one confirmation of both). */
export function stepCalls(step: StepId, record: RetirementRecord): string[] {
  const then = followingStep(step);
  return [...RETIREMENT_STEPS[step].calls(record), ...(then ? RETIREMENT_STEPS[then].calls({ ...record, stage: 'rolled-back' }) : [])];
}

/**
 * The stages the wizard lists, and whether each one holds now: marked from the record's own stage
 * (which follows AWS), never inferred from a later stage — a rolled-back or closed retirement shows
 * nothing after Preflight unless KMS really deleted the key. With what AWS shows now (`reality`),
 * a stage that was undone outside keywarden (the deletion cancelled, the key enabled) is not
 * marked either, whatever the record still says.
 */
export function stageProgress(record: RetirementRecord | undefined, reality?: Pick<Reality, 'keyState'>): Array<{ label: string; done: boolean }> {
  const stage = record?.stage;
  const deleted = stage === 'deleted' || (record?.steps ?? []).some((s) => s.ok && s.step === 'key deleted by KMS') || (reality?.keyState === 'gone' && stage === 'deletion-scheduled');
  const live = (...stages: string[]) => stage !== undefined && stages.includes(stage);
  const state = reality?.keyState;
  const pending = state === undefined || state === 'PendingDeletion' || state === 'PendingReplicaDeletion';
  const off = state === undefined || state === 'Disabled' || pending;
  const scheduled = live('deletion-scheduled') && pending && !deleted;
  const disabled = (live('disabled', 'watching', 'use-detected') && off) || scheduled || deleted;
  return [
    { label: 'Preflight', done: record !== undefined },
    { label: 'Disabled', done: disabled },
    { label: 'Alarm + watch', done: ((live('watching', 'use-detected') && off) || scheduled || deleted) && record?.watch !== undefined },
    { label: 'Deletion scheduled', done: scheduled || deleted },
    { label: 'Deleted', done: deleted },
  ];
}
