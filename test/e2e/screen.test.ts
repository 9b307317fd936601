// How keywarden treats the operator's terminal: it draws on the alternate screen, never clears
// the terminal or its scrollback while drawing, leaves the shell's screen as it was on exit
// (q, or a signal), and keeps the last line free.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Terminal } from './terminal.js';

const KEYS_LOADED = (s: string) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys');

describe('the operator’s terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('draws on the alternate screen without ever clearing the scrollback, and gives the shell screen back on q', async () => {
    const raw = join(mkdtempSync(join(tmpdir(), 'kw-raw-')), 'pane.out');
    terminal = await Terminal.start({ args: ['--sandbox'], before: 'echo BEFORE-KEYWARDEN', rows: 30, rawOutputFile: raw });
    const loaded = await terminal.waitFor(KEYS_LOADED);
    expect(loaded).not.toContain('BEFORE-KEYWARDEN');
    const lines = loaded.split('\n');
    expect(lines[0]).toMatch(/^keywarden {2}account 111122223333/);
    // The bottom line of the terminal stays free (a full-height frame makes Ink clear the terminal on every frame).
    expect(lines[29] ?? '').toBe('');

    // A few frames: selection, filter, back.
    await terminal.type('j');
    await terminal.type('/');
    await terminal.type('dev');
    await terminal.waitFor(/\d+ of \d+ keys {2}\/dev/);
    await terminal.press('Escape');
    await terminal.waitFor(/16 of \d+ keys/);

    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
    const after = await terminal.screen();
    expect(after).toContain('BEFORE-KEYWARDEN');
    expect(after).not.toContain('app/orders-queue');

    const bytes = readFileSync(raw, 'latin1');
    expect(bytes).toContain('\u001b[?1049h');
    expect(bytes).toContain('\u001b[?1049l');
    expect(bytes.indexOf('\u001b[?1049l')).toBeGreaterThan(bytes.lastIndexOf('app/orders-queue'));
    // Ink's first frame is drawn over the splash in place (cursor back to its first line): nothing
    // erases the screen in between, which a terminal ignoring synchronized updates would show blank.
    const splash = bytes.indexOf('loading keys');
    const handOver = bytes.indexOf('\r\u001b[2A', splash);
    expect(handOver).toBeGreaterThan(splash);
    const inkFirstFrame = bytes.indexOf('loading keys', handOver);
    expect(inkFirstFrame).toBeGreaterThan(handOver);
    expect(bytes.slice(splash, inkFirstFrame)).not.toMatch(/\u001b\[[012]?J/);
    expect(bytes).not.toContain('\u001b[3J'); // erase scrollback
    expect(bytes).not.toContain('\u001b[2J'); // erase the whole screen
  });

  it('ends on SIGTERM as on q: the shell screen comes back and the exit code is 143', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], before: 'echo BEFORE-KEYWARDEN' });
    await terminal.waitFor(KEYS_LOADED);
    process.kill(await terminal.programPid(), 'SIGTERM');
    expect(await terminal.exitCode()).toBe(143);
    const after = await terminal.screen();
    expect(after).toContain('BEFORE-KEYWARDEN');
    expect(after).not.toContain('app/orders-queue');
  });

  it('honours q typed while it is still loading: it ends without drawing the keys', async () => {
    const raw = join(mkdtempSync(join(tmpdir(), 'kw-raw-')), 'pane.out');
    terminal = await Terminal.start({ args: ['--sandbox'], before: 'echo BEFORE-KEYWARDEN', rawOutputFile: raw });
    // Typed at once: it waits in the terminal until keywarden reads the keyboard, from its first
    // instant on (it may end before the splash is drawn).
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
    expect(await terminal.screen()).toContain('BEFORE-KEYWARDEN');
    const bytes = readFileSync(raw, 'latin1');
    expect(bytes).not.toContain('app/orders-queue');
    expect(bytes).not.toMatch(/q\S* quit/); // the keys view's footer: the app itself never came up
  });

  it('Ctrl-C while loading ends it as Ctrl-C does once the keys are shown: exit 0, screen given back', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], before: 'echo BEFORE-KEYWARDEN' });
    await terminal.waitFor('loading keys');
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
    expect(await terminal.screen()).toContain('BEFORE-KEYWARDEN');
    terminal = await Terminal.start({ args: ['--sandbox'] });
    await terminal.waitFor(KEYS_LOADED);
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
  });

  it.each([['q', 'q'], ['Ctrl-C', 'C-c']])('%s while loading ends the program at once, exit 0', async (_name, key) => {
    terminal = await Terminal.start({ args: ['--sandbox'] });
    await terminal.waitFor('loading keys');
    const pid = await terminal.programPid();
    const started = performance.now();
    await terminal.press(key);
    // The process itself, not the screen: gone from /proc (or a zombie) once it has exited.
    const running = () => {
      try {
        return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    };
    // Gone without waiting for the load to finish. No time bound is asserted: a loaded machine
    // stretches any bound.
    while (running() && performance.now() - started < 5_000) await new Promise((r) => setTimeout(r, 5));
    expect(running()).toBe(false);
    expect(await terminal.exitCode()).toBe(0);
  });

  it('an error nothing caught: the screen is left first, then the error is printed (secrets masked), exit 1', async () => {
    terminal = await Terminal.start({
      args: ['--sandbox'],
      before: 'echo BEFORE-KEYWARDEN',
      nodeOptions: ['--import', join(import.meta.dirname, 'fixtures/fault-on-signal-file.mjs')],
    });
    await terminal.waitFor(KEYS_LOADED);
    writeFileSync(join(terminal.home, 'fault-now'), '');
    expect(await terminal.exitCode()).toBe(1);
    const after = await terminal.screen();
    expect(after).toContain('BEFORE-KEYWARDEN');
    expect(after).toContain('keywarden stopped on an unexpected error');
    expect(after).toContain('injected fault');
    expect(after).not.toContain('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(after).not.toContain('app/orders-queue');
  });
  // chalk answers "no colour" whenever CI is set (even CI=false), which also drops inverse: the
  // selection and the active tab vanished. Colour stays on a terminal; NO_COLOR keeps inverse.
  it.each([
    ['CI=false', { CI: 'false' } as Record<string, string>, /\u001b\[46m/],
    ['CI=true and NO_COLOR', { CI: 'true', NO_COLOR: '1' }, /\u001b\[7m/],
  ])('keeps the selection visible with %s', async (_name, env, selection) => {
    const raw = join(mkdtempSync(join(tmpdir(), 'kw-raw-')), 'pane.out');
    terminal = await Terminal.start({ args: ['--sandbox'], env, rawOutputFile: raw });
    await terminal.waitFor(KEYS_LOADED);
    await terminal.type('j');
    await new Promise((r) => setTimeout(r, 300));
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
    const bytes = readFileSync(raw, 'latin1');
    expect(bytes).toMatch(selection);
    if (env.NO_COLOR) expect(bytes.slice(bytes.indexOf('app/orders-queue'))).not.toMatch(/\u001b\[(3[0-7]|4[0-7]|9[0-7])m/);
  });
});
