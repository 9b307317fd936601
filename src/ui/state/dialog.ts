// The one overlay that takes typed input: the command line, the rotation-period field and
// the change confirmation. A union, so exactly one of them can be open.

import { confirmationMatches, type ChangePreview } from '../../domain/actions.js';
import { parseRotationPeriod } from '../../domain/rotation.js';
import { applyEdit, type TextEdit } from '../text-field.js';

export type KeyRef = { arn: string; region: string };

export type Dialog =
  | { kind: 'none' }
  | { kind: 'command'; input: string }
  /**
   * The rotation period field. It opens with the current period (or the default) selected: the
   * first key typed replaces it. `current` is the key's period when rotation is already on, to
   * say "nothing to change" when the same period is entered again.
   */
  | { kind: 'period'; key: KeyRef; input: string; selected?: boolean; current?: number; error?: string }
  | { kind: 'preparing'; title: string }
  | { kind: 'confirm'; previews: ChangePreview[]; input: string; error?: string; /** Lines scrolled down in the list of changes and calls. */ scroll?: number }
  | { kind: 'applying'; title: string; done: number; total: number };

export type DialogEvent =
  | { type: 'open-command' }
  | { type: 'open-period'; key: KeyRef; initial: number; current?: number }
  | { type: 'type'; text: string }
  | { type: 'erase' }
  /** Any edit of the open field (text, Backspace, Ctrl-W, Ctrl-U): see src/ui/text-field.ts. */
  | { type: 'edit'; edit: TextEdit }
  | { type: 'close' }
  | { type: 'preparing'; title: string }
  | { type: 'previews'; previews: ChangePreview[] }
  | { type: 'reject'; error: string }
  | { type: 'scroll'; by: number; maxScroll: number }
  | { type: 'applying'; title: string; total: number }
  | { type: 'applied-one' }
  | { type: 'finished' };

export const NO_DIALOG: Dialog = { kind: 'none' };

export function dialogReducer(state: Dialog, event: DialogEvent): Dialog {
  switch (event.type) {
    case 'open-command':
      return state.kind === 'none' ? { kind: 'command', input: '' } : state;
    case 'open-period':
      return state.kind === 'none'
        ? { kind: 'period', key: event.key, input: String(event.initial), selected: true, ...(event.current !== undefined ? { current: event.current } : {}) }
        : state;
    case 'type':
      return dialogReducer(state, { type: 'edit', edit: { kind: 'type', text: event.text } });
    case 'erase':
      return dialogReducer(state, { type: 'edit', edit: { kind: 'erase-char' } });
    case 'edit':
      if (state.kind === 'command' || state.kind === 'period' || state.kind === 'confirm') {
        const { error: _error, selected, ...rest } = state as typeof state & { error?: string; selected?: boolean };
        const field = applyEdit({ value: state.input, ...(selected ? { selected } : {}) }, event.edit);
        // Control characters alone leave a selected default as it is (the error still clears).
        return { ...rest, input: field.value, ...(field.selected ? { selected: true } : {}) } as Dialog;
      }
      return state;
    case 'close':
      // A change being applied cannot be walked away from; it finishes and reports.
      return state.kind === 'applying' ? state : NO_DIALOG;
    case 'preparing':
      return { kind: 'preparing', title: event.title };
    case 'previews':
      return state.kind === 'preparing' ? { kind: 'confirm', previews: event.previews, input: '' } : state;
    case 'reject':
      if (state.kind === 'period' || state.kind === 'confirm') return { ...state, error: event.error };
      return state;
    case 'scroll':
      if (state.kind !== 'confirm') return state;
      return { ...state, scroll: Math.min(event.maxScroll, Math.max(0, (state.scroll ?? 0) + event.by)) };
    case 'applying':
      return { kind: 'applying', title: event.title, done: 0, total: event.total };
    case 'applied-one':
      return state.kind === 'applying' ? { ...state, done: state.done + 1 } : state;
    case 'finished':
      return NO_DIALOG;
  }
}

/** The previews that can go ahead (not blocked by the key's state). */
export function runnable(previews: readonly ChangePreview[]): ChangePreview[] {
  return previews.filter((p) => !p.blocked);
}

/** Whether a confirmation asks for the alias or key id to be typed. */
export function needsTypedWord(previews: readonly ChangePreview[]): boolean {
  return runnable(previews).some((p) => p.confirm === 'typed');
}

export type ConfirmCheck = { ok: true } | { ok: false; error: string };

/** Checks what was typed in the confirmation: the alias or key id for dangerous changes, `y` or nothing for plain ones. */
export function checkConfirmation(previews: readonly ChangePreview[], input: string): ConfirmCheck {
  const go = runnable(previews);
  const first = go[0];
  if (!first) return { ok: false, error: 'nothing can be changed: see the reasons above (Esc to close)' };
  if (needsTypedWord(previews)) {
    if (confirmationMatches(input, first.row)) return { ok: true };
    return {
      ok: false,
      error: input.trim() === '' ? `type "${first.word}" to confirm` : `"${input.trim()}" is not "${first.word}": nothing was changed`,
    };
  }
  const answer = input.trim().toLowerCase();
  if (answer === '' || answer === 'y' || answer === 'yes') return { ok: true };
  return { ok: false, error: `"${input.trim()}" is not a yes: press Enter to confirm, Esc to cancel` };
}

export type PeriodCheck = { ok: true; days: number } | { ok: false; error: string };

export function checkPeriod(input: string): PeriodCheck {
  const parsed = parseRotationPeriod(input);
  return parsed.ok ? { ok: true, days: parsed.days } : { ok: false, error: `${parsed.message}: nothing was changed` };
}
