// The program in scripts and pipes: a reader that goes away, empty and mistyped flags, exit
// codes, endpoints chosen by the environment or the shared config, and text from files that
// anyone could have edited.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runKeywarden, type CliRun } from './terminal.js';


function home(): string {
  return mkdtempSync(join(tmpdir(), 'kw-script-home-'));
}

/** A host name that never resolves (RFC 6761 .invalid): a request that got past the guard would fail with ENOTFOUND. */
const FAR_ENDPOINT = 'http://keywarden-test.invalid:9';
const FAKE_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAKEYWARDENTEST', AWS_SECRET_ACCESS_KEY: 'keywarden-test-secret-key-not-real-00000' };

function keywarden(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runKeywarden(args, { KEYWARDEN_HOME: env.KEYWARDEN_HOME ?? home(), ...env });
}

/** Runs keywarden with stdout into a reader that closes after the first chunk, as `| head -1` does. */
function keywardenIntoClosedPipe(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; firstChunk: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let firstChunk = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', (chunk: Buffer) => {
      firstChunk = chunk.toString();
      child.stdout.destroy();
    });
    child.on('close', (code) => resolve({ code, stderr, firstChunk }));
  });
}

/** Runs keywarden with stdout into a reader that is gone before the first byte: every write meets EPIPE. */
function keywardenIntoGoneReader(args: string[], dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', KEYWARDEN_HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('keywarden in scripts and pipes', () => {
  it('a reader that closes the pipe early ends the output quietly: no stack trace, exit 0', async () => {
    const dir = home();
    // The seeded estate with AWS managed keys is many lines: the reader is gone long before the end.
    for (let i = 0; i < 3; i += 1) {
      const run = await keywardenIntoClosedPipe(['list', '--sandbox', '--all', '--no-last-use'], { KEYWARDEN_HOME: dir });
      expect(run.firstChunk).toMatch(/ALIAS/);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    const json = await keywardenIntoClosedPipe(['show', 'alias/ebs/prod-data', '--json', '--sandbox'], { KEYWARDEN_HOME: dir });
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
  });

  it('a change whose output goes to a reader already gone still stands, is journalled, and exits 0 without a stack trace', async () => {
    const dir = home();
    // The reader is gone before the first byte: every write of the change's report meets EPIPE.
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'rotation', 'enable', 'alias/dev/secrets', '--period', '180', '--sandbox', '--yes'], {
        env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', KEYWARDEN_HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(run.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(run.code).toBe(0);
    const shown = await keywarden(['show', 'alias/dev/secrets', '--sandbox', '--json'], { KEYWARDEN_HOME: dir });
    expect(JSON.parse(shown.stdout).row.rotation).toMatchObject({ kind: 'enabled', periodDays: 180 });
    const journal = await keywarden(['journal', '--key', 'alias/dev/secrets', '--sandbox', '--json'], { KEYWARDEN_HOME: dir });
    const entries = JSON.parse(journal.stdout).entries as Array<{ action: string; phase: string }>;
    expect(entries.filter((e) => e.action === 'EnableKeyRotation').map((e) => e.phase)).toEqual(['intent', 'result']);
  });

  it('usage and retire advance into a reader already gone: the step stands and is journalled, exit 0, no stack trace', async () => {
    const dir = home();
    const usage = await keywardenIntoGoneReader(['usage', 'alias/app/orders-queue', '--sandbox', '--days', '7'], dir);
    expect(usage.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(usage.code).toBe(0);
    expect((await keywarden(['retire', 'start', 'alias/dev/secrets', '--sandbox', '--yes'], { KEYWARDEN_HOME: dir })).code).toBe(0);
    // Arming the alarm while every write of its report meets EPIPE.
    const advance = await keywardenIntoGoneReader(['retire', 'advance', 'alias/dev/secrets', '--sandbox', '--yes'], dir);
    expect(advance.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(advance.code).toBe(0);
    const status = JSON.parse((await keywarden(['retire', 'status', 'alias/dev/secrets', '--sandbox', '--json'], { KEYWARDEN_HOME: dir })).stdout) as { record: { stage: string }; alarm: { exists: boolean } };
    expect(status.record.stage).toBe('watching');
    expect(status.alarm.exists).toBe(true);
    const journal = JSON.parse((await keywarden(['journal', '--key', 'alias/dev/secrets', '--sandbox', '--json'], { KEYWARDEN_HOME: dir })).stdout) as { entries: Array<{ action: string; phase: string }> };
    expect(journal.entries.filter((e) => e.action === 'PutMetricAlarm').map((e) => e.phase)).toEqual(['intent', 'result']);
  });

  it('list takes its thresholds from config.json and refuses a broken one, as the other commands do', async () => {
    const longRotations = (stdout: string) =>
      (JSON.parse(stdout).keys as Array<{ findings: Array<{ id: string }> }>).flatMap((k) => k.findings).filter((f) => f.id === 'rotation-period-long').length;
    const dir = home();
    const defaults = await keywarden(['list', '--sandbox', '--no-last-use', '--json'], { KEYWARDEN_HOME: dir });
    expect(defaults.code).toBe(0);
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({ thresholds: { maxRotationDays: 90 } }));
    const stricter = await keywarden(['list', '--sandbox', '--no-last-use', '--json'], { KEYWARDEN_HOME: dir });
    expect(stricter.code).toBe(0);
    // Rotation every 180 or 365 days is too long against 90: more keys are flagged than with the default 365.
    expect(longRotations(stricter.stdout)).toBeGreaterThan(longRotations(defaults.stdout));
    writeFileSync(join(dir, 'config', 'config.json'), 'not json');
    const broken = await keywarden(['list', '--sandbox', '--no-last-use'], { KEYWARDEN_HOME: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toContain(join(dir, 'config', 'config.json'));
  });

  it('an empty flag value is an error, never the default (exit 2, nothing sent)', async () => {
    for (const args of [
      ['list', '--endpoint-url', ''],
      ['list', '--profile', ''],
      ['list', '--sandbox', '--region', ''],
      ['rotation', 'enable', 'alias/dev/secrets', '--period=', '--sandbox', '--yes'],
    ]) {
      const run = await keywarden(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/needs a value/);
      expect(run.stdout).toBe('');
    }
  });

  it('mistyped commands and flags get a suggestion and exit 2', async () => {
    const command = await keywarden(['lsit', '--sandbox']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command "lsit" — did you mean "list"\?/);
    const flag = await keywarden(['list', '--endpont-url', 'http://127.0.0.1:1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown flag "--endpont-url" — did you mean "--endpoint-url"\?/);
    const sub = await keywarden(['sandbox', 'serv']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/did you mean "serve"\?/);
  });

  it('--help and --version after a command answer as they do alone, and nothing runs', async () => {
    const alone = await keywarden(['--help']);
    expect(alone.code).toBe(0);
    for (const args of [['list', '--help'], ['sandbox', 'serve', '--help'], ['retire', 'start', 'alias/x', '--help'], ['usage', '--sandbox', '--help']]) {
      const run = await keywarden(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout, args.join(' ')).toBe(alone.stdout);
      expect(run.stderr, args.join(' ')).toBe('');
    }
    const version = await keywarden(['list', '--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe((await keywarden(['--version'])).stdout);
    // After `--` it is an argument, not the flag.
    expect((await keywarden(['list', '--', '--help'])).stdout).not.toBe(alone.stdout);
  });

  it('--sandbox with --endpoint-url is a command-line error: exit 2', async () => {
    const run = await keywarden(['list', '--sandbox', '--endpoint-url', 'http://127.0.0.1:1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot be used together/);
  });

  it('the plain-HTTP guard covers every way an endpoint is chosen: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, endpoint_url in the config', async () => {
    const env = { ...FAKE_CREDENTIALS, AWS_REGION: 'us-east-1' };
    const general = await keywarden(['list', '--json'], { ...env, AWS_ENDPOINT_URL: FAR_ENDPOINT });
    expect(general.code).toBe(2);
    expect(general.stderr).toMatch(/AWS_ENDPOINT_URL http:\/\/keywarden-test\.invalid:9 is plain HTTP/);
    expect(general.stderr).not.toMatch(/ENOTFOUND/);

    const perService = await keywarden(['list', '--json'], { ...env, AWS_ENDPOINT_URL_STS: FAR_ENDPOINT });
    expect(perService.code).toBe(2);
    expect(perService.stderr).toMatch(/AWS_ENDPOINT_URL_STS http:\/\/keywarden-test\.invalid:9 is plain HTTP/);

    const dir = home();
    mkdirSync(join(dir, 'aws'));
    writeFileSync(join(dir, 'aws', 'config'), `[default]\nregion = us-east-1\nendpoint_url = ${FAR_ENDPOINT}\n`);
    const config = await keywarden(['list', '--json'], { ...FAKE_CREDENTIALS, AWS_CONFIG_FILE: join(dir, 'aws', 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws', 'none'), HOME: dir });
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/plain HTTP to a host that is not this machine/);
    expect(config.stderr).not.toMatch(/ENOTFOUND/);

    // Accepted when the operator says so: the request then goes out (and fails to resolve).
    const accepted = await keywarden(['list', '--json', '--allow-insecure-endpoint'], { ...env, AWS_ENDPOINT_URL: FAR_ENDPOINT, AWS_MAX_ATTEMPTS: '1' });
    expect(accepted.stderr).not.toMatch(/plain HTTP/);
    expect(accepted.stderr).toMatch(/ENOTFOUND|EAI_AGAIN|cannot reach/);
  });

  it('journal text from a hand-edited journal file cannot write escapes to the terminal', async () => {
    const dir = home();
    const hostile = '\u001b]52;c;ZXZpbA==\u0007\u200b';
    const line = JSON.stringify({
      v: 1,
      id: '0b7c1f2e-3d4a-4b5c-8d6e-7f8091a2b3c4',
      phase: 'intent',
      time: '2026-11-23T10:00:00.000Z',
      action: `DisableKey${hostile}`,
      keyArn: `arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab${hostile}`,
      region: `us-east-1${hostile}`,
      account: '111122223333',
      caller: `arn:aws:sts::111122223333:assumed-role/Operator/alice${hostile}`,
      params: { KeyId: 'x' },
    });
    writeFileSync(join(dir, 'journal.jsonl'), `${line}\n{"torn": "\u001b]52;c;eA==\u0007`);
    const run = await keywarden(['journal'], { KEYWARDEN_HOME: dir });
    expect(run.stdout).toMatch(/DisableKey/);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout + run.stderr).not.toMatch(/[\u0007\u001b\u009b\u200b]/);
  });

  it('KEYWARDEN_HOME pointing at a file is named in a sentence (exit 2), not as a raw EEXIST/ENOTDIR', async () => {
    const file = join(home(), 'not-a-directory');
    writeFileSync(file, 'x');
    const run = await keywarden(['key', 'disable', 'alias/dev/secrets', '--sandbox', '--yes'], { KEYWARDEN_HOME: file });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/KEYWARDEN_HOME is .*not-a-directory, which is a file: point it at a directory/);
    expect(run.stderr).not.toMatch(/EEXIST|ENOTDIR/);
  });

  it('journal --key takes an alias as every KEY argument does (looked up through the connection)', async () => {
    const dir = home();
    const disabled = await keywarden(['key', 'disable', 'alias/dev/secrets', '--sandbox', '--yes', '--json'], { KEYWARDEN_HOME: dir });
    expect(disabled.code).toBe(0);
    const byAlias = await keywarden(['journal', '--key', 'alias/dev/secrets', '--sandbox', '--json'], { KEYWARDEN_HOME: dir });
    expect(byAlias.code).toBe(0);
    const entries = JSON.parse(byAlias.stdout).entries as Array<{ action: string; keyArn: string }>;
    expect(entries.map((e) => e.action)).toEqual(['DisableKey', 'DisableKey']);
    const other = await keywarden(['journal', '--key', 'alias/ebs/prod-data', '--sandbox', '--json'], { KEYWARDEN_HOME: dir });
    expect(JSON.parse(other.stdout).entries).toEqual([]);
    const offline = await keywarden(['journal', '--key', 'alias/dev/secrets'], { KEYWARDEN_HOME: dir, HOME: dir, AWS_CONFIG_FILE: join(dir, 'none') });
    expect(offline.code).toBe(2);
    expect(offline.stderr).toMatch(/to find the key behind "alias\/dev\/secrets", keywarden asks AWS: .*or give the key id or key ARN/);
  });
});
