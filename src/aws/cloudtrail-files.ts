// CloudTrail log files as a trail delivers them to S3 (`{"Records": [...]}`, gzipped, under
// [prefix/]AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/), read from a local
// copy: a file or a directory tree. Evidence older than LookupEvents' 90 days, read offline.
// The tree is walked first (names only), pruned by the layout — another account or Region than
// the key's, days outside the window — and what is left goes through the log-object pipeline
// (src/aws/log-objects.ts): worker threads, flat memory, every unreadable file named.

import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { KeywardenError } from '../domain/errors.js';
import { windowRange, type UsageLoadState, type UsageProgress, type UsageRequest } from '../domain/usage.js';
import { deliveryInWindow, logObjectInfo, summarizeLogObjects, type LogObject, type LogObjectsSummary, type LogProgress } from './log-objects.js';

const DAY = 86_400_000;
const KEY_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):key\/.+$/;

export interface LocalLogFiles {
  files: LogObject[];
  /** Directories left unopened: another account or Region, or days outside the window. */
  dirsPruned: number;
  /** Of those, the date folders (yyyy, mm or dd) whose deliveries all fall outside the window. */
  dirsOutsideWindow: number;
}

export interface WalkFilter {
  account?: string;
  region?: string;
  start?: number;
  end?: number;
}

/**
 * Where a directory sits in the delivery layout, from its path segments after `AWSLogs`:
 * [org-id,] account, CloudTrail|CloudTrail-Digest, region, yyyy, mm, dd.
 */
function layoutOf(segments: string[]): { account?: string; region?: string; year?: number; month?: number; day?: number } {
  const at = segments.lastIndexOf('AWSLogs');
  if (at < 0) return {};
  let rest = segments.slice(at + 1);
  if (rest[0] && /^o-[a-z0-9]{10,32}$/.test(rest[0])) rest = rest.slice(1);
  const out: { account?: string; region?: string; year?: number; month?: number; day?: number } = {};
  if (rest[0] && /^\d{12}$/.test(rest[0])) out.account = rest[0];
  else return out;
  if (rest[1] !== 'CloudTrail' && rest[1] !== 'CloudTrail-Digest') return out;
  if (rest[2]) out.region = rest[2];
  if (rest[3] && /^\d{4}$/.test(rest[3])) out.year = Number(rest[3]);
  if (out.year !== undefined && rest[4] && /^\d{2}$/.test(rest[4])) out.month = Number(rest[4]);
  if (out.month !== undefined && rest[5] && /^\d{2}$/.test(rest[5])) out.day = Number(rest[5]);
  return out;
}

/** Whether a directory can hold files of the key's account, Region and window ('date': not of the window). */
function dirMayMatch(segments: string[], filter: WalkFilter): boolean | 'date' {
  const where = layoutOf(segments);
  if (filter.account && where.account && where.account !== filter.account) return false;
  if (filter.region && where.region && where.region !== filter.region) return false;
  if (where.year === undefined) return true;
  // The folder is the delivery date (UTC): its files were delivered within [from, to).
  const from = Date.UTC(where.year, (where.month ?? 1) - 1, where.day ?? 1);
  const to = where.day !== undefined ? from + DAY : where.month !== undefined ? Date.UTC(where.year, where.month, 1) : Date.UTC(where.year + 1, 0, 1);
  return deliveryInWindow(to - 60_000, filter.start, undefined) && deliveryInWindow(from, undefined, filter.end) ? true : 'date';
}

/**
 * The files under `root` (or `root` itself), sorted, that the layout does not rule out; hidden
 * files are left out. Symbolic links are followed, to files and to directories (each directory
 * walked once, so a link back up the tree is no loop); a broken link is listed, and named
 * unreadable when read. Nothing is opened.
 */
export async function listLogFiles(root: string, filter: WalkFilter = {}): Promise<LocalLogFiles> {
  const info = await stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new KeywardenError('validation', `--cloudtrail-dir ${root}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`);
  });
  const object = (file: string, size?: number): LogObject => ({ name: file, ...(size !== undefined ? { size } : {}), read: () => readFile(file) });
  if (info.isFile()) return { files: [object(root, info.size)], dirsPruned: 0, dirsOutsideWindow: 0 };
  const files: LogObject[] = [];
  let dirsPruned = 0;
  let dirsOutsideWindow = 0;
  const walked = new Set<string>();
  const walk = async (dir: string, segments: string[]) => {
    const real = await realpath(dir).catch(() => dir);
    if (walked.has(real)) return;
    walked.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined);
        if (!target) {
          const to = await readlink(full).catch(() => '?');
          files.push({ name: full, read: () => Promise.reject(new Error(`a symbolic link to ${to}, which does not exist`)) });
          continue;
        }
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDirectory) {
        const inner = [...segments, entry.name];
        const match = dirMayMatch(inner, filter);
        if (match === true) await walk(full, inner);
        else {
          dirsPruned += 1;
          if (match === 'date') dirsOutsideWindow += 1;
        }
      } else if (isFile) files.push(object(full));
    }
  };
  await walk(root, path.resolve(root).split(path.sep));
  return { files, dirsPruned, dirsOutsideWindow };
}

/** The key's account and Region, when KEY is an ARN (a bare key id names neither). */
export function keyPlace(key: string): { account?: string; region?: string } {
  const match = KEY_ARN.exec(key);
  return match ? { region: match[1]!, account: match[2]! } : {};
}

/** The newest delivery time named by these files (for the key's account and Region). */
export function newestDelivery(files: readonly LogObject[], filter: WalkFilter = {}): number | undefined {
  let newest: number | undefined;
  for (const file of files) {
    const info = logObjectInfo(file.name);
    if (info.kind !== 'log' || info.deliveredMs === undefined) continue;
    if ((filter.account && info.account !== filter.account) || (filter.region && info.region !== filter.region)) continue;
    if (newest === undefined || info.deliveredMs > newest) newest = info.deliveredMs;
  }
  return newest;
}

export interface FilesEvidence extends Omit<LogObjectsSummary, 'summary'> {
  dirsPruned: number;
  dirsOutsideWindow: number;
}

export interface FileReadResult extends UsageLoadState {
  evidence: FilesEvidence;
}

/** "2 log files could not be read: a.json.gz (truncated …), b.json.gz (…)" */
export function unreadableLine(unreadable: ReadonlyArray<{ name: string; reason: string }>): string {
  const shown = unreadable.slice(0, 3).map((u) => `${path.basename(u.name)} (${u.reason})`);
  const more = unreadable.length > shown.length ? `, and ${unreadable.length - shown.length} more` : '';
  return `${unreadable.length} log file${unreadable.length === 1 ? '' : 's'} could not be read: ${shown.join(', ')}${more}`;
}

/** Pipeline progress in the Usage tab's terms (files for pages, records read for events). */
export function filesProgress(progress: LogProgress, done: boolean, stopped = false): UsageProgress {
  return { source: 'files', pages: progress.filesRead, events: progress.records, throttled: 0, requestsPerSecond: 0, done, stopped };
}

/**
 * The key's usage in the log files under `root`, in the window ending at `now` (no 90-day
 * horizon here): the Usage tab's reader. The events are summarised as they stream by, so
 * `events` is empty and `summary` carries the result.
 */
export async function readCloudTrailFiles(
  root: string,
  keyArn: string,
  request: Pick<UsageRequest, 'window' | 'onProgress'> & { now?: Date },
  signal?: AbortSignal,
): Promise<FileReadResult> {
  const { start, end } = windowRange(request.window, request.now ?? new Date());
  const filter: WalkFilter = { ...keyPlace(keyArn), start: start.getTime(), end: end.getTime() };
  const { files, dirsPruned, dirsOutsideWindow } = await listLogFiles(root, filter);
  const base = { keyArn, window: request.window, events: [] };
  let last: LogProgress = { filesRead: 0, bytes: 0, jsonBytes: 0, records: 0, unreadable: 0, elapsedMs: 0 };
  const result = await summarizeLogObjects(
    files,
    {
      keyArn,
      start,
      end,
      onProgress: (progress) => {
        last = progress;
        request.onProgress?.({ ...base, progress: filesProgress(progress, false) });
      },
    },
    signal,
  );
  const { summary, ...evidence } = result;
  return {
    ...base,
    progress: filesProgress({ ...last, filesRead: result.filesRead, records: result.records }, !result.stopped, result.stopped),
    ...(summary ? { summary } : {}),
    ...(evidence.unreadable.length > 0 ? { incomplete: unreadableLine(evidence.unreadable) } : {}),
    evidence: { ...evidence, dirsPruned, dirsOutsideWindow },
  };
}
