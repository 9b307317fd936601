// The guided retirement driven from the command line (`retire start|advance|rollback|status`,
// `retirements`): exit codes, --yes, --json, and the sandbox's state after each step.

import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { retirementSource } from '../../src/app/retirement-source.js';
import { createClients } from '../../src/aws/clients.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { openEndpoint, servesRetirement, type TestEndpoint } from '../helpers/endpoint.js';
import { runKeywarden, type CliRun } from './terminal.js';

let endpoint: TestEndpoint;
const sandboxOnlyIt = process.env.KEYWARDEN_TEST_ENDPOINT ? it.skip : it;
let home: string;
beforeAll(async () => {
  endpoint = await openEndpoint();
  home = mkdtempSync(join(tmpdir(), 'kw-retire-cli-'));
});
afterAll(async () => {
  await endpoint.close();
});

function keywarden(args: string[]): Promise<CliRun> {
  return runKeywarden(
    [...args, '--endpoint-url', endpoint.url],
    { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', KEYWARDEN_HOME: home },
    60_000,
  );
}

/** A new key in the sandbox with an alias (without its `alias/` prefix). */
async function newAliasedKey(description: string, alias: string) {
  const kms = endpoint.clients().kms('us-east-1');
  const created = await kms.send(new CreateKeyCommand({ Description: description }));
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: created.KeyMetadata!.KeyId! }));
  return { kms, created, alias, arn: created.KeyMetadata!.Arn! };
}

describe.skipIf(!servesRetirement())('retire from the command line', () => {
  it('advance from a retirement the wizard started (preflight): the catalogue\'s next step, disable, confirmed by its rule (the alias on a terminal, --yes in scripts)', async () => {
    const { alias, arn } = await newAliasedKey('keywarden CLI from preflight', `kw-retire-pre-${process.pid}`);
    // The wizard's s records the preflight (the TUI's port, on the same data directory).
    const saved = process.env.KEYWARDEN_HOME;
    process.env.KEYWARDEN_HOME = home;
    try {
      const clients = endpoint.clients(['us-east-1']);
      const keys = new AwsKeySource(clients);
      const source = retirementSource(clients, () => keys.identity(), () => new Date());
      const ref = { arn, region: 'us-east-1' };
      await source.start(ref, { watchDays: 14, name: alias, preflight: await source.preflight(ref, 30) });
    } finally {
      if (saved === undefined) delete process.env.KEYWARDEN_HOME;
      else process.env.KEYWARDEN_HOME = saved;
    }
    const unconfirmed = await keywarden(['retire', 'advance', alias]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/Disable kw-retire-pre-\d+: .*needs confirmation: run it in a terminal, or pass --yes\. Nothing was changed/);
    expect((await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Enabled');
    const disabled = await keywarden(['retire', 'advance', alias, '--yes', '--json']);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ done: expect.stringMatching(/the key is disabled/), record: { stage: 'disabled' } });
    expect((await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Disabled');
  }, 120_000);

  sandboxOnlyIt('after a detected use, advance says so before the watch starts again (also with --yes)', async () => {
    const { alias, arn } = await newAliasedKey('keywarden CLI use detected', `kw-retire-use-${process.pid}`);
    expect((await keywarden(['retire', 'start', alias, '--yes'])).code).toBe(0);
    expect((await keywarden(['retire', 'advance', alias, '--yes'])).code).toBe(0);
    const colleague = createClients({ regions: ['us-east-1'], endpoint: endpoint.url, credentials: { accessKeyId: 'AKIAKEYWARDENCOLLEAGUE', secretAccessKey: 'x' } });
    await expect(colleague.kms('us-east-1').send(new EncryptCommand({ KeyId: arn, Plaintext: new TextEncoder().encode('x') }))).rejects.toThrow(/is disabled/);
    colleague.destroy();
    const advance = await keywarden(['retire', 'advance', alias, '--yes', '--deletion-days', '7']);
    expect(advance.code, advance.stderr).toBe(0);
    expect(advance.stderr).toMatch(/USE DETECTED since the key was disabled: .*KeyAdmins.*Encrypt.*Deletion is not possible now/);
    expect(advance.stdout).toMatch(/USE DETECTED .*the 14-day watch starts again now \(the key stays Disabled/s);
    expect((await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Disabled');
  });

  sandboxOnlyIt('a start the account\'s guard refuses (kms:TrailingDaysWithoutKeyUsage) names the guard and leaves no record behind', async () => {
    const before = await keywarden(['retirements', '--json']);
    const refused = await keywarden(['retire', 'start', 'cloudtrail/management-events', '--yes', '--acknowledge', 'used-recently']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/the account's guard refuses this: .*kms:TrailingDaysWithoutKeyUsage.*Nothing was changed and no retirement was recorded/s);
    const state = (await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: 'alias/cloudtrail/management-events' }))).KeyMetadata?.KeyState;
    expect(state).toBe('Enabled');
    const keys = (run: { stdout: string }) =>
      (JSON.parse(run.stdout) as { retirements: Array<{ record?: { keyArn: string; stage: string } }> }).retirements.map((r) => (r.record ? `${r.record.keyArn} ${r.record.stage}` : 'unreadable'));
    expect(keys(await keywarden(['retirements', '--json']))).toEqual(keys(before));
  });

  it('starts, needs findings acknowledged, disables, arms the alarm, reports, and rolls back', async () => {
    const { kms, created, alias, arn } = await newAliasedKey('keywarden CLI retirement', `kw-retire-cli-${process.pid}`);

    expect((await keywarden(['retire', 'start', alias, '--deletion-days', '31'])).code).toBe(2);
    expect((await keywarden(['retire', 'start', alias, '--watch-days', '0'])).code).toBe(2);

    // Whatever blocks must be acknowledged first; without it nothing is disabled.
    const first = await keywarden(['retire', 'start', alias, '--yes', '--json']);
    const doc = JSON.parse(first.stdout);
    const blocking = (doc.findings as Array<{ id: string; severity: string }>).filter((f) => f.severity === 'blocking').map((f) => f.id);
    if (blocking.length > 0) {
      expect(first.code).toBe(1);
      // A refused start writes nothing: no record until the key is really disabled.
      expect(doc.record).toBeNull();
      expect(doc.unacknowledged).toEqual(blocking);
      expect(JSON.parse((await keywarden(['retire', 'status', alias, '--json'])).stdout).record).toBeNull();
      expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Enabled');
    }
    const start = await keywarden(['retire', 'start', alias, '--yes', '--json', ...(blocking.length ? ['--acknowledge', blocking.join(',')] : [])]);
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout).record.stage).toBe('disabled');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Disabled');

    const notInteractive = await keywarden(['retire', 'advance', alias]);
    expect(notInteractive.code).toBe(2);
    expect(notInteractive.stderr).toMatch(/pass --yes/);

    const advance = await keywarden(['retire', 'advance', alias, '--yes', '--json']);
    expect(advance.code).toBe(0);
    const armed = JSON.parse(advance.stdout);
    expect(armed.record.stage).toBe('watching');
    expect(armed.nextSteps.find((s: { id: string }) => s.id === 'schedule-deletion')).toMatchObject({ allowed: false, why: expect.stringMatching(/the watch runs until/) });
    const alarms = await endpoint.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${created.KeyMetadata!.KeyId}`] }));
    expect(alarms.MetricAlarms).toHaveLength(1);

    const early = await keywarden(['retire', 'advance', alias, '--yes']);
    expect(early.code).toBe(1);
    expect(early.stdout).toMatch(/nothing to do now/);

    const list = JSON.parse((await keywarden(['retirements', '--json'])).stdout);
    expect(list.retirements.map((r: { record: { keyArn: string } }) => r.record.keyArn)).toContain(arn);

    const status = await keywarden(['retire', 'status', alias]);
    expect(status.stdout).toMatch(/stage:\s+watching/);
    expect(status.stdout).toMatch(/watched:\s+0 days \(14 required\)/);
    // Steps in words with the command that takes them; ids only in --json.
    expect(status.stdout).toMatch(/not yet:\s+schedule the deletion \(retire advance\) — /);
    expect(status.stdout).not.toMatch(/\b(arm-watch|schedule-deletion|remove-watch)\b/);

    // The way back ends the retirement: the key is enabled, then keywarden's alarm and filter are
    // removed (confirmed by a read) under the same --yes; nothing is left for advance to do.
    const rollback = await keywarden(['retire', 'rollback', alias, '--yes']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/enabled again; the retirement is rolled back; removed: alarm keywarden-retire-\S+ \(us-east-1\).*\(confirmed by a read\): the retirement is closed/);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Enabled');
    const gone = await endpoint.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${created.KeyMetadata!.KeyId}`] }));
    expect(gone.MetricAlarms ?? []).toHaveLength(0);
    expect(JSON.parse((await keywarden(['retire', 'status', alias, '--json'])).stdout).record.stage).toBe('closed');
    const after = await keywarden(['retire', 'advance', alias, '--yes']);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/nothing to do now/);
  }, 120_000);

  it('a key that was already Disabled: rollback will not enable it, and closes the retirement leaving the key as it is', async () => {
    const { kms, alias, arn } = await newAliasedKey('keywarden CLI retirement of a disabled key', `kw-retire-disabled-${process.pid}`);
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    const first = JSON.parse((await keywarden(['retire', 'start', alias, '--yes', '--json'])).stdout);
    const blocking = (first.findings as Array<{ id: string; severity: string }>).filter((f) => f.severity === 'blocking').map((f) => f.id);
    const start = await keywarden(['retire', 'start', alias, '--yes', '--json', ...(blocking.length ? ['--acknowledge', blocking.join(',')] : [])]);
    expect(JSON.parse(start.stdout).record).toMatchObject({ stage: 'disabled', disabledByKeywarden: false });

    const rollback = await keywarden(['retire', 'rollback', alias, '--yes']);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/closed/);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Disabled');
    const status = JSON.parse((await keywarden(['retire', 'status', alias, '--json'])).stdout);
    expect(status.record).toMatchObject({ stage: 'closed', abandoned: { reason: expect.any(String) } });
  }, 120_000);

  it('read-only mode refuses to start a retirement', async () => {
    const run = await keywarden(['retire', 'start', 'alias/anything', '--read-only', '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/read-only/);
  });
});
