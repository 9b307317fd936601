// The whole program in a real terminal: start on the sandbox, browse, filter, open a key,
// switch tabs, quit with exit code 0.

import { afterEach, describe, expect, it } from 'vitest';
import { Terminal } from './terminal.js';

describe('browsing keys in a terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('lists keys, filters, opens a key, switches tabs and quits cleanly', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'] });
    const first = await terminal.waitFor(/\d+ of \d+ keys/);
    expect(first).toContain('SANDBOX');
    expect(first).toContain('111122223333');
    const loaded = await terminal.waitFor((s) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys'));
    expect(loaded).toContain('app/orders-queue');

    await terminal.type('/');
    await terminal.waitFor('/');
    await terminal.type('fargate');
    const filtered = await terminal.waitFor((s) => /1 of \d+ keys/.test(s));
    expect(filtered).toContain('ecs/fargate-ephemeral');
    expect(filtered).not.toContain('app/orders-queue');

    await terminal.press('Enter'); // keep the filter
    await terminal.waitFor('(filter: fargate)');
    await terminal.press('Enter'); // open the key
    const overview = await terminal.waitFor('Key spec');
    expect(overview).toMatch(/Tags/);

    await terminal.type('3');
    const grants = await terminal.waitFor('ECS cluster');
    expect(grants).toContain('fargate');

    await terminal.type('4');
    await terminal.waitFor('"Statement"');

    await terminal.press('Tab'); // on to Usage (CloudTrail)
    await terminal.waitFor('Window');
    await terminal.press('Tab'); // on to Findings
    await terminal.waitFor('policy-service-no-source');
    await terminal.press('Tab'); // wraps around to Overview
    await terminal.waitFor('Key spec');

    await terminal.press('Escape');
    await terminal.waitFor(/1 of \d+ keys/);

    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  });

  it('moves the selection and opens the selected key', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'] });
    await terminal.waitFor((s) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys'));
    // The selected key's name (its line also changes when its last use arrives from the background).
    const selected = (screen: string) => screen.split('\n').find((line) => line.startsWith('›'))?.slice(2).trim().split(/\s+/)[0];
    const before = selected(await terminal.screen());
    await terminal.type('j');
    const after = selected(await terminal.waitFor((s) => selected(s) !== before));
    const alias = after!;
    await terminal.press('Enter');
    const detail = await terminal.waitFor('Overview');
    expect(detail).toContain(alias);
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
  });
});
