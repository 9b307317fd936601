// CloudTrail log files summarised for one key, wherever they come from (a local tree:
// src/aws/cloudtrail-files.ts; a trail's bucket: objects read with GetObject). The caller hands
// over log objects one by one; their bytes are gunzipped, split and counted in worker threads
// (node:worker_threads, one per core by default), with a bounded number of files in flight, so
// memory stays flat whatever the number of records.
//
// Before an object is read, its name is checked against the delivery layout (KMS.md §13;
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html):
//   [prefix/]AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
//     <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<unique>.json.gz
// A file of another account or Region than the key's, or delivered outside the window, is never
// read. The timestamp is the delivery time, and "a log file delivered at a specific time can
// contain records written at any point before that time": a file delivered before the window
// starts holds nothing in it; one delivered after it ends may (late delivery), so files are read
// up to LATE_DELIVERY_MS after the window's end. Digest files (CloudTrail-Digest/) prove
// integrity and hold no events: skipped and counted. Names outside the layout are read (a plain
// file handed over on purpose) and judged by their content.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UsageAccumulator, type UsageSummary } from '../domain/usage.js';
import { readLogBytes, type KeyMatch } from './log-file-reader.js';
import type { FromWorker, ToWorker } from './log-worker.js';

/** Compressed or plain bytes of one CloudTrail log file. */
export interface LogObject {
  /** Path or S3 key: its last part is the file name the layout checks are made on. */
  name: string;
  size?: number;
  read(signal?: AbortSignal): Promise<Uint8Array>;
}

export interface LogProgress {
  filesRead: number;
  /** Compressed bytes read. */
  bytes: number;
  /** JSON bytes (after gunzip) read. */
  jsonBytes: number;
  records: number;
  unreadable: number;
  elapsedMs: number;
}

export interface SummarizeLogOptions {
  /** A key ARN; or a bare key id, counted for every key ARN that ends in it (`keyArns` says which). */
  keyArn: string;
  /** Window bounds (inclusive). Without them the window is the span of the records read. */
  start?: Date | number;
  end?: Date | number;
  /** Worker threads (default: one per core, at most MAX_DEFAULT_WORKERS); 0 reads in this thread. */
  workers?: number;
  /** Files read or being read at once (default: two per worker). */
  inFlight?: number;
  onProgress?: (progress: LogProgress) => void;
}

export interface UnreadableFile {
  name: string;
  reason: string;
}

export interface LogObjectsSummary {
  /** The key summarised: the ARN given, or the one ARN that a key id matched. */
  keyArn?: string;
  /** Every key ARN the records matched (more than one: a key id that is ambiguous here). */
  keyArns: string[];
  /** Undefined when no record was read at all and no window was given, or the key id is ambiguous. */
  summary?: UsageSummary;
  /** The window summarised: the one asked for, else the span of the records read. */
  window?: { start: string; end: string };
  /** Oldest and newest record read (any key). */
  recordsSpan?: { first: string; last: string };
  filesRead: number;
  bytes: number;
  jsonBytes: number;
  records: number;
  /** Files that could not be read (none of their records counted): the evidence is incomplete. */
  unreadable: UnreadableFile[];
  digestFilesSkipped: number;
  /** Files left unread because their name puts them outside the key's account, Region or window. */
  filesPruned: number;
  /**
   * Of those, the files left unread for the delivery time in their name: before the window, or
   * more than LATE_DELIVERY_MS after its end.
   */
  filesOutsideWindow: number;
  /** A file name seen a second time (the same delivered file copied twice): read once. */
  duplicateFiles: number;
  /**
   * Accounts and Regions delivered by more than one trail in this evidence: an event both trails
   * logged is in both, and counted twice. Point at one trail's folder to avoid it.
   */
  overlappingTrails: Array<{ account: string; region: string; trails: string[] }>;
  /** Stopped by the signal before every object was read. */
  stopped: boolean;
}

/** Files may hold records up to this long before their delivery (CloudTrail delivers within minutes). */
export const LATE_DELIVERY_MS = 24 * 3_600_000;
export const MAX_DEFAULT_WORKERS = 8;

const KEY_ARN = /^arn:(aws[\w-]*):kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const LOG_NAME = /^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]+\.json(?:\.gz)?$/;

export interface LogObjectInfo {
  kind: 'log' | 'digest' | 'other';
  account?: string;
  region?: string;
  /** Delivery time from the file name. */
  deliveredMs?: number;
  /** The trail that delivered it: the path up to AWSLogs/ and the organization id. */
  trail?: string;
}

/** What a log object's name says about it (nothing is read). */
export function logObjectInfo(name: string): LogObjectInfo {
  const parts = name.split(/[\\/]/);
  const base = parts.at(-1) ?? '';
  if (/_CloudTrail-Digest_/.test(base) || parts.includes('CloudTrail-Digest')) return { kind: 'digest' };
  const match = LOG_NAME.exec(base);
  if (!match) return { kind: 'other' };
  const [, account, region, y, mo, d, h, mi] = match;
  const info: LogObjectInfo = { kind: 'log', account: account!, region: region!, deliveredMs: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)) };
  const at = parts.lastIndexOf('AWSLogs');
  if (at >= 0) {
    const org = /^o-[a-z0-9]{10,32}$/.test(parts[at + 1] ?? '') ? `/${parts[at + 1]}` : '';
    info.trail = `${parts.slice(0, at + 1).join('/')}${org}`;
  } else info.trail = parts.slice(0, -1).join('/');
  return info;
}

/** Whether a file delivered at `deliveredMs` can hold records of [start, end]. */
export function deliveryInWindow(deliveredMs: number, start: number | undefined, end: number | undefined): boolean {
  // The name has minutes: a file named 10:05 was delivered before 10:06.
  if (start !== undefined && deliveredMs + 60_000 < start) return false;
  if (end !== undefined && deliveredMs > end + LATE_DELIVERY_MS) return false;
  return true;
}

/** The worker's entry: beside this module when built (dist/aws/), else the built one (tests run the sources). */
function workerEntry(): URL {
  const beside = new URL('./log-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/aws/log-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error('the log file reader (dist/aws/log-worker.js) is missing: run "npm run build"');
}

function ms(value: Date | number | undefined): number | undefined {
  return value === undefined ? undefined : typeof value === 'number' ? value : value.getTime();
}

/** A pool of worker threads (or this thread, with none) that counts log files. */
interface Reader {
  read(bytes: Uint8Array): Promise<Extract<FromWorker, { type: 'file' }>>;
  finish(): Promise<Map<string, UsageAccumulator>>;
  close(): Promise<void>;
}

function inThreadReader(match: KeyMatch): Reader {
  const totals = new Map<string, UsageAccumulator>();
  return {
    async read(bytes) {
      const outcome = await readLogBytes(bytes, match);
      if (!outcome.ok) return { type: 'file', id: 0, ok: false, reason: outcome.reason, jsonBytes: outcome.jsonBytes };
      for (const [arn, acc] of outcome.accumulators) {
        const total = totals.get(arn);
        if (total) total.merge(acc);
        else totals.set(arn, acc);
      }
      return { type: 'file', id: 0, ok: true, records: outcome.records, jsonBytes: outcome.jsonBytes, firstMs: outcome.firstMs, lastMs: outcome.lastMs };
    },
    finish: async () => totals,
    close: async () => {},
  };
}

function workerReader(match: KeyMatch, count: number): Reader {
  const entry = workerEntry();
  type Pending = { resolve: (answer: Extract<FromWorker, { type: 'file' }>) => void; reject: (error: Error) => void };
  const pools = Array.from({ length: count }, () => {
    // A worker holds one file's chunk and its counters: a small heap is plenty, and caps it.
    const worker = new Worker(entry, { workerData: match, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 } });
    const pool = { worker, busy: 0, pending: new Map<number, Pending>(), finished: undefined as ((states: Extract<FromWorker, { type: 'finished' }>) => void) | undefined, failure: undefined as Error | undefined };
    const fail = (error: Error) => {
      pool.failure ??= error;
      for (const p of pool.pending.values()) p.reject(error);
      pool.pending.clear();
    };
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'finished') pool.finished?.(message);
      else {
        pool.busy -= 1;
        pool.pending.get(message.id)?.resolve(message);
        pool.pending.delete(message.id);
      }
    });
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new Error(`the log file reader stopped (exit code ${code})`)));
    return pool;
  });
  let nextId = 0;
  return {
    read(bytes) {
      const pool = pools.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (pool.failure) return Promise.reject(pool.failure);
      const id = (nextId += 1);
      pool.busy += 1;
      // A copy of the compressed bytes is handed over (transferred, not cloned again): the
      // caller's buffer may be a view of a shared pool (Node's Buffer), which must not be detached.
      const own = new Uint8Array(bytes);
      return new Promise((resolve, reject) => {
        pool.pending.set(id, { resolve, reject });
        pool.worker.postMessage({ type: 'file', id, bytes: own } satisfies ToWorker, [own.buffer as ArrayBuffer]);
      });
    },
    async finish() {
      const totals = new Map<string, UsageAccumulator>();
      const answers = await Promise.all(
        pools.map(
          (pool) =>
            new Promise<Extract<FromWorker, { type: 'finished' }>>((resolve, reject) => {
              if (pool.failure) return reject(pool.failure);
              pool.finished = resolve;
              // A worker that dies before answering rejects this too (see fail()).
              pool.pending.set(-1, { resolve: () => {}, reject });
              pool.worker.postMessage({ type: 'finish' } satisfies ToWorker);
            }),
        ),
      );
      for (const answer of answers) {
        for (const [arn, state] of answer.accumulators) {
          const total = totals.get(arn);
          if (total) total.merge(state);
          else totals.set(arn, UsageAccumulator.fromState(state, { keyArn: arn }));
        }
      }
      return totals;
    },
    async close() {
      for (const pool of pools) {
        pool.worker.removeAllListeners('exit');
        pool.worker.on('exit', () => {});
      }
      await Promise.all(pools.map((pool) => pool.worker.terminate()));
    },
  };
}

/**
 * Summarises the key's use in CloudTrail log objects. Objects are read in the order given, a
 * bounded number at a time; each is counted whole or not at all (an unreadable file is named in
 * `unreadable`, never silently skipped).
 */
export async function summarizeLogObjects(
  objects: AsyncIterable<LogObject> | Iterable<LogObject>,
  options: SummarizeLogOptions,
  signal?: AbortSignal,
): Promise<LogObjectsSummary> {
  const started = Date.now();
  const start = ms(options.start);
  const end = ms(options.end);
  const arn = KEY_ARN.exec(options.keyArn);
  const match: KeyMatch = {
    ...(arn ? { keyArn: options.keyArn } : { keyId: options.keyArn }),
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
  };
  const workers = options.workers ?? Math.min(MAX_DEFAULT_WORKERS, availableParallelism());
  const inFlight = Math.max(1, options.inFlight ?? Math.max(1, workers) * 2);
  const reader = workers > 0 ? workerReader(match, workers) : inThreadReader(match);

  const result: LogObjectsSummary = {
    keyArns: [],
    filesRead: 0,
    bytes: 0,
    jsonBytes: 0,
    records: 0,
    unreadable: [],
    digestFilesSkipped: 0,
    filesPruned: 0,
    filesOutsideWindow: 0,
    duplicateFiles: 0,
    overlappingTrails: [],
    stopped: false,
  };
  let firstMs = Infinity;
  let lastMs = -Infinity;
  const seenNames = new Set<string>();
  const trails = new Map<string, Set<string>>();
  const progress = () =>
    options.onProgress?.({ filesRead: result.filesRead, bytes: result.bytes, jsonBytes: result.jsonBytes, records: result.records, unreadable: result.unreadable.length, elapsedMs: Date.now() - started });

  let running = 0;
  let wake: (() => void) | undefined;
  let fatal: Error | undefined;
  const settled = () => {
    running -= 1;
    wake?.();
  };
  const readOne = async (object: LogObject, info: LogObjectInfo) => {
    let bytes: Uint8Array;
    try {
      bytes = await object.read(signal);
    } catch (error) {
      if (signal?.aborted) return;
      result.unreadable.push({ name: object.name, reason: `cannot be read: ${(error as Error).message ?? String(error)}` });
      progress();
      return;
    }
    const size = bytes.byteLength;
    const answer = await reader.read(bytes);
    result.filesRead += 1;
    result.bytes += size;
    result.jsonBytes += answer.jsonBytes;
    if (!answer.ok) result.unreadable.push({ name: object.name, reason: answer.reason });
    else {
      result.records += answer.records;
      if (answer.firstMs < firstMs) firstMs = answer.firstMs;
      if (answer.lastMs > lastMs) lastMs = answer.lastMs;
      if (info.kind === 'log' && info.trail !== undefined) {
        const where = `${info.account}/${info.region}`;
        let set = trails.get(where);
        if (!set) trails.set(where, (set = new Set()));
        set.add(info.trail);
      }
    }
    progress();
  };

  try {
    for await (const object of objects) {
      if (signal?.aborted) {
        result.stopped = true;
        break;
      }
      if (fatal) break;
      const info = logObjectInfo(object.name);
      if (info.kind === 'digest') {
        result.digestFilesSkipped += 1;
        continue;
      }
      if (info.kind === 'log') {
        if (arn && (info.account !== arn[3] || info.region !== arn[2])) {
          result.filesPruned += 1;
          continue;
        }
        if (!deliveryInWindow(info.deliveredMs!, start, end)) {
          result.filesPruned += 1;
          result.filesOutsideWindow += 1;
          continue;
        }
        const base = object.name.split(/[\\/]/).at(-1)!;
        if (seenNames.has(base)) {
          result.duplicateFiles += 1;
          continue;
        }
        seenNames.add(base);
      }
      while (running >= inFlight) await new Promise<void>((resolve) => (wake = resolve));
      running += 1;
      readOne(object, info).then(settled, (error: unknown) => {
        fatal ??= error as Error;
        settled();
      });
    }
    while (running > 0) await new Promise<void>((resolve) => (wake = resolve));
    if (fatal) throw fatal;
    if (signal?.aborted) result.stopped = true;
    const totals = await reader.finish();
    result.keyArns = arn ? [options.keyArn] : [...totals.keys()].sort();
    if (arn) result.keyArn = options.keyArn;
    else if (result.keyArns.length === 1) result.keyArn = result.keyArns[0];
    if (firstMs <= lastMs) result.recordsSpan = { first: new Date(firstMs).toISOString(), last: new Date(lastMs).toISOString() };
    const windowStart = start ?? (firstMs <= lastMs ? Math.min(firstMs, end ?? firstMs) : end);
    const windowEnd = end ?? (firstMs <= lastMs ? Math.max(lastMs, windowStart ?? lastMs) : start);
    if (windowStart !== undefined && windowEnd !== undefined) {
      result.window = { start: new Date(windowStart).toISOString(), end: new Date(windowEnd).toISOString() };
      if (result.keyArn) {
        const accumulator = totals.get(result.keyArn) ?? new UsageAccumulator({ keyArn: result.keyArn });
        result.summary = accumulator.summary({ start: windowStart, end: windowEnd });
      }
    }
    const keyPlace = result.keyArn ? KEY_ARN.exec(result.keyArn) : null;
    for (const [where, set] of trails) {
      if (set.size < 2) continue;
      const [account, region] = where.split('/') as [string, string];
      // Only the key's own account and Region matter (a key id reads every account's files).
      if (keyPlace && (account !== keyPlace[3] || region !== keyPlace[2])) continue;
      result.overlappingTrails.push({ account, region, trails: [...set].sort() });
    }
    result.unreadable.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return result;
  } finally {
    await reader.close();
  }
}
