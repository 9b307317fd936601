// Time travel end to end: a 14-day watch walked to "deletion scheduled" and back through the CLI
// against a `keywarden sandbox serve` running in a terminal, with `keywarden sandbox clock +15d`
// in between; and `:clock +15d` in the TUI on --sandbox. Needs `npm run build` first.

import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../src/aws/clients.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { presencePath } from '../../src/sandbox/presence.js';
import { Terminal, runKeywarden, type CliRun } from './terminal.js';

const DAY_MS = 86_400_000;

function keywarden(args: string[], home: string): Promise<CliRun> {
  return runKeywarden(
    args,
    { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', KEYWARDEN_HOME: home },
    120_000,
  );
}

const day = (date: Date) => date.toISOString().slice(0, 10);

describe('time travel in the sandbox', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('walks a retirement to "deletion scheduled" and back through the CLI against sandbox serve, with sandbox clock +15d between', async () => {
    const serverHome = mkdtempSync(join(tmpdir(), 'kw-travel-serve-'));
    const state = join(serverHome, 'sandbox-state.json');
    terminal = await Terminal.start({ args: ['sandbox', 'serve', '--state', state], env: { KEYWARDEN_HOME: serverHome } });
    const url = /listening on (http:\/\/[0-9.:]+)/.exec(await terminal.waitFor(/listening on http:\/\/[0-9.:]+/))![1]!;
    const home = mkdtempSync(join(tmpdir(), 'kw-travel-cli-'));
    const cli = (...args: string[]) => keywarden([...args, '--endpoint-url', url], home);

    const clients = createClients({ regions: ['us-east-1'], endpoint: url, credentials: SANDBOX_CREDENTIALS });
    const kms = clients.kms('us-east-1');
    try {
      const created = await kms.send(new CreateKeyCommand({ Description: 'retired across a clock jump' }));
      const alias = `kw-travel-${process.pid}`;
      await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: created.KeyMetadata!.KeyId! }));
      const arn = created.KeyMetadata!.Arn!;
      const keyState = async () => (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;

      const first = JSON.parse((await cli('retire', 'start', alias, '--yes', '--json')).stdout);
      const blocking = (first.findings as Array<{ id: string; severity: string }>).filter((f) => f.severity === 'blocking').map((f) => f.id);
      const start = await cli('retire', 'start', alias, '--yes', '--json', ...(blocking.length ? ['--acknowledge', blocking.join(',')] : []));
      expect(start.code, start.stderr).toBe(0);
      expect(JSON.parse(start.stdout).record.stage).toBe('disabled');
      const armed = await cli('retire', 'advance', alias, '--yes', '--json');
      expect(armed.code, armed.stderr).toBe(0);
      expect(JSON.parse(armed.stdout).record.stage).toBe('watching');

      // Day 0 of 14: nothing to do yet.
      const early = await cli('retire', 'advance', alias, '--yes');
      expect(early.code).toBe(1);
      expect(early.stdout).toMatch(/nothing to do now/);
      expect((await cli('retire', 'status', alias)).stdout).toMatch(/watched:\s+0 days \(14 required\)/);

      // The sandbox running in the terminal is reached through its presence record.
      const moved = await keywarden(['sandbox', 'clock', '+15d', '--state', state], home);
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.stdout).toContain(`the running sandbox at ${url}`);

      // keywarden counts the watch in the sandbox's time, not this machine's.
      const status = await cli('retire', 'status', alias, '--json');
      const watched = JSON.parse(status.stdout);
      expect(new Date(watched.now).getTime() - Date.now()).toBeGreaterThan(15 * DAY_MS - 120_000);
      expect((await cli('retire', 'status', alias)).stdout).toMatch(/watched:\s+15 days \(14 required\)/);

      const scheduled = await cli('retire', 'advance', alias, '--yes', '--json');
      expect(scheduled.code, scheduled.stderr).toBe(0);
      const record = JSON.parse(scheduled.stdout).record;
      expect(record.stage).toBe('deletion-scheduled');
      const pending = await keyState();
      expect(pending.KeyState).toBe('PendingDeletion');
      // 30 days from the sandbox's now (15 days ahead): 45 days from this machine's.
      expect(day(pending.DeletionDate!)).toBe(day(new Date(Date.now() + 45 * DAY_MS)));

      // And back: cancel the deletion (Disabled), then enable the key keywarden disabled.
      const cancel = await cli('retire', 'rollback', alias, '--yes');
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toMatch(/deletion cancelled/);
      expect((await keyState()).KeyState).toBe('Disabled');
      const enable = await cli('retire', 'rollback', alias, '--yes');
      expect(enable.code, enable.stderr).toBe(0);
      expect(enable.stdout).toMatch(/enabled again/);
      expect((await keyState()).KeyState).toBe('Enabled');
    } finally {
      clients.destroy();
    }

    // The server stops on SIGINT (as Ctrl-C sends it) and takes its presence record with it.
    process.kill(await terminal.programPid(), 'SIGINT');
    expect(await terminal.exitCode()).toBe(0);
    expect(existsSync(presencePath(state))).toBe(false);
  }, 240_000);

  it(':clock +15d in the TUI on --sandbox moves the sandbox and shows its date', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], columns: 140, rows: 30 });
    const before = await terminal.waitFor((s) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys'));
    expect(before).toContain('legacy/old-batch');
    await terminal.type(':clock');
    await terminal.press('Enter');
    const same = await terminal.waitFor(/sandbox time \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(same).toContain("the same as this machine's");
    expect(same).not.toContain('SANDBOX TIME');

    await terminal.type(':clock -3d');
    await terminal.press('Enter');
    await terminal.waitFor(/only moves forward/);

    const ahead = day(new Date(Date.now() + 15 * DAY_MS));
    await terminal.type(':clock +15d');
    await terminal.press('Enter');
    const after = await terminal.waitFor((s) => s.includes(`SANDBOX TIME ${ahead}`) && s.includes('sandbox time moved forward 15 days'), 60_000);
    expect(after).toContain(`now ${ahead}`);
    // The keys view is read again at the new time: legacy/old-batch's 10-day deletion window ended, the key is gone.
    await terminal.waitFor((s) => s.includes('app/orders-queue') && !s.includes('legacy/old-batch') && !s.includes('loading keys'), 60_000);

    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
    const saved = JSON.parse(readFileSync(join(terminal.home, 'sandbox-state.json'), 'utf8')) as { clockOffsetSeconds: number };
    expect(saved.clockOffsetSeconds).toBe(15 * 86_400);
    expect(existsSync(presencePath(join(terminal.home, 'sandbox-state.json')))).toBe(false);
  }, 120_000);

  it('on --sandbox: the wizard counts the watch in the sandbox time after :clock +15d, and the CLI schedules the deletion and takes it back', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-travel-tui-'));
    const cli = (...args: string[]) => keywarden([...args, '--sandbox'], home);
    const alias = 'dev/secrets';
    const first = JSON.parse((await cli('retire', 'start', alias, '--yes', '--json')).stdout);
    const blocking = (first.findings as Array<{ id: string; severity: string }>).filter((f) => f.severity === 'blocking').map((f) => f.id);
    const start = await cli('retire', 'start', alias, '--yes', '--json', ...(blocking.length ? ['--acknowledge', blocking.join(',')] : []));
    expect(start.code, start.stderr).toBe(0);
    const armed = await cli('retire', 'advance', alias, '--yes', '--json');
    expect(armed.code, armed.stderr).toBe(0);
    expect(JSON.parse(armed.stdout).record.stage).toBe('watching');

    terminal = await Terminal.start({ args: ['--sandbox'], columns: 140, rows: 30, env: { KEYWARDEN_HOME: home } });
    await terminal.waitFor((s) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys'));
    await terminal.type(':retirements');
    await terminal.press('Enter');
    await terminal.waitFor(/› dev\/secrets .*14 days left/, 30_000);
    await terminal.press('Enter');
    await terminal.waitFor(/watched 0 days \(14 required\)/, 30_000);
    await terminal.type(':clock +15d');
    await terminal.press('Enter');
    const after = await terminal.waitFor((s) => /watched 15 days \(14 required\) — the window has passed/.test(s) && s.includes('SANDBOX TIME'), 60_000);
    expect(after).toMatch(/n ▶ schedule the deletion/);
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);

    const scheduled = await cli('retire', 'advance', alias, '--yes', '--json');
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(JSON.parse(scheduled.stdout).record.stage).toBe('deletion-scheduled');
    const cancel = await cli('retire', 'rollback', alias, '--yes');
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/deletion cancelled/);
    const status = JSON.parse((await cli('retire', 'status', alias, '--json')).stdout);
    expect(status.keyState).toBe('Disabled');
  }, 240_000);
});
