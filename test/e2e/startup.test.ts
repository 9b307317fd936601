// Start-up in a real terminal (tmux, 80 × 24), with module loading made slow on purpose (fixtures
// hold the main thread, or the flag parser's load, until the test lets go): the splash's spinner
// turns while the main thread is busy, no frame between the first paint and the key list is
// blank, and q or Ctrl-C typed at any moment of it ends the program at once, exit 0, with nothing
// echoed on the shell's screen. No time bound is asserted: a loaded machine stretches any bound.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Terminal } from './terminal.js';

const HOLD_MODULES = ['--import', join(import.meta.dirname, 'fixtures/hold-module-loading.mjs')];
const HOLD_MEOW = ['--import', join(import.meta.dirname, 'fixtures/hold-meow.mjs')];
const SPINNER = /^([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) loading keys…/m;
const KEYS_LOADED = (s: string) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys');

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The shell's screen after the program ended: the line before "[exit:N]" holds whatever was echoed on it. */
function echoedOnShell(screen: string): string {
  const lines = screen.split('\n');
  const exit = lines.findIndex((line) => /\[exit:\d+\]/.test(line));
  const before = lines.slice(lines.findIndex((line) => line.includes('BEFORE-KEYWARDEN')) + 1, exit + 1).join('\n');
  return before.replace(/\[exit:\d+\]/, '').trim();
}

describe('start-up on a slow machine', { timeout: 120_000 }, () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('turns the spinner while the main thread is busy loading modules, and never shows a blank frame before the keys', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], columns: 80, rows: 24, nodeOptions: HOLD_MODULES });
    await terminal.waitFor(SPINNER, 30_000);
    await until(() => existsSync(join(terminal!.home, 'modules-held')), 'the main thread to be held');
    // The main thread is held (it would be evaluating Ink's React): the spinner still turns.
    const glyphs = new Set<string>();
    const deadline = Date.now() + 20_000;
    while (glyphs.size < 3 && Date.now() < deadline) {
      const match = SPINNER.exec(await terminal.screen());
      if (match) glyphs.add(match[1]!);
    }
    expect(glyphs.size).toBeGreaterThanOrEqual(3);

    // Let it load: every frame sampled from here to the key list has something on it.
    writeFileSync(join(terminal.home, 'release-modules'), '');
    const blank: string[] = [];
    let screen = '';
    const end = Date.now() + 60_000;
    while (!KEYS_LOADED(screen) && Date.now() < end) {
      screen = await terminal.screen();
      if (screen.trim() === '') blank.push(screen);
      else expect(screen).toMatch(/^keywarden {2}account/);
    }
    expect(KEYS_LOADED(screen)).toBe(true);
    expect(blank).toEqual([]);
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  });

  it.each([['q', 'q'], ['Ctrl-C', 'C-c']])('%s while modules load ends the program at once (the main thread is busy), exit 0, nothing echoed', async (_name, key) => {
    terminal = await Terminal.start({ args: ['--sandbox'], columns: 80, rows: 24, nodeOptions: HOLD_MODULES, before: 'echo BEFORE-KEYWARDEN' });
    await terminal.waitFor(SPINNER, 30_000);
    await until(() => existsSync(join(terminal!.home, 'modules-held')), 'the main thread to be held');
    await terminal.press(key);
    // The hold is never released: only the splash's worker can end the program.
    expect(await terminal.exitCode(20_000)).toBe(0);
    const after = await terminal.screen();
    expect(after).toContain('BEFORE-KEYWARDEN');
    expect(echoedOnShell(after)).toBe('');
  });

  it('q typed while keywarden is still starting (before its flags are read) is not echoed and ends it, exit 0', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], columns: 80, rows: 24, nodeOptions: HOLD_MEOW, before: 'echo BEFORE-KEYWARDEN' });
    await until(() => existsSync(join(terminal!.home, 'meow-held')), 'the flag parser to be held');
    await terminal.type('q');
    // Either the key ends it at once, or (the keyboard not yet raw) the terminal echoes it.
    await terminal.waitFor(/\[exit:\d+\]|^q/m, 20_000);
    writeFileSync(join(terminal.home, 'release-meow'), '');
    expect(await terminal.exitCode(30_000)).toBe(0);
    const after = await terminal.screen();
    expect(after).toContain('BEFORE-KEYWARDEN');
    expect(echoedOnShell(after)).toBe('');
  });
});
