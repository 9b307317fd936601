// The built program killed (SIGKILL) at random points of a scripted retirement, many times over.
// The kill points are chosen by progress (after a random number of requests reached the sandbox),
// never by sleeping. After every kill the journal and the retirement record still parse (a torn
// last journal line is reported, not fatal), the next run goes on from the right step, no
// mutation is sent twice where that would be wrong, and deletion is never scheduled without the alarm.

import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecord, writeRecord } from '../../src/journal/atomic-record.js';
import { parseJournal } from '../../src/journal/journal.js';
import { retirementPath, retirementRecordSchema } from '../../src/journal/retirements.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { CLI } from '../e2e/terminal.js';
import { newKey, RestartableSandbox, tempDir, until } from './helpers.js';

const DAY = 86_400;
const KILL_ROUNDS = 12;
let s: RestartableSandbox;
let home: string;
beforeAll(async () => {
  s = await RestartableSandbox.start();
  home = tempDir('kw-sigkill-home-');
});
afterAll(async () => {
  await s.close();
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; with `killAfterRequests`, SIGKILLs it once the sandbox has served that many more requests. */
async function keywarden(args: string[], killAfterRequests?: number): Promise<Run> {
  const before = s.sandbox.requests().length;
  const child = spawn(process.execPath, [CLI, ...args, '--endpoint-url', s.sandbox.url], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      KEYWARDEN_HOME: home,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  let done = false;
  void exited.then(() => (done = true));
  if (killAfterRequests !== undefined) {
    await until(() => done || s.sandbox.requests().length >= before + killAfterRequests, 'the kill point', 30_000);
    child.kill('SIGKILL');
  }
  return exited;
}

function checkFiles(keyArn: string): { torn: number; stage: string | undefined } {
  const journalFile = join(home, 'journal.jsonl');
  const parsed = existsSync(journalFile) ? parseJournal(readFileSync(journalFile, 'utf8')) : { entries: [], problems: [] };
  // Only a torn *last* line may ever be damaged: every complete line is a valid entry.
  expect(parsed.problems.filter((p) => p.reason !== 'torn last line' && p.reason !== 'not valid JSON')).toEqual([]);
  const file = retirementPath(keyArn, join(home, 'retirements'));
  let stage: string | undefined;
  if (existsSync(file)) {
    const raw = readFileSync(file, 'utf8');
    const record = retirementRecordSchema.safeParse(JSON.parse(raw));
    expect(record.success, raw).toBe(true);
    stage = record.success ? record.data.stage : undefined;
  }
  return { torn: parsed.problems.length, stage };
}

async function invariants(k: { arn: string; keyId: string }): Promise<string | undefined> {
  const state = (await s.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: k.arn }))).KeyMetadata?.KeyState;
  if (state === 'PendingDeletion') {
    const alarms = await s.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${k.keyId}`] }));
    expect(alarms.MetricAlarms ?? [], 'deletion scheduled without the alarm').toHaveLength(1);
  }
  return state;
}

/**
 * The 14-day watch passes. With --endpoint-url the CLI measures the watch on this machine's clock,
 * so the record's watch start is moved back (the sandbox clock moves too, for the alarm).
 */
async function watchPasses(keyArn: string): Promise<void> {
  const file = retirementPath(keyArn, join(home, 'retirements'));
  const loaded = await readRecord(file, retirementRecordSchema);
  if (!loaded.ok || !loaded.value.watchStartedAt) return;
  const started = new Date(loaded.value.watchStartedAt).getTime();
  if (Date.now() - started > 14 * DAY * 1000) return;
  await writeRecord(file, { ...loaded.value, watchStartedAt: new Date(started - 15 * DAY * 1000).toISOString() });
  s.sandbox.advanceClock(15 * DAY);
}

/** The next command of the scripted retirement, from the record on disk. */
function nextCommand(k: { name: string }, stage: string | undefined): string[] | undefined {
  if (stage === undefined || stage === 'preflight') return ['retire', 'start', k.name, '--yes', '--acknowledge', 'used-recently'];
  if (stage === 'disabled' || stage === 'watching') return ['retire', 'advance', k.name, '--yes', '--deletion-days', '7'];
  return undefined;
}

describe('SIGKILL at random points of a scripted retirement', () => {
  it(`survives ${KILL_ROUNDS} kills: records parse, each run resumes at the right step, nothing is repeated wrongly`, { timeout: 90_000 }, async () => {
    const k = await newKey(s, 'kw-sigkill');
    let kills = 0;
    let tornSeen = 0;
    let runs = 0;
    for (;;) {
      const { stage, torn } = checkFiles(k.arn);
      tornSeen = Math.max(tornSeen, torn);
      const state = await invariants(k);
      if (stage === 'watching' && state === 'Disabled') await watchPasses(k.arn);
      const args = nextCommand(k, stage);
      if (!args) break;
      runs += 1;
      expect(runs, 'the retirement should finish').toBeLessThan(KILL_ROUNDS + 20);
      if (kills < KILL_ROUNDS) {
        kills += 1;
        const run = await keywarden(args, Math.floor(Math.random() * 14));
        // A run that finished before its kill point must have succeeded or stopped with a message.
        if (run.signal !== 'SIGKILL') expect(run.code === 0 || run.stderr.length > 0, run.stderr).toBe(true);
      } else {
        const run = await keywarden(args);
        expect(run.code, `${args.join(" ")}\n${run.stdout}\n${run.stderr}`).toBe(0);
      }
    }
    expect(checkFiles(k.arn).stage).toBe('deletion-scheduled');
    expect(await invariants(k)).toBe('PendingDeletion');

    // Mutations actually applied: ScheduleKeyDeletion once, and never refused for the key's state (no blind repeat).
    const log = s.sandbox.requests().filter((r) => JSON.stringify(r.params).includes(k.keyId) || JSON.stringify(r.params).includes(k.name));
    expect(log.filter((r) => r.operation === 'ScheduleKeyDeletion' && r.status === 200)).toHaveLength(1);
    expect(log.filter((r) => r.errorCode === 'KMSInvalidStateException' && /^(Disable|Schedule)/.test(r.operation))).toEqual([]);

    // The journal command reads it all, reports any torn entry, and exits 0.
    const journal = await keywarden(['journal', '--json']);
    expect(journal.code).toBe(0);
    const doc = JSON.parse(journal.stdout) as { entries: Array<{ action: string }>; problems: unknown[] };
    expect(doc.entries.some((e) => e.action === 'ScheduleKeyDeletion')).toBe(true);
    expect(doc.problems.length).toBe(tornSeen);
    if (tornSeen > 0) expect(journal.stderr).toMatch(/journal line \d+: (torn last line|not valid JSON)/);
  });
});
