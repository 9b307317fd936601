// The change dialog's flow: preview what a change would do (nothing is sent yet), ask for the
// rotation period when one is needed, take the typed confirmation, then make the changes one
// after the other and say how it went. Its state is the App's dialog (shared with the command
// line, so only one of them is ever open); this only drives it.

import { noChangeReason, type ActionRequest, type ChangePreview } from '../../domain/actions.js';
import { describeError } from '../../domain/errors.js';
import type { KeyRow } from '../../domain/key.js';
import type { ChangeSource } from '../../domain/source.js';
import type { StatusMessage } from '../components/footer.js';
import type { Current } from '../hooks/use-sync-reducer.js';
import { checkConfirmation, checkPeriod, runnable, type Dialog, type DialogEvent, type KeyRef } from '../state/dialog.js';
import { textEditFor } from '../text-field.js';
import { confirmLayout } from '../views/change-dialog-lines.js';
import type { KeyHandler } from './screen.js';

export interface ChangeDialogDeps {
  /** Without it, or in read-only mode, nothing is ever previewed or changed. */
  changes: ChangeSource | undefined;
  readOnly: boolean;
  /** The App's dialog as it is now, and its dispatch (see useSyncReducer). */
  dialogRef: Current<Dialog>;
  dialogNow: (event: DialogEvent) => void;
  setStatus: (status: StatusMessage | undefined) => void;
  /** After the changes were made (or tried): the key as re-read after the last one that succeeded. */
  onApplied: (after: KeyRow | undefined) => void;
  /** The dialog's size on screen (the body's), to know how much of it is below. */
  size: { width: number; height: number };
}

export interface ChangeDialog {
  /** Re-reads the key and shows what the change(s) would do; nothing is sent yet. */
  prepare: (requests: ActionRequest[], key: KeyRef, title: string) => void;
  /** Asks for the automatic rotation period, starting from `initial` days (selected: typing replaces it); `current` is the period already set, if rotation is on. */
  askPeriod: (key: KeyRef, initial: number, current?: number) => void;
  onKey: KeyHandler;
}

function doneText(title: string, done: number, total: number, requestId: string | undefined): string {
  return `${title}: done${total > 1 ? ` (${done} of ${total})` : ''}${requestId ? ` · request ${requestId}` : ''} · recorded in the journal (:journal)`;
}

export function changeDialog({ changes, readOnly, dialogRef, dialogNow, setStatus, onApplied, size }: ChangeDialogDeps): ChangeDialog {
  const prepare = (requests: ActionRequest[], key: KeyRef, title: string) => {
    if (!changes || readOnly) return;
    setStatus(undefined);
    dialogNow({ type: 'preparing', title });
    Promise.all(requests.map((request) => changes.preview(request, key))).then(
      (previews) => {
        // The key as re-read may already be as asked (changed since it was shown): nothing to send.
        const same = previews.map((p) => noChangeReason(p.request, p.row));
        if (previews.length > 0 && same.every((reason) => reason !== undefined)) {
          dialogNow({ type: 'close' });
          return setStatus({ text: `${same[0]}: nothing to change, nothing sent`, tone: 'muted' });
        }
        dialogNow({ type: 'previews', previews });
      },
      (error: unknown) => {
        dialogNow({ type: 'close' });
        setStatus({ text: `${title}: ${describeError(error)} — nothing was changed`, tone: 'danger' });
      },
    );
  };

  /** Makes the confirmed changes one after the other, then shows the key as it is now. */
  const apply = async (previews: ChangePreview[]) => {
    if (!changes) return;
    const go = runnable(previews);
    const title = go[0]?.title ?? 'change';
    dialogNow({ type: 'applying', title, total: go.length });
    const failures: string[] = [];
    let requestId: string | undefined;
    let after: KeyRow | undefined;
    for (const preview of go) {
      try {
        const result = await changes.apply(preview);
        requestId = result.requestId ?? requestId;
        after = result.after;
      } catch (error) {
        failures.push(describeError(error));
      }
      dialogNow({ type: 'applied-one' });
    }
    dialogNow({ type: 'finished' });
    onApplied(after);
    const done = go.length - failures.length;
    if (failures.length === 0) setStatus({ text: doneText(title, done, go.length, requestId), tone: 'success' });
    else setStatus({ text: `${title}: ${done} of ${go.length} done; failed: ${failures.join('; ')}`, tone: 'danger' });
  };

  /** Enter: a valid period goes on to the preview; a matching confirmation makes the changes. */
  const confirm = () => {
    const current = dialogRef.current;
    if (current.kind === 'period') {
      const period = checkPeriod(current.input);
      if (!period.ok) return dialogNow({ type: 'reject', error: period.error });
      // The same period again would send EnableKeyRotation for no change: nothing is sent.
      if (current.current === period.days) {
        dialogNow({ type: 'close' });
        return setStatus({ text: `already rotating every ${period.days} days: nothing to change, nothing sent`, tone: 'muted' });
      }
      return prepare([{ action: 'rotation.enable', periodDays: period.days }], current.key, 'Enable automatic rotation');
    }
    if (current.kind === 'confirm') {
      // Nothing is confirmed unseen: with more changes or calls than fit, read them all first.
      const { below } = confirmLayout(current, size.width, size.height);
      if (below > 0) return dialogNow({ type: 'reject', error: `${below} more lines of changes are below: read them (↓ or PgDn) before confirming` });
      const check = checkConfirmation(current.previews, current.input);
      if (!check.ok) return dialogNow({ type: 'reject', error: check.error });
      void apply(current.previews);
    }
  };

  /** Moves through the changes and calls of a confirmation that does not fit. */
  const scroll = (command: 'dialog.down' | 'dialog.up' | 'dialog.pageDown' | 'dialog.pageUp') => {
    const current = dialogRef.current;
    if (current.kind !== 'confirm') return;
    const { maxScroll, visible } = confirmLayout(current, size.width, size.height);
    const page = Math.max(1, visible.length - 1);
    const by = { 'dialog.down': 1, 'dialog.up': -1, 'dialog.pageDown': page, 'dialog.pageUp': -page }[command];
    dialogNow({ type: 'scroll', by, maxScroll });
  };

  const onKey: KeyHandler = (command, input, key) => {
    const current = dialogRef.current;
    switch (command) {
      case 'dialog.cancel':
        if (current.kind === 'applying') return;
        dialogNow({ type: 'close' });
        return setStatus({ text: 'cancelled: nothing was changed', tone: 'muted' });
      case 'dialog.confirm':
        return confirm();
      case 'dialog.down':
      case 'dialog.up':
      case 'dialog.pageDown':
      case 'dialog.pageUp':
        return scroll(command);
      default: {
        const edit = current.kind === 'period' || current.kind === 'confirm' ? textEditFor(command, input, key) : undefined;
        if (edit) dialogNow({ type: 'edit', edit });
      }
    }
  };

  const askPeriod = (key: KeyRef, initial: number, current?: number) =>
    dialogNow({ type: 'open-period', key, initial, ...(current !== undefined ? { current } : {}) });
  return { prepare, askPeriod, onKey };
}
