// The retirement wizard's dialog and footer, laid out as plain data (pure, so they can be tested
// without a terminal): long lines are wrapped to the terminal's width, never cut, and a dialog
// taller than the screen scrolls (and is read to its end before Enter confirms).

import type { RetirementRecord, StepId } from '../../domain/retirement.js';
import { followingStep, RETIREMENT_STEPS, stepWords } from '../../domain/retirement-steps.js';
import { cleanText } from '../../domain/sanitize.js';
import type { Hint } from '../keymap.js';
import { wrapIndented, wrapText } from '../wrap.js';

/** What a wizard dialog shows (the screen's Ask without its callbacks). */
export type AskShape =
  | { kind: 'confirm'; rule: 'typed' | 'plain'; step: StepId; title: string; lines: string[]; input: string; error?: string; scroll: number }
  | { kind: 'deletion-days'; input: string; error?: string; scroll: number }
  | { kind: 'log-group'; input: string; error?: string; scroll: number }
  | { kind: 'alarm'; lines: string[]; input: string; error?: string; scroll: number };

export interface AskLayout {
  typed: boolean;
  title: string;
  /** The key's ARN, whole (wrapped when it is wider than the dialog). */
  arn: string[];
  /** The body lines on screen now (wrapped), after `scroll`. */
  body: string[];
  /** "lines 1–9 of 14 …" when the body does not fit, else undefined. */
  more?: string;
  label: string;
  error: string[];
  /** Rows the body has on screen. */
  bodyRows: number;
  maxScroll: number;
}

/** The text a wrapped line keeps at its start on the next rows (its indentation). */
function wrapKeepingIndent(text: string, width: number): string[] {
  if (text === '') return [''];
  const indent = /^ */.exec(text)![0];
  // Continuation rows are indented two more than the first: wrapped to the width left after that,
  // so every row keeps its indentation (a very narrow screen keeps at least 10 columns of text).
  const inner = Math.max(10, width - indent.length - 2);
  const [first = '', ...rest] = wrapText(text.slice(indent.length), inner);
  return [indent + first, ...rest.map((line) => `${indent}  ${line}`)];
}

/** Wraps every line to `width` columns, keeping each line's indentation on its following rows. */
export function wrapLines(lines: readonly string[], width: number): string[] {
  return lines.flatMap((line) => wrapKeepingIndent(line, width));
}

/** The dialog inside a rounded border with one column of padding each side, `height` rows in all. */
export function askLayout(ask: AskShape, context: { word: string; arn: string; width: number; height: number }): AskLayout {
  const inner = Math.max(20, context.width - 4);
  const typed = ask.kind === 'confirm' && ask.rule === 'typed';
  const title = ask.kind === 'confirm' ? ask.title : ask.kind === 'deletion-days' ? 'Schedule deletion' : ask.kind === 'alarm' ? 'Create the alarm' : 'Alarm on a log group you name';
  const label =
    ask.kind === 'confirm'
      ? ask.rule === 'typed'
        ? `Type "${cleanText(context.word)}" (the alias or key id) and press Enter:`
        : `Press Enter (or type y) to ${stepWords(ask.step)}:`
      : ask.kind === 'deletion-days'
        ? 'Waiting period before deletion, in days (7–30):'
        : ask.kind === 'log-group'
          ? "Log group that receives this region's CloudTrail events:"
          : 'SNS topic ARN to notify (optional), then Enter:';
  const error = ask.error ? wrapText(cleanText(ask.error), inner) : [' '];
  const all = wrapLines(ask.kind === 'confirm' || ask.kind === 'alarm' ? ask.lines.map((l) => cleanText(l)) : [], inner);
  const arn = wrapIndented(cleanText(context.arn), inner, 0);
  // Rows: 2 borders, the title, the ARN, the field, the error.
  const rows = Math.max(1, context.height - 2 - 2 - arn.length - error.length);
  if (all.length <= rows) return { typed, title, arn, body: all, label, error, bodyRows: rows, maxScroll: 0 };
  const visible = Math.max(1, rows - 1);
  const maxScroll = all.length - visible;
  const scroll = Math.max(0, Math.min(maxScroll, ask.scroll));
  const end = scroll + visible;
  return {
    typed,
    title,
    arn,
    body: all.slice(scroll, end),
    more: `lines ${scroll + 1}–${end} of ${all.length}${end < all.length ? ' · ↓ reads on (all of it before Enter)' : ' · ↑ back'}`,
    label,
    error,
    bodyRows: visible,
    maxScroll,
  };
}

/** The record's last confirmed removal ("removed: alarm … (us-east-1), metric filter …"). */
export function removedWords(record: RetirementRecord): string {
  const last = [...record.steps].reverse().find((s) => s.ok && /^removed: |^alarm and filter removed/.test(s.step));
  return last ? cleanText(last.step) : 'nothing of keywarden was left to remove';
}

/** A step and what completes it under the same confirmation, in words. */
export function stepAndFollowing(step: StepId): string {
  const then = followingStep(step);
  return then ? `${stepWords(step)}, ${stepWords(then).replace(/ and filter and finish$/, '')}` : stepWords(step);
}

export interface HintState {
  ask: AskShape | { kind: 'none' };
  /** The dialog has lines below those on screen. */
  askMore?: boolean;
  ready: boolean;
  readOnly: boolean;
  busy: boolean;
  hasRecord: boolean;
  openFindings: boolean;
  onStep?: StepId | undefined;
  backStep?: StepId | undefined;
  scrollable: boolean;
  word: string;
  /** The hints that work everywhere but in a text field (help, command line, quit). */
  global: Hint[];
}

/** The keys that do something now on the wizard, in words: they follow the stage and the open dialog. */
/** The wizard's hints for now, most important first (that order is their rank when the footer must drop some). */
export function retireHints(state: HintState): Hint[] {
  // The keys that work everywhere keep their own rank (? help first of all).
  return hintList(state).map((hint, index) => ({ ...hint, rank: 'rank' in hint && typeof hint.rank === 'number' ? hint.rank : index + 1 }));
}

type HintText = Pick<Hint, 'keys' | 'description'>;

function hintList(state: HintState): HintText[] {
  const { ask } = state;
  const cancel = { keys: 'Esc', description: 'cancel' };
  if (ask.kind !== 'none') {
    const more = state.askMore ? [{ keys: '↓', description: 'read the rest' }] : [];
    switch (ask.kind) {
      case 'confirm':
        return [...more, { keys: 'Enter', description: ask.rule === 'typed' ? `${stepAndFollowing(ask.step)} (type the alias or key id first)` : stepAndFollowing(ask.step) }, cancel];
      case 'deletion-days':
        return [{ keys: 'Enter', description: 'show the deletion date, then confirm' }, cancel];
      case 'alarm':
      case 'log-group':
        return [...more, { keys: 'Enter', description: RETIREMENT_STEPS['arm-watch'].confirm === 'typed' ? 'go on to the confirmation' : stepWords('arm-watch') }, cancel];
    }
  }
  // Reading again outranks scrolling: the body's "↓ N more (j/k scroll)" line already says how to scroll.
  const scroll = state.scrollable ? [{ keys: 'j/k', description: 'scroll' }] : [];
  const always = [{ keys: 'r', description: 'read again' }, ...scroll, { keys: 'Esc', description: 'back' }, ...state.global];
  if (!state.ready || state.readOnly || state.busy) return always;
  if (!state.hasRecord) return [{ keys: 's', description: 'start: record the evidence' }, ...(state.openFindings ? [{ keys: 'a', description: stepWords('acknowledge') }] : []), ...always];
  const hints: HintText[] = [];
  if (state.onStep) hints.push({ keys: 'n', description: stepWords(state.onStep) });
  if (state.backStep) hints.push({ keys: 'b', description: stepAndFollowing(state.backStep) });
  if (state.openFindings) hints.push({ keys: 'a', description: stepWords('acknowledge') });
  if (state.onStep === 'arm-watch') hints.push({ keys: 'l', description: 'alarm on a log group you name' }, { keys: 'w', description: 'weaker watch' });
  return [...hints, ...always];
}
