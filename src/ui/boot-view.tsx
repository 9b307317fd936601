// The first frame: header and loading line, drawn before the AWS SDK, the sandbox and the rest
// of the app are loaded. Imports nothing heavier than Ink.

import { Box, Text } from 'ink';
import type { SessionInfo } from '../domain/source.js';
import { Header } from './components/header.js';
import { ThemeContext, themeFor } from './theme.js';

export function BootView({ session, columns, rows }: { session: SessionInfo; columns: number; rows: number }) {
  const theme = themeFor(process.env);
  return (
    <ThemeContext.Provider value={theme}>
      <Box flexDirection="column" width={columns} height={rows}>
        <Header session={session} identity={{ status: 'loading' }} />
        <Text {...theme.accent}>⠋ loading keys…</Text>
      </Box>
    </ThemeContext.Provider>
  );
}
