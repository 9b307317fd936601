import { Box, Text } from 'ink';
import { helpSections } from '../keymap.js';
import { useTheme } from '../theme.js';

export interface HelpLine {
  text: string;
  isTitle?: boolean;
  isDangerous?: boolean;
}

/** The help screen as lines, generated from the keymap. */
export function helpLines(options: { readOnly?: boolean } = {}): HelpLine[] {
  const sections = helpSections(options);
  const keysWidth = Math.max(...sections.flatMap((s) => s.entries.map((e) => e.keys.length))) + 2;
  const lines: HelpLine[] = [];
  for (const section of sections) {
    if (lines.length > 0) lines.push({ text: '' });
    lines.push({ text: section.title, isTitle: true });
    for (const entry of section.entries) {
      lines.push({ text: `  ${entry.keys.padEnd(keysWidth)}${entry.description}`, isDangerous: entry.dangerous });
    }
  }
  return lines;
}

/**
 * Where help opens for a screen: its own section at the top (clamped so the last page is full),
 * the general keys when the screen has no section of its own.
 */
export function helpScrollFor(scope: string, height: number, options: { readOnly?: boolean } = {}): number {
  const title = helpSections(options).find((s) => s.scope === scope)?.title;
  const lines = helpLines(options);
  const at = title ? lines.findIndex((l) => l.isTitle && l.text === title) : 0;
  return Math.max(0, Math.min(at, lines.length - (height - 1)));
}

export interface HelpViewProps {
  height: number;
  scroll: number;
  readOnly?: boolean;
}

/** Every key binding, scrollable; replaces the screen while open. */
export function HelpView({ height, scroll, readOnly = false }: HelpViewProps) {
  const theme = useTheme();
  const lines = helpLines({ readOnly });
  const bodyHeight = Math.max(1, height - 1);
  const visible = lines.slice(scroll, scroll + bodyHeight);
  return (
    <Box flexDirection="column" height={height}>
      <Text {...theme.heading}>
        Help{lines.length > bodyHeight ? `  (${scroll + 1}–${Math.min(lines.length, scroll + bodyHeight)} of ${lines.length})` : ''}
      </Text>
      {visible.map((line, i) => (
        <Text key={scroll + i} wrap="truncate-end" {...(line.isTitle ? theme.accent : line.isDangerous ? theme.danger : {})}>
          {line.text || ' '}
        </Text>
      ))}
    </Box>
  );
}
