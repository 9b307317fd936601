// The keys list's FIND column and `f` filter against the real sandbox over HTTP: the policy and
// grant findings arrive from the background reader (GetKeyPolicy, ListGrants), so the seeded keys
// whose only findings are in their policy no longer show a blank FIND, and a key stays "…"
// (pending) until everything its findings need is read.

import { CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, RevokeGrantCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { App } from '../../src/ui/app.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { plain, press, waitForFrame } from '../helpers/ink.js';

const size = { columns: 140, rows: 30 };

describe.skipIf(externalEndpoint)('FIND and f with the policy and grant findings', () => {
  let endpoint: TestEndpoint;
  let previousHome: string | undefined;
  beforeAll(async () => {
    previousHome = process.env['KEYWARDEN_HOME'];
    process.env['KEYWARDEN_HOME'] = mkdtempSync(join(tmpdir(), 'kw-find-'));
    endpoint = await openEndpoint();
  });
  afterAll(async () => {
    await endpoint.close();
    if (previousHome === undefined) delete process.env['KEYWARDEN_HOME'];
    else process.env['KEYWARDEN_HOME'] = previousHome;
  });

  it('shows policy findings in FIND once read, keeps pending keys marked, and f keeps keys with findings', async () => {
    const source = new AwsKeySource(endpoint.clients(['us-east-1']));
    const app = render(<App source={source} session={{ regions: ['us-east-1'], sandbox: true, readOnly: true }} size={size} />);
    try {
      // A FIND cell still pending: "…" alone or after a count (not a cut-off LAST USED cell).
      const pendingFind = /\s(?:[!·]\d+)?…\s/;
      const first = plain(app.lastFrame());
      expect(first).toMatch(pendingFind);
      // Everything read: no FIND pending, and no "pending" last use.
      const frame = plain(await waitForFrame(app.lastFrame, (f) => /16 of 16 keys/.test(plain(f)) && !pendingFind.test(plain(f)) && !plain(f).includes('pending'), { timeoutMs: 20_000 }));
      // Fargate: two service findings without aws:SourceArn (low) and the missing guard (low).
      expect(frame).toMatch(/ecs\/fargate-ephemeral\s+(?:\S+\s+)?Enabled\s+·3\s/);
      // Console-style policies: admins may delete with no guard, and no usage guard.
      expect(frame).toMatch(/ebs\/staging-data\s+(?:\S+\s+)?Enabled\s+·2\s/);
      // The one key whose policy has the guard AWS recommends, and nothing else to say.
      expect(frame).toMatch(/cloudtrail\/management-events\s+(?:\S+\s+)?Enabled\s+on 365d/);
      await press(app.stdin, 'f');
      const filtered = plain(await waitForFrame(app.lastFrame, (f) => !plain(f).includes('cloudtrail/management-events'), { timeoutMs: 5_000 }));
      expect(filtered).toContain('ecs/fargate-ephemeral');
    } finally {
      app.unmount();
    }
  });

  it('a fresh read of a key (opening it) reads its policy and grants again, so FIND follows a change', async () => {
    const kms = endpoint.clients(['us-east-1']).kms('us-east-1');
    const created = await kms.send(new CreateKeyCommand({ Description: 'keywarden FIND test' }));
    const arn = created.KeyMetadata!.Arn!;
    const alias = `kw-find-${process.pid}`;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: created.KeyMetadata!.KeyId! }));
    const grant = await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/PaymentsApi', Operations: ['Decrypt'] }));
    const source = new AwsKeySource(endpoint.clients(['us-east-1']));
    const app = render(<App source={source} session={{ regions: ['us-east-1'], sandbox: true, readOnly: true }} size={size} />);
    const cell = (frame: string | undefined) => new RegExp(`${alias}\\s+(?:\\S+\\s+)?Enabled\\s+(\\S+)`).exec(plain(frame))?.[1];
    try {
      // Rotation off, an unconstrained grant (both medium) and no guard (low): !3 once all is read.
      await waitForFrame(app.lastFrame, (f) => cell(f) === '!3', { timeoutMs: 20_000 });
      await kms.send(new RevokeGrantCommand({ KeyId: arn, GrantId: grant.GrantId! }));
      await press(app.stdin, '/');
      await press(app.stdin, alias);
      await press(app.stdin, 'enter');
      await press(app.stdin, 'enter');
      await waitForFrame(app.lastFrame, (f) => plain(f).includes('Key spec'), { timeoutMs: 10_000 });
      await press(app.stdin, 'escape');
      await waitForFrame(app.lastFrame, (f) => cell(f) === '!2', { timeoutMs: 10_000 });
    } finally {
      app.unmount();
    }
  });
});
