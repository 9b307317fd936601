// --sandbox --org end to end (the program built, in tmux): every account of the sandbox
// organization in one table, the two accounts that cannot be read marked, `:account` narrowing
// and widening; `list --org --json` with each key's account.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Terminal } from './terminal.js';

function keywarden(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', USER: 'alice', KEYWARDEN_HOME: mkdtempSync(join(tmpdir(), 'kw-cli-home-')), AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 60_000 },
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
});
