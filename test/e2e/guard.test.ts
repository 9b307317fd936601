// `keywarden guard add|remove` with the built program: on a real terminal (tmux) the preview —
// what it denies, the calls of 90 days it would have refused, the policy diff — comes before the
// typed confirmation; the guard then really refuses DisableKey on a key in use (the sandbox's
// policy evaluator), the finding goes away, and `guard remove` takes it out again. Every
// PutKeyPolicy is in the journal. Bad input exits 2 and changes nothing.

import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EncryptCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { openEndpoint, serves, servesKms, type TestEndpoint } from '../helpers/endpoint.js';

// The guard's refusal needs an endpoint that evaluates key policies against KMS's own last-use
// tracking (GetKeyLastUsage) and a trail for the preview's past calls; revoking needs grants.
const withGuard = it.skipIf(!(serves('cloudtrail') && (await servesKms('GetKeyLastUsage'))));
const withGrants = it.skipIf(!(await servesKms('CreateGrant', 'ListGrants', 'RevokeGrant')));
import { Terminal, runKeywarden } from './terminal.js';

let endpoint: TestEndpoint;
beforeAll(async () => {
  endpoint = await openEndpoint();
});
afterAll(async () => {
  await endpoint.close();
});

async function usedKey(alias: string) {
  const kms = endpoint.clients().kms('us-east-1');
  const created = await kms.send(new CreateKeyCommand({ Description: 'keywarden guard test' }));
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: created.KeyMetadata!.KeyId! }));
  await kms.send(new EncryptCommand({ KeyId: created.KeyMetadata!.Arn!, Plaintext: new TextEncoder().encode('in use') }));
  return { kms, arn: created.KeyMetadata!.Arn! };
}

const env = (home: string) => ({
  AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
  KEYWARDEN_HOME: home,
});

/** Everything a change dialog says, paged to its end (PgDn until nothing is below). */
async function readDialog(terminal: Terminal, title: string): Promise<string> {
  let screen = await terminal.waitFor(title, 30_000);
  const pages = [screen];
  for (let i = 0; i < 20 && /more below/.test(screen); i++) {
    await terminal.press('PageDown');
    await new Promise((resolve) => setTimeout(resolve, 150));
    screen = await terminal.screen();
    pages.push(screen);
  }
  expect(screen).not.toMatch(/more below/);
  // The dialog's text as one line: borders and wrapping undone.
  return pages
    .join('\n')
    .split('\n')
    .map((line) => line.replace(/^\s*[│╭╰]/, '').replace(/[│╮╯]\s*$/, '').trim())
    .join(' ')
    .replace(/\s+/g, ' ');
}

describe('keywarden guard', { timeout: 120_000 }, () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  withGuard('on a terminal: preview, typed alias, PutKeyPolicy; the guard refuses DisableKey on the used key; guard remove takes it out', async () => {
    const alias = `kw-guard-${process.pid}`;
    const { kms, arn } = await usedKey(alias);
    const home = mkdtempSync(join(tmpdir(), 'kw-guard-home-'));
    const before = (await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy!;
    const unguarded = async () => {
      const out = await runKeywarden(['findings', '--json', '--only', 'policy-no-usage-guard', '--endpoint-url', endpoint.url], env(home), 60_000);
      return (JSON.parse(out.stdout) as { findings: Array<{ key: { arn: string } }> }).findings.map((f) => f.key.arn).includes(arn);
    };
    // Read (and kept on disk for an hour) before the change: the change must not leave it stale.
    expect(await unguarded()).toBe(true);

    terminal = await Terminal.start({ args: ['guard', 'add', alias, '--days', '30', '--endpoint-url', endpoint.url], env: env(home), rows: 60, columns: 160 });
    const prompt = await terminal.waitFor(`Type "${alias}"`, 30_000);
    expect(prompt).toContain('key policy: + the guard (deny DisableKey and ScheduleKeyDeletion while the key was used within 30 days)');
    expect(prompt).toContain('No DisableKey or ScheduleKeyDeletion call in the last 90 days');
    expect(prompt).toMatch(/\+\s+"Sid": "KeywardenDenyDisableOrDeleteWhileInUse"/);
    expect(prompt).toMatch(/\+\s+"kms:TrailingDaysWithoutKeyUsage": "30"/);
    // Nothing is sent before the alias is typed.
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy).toBe(before);
    await terminal.type(alias);
    await terminal.press('Enter');
    await terminal.waitFor('the policy read back is the new one', 20_000);
    expect(await terminal.exitCode(20_000)).toBe(0);
    await terminal.close();
    terminal = undefined;

    // The sandbox's evaluator refuses DisableKey: the key was used moments ago.
    const refused = await kms.send(new DisableKeyCommand({ KeyId: arn })).then(
      () => 'allowed',
      (error: Error) => `${error.name}: ${error.message}`,
    );
    expect(refused).toMatch(/^AccessDeniedException: .*kms:DisableKey.*explicit deny in a resource-based policy/);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('Enabled');
    expect(await unguarded()).toBe(false);

    // guard remove, confirmed with --yes (not on a terminal): the key can be disabled again.
    const removed = await runKeywarden(['guard', 'remove', alias, '--yes', '--endpoint-url', endpoint.url], env(home), 60_000);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^  -\s+"Sid": "KeywardenDenyDisableOrDeleteWhileInUse",$/m);
    expect(JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy!)).toEqual(JSON.parse(before));
    await kms.send(new DisableKeyCommand({ KeyId: arn }));

    const journal = JSON.parse((await runKeywarden(['journal', '--json', '--key', arn], env(home))).stdout) as { entries: Array<{ phase: string; action: string }> };
    expect(journal.entries.map((e) => `${e.phase}:${e.action}`)).toEqual(['intent:PutKeyPolicy', 'result:PutKeyPolicy', 'intent:PutKeyPolicy', 'result:PutKeyPolicy']);
  });

  it('bad input exits 2 and changes nothing; without a terminal it needs --yes', async () => {
    const alias = `kw-guard-bad-${process.pid}`;
    const { kms, arn } = await usedKey(alias);
    const home = mkdtempSync(join(tmpdir(), 'kw-guard-home-'));
    const before = (await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy!;
    const cases: Array<[string[], RegExp]> = [
      [['guard'], /guard needs a command: add or remove/],
      [['guard', 'protect', alias], /unknown guard command "protect"/],
      [['guard', 'add'], /guard add needs a key/],
      [['guard', 'add', alias, '--days', '0'], /--days must be a whole number of days from 1 to 3650, not "0"/],
      [['guard', 'add', alias, '--except-role', 'BreakGlass'], /--except-role must be an IAM role ARN/],
      [['guard', 'remove', alias, '--days', '30'], /--days and --except-role only go with "guard add"/],
      [['list', '--except-role', 'arn:aws:iam::111122223333:role/X'], /--except-role only goes with "guard"/],
      [['guard', 'add', alias], /needs confirmation: run it in a terminal, or pass --yes/],
    ];
    for (const [args, message] of cases) {
      const out = await runKeywarden([...args, '--endpoint-url', endpoint.url], env(home));
      expect(out.code, args.join(' ')).toBe(2);
      expect(out.stderr, args.join(' ')).toMatch(message);
    }
    const readOnly = await runKeywarden(['guard', 'add', alias, '--yes', '--read-only', '--endpoint-url', endpoint.url], env(home));
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/read-only mode: no change was made/);
    const nothing = await runKeywarden(['guard', 'remove', alias, '--yes', '--endpoint-url', endpoint.url], env(home));
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/no keywarden guard .* nothing to remove\. Nothing was changed\./);
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy).toBe(before);
  });

  withGuard('in the TUI at 80×24: P on the Findings tab previews the guard (diff, past calls), takes the typed alias, and the guard refuses DisableKey; U takes it out', async () => {
    const alias = `kw-guard-tui-${process.pid}`;
    const { kms, arn } = await usedKey(alias);
    const before = (await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy!;
    const home = mkdtempSync(join(tmpdir(), 'kw-guard-home-'));
    terminal = await Terminal.start({ args: ['--endpoint-url', endpoint.url], env: env(home), rows: 24, columns: 80 });
    await terminal.waitFor(/\d+ of \d+ keys/, 30_000);
    await terminal.press('/');
    await terminal.type(alias);
    await terminal.waitFor(`1 of`, 20_000);
    await terminal.press('Enter'); // keep the filter
    await terminal.waitFor(`(filter: ${alias})`, 20_000);
    await terminal.press('Enter'); // open the key
    await terminal.waitFor('Key spec', 20_000);
    await terminal.press('6');
    await terminal.waitFor('policy-no-usage-guard', 20_000);
    await terminal.press('P');
    // The dialog scrolls: a typed confirmation needs it read to the end (PgDn), which is where the diff is.
    const read = await readDialog(terminal, 'Add the guard to the key policy');
    expect(read).toContain('key policy: + the guard (deny DisableKey and ScheduleKeyDeletion while the key was used within 365 days)');
    expect(read).toContain('No DisableKey or ScheduleKeyDeletion call in the last 90 days');
    expect(read).toContain('The key policy, before → after:');
    expect(read).toMatch(/\+\s+"Sid": "KeywardenDenyDisableOrDeleteWhileInUse"/);
    expect(read).toMatch(/\+\s+"kms:TrailingDaysWithoutKeyUsage": "365"/);
    expect(read).toContain('PutKeyPolicy {"KeyId":');
    // Nothing is sent before the alias is typed.
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy).toBe(before);
    await terminal.type(alias);
    await terminal.press('Enter');
    await terminal.waitFor((text) => !text.includes('Add the guard to the key policy —'), 20_000);
    await expect.poll(async () => (await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy!.includes('KeywardenDenyDisableOrDeleteWhileInUse'), { timeout: 20_000 }).toBe(true);
    const refused = await kms.send(new DisableKeyCommand({ KeyId: arn })).then(
      () => 'allowed',
      (error: Error) => `${error.name}: ${error.message}`,
    );
    expect(refused).toMatch(/^AccessDeniedException: .*kms:DisableKey.*explicit deny/);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('Enabled');

    // U takes keywarden's guard out again, the same way.
    // Keys are not taken while the change is made (PutKeyPolicy, then the key read again).
    await terminal.waitFor('Add the guard to the key policy: done', 30_000);
    await terminal.press('r');
    await terminal.press('U');
    expect(await readDialog(terminal, 'Remove the guard from the key policy')).toMatch(/-\s+"Sid": "KeywardenDenyDisableOrDeleteWhileInUse"/);
    await terminal.type(alias);
    await terminal.press('Enter');
    await expect.poll(async () => JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy!) as unknown, { timeout: 20_000 }).toEqual(JSON.parse(before));
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    const journal = JSON.parse((await runKeywarden(['journal', '--json', '--key', arn], env(home))).stdout) as { entries: Array<{ phase: string; action: string }> };
    expect(journal.entries.map((e) => `${e.phase}:${e.action}`)).toEqual(['intent:PutKeyPolicy', 'result:PutKeyPolicy', 'intent:PutKeyPolicy', 'result:PutKeyPolicy']);
  });

  withGrants('grants revoke forgets the grants kept on disk for the findings: the next findings run reads them again', async () => {
    const alias = `kw-guard-grant-${process.pid}`;
    const { kms, arn } = await usedKey(alias);
    const grant = await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/PaymentsApi', Operations: ['Decrypt'] }));
    const home = mkdtempSync(join(tmpdir(), 'kw-guard-home-'));
    const flagged = async () => {
      const out = await runKeywarden(['findings', '--json', '--only', 'grant-unconstrained', '--endpoint-url', endpoint.url], env(home), 60_000);
      return (JSON.parse(out.stdout) as { findings: Array<{ key: { arn: string } }> }).findings.some((f) => f.key.arn === arn);
    };
    expect(await flagged()).toBe(true);
    const revoked = await runKeywarden(['grants', 'revoke', alias, grant.GrantId!, '--yes', '--endpoint-url', endpoint.url], env(home), 60_000);
    expect(revoked.code).toBe(0);
    expect(await flagged()).toBe(false);
  });
});
