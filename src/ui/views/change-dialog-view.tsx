// The change dialogs: the rotation-period field, the preview-and-confirm screen (what will
// change, the exact API calls, and what must be typed — laid out in change-dialog-lines.ts), and
// progress while a change is made.

import { Box, Text } from 'ink';
import { ROTATION_PERIOD_MAX, ROTATION_PERIOD_MIN } from '../../domain/rotation.js';
import { cleanText } from '../../domain/sanitize.js';
import { Spinner } from '@inkjs/ui';
import { needsTypedWord, type Dialog } from '../state/dialog.js';
import { useTheme } from '../theme.js';
import { confirmLayout, type DialogLine } from './change-dialog-lines.js';

/** A text field; a selected value is shown in inverse video with a note (`note`): the first key typed replaces it. */
function Field({ label, input, selected, note, error }: { label: string; input: string; selected?: boolean | undefined; note: string; error?: string | undefined }) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        {label} {selected ? <Text inverse>{cleanText(input)}</Text> : <Text {...theme.accent}>{cleanText(input)}</Text>}
        <Text inverse> </Text>
        {selected ? <Text {...theme.muted}>  ({note})</Text> : null}
      </Text>
      <Text {...theme.danger}>{error ?? ' '}</Text>
    </Box>
  );
}

/** One laid-out line; the answer field line also shows what was typed and the cursor. */
function DialogText({ line, input }: { line: DialogLine; input: string }) {
  const theme = useTheme();
  const style = { ...(line.tone ? theme[line.tone] : {}), ...(line.bold ? { bold: true } : {}) };
  if (!line.field) {
    return (
      <Text wrap="truncate-end" {...style}>
        {line.text || ' '}
      </Text>
    );
  }
  return (
    <Text wrap="truncate-start">
      <Text {...style}>{line.text}</Text>
      <Text {...theme.accent}>{cleanText(input)}</Text>
      <Text inverse> </Text>
    </Text>
  );
}

export function ChangeDialogView({ dialog, width, height }: { dialog: Exclude<Dialog, { kind: 'none' } | { kind: 'command' }>; width: number; height: number }) {
  const theme = useTheme();
  switch (dialog.kind) {
    case 'period':
      return (
        <Box flexDirection="column" height={height} borderStyle="round" paddingX={1}>
          <Text {...theme.heading}>Enable automatic rotation / change the period</Text>
          <Text>
            KMS creates new key material every period ({ROTATION_PERIOD_MIN}–{ROTATION_PERIOD_MAX} days). Old material is kept, so existing
            ciphertext still decrypts.
          </Text>
          {/* The period set now is kept by Enter; without one (rotation off, or an endpoint that does
              not report it) the value is the default, never presented as the current period. */}
          <Field
            label="Rotation period in days:"
            input={dialog.input}
            selected={dialog.selected}
            note={dialog.current !== undefined ? 'the current period · type to replace · Enter keeps it' : 'the default · type to replace · Enter uses it'}
            error={dialog.error}
          />
          <Text {...theme.muted}>Enter: preview the change · Esc: cancel · Ctrl-U: erase · Ctrl-W: erase a word</Text>
        </Box>
      );
    case 'preparing':
      return (
        <Box height={height} borderStyle="round" paddingX={1}>
          <Spinner label={`${dialog.title}: reading the key again before showing what will change…`} />
        </Box>
      );
    case 'applying':
      return (
        <Box height={height} borderStyle="round" paddingX={1}>
          <Spinner label={`${dialog.title}: ${dialog.done} of ${dialog.total} done — journal written before each call…`} />
        </Box>
      );
    case 'confirm': {
      const layout = confirmLayout(dialog, width, height);
      const typed = needsTypedWord(dialog.previews);
      return (
        <Box flexDirection="column" height={height} borderStyle="round" borderColor={typed ? 'red' : 'yellow'} paddingX={1}>
          {layout.top.map((line, i) => (
            <DialogText key={`t${i}`} line={line} input={dialog.input} />
          ))}
          {layout.maxScroll > 0 && !layout.compact ? (
            <Text wrap="truncate-end" {...theme.muted}>
              {layout.above > 0 ? `↑ ${layout.above} more above` : ' '}
            </Text>
          ) : null}
          {layout.visible.map((line, i) => (
            <DialogText key={`m${i}`} line={line} input={dialog.input} />
          ))}
          {layout.maxScroll > 0 ? (
            <Text wrap="truncate-end" {...(layout.below > 0 ? theme.warning : theme.muted)}>
              {layout.visible.length === 0
                ? `${layout.below} lines of changes do not fit: make the terminal taller to read them`
                : layout.below > 0
                  ? `↓ ${layout.below} more below: read to the end (↓, PgDn) to confirm`
                  : '(end of the changes)'}
            </Text>
          ) : null}
          <Box flexGrow={1} />
          {layout.bottom.map((line, i) => (
            <DialogText key={`b${i}`} line={line} input={dialog.input} />
          ))}
        </Box>
      );
    }
  }
}
