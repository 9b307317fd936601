import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Journal, orphanResults, pairEntries, parseJournal, type IntentFields, type JournalEntry } from './journal.js';
import { REDACTED } from './redact.js';

const isPosix = process.platform !== 'win32';
const KEY_A = 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444';
const KEY_B = 'arn:aws:kms:eu-west-1:111122223333:key/bbbbbbbb-1111-2222-3333-444444444444';

function intentFields(overrides: Partial<IntentFields> = {}): IntentFields {
  return {
    action: 'DisableKey',
    account: '111122223333',
    region: 'eu-west-1',
    caller: 'arn:aws:sts::111122223333:assumed-role/Operator/alice',
    keyArn: KEY_A,
    params: { KeyId: KEY_A },
    ...overrides,
  };
}

let home: string;

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'keywarden-journal-'));
  vi.stubEnv('KEYWARDEN_HOME', path.join(home, 'data'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await fs.rm(home, { recursive: true, force: true });
});

describe('Journal', () => {
  it('defaults to journal.jsonl under KEYWARDEN_HOME', () => {
    expect(new Journal().path).toBe(path.join(home, 'data', 'journal.jsonl'));
  });

  it('reads a missing journal as empty', async () => {
    expect(await new Journal().read()).toEqual({ entries: [], problems: [] });
  });

  it('round-trips an intent and its result', async () => {
    const now = new Date('2025-06-01T12:00:00.000Z');
    const journal = new Journal(undefined, { now: () => now });
    const intent = await journal.recordIntent(intentFields());
    const result = await journal.recordResult(intent, { ok: true, requestId: 'req-1', response: { KeyId: KEY_A } });

    expect(intent).toMatchObject({ v: 1, phase: 'intent', time: '2025-06-01T12:00:00.000Z', action: 'DisableKey', keyArn: KEY_A });
    expect(intent.intentId).toBeUndefined();
    expect(result).toMatchObject({ phase: 'result', intentId: intent.id, action: 'DisableKey', outcome: { ok: true, requestId: 'req-1' } });
    expect(result.id).not.toBe(intent.id);

    const read = await journal.read();
    expect(read.problems).toEqual([]);
    expect(read.entries).toEqual([intent, result]);

    const text = await fs.readFile(journal.path, 'utf8');
    expect(text.split('\n')).toHaveLength(3); // two lines, each ending in '\n'
  });

  it('records a failure outcome', async () => {
    const journal = new Journal();
    const intent = await journal.recordIntent(intentFields());
    await journal.recordResult(intent, { ok: false, code: 'KMSInvalidStateException', message: 'key is pending deletion', requestId: 'r' });
    const [, result] = (await journal.read()).entries;
    expect(result?.outcome).toEqual({ ok: false, code: 'KMSInvalidStateException', message: 'key is pending deletion', requestId: 'r' });
  });

  it.runIf(isPosix)('creates the file 0600 in a 0700 directory', async () => {
    const journal = new Journal();
    await journal.recordIntent(intentFields());
    expect((await fs.stat(journal.path)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(journal.path))).mode & 0o777).toBe(0o700);
  });

  it.runIf(isPosix)('tightens an existing journal file that is readable by others', async () => {
    const journal = new Journal();
    await fs.mkdir(path.dirname(journal.path), { recursive: true });
    await fs.writeFile(journal.path, '', { mode: 0o644 });
    await fs.chmod(journal.path, 0o644);
    await journal.recordIntent(intentFields());
    expect((await fs.stat(journal.path)).mode & 0o777).toBe(0o600);
  });

  it('writes the line, then fsyncs the file, before the record call resolves', async () => {
    const journal = new Journal();
    await journal.recordIntent(intentFields()); // creates the file
    const probe = await fs.open(journal.path, 'r');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => unknown; sync: () => Promise<void> };
    await probe.close();
    const calls: string[] = [];
    const realWrite = proto.write;
    const realSync = proto.sync;
    vi.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      calls.push('write');
      return realWrite.apply(this, args);
    });
    vi.spyOn(proto, 'sync').mockImplementation(function (this: unknown) {
      calls.push('sync');
      return realSync.apply(this);
    });

    await journal.recordIntent(intentFields({ action: 'EnableKey' }));
    calls.push('resolved');
    expect(calls.filter((call) => call !== 'write')).toEqual(['sync', 'resolved']);
    expect(calls.indexOf('write')).toBeLessThan(calls.indexOf('sync'));
  });

  it('keeps every line whole under 100 concurrent appends, also across two instances', async () => {
    const first = new Journal();
    const second = new Journal();
    const written = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        (index % 2 === 0 ? first : second).recordIntent(intentFields({ params: { KeyId: KEY_A, Index: index, Pad: 'x'.repeat(index * 50) } })),
      ),
    );
    const read = await first.read();
    expect(read.problems).toEqual([]);
    expect(read.entries).toHaveLength(100);
    expect(new Set(read.entries.map((entry) => entry.id))).toEqual(new Set(written.map((entry) => entry.id)));
  });

  it('survives a torn last line: reports it, keeps earlier entries, and the next append parses', async () => {
    const journal = new Journal();
    const first = await journal.recordIntent(intentFields());
    const second = await journal.recordResult(first, { ok: true });
    const fragment = '{"v":1,"id":"0b6f2c1e-8d4f-4a57-9c1b-2a3c4d5e6f70","time":"2025-06-';
    await fs.appendFile(journal.path, fragment);

    const torn = await journal.read();
    expect(torn.entries).toEqual([first, second]);
    expect(torn.problems).toEqual([{ line: 3, text: fragment, reason: 'torn last line' }]);

    const third = await journal.recordIntent(intentFields({ action: 'EnableKey' }));
    const after = await journal.read();
    expect(after.entries).toEqual([first, second, third]);
    expect(after.problems).toEqual([{ line: 3, text: fragment, reason: 'not valid JSON' }]);
    expect((await fs.readFile(journal.path, 'utf8')).endsWith('\n')).toBe(true);
  });

  it('keeps a complete last entry whose newline was lost, and appends after it cleanly', async () => {
    const journal = new Journal();
    const first = await journal.recordIntent(intentFields());
    const text = await fs.readFile(journal.path, 'utf8');
    await fs.writeFile(journal.path, text.slice(0, -1));
    expect(await journal.read()).toEqual({ entries: [first], problems: [] });
    const second = await journal.recordIntent(intentFields());
    expect(await journal.read()).toEqual({ entries: [first, second], problems: [] });
  });

  it('reports lines that are JSON but not journal entries, and blank lines are ignored', async () => {
    const journal = new Journal();
    const first = await journal.recordIntent(intentFields());
    await fs.appendFile(journal.path, '{"hello":"world"}\n\n');
    const third = await journal.recordIntent(intentFields());
    const read = await journal.read();
    expect(read.entries).toEqual([first, third]);
    expect(read.problems).toEqual([{ line: 2, text: '{"hello":"world"}', reason: 'not a journal entry' }]);
  });

  it('filters by key ARN', async () => {
    const journal = new Journal();
    const a = await journal.recordIntent(intentFields({ keyArn: KEY_A }));
    await journal.recordIntent(intentFields({ keyArn: KEY_B }));
    const aResult = await journal.recordResult(a, { ok: true });
    const read = await journal.read({ keyArn: KEY_A });
    expect(read.entries).toEqual([a, aResult]);
    expect((await journal.read({ keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/none' })).entries).toEqual([]);
  });

  it('redacts nested secrets in params and in the response, on disk too', async () => {
    const journal = new Journal();
    const intent = await journal.recordIntent(
      intentFields({
        action: 'ImportKeyMaterial',
        params: {
          KeyId: KEY_A,
          ImportToken: 'IMPORT-TOKEN-VALUE',
          EncryptedKeyMaterial: new Uint8Array([9, 9, 9]),
          Options: { Nested: [{ SessionToken: 'SESSION-TOKEN-VALUE', Region: 'eu-west-1' }] },
        },
      }),
    );
    expect(intent.params).toEqual({
      KeyId: KEY_A,
      ImportToken: REDACTED,
      EncryptedKeyMaterial: REDACTED,
      Options: { Nested: [{ SessionToken: REDACTED, Region: 'eu-west-1' }] },
    });
    await journal.recordResult(intent, {
      ok: true,
      response: { KeyId: KEY_A, Credentials: { SecretAccessKey: 'SECRET-VALUE' }, Blob: new Uint8Array(4), Plaintext: 'PLAIN-VALUE' },
    });
    const text = await fs.readFile(journal.path, 'utf8');
    for (const secret of ['IMPORT-TOKEN-VALUE', 'SESSION-TOKEN-VALUE', 'SECRET-VALUE', 'PLAIN-VALUE']) expect(text).not.toContain(secret);
    const [, result] = (await journal.read()).entries;
    expect(result?.outcome).toEqual({ ok: true, response: { KeyId: KEY_A, Credentials: REDACTED, Blob: '[binary 4 bytes]', Plaintext: REDACTED } });
  });

  it('refuses an invalid intent without writing anything', async () => {
    const journal = new Journal();
    await expect(journal.recordIntent(intentFields({ action: '' }))).rejects.toThrow();
    await expect(fs.stat(journal.path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses to record a result for a result', async () => {
    const journal = new Journal();
    const intent = await journal.recordIntent(intentFields());
    const result = await journal.recordResult(intent, { ok: true });
    await expect(journal.recordResult(result, { ok: true })).rejects.toThrow(/needs an intent/);
  });
});

describe('parseJournal', () => {
  it('tells a torn last line from a bad line in the middle', () => {
    const { entries, problems } = parseJournal('not json\n{"a":\n{"b"');
    expect(entries).toEqual([]);
    expect(problems.map((problem) => [problem.line, problem.reason])).toEqual([
      [1, 'not valid JSON'],
      [2, 'not valid JSON'],
      [3, 'torn last line'],
    ]);
  });
});

describe('pairEntries', () => {
  it('pairs intents with results and marks the rest unknown', async () => {
    const journal = new Journal();
    const ok = await journal.recordIntent(intentFields({ action: 'DisableKey' }));
    const failed = await journal.recordIntent(intentFields({ action: 'EnableKey' }));
    const unknown = await journal.recordIntent(intentFields({ action: 'ScheduleKeyDeletion' }));
    const failedResult = await journal.recordResult(failed, { ok: false, code: 'AccessDeniedException', message: 'no' });
    const okResult = await journal.recordResult(ok, { ok: true });
    const { entries } = await journal.read();

    expect(pairEntries(entries)).toEqual([
      { intent: ok, result: okResult, status: 'ok' },
      { intent: failed, result: failedResult, status: 'failed' },
      { intent: unknown, status: 'unknown' },
    ]);
    expect(orphanResults(entries)).toEqual([]);
  });

  it('lists results whose intent is missing as orphans', async () => {
    const journal = new Journal();
    const intent = await journal.recordIntent(intentFields());
    const result = await journal.recordResult(intent, { ok: true });
    const withoutIntent: JournalEntry[] = [result];
    expect(pairEntries(withoutIntent)).toEqual([]);
    expect(orphanResults(withoutIntent)).toEqual([result]);
  });
});
