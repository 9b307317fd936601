import { Box, Text } from 'ink';
import { cleanText } from '../../domain/sanitize.js';
import { useTheme } from '../theme.js';

export interface ErrorViewProps {
  /** What failed, in words: "Could not load the keys". */
  title: string;
  /** Why (error messages may quote AWS text, so they are cleaned). */
  message: string;
  hint?: string;
}

export function ErrorView({ title, message, hint }: ErrorViewProps) {
  const theme = useTheme();
  return (
    <Box flexDirection="column">
      <Text {...theme.danger} bold>
        {title}
      </Text>
      <Text>{cleanText(message)}</Text>
      {hint ? <Text {...theme.muted}>{hint}</Text> : null}
    </Box>
  );
}
