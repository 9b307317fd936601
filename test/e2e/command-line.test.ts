// The command line in a real terminal: short forms, Tab completion, history, and :region
// switching the Regions read without restarting. Needs `npm run build` first.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Terminal } from './terminal.js';

const KEYS_LOADED = (s: string) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys');

describe('the command line', () => {
  let terminal: Terminal | undefined;
  let server: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    await server?.close();
    terminal = undefined;
    server = undefined;
  });

  it(':reg + Tab completes to :region; :region eu-west-1 reads that Region without restarting; ↑ brings a command back', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], columns: 140, rows: 30 });
    await terminal.waitFor(KEYS_LOADED, 30_000);
    await terminal.type(':');
    await terminal.type('reg');
    await terminal.press('Tab');
    await terminal.waitFor(':region █');
    await terminal.type('eu-west-1');
    await terminal.press('Enter');
    const switched = await terminal.waitFor((s) => s.split('\n')[0]!.includes('region eu-west-1') && s.includes('global/customer-data'), 30_000);
    // The keys of us-east-1 are gone: the list is eu-west-1's.
    expect(switched).not.toContain('ecs/fargate-ephemeral');

    // Another profile on the sandbox: refused in words, the view stays.
    await terminal.type(':');
    await terminal.type('prof nope');
    await terminal.press('Enter');
    await terminal.waitFor(/:profile: the sandbox has no AWS profiles/);
    expect((await terminal.screen()).split('\n')[0]).toContain('region eu-west-1');

    // History: ↑ twice is the :region command.
    await terminal.type(':');
    await terminal.press('Up');
    await terminal.waitFor(':prof nope█');
    await terminal.press('Up');
    await terminal.waitFor(':region eu-west-1█');
    await terminal.press('Escape');
    // Escape closes the command line (a key typed within the same instant would make it Alt+key).
    await terminal.waitFor((screen) => !screen.includes(':region eu-west-1█'));

    // An ambiguous prefix says what it could be.
    await terminal.type(':');
    await terminal.type('re');
    await terminal.press('Enter');
    await terminal.waitFor('":re" could be :retirements or :region');
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  }, 90_000);
  it(':profile NAME reads through another profile of the shared config without restarting; an unknown one is refused', async () => {
    const serverHome = mkdtempSync(join(tmpdir(), 'kw-profile-serve-'));
    server = await Terminal.start({ args: ['sandbox', 'serve', '--state', join(serverHome, 'state.json')], env: { KEYWARDEN_HOME: serverHome } });
    const url = /listening on (http:\/\/[0-9.:]+)/.exec(await server.waitFor(/listening on http:\/\/[0-9.:]+/))![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'kw-profiles-'));
    // Two callers the sandbox knows: the operator and the read-only auditor.
    writeFileSync(join(dir, 'credentials'), '[operator]\naws_access_key_id = AKIAKEYWARDENSANDBOX\naws_secret_access_key = x\n\n[auditor]\naws_access_key_id = AKIAKEYWARDENAUDITOR\naws_secret_access_key = x\n');
    writeFileSync(join(dir, 'config'), '[profile operator]\nregion = us-east-1\n\n[profile auditor]\nregion = us-east-1\n');
    terminal = await Terminal.start({
      args: ['--profile', 'operator', '--endpoint-url', url],
      columns: 160,
      env: { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') },
    });
    await terminal.waitFor((s) => KEYS_LOADED(s) && s.includes('KeywardenOperator'), 30_000);
    await terminal.type(':');
    await terminal.type('profile nope');
    await terminal.press('Enter');
    await terminal.waitFor(/:profile: unknown AWS profile "nope"/);
    await terminal.type(':');
    await terminal.type('profile auditor');
    await terminal.press('Enter');
    const switched = await terminal.waitFor((s) => KEYS_LOADED(s) && s.includes('KeywardenAuditor/auditor'), 30_000);
    expect(switched).toContain('(profile auditor)');
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  }, 90_000);
});
