// A process killed with SIGKILL at a random moment while appending must never cost an entry
// that was acknowledged (recordIntent resolved = fsynced), nor any earlier line; at most the
// last line may be torn, and the next append repairs the end of the file.
//
// The child runs the *built* journal (dist/journal/journal.js): plain `node` cannot load
// TypeScript. `npm test` builds first; when dist is missing or older than the sources, this
// test is skipped with a message saying so.

import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from './journal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const builtJournal = path.resolve(here, '../../dist/journal/journal.js');
const sources = ['journal.ts', 'paths.ts', 'redact.ts'].map((name) => path.join(here, name));

function builtState(): 'fresh' | 'missing' | 'stale' {
  if (!existsSync(builtJournal)) return 'missing';
  const builtAt = statSync(builtJournal).mtimeMs;
  return sources.some((source) => statSync(source).mtimeMs > builtAt) ? 'stale' : 'fresh';
}

const state = builtState();
if (state !== 'fresh') {
  console.warn(`journal-crash.test.ts: skipped — ${builtJournal} is ${state}; run \`npm run build\` first (npm test does).`);
}

const ROUNDS = 20;
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444';

// Appends forever, printing each id once recordIntent has resolved (i.e. after fsync).
// Entries vary up to ~1 MB so that a kill often lands inside a write.
const CHILD = `
const { Journal } = await import(process.env.JOURNAL_MODULE);
const journal = new Journal(process.env.JOURNAL_FILE);
for (let i = 0; ; i++) {
  const size = Math.floor(Math.random() * 1_000_000);
  const entry = await journal.recordIntent({
    action: 'DisableKey',
    account: '111122223333',
    region: 'eu-west-1',
    caller: 'arn:aws:sts::111122223333:assumed-role/Operator/crash-test',
    keyArn: ${JSON.stringify(KEY_ARN)},
    params: { KeyId: ${JSON.stringify(KEY_ARN)}, i, pad: 'x'.repeat(size) },
  });
  process.stdout.write(entry.id + '\\n');
}
`;

/** Run the child until it has acknowledged `minAcks` entries, wait `delayMs` more, SIGKILL it. */
async function appendThenKill(file: string, minAcks: number, delayMs: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, JOURNAL_MODULE: pathToFileURL(builtJournal).href, JOURNAL_FILE: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: string[] = [];
  let pending = '';
  let stderr = '';
  let killTimer: NodeJS.Timeout | undefined;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    acked.push(...lines);
    if (acked.length >= minAcks && killTimer === undefined) killTimer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
  if (signal !== 'SIGKILL') throw new Error(`child ended without being killed (signal ${signal}): ${stderr}`);
  return acked;
}

let home: string;

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'keywarden-crash-'));
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('journal under SIGKILL', () => {
  it.skipIf(state !== 'fresh')(
    `loses no acknowledged or earlier entry across ${ROUNDS} kills at random moments`,
    async () => {
      const file = path.join(home, 'journal.jsonl');
      const journal = new Journal(file);
      const everSeen = new Set<string>();
      const repairedFragments = new Set<string>();
      let tornRounds = 0;

      for (let round = 0; round < ROUNDS; round++) {
        const acked = await appendThenKill(file, 1 + Math.floor(Math.random() * 4), Math.floor(Math.random() * 30));
        const { entries, problems } = await journal.read();
        const ids = new Set(entries.map((entry) => entry.id));

        for (const id of acked) expect(ids.has(id), `acknowledged entry ${id} lost in round ${round}`).toBe(true);
        for (const id of everSeen) expect(ids.has(id), `earlier entry ${id} lost in round ${round}`).toBe(true);

        const torn = problems.filter((problem) => problem.reason === 'torn last line');
        expect(torn.length).toBeLessThanOrEqual(1);
        const lineCount = (await fs.readFile(file, 'utf8')).split('\n').length;
        for (const problem of torn) expect(problem.line).toBe(lineCount);
        // Every other problem is a fragment torn in an earlier round, since ended by the next append.
        for (const problem of problems.filter((p) => p.reason !== 'torn last line')) {
          expect(problem.reason).toBe('not valid JSON');
          expect(repairedFragments.has(problem.text), `unexpected bad line ${problem.line} in round ${round}`).toBe(true);
        }
        if (torn[0] !== undefined) {
          tornRounds++;
          repairedFragments.add(torn[0].text);
        }
        for (const id of ids) everSeen.add(id);
      }

      // After the last kill, one more append must parse and keep everything.
      const last = await journal.recordIntent({
        action: 'EnableKey',
        account: '111122223333',
        region: 'eu-west-1',
        caller: 'arn:aws:sts::111122223333:assumed-role/Operator/crash-test',
        keyArn: KEY_ARN,
        params: { KeyId: KEY_ARN },
      });
      const final = await journal.read();
      expect(final.entries.at(-1)).toEqual(last);
      expect(final.entries).toHaveLength(everSeen.size + 1);
      expect(final.problems.every((problem) => problem.reason === 'not valid JSON')).toBe(true);
      expect(final.problems).toHaveLength(tornRounds);
    },
    120_000,
  );
});
