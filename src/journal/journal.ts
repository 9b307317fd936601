// The audit journal: an append-only JSON Lines file recording every change keywarden makes to
// AWS. Each mutation writes an *intent* line (fsynced before the request is sent) and a
// *result* line after; an intent without a result means the outcome is unknown (the process
// died, or the network failed after the request left).
//
// Durability rules:
// - one entry = one line = one write() on a file opened with O_APPEND, then fsync, then close;
// - appends to one file are serialized within the process, so lines never interleave;
// - a crash mid-write can leave a torn last line; `read` reports it and keeps every good line,
//   and the next append first ends the fragment with '\n' so the new entry stands on its own.
// Not handled: two *processes* appending at the same moment while one of them is repairing a
// torn line (the check-then-write is not atomic across processes).

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { PRIVATE_FILE_MODE, ensurePrivateDir, fsyncDir, journalPath } from './paths.js';
import { redact } from './redact.js';

export { redact, REDACTED, SECRET_KEY_PATTERN } from './redact.js';

export const outcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), requestId: z.string().optional(), response: z.unknown().optional() }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string(), requestId: z.string().optional() }),
]);

export type JournalOutcome = z.infer<typeof outcomeSchema>;

export const journalEntrySchema = z
  .object({
    v: z.literal(1),
    id: z.uuid(),
    time: z.iso.datetime({ offset: true }),
    phase: z.enum(['intent', 'result']),
    /** On a result: the id of its intent. */
    intentId: z.uuid().optional(),
    /** The API operation, e.g. 'DisableKey'. */
    action: z.string().min(1),
    account: z.string(),
    region: z.string(),
    /** The caller's ARN (STS GetCallerIdentity). */
    caller: z.string(),
    keyArn: z.string(),
    /** Request parameters, redacted. */
    params: z.record(z.string(), z.unknown()),
    /** On a result: what AWS said. */
    outcome: outcomeSchema.optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.phase === 'result' && (entry.intentId === undefined || entry.outcome === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a result needs intentId and outcome' });
    }
    if (entry.phase === 'intent' && (entry.intentId !== undefined || entry.outcome !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'an intent has no intentId or outcome' });
    }
  });

export type JournalEntry = z.infer<typeof journalEntrySchema>;

/** What the caller supplies for an intent; the journal adds v, id, time and phase. */
export interface IntentFields {
  action: string;
  account: string;
  region: string;
  caller: string;
  keyArn: string;
  params: Record<string, unknown>;
}

export type ProblemReason = 'torn last line' | 'not valid JSON' | 'not a journal entry';

export interface JournalProblem {
  /** 1-based line number in the file. */
  line: number;
  /** The line's text (cut to 500 characters). */
  text: string;
  reason: ProblemReason;
}

export interface JournalReadResult {
  entries: JournalEntry[];
  problems: JournalProblem[];
}

export interface JournalOptions {
  /** Clock, for tests. */
  now?: () => Date;
  /** Id source, for tests. */
  newId?: () => string;
}

const PROBLEM_TEXT_LIMIT = 500;

/** Per-file queues: every append and read of one path in this process runs one at a time. */
const queues = new Map<string, Promise<unknown>>();
/** Directories whose entry for the journal file has been fsynced by this process. */
const syncedDirs = new Set<string>();

function serialize<T>(file: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(file, tail);
  void tail.then(() => {
    if (queues.get(file) === tail) queues.delete(file);
  });
  return run;
}

async function appendLine(file: string, line: string): Promise<void> {
  const dir = path.dirname(file);
  await ensurePrivateDir(dir);
  const handle = await fs.open(file, 'a+', PRIVATE_FILE_MODE);
  try {
    const stat = await handle.stat();
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) {
      await handle.chmod(PRIVATE_FILE_MODE);
    }
    let prefix = '';
    if (stat.size > 0) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(1), 0, 1, stat.size - 1);
      if (bytesRead === 1 && buffer[0] !== 0x0a) prefix = '\n'; // end a torn fragment first
    }
    const data = Buffer.from(`${prefix}${line}\n`, 'utf8');
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (!syncedDirs.has(dir)) {
    await fsyncDir(dir);
    syncedDirs.add(dir);
  }
}

function cut(text: string): string {
  return text.length > PROBLEM_TEXT_LIMIT ? `${text.slice(0, PROBLEM_TEXT_LIMIT)}…` : text;
}

/** Parse journal text. Never throws: bad lines become problems, good lines are all kept. */
export function parseJournal(text: string): JournalReadResult {
  const entries: JournalEntry[] = [];
  const problems: JournalProblem[] = [];
  const lines = text.split('\n');
  const isTerminated = text.endsWith('\n');
  if (isTerminated) lines.pop();
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const isLastUnterminated = !isTerminated && index === lines.length - 1;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      problems.push({ line: index + 1, text: cut(line), reason: isLastUnterminated ? 'torn last line' : 'not valid JSON' });
      return;
    }
    const parsed = journalEntrySchema.safeParse(json);
    if (parsed.success) entries.push(parsed.data);
    else problems.push({ line: index + 1, text: cut(line), reason: 'not a journal entry' });
  });
  return { entries, problems };
}

export class Journal {
  readonly path: string;
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(file: string = journalPath(), options: JournalOptions = {}) {
    this.path = path.resolve(file);
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  /**
   * Record that a change is about to be sent. Resolves only once the line is on disk
   * (fsynced); send the request after this resolves, never before.
   */
  async recordIntent(fields: IntentFields): Promise<JournalEntry> {
    return this.append({
      v: 1,
      id: this.newId(),
      time: this.now().toISOString(),
      phase: 'intent',
      action: fields.action,
      account: fields.account,
      region: fields.region,
      caller: fields.caller,
      keyArn: fields.keyArn,
      params: redact(fields.params),
    });
  }

  /** Record what happened to an intent. The outcome's response is redacted. */
  async recordResult(intent: JournalEntry, outcome: JournalOutcome): Promise<JournalEntry> {
    if (intent.phase !== 'intent') throw new Error(`recordResult needs an intent entry, got a ${intent.phase}`);
    const cleanOutcome: JournalOutcome = outcome.ok
      ? {
          ok: true,
          ...(outcome.requestId !== undefined ? { requestId: outcome.requestId } : {}),
          ...(outcome.response !== undefined ? { response: redact(outcome.response) } : {}),
        }
      : {
          ok: false,
          code: outcome.code,
          message: outcome.message,
          ...(outcome.requestId !== undefined ? { requestId: outcome.requestId } : {}),
        };
    return this.append({
      v: 1,
      id: this.newId(),
      time: this.now().toISOString(),
      phase: 'result',
      intentId: intent.id,
      action: intent.action,
      account: intent.account,
      region: intent.region,
      caller: intent.caller,
      keyArn: intent.keyArn,
      params: intent.params,
      outcome: cleanOutcome,
    });
  }

  /**
   * Every good entry in file order, optionally only those for one key, and every line that
   * could not be read. A missing journal reads as empty. Never throws on bad content.
   */
  async read(options: { keyArn?: string } = {}): Promise<JournalReadResult> {
    return serialize(this.path, async () => {
      let text: string;
      try {
        text = await fs.readFile(this.path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
        // Reading a directory fails after it was opened, with no path in the error: name the journal.
        if (typeof error === 'object' && error !== null && !('path' in error)) Object.assign(error, { path: this.path });
        throw error;
      }
      const result = parseJournal(text);
      const { keyArn } = options;
      return keyArn === undefined ? result : { ...result, entries: result.entries.filter((entry) => entry.keyArn === keyArn) };
    });
  }

  private async append(candidate: JournalEntry): Promise<JournalEntry> {
    // Validate before writing: never put a line on disk that `read` would reject.
    const entry = journalEntrySchema.parse(candidate);
    const line = JSON.stringify(entry);
    await serialize(this.path, () => appendLine(this.path, line));
    return entry;
  }
}

export type OperationStatus = 'ok' | 'failed' | 'unknown';

export interface JournalOperation {
  intent: JournalEntry;
  /** Absent when the outcome is unknown. */
  result?: JournalEntry;
  status: OperationStatus;
}

/**
 * Pair each intent with its result, in intent order. An intent without a result has status
 * 'unknown': the request may or may not have reached AWS — re-read the key to find out.
 * If an intent somehow has several results, the first one wins. Results whose intent is not
 * among `entries` are left out here; `orphanResults` lists them.
 */
export function pairEntries(entries: readonly JournalEntry[]): JournalOperation[] {
  const results = new Map<string, JournalEntry>();
  for (const entry of entries) {
    if (entry.phase === 'result' && entry.intentId !== undefined && !results.has(entry.intentId)) {
      results.set(entry.intentId, entry);
    }
  }
  return entries
    .filter((entry) => entry.phase === 'intent')
    .map((intent) => {
      const result = results.get(intent.id);
      if (result === undefined) return { intent, status: 'unknown' as const };
      return { intent, result, status: result.outcome?.ok ? ('ok' as const) : ('failed' as const) };
    });
}

/** Results whose intent is not among `entries` (lost to a damaged line, or filtered out). */
export function orphanResults(entries: readonly JournalEntry[]): JournalEntry[] {
  const intents = new Set(entries.filter((entry) => entry.phase === 'intent').map((entry) => entry.id));
  return entries.filter((entry) => entry.phase === 'result' && (entry.intentId === undefined || !intents.has(entry.intentId)));
}
