import { Box, Text, useStdout } from 'ink';
import { fitHints, hintsFor, type Hint, type Scope } from '../keymap.js';
import { useTheme, type ThemeRole } from '../theme.js';
import { wrapIndented } from '../wrap.js';

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
  /** The most rows the status may take (statusRows); all it needs when absent. */
  maxStatusRows?: number;
}

/**
 * The status line as rows at `width` columns: wrapped, never cut — it often holds what the operator
 * must read or copy by hand (an ARN with --no-clipboard, a request id, why a key did nothing).
 * Never more than `max` rows (the screen keeps its own); one row when there is no status.
 */
export function statusRows(status: StatusMessage | undefined, width: number, max = Infinity): string[] {
  if (!status?.text) return [' '];
  return wrapIndented(status.text, width, 2).slice(0, Math.max(1, max));
}

/** Key hints for the focused area, from the keymap, and a status line. */
export function Footer({ scope, status, readOnly = false, tab, unavailable, hints: own, width, maxStatusRows }: FooterProps) {
  const theme = useTheme();
  const { stdout } = useStdout();
  const columns = width ?? stdout.columns ?? 80;
  const hints = fitHints(own ?? hintsFor(scope, { readOnly, ...(tab ? { tab } : {}), ...(unavailable ? { unavailable } : {}) }), columns);
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
      {statusRows(status, columns, maxStatusRows).map((row, i) => (
        <Text key={i} {...(status?.tone ? theme[status.tone] : theme.muted)}>
          {row}
        </Text>
      ))}
    </Box>
  );
}
