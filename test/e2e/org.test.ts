// --sandbox --org end to end (the program built, in tmux): every account of the sandbox
// organization in one table, the two accounts that cannot be read marked, `:account` narrowing
// and widening; a change in a member account through --operator-role, journalled with the
// assumed role; `list --org --json` with each key's account.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Terminal } from './terminal.js';

function keywarden(args: string[], home = mkdtempSync(join(tmpdir(), 'kw-cli-home-'))): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', USER: 'alice', KEYWARDEN_HOME: home, AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

let terminal: Terminal | undefined;
afterEach(async () => {
  await terminal?.close();
  terminal = undefined;
});

describe('--sandbox --org', () => {
  it('list --json: every key with its account; the accounts that cannot be read are reported (exit 1)', async () => {
    const run = await keywarden(['list', '--json', '--sandbox', '--org', '--no-last-use']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as { accounts: Array<{ accountId: string; accountName: string; error?: string }>; keys: Array<{ accountId: string; accountName: string; aliases: string[] }>; regionErrors: Array<{ accountId: string }> };
    expect(doc.accounts.map((a) => a.accountName)).toEqual(['keywarden-management', 'payments-prod', 'analytics-prod', 'dev-sandbox', 'research', 'legacy-archive']);
    expect(doc.keys.find((k) => k.aliases.includes('alias/payments/ledger'))).toMatchObject({ accountId: '222233334444', accountName: 'payments-prod' });
    expect(new Set(doc.regionErrors.map((e) => e.accountId))).toEqual(new Set(['888899990000', '666677778888']));
    expect(await keywarden(['list', '--sandbox', '--accounts', '222233334444'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--accounts goes with --org') });
  });

  it('usage --org: the key read in its own account, its callers from other accounts grouped and named; retirements --org', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-cli-home-'));
    const list = JSON.parse((await keywarden(['list', '--json', '--sandbox', '--org', '--no-last-use', '--accounts', '222233334444'], home)).stdout) as { keys: Array<{ arn: string; aliases: string[] }> };
    const ledger = list.keys.find((k) => k.aliases.includes('alias/payments/ledger'))!;
    const run = await keywarden(['usage', ledger.arn, '--json', '--sandbox', '--org', '--accounts', '222233334444,333344445555'], home);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { account: string; outsideAccounts: Array<{ accountId: string; accountName?: string; count: number; callers: Array<{ id: string }> }> };
    expect(doc.account).toBe('222233334444');
    expect(doc.outsideAccounts.map((g) => [g.accountId, g.accountName])).toEqual([['333344445555', 'analytics-prod']]);
    expect(doc.outsideAccounts[0]!.count).toBeGreaterThan(0);
    expect(doc.outsideAccounts[0]!.callers.map((c) => c.id)).toContain('arn:aws:iam::333344445555:role/AnalyticsEtl');
    // 30 days, every Monday: analytics-prod's ReportingBatch is refused by its own IAM, so only
    // analytics-prod's trail has it — read there and added to its group with the error code.
    const month = await keywarden(['usage', ledger.arn, '--json', '--days', '30', '--sandbox', '--org', '--accounts', '222233334444,333344445555'], home);
    expect(month.code).toBe(0);
    const monthDoc = JSON.parse(month.stdout) as {
      outsideAccounts: Array<{ accountId: string; errorCodes: Array<{ code: string }>; fromCallerTrail?: { failed: number; errorCodes: Array<{ code: string }> }; callers: Array<{ id: string; fromCallerTrail?: number }> }>;
      callerTrails: { read: boolean; accounts: Array<{ accountId: string; status: string; onlyThere: number }> };
    };
    const analytics = monthDoc.outsideAccounts.find((g) => g.accountId === '333344445555')!;
    expect(analytics.errorCodes.map((e) => e.code)).toContain('AccessDenied');
    expect(analytics.fromCallerTrail!.errorCodes).toEqual([{ code: 'AccessDenied', count: analytics.fromCallerTrail!.failed }]);
    expect(analytics.callers.find((c) => c.id === 'arn:aws:iam::333344445555:role/ReportingBatch')!.fromCallerTrail).toBe(analytics.fromCallerTrail!.failed);
    expect(monthDoc.callerTrails).toMatchObject({ read: true, accounts: [{ accountId: '333344445555', status: 'read', onlyThere: analytics.fromCallerTrail!.failed }] });
    // In words: the Events line says the refusals found only in the callers' trails are counted below.
    const monthText = await keywarden(['usage', ledger.arn, '--days', '30', '--sandbox', '--org', '--accounts', '222233334444,333344445555'], home);
    expect(monthText.stdout).toMatch(new RegExp(`^Events +\\d+ \\(\\d+ failed, \\d+ dry runs\\); ${analytics.fromCallerTrail!.failed} more refused, only in callers' own trails \\(below\\)`, 'm'));
    // One account: one trail, and the document says what that leaves out.
    const single = JSON.parse((await keywarden(['usage', 'alias/app/payments-db', '--json', '--sandbox'], home)).stdout) as { callerTrails: { read: boolean; note: string } };
    expect(single.callerTrails).toEqual({ read: false, note: expect.stringContaining('only in that account') });
    const text = await keywarden(['usage', ledger.arn, '--sandbox', '--org', '--accounts', '222233334444'], home);
    // analytics-prod is not among the accounts read here: its name comes from Organizations.
    expect(text.stdout).toMatch(/From other accounts\n\s+\d+\s+analytics-prod \(333344445555\)/);
    // Only payments-prod is read: no other account's trail to read, and it says so.
    expect(text.stdout).toContain("Other accounts' trails: none read (only the key's own account is among the accounts read)");
    // An alias does not say which account: refused with the reason (exit 2).
    expect(await keywarden(['usage', 'alias/payments/ledger', '--sandbox', '--org'], home)).toMatchObject({ code: 2, stderr: expect.stringContaining('name the key by its ARN') });
    const retirements = await keywarden(['retirements', '--json', '--sandbox', '--org'], home);
    expect(retirements).toMatchObject({ code: 0 });
    expect(JSON.parse(retirements.stdout)).toEqual({ retirements: [] });
  }, 90_000);

  it("findings --org: every account's keys checked, each finding in its key's account; --import is refused (one account at a time)", async () => {
    const run = await keywarden(['findings', '--json', '--sandbox', '--org']);
    // Two accounts cannot be read (suspended, no role): reported, exit 1.
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as { account: string; findings: Array<{ id: string; key: { arn: string; account: string } }> };
    const accounts = new Set(doc.findings.map((f) => f.key.account));
    expect(accounts.size).toBeGreaterThan(1);
    expect(accounts).toContain('222233334444');
    for (const f of doc.findings) expect(f.key.arn.split(':')[4]).toBe(f.key.account);
    // BatchImportFindings takes only the caller's own account's findings: --import is one account at a time.
    const imported = await keywarden(['findings', '--import', '--sandbox', '--org']);
    expect(imported).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('--import sends one account\'s findings') });
  });

  it('the Usage tab at 80×24: a member role refused by its own IAM shows under its account, from its own trail; the trails not read are named', async () => {
    terminal = await Terminal.start({ args: ['--sandbox', '--org'], env: { USER: 'alice' }, columns: 80, rows: 24 });
    await terminal.waitFor((s) => s.includes('accounts 4/6 (2 failed)') && !s.includes('loading keys'), 30_000);
    await terminal.type('/payments/ledger');
    await terminal.waitFor(/1 of \d+ keys/, 30_000);
    await terminal.press('Enter');
    await terminal.press('Enter');
    await terminal.waitFor('Overview', 30_000);
    await terminal.type('5'); // the Usage tab
    await terminal.waitFor(/Events\s+\d+/, 30_000);
    // 30 days: analytics-prod's ReportingBatch tries the ledger key every Monday.
    await terminal.type('w');
    await terminal.waitFor(/Window.*30 d/, 30_000);
    let screen = await terminal.waitFor(/Events\s+\d+/, 30_000);
    // Scroll until the other accounts' section heads the body (the line under the window bar).
    const heading = (s: string) => s.split('\n').findIndex((row) => row.startsWith('Window')) + 1;
    for (let i = 0; i < 60 && !(screen.split('\n')[heading(screen)] ?? '').startsWith('From other accounts'); i += 1) {
      const before = screen;
      await terminal.type('j');
      // A loaded machine may take a while to draw the scroll; the loop asks again.
      screen = await terminal.waitFor((s) => s !== before, 5_000).catch(() => before);
    }
    screen = await terminal.waitFor((s) => /Own trails: 3 of 5 accounts read \(30 d\)/.test(s), 20_000);
    const rows = screen.split('\n');
    expect(rows.every((row) => row.length <= 80)).toBe(true);
    const joined = screen.replace(/\s+/g, ' ');
    expect(joined).toMatch(/analytics-prod \(333344445555\) last .* \(\d+ failed\): AccessDenied ×\d+ · \d+ in its own trail only/);
    expect(joined).toMatch(/role ReportingBatch \(account 333344445555\) Decrypt \((\d+) failed, \1 in own trail\)/);
    expect(joined).toContain('not read: research (888899990000)');
    await terminal.type('q');
    await terminal.type('q');
    await terminal.waitFor('[exit:0]');
  }, 120_000);

  it('one table of every account; :account narrows and widens it', async () => {
    terminal = await Terminal.start({ args: ['--sandbox', '--org'], env: { USER: 'alice' } });
    const screen = await terminal.waitFor((s) => s.includes('payments/ledger') && s.includes('analytics/warehouse') && s.includes('accounts 4/6 (2 failed)'));
    expect(screen).toMatch(/ACCOUNT\s+ALIAS/);
    expect(screen).toContain('READ-ONLY');
    await terminal.type(':account dev');
    await terminal.press('Enter');
    await terminal.waitFor((s) => s.includes('dev/app') && !s.includes('payments/ledger') && s.includes('account dev-sandbox (555566667777) of 6'));
    await terminal.type(':account all');
    await terminal.press('Enter');
    await terminal.waitFor((s) => s.includes('payments/ledger') && s.includes('dev/app'));
    await terminal.type('q');
    await terminal.waitFor('[exit:0]');
  });

  it('a new user browses every account, narrows to one, and changes a member account’s key through --operator-role, journalled with it', async () => {
    terminal = await Terminal.start({ args: ['--sandbox', '--org', '--operator-role', 'KeywardenOperator'], env: { USER: 'alice' }, columns: 160, rows: 40 });
    const all = await terminal.waitFor((s) => s.includes('payments/ledger') && s.includes('dev/app') && s.includes('accounts 4/6 (2 failed)'));
    // With an operator role, changes are possible: no READ-ONLY badge.
    expect(all).not.toContain('READ-ONLY');
    await terminal.type(':account dev-sandbox');
    await terminal.press('Enter');
    await terminal.waitFor((s) => s.includes('account dev-sandbox (555566667777) of 6') && !s.includes('payments/ledger'));
    await terminal.type('/dev/app');
    await terminal.waitFor(/1 of \d+ keys/);
    await terminal.press('Enter');
    await terminal.press('Enter');
    await terminal.waitFor('Key spec');
    await terminal.type('2');
    await terminal.waitFor(/Automatic\s+on, every 90 days/);
    await terminal.type('e');
    await terminal.waitFor('Rotation period in days: 90');
    await terminal.press('BSpace', 'BSpace');
    await terminal.type('180');
    await terminal.press('Enter');
    await terminal.waitFor('EnableKeyRotation');
    await terminal.press('Enter');
    await terminal.waitFor(/Automatic\s+on, every 180 days/);
    await terminal.type('q');
    await terminal.waitFor('[exit:0]');
    // The journal: the key of dev-sandbox, changed by the operator role assumed in dev-sandbox.
    const journal = await keywarden(['journal', '--json'], terminal.home);
    const entries = (JSON.parse(journal.stdout) as { entries: Array<{ keyArn: string; caller: string; action: string; phase?: string }> }).entries;
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry.keyArn).toMatch(/^arn:aws:kms:us-east-1:555566667777:key\//);
      expect(entry.caller).toBe('arn:aws:sts::555566667777:assumed-role/KeywardenOperator/keywarden-alice');
      expect(entry.action).toBe('EnableKeyRotation');
    }
  });
});
