// The confirmation dialog as lines for a given size. What is asked (the title, the key) stays at
// the top and the answer field at the bottom; between them, everything that will change and
// every API call in full — wrapped, never cut — scrolls when it does not fit, and the dialog says
// how much is below. A confirmation cannot be given with part of it unread (see change-dialog.ts).

import { displayName } from '../../domain/key.js';
import { cleanText } from '../../domain/sanitize.js';
import { describePrincipal } from '../../domain/services.js';
import { needsTypedWord, runnable, type Dialog } from '../state/dialog.js';
import type { ThemeRole } from '../theme.js';
import { wrapText } from '../wrap.js';
import { grantPurpose } from './key-detail-lines.js';

export type ConfirmDialog = Extract<Dialog, { kind: 'confirm' }>;

export interface DialogLine {
  text: string;
  tone?: ThemeRole;
  bold?: boolean;
  /** The answer field: the view draws what was typed, and the cursor, after the text. */
  field?: boolean;
}

/** Columns and rows inside the dialog's rounded border and its one-column padding. */
export function dialogInside(width: number, height: number): { columns: number; rows: number } {
  return { columns: Math.max(10, width - 4), rows: Math.max(3, height - 2) };
}

const wrapped = (text: string, columns: number, style: Omit<DialogLine, 'text'> = {}, indent = ''): DialogLine[] =>
  wrapText(text, columns - indent.length).map((line) => ({ text: `${indent}${line}`, ...style }));

/** A diff line (`+ `, `- ` or `  `, then indented JSON) wrapped with its mark and its indentation kept. */
function diffRows(line: string, columns: number): DialogLine[] {
  const mark = line.slice(0, 2);
  const body = line.slice(2);
  const indent = /^ */.exec(body)![0];
  const tone: ThemeRole | undefined = mark === '+ ' ? 'success' : mark === '- ' ? 'danger' : undefined;
  return wrapText(body.trim(), columns - 4 - indent.length).map((text, i) => ({ text: `  ${i === 0 ? mark : '  '}${indent}${text}`, ...(tone ? { tone } : {}) }));
}

/** The title and the key: always shown. */
function topLines(dialog: ConfirmDialog, columns: number): DialogLine[] {
  const first = dialog.previews[0]!;
  const tone: ThemeRole = needsTypedWord(dialog.previews) ? 'danger' : 'warning';
  const count = dialog.previews.length > 1 ? ` × ${dialog.previews.length}` : '';
  return [
    ...wrapped(`${first.title}${count} — ${cleanText(displayName(first.row))}`, columns, { tone, bold: true }),
    ...wrapped(`${cleanText(first.row.arn)} · state now ${first.row.metadata?.state ?? 'unknown'}`, columns, { tone: 'muted' }),
  ];
}

/** What the changes do, each change, each API call with its parameters, what is skipped. */
function middleLines(dialog: ConfirmDialog, columns: number): DialogLine[] {
  const first = dialog.previews[0]!;
  const go = runnable(dialog.previews);
  const blocked = dialog.previews.filter((p) => p.blocked);
  const lines: DialogLine[] = [...wrapped(first.explain, columns)];
  if (go.length > 0) {
    lines.push({ text: '' }, { text: go.length === 1 ? 'What changes:' : `What changes (${go.length}):`, bold: true });
    for (const p of go) lines.push(...wrapped(cleanText(p.change), columns, {}, '  '));
    for (const p of go.filter((x) => x.policy)) {
      if (p.request.action === 'guard.add') {
        lines.push({ text: '' }, { text: 'Calls of the last 90 days it would have refused (CloudTrail):', bold: true });
        for (const line of p.policy!.replay) lines.push(...wrapped(cleanText(line), columns, { ...(/REFUSED/.test(line) ? { tone: 'danger' as const } : {}) }, '  '));
      }
      lines.push({ text: '' }, { text: 'The key policy, before → after:', bold: true });
      for (const line of p.policy!.diff) lines.push(...diffRows(cleanText(line), columns));
    }
    lines.push({ text: '' }, { text: go.length === 1 ? 'This API call will be made:' : `These ${go.length} API calls will be made, one after the other:`, bold: true });
    for (const p of go) {
      // A new key policy is the "after" of the diff above: the call names it instead of repeating it.
      const params = p.policy ? { ...p.call.params, Policy: '(the policy after, as above)' } : p.call.params;
      lines.push(...wrapped(`${p.call.operation} ${cleanText(JSON.stringify(params))}`, columns, {}, '  '));
      if (p.grant) {
        const about = `${grantPurpose(p.grant)}, grantee ${cleanText(describePrincipal(p.grant.granteePrincipal))}, ${p.grant.operations.join(', ')}`;
        lines.push(...wrapped(about, columns, { tone: 'muted' }, '    '));
      }
    }
  }
  if (blocked.length > 0) {
    lines.push({ text: '' }, { text: go.length > 0 ? 'Skipped (not possible now):' : 'Not possible now — nothing will be sent:', tone: 'warning' });
    for (const p of blocked) lines.push(...wrapped(`${p.grant ? `${p.grant.grantId}: ` : ''}${p.blocked}`, columns, {}, '  '));
  }
  return lines;
}

/** The answer field and its error: always shown (the footer below the dialog lists the keys). */
function bottomLines(dialog: ConfirmDialog, columns: number): DialogLine[] {
  const first = dialog.previews[0]!;
  const go = runnable(dialog.previews);
  if (go.length === 0) return [{ text: dialog.error ?? 'Esc closes this: nothing will be sent', tone: 'danger' }];
  const ask = needsTypedWord(dialog.previews) ? `Type "${cleanText(first.word)}" (the alias or key id) and press Enter to confirm:` : 'Press Enter (or type y) to confirm:';
  return [...wrapped(ask, columns), { text: '> ', tone: 'accent', field: true }, { text: dialog.error ?? ' ', tone: 'danger' }];
}

export interface ConfirmLayout {
  top: DialogLine[];
  /** The middle lines on screen now. */
  visible: DialogLine[];
  /** Lines above and below the visible part. */
  above: number;
  below: number;
  /** The largest useful scroll offset. */
  maxScroll: number;
  /** Too short for a line above and a line below: one line says where the reader is. */
  compact: boolean;
  bottom: DialogLine[];
}

/** The dialog laid out in `width` × `height` (border included), scrolled `scroll` lines down. */
export function confirmLayout(dialog: ConfirmDialog, width: number, height: number): ConfirmLayout {
  const { columns, rows } = dialogInside(width, height);
  const top = topLines(dialog, columns);
  const bottom = bottomLines(dialog, columns);
  const middle = middleLines(dialog, columns);
  // A blank line before the question when there is room for everything.
  const room = rows - top.length - bottom.length;
  if (middle.length + 1 <= room) return { top, visible: [...middle, { text: '' }], above: 0, below: 0, maxScroll: 0, compact: false, bottom };
  // Two lines of the room say what is above and what is below (in a very short terminal, one
  // line says both — see the view; with no room at all, nothing can be read nor confirmed).
  const window = room >= 4 ? room - 2 : Math.max(0, room - 1);
  const maxScroll = middle.length - window;
  const scroll = Math.min(Math.max(0, dialog.scroll ?? 0), maxScroll);
  return { top, visible: middle.slice(scroll, scroll + window), above: scroll, below: maxScroll - scroll, maxScroll, compact: room < 4, bottom };
}
