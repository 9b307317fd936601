import { Box, Text, useStdout } from 'ink';
import { fitHints, hintsFor, type Hint, type Scope } from '../keymap.js';
import { useTheme, type ThemeRole } from '../theme.js';

export interface StatusMessage {
  text: string;
  tone?: Extract<ThemeRole, 'danger' | 'warning' | 'success' | 'muted' | 'accent'>;
}

export interface FooterProps {
  scope: Scope;
  status?: StatusMessage | undefined;
  readOnly?: boolean;
  /** Key-detail tab, so only its actions are hinted. */
  tab?: string;
  /** Commands the current key rules out (an enabled key cannot be enabled …): not hinted. */
  unavailable?: ReadonlySet<string> | undefined;
  /** The screen's own hints for now, all of them (the retirement wizard's, which follow its stage and dialog). */
  hints?: readonly Hint[] | undefined;
  /** The terminal's width: the hints that fit are kept by rank (help and the screen's main actions first), never cut mid-word. */
  width?: number;
}

/** Key hints for the focused area, from the keymap, and a status line. */
export function Footer({ scope, status, readOnly = false, tab, unavailable, hints: own, width }: FooterProps) {
  const theme = useTheme();
  const { stdout } = useStdout();
  const hints = fitHints(own ?? hintsFor(scope, { readOnly, ...(tab ? { tab } : {}), ...(unavailable ? { unavailable } : {}) }), width ?? stdout.columns ?? 80);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {hints.map((hint, i) => (
          <Text key={`${hint.keys}-${hint.description}`}>
            {i > 0 ? '  ' : ''}
            <Text {...theme.key}>{hint.keys}</Text> <Text {...theme.muted}>{hint.description}</Text>
          </Text>
        ))}
      </Text>
      <Text wrap="truncate-end" {...(status?.tone ? theme[status.tone] : theme.muted)}>
        {status?.text ?? ' '}
      </Text>
    </Box>
  );
}
