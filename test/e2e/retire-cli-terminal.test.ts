// `keywarden retire` on a real terminal (tmux): the preflight evidence comes before the typed
// confirmation, Ctrl-C at that prompt writes nothing, and `retire rollback` asks before EnableKey
// as `key enable` does. The sandbox's state and keywarden's records are checked afterwards.

import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { openEndpoint, servesRetirement, type TestEndpoint } from '../helpers/endpoint.js';
import { Terminal } from './terminal.js';

let endpoint: TestEndpoint;
beforeAll(async () => {
  endpoint = await openEndpoint();
});
afterAll(async () => {
  await endpoint.close();
});

async function newKey(alias: string) {
  const kms = endpoint.clients().kms('us-east-1');
  const created = await kms.send(new CreateKeyCommand({ Description: 'keywarden CLI retirement on a terminal' }));
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: created.KeyMetadata!.KeyId! }));
  await kms.send(new EncryptCommand({ KeyId: created.KeyMetadata!.Arn!, Plaintext: new TextEncoder().encode('x') }));
  return { kms, arn: created.KeyMetadata!.Arn! };
}

const env = () => ({
  AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
});

describe.skipIf(!servesRetirement())('retire on a terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('shows the preflight evidence before asking for the alias; Ctrl-C at the prompt records and changes nothing', async () => {
    const alias = `kw-cli-ctrlc-${process.pid}`;
    const { kms, arn } = await newKey(alias);
    terminal = await Terminal.start({ args: ['retire', 'start', alias, '--acknowledge', 'used-recently', '--endpoint-url', endpoint.url], env: env(), rows: 40, columns: 140 });
    const prompt = await terminal.waitFor(`Type "${alias}"`, 30_000);
    // The evidence is on screen above the question. GetKeyLastUsage reports a use an hour after
    // it happened (the sandbox lags as AWS may), so the key just used reads "never" there, and
    // CloudTrail shows the use.
    expect(prompt).toMatch(/last use:\s+never/);
    expect(prompt).toMatch(/CloudTrail:\s+[1-9]\d* events in 30 days/);
    expect(prompt).toMatch(/finding:\s+\[blocking\] used-recently/);
    expect(prompt.indexOf('Preflight of')).toBeLessThan(prompt.indexOf(`Type "${alias}"`));
    await terminal.press('C-c');
    const code = await terminal.exitCode(20_000);
    expect(code).not.toBe(0);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Enabled');
    const dir = join(terminal.home, 'retirements');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('retire rollback asks before EnableKey on a terminal; "n" leaves the key Disabled', async () => {
    const alias = `kw-cli-rollback-${process.pid}`;
    const { kms, arn } = await newKey(alias);
    terminal = await Terminal.start({ args: ['retire', 'start', alias, '--acknowledge', 'used-recently', '--yes', '--endpoint-url', endpoint.url], env: env(), rows: 40, columns: 140 });
    expect(await terminal.exitCode(30_000)).toBe(0);
    const home = terminal.home;
    await terminal.close();
    terminal = await Terminal.start({ args: ['retire', 'rollback', alias, '--endpoint-url', endpoint.url], env: { ...env(), KEYWARDEN_HOME: home }, rows: 40, columns: 140 });
    const asked = await terminal.waitFor('Go ahead? [y/N]', 30_000);
    expect(asked).toMatch(/API calls: EnableKey/);
    await terminal.type('n');
    await terminal.press('Enter');
    expect(await terminal.exitCode(20_000)).not.toBe(0);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Disabled');
  });
});
