// `keywarden sandbox clock` against a `keywarden sandbox serve` running as its own process, and
// keywarden's clock following the sandbox's over HTTP (real SDK clients, the built program).
// Needs `npm run build` first.

import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, ListKeysCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type Connection } from '../../src/app/connect.js';
import { createClients } from '../../src/aws/clients.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { presencePath } from '../../src/sandbox/presence.js';
import { CLI, runKeywarden, type CliRun } from './terminal.js';

const DAY = 86_400;

function keywarden(args: string[], home: string): Promise<CliRun> {
  return runKeywarden(
    args,
    { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', KEYWARDEN_HOME: home },
    120_000,
  );
}

/** `keywarden sandbox serve --state FILE` as a child process; resolves once it listens. */
function serve(state: string, home: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sandbox', 'serve', '--state', state], { env: { PATH: process.env.PATH ?? '', KEYWARDEN_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`sandbox serve exited (${code}): ${out}`)));
  });
}

function stopped(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

async function offsetAt(url: string): Promise<number> {
  const answer = (await (await fetch(`${url}/_sandbox/clock`)).json()) as { offsetSeconds: number };
  return answer.offsetSeconds;
}

function stateOffset(state: string): number {
  return (JSON.parse(readFileSync(state, 'utf8')) as { clockOffsetSeconds?: number }).clockOffsetSeconds ?? 0;
}

describe('sandbox clock against a running sandbox serve', () => {
  const children: ChildProcess[] = [];
  const connections: Connection[] = [];
  beforeEach(() => {
    // keywarden's own connection (connect) takes the sandbox's credentials from the environment.
    vi.stubEnv('AWS_ACCESS_KEY_ID', SANDBOX_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', SANDBOX_CREDENTIALS.secretAccessKey);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const connection of connections.splice(0)) await connection.close();
    for (const child of children.splice(0)) await stopped(child);
  });

  it('moves the running server by its presence record and by --endpoint-url; keywarden follows; bad amounts change nothing', { timeout: 120_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-clock-'));
    const state = join(home, 'served-state.json');
    const { child, url } = await serve(state, home);
    children.push(child);
    const presence = JSON.parse(readFileSync(presencePath(state), 'utf8')) as { pid: number; url: string };
    expect(presence).toMatchObject({ pid: child.pid, url });

    // keywarden connected to the server before the clock moves.
    const connection = await connect({ regions: ['us-east-1'], sandbox: false, readOnly: false, endpointUrl: url });
    connections.push(connection);
    expect(Math.abs(connection.now().getTime() - Date.now())).toBeLessThan(60_000);
    expect(connection.sandboxClock).toBeDefined();

    const shown = await keywarden(['sandbox', 'clock', '--state', state], home);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`the running sandbox at ${url}, pid ${child.pid}`);
    expect(shown.stdout).toContain("the same as this machine's");

    const moved = await keywarden(['sandbox', 'clock', '+15d', '--state', state], home);
    expect(moved.stderr).toBe('');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/moved the sandbox's time forward 15 days \(the running sandbox at/);
    expect(moved.stdout).toContain("15 days ahead of this machine's");
    expect(await offsetAt(url)).toBe(15 * DAY);

    // keywarden's clock: the next answer from the sandbox carries its time.
    await connection.clients.kms('us-east-1').send(new ListKeysCommand({ Limit: 1 }));
    const ahead = connection.now().getTime() - Date.now();
    expect(ahead).toBeGreaterThan(15 * DAY * 1000 - 60_000);
    expect(ahead).toBeLessThan(15 * DAY * 1000 + 60_000);
    expect(connection.clients.now().getTime() - connection.now().getTime()).toBeLessThan(1_000);

    const byUrl = await keywarden(['sandbox', 'clock', '+36h', '--endpoint-url', url, '--json'], home);
    expect(byUrl.code).toBe(0);
    expect(JSON.parse(byUrl.stdout)).toMatchObject({ movedSeconds: 36 * 3600, via: `the sandbox at ${url}` });
    expect(await offsetAt(url)).toBe(15 * DAY + 36 * 3600);

    // A fresh connection reads the sandbox's time before any AWS call.
    const fresh = await connect({ regions: ['us-east-1'], sandbox: false, readOnly: false, endpointUrl: url });
    connections.push(fresh);
    expect(fresh.now().getTime() - Date.now()).toBeGreaterThan((15 * DAY + 36 * 3600) * 1000 - 60_000);

    // Records and the audit journal are stamped in the same (sandbox) time, so a retirement started
    // after the jump knows keywarden's own DisableKey as keywarden's.
    const kms = connection.clients.kms('us-east-1');
    const created = await kms.send(new CreateKeyCommand({ Description: 'retired after the clock moved' }));
    const alias = `kw-after-jump-${process.pid}`;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: created.KeyMetadata!.KeyId! }));
    const retire = (...args: string[]) => keywarden(['retire', ...args, '--endpoint-url', url], home);
    const preflight = JSON.parse((await retire('start', alias, '--yes', '--json')).stdout);
    const blocking = (preflight.findings as Array<{ id: string; severity: string }>).filter((f) => f.severity === 'blocking').map((f) => f.id);
    const started = await retire('start', alias, '--yes', '--json', ...(blocking.length ? ['--acknowledge', blocking.join(',')] : []));
    expect(started.code, started.stderr).toBe(0);
    const record = JSON.parse(started.stdout).record;
    expect(record).toMatchObject({ stage: 'disabled', disabledByKeywarden: true });
    expect(new Date(record.startedAt).getTime() - Date.now()).toBeGreaterThan(15 * DAY * 1000);
    const journal = JSON.parse((await keywarden(['journal', '--json'], home)).stdout) as { entries: Array<{ action: string; time: string }> };
    const disable = journal.entries.find((entry) => entry.action === 'DisableKey');
    expect(new Date(disable!.time).getTime()).toBeGreaterThanOrEqual(new Date(record.startedAt).getTime());

    // Time only moves forward; bad amounts are usage errors and change nothing.
    for (const bad of [['-15d'], ['--', '-1h'], [''], ['+1.5d'], ['+0d'], ['15'], ['+15y'], ['+1d', '+2d']]) {
      const run = await keywarden(['sandbox', 'clock', ...bad, '--state', state], home);
      expect(run.code, bad.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/sandbox clock|unexpected argument/);
    }
    expect((await keywarden(['sandbox', 'clock', '+1d', '--state', state, '--endpoint-url', url], home)).code).toBe(2);
    expect(await offsetAt(url)).toBe(15 * DAY + 36 * 3600);

    // While the server runs its state file is its own: not edited by `sandbox clock`, not reset.
    expect((await keywarden(['sandbox', 'reset', '--yes', '--state', state], home)).code).toBe(1);

    await stopped(child);
    expect(existsSync(presencePath(state))).toBe(false);
    expect(stateOffset(state)).toBe(15 * DAY + 36 * 3600);
  });

  it('with no server running, moves the state file and runs what falls due; a record left by a killed server is stale', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-clock-'));
    const state = join(home, 'served-state.json');
    const first = await serve(state, home);
    children.push(first.child);
    const kms = createClients({ regions: ['us-east-1'], endpoint: first.url, credentials: SANDBOX_CREDENTIALS }).kms('us-east-1');
    const key = await kms.send(new CreateKeyCommand({ Description: 'deleted when its window ends' }));
    const keyId = key.KeyMetadata!.KeyId!;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    kms.destroy();

    // Killed without a chance to clean up: the record stays, its process is gone.
    await stopped(first.child, 'SIGKILL');
    expect(existsSync(presencePath(state))).toBe(true);

    const early = await keywarden(['sandbox', 'clock', '+6d', '--state', state], home);
    expect(early.code).toBe(0);
    expect(early.stdout).toContain(`no sandbox was running on it; a record left by process ${first.child.pid}, which is gone, was removed`);
    expect(existsSync(presencePath(state))).toBe(false);
    expect(stateOffset(state)).toBe(6 * DAY);
    const late = await keywarden(['sandbox', 'clock', '+2d', '--state', state], home);
    expect(late.code).toBe(0);
    expect(stateOffset(state)).toBe(8 * DAY);
    expect((await keywarden(['sandbox', 'clock', '--state', state, '--json'], home)).stdout).toMatch(/"offsetSeconds": 69120\d/);

    // The deletion fell due while the time moved: the key is gone when the server comes back.
    const second = await serve(state, home);
    children.push(second.child);
    const again = createClients({ regions: ['us-east-1'], endpoint: second.url, credentials: SANDBOX_CREDENTIALS }).kms('us-east-1');
    await expect(again.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
    again.destroy();
  });

  it('refuses to guess when the recorded server is alive but does not answer, and names the file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-clock-'));
    const state = join(home, 'state.json');
    // This test process is alive, and nothing listens at the recorded URL.
    const silent: Server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    writeFileSync(presencePath(state), JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString() }));
    const run = await keywarden(['sandbox', 'clock', '+1d', '--state', state], home);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`recorded as running (pid ${process.pid})`);
    expect(run.stderr).toContain(presencePath(state));
    expect(existsSync(state)).toBe(false);

    // An endpoint that is not a keywarden sandbox: no clock to move, and keywarden keeps this machine's time.
    const notSandbox = await keywarden(['sandbox', 'clock', '+1d', '--endpoint-url', url], home);
    expect(notSandbox.code).toBe(1);
    expect(notSandbox.stderr).toMatch(/no keywarden sandbox answers/);
    const connection = await connect({ regions: ['us-east-1'], sandbox: false, readOnly: false, endpointUrl: url });
    connections.push(connection);
    expect(connection.sandboxClock).toBeUndefined();
    expect(Math.abs(connection.now().getTime() - Date.now())).toBeLessThan(1_000);
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
