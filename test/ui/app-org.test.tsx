// The keys list over several accounts (--org against the sandbox organization, real SDK clients
// over HTTP): the ACCOUNT column, the header's scope with the accounts that failed, `:account` to
// narrow to one account and widen again without reading anything again, and the account/ou filter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src/app/connect.js';
import { MultiAccountChangeSource } from '../../src/app/change-source.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { MultiAccountKeySource } from '../../src/aws/multi-account.js';
import { Journal } from '../../src/journal/journal.js';
import { App } from '../../src/ui/app.js';
import { press, waitForFrame, waitForText } from '../helpers/ink.js';

let home: string;
let connection: Connection;
const previousHome = process.env.KEYWARDEN_HOME;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'kw-org-view-'));
  process.env.KEYWARDEN_HOME = home;
  connection = await connect({ regions: ['us-east-1'], sandbox: true, readOnly: false, org: true, sandboxState: join(home, 'state.json') });
});
afterAll(async () => {
  await connection.close();
  if (previousHome === undefined) delete process.env.KEYWARDEN_HOME;
  else process.env.KEYWARDEN_HOME = previousHome;
  rmSync(home, { recursive: true, force: true });
});

const lines = (frame: string | undefined) => (frame ?? '').split('\n');
const rowsOf = (frame: string | undefined, alias: RegExp) => lines(frame).filter((line) => alias.test(line));

describe('several accounts in one keys list', () => {
  it('shows each key’s account, the scope in the header, and narrows with :account without reading again', async () => {
    const source = new MultiAccountKeySource(connection.accounts!, connection.session.regions, new AwsKeySource(connection.clients));
    const changes = new MultiAccountChangeSource(connection.accounts!, connection.now, new Journal(join(home, 'journal.jsonl')));
    // Counts inventory loads: :account narrows what is loaded, it reads nothing again.
    let loads = 0;
    const counted = Object.assign(Object.create(source) as MultiAccountKeySource, {
      loadInventory: (...args: Parameters<MultiAccountKeySource['loadInventory']>) => {
        loads += 1;
        return source.loadInventory(...args);
      },
    });
    const app = render(<App source={counted} changes={changes} session={connection.session} size={{ columns: 160, rows: 60 }} />);
    try {
      await waitForFrame(app.lastFrame, (f) => f.includes('payments/ledger') && f.includes('analytics/warehouse') && f.includes('failed'), { timeoutMs: 20_000 });
      const frame = app.lastFrame();
      expect(lines(frame).some((line) => /^\s*ACCOUNT\s+ALIAS/.test(line) || line.includes('ACCOUNT') && line.includes('ALIAS'))).toBe(true);
      expect(rowsOf(frame, /payments\/ledger/)[0]).toMatch(/payments-prod\s+payments\/ledger/);
      expect(rowsOf(frame, /analytics\/warehouse/)[0]).toMatch(/analytics-prod\s+analytics\/warehouse/);
      // The header: six accounts, two of them not read (research: no role to assume; legacy-archive: suspended).
      expect(lines(frame)[0]).toContain('accounts 4/6 (2 failed)');
      // The READ-ONLY badge: --org without --operator-role changes nothing.
      expect(lines(frame)[0]).toContain('READ-ONLY');

      const before = loads;
      expect(before).toBe(1);
      await press(app.stdin, ':');
      await press(app.stdin, 'account payments');
      await press(app.stdin, 'enter');
      await waitForFrame(app.lastFrame, (f) => !f.includes('analytics/warehouse') && f.includes('payments/ledger'));
      expect(lines(app.lastFrame())[0]).toContain(`account payments-prod (222233334444) of 6`);
      expect(app.lastFrame()).toContain('account payments-prod (222233334444); :account all for every account');
      expect(loads).toBe(before);

      await press(app.stdin, ':');
      await press(app.stdin, 'account nosuch');
      await press(app.stdin, 'enter');
      await waitForText(app.lastFrame, 'no account "nosuch"');

      await press(app.stdin, ':');
      await press(app.stdin, 'account all');
      await press(app.stdin, 'enter');
      await waitForFrame(app.lastFrame, (f) => f.includes('analytics/warehouse') && f.includes('payments/ledger'));
      expect(lines(app.lastFrame())[0]).toContain('accounts 4/6 (2 failed)');

      // A key's detail names its account.
      await press(app.stdin, '/');
      await press(app.stdin, 'payments/ledger');
      await waitForText(app.lastFrame, '1 of');
      await press(app.stdin, 'enter');
      await press(app.stdin, 'enter');
      await waitForFrame(app.lastFrame, (f) => f.includes('Key ID') && !f.includes('loading key'));
      expect(lines(app.lastFrame()).find((line) => /^\s*Account\b/.test(line))).toContain('payments-prod (222233334444) · OU Production');
      await press(app.stdin, 'escape');

      // The filter's account and ou fields (Ctrl-U clears the filter being edited).
      await press(app.stdin, '/');
      await press(app.stdin, '\u0015');
      await press(app.stdin, 'ou:production');
      await waitForFrame(app.lastFrame, (f) => !f.includes('dev/app') && f.includes('analytics/warehouse') && f.includes('payments/ledger'));
      await press(app.stdin, 'escape');
      await press(app.stdin, '/');
      await press(app.stdin, '\u0015');
      await press(app.stdin, 'account:5555');
      await waitForFrame(app.lastFrame, (f) => f.includes('dev/app') && !f.includes('payments/ledger'));
    } finally {
      app.unmount();
      await source.close();
    }
  }, 60_000);
});
