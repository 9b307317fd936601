// Bad input, each: a clear message, a non-zero exit code, and zero mutating requests (asserted
// through the sandbox request log). Complements test/e2e/cli.test.ts and changes.test.ts.

import { CreateGrantCommand } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { readInventoryCache, inventoryCacheFile } from '../../src/app/inventory-cache.js';
import { retirementPath } from '../../src/journal/retirements.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { CLI, Terminal } from '../e2e/terminal.js';
import { newKey, RestartableSandbox, tempDir } from './helpers.js';

let s: RestartableSandbox;
let home: string;
beforeAll(async () => {
  s = await RestartableSandbox.start();
  home = tempDir('kw-bad-input-home-');
});
afterAll(async () => {
  await s.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function keywarden(args: string[], env: Record<string, string> = {}, options: { endpoint?: boolean } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args, ...(options.endpoint === false ? [] : ['--endpoint-url', s.sandbox.url])],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: join(home, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
          KEYWARDEN_HOME: home,
          ...env,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** Runs each case and checks: non-zero exit, the message on stderr, and nothing mutating reached the sandbox. */
async function refuses(args: string[], message: RegExp, env: Record<string, string> = {}, options: { endpoint?: boolean } = {}): Promise<Run> {
  s.sandbox.clearRequests();
  const run = await keywarden(args, env, options);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).not.toBe(0);
  expect(run.stderr, args.join(' ')).toMatch(message);
  expect(s.mutations(), args.join(' ')).toEqual([]);
  return run;
}

describe('bad input is refused clearly, with nothing changed', () => {
  it('an unknown profile is named as unknown (not as "no credentials")', async () => {
    const run = await refuses(['list', '--profile', 'nope'], /unknown AWS profile "nope": it is not in .*no-aws-config.*no profiles are defined there/);
    expect(run.code).toBe(2); // the command line named a profile that does not exist
    writeFileSync(join(home, 'aws-config'), '[default]\nregion = us-east-1\n[profile prod]\nregion = eu-west-1\n');
    await refuses(['list', '--profile', 'staging'], /unknown AWS profile "staging".*profiles there: default, prod/, { AWS_CONFIG_FILE: join(home, 'aws-config') });
  });

  it('unknown or malformed regions, malformed endpoint URLs, plain HTTP to another host', async () => {
    for (const region of ['mars-1', 'US-EAST-1', 'us-east-1; rm -rf']) {
      await refuses(['key', 'disable', 'alias/x', '--yes', '--region', region], /is not an AWS region name/);
    }
    for (const endpoint of ['not a url', 'ftp://127.0.0.1:1', 'http://', 'file:///etc/passwd']) {
      await refuses(['key', 'disable', 'alias/x', '--yes', '--endpoint-url', endpoint], /--endpoint-url .*(is not a URL|must be http)/, {}, { endpoint: false });
    }
    await refuses(['list', '--endpoint-url', 'http://kms.example.com:4566'], /plain HTTP to a host that is not this machine.*--allow-insecure-endpoint/, {}, { endpoint: false });
  });

  it('an unknown key id, alias or ARN', async () => {
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000';
    for (const ref of ['alias/nope-nope', '00000000-0000-0000-0000-000000000000', arn, 'not a key at all']) {
      await refuses(['key', 'disable', ref, '--yes'], /no key|not found|not a valid/i);
    }
    await refuses(['retire', 'start', arn, '--yes'], /no key|not found|not a valid/i);
  });

  it('rotation periods 0, 89, 2561 and abc; deletion windows 6, 31 and x; bad watch days', async () => {
    const k = await newKey(s);
    for (const period of ['0', '89', '2561', 'abc']) {
      const run = await refuses(['rotation', 'enable', k.name, '--period', period, '--yes'], /rotation period/);
      expect(run.code).toBe(2);
    }
    for (const days of ['6', '31', 'x']) {
      const run = await refuses(['retire', 'advance', k.name, '--deletion-days', days, '--yes'], /deletion|waiting period|7.*30/i);
      expect(run.code).toBe(2);
    }
    for (const days of ['0', '-1', 'two']) {
      await refuses(['retire', 'start', k.name, '--watch-days', days, '--yes'], /watch|observation|window/i);
    }
    expect(s.sandbox.requests()).toEqual([]); // refused before connecting: not even a read
  });

  it('an unknown grant id and an unknown finding to acknowledge', async () => {
    const k = await newKey(s);
    await s.clients().kms('us-east-1').send(new CreateGrantCommand({ KeyId: k.arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/x', Operations: ['Decrypt'] }));
    await refuses(['grants', 'revoke', k.name, 'deadbeef', '--yes'], /no grant with id deadbeef/);
    await refuses(['grants', 'retire', k.name, '0'.repeat(64), '--yes'], /no grant with id/);
    await refuses(['retire', 'start', k.name, '--yes', '--acknowledge', 'no-such-finding'], /"no-such-finding" is not a finding of this key/);
  });

  it('a change without a terminal and without --yes; the interactive view without a terminal and without --json', async () => {
    const k = await newKey(s);
    await refuses(['key', 'disable', k.name], /--yes/);
    await refuses(['retire', 'start', k.name, '--acknowledge', 'used-recently'], /needs confirmation.*--yes.*Nothing was changed/);
    const tui = await refuses([], /needs a terminal[\s\S]*list --json/);
    expect(tui.code).toBe(2);
    expect(s.sandbox.requests()).toEqual([]);
  });

  it('a corrupt retirement record is reported with its path, left as it is, and nothing is sent', async () => {
    const k = await newKey(s);
    const dir = join(home, 'retirements');
    mkdirSync(dir, { recursive: true });
    const file = retirementPath(k.arn, dir);
    writeFileSync(file, '{"v":1,"keyArn":');
    for (const args of [['retire', 'status', k.name], ['retire', 'advance', k.name, '--yes'], ['retire', 'start', k.name, '--yes', '--acknowledge', 'used-recently']]) {
      await refuses(args, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be used .*not valid JSON.*move it aside`));
    }
    expect(readFileSync(file, 'utf8')).toBe('{"v":1,"keyArn":'); // left as it is: it may be the only evidence
    const list = await keywarden(['retirements']);
    expect(list.stderr).toContain(`cannot read ${file}`);
  });

  it('a corrupt config file is an error naming the file; a corrupt inventory cache is ignored with a notice', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), '{"thresholds": {"unusedDays": "ninety"}}');
    await expect(loadConfig(join(dir, 'config.json'))).rejects.toThrow(new RegExp(`${join(dir, 'config.json')}.*unusedDays`));
    writeFileSync(join(dir, 'config.json'), 'not json');
    await expect(loadConfig(join(dir, 'config.json'))).rejects.toThrow(/config\.json/);
    const previous = process.env.KEYWARDEN_HOME;
    process.env.KEYWARDEN_HOME = dir;
    try {
      const scope = { account: '111122223333', endpoint: 'sandbox', region: 'us-east-1' };
      const file = inventoryCacheFile(scope);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '{"version": 1, "rows": [');
      const read = await readInventoryCache(scope);
      expect(read).toMatchObject({ ok: false, notice: expect.stringContaining(file) });
    } finally {
      if (previous === undefined) delete process.env.KEYWARDEN_HOME;
      else process.env.KEYWARDEN_HOME = previous;
    }
  });
});

describe('a wrong typed confirmation in a real terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
  });

  it('typing something other than the alias or key id changes nothing', async () => {
    const k = await newKey(s);
    s.sandbox.clearRequests();
    terminal = await Terminal.start({
      args: ['key', 'disable', k.name, '--endpoint-url', s.sandbox.url],
      env: { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', KEYWARDEN_HOME: tempDir() },
    });
    await terminal.waitFor(/[Tt]ype/);
    await terminal.type('the-wrong-key');
    await terminal.press('Enter');
    expect(await terminal.exitCode()).not.toBe(0);
    expect(await terminal.screen()).toMatch(/nothing was changed|not "/i);
    expect(s.mutations()).toEqual([]);
  });
});
