// The retirement's step catalogue: for each step its words, the exact API calls it makes (tags
// included), what undoes it and what the operator confirms with. The wizard's previews, its step
// list, the CLI's prompts and the driver's confirmation rule all read this one table, so the same
// API call gets the same confirmation everywhere. When a step is allowed is `nextSteps` (from the
// record and what AWS shows now); this table says what taking it means.

import { TAG_DISABLED_BY, TAG_SINCE, TAG_STAGE, TAG_WATCH, TAG_WINDOW, watchNames, type RetirementRecord, type StepId } from './retirement.js';

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
}

const TAGS = `keywarden:retirement-* tags (${[TAG_STAGE, TAG_SINCE, TAG_WATCH, TAG_WINDOW, TAG_DISABLED_BY].map((t) => t.replace('keywarden:retirement-', '')).join(', ')})`;

function watchCalls(record: RetirementRecord, weaker: boolean): string[] {
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
  acknowledge: { id: 'acknowledge', words: 'acknowledge a finding', calls: () => [], undo: 'nothing changes in AWS', confirm: 'none' },
  disable: {
    id: 'disable',
    words: 'disable the key',
    calls: () => ['DisableKey', `TagResource (${TAGS})`],
    undo: 'enable the key again (EnableKey)',
    confirm: 'typed',
  },
  'arm-watch': {
    id: 'arm-watch',
    words: 'create the alarm and start the watch',
    calls: (record) => watchCalls(record, false),
    undo: 'enable the key again, then remove the alarm and filter',
    confirm: 'plain',
  },
  're-arm-watch': {
    id: 're-arm-watch',
    words: 'start the watch again',
    calls: (record) => watchCalls(record, record.watch?.kind === 'cloudtrail-poll'),
    undo: 'enable the key again, then remove the alarm and filter',
    confirm: 'plain',
  },
  'schedule-deletion': {
    id: 'schedule-deletion',
    words: 'schedule the deletion',
    // The stage tag goes first: a key pending deletion can no longer be tagged.
    calls: () => [`TagResource (${TAG_STAGE} = deletion-scheduled, before the call: a pending-deletion key cannot be tagged)`, 'ScheduleKeyDeletion'],
    undo: 'cancel the deletion (CancelKeyDeletion) before the waiting period ends',
    confirm: 'typed',
  },
  'cancel-deletion': {
    id: 'cancel-deletion',
    words: 'cancel the deletion',
    calls: () => ['CancelKeyDeletion (the key returns to Disabled)', `TagResource (${TAGS})`],
    undo: 'schedule the deletion again',
    confirm: 'plain',
  },
  're-enable': {
    id: 're-enable',
    words: 'enable the key again',
    calls: () => ['EnableKey', `TagResource (${TAGS})`],
    undo: 'start a new retirement',
    confirm: 'plain',
  },
  'remove-watch': {
    id: 'remove-watch',
    words: 'remove the alarm and filter and finish',
    calls: (record) => teardownCalls(record, record.stage !== 'deleted'),
    undo: 'nothing: the retirement is finished',
    confirm: 'plain',
  },
  close: {
    id: 'close',
    words: 'close the retirement without finishing',
    calls: (record) => teardownCalls(record, true),
    undo: 'start a new retirement',
    confirm: 'plain',
  },
  abandon: {
    id: 'abandon',
    words: 'abandon the retirement (nothing was changed)',
    calls: () => [],
    undo: 'start again',
    confirm: 'none',
  },
};

export function stepWords(id: StepId): string {
  return RETIREMENT_STEPS[id].words;
}

/**
 * The stages the wizard lists, and whether each one holds now: marked from the record's own stage
 * (which follows AWS), never inferred from a later stage — a rolled-back or closed retirement shows
 * nothing after Preflight unless KMS really deleted the key.
 */
export function stageProgress(record: RetirementRecord | undefined): Array<{ label: string; done: boolean }> {
  const stage = record?.stage;
  const deleted = stage === 'deleted' || (record?.steps ?? []).some((s) => s.ok && s.step === 'key deleted by KMS');
  const live = (...stages: string[]) => stage !== undefined && stages.includes(stage);
  return [
    { label: 'Preflight', done: record !== undefined },
    { label: 'Disabled', done: live('disabled', 'watching', 'use-detected', 'deletion-scheduled') || deleted },
    { label: 'Alarm + watch', done: (live('watching', 'use-detected', 'deletion-scheduled') || deleted) && record?.watch !== undefined },
    { label: 'Deletion scheduled', done: live('deletion-scheduled') || deleted },
    { label: 'Deleted', done: deleted },
  ];
}
