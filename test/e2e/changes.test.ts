// Changing keys with the built program: scripted subcommands (exit codes, --yes, --json,
// read-only) and one interactive rotation change in a real terminal. The sandbox runs in this
// test process so the test can see exactly which requests reached it.

import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, DescribeKeyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { openEndpoint, type TestEndpoint, reportsRotationPeriod, servesKms } from '../helpers/endpoint.js';
import { CLI, Terminal } from './terminal.js';

// A third-party endpoint may lack newer KMS features (rotation periods, grants): those tests are skipped there.
const withPeriods = it.skipIf(!(await reportsRotationPeriod()));
const withGrants = it.skipIf(!(await servesKms('CreateGrant', 'ListGrants', 'RetireGrant', 'RevokeGrant')));

const MUTATING = /^(Enable|Disable|Rotate|Retire|Revoke|Create|Schedule|Cancel|Put|Tag|Untag|Delete|Update|Replicate)/;

let endpoint: TestEndpoint;
let home: string;
beforeAll(async () => {
  endpoint = await openEndpoint();
  home = mkdtempSync(join(tmpdir(), 'kw-changes-home-'));
});
afterAll(async () => {
  await endpoint.close();
});

const awsEnv = () => ({
  AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  KEYWARDEN_HOME: home,
});

function keywarden(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args, '--endpoint-url', endpoint.url],
      { env: { PATH: process.env.PATH ?? '', ...awsEnv() }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

let counter = 0;
async function newKey(): Promise<{ arn: string; alias: string; keyId: string }> {
  const kms = endpoint.clients().kms('us-east-1');
  const out = await kms.send(new CreateKeyCommand({ Description: 'keywarden e2e change' }));
  const alias = `kw-e2e-${process.pid}-${++counter}`;
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: out.KeyMetadata!.KeyId! }));
  endpoint.clearRequests();
  return { arn: out.KeyMetadata!.Arn!, alias, keyId: out.KeyMetadata!.KeyId! };
}
const mutations = () => endpoint.requests().filter((r) => MUTATING.test(r.operation)).map((r) => r.operation);

describe('changes from the command line', () => {
  it('refuses bad rotation periods before connecting: exit 2, no request', async () => {
    const key = await newKey();
    for (const period of ['0', '89', '2561', 'abc']) {
      const run = await keywarden(['rotation', 'enable', key.alias, '--period', period, '--yes']);
      expect(run.code, period).toBe(2);
      expect(run.stderr).toMatch(/rotation period/);
    }
    expect(endpoint.requests()).toEqual([]);
  });

  withPeriods('enables rotation with --yes --json and records it in the journal', async () => {
    const key = await newKey();
    const run = await keywarden(['rotation', 'enable', key.alias, '--period', '180', '--yes', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ ok: true, action: 'rotation.enable', key: key.arn, call: { operation: 'EnableKeyRotation', params: { RotationPeriodInDays: 180 } } });
    expect(out.after.rotation).toMatchObject({ kind: 'enabled', periodDays: 180 });
    expect(mutations()).toEqual(['EnableKeyRotation']);
    const journal = JSON.parse((await keywarden(['journal', '--key', key.arn, '--json'])).stdout);
    expect(journal.entries.map((e: { phase: string; action: string }) => `${e.phase}:${e.action}`)).toEqual(['intent:EnableKeyRotation', 'result:EnableKeyRotation']);
  });

  withPeriods('a change that changes nothing (rotation already off, the same period again) is said and not sent: exit 0', async () => {
    const key = await newKey(); // a new key: rotation off
    const off = await keywarden(['rotation', 'disable', key.alias, '--yes']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/nothing to change: automatic rotation is already off; nothing was sent/);
    expect(mutations()).toEqual([]);
    expect((await keywarden(['rotation', 'enable', key.alias, '--period', '180', '--yes'])).code).toBe(0);
    endpoint.clearRequests();
    const same = JSON.parse((await keywarden(['rotation', 'enable', key.alias, '--period', '180', '--yes', '--json'])).stdout);
    expect(same).toMatchObject({ ok: true, call: null, unchanged: 'automatic rotation is already on every 180 days' });
    expect(mutations()).toEqual([]);
  });

  it('needs --yes when not interactive; nothing changes without it', async () => {
    const key = await newKey();
    const run = await keywarden(['key', 'disable', key.alias]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pass --yes/);
    expect(mutations()).toEqual([]);
  });

  it('read-only mode blocks a disable invoked from the command line: no request reaches the sandbox', async () => {
    const key = await newKey();
    const run = await keywarden(['key', 'disable', key.alias, '--yes', '--read-only']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/read-only mode/);
    expect(mutations()).toEqual([]);
    const meta = await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: key.arn }));
    expect(meta.KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('says why a change is not allowed in the key state, and makes no call', async () => {
    const key = await newKey();
    expect((await keywarden(['key', 'disable', key.alias, '--yes'])).code).toBe(0);
    endpoint.clearRequests();
    const again = await keywarden(['rotation', 'enable', key.alias, '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the key is disabled: enable it before changing rotation. Nothing was changed/);
    expect(mutations()).toEqual([]);
  });

  withGrants('refuses an unknown grant id and an unknown key', async () => {
    const key = await newKey();
    await endpoint.clients().kms('us-east-1').send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/x', Operations: ['Decrypt'] }));
    endpoint.clearRequests();
    const grant = await keywarden(['grants', 'revoke', key.alias, 'deadbeef', '--yes']);
    expect(grant.code).toBe(1);
    expect(grant.stderr).toMatch(/no grant with id deadbeef/);
    const unknown = await keywarden(['key', 'disable', 'alias/nope-nope', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no key "alias\/nope-nope"/);
    expect(mutations()).toEqual([]);
  });
});

describe('changing rotation in a real terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
  });

  withPeriods('enables rotation with a 180-day period and shows the next rotation date', async () => {
    const key = await newKey();
    terminal = await Terminal.start({ args: ['--endpoint-url', endpoint.url], env: awsEnv() });
    await terminal.waitFor((s) => s.includes(key.alias) && !s.includes('loading keys'));
    await terminal.type(`/${key.alias}`);
    await terminal.waitFor(/1 of \d+ keys/);
    await terminal.press('Enter');
    await terminal.press('Enter');
    await terminal.waitFor('Key spec');
    await terminal.type('2');
    await terminal.waitFor('Automatic       off');
    await terminal.type('e');
    await terminal.waitFor('Rotation period in days: 365');
    await terminal.press('BSpace', 'BSpace', 'BSpace');
    await terminal.type('180');
    await terminal.press('Enter');
    await terminal.waitFor('EnableKeyRotation');
    await terminal.press('Enter');
    await terminal.waitFor('Enable automatic rotation: done');
    const after = await terminal.waitFor(/Automatic\s+on, every 180 days/);
    const status = await endpoint.clients().kms('us-east-1').send(new GetKeyRotationStatusCommand({ KeyId: key.arn }));
    const next = /Next rotation\s+(\d{4}-\d{2}-\d{2})/.exec(after)?.[1];
    expect(next).toBe(status.NextRotationDate!.toISOString().slice(0, 10));
    expect(mutations()).toEqual(['EnableKeyRotation']);
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  });
});
