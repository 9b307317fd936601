// Changes from the TUI against the real sandbox over HTTP: the confirmations, the bad inputs
// (each changes nothing and says so), read-only mode, bulk grant clean-up and the journal view.
import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, ListGrantsCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsChangeSource } from '../../src/app/change-source.js';
import { retirementSource } from '../../src/app/retirement-source.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { planGuardAdd } from '../../src/domain/guard.js';
import { Journal } from '../../src/journal/journal.js';
import { openEndpoint, reportsRotationPeriod, servesKms, servesRetirement, type TestEndpoint } from '../helpers/endpoint.js';
import { press, tick, waitForFrame, waitForText } from '../helpers/ink.js';
import { App } from '../../src/ui/app.js';

const MUTATING = /^(Enable|Disable|Rotate|Retire|Revoke|Create|Schedule|Cancel|Put|Tag|Untag|Delete|Update|Replicate)/;
const size = { columns: 140, rows: 40 };
// A third-party endpoint may lack newer KMS features or the services the retirement reads: those tests are skipped there.
const withPeriods = it.skipIf(!(await reportsRotationPeriod()));
const withGrants = it.skipIf(!(await servesKms('CreateGrant', 'ListGrants', 'RetireGrant', 'RevokeGrant')));
const withRetirement = it.skipIf(!servesRetirement());

let endpoint: TestEndpoint;
beforeAll(async () => {
  endpoint = await openEndpoint();
});
afterAll(async () => {
  await endpoint.close();
});
let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  unmount = undefined;
});

let counter = 0;
async function newKey(): Promise<{ arn: string; alias: string }> {
  const kms = endpoint.clients().kms('us-east-1');
  const out = await kms.send(new CreateKeyCommand({ Description: 'keywarden view test' }));
  const alias = `kw-view-${process.pid}-${++counter}`;
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: out.KeyMetadata!.KeyId! }));
  return { arn: out.KeyMetadata!.Arn!, alias };
}

function mutations(): string[] {
  return endpoint.requests().filter((r) => MUTATING.test(r.operation)).map((r) => r.operation);
}

async function openKey(alias: string, options: { readOnly?: boolean; size?: { columns: number; rows: number }; withRetirements?: boolean } = {}) {
  const clients = endpoint.clients(['us-east-1']);
  const guarded = options.readOnly ? { ...clients, readOnly: true } : clients;
  const source = new AwsKeySource(guarded);
  const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'kw-view-journal-')), 'journal.jsonl'));
  const changes = new AwsChangeSource(guarded, () => source.identity(), journal);
  const retirements = options.withRetirements ? retirementSource(guarded, () => source.identity(), () => new Date()) : undefined;
  const app = render(
    <App
      source={source}
      changes={changes}
      {...(retirements ? { retirements } : {})}
      session={{ regions: ['us-east-1'], sandbox: true, readOnly: options.readOnly ?? false }}
      size={options.size ?? size}
    />,
  );
  unmount = app.unmount;
  await waitForFrame(app.lastFrame, (f) => f.includes(alias) && !f.includes('loading keys'));
  await press(app.stdin, '/');
  await press(app.stdin, alias);
  await waitForText(app.lastFrame, '1 of');
  await press(app.stdin, 'enter');
  await press(app.stdin, 'enter');
  await waitForText(app.lastFrame, 'Key spec');
  endpoint.clearRequests();
  return { app, journal };
}

describe('changing a key from the TUI', () => {
  it('disables a key only after its alias is typed; a wrong word changes nothing', async () => {
    const key = await newKey();
    const { app, journal } = await openKey(key.alias);
    // The key is enabled: the footer offers disabling it, not enabling it.
    const footer = (frame: string) => frame.split('\n').find((line) => line.startsWith('Esc back')) ?? '';
    expect(footer(app.lastFrame() ?? '')).toContain('D disable key');
    expect(footer(app.lastFrame() ?? '')).not.toContain('E enable key');
    await press(app.stdin, 'D');
    const dialog = await waitForText(app.lastFrame, 'This API call will be made');
    expect(dialog).toContain('Disable key');
    expect(dialog).toContain('key state: Enabled → Disabled');
    expect(dialog).toContain(`DisableKey {"KeyId":"${key.arn}"}`);
    expect(dialog).toContain(`Type "${key.alias}"`);

    await press(app.stdin, 'wrong');
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, `"wrong" is not "${key.alias}": nothing was changed`);
    expect(mutations()).toEqual([]);

    for (let i = 0; i < 5; i++) await press(app.stdin, 'backspace');
    await press(app.stdin, key.alias);
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Disable key: done');
    expect(mutations()).toEqual(['DisableKey']);
    const meta = await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: key.arn }));
    expect(meta.KeyMetadata?.KeyState).toBe('Disabled');
    const { entries } = await journal.read();
    expect(entries.map((e) => `${e.phase}:${e.action}`)).toEqual(['intent:DisableKey', 'result:DisableKey']);

    // Now disabled, the footer turns around.
    // (While the key is read again the footer offers both; the read paces GetKeyLastUsage to its quota.)
    const after = footer(await waitForFrame(app.lastFrame, (f) => footer(f).includes('E enable key') && !footer(f).includes('D disable key')));
    expect(after).not.toContain('D disable key');

    // Esc on a confirmation cancels and says nothing changed.
    await press(app.stdin, 'E');
    await waitForText(app.lastFrame, 'key state: Disabled → Enabled');
    await press(app.stdin, 'escape');
    await waitForText(app.lastFrame, 'cancelled: nothing was changed');
    expect(mutations()).toEqual(['DisableKey']);
  });

  withPeriods('refuses bad rotation periods without a call, then enables rotation with 180 days', async () => {
    const key = await newKey();
    const { app } = await openKey(key.alias);
    await press(app.stdin, '2');
    await waitForText(app.lastFrame, 'Automatic');
    await press(app.stdin, 'e');
    await waitForText(app.lastFrame, 'Rotation period in days: 365');
    for (const bad of ['89', '2561', '0', 'abc']) {
      for (let i = 0; i < 4; i++) await press(app.stdin, 'backspace');
      await press(app.stdin, bad);
      await press(app.stdin, 'enter');
      await waitForText(app.lastFrame, 'nothing was changed');
    }
    expect(mutations()).toEqual([]);
    for (let i = 0; i < 4; i++) await press(app.stdin, 'backspace');
    await press(app.stdin, '180');
    await press(app.stdin, 'enter');
    const preview = await waitForText(app.lastFrame, 'This API call will be made');
    expect(preview).toContain('automatic rotation: off → on, every 180 days');
    expect(preview).toContain('"RotationPeriodInDays":180');
    expect(preview).toContain('Press Enter (or type y) to confirm');
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Enable automatic rotation: done');
    await waitForText(app.lastFrame, 'on, every 180 days');
    const status = await endpoint.clients().kms('us-east-1').send(new GetKeyRotationStatusCommand({ KeyId: key.arn }));
    expect(status.RotationPeriodInDays).toBe(180);
    expect(mutations()).toEqual(['EnableKeyRotation']);
  });

  withGrants('revokes every grant of one grantee at once, keeping the others', async () => {
    const key = await newKey();
    const kms = endpoint.clients().kms('us-east-1');
    const app1 = 'arn:aws:iam::111122223333:role/keywarden-test-batch';
    const other = 'arn:aws:iam::111122223333:role/keywarden-test-web';
    await kms.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: app1, Operations: ['Decrypt'] }));
    await kms.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: other, Operations: ['Encrypt'] }));
    await kms.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: app1, Operations: ['GenerateDataKey'] }));
    const { app } = await openKey(key.alias);
    await press(app.stdin, '3');
    await waitForText(app.lastFrame, '3 grants');
    // The cursor starts on the first grant (batch); select all of its grantee's grants.
    await press(app.stdin, 'A');
    await waitForText(app.lastFrame, '2 selected');
    await press(app.stdin, 'x');
    const dialog = await waitForText(app.lastFrame, 'These 2 API calls will be made');
    expect(dialog).toContain('Revoke grant × 2');
    expect(dialog).toMatch(/Revoking is how a key administrator/);
    await press(app.stdin, key.alias);
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Revoke grant: done (2 of 2)');
    const left = await kms.send(new ListGrantsCommand({ KeyId: key.arn }));
    expect(left.Grants?.map((g) => g.GranteePrincipal)).toEqual([other]);
    expect(mutations()).toEqual(['RevokeGrant', 'RevokeGrant']);

    await press(app.stdin, ':');
    await press(app.stdin, 'journal');
    await press(app.stdin, 'enter');
    const journal = await waitForText(app.lastFrame, '2 changes');
    expect(journal.match(/RevokeGrant/g)).toHaveLength(2);
  });

  withGrants('in a small terminal shows every grant and API call of a bulk change, and confirms nothing unread', async () => {
    const key = await newKey();
    const kms = endpoint.clients().kms('us-east-1');
    const grantee = 'arn:aws:iam::111122223333:role/keywarden-test-batch';
    for (const operation of ['Decrypt', 'GenerateDataKey', 'Encrypt'] as const) {
      await kms.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: grantee, Operations: [operation] }));
    }
    const grantIds = ((await kms.send(new ListGrantsCommand({ KeyId: key.arn }))).Grants ?? []).map((g) => g.GrantId!);
    const { app } = await openKey(key.alias, { size: { columns: 80, rows: 23 } });
    await press(app.stdin, '3');
    await waitForText(app.lastFrame, '3 grants');
    await press(app.stdin, 'A');
    await waitForText(app.lastFrame, '3 selected');
    await press(app.stdin, 't');
    const first = await waitForText(app.lastFrame, 'Retire grant × 3');
    // The question stays on screen; what does not fit says so.
    expect(first).toMatch(/Type "kw-view-[\d-]+" \(the alias or key id\)/);
    expect(first).toMatch(/↓ \d+ more below/);
    await press(app.stdin, key.alias);
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'more lines of changes are below');
    expect(mutations()).toEqual([]);
    // Reading to the end shows every call in full, each grant id whole.
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const frame = app.lastFrame() ?? '';
      // Long calls wrap across lines: compare without the border and line breaks.
      const joined = frame.replace(/[│\s]+/g, '');
      for (const id of grantIds) if (joined.includes(id)) seen.add(id);
      if (!/↓ \d+ more below/.test(frame)) break;
      await press(app.stdin, 'down');
    }
    expect([...seen].sort()).toEqual([...grantIds].sort());
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Retire grant: done (3 of 3)');
    expect(mutations()).toEqual(['RetireGrant', 'RetireGrant', 'RetireGrant']);
  });

  it('a fresh read of a key (opening it) also updates its row in the keys list', async () => {
    const key = await newKey();
    const { app } = await openKey(key.alias);
    await press(app.stdin, 'escape');
    const rowOf = (frame: string) => frame.split('\n').find((line) => line.includes(key.alias) && !line.includes('filter:')) ?? '';
    expect(rowOf(await waitForText(app.lastFrame, '1 of'))).toContain('Enabled');
    // Someone (or the retirement wizard) disables the key; the list learns it when the key is read again.
    await endpoint.clients().kms('us-east-1').send(new DisableKeyCommand({ KeyId: key.arn }));
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Disabled');
    await press(app.stdin, 'escape');
    const list = await waitForFrame(app.lastFrame, (f) => f.includes('1 of') && !f.includes('Key spec'));
    expect(rowOf(list)).toContain('Disabled');
  });

  withRetirement('in read-only mode the retirement wizard reads the key and says why its steps do nothing', async () => {
    process.env.KEYWARDEN_HOME = mkdtempSync(join(tmpdir(), 'kw-view-home-'));
    const key = await newKey();
    const { app } = await openKey(key.alias, { readOnly: true, withRetirements: true });
    await press(app.stdin, 'R');
    await waitForFrame(app.lastFrame, (f) => f.includes('Retire') && !f.includes('gathering evidence'), { timeoutMs: 15_000 });
    for (const step of ['s', 'a', 'n']) {
      await press(app.stdin, step);
      await waitForText(app.lastFrame, 'read-only mode: the retirement can be read, not changed');
    }
    expect(mutations()).toEqual([]);
  });

  it('in read-only mode offers no change and sends no mutating request', async () => {
    const key = await newKey();
    const { app } = await openKey(key.alias, { readOnly: true });
    const frame = await waitForText(app.lastFrame, 'Key spec');
    expect(frame).not.toContain('disable key');
    await press(app.stdin, 'D');
    await waitForText(app.lastFrame, 'read-only mode: changes are switched off');
    await press(app.stdin, '2');
    await press(app.stdin, 'e');
    await tick(50);
    expect(app.lastFrame()).not.toContain('Rotation period in days');
    expect(mutations()).toEqual([]);
  });

  it('says why a key cannot rotate instead of offering the change', async () => {
    // An asymmetric signing key of the test's own (not a seeded one: a third-party endpoint has none).
    const kms = endpoint.clients().kms('us-east-1');
    const signing = await kms.send(new CreateKeyCommand({ Description: 'keywarden view test: signing', KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    const alias = `kw-view-${process.pid}-${++counter}-signing`;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: signing.KeyMetadata!.KeyId! }));
    const { app } = await openKey(alias);
    await press(app.stdin, '2');
    await waitForText(app.lastFrame, 'asymmetric');
    await press(app.stdin, 'e');
    await waitForText(app.lastFrame, 'not possible — asymmetric keys cannot rotate automatically');
    expect(app.lastFrame()).not.toContain('Rotation period in days');
    expect(mutations()).toEqual([]);
  });

  it('a key pressed right after r is judged on the key as read again, not on the read before it', async () => {
    const key = await newKey();
    const { app } = await openKey(key.alias);
    await press(app.stdin, '6');
    await waitForText(app.lastFrame, 'policy-no-usage-guard');
    // Someone adds the guard while the key is shown.
    const kms = endpoint.clients().kms('us-east-1');
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: key.arn, PolicyName: 'default' }))).Policy!;
    const plan = planGuardAdd(policy, { days: 365 });
    if (!plan.ok) throw new Error(plan.reason);
    await kms.send(new PutKeyPolicyCommand({ KeyId: key.arn, PolicyName: 'default', Policy: plan.after }));
    endpoint.clearRequests();
    // r and U in one read from the terminal: U is handled before React renders the reload, so
    // the detail it sees still says "no guard". It must not refuse on that: the preview reads
    // the policy again and offers to remove the guard that is there.
    app.stdin.write('rU');
    const dialog = await waitForText(app.lastFrame, 'Remove the guard from the key policy');
    expect(dialog).not.toContain('nothing to remove');
    expect(mutations()).toEqual([]);
  });
});
