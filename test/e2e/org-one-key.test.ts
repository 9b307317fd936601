// One key's commands with several accounts (--org), the program built, against a sandbox in this
// test process so the test sees every request that reached it: `show`, `rotation enable`,
// `retire start|advance|status|rollback` of a member account's key, named by its ARN, work in that account
// only — its reading role for reads, --operator-role for changes (journalled with it), nothing
// assumed in any other account, no inventory read — and are refused, with nothing sent, for a key
// not named by its ARN, an account out of scope, or a change without --operator-role.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { uuidFor } from '../../src/sandbox/crypto.js';
import { ANALYTICS_ACCOUNT, DEV_ACCOUNT, PAYMENTS_ACCOUNT, memberKeyName } from '../../src/sandbox/organization.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { CLI } from './terminal.js';

const MUTATING = /^(Enable|Disable|Rotate|Retire|Revoke|Create|Schedule|Cancel|Put|Tag|Untag|Delete|Update|Replicate)/;
const SCRATCH = `arn:aws:kms:us-east-1:${ANALYTICS_ACCOUNT}:key/${uuidFor(memberKeyName(ANALYTICS_ACCOUNT, 'scratch'))}`;
const LEDGER = `arn:aws:kms:us-east-1:${PAYMENTS_ACCOUNT}:key/${uuidFor(memberKeyName(PAYMENTS_ACCOUNT, 'ledger'))}`;
const OPERATOR = `arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/KeywardenOperator/keywarden-alice`;

let endpoint: TestEndpoint;
let home: string;
beforeAll(async () => {
  endpoint = await openEndpoint();
});
afterAll(async () => {
  await endpoint.close();
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'kw-org-key-'));
  endpoint.clearRequests();
});

function keywarden(args: string[], env: Record<string, string> = {}, url = endpoint.url): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args, '--endpoint-url', url],
      {
        env: {
          PATH: process.env.PATH ?? '',
          USER: 'alice',
          KEYWARDEN_HOME: home,
          AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

// The sandbox's own log (these tests need its organization): each request with its caller.
const requests = () => endpoint.sandbox!.requests();
/** The roles assumed (AssumeRole's RoleArn), in order. */
const assumed = () => requests().filter((r) => r.operation === 'AssumeRole').map((r) => (r.params as { RoleArn: string }).RoleArn);
const mutations = () => requests().filter((r) => r.service === 'kms' && MUTATING.test(r.operation));
const accountOfCaller = (caller: string) => /^arn:aws:(?:sts|iam)::(\d{12}):/.exec(caller)?.[1];
type JournalEntry = { phase: string; action: string; account: string; caller: string; keyArn: string };
const journal = (): JournalEntry[] =>
  readFileSync(join(home, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JournalEntry);

describe.skipIf(externalEndpoint !== undefined)('one key of a member account with --org', () => {
  it("show --org KEY_ARN: read in the key's account through --org-role alone; no other account's role, no inventory", async () => {
    const run = await keywarden(['show', SCRATCH, '--json', '--org']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { account: string; accountName: string; caller: string; row: { arn: string; aliases: string[] } };
    expect(doc).toMatchObject({ account: ANALYTICS_ACCOUNT, accountName: 'analytics-prod', caller: `arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/OrganizationAccountAccessRole/keywarden-alice` });
    expect(doc.row).toMatchObject({ arn: SCRATCH, aliases: ['alias/analytics/scratch'] });
    // Organizations is read to check the account is in scope; one role is assumed, in the key's account.
    expect(requests().some((r) => r.operation === 'ListAccounts')).toBe(true);
    expect(assumed()).toEqual([`arn:aws:iam::${ANALYTICS_ACCOUNT}:role/OrganizationAccountAccessRole`]);
    const kms = requests().filter((r) => r.service === 'kms');
    expect(kms.length).toBeGreaterThan(0);
    expect(kms.filter((r) => accountOfCaller(r.caller) !== ANALYTICS_ACCOUNT)).toEqual([]);
    // One key's detail, not an account's inventory: no ListKeys, no ListAliases of the whole account.
    expect(kms.filter((r) => r.operation === 'ListKeys')).toEqual([]);
    expect(kms.length).toBeLessThan(15);

    const text = await keywarden(['show', SCRATCH, '--org', '--org-role', 'KeywardenReadOnly']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Account\s+analytics-prod \(333344445555\)\nKey\s+arn:aws:kms:us-east-1:333344445555:key\//);
  }, 60_000);

  it('rotation enable --org --operator-role: the member key changes through the operator role in its account, journalled with the account and that session', async () => {
    const run = await keywarden(['rotation', 'enable', SCRATCH, '--org', '--operator-role', 'KeywardenOperator', '--period', '180', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, key: SCRATCH, call: { operation: 'EnableKeyRotation' }, after: { rotation: { kind: 'enabled', periodDays: 180 } } });
    expect(mutations().map((r) => [r.operation, r.caller])).toEqual([['EnableKeyRotation', OPERATOR]]);
    // Only the operator role of the key's account: not the reading role, not any other account's.
    expect(assumed()).toEqual([`arn:aws:iam::${ANALYTICS_ACCOUNT}:role/KeywardenOperator`]);
    // What the interactive view writes for a member account's change (test/e2e/org.test.ts): the account and the assumed-role ARN.
    expect(journal().map((e) => [e.phase, e.action, e.account, e.caller, e.keyArn])).toEqual([
      ['intent', 'EnableKeyRotation', ANALYTICS_ACCOUNT, OPERATOR, SCRATCH],
      ['result', 'EnableKeyRotation', ANALYTICS_ACCOUNT, OPERATOR, SCRATCH],
    ]);
  }, 60_000);

  it("a change without --operator-role is refused in the interactive view's words (exit 1): nothing assumed, nothing sent to the key", async () => {
    for (const args of [
      ['rotation', 'disable', LEDGER],
      ['key', 'disable', LEDGER],
      ['guard', 'add', LEDGER],
      ['grants', 'revoke', LEDGER, 'abc123'],
      ['retire', 'start', LEDGER],
    ]) {
      endpoint.clearRequests();
      const run = await keywarden([...args, '--org', '--yes']);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toContain(`read-only: with --org keywarden changes a key only through a role in its own account; start it with --operator-role NAME to change keys in payments-prod (${PAYMENTS_ACCOUNT})`);
      expect(assumed()).toEqual([]);
      expect(requests().filter((r) => r.service === 'kms')).toEqual([]);
    }
    // With --operator-role, --read-only still refuses every change, as with one account.
    endpoint.clearRequests();
    const readOnly = await keywarden(['key', 'disable', LEDGER, '--org', '--operator-role', 'KeywardenOperator', '--read-only', '--yes']);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain('read-only mode: no change was made and no request was sent');
    expect(assumed()).toEqual([]);
    expect(requests().filter((r) => r.service === 'kms')).toEqual([]);
  }, 120_000);

  it('retire start --org --operator-role, then retire status --org (every account, and the key), retire advance (the alarm on its own trail), then retire rollback', async () => {
    const operator = ['--org', '--operator-role', 'KeywardenOperator'];
    const start = await keywarden(['retire', 'start', SCRATCH, ...operator, '--yes', '--json']);
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ done: expect.stringContaining('the key is disabled'), keyState: 'Disabled', record: { keyArn: SCRATCH, account: ANALYTICS_ACCOUNT, startedBy: OPERATOR, stage: 'disabled' } });
    expect(mutations().map((r) => [r.operation, r.caller])).toContainEqual(['DisableKey', OPERATOR]);
    expect(new Set(assumed())).toEqual(new Set([`arn:aws:iam::${ANALYTICS_ACCOUNT}:role/KeywardenOperator`]));
    expect(journal().filter((e) => e.action === 'DisableKey').map((e) => [e.account, e.caller])).toEqual([
      [ANALYTICS_ACCOUNT, OPERATOR],
      [ANALYTICS_ACCOUNT, OPERATOR],
    ]);
    const record = JSON.parse(readFileSync(join(home, 'retirements', readdirSync(join(home, 'retirements')).find((f) => f.endsWith('.json'))!), 'utf8')) as { account: string; startedBy: string };
    expect(record).toMatchObject({ account: ANALYTICS_ACCOUNT, startedBy: OPERATOR });

    // Every account's retirements, each read in its own account.
    const all = await keywarden(['retire', 'status', '--org', '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ retirements: [{ accountId: ANALYTICS_ACCOUNT, accountName: 'analytics-prod', keyState: 'Disabled', record: { keyArn: SCRATCH, stage: 'disabled' } }] });
    const allText = await keywarden(['retire', 'status', '--org']);
    expect(allText.stdout).toMatch(/^analytics-prod\s+analytics\/scratch\s+disabled\s+key Disabled/);
    // One key's, read through the reading role of its account (nothing changed, no operator role).
    endpoint.clearRequests();
    const one = await keywarden(['retire', 'status', SCRATCH, '--org', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ keyState: 'Disabled', record: { keyArn: SCRATCH, stage: 'disabled' } });
    expect(assumed()).toEqual([`arn:aws:iam::${ANALYTICS_ACCOUNT}:role/OrganizationAccountAccessRole`]);
    expect(mutations()).toEqual([]);

    // The alarm: a metric filter on the analytics account's own trail's log group, and an alarm on
    // it, made through the operator role there.
    endpoint.clearRequests();
    const armed = await keywarden(['retire', 'advance', SCRATCH, ...operator, '--yes', '--json']);
    expect(armed.code, armed.stderr).toBe(0);
    expect(JSON.parse(armed.stdout)).toMatchObject({ record: { stage: 'watching' } });
    const made = requests().filter((r) => r.operation === 'PutMetricFilter' || r.operation === 'PutMetricAlarm');
    expect(made.map((r) => [r.operation, r.caller, r.status])).toEqual([
      ['PutMetricFilter', OPERATOR, 200],
      ['PutMetricAlarm', OPERATOR, 200],
    ]);
    expect(made[0]!.params).toMatchObject({ logGroupName: `aws-cloudtrail-logs-${ANALYTICS_ACCOUNT}-management` });

    endpoint.clearRequests();
    const back = await keywarden(['retire', 'rollback', SCRATCH, ...operator, '--yes', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ keyState: 'Enabled', record: { stage: 'closed' } });
    expect(requests().filter((r) => r.operation === 'DeleteMetricFilter' || r.operation === 'DeleteAlarms').map((r) => [r.operation, r.caller])).toEqual([
      ['DeleteAlarms', OPERATOR],
      ['DeleteMetricFilter', OPERATOR],
    ]);
    expect(mutations().map((r) => [r.operation, r.caller])).toContainEqual(['EnableKey', OPERATOR]);
    expect(journal().filter((e) => e.action === 'EnableKey').map((e) => [e.account, e.caller])).toEqual([
      [ANALYTICS_ACCOUNT, OPERATOR],
      [ANALYTICS_ACCOUNT, OPERATOR],
    ]);
  }, 120_000);

  it("under an organization trail, a member key's alarm is refused before anything is made: the trail's log group is in the management account", async () => {
    const org = await openEndpoint({ organizationId: 'o-a1b2c3d4e5' });
    try {
      const operator = ['--org', '--operator-role', 'KeywardenOperator'];
      const start = await keywarden(['retire', 'start', SCRATCH, ...operator, '--yes', '--json'], {}, org.url);
      expect(start.code, start.stderr).toBe(0);
      org.clearRequests();
      const armed = await keywarden(['retire', 'advance', SCRATCH, ...operator, '--yes'], {}, org.url);
      expect(armed.code, armed.stderr).toBe(1);
      expect(armed.stderr).toContain("management-events: delivers to log group aws-cloudtrail-logs-111122223333-management in account 111122223333 (an organization trail's logs are in the account that owns it), where an alarm made in this account (" + ANALYTICS_ACCOUNT + ') cannot watch');
      expect(org.sandbox!.requests().filter((r) => r.service === 'logs' || r.service === 'monitoring').map((r) => r.operation)).not.toContain('PutMetricFilter');
      const back = await keywarden(['retire', 'rollback', SCRATCH, ...operator, '--yes', '--json'], {}, org.url);
      expect(back.code, back.stderr).toBe(0);
    } finally {
      await org.close();
    }
  }, 120_000);

  it("report --org KEY_ARN: the evidence read in the key's account through its reading role alone", async () => {
    const run = await keywarden(['report', SCRATCH, '--format', 'json', '--org']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ generatedBy: { account: ANALYTICS_ACCOUNT } });
    expect(assumed()).toEqual([`arn:aws:iam::${ANALYTICS_ACCOUNT}:role/OrganizationAccountAccessRole`]);
    expect(mutations()).toEqual([]);
    expect(await keywarden(['report', 'alias/analytics/scratch', '--org'])).toMatchObject({ code: 2, stderr: expect.stringContaining('name the key by its ARN') });
  }, 60_000);

  it('a key not named by its ARN is a usage error (exit 2) before anything is sent', async () => {
    for (const args of [
      ['show', 'alias/analytics/scratch'],
      ['rotation', 'enable', 'alias/analytics/scratch', '--operator-role', 'KeywardenOperator', '--yes'],
      ['key', 'disable', uuidFor(memberKeyName(ANALYTICS_ACCOUNT, 'scratch')), '--yes'],
      ['guard', 'remove', 'analytics/scratch', '--yes'],
      ['retire', 'status', 'alias/analytics/scratch'],
    ]) {
      const run = await keywarden([...args, '--org']);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('with several accounts, name the key by its ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)');
    }
    expect(requests()).toEqual([]);
  }, 120_000);

  it('an account out of scope (--accounts without it) is refused, in words (exit 1): no role assumed, nothing sent to the key', async () => {
    const run = await keywarden(['show', SCRATCH, '--org', '--accounts', `${PAYMENTS_ACCOUNT},${DEV_ACCOUNT}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`account ${ANALYTICS_ACCOUNT} is not among the accounts keywarden reads (--accounts, --ou, --profiles): nothing was sent to it`);
    const change = await keywarden(['key', 'disable', SCRATCH, '--org', '--operator-role', 'KeywardenOperator', '--accounts', PAYMENTS_ACCOUNT, '--yes']);
    expect(change.code).toBe(1);
    expect(change.stderr).toContain(`account ${ANALYTICS_ACCOUNT} is not among the accounts keywarden reads`);
    expect(assumed()).toEqual([]);
    expect(requests().filter((r) => r.service === 'kms')).toEqual([]);
  }, 60_000);

  it("--profiles: the key's account is the profile's, read and changed with that profile's credentials; --read-only refuses before anything is sent", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-org-key-profiles-'));
    writeFileSync(join(dir, 'config'), '[profile ops]\nregion = us-east-1\n[profile etl]\nregion = us-east-1\n');
    writeFileSync(join(dir, 'credentials'), `[ops]\naws_access_key_id = ${SANDBOX_CREDENTIALS.accessKeyId}\naws_secret_access_key = x\n[etl]\naws_access_key_id = AKIAKEYWARDENANALYTICS\naws_secret_access_key = x\n`);
    const env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
    const etl = `arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/AnalyticsEtl/etl-nightly`;
    const show = await keywarden(['show', SCRATCH, '--json', '--profiles', 'ops,etl'], env);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ account: ANALYTICS_ACCOUNT, accountName: 'etl', caller: etl, row: { arn: SCRATCH } });
    const kms = requests().filter((r) => r.service === 'kms');
    expect(kms.length).toBeGreaterThan(0);
    expect(kms.filter((r) => r.caller !== etl)).toEqual([]);
    expect(assumed()).toEqual([]);

    endpoint.clearRequests();
    const readOnly = await keywarden(['key', 'disable', SCRATCH, '--profiles', 'ops,etl', '--read-only', '--yes'], env);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain('read-only mode: no change was made and no request was sent');
    expect(requests().filter((r) => r.service === 'kms')).toEqual([]);

    // The ETL role's IAM allows using keys, not changing them: AWS refuses the change, sent as etl in its account.
    endpoint.clearRequests();
    const change = await keywarden(['key', 'disable', SCRATCH, '--profiles', 'ops,etl', '--yes'], env);
    expect(change.code).toBe(1);
    expect(change.stderr).toMatch(/not authorized|AccessDenied/);
    const sent = requests().filter((r) => r.service === 'kms');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((r) => r.caller !== etl)).toEqual([]);
    expect(mutations().filter((r) => r.status < 400)).toEqual([]);
  }, 60_000);
});
