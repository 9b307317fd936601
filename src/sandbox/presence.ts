// A running sandbox says where it listens, next to its state file: `<state file>.server.json`
// holds its process id and URL while it runs and is removed when it stops. Whoever wants to change
// that sandbox (`keywarden sandbox clock`) talks to it over HTTP instead of editing a state file
// the running server would overwrite with its own copy. A record left by a process that died
// without removing it (SIGKILL, a crash) is recognised as stale: its process is gone.

import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { readSandboxClock } from './clock-client.js';

export function presencePath(statePath: string): string {
  return `${statePath}.server.json`;
}

const presenceSchema = z.object({ pid: z.number().int().positive(), url: z.string().url(), startedAt: z.string() });
export type Presence = z.infer<typeof presenceSchema>;

/** Records this process's own records, removed at exit even when the process ends without closing the sandbox. */
const ownRecords = new Map<string, string>();
let exitHookInstalled = false;

function removeIfOwn(file: string, content: string): void {
  try {
    if (readFileSync(file, 'utf8') === content) unlinkSync(file);
  } catch {
    // already gone (or unreadable): nothing of ours to remove
  }
}

/**
 * Writes the presence record of a sandbox serving `statePath` at `url` (atomically, 0600) and
 * returns the function that removes it again. Only a record this process wrote is removed.
 */
export async function announcePresence(statePath: string, url: string): Promise<() => Promise<void>> {
  const file = presencePath(statePath);
  const content = `${JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString() } satisfies Presence)}\n`;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, content, { mode: 0o600 });
  ownRecords.set(file, content);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const [own, text] of ownRecords) removeIfOwn(own, text);
    });
  }
  return async () => {
    ownRecords.delete(file);
    try {
      if ((await readFile(file, 'utf8')) === content) await unlink(file);
    } catch {
      // already gone
    }
  };
}

export type RunningSandbox =
  | { kind: 'none' }
  /** A server answers at `url` as the process that wrote the record. */
  | { kind: 'running'; url: string; pid: number; now: string; offsetSeconds: number }
  /** The record's process is gone: the record was removed and the state file is nobody's. */
  | { kind: 'stale'; pid: number; url: string }
  /** The process lives but the URL does not answer as it (hung, or the pid was reused): nothing can be decided safely. */
  | { kind: 'unreachable'; pid: number; url: string; file: string; reason: string };

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Finds the sandbox serving `statePath`, if one runs; removes a stale record. */
export async function findRunningSandbox(statePath: string): Promise<RunningSandbox> {
  const file = presencePath(statePath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let presence: Presence;
  try {
    presence = presenceSchema.parse(JSON.parse(text));
  } catch {
    throw new Error(`${file} is not a sandbox presence record: if no sandbox is running on ${statePath}, remove it`);
  }
  if (!processAlive(presence.pid)) {
    try {
      if ((await readFile(file, 'utf8')) === text) await unlink(file);
    } catch {
      // someone else removed it
    }
    return { kind: 'stale', pid: presence.pid, url: presence.url };
  }
  const clock = await readSandboxClock(presence.url);
  if (clock && clock.pid === presence.pid) return { kind: 'running', url: presence.url, pid: presence.pid, now: clock.now, offsetSeconds: clock.offsetSeconds };
  return {
    kind: 'unreachable',
    pid: presence.pid,
    url: presence.url,
    file,
    reason: clock ? `${presence.url} is answered by process ${clock.pid}, not ${presence.pid}` : `${presence.url} does not answer`,
  };
}
