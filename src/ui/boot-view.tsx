// The first frame: header and loading line, drawn before the AWS SDK, the sandbox and the rest
// of the app are loaded. Imports nothing heavier than Ink (and the key registry).

import { Box, Text, useInput } from 'ink';
import type { SessionInfo } from '../domain/source.js';
import { Header } from './components/header.js';
import { matches } from './keymap.js';
import { ThemeContext, themeFor } from './theme.js';

export interface BootViewProps {
  session: SessionInfo;
  columns: number;
  rows: number;
  /** q or Ctrl-C while loading: the program ends before the keys view appears. */
  onQuit?: () => void;
}

export function BootView({ session, columns, rows, onQuit }: BootViewProps) {
  const theme = themeFor(process.env);
  // Other keys pressed while loading are dropped: nothing on this screen takes them.
  useInput(
    (input, key) => {
      if (matches('app.quit', input, key, 'list')) onQuit?.();
    },
    { isActive: onQuit !== undefined },
  );
  return (
    <ThemeContext.Provider value={theme}>
      <Box flexDirection="column" width={columns} height={rows}>
        <Header session={session} identity={{ status: 'loading' }} />
        <Text {...theme.accent}>⠋ loading keys…</Text>
      </Box>
    </ThemeContext.Provider>
  );
}
