// The first thing cli.ts runs, before any other module is loaded: when the interactive view is
// asked for (no command word, a terminal on both ends), the keyboard goes into raw mode at once, so
// a key typed while keywarden starts is never echoed onto the operator's screen, and q or Ctrl-C
// end it at once, exit 0, as they do on every screen of the view. A command, --help or --version
// gives the keyboard back as it was (releaseEarlyKeyboard); Node restores the terminal's mode when
// the process exits in any case. Imports nothing but what Node has loaded.

/** The command words (src/cli.ts COMMAND_TABLE): any of them as an argument means "not the view". */
const NOT_THE_VIEW = new Set(['list', 'show', 'usage', 'findings', 'report', 'guard', 'rotation', 'grants', 'key', 'retire', 'retirements', 'journal', 'sandbox']);

/** Whether these arguments look like the interactive view (a flag's value may look like a word; no harm either way). */
export function looksLikeTheView(args: readonly string[]): boolean {
  return !args.some((arg) => NOT_THE_VIEW.has(arg) || arg === '--help' || arg === '-h' || arg === '--version');
}

let raw = false;
let reading = false;

const onKey = (chunk: Buffer) => {
  if (chunk.includes(0x71) || chunk.includes(0x03)) process.exit(0); // q, Ctrl-C: nothing is on the screen yet
};

if (process.stdin.isTTY && process.stdout.isTTY && looksLikeTheView(process.argv.slice(2))) {
  process.stdin.setRawMode(true);
  process.stdin.on('data', onKey);
  raw = true;
  reading = true;
}

/** Stops reading the keyboard here (it stays raw): the interactive view reads it from now on. */
export function takeEarlyKeyboard(): void {
  if (!reading) return;
  reading = false;
  process.stdin.off('data', onKey);
  process.stdin.pause();
}

/** Puts the keyboard back as it was (a command, or the program ends without the view). */
export function releaseEarlyKeyboard(): void {
  takeEarlyKeyboard();
  if (!raw) return;
  raw = false;
  process.stdin.setRawMode(false);
}
