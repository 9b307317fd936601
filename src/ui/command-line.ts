// The command line (`:`): its commands, the short forms it accepts, Tab completion and history.
// Like k9s, a command can be typed in full, by an alias, or by any prefix that names one command
// (`:ret` is :retirements); Tab completes; Up and Down walk back through what was run.

import { closest } from '../commands/suggest.js';
import { cleanText } from '../domain/sanitize.js';
import { DETAIL_TAB_REGISTRY, type DetailTab } from './detail-tabs.js';
import { SCREEN_REGISTRY, type ScreenKind } from './screens/registry.js';

/** What a command does: open a screen of the registry, a tab of the key detail, or an App command. */
export type CommandTarget = { screen: ScreenKind } | { tab: DetailTab } | { app: AppCommand };

export type AppCommand = 'clock' | 'region' | 'profile' | 'account' | 'help' | 'quit';

export type CommandWord = string;

export interface CommandLineEntry {
  word: CommandWord;
  /** Other names it answers to (besides every unambiguous prefix of the word). */
  aliases: readonly string[];
  /** What it takes after the word, for help ("" = nothing). */
  argument: string;
  description: string;
  target: CommandTarget;
}

/** The App's own commands (the screens' and the tabs' come from their registries). */
const APP_COMMANDS: readonly CommandLineEntry[] = [
  { word: 'clock', aliases: [], argument: '[+15d]', description: "the sandbox's time; with an amount, move it forward", target: { app: 'clock' } },
  { word: 'region', aliases: ['regions'], argument: 'NAME[,NAME…]', description: 'read other Regions, without restarting', target: { app: 'region' } },
  { word: 'profile', aliases: ['ctx', 'context'], argument: 'NAME', description: 'read with another AWS profile, without restarting', target: { app: 'profile' } },
  { word: 'account', aliases: ['accounts', 'acct'], argument: 'NAME|ID|all', description: "with --org: only one account's keys, or all again", target: { app: 'account' } },
  { word: 'help', aliases: ['h', '?'], argument: '', description: 'the help', target: { app: 'help' } },
  { word: 'quit', aliases: ['q', 'q!', 'exit'], argument: '', description: 'quit keywarden', target: { app: 'quit' } },
];

/**
 * Every command of the command line: the screens that have a `:command` (src/ui/screens/registry.ts),
 * the App's commands, then the key detail's tabs (src/ui/detail-tabs.ts).
 */
export const COMMAND_LINE: readonly CommandLineEntry[] = [
  ...SCREEN_REGISTRY.filter((s) => s.commands.length > 0).map(
    (s): CommandLineEntry => ({ word: s.commands[0]!, aliases: s.commands.slice(1), argument: '', description: s.description, target: { screen: s.kind } }),
  ),
  ...APP_COMMANDS,
  ...DETAIL_TAB_REGISTRY.map(
    (t): CommandLineEntry => ({ word: t.commands[0], aliases: t.commands.slice(1), argument: '', description: `on a key: the ${t.title} tab (${t.key})`, target: { tab: t.id } }),
  ),
];

/** The entry a command word names. */
export function commandEntry(word: CommandWord | undefined): CommandLineEntry | undefined {
  return COMMAND_LINE.find((e) => e.word === word);
}

/** Every name a command answers to (words and aliases), in table order. */
function names(): Array<{ name: string; word: CommandWord }> {
  return COMMAND_LINE.flatMap((e) => [{ name: e.word, word: e.word }, ...e.aliases.map((a) => ({ name: a, word: e.word }))]);
}

/** The command a typed name means: the word, an alias, or a prefix of exactly one word. */
export function resolveCommand(typed: string): CommandWord | undefined {
  const name = typed.trim().replace(/^:/, '').toLowerCase();
  if (!name) return undefined;
  const exact = names().find((n) => n.name === name);
  if (exact) return exact.word;
  const byPrefix = [...new Set(COMMAND_LINE.filter((e) => e.word.startsWith(name)).map((e) => e.word))];
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

/** The words a typed prefix could become (for the "did you mean" and Tab). */
export function candidates(typed: string): CommandWord[] {
  const name = typed.trim().replace(/^:/, '').toLowerCase();
  return COMMAND_LINE.filter((e) => e.word.startsWith(name)).map((e) => e.word);
}

/**
 * Tab: completes the command word (to the one word it can be, or to the longest common prefix of
 * the words it can be); the argument is left alone. Returns the input unchanged when nothing fits.
 */
export function completeCommand(input: string): string {
  const match = /^(\s*)(\S*)(\s.*)?$/s.exec(input);
  if (!match) return input;
  const [, lead = '', word = '', rest] = match;
  if (rest !== undefined) return input;
  const options = candidates(word);
  if (options.length === 0) return input;
  if (options.length === 1) return `${lead}${options[0]} `;
  let common: string = options[0]!;
  for (const o of options) while (!o.startsWith(common)) common = common.slice(0, -1);
  return common.length > word.length ? `${lead}${common}` : input;
}

/** What was run, newest last, without repeats in a row; at most `limit`. */
export function remember(history: readonly string[], line: string, limit = 50): string[] {
  const text = line.trim();
  if (!text || history.at(-1) === text) return [...history];
  return [...history, text].slice(-limit);
}

/**
 * Walks the history: `position` counts back from the newest (0 = the line being typed). Returns
 * the new position and the text to show.
 */
export function walkHistory(history: readonly string[], position: number, step: 1 | -1, draft: string): { position: number; text: string } {
  const next = Math.max(0, Math.min(history.length, position + step));
  return { position: next, text: next === 0 ? draft : history[history.length - next]! };
}

/** The help's (and the README's) list of commands: the names it answers to, what it takes, what it does. */
export function commandLineHelp(): Array<{ word: string; names: string; description: string }> {
  return COMMAND_LINE.map((e) => ({
    word: e.word,
    names: [`:${e.word}${e.argument ? ` ${e.argument}` : ''}`, ...e.aliases.map((a) => `:${a}`)].join(', '),
    description: e.description,
  }));
}

/** One line per command for help and the "unknown command" message. */
export function commandLineSummary(): string {
  return COMMAND_LINE.map((e) => `:${e.word}`).join(', ');
}

/**
 * What the command line says to a name that is no command (`name` as typed, `input` the whole
 * line, both shown cleaned): the words it could begin, else the closest one, else all of them.
 */
export function unknownCommandText(name: string, input: string): string {
  const could = candidates(name);
  if (could.length > 1) return `":${cleanText(name)}" could be ${could.map((c) => `:${c}`).join(' or ')}: type more (Tab completes)`;
  const near = closest(name.toLowerCase(), names().map((n) => n.name));
  const word = near === undefined ? undefined : names().find((n) => n.name === near)?.word;
  return `unknown command ":${cleanText(input.trim().replace(/^:/, ''))}" — ${word ? `did you mean ":${word}"?` : `try ${commandLineSummary()}`}`;
}

/** The history a session keeps across app redraws (a `:region` switch draws a fresh app). */
export interface CommandHistory {
  lines: string[];
  /** Where Up/Down are (0 = the line being typed) and what was being typed before walking. */
  position: number;
  draft: string;
}

export function newCommandHistory(): CommandHistory {
  return { lines: [], position: 0, draft: '' };
}
