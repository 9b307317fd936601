// Last use read in the background, end to end: the built program against a sandbox started here
// (so the test reads the sandbox's request log), in a real terminal (tmux) and as `list --json`.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListAliasesCommand } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { CLI, Terminal } from './terminal.js';

// The sandbox's seeded estate and its trail's log group: not on a third-party endpoint.
let endpoint: TestEndpoint;
beforeAll(async () => {
  if (externalEndpoint) return;
  // Enough keys that reading them all at 5 per second takes a while (about 12 s).
  endpoint = await openEndpoint({ largeEstate: 40 });
  // These tests are about GetKeyLastUsage read in the background. The keys view first fills LAST
  // USED from the trail's log group (Logs Insights) when there is one: take it away here, so every
  // key is read from GetKeyLastUsage (test/aws/last-use.test.ts covers the trail's query).
  const logs = endpoint.clients().logs('us-east-1');
  await logs.send(new DeleteLogGroupCommand({ logGroupName: 'aws-cloudtrail-logs-111122223333-management' }));
});
afterAll(async () => {
  await endpoint?.close();
});

const awsEnv = (home: string) => ({
  AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  KEYWARDEN_HOME: home,
});

function keywarden(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args, '--endpoint-url', endpoint.url],
      { env: { PATH: process.env.PATH ?? '', ...awsEnv(home) }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

const lastUseCalls = () => endpoint.requests().filter((r) => r.operation === 'GetKeyLastUsage');

interface ListedKey {
  arn: string;
  metadata?: { keyManager: string };
  lastUsage: { kind: string; readAt?: string };
}

describe.skipIf(externalEndpoint)('list --json and last use', () => {
  it('includes every key\'s last use with its read time, reuses it within an hour, reads it again after; --no-last-use skips it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-last-use-home-'));
    endpoint.clearRequests();
    const first = await keywarden(['list', '--json', '--all'], home);
    expect(first.code).toBe(0);
    const keys = (JSON.parse(first.stdout) as { keys: ListedKey[] }).keys;
    expect(keys.length).toBeGreaterThan(50);
    for (const key of keys) {
      expect(key.lastUsage.kind, key.arn).toMatch(/^(used|never|not-since-tracking)$/);
      expect(Date.parse(key.lastUsage.readAt ?? '')).toBeGreaterThan(Date.now() - 120_000);
    }
    expect(lastUseCalls()).toHaveLength(keys.length);
    // Not a terminal: a progress line every 5 seconds, with the time left.
    expect(first.stderr).toMatch(/keywarden: last use \d+ of \d+ · 5\/s · about \d+ s/);

    endpoint.clearRequests();
    const cached = await keywarden(['list', '--json', '--all'], home);
    expect(cached.code).toBe(0);
    expect((JSON.parse(cached.stdout) as { keys: ListedKey[] }).keys.map((k) => k.lastUsage)).toEqual(keys.map((k) => k.lastUsage));
    expect(lastUseCalls()).toEqual([]);
    expect(cached.stderr).toBe('');

    // The values on disk are made two hours old: the next run reads every key again.
    const dir = join(home, 'inventory-cache');
    const file = join(dir, readdirSync(dir).find((name) => name.endsWith('.last-use.json'))!);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { values: Record<string, { readAt: string }> };
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    for (const value of Object.values(saved.values)) value.readAt = twoHoursAgo;
    writeFileSync(file, JSON.stringify(saved));
    endpoint.clearRequests();
    const aged = await keywarden(['list', '--json', '--all'], home);
    expect(aged.code).toBe(0);
    expect(lastUseCalls()).toHaveLength(keys.length);
    for (const key of (JSON.parse(aged.stdout) as { keys: ListedKey[] }).keys) expect(key.lastUsage.readAt).not.toBe(twoHoursAgo);

    endpoint.clearRequests();
    const skipped = await keywarden(['list', '--json', '--no-last-use'], mkdtempSync(join(tmpdir(), 'kw-last-use-home-')));
    expect(skipped.code).toBe(0);
    const pending = (JSON.parse(skipped.stdout) as { keys: ListedKey[] }).keys;
    expect(pending.length).toBeGreaterThan(40);
    expect(new Set(pending.map((k) => k.lastUsage.kind))).toEqual(new Set(['pending']));
    expect(lastUseCalls()).toEqual([]);
  }, 120_000);

  it('refuses --no-last-use without list: exit 2, nothing sent', async () => {
    endpoint.clearRequests();
    const run = await keywarden(['show', 'alias/app/orders-queue', '--no-last-use'], mkdtempSync(join(tmpdir(), 'kw-last-use-home-')));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--no-last-use only goes with "list"/);
    expect(endpoint.requests()).toEqual([]);
  });
});

describe.skipIf(externalEndpoint)('the keys view in a terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('shows rows at once with last use pending, the reading in the header, and r re-reads the selected key', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-last-use-home-'));
    endpoint.clearRequests();
    terminal = await Terminal.start({ args: ['--endpoint-url', endpoint.url], env: awsEnv(home) });
    const reading = await terminal.waitFor((screen) => /last use \d+ of \d+ · 5\/s · about \d+ s/.test(screen) && !screen.includes('loading keys'));
    expect(reading).toMatch(/pending/);
    // G selects the last row: its key is read next, ahead of every key still waiting. (Rows may
    // still be arriving, sorted in above the selection: it stays on its key.)
    const before = lastUseCalls().length;
    await terminal.type('G');
    const selectedLine = (screen: string) => screen.split('\n').find((line) => line.startsWith('›')) ?? '';
    // The key a line names: a key without an alias is listed by its whole id, under KEY ID when that
    // column shows (ALIAS says —), else in ALIAS.
    const selectedKey = (screen: string) => {
      const words = selectedLine(screen).slice(2).trim().split(/\s+/);
      return (words[0] === '—' ? words[1] : words[0]) ?? '';
    };
    // The selection has moved when the selected row is another key. (Not when its line changes:
    // the first row's own last use, read first as it is selected, can arrive before G is handled,
    // and that row would be taken for the last one.)
    const atBottom = await terminal.waitFor((screen) => selectedKey(screen) !== '' && selectedKey(screen) !== selectedKey(reading));
    const selectedAlias = selectedKey(atBottom);
    const aliases = await endpoint.clients().kms('us-east-1').send(new ListAliasesCommand({ Limit: 100 }));
    const target = aliases.Aliases!.find((a) => a.AliasName === `alias/${selectedAlias}`)?.TargetKeyId ?? selectedAlias;
    expect(target).toMatch(/^[0-9a-f-]{8,36}$/);
    const isTarget = (c: { params: unknown }) => (String((c.params as { KeyId: string }).KeyId).split('/').pop() ?? '').startsWith(target);
    const readsOf = () => lastUseCalls().filter(isTarget);
    await terminal.waitFor((screen) => !selectedLine(screen).includes('pending'));
    expect(readsOf()).toHaveLength(1);
    // Only the reads already granted when G was pressed (at most the two in flight, and one
    // whose token was granted as the screen changed) came between.
    expect(lastUseCalls().findIndex(isTarget)).toBeLessThanOrEqual(before + 3);
    expect(lastUseCalls().length).toBeLessThan(40);

    await terminal.type('r');
    // The selected key is read again next (a fraction of a second here); the bound only allows for
    // a loaded test run (waits, does not time the product).
    await expect.poll(() => readsOf().length, { timeout: 30_000 }).toBe(2);
    // Every row ends with a value; the header's progress goes once all are read.
    const done = await terminal.waitFor((screen) => !screen.includes('last use ') && !screen.includes('pending'), 40_000);
    expect(done).not.toMatch(/\?\s*$/m);
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  }, 150_000);
  it('quitting while reading keeps every value read so far on disk', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kw-last-use-home-'));
    terminal = await Terminal.start({ args: ['--endpoint-url', endpoint.url], env: awsEnv(home) });
    await terminal.waitFor(/last use [1-9]\d* of \d+ · 5\/s/);
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
    const dir = join(home, 'inventory-cache');
    const file = join(dir, readdirSync(dir).find((name) => name.endsWith('.last-use.json'))!);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { values: Record<string, unknown> };
    expect(Object.keys(saved.values).length).toBeGreaterThan(0);
    expect(Object.keys(saved.values).length).toBeLessThan(50); // quit before the reading ended
  }, 60_000);
});
