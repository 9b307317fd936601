// CloudTrail log files as a trail delivers them to S3 (`{"Records": [...]}`, usually gzipped,
// under AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/), read from a local copy: a file
// or a directory tree. Evidence older than LookupEvents' 90 days. Files that are not CloudTrail
// logs are skipped and counted, never fatal.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { KeywardenError } from '../domain/errors.js';
import { parseCloudTrailRecord, windowRange, type UsageEvent, type UsageLoadState, type UsageProgress, type UsageRequest } from '../domain/usage.js';

const gunzipAsync = promisify(gunzip);

/** Every regular file under `root` (or `root` itself), sorted, symlinked directories not followed. */
async function listFiles(root: string): Promise<string[]> {
  const info = await stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new KeywardenError('validation', `--cloudtrail-dir ${root}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`);
  });
  if (info.isFile()) return [root];
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(full);
    }
  };
  await walk(root);
  return out;
}

/** The records of one log file, plain or gzipped; undefined when it is not a CloudTrail log. */
export async function readLogFile(file: string): Promise<unknown[] | undefined> {
  try {
    let bytes = await readFile(file);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzipAsync(bytes);
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { Records?: unknown }).Records)) return undefined;
    return (parsed as { Records: unknown[] }).Records;
  } catch {
    return undefined;
  }
}

export interface FileReadResult extends UsageLoadState {
  /** Files that were not CloudTrail logs (or could not be read). */
  skipped: string[];
}

/**
 * The key's events from the log files under `root`, in the window ending at `now` (no 90-day
 * horizon here), newest first. A record belongs to the key when its resources name the key ARN.
 */
export async function readCloudTrailFiles(
  root: string,
  keyArn: string,
  request: Pick<UsageRequest, 'window' | 'onProgress'> & { now?: Date },
  signal?: AbortSignal,
): Promise<FileReadResult> {
  const { start, end } = windowRange(request.window, request.now ?? new Date());
  const files = await listFiles(root);
  const events: UsageEvent[] = [];
  const seen = new Set<string>();
  const skipped: string[] = [];
  const progress: UsageProgress = { source: 'files', pages: 0, events: 0, throttled: 0, requestsPerSecond: 0, done: false, stopped: false };
  const snapshot = (): FileReadResult => ({
    keyArn,
    window: request.window,
    events: [...events].sort((a, b) => b.timeMs - a.timeMs),
    progress: { ...progress, ...(events.length > 0 ? { oldest: new Date(events.reduce((min, e) => Math.min(min, e.timeMs), Infinity)).toISOString() } : {}) },
    skipped: [...skipped],
  });
  for (const file of files) {
    if (signal?.aborted) {
      progress.stopped = true;
      return snapshot();
    }
    const records = await readLogFile(file);
    progress.pages += 1;
    if (!records) {
      skipped.push(file);
      continue;
    }
    for (const record of records) {
      const event = parseCloudTrailRecord(record);
      if (!event || !event.keyArns.includes(keyArn) || event.timeMs < start.getTime() || event.timeMs > end.getTime() || seen.has(event.eventId)) continue;
      seen.add(event.eventId);
      events.push(event);
    }
    progress.events = events.length;
    request.onProgress?.(snapshot());
  }
  progress.done = true;
  return snapshot();
}
