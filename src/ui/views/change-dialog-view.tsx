// The change dialogs: the rotation-period field, the preview-and-confirm screen (what will
// change, the exact API calls, and what must be typed), and progress while a change is made.

import { Box, Text } from 'ink';
import { displayName } from '../../domain/key.js';
import { ROTATION_PERIOD_MAX, ROTATION_PERIOD_MIN } from '../../domain/rotation.js';
import { cleanText } from '../../domain/sanitize.js';
import { describePrincipal } from '../../domain/services.js';
import { Spinner } from '@inkjs/ui';
import { needsTypedWord, runnable, type Dialog } from '../state/dialog.js';
import { useTheme } from '../theme.js';
import { grantPurpose } from './key-detail-lines.js';

function Field({ label, input, error }: { label: string; input: string; error?: string | undefined }) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        {label} <Text {...theme.accent}>{cleanText(input)}</Text>
        <Text inverse> </Text>
      </Text>
      <Text {...theme.danger}>{error ?? ' '}</Text>
    </Box>
  );
}

export function ChangeDialogView({ dialog, height }: { dialog: Exclude<Dialog, { kind: 'none' } | { kind: 'command' }>; height: number }) {
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
          <Field label="Rotation period in days:" input={dialog.input} error={dialog.error} />
          <Text {...theme.muted}>Enter: preview the change · Esc: cancel</Text>
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
      const first = dialog.previews[0]!;
      const go = runnable(dialog.previews);
      const blocked = dialog.previews.filter((p) => p.blocked);
      const typed = needsTypedWord(dialog.previews);
      const name = cleanText(displayName(first.row));
      return (
        <Box flexDirection="column" height={height} borderStyle="round" borderColor={typed ? 'red' : 'yellow'} paddingX={1}>
          <Text {...(typed ? theme.danger : theme.warning)} bold>
            {first.title}
            {dialog.previews.length > 1 ? ` × ${dialog.previews.length}` : ''} — {name}
          </Text>
          <Text {...theme.muted}>
            {cleanText(first.row.arn)} · state now {first.row.metadata?.state ?? 'unknown'}
          </Text>
          <Text>{first.explain}</Text>
          {go.length > 0 ? (
            <Box flexDirection="column" marginTop={1}>
              <Text bold>What changes:</Text>
              {go.slice(0, Math.max(1, Math.floor((height - 16) / 2))).map((p, i) => (
                <Text key={i} wrap="truncate-end">
                  {'  '}
                  {cleanText(p.change)}
                </Text>
              ))}
            </Box>
          ) : null}
          {go.length > 0 ? (
            <Box flexDirection="column" marginTop={1}>
              <Text bold>{go.length === 1 ? 'This API call will be made:' : `These ${go.length} API calls will be made, one after the other:`}</Text>
              {go.slice(0, Math.max(1, Math.floor((height - 16) / 2))).map((p, i) => (
                <Text key={i} wrap="truncate-end">
                  {'  '}
                  {p.call.operation} {cleanText(JSON.stringify(p.call.params))}
                  {p.grant ? <Text {...theme.muted}> — {grantPurpose(p.grant)}, grantee {cleanText(describePrincipal(p.grant.granteePrincipal))}, {p.grant.operations.join(', ')}</Text> : null}
                </Text>
              ))}
            </Box>
          ) : null}
          {blocked.length > 0 ? (
            <Box flexDirection="column" marginTop={1}>
              <Text {...theme.warning}>{go.length > 0 ? 'Skipped (not possible now):' : 'Not possible now — nothing will be sent:'}</Text>
              {blocked.map((p, i) => (
                <Text key={i} wrap="truncate-end">
                  {'  '}
                  {p.grant ? `${p.grant.grantId}: ` : ''}
                  {p.blocked}
                </Text>
              ))}
            </Box>
          ) : null}
          {go.length > 0 ? (
            <Field
              label={typed ? `Type "${cleanText(first.word)}" (the alias or key id) and press Enter to confirm:` : 'Press Enter (or type y) to confirm:'}
              input={dialog.input}
              error={dialog.error}
            />
          ) : (
            <Text {...theme.danger}>{dialog.error ?? ' '}</Text>
          )}
          <Text {...theme.muted}>{go.length > 0 ? 'Enter: confirm · Esc: cancel, nothing is changed' : 'Esc: close'}</Text>
        </Box>
      );
    }
  }
}
