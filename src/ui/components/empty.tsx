import { Box, Text } from 'ink';
import { useTheme } from '../theme.js';

export interface EmptyProps {
  title: string;
  hint?: string;
}

/** Nothing to show, and what to do about it. */
export function Empty({ title, hint }: EmptyProps) {
  const theme = useTheme();
  return (
    <Box flexDirection="column">
      <Text>{title}</Text>
      {hint ? <Text {...theme.muted}>{hint}</Text> : null}
    </Box>
  );
}
