// The built program as scripts use it: flags, JSON, exit codes, messages. No terminal here
// (stdin and stdout are pipes), which is itself one of the cases under test.

import { spawn } from 'node:child_process';
import { GetKeyLastUsageCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { CLI, runKeywarden, type CliRun } from './terminal.js';

/** `list` reads every key's last use at once today; the sandbox allows 5 GetKeyLastUsage a second. */
/** Listing tests that are not about last use skip reading it (5 keys a second: GetKeyLastUsage's quota). */
const NO_LAST_USE = ['--no-last-use'];


function home(): string {
  return mkdtempSync(join(tmpdir(), 'kw-cli-home-'));
}

function keywarden(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runKeywarden(args, { KEYWARDEN_HOME: env.KEYWARDEN_HOME ?? home(), ...env });
}

describe('keywarden on the command line', () => {
  it('prints help and version', async () => {
    const help = await keywarden(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--profile', '--region', '--endpoint-url', '--sandbox', '--read-only', '--json', 'sandbox serve', 'sandbox reset']) {
      expect(help.stdout).toContain(flag);
    }
    const version = await keywarden(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses unknown flags and commands with exit code 2', async () => {
    const flag = await keywarden(['--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/bogus/);
    const command = await keywarden(['frobnicate', '--sandbox']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('without a terminal and without --json, says how to use --json', async () => {
    const run = await keywarden(['--sandbox']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs a terminal/);
    expect(run.stderr).toMatch(/list --json/);
  });

  it('without credentials and without --sandbox, names --sandbox and fails', async () => {
    const empty = home();
    const run = await keywarden(['list', '--region', 'us-east-1'], {
      HOME: empty,
      AWS_CONFIG_FILE: join(empty, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(empty, 'no-credentials'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/credentials/i);
    expect(run.stderr).toMatch(/--sandbox/);
  });

  it('rejects a malformed region and a malformed endpoint before any request (exit 2: the command line is wrong)', async () => {
    const region = await keywarden(['list', '--region', 'mars-1', '--sandbox']);
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/"mars-1" is not an AWS region name/);
    const endpoint = await keywarden(['list', '--endpoint-url', 'not a url', '--region', 'us-east-1']);
    expect(endpoint.code).toBe(2);
    expect(endpoint.stderr).toMatch(/is not a URL/);
  });

  it('lists the seeded estate as JSON with stable fields', async () => {
    const run = await keywarden(['list', '--json', '--sandbox']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.account).toBe('111122223333');
    expect(doc.regions).toEqual(['us-east-1']);
    expect(doc.keys.length).toBeGreaterThan(10);
    for (const key of doc.keys) {
      expect(Object.keys(key)).toEqual(expect.arrayContaining(['keyId', 'arn', 'region', 'aliases', 'tags', 'metadata', 'rotation', 'lastUsage', 'problems']));
      expect(key.metadata.keyManager).toBe('CUSTOMER');
    }
    const all = JSON.parse((await keywarden(['list', '--json', '--all', '--sandbox', ...NO_LAST_USE])).stdout);
    expect(all.keys.some((k: { metadata: { keyManager: string } }) => k.metadata.keyManager === 'AWS')).toBe(true);
  });

  it('merges regions in one list', async () => {
    const run = await keywarden(['list', '--json', '--sandbox', '--region', 'us-east-1', '--region', 'eu-west-1', ...NO_LAST_USE]);
    const doc = JSON.parse(run.stdout);
    expect(new Set(doc.keys.map((k: { region: string }) => k.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    const text = await keywarden(['list', '--sandbox', '--region', 'us-east-1', '--region', 'eu-west-1', ...NO_LAST_USE]);
    expect(text.stdout).toMatch(/REGION/);
    expect(text.stdout).toMatch(/eu-west-1/);
  });

  it('shows one key by alias as JSON and as text, and fails clearly on an unknown key', async () => {
    const list = JSON.parse((await keywarden(['list', '--json', '--sandbox', ...NO_LAST_USE])).stdout);
    const withGrants = list.keys.find((k: { aliases: string[] }) => k.aliases.some((a) => a.startsWith('alias/ebs/')));
    const alias = withGrants.aliases[0].replace(/^alias\//, '');
    const run = await keywarden(['show', alias, '--json', '--sandbox']);
    expect(run.code).toBe(0);
    const detail = JSON.parse(run.stdout);
    expect(detail.row.arn).toBe(withGrants.arn);
    expect(typeof detail.policy).toBe('string');
    expect(Array.isArray(detail.grants)).toBe(true);
    const text = await keywarden(['show', withGrants.keyId, '--sandbox']);
    expect(text.stdout).toContain(withGrants.arn);
    expect(text.stdout).toMatch(/Rotation/);
    const missing = await keywarden(['show', 'alias/does-not-exist', '--sandbox']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no key "alias\/does-not-exist"/);
    expect(missing.stdout).toBe('');
  });

  it('refuses a corrupt sandbox state file without resetting it, and `sandbox reset --yes` recovers keeping a copy', async () => {
    const dir = home();
    const state = join(dir, 'sandbox-state.json');
    writeFileSync(state, '{"this is": not json');
    const run = await keywarden(['list', '--sandbox', ...NO_LAST_USE], { KEYWARDEN_HOME: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(state);
    expect(run.stderr).toMatch(/sandbox reset/);
    expect(readFileSync(state, 'utf8')).toBe('{"this is": not json');
    const unconfirmed = await keywarden(['sandbox', 'reset'], { KEYWARDEN_HOME: dir });
    expect(unconfirmed.code).toBe(2);
    expect(readFileSync(state, 'utf8')).toBe('{"this is": not json');
    const reset = await keywarden(['sandbox', 'reset', '--yes'], { KEYWARDEN_HOME: dir });
    expect(reset.code).toBe(0);
    const backups = readdirSync(dir).filter((name) => name.startsWith('sandbox-state.json.bak-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0]!), 'utf8')).toBe('{"this is": not json');
    expect((await keywarden(['list', '--json', '--sandbox', ...NO_LAST_USE], { KEYWARDEN_HOME: dir })).code).toBe(0);
  });
});

describe('--quota-scale (sandbox serve, --sandbox)', () => {
  it('refuses a scale that is not a number above 0, and the flag on sandbox reset, with exit code 2', async () => {
    for (const bad of ['0', '-1', 'abc', '1e3']) {
      const run = await keywarden(['sandbox', 'serve', '--quota-scale', bad]);
      expect(run.code, bad).toBe(2);
      expect(run.stderr).toMatch(/--quota-scale must be a number above 0/);
    }
    const notSandbox = await keywarden(['list', '--json', '--quota-scale', '2', '--region', 'us-east-1']);
    expect(notSandbox.code).toBe(2);
    expect(notSandbox.stderr).toMatch(/--quota-scale only goes with --sandbox or "sandbox serve"/);
    const reset = await keywarden(['sandbox', 'reset', '--quota-scale', '2', '--yes']);
    expect(reset.code).toBe(2);
    expect(reset.stderr).toMatch(/--quota-scale only goes with --sandbox or "sandbox serve"/);
  });

  it('serves AWS\'s quotas times the scale: a starved account gets one GetKeyLastUsage, then ThrottlingException', async () => {
    const dir = home();
    const child = spawn(process.execPath, [CLI, 'sandbox', 'serve', '--port', '0', '--state', join(dir, 'state.json'), '--quota-scale', '0.01'], {
      env: { PATH: process.env.PATH ?? '', KEYWARDEN_HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match && /request quotas/.test(out)) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`sandbox serve exited with ${code}: ${out}`)));
      });
      expect(out).toMatch(/request quotas: AWS's × 0\.01 \(GetKeyLastUsage 0\.05\/s, LookupEvents 0\.02\/s\)/);
      const kms = new KMSClient({ region: 'us-east-1', endpoint: url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
      try {
        const arn = (await kms.send(new ListKeysCommand({}))).Keys![0]!.KeyArn!;
        await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
        await expect(kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).rejects.toMatchObject({
          name: 'ThrottlingException',
          message: 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
        });
      } finally {
        kms.destroy();
      }
    } finally {
      child.kill('SIGTERM');
    }
  });
});
