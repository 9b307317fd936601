// The first frame: header and loading line, drawn before the AWS SDK, the sandbox and the rest
// of the app are loaded. Imports nothing heavier than Ink (and the key registry).

import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { SessionInfo } from '../domain/source.js';
import { Header } from './components/header.js';
import { matches } from './keymap.js';
import { SPINNER_FRAMES, SPINNER_INTERVAL_MS } from './splash.js';
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
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setFrame((f) => (f + 1) % SPINNER_FRAMES.length), SPINNER_INTERVAL_MS);
    return () => clearInterval(timer);
  }, []);
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
        <Text {...theme.accent}>{SPINNER_FRAMES[frame]} loading keys…</Text>
      </Box>
    </ThemeContext.Provider>
  );
}
