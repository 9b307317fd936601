// The key detail against the real sandbox over HTTP, at 80 × 24 and 140 × 40: what must be read
// or copied is wrapped, never cut; the grant cursor stays on a listed grant after the last one
// went; a rotation change that would change nothing sends nothing; the words of the footer; copying.
import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, EnableKeyRotationCommand, ListGrantsCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsChangeSource } from '../../src/app/change-source.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { Journal } from '../../src/journal/journal.js';
import { App } from '../../src/ui/app.js';
import { openEndpoint, type TestEndpoint, reportsRotationPeriod, servesKms } from '../helpers/endpoint.js';
import { press, renderSized, waitForFrame, waitForText } from '../helpers/ink.js';

// A third-party endpoint may lack newer KMS features (rotation periods, grants): those tests are skipped there.
const withPeriods = it.skipIf(!(await reportsRotationPeriod()));
const withGrants = it.skipIf(!(await servesKms('CreateGrant', 'ListGrants', 'RetireGrant', 'RevokeGrant')));

const MUTATING = /^(Enable|Disable|Rotate|Retire|Revoke|Create|Schedule|Cancel|Put|Tag|Untag|Delete|Update|Replicate)/;

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
async function newKey(): Promise<{ arn: string; keyId: string; alias: string }> {
  const kms = endpoint.clients().kms('us-east-1');
  const out = await kms.send(new CreateKeyCommand({ Description: 'keywarden detail test' }));
  const alias = `kw-detail-${process.pid}-${++counter}`;
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: out.KeyMetadata!.KeyId! }));
  return { arn: out.KeyMetadata!.Arn!, keyId: out.KeyMetadata!.KeyId!, alias };
}

function mutations(): string[] {
  return endpoint.requests().filter((r) => MUTATING.test(r.operation)).map((r) => r.operation);
}

async function openKey(alias: string, size: { columns: number; rows: number }, copied?: string[]) {
  const clients = endpoint.clients(['us-east-1']);
  const source = new AwsKeySource(clients);
  const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'kw-detail-journal-')), 'journal.jsonl'));
  const changes = new AwsChangeSource(clients, () => source.identity(), journal);
  const app = renderSized(
    <App
      source={source}
      changes={changes}
      session={{ regions: ['us-east-1'], sandbox: true, readOnly: false }}
      size={size}
      {...(copied ? { writeClipboard: (sequence: string) => void copied.push(sequence) } : {})}
    />,
    size.columns,
  );
  unmount = app.unmount;
  await waitForFrame(app.lastFrame, (f) => /\d+ of \d+ keys/.test(f) && !f.includes('loading keys'), { timeoutMs: 10_000 });
  await press(app.stdin, '/');
  await press(app.stdin, `alias:${alias}`);
  await seen(app.lastFrame, '1 of');
  await press(app.stdin, 'enter');
  await press(app.stdin, 'enter');
  await seen(app.lastFrame, 'Key spec');
  endpoint.clearRequests();
  return app;
}

/** Waits for a frame with the text; generous, as the suite runs this beside other tests on two cores. */
const seen = (lastFrame: () => string | undefined, text: string) => waitForText(lastFrame, text, { timeoutMs: 15_000 });
const lines = (frame: string) => frame.split('\n');
const footer = (frame: string) => lines(frame).at(-2) ?? '';
/** The text of the body with wrapped lines joined back (continuations are indented). */
const unwrapped = (frame: string) => lines(frame).map((l) => l.trim()).join('');

describe.each([
  { columns: 80, rows: 24 },
  { columns: 140, rows: 40 },
])('the key detail at $columns × $rows', (size) => {
  withGrants('wraps the ARN and grant ids instead of cutting them, and keeps the words of the footer apart', async () => {
    const key = await newKey();
    const kms = endpoint.clients().kms('us-east-1');
    const grantee = 'arn:aws:iam::111122223333:role/keywarden-test-a-role-with-a-rather-long-name-for-wrapping';
    const grant = await kms.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: grantee, Operations: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'ReEncryptFrom'] }));
    const app = await openKey(key.alias, size);
    const overview = app.lastFrame() ?? '';
    for (const line of lines(overview)) expect([...line].length).toBeLessThanOrEqual(size.columns);
    expect(overview).not.toMatch(/arn:aws:kms:[^\s]*…/);
    const arnLine = lines(overview).findIndex((l) => l.startsWith('ARN'));
    expect(unwrapped(lines(overview).slice(arnLine, arnLine + 2).join('\n')).replace(/^ARN/, '')).toContain(key.arn);
    expect(footer(overview)).toContain('R retire key');
    expect(footer(overview)).toContain('? help');

    await press(app.stdin, '3');
    const grants = await seen(app.lastFrame, '1 grant');
    for (const line of lines(grants)) expect([...line].length).toBeLessThanOrEqual(size.columns);
    expect(grants).not.toMatch(/[0-9a-f]{16,}…/);
    expect(unwrapped(grants)).toContain(grant.GrantId);
    expect(unwrapped(grants)).toContain(grantee);
    expect(footer(grants)).toContain('x revoke grant');
    expect(footer(grants)).toContain('? help');
    if (size.columns === 140) expect(footer(grants)).toMatch(/t retire grant.*x revoke grant/);
  });

  withGrants('keeps the cursor on a listed grant after the last one went, and acts on it', async () => {
    const key = await newKey();
    const kms = endpoint.clients().kms('us-east-1');
    for (const name of ['first', 'second']) {
      await kms.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: `arn:aws:iam::111122223333:role/keywarden-test-${name}`, Operations: ['Decrypt'] }));
    }
    const app = await openKey(key.alias, size);
    await press(app.stdin, '3');
    await seen(app.lastFrame, '2 grants');
    await press(app.stdin, 'j');
    await waitForFrame(app.lastFrame, (f) => lines(f).some((l) => l.startsWith('› [ ] IAM role keywarden-test-second') || /^› .*keywarden-test-second/.test(l)), { timeoutMs: 15_000 });
    await press(app.stdin, 'x');
    await seen(app.lastFrame, 'Revoke grant —');
    for (let i = 0; i < 4; i++) await press(app.stdin, 'pageDown'); // everything read before confirming
    await press(app.stdin, key.alias);
    await press(app.stdin, 'enter');
    await seen(app.lastFrame, 'Revoke grant: done');
    const after = await seen(app.lastFrame, '1 grant');
    // The cursor is on the grant that is left.
    expect(lines(after).some((l) => l.startsWith('›') && l.includes('keywarden-test-first'))).toBe(true);
    endpoint.clearRequests();
    await press(app.stdin, 'x');
    const dialog = await seen(app.lastFrame, 'Revoke grant —');
    expect(dialog).not.toContain('no grant to act on');
    for (let i = 0; i < 4; i++) await press(app.stdin, 'pageDown');
    await press(app.stdin, key.alias);
    await press(app.stdin, 'enter');
    await seen(app.lastFrame, 'no grants on this key');
    expect((await kms.send(new ListGrantsCommand({ KeyId: key.arn }))).Grants).toEqual([]);
    expect(mutations()).toEqual(['RevokeGrant']);
  });

  withPeriods('sends nothing for rotation already off (d) or the same period again (e), and replaces the default as typed', async () => {
    const key = await newKey();
    const app = await openKey(key.alias, size);
    await press(app.stdin, '2');
    await seen(app.lastFrame, 'Automatic');
    await press(app.stdin, 'd');
    await seen(app.lastFrame, 'automatic rotation is already off: nothing to change');
    // The period field opens with the default selected: 200 typed over it is 200.
    await press(app.stdin, 'e');
    await seen(app.lastFrame, 'Rotation period in days: 365');
    await press(app.stdin, '200');
    await press(app.stdin, 'enter');
    const preview = await seen(app.lastFrame, 'This API call will be made');
    expect(preview).toContain('every 200 days');
    await press(app.stdin, 'escape');
    await seen(app.lastFrame, 'cancelled: nothing was changed');
    expect(mutations()).toEqual([]);
    // Rotation on every 180 days (outside keywarden): the same 180 again sends nothing.
    await endpoint.clients().kms('us-east-1').send(new EnableKeyRotationCommand({ KeyId: key.arn, RotationPeriodInDays: 180 }));
    await press(app.stdin, 'r');
    await seen(app.lastFrame, 'on, every 180 days');
    endpoint.clearRequests();
    await press(app.stdin, 'e');
    await seen(app.lastFrame, 'Rotation period in days: 180');
    await press(app.stdin, 'enter');
    await seen(app.lastFrame, 'already rotating every 180 days: nothing to change, nothing sent');
    // Ctrl-U erases the field; 180 typed again is still no change.
    await press(app.stdin, 'e');
    await seen(app.lastFrame, 'Rotation period in days: 180');
    await press(app.stdin, '\u0015');
    await press(app.stdin, '180');
    await press(app.stdin, 'enter');
    await seen(app.lastFrame, 'already rotating every 180 days: nothing to change, nothing sent');
    expect(mutations()).toEqual([]);
  });
});

describe('copying from the key detail', () => {
  withGrants('copies the ARN, the key id, the grant id under the cursor and the AWS CLI command of the tab', async () => {
    const key = await newKey();
    const kms = endpoint.clients().kms('us-east-1');
    const grant = await kms.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/keywarden-test-copy', Operations: ['Decrypt'] }));
    const copied: string[] = [];
    const app = await openKey(key.alias, { columns: 140, rows: 40 }, copied);
    const decoded = () => copied.map((sequence) => Buffer.from(/^\u001b\]52;c;([A-Za-z0-9+/=]*)\u0007$/.exec(sequence)![1]!, 'base64').toString('utf8'));
    await press(app.stdin, 'c');
    await seen(app.lastFrame, 'copied the ARN');
    await press(app.stdin, 'y');
    await seen(app.lastFrame, 'copied the key id');
    await press(app.stdin, 'Y');
    await seen(app.lastFrame, 'copied the AWS CLI command');
    await press(app.stdin, '3');
    await seen(app.lastFrame, '1 grant');
    await press(app.stdin, 'c');
    await seen(app.lastFrame, 'copied the grant id');
    await press(app.stdin, 'Y');
    await waitForFrame(app.lastFrame, () => copied.length === 5, { timeoutMs: 15_000 });
    expect(decoded()).toEqual([
      key.arn,
      key.keyId,
      `aws kms describe-key --key-id ${key.arn} --region us-east-1`,
      grant.GrantId,
      `aws kms list-grants --key-id ${key.arn} --region us-east-1 --grant-id ${grant.GrantId}`,
    ]);
    expect(mutations()).toEqual([]);
  });
});
