// The keys list's FIND column and `f` filter against the real sandbox over HTTP: the policy and
// grant findings arrive from the background reader (GetKeyPolicy, ListGrants), so the seeded keys
// whose only findings are in their policy no longer show a blank FIND, and a key stays "…"
// (pending) until everything its findings need is read.

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
      expect(frame).toMatch(/ecs\/fargate-ephemeral\s+Enabled\s+·3\s/);
      // Console-style policies: admins may delete with no guard, and no usage guard.
      expect(frame).toMatch(/ebs\/staging-data\s+Enabled\s+·2\s/);
      // The one key whose policy has the guard AWS recommends, and nothing else to say.
      expect(frame).toMatch(/cloudtrail\/management-events\s+Enabled\s+on 365d/);
      await press(app.stdin, 'f');
      const filtered = plain(await waitForFrame(app.lastFrame, (f) => !plain(f).includes('cloudtrail/management-events'), { timeoutMs: 5_000 }));
      expect(filtered).toContain('ecs/fargate-ephemeral');
    } finally {
      app.unmount();
    }
  });
});
