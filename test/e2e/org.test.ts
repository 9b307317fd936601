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
    const text = await keywarden(['usage', ledger.arn, '--sandbox', '--org', '--accounts', '222233334444'], home);
    // analytics-prod is not among the accounts read here: its name comes from Organizations.
    expect(text.stdout).toMatch(/From other accounts\n\s+\d+\s+analytics-prod \(333344445555\)/);
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
