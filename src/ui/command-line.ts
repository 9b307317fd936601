// The command line (`:`): its commands, the short forms it accepts, Tab completion and history.
// Like k9s, a command can be typed in full, by an alias, or by any prefix that names one command
// (`:ret` is :retirements); Tab completes; Up and Down walk back through what was run.

export type CommandWord = 'keys' | 'journal' | 'retirements' | 'clock' | 'region' | 'profile' | 'account' | 'help' | 'quit';

export interface CommandLineEntry {
  word: CommandWord;
  /** Other names it answers to (besides every unambiguous prefix of the word). */
  aliases: readonly string[];
  /** What it takes after the word, for help ("" = nothing). */
  argument: string;
  description: string;
}

export const COMMAND_LINE: readonly CommandLineEntry[] = [
  { word: 'keys', aliases: ['k', 'list', 'ls'], argument: '', description: 'the keys list' },
  { word: 'journal', aliases: ['j'], argument: '', description: "the audit journal (the open key's entries on a key)" },
  { word: 'retirements', aliases: ['retire'], argument: '', description: 'every retirement recorded here' },
  { word: 'clock', aliases: [], argument: '[+15d]', description: "the sandbox's time; with an amount, move it forward" },
  { word: 'region', aliases: ['regions'], argument: 'NAME[,NAME…]', description: 'read other Regions, without restarting' },
  { word: 'profile', aliases: ['ctx', 'context'], argument: 'NAME', description: 'read with another AWS profile, without restarting' },
  { word: 'account', aliases: ['accounts', 'acct'], argument: 'NAME|ID|all', description: 'with --org: only one account\'s keys, or all again' },
  { word: 'help', aliases: ['h', '?'], argument: '', description: 'the help' },
  { word: 'quit', aliases: ['q', 'q!', 'exit'], argument: '', description: 'quit keywarden' },
];

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

/** One line per command for help and the "unknown command" message. */
export function commandLineSummary(): string {
  return COMMAND_LINE.map((e) => `:${e.word}`).join(', ');
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
