import { Spinner, ThemeProvider, defaultTheme, extendTheme } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { progressLabel, type RegionProgress } from '../../domain/source.js';
import { cleanText } from '../../domain/sanitize.js';
import { useTheme } from '../theme.js';

/** "120 of 400 listed" over every region. */
export function progressSummary(progress: readonly RegionProgress[]): string {
  const listed = progress.reduce((sum, p) => sum + p.listed, 0);
  const loaded = progress.reduce((sum, p) => sum + p.loaded, 0);
  return `${loaded} of ${listed} listed`;
}

export function regionProgressText(p: RegionProgress): string {
  if (p.error) return `${cleanText(progressLabel(p))}: failed — ${cleanText(p.error)}`;
  return `${cleanText(progressLabel(p))}: ${p.loaded} of ${p.listed}${p.done ? ', done' : ''}`;
}

export interface LoadingProps {
  /** What is loading: "loading keys…", "loading key…". */
  label: string;
  progress?: readonly RegionProgress[];
}

/** A spinner with a label and, for the inventory, per-region counts. */
export function Loading({ label, progress = [] }: LoadingProps) {
  const theme = useTheme();
  const uiTheme = useMemo(
    () => extendTheme(defaultTheme, { components: { Spinner: { styles: { frame: () => ({ ...theme.accent }) } } } }),
    [theme],
  );
  const text = progress.length > 0 ? `${label} ${progressSummary(progress)}` : label;
  return (
    <Box flexDirection="column">
      <ThemeProvider theme={uiTheme}>
        <Spinner label={text} />
      </ThemeProvider>
      {progress.length > 1
        ? progress.map((p) => (
            <Text key={progressLabel(p)} {...(p.error ? theme.danger : theme.muted)}>
              {'  '}
              {regionProgressText(p)}
            </Text>
          ))
        : null}
    </Box>
  );
}
