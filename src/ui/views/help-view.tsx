import { Box, Text } from 'ink';
import { commandLineHelp } from '../command-line.js';
import { helpSections, type Scope } from '../keymap.js';
import { useTheme } from '../theme.js';
import { wrapLine } from './key-detail-lines.js';

export interface HelpLine {
  text: string;
  isTitle?: boolean;
  isDangerous?: boolean;
  /** On a section's title: the scope the section is about. */
  scope?: Scope;
}

/** The title of the help's list of `:commands`. */
export const COMMANDS_TITLE = 'Commands (after :, by any prefix that names one)';

/** The help screen as lines, generated from the keymap; with `width`, descriptions wrap under themselves instead of being cut. */
export function helpLines(options: { readOnly?: boolean; width?: number } = {}): HelpLine[] {
  const sections = helpSections(options);
  const keysWidth = Math.max(...sections.flatMap((s) => s.entries.map((e) => e.keys.length))) + 2;
  const lines: HelpLine[] = [];
  for (const section of sections) {
    if (lines.length > 0) lines.push({ text: '' });
    lines.push({ text: section.title, isTitle: true, scope: section.scope });
    for (const entry of section.entries) {
      const text = `  ${entry.keys.padEnd(keysWidth)}${entry.description}`;
      const wrapped = options.width === undefined ? [{ text }] : wrapLine({ text, indent: 2 + keysWidth }, options.width);
      for (const part of wrapped) lines.push({ text: part.text, isDangerous: entry.dangerous });
    }
  }
  // The command line's commands: screens, the key detail's tabs and the App's own, from their registries.
  lines.push({ text: '' }, { text: COMMANDS_TITLE, isTitle: true });
  const commands = commandLineHelp();
  const namesWidth = Math.max(...commands.map((c) => c.names.length)) + 2;
  for (const command of commands) {
    const text = `  ${command.names.padEnd(namesWidth)}${command.description}`;
    const wrapped = options.width === undefined ? [{ text }] : wrapLine({ text, indent: Math.min(2 + namesWidth, 24) }, options.width);
    for (const part of wrapped) lines.push({ text: part.text });
  }
  return lines;
}

/** The line where the section of a scope starts (the keys that work where the help was asked for); 0 when it has none. */
export function helpSectionStart(lines: readonly HelpLine[], scope: Scope): number {
  return Math.max(0, lines.findIndex((line) => line.isTitle && line.scope === scope));
}

export interface HelpViewProps {
  height: number;
  scroll: number;
  readOnly?: boolean;
  /** The terminal's width: long descriptions wrap. */
  width?: number;
}

/** Every key binding, scrollable; replaces the screen while open. */
export function HelpView({ height, scroll, readOnly = false, width }: HelpViewProps) {
  const theme = useTheme();
  const lines = helpLines({ readOnly, ...(width !== undefined ? { width } : {}) });
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
