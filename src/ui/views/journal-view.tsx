// The audit journal (`:journal`): every change keywarden made, newest first, for one key
// (when opened from its detail) or for all.

import { Box, Text } from 'ink';
import { formatDateTime } from '../../domain/format.js';
import { cleanText } from '../../domain/sanitize.js';
import type { JournalOperationView } from '../../domain/source.js';
import { ErrorView } from '../components/error-view.js';
import { Loading } from '../components/loading.js';
import type { JournalState } from '../hooks/use-journal.js';
import { useTheme, type ThemeRole } from '../theme.js';
import { wrapIndented } from '../wrap.js';

export interface JournalLine {
  text: string;
  tone?: ThemeRole;
}

/**
 * The journal as lines, newest first (pure, so scrolling knows the line count); wrapped to `width`,
 * never cut: a key's ARN, a request id and the caller are copied from here.
 */
export function journalLines(operations: readonly JournalOperationView[], problems: readonly string[], width?: number): JournalLine[] {
  const lines: JournalLine[] = [];
  for (const problem of problems) lines.push({ text: `! journal ${problem} (kept as it is; later entries are intact)`, tone: 'warning' });
  if (operations.length === 0) lines.push({ text: 'no changes recorded yet', tone: 'muted' });
  for (const op of [...operations].reverse()) {
    const outcome =
      op.status === 'ok' ? `ok${op.requestId ? ` · request ${op.requestId}` : ''}` : op.status === 'failed' ? `FAILED · ${cleanText(op.error ?? '')}` : 'OUTCOME UNKNOWN: sent, but no result was recorded';
    // The outcome leads, so a narrow terminal never cuts it off.
    lines.push({ text: `${formatDateTime(op.time)}  ${op.action} → ${outcome}`, tone: op.status === 'ok' ? 'success' : op.status === 'failed' ? 'danger' : 'warning' });
    lines.push({ text: `    key ${cleanText(op.keyArn)}` });
    lines.push({ text: `    ${cleanText(JSON.stringify(op.params))}` });
    lines.push({ text: `    by ${cleanText(op.caller)} in ${op.region}`, tone: 'muted' });
  }
  // The journal is a file anyone with access to the data directory can edit: every field read
  // from it (time, action, region …) is untrusted text, cleaned here on its way to the screen.
  return lines.flatMap((line) => {
    const text = cleanText(line.text);
    const rows = width === undefined ? [text] : wrapIndented(text, width, text.startsWith('    ') ? 8 : 4);
    return rows.map((row) => ({ ...line, text: row }));
  });
}

/** The journal's title, wrapped to `width` (a key's ARN whole). */
export function journalTitle(keyArn: string | undefined, changes: number, width?: number): string[] {
  const title = `${keyArn ? `Journal — ${cleanText(keyArn)}` : 'Journal — every key'} (${changes} change${changes === 1 ? '' : 's'})`;
  return width === undefined ? [title] : wrapIndented(title, width, 2);
}

export function JournalView({ state, keyArn, scroll, height, width }: { state: JournalState; keyArn?: string | undefined; scroll: number; height: number; width?: number }) {
  const theme = useTheme();
  if (state.status === 'loading') return <Loading label="reading the journal…" />;
  if (state.status === 'error') return <ErrorView title="Could not read the journal" message={state.error} hint="r to try again, Esc to go back" />;
  const lines = journalLines(state.operations, state.problems, width);
  const title = journalTitle(keyArn, state.operations.length, width);
  const body = Math.max(1, height - title.length);
  return (
    <Box flexDirection="column" height={height}>
      {title.map((row, i) => (
        <Text key={`t${i}`} {...theme.heading}>
          {row}
        </Text>
      ))}
      {lines.slice(scroll, scroll + body).map((line, i) => (
        <Text key={scroll + i} wrap="truncate-end" {...(line.tone ? theme[line.tone] : {})}>
          {line.text || ' '}
        </Text>
      ))}
    </Box>
  );
}
