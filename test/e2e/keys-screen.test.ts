// The keys list and the key detail in a real terminal (tmux), at 80 × 24 and 140 × 40: no date or
// key id cut, the deletion date in sight, a key per column to sort by, the filter's field terms and
// its editing keys (Ctrl-W, Ctrl-U), and copying to the clipboard with OSC 52 — tmux with
// `set-clipboard on` takes it into its paste buffer, where the test reads it back.

import { afterEach, describe, expect, it } from 'vitest';
import { runKeywarden, Terminal } from './terminal.js';

const KEYS_LOADED = (s: string) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys');
/** Waits are generous: the suite runs these beside other end-to-end tests on two cores. */
const LONG = 30_000;
const selected = (screen: string) => screen.split('\n').find((line) => line.startsWith('›'))?.slice(2).trim().split(/\s+/)[0];

describe('the keys list in a terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it.each([
    [80, 24],
    [140, 40],
  ])('at %i × %i: nothing cut, the deletion date in sight, sorting by a column key, the filter edited with Ctrl-W and Ctrl-U', async (columns, rows) => {
    terminal = await Terminal.start({ args: ['--sandbox', '--read-only'], columns, rows });
    const loaded = await terminal.waitFor(KEYS_LOADED, LONG);
    const lines = loaded.split('\n');
    for (const line of lines) {
      expect([...line].length).toBeLessThanOrEqual(columns);
      expect(line, line).not.toMatch(/\d{4}-\d\d-?\d?…|[0-9a-f]{8}-[0-9a-f-]{0,26}…/);
    }
    expect(lines.find((l) => l.includes('legacy/old-batch'))).toMatch(/\d{4}-\d\d-\d\d/);
    if (columns === 140) expect(lines[3]).toMatch(/ALIAS ↑\s+KEY ID\s+STATE/);
    const footer = lines.filter((l) => l.trim() !== '').at(-1) ?? '';
    expect(footer).toContain('? help');

    // T sorts by STATE (the arrow moves there), T again reverses.
    await terminal.type('T');
    let screen = await terminal.waitFor('STATE ↑', LONG);
    await terminal.type('T');
    screen = await terminal.waitFor('STATE ↓', LONG);
    expect(screen).toContain('sorted by state ↓');
    await terminal.type('A');
    await terminal.waitFor('ALIAS ↑', LONG);

    // A field filter, a word erased with Ctrl-W, the whole line with Ctrl-U; the selection stays.
    await terminal.type('/');
    await terminal.type('state:pendingdeletion');
    screen = await terminal.waitFor(/1 of \d+ keys/, LONG);
    expect(selected(screen)).toBe('legacy/old-batch');
    await terminal.press('C-w');
    screen = await terminal.waitFor((s) => /(\d+) of \1 keys/.test(s), LONG);
    expect(selected(screen)).toBe('legacy/old-batch');
    // Typing selects the first match; erasing the whole filter keeps that key selected.
    await terminal.type('!state:enabled');
    screen = await terminal.waitFor((s) => /(\d+) of (?!\1)\d+ keys {2}\/!state:enabled/.test(s), LONG);
    const first = selected(screen);
    expect(first).not.toBe('legacy/old-batch');
    await terminal.press('C-u');
    screen = await terminal.waitFor((s) => /(\d+) of \1 keys {2}\//.test(s) && !s.includes('/!'), LONG);
    expect(selected(screen)).toBe(first);
    await terminal.press('Escape');
    // The count line (below the header, which takes three rows at 80 columns: the endpoint whole).
    const countLine = (s: string) => s.split('\n').find((line) => /^\d+ of \d+ keys/.test(line)) ?? '';
    screen = await terminal.waitFor((s) => /(\d+) of \1 keys/.test(countLine(s)) && !/\/|filter:/.test(countLine(s)), LONG);
    expect(selected(screen)).toBe(first);

    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  }, 120_000);

  it('refuses --no-clipboard with a command (exit 2, before any request), and documents it', async () => {
    const run = await runKeywarden(['list', '--no-clipboard', '--sandbox'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--no-clipboard only goes with the interactive view');
    expect(run.stdout).toBe('');
    const help = await runKeywarden(['--help'], {});
    expect(help.stdout).toMatch(/--no-clipboard\s+interactive view: c and y do not copy/);
  });

  it('keeps the columns chosen with v for the next start', async () => {
    terminal = await Terminal.start({ args: ['--sandbox', '--read-only'], columns: 140, rows: 40 });
    const home = terminal.home;
    let screen = await terminal.waitFor(KEYS_LOADED, LONG);
    expect(screen.split('\n')[3]).toContain('KEY ID');
    await terminal.type('v');
    await terminal.waitFor('Columns of the keys list', LONG);
    await terminal.type('j');
    await terminal.type(' ');
    await terminal.waitFor(/\[ \] KEY ID\s+hidden/, LONG);
    await terminal.press('Enter');
    screen = await terminal.waitFor((s) => KEYS_LOADED(s) && !s.split('\n')[3]!.includes('KEY ID'), LONG);
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
    await terminal.close();

    terminal = await Terminal.start({ args: ['--sandbox', '--read-only'], columns: 140, rows: 40, env: { KEYWARDEN_HOME: home } });
    screen = await terminal.waitFor(KEYS_LOADED, LONG);
    expect(screen.split('\n')[3]).toMatch(/ALIAS ↑\s+STATE/);
    expect(screen).not.toContain('KEY ID');
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  }, 120_000);

  it('copies the selected key\'s ARN, and a grant id from the detail, with OSC 52; nothing with --no-clipboard', async () => {
    terminal = await Terminal.start({ args: ['--sandbox', '--read-only'], columns: 140, rows: 40 });
    await terminal.tmux('set-option', '-g', 'set-clipboard', 'on');
    await terminal.waitFor(KEYS_LOADED, LONG);
    await terminal.type('/');
    await terminal.type('alias:ecs/fargate');
    await terminal.waitFor(/1 of \d+ keys/, LONG);
    await terminal.press('Enter');
    await terminal.type('c');
    const copied = await terminal.waitFor('copied the ARN to the clipboard', LONG);
    const arn = /copied the ARN to the clipboard: (arn:aws:kms:\S+)/.exec(copied)![1]!;
    expect(arn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/);
    expect(await terminal.tmux('show-buffer')).toBe(arn);
    // The detail's Grants tab: c copies the grant id under the cursor.
    await terminal.press('Enter');
    await terminal.waitFor('Key spec', LONG);
    await terminal.type('3');
    await terminal.waitFor('ECS cluster', LONG);
    await terminal.type('c');
    const grant = await terminal.waitFor('copied the grant id', LONG);
    const grantId = /copied the grant id to the clipboard: (\S+)/.exec(grant)![1]!;
    expect(grantId).toMatch(/^[0-9a-f]{64}$/);
    expect(await terminal.tmux('show-buffer')).toBe(grantId);
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
    await terminal.close();

    terminal = await Terminal.start({ args: ['--sandbox', '--read-only', '--no-clipboard'], columns: 140, rows: 40 });
    await terminal.tmux('set-option', '-g', 'set-clipboard', 'on');
    await terminal.waitFor(KEYS_LOADED, LONG);
    await terminal.type('c');
    await terminal.waitFor('copying is off (--no-clipboard): the ARN is arn:aws:kms:', LONG);
    await expect(terminal.tmux('show-buffer')).rejects.toThrow();
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  }, 120_000);
});
