// Confirmation on a terminal, the same rule for every command: a change shows what it will do,
// then asks for the alias or key id (typed) or a yes (plain); a wrong answer or Ctrl-C changes
// nothing (exit 1), and `sandbox reset` asks the same way. Needs `npm run build` first.

import { afterEach, describe, expect, it } from 'vitest';
import { Terminal, runKeywarden } from './terminal.js';

describe('confirmation in a terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  const state = async (home: string) => JSON.parse((await runKeywarden(['show', 'app/orders-queue', '--json', '--sandbox'], { KEYWARDEN_HOME: home })).stdout).row.metadata.state as string;

  it('key disable: a wrong word and Ctrl-C change nothing; the alias disables; key enable takes a yes', async () => {
    terminal = await Terminal.start({ args: ['key', 'disable', 'app/orders-queue', '--sandbox'] });
    const home = terminal.home;
    await terminal.waitFor(/Type "app\/orders-queue" \(the alias or key id\) to confirm:/, 30_000);
    await terminal.type('orders');
    await terminal.press('Enter');
    expect(await terminal.exitCode(30_000)).toBe(1);
    expect(await terminal.screen()).toMatch(/"orders" is not "app\/orders-queue": nothing was changed/);
    await terminal.close();
    expect(await state(home)).toBe('Enabled');

    terminal = await Terminal.start({ args: ['key', 'disable', 'app/orders-queue', '--sandbox'], env: { KEYWARDEN_HOME: home } });
    await terminal.waitFor(/to confirm:/, 30_000);
    await terminal.press('C-c');
    expect(await terminal.exitCode(30_000)).toBe(1);
    expect(await terminal.screen()).toMatch(/cancelled \(Ctrl-C\): nothing was recorded or changed/);
    await terminal.close();
    expect(await state(home)).toBe('Enabled');

    terminal = await Terminal.start({ args: ['key', 'disable', 'app/orders-queue', '--sandbox'], env: { KEYWARDEN_HOME: home } });
    await terminal.waitFor(/to confirm:/, 30_000);
    await terminal.type('app/orders-queue');
    await terminal.press('Enter');
    expect(await terminal.exitCode(30_000)).toBe(0);
    await terminal.close();
    expect(await state(home)).toBe('Disabled');

    terminal = await Terminal.start({ args: ['key', 'enable', 'app/orders-queue', '--sandbox'], env: { KEYWARDEN_HOME: home } });
    await terminal.waitFor(/Go ahead\? \[y\/N\]/, 30_000);
    await terminal.type('y');
    await terminal.press('Enter');
    expect(await terminal.exitCode(30_000)).toBe(0);
    await terminal.close();
    expect(await state(home)).toBe('Enabled');
  }, 120_000);

  it('sandbox reset asks for the word "reset" and keeps the state on anything else', async () => {
    terminal = await Terminal.start({ args: ['sandbox', 'reset'] });
    await terminal.waitFor(/Type "reset" to confirm:/, 30_000);
    await terminal.type('yes');
    await terminal.press('Enter');
    expect(await terminal.exitCode(30_000)).toBe(1);
    expect(await terminal.screen()).toMatch(/"yes" is not "reset": nothing was changed/);
  }, 60_000);
});
