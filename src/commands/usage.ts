// `keywarden usage KEY [--days N] [--cloudtrail-dir DIR [--since D] [--until D] | --cloudtrail-s3
// [s3://BUCKET/PREFIX]] [--allow-partial] [--json]`: the Usage tab for scripts — CloudTrail events
// of one key over a window (LookupEvents, paced to 2 requests/second; or the log files a trail
// delivered to S3, read from a local copy — any age, streamed through worker threads, and offline
// when KEY is a key ARN or a key id — or from the bucket itself; or Logs Insights over the trail's log
// group, `--engine insights`), summarised, with what depends on it. Without --engine, Logs Insights
// when the trail delivers to CloudWatch Logs and the window is longer than LookupEvents reads
// quickly; the choice is shown.

import type { Connection } from '../app/connect.js';
import { accountLabel, type OutsideAccount } from '../domain/outside-callers.js';
import { outsideAccountsOf, outsideAccountsWithTrails, usageClients, type CallerTrailsDocument } from './usage-accounts.js';
import { CALLER_TRAILS_NOT_READ, CALLER_TRAILS_NOT_READ_FILES, ownerCalls, type CallerTrails } from '../domain/caller-trails.js';
import { describeError } from '../domain/errors.js';
import { INSIGHTS_MAX_DAYS, LOOKUP_MAX_DAYS, summaryOfLoad, usageProgressLine, USAGE_ENGINES, type EngineChoice, type UsageEngine } from '../domain/insights.js';
import { parseS3Url } from '../domain/s3-url.js';
import type { Grant } from '../domain/key.js';
import { cleanText } from '../domain/sanitize.js';
import { grouped } from '../domain/format.js';
import { dependents, omittedLine, sparkline, type Dependent, type UsageLoadState, type UsageProgress, type UsageSummary, type UsageWindow } from '../domain/usage.js';
import { printError, printJson, printLine } from './output.js';

const DAY = 86_400_000;

export interface UsageOptions {
  /** Window length in days (LookupEvents: default 7, at most 90; log files: narrows the span). */
  days?: number;
  cloudtrailDir?: string;
  /** Read the trail's bucket: `url` given, or the bucket of the trail covering the key's Region. */
  cloudtrailS3?: { url?: string };
  /** Asked for with --engine (files when --cloudtrail-dir is given); undefined = keywarden chooses. */
  engine?: UsageEngine;
  /** Log files: window bounds (ms), from --since / --until. */
  since?: number;
  until?: number;
  /** Log files: exit 0 even when some files could not be read. */
  allowPartial?: boolean;
  json: boolean;
}

export type ParsedUsageFlags = { ok: true; options: UsageOptions } | { ok: false; message: string };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO date or time in UTC (a time without a zone is UTC). A bare date is the start of that
 * day for --since and its end for --until, so "--until 2026-03-31" includes the 31st.
 */
export function parseIsoBound(text: string, edge: 'start' | 'end'): number | undefined {
  const match = ISO_DATE.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi] = match;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  const day = Date.UTC(Number(y), Number(mo) - 1, Number(d));
  if (new Date(day).getUTCDate() !== Number(d)) return undefined; // 2026-02-30
  if (h === undefined) return edge === 'start' ? day : day + DAY - 1;
  if (Number(h) > 23 || Number(mi) > 59) return undefined;
  const ms = Date.parse(match[7] ? text.trim() : `${text.trim()}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Validates `--days` (1–90 for LookupEvents, any with log files), `--since`/`--until` and
 * `--cloudtrail-dir`, `--cloudtrail-s3` (`true`: given without a URL, the trail's bucket) and
 * `--allow-partial`.
 */
export function parseUsageFlags(flags: {
  days?: string | undefined;
  cloudtrailDir?: string | undefined;
  cloudtrailS3?: string | true | undefined;
  engine?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  allowPartial?: boolean | undefined;
  json?: boolean | undefined;
}): ParsedUsageFlags {
  let days: number | undefined;
  if (flags.days !== undefined) {
    if (!/^\d+$/.test(flags.days) || Number(flags.days) < 1) return { ok: false, message: `--days must be a whole number of days (1 or more), not "${flags.days}"` };
    days = Number(flags.days);
  }
  if (flags.cloudtrailDir === '') return { ok: false, message: '--cloudtrail-dir needs a directory or file' };
  const files = flags.cloudtrailDir !== undefined;
  let engine: UsageEngine | undefined;
  if (flags.engine !== undefined) {
    if (!(USAGE_ENGINES as readonly string[]).includes(flags.engine)) return { ok: false, message: `--engine must be ${USAGE_ENGINES.join(', ').replace(/, ([^,]*)$/, ' or $1')}, not "${flags.engine}"` };
    engine = flags.engine as UsageEngine;
  }
  if (engine === 'files' && !files) return { ok: false, message: '--engine files reads log files: give them with --cloudtrail-dir DIR' };
  if (engine !== undefined && engine !== 'files' && files) return { ok: false, message: `--cloudtrail-dir reads log files; it does not go with --engine ${engine}` };
  if (engine !== undefined && flags.cloudtrailS3 !== undefined) return { ok: false, message: `--cloudtrail-s3 reads the trail's bucket; it does not go with --engine ${engine}` };
  if (files && flags.cloudtrailS3 !== undefined) return { ok: false, message: '--cloudtrail-dir and --cloudtrail-s3 cannot be used together: read a local copy or the bucket' };
  if (flags.cloudtrailS3 !== undefined) {
    // The bucket: the last --days N days (default 7), any length; the files it cannot read are named.
    for (const [name, given] of [['--since', flags.since !== undefined], ['--until', flags.until !== undefined]] as const) {
      if (given) return { ok: false, message: `${name} goes with --cloudtrail-dir DIR (--cloudtrail-s3 reads the last --days N days)` };
    }
    let cloudtrailS3: { url?: string } = {};
    if (flags.cloudtrailS3 !== true) {
      try {
        parseS3Url(flags.cloudtrailS3);
      } catch (error) {
        return { ok: false, message: describeError(error) };
      }
      cloudtrailS3 = { url: flags.cloudtrailS3 };
    }
    return { ok: true, options: { days: days ?? 7, json: flags.json ?? false, cloudtrailS3, ...(flags.allowPartial ? { allowPartial: true } : {}) } };
  }
  if (!files) {
    for (const [name, given] of [['--since', flags.since !== undefined], ['--until', flags.until !== undefined], ['--allow-partial', flags.allowPartial === true]] as const) {
      if (given) return { ok: false, message: `${name} goes with --cloudtrail-dir DIR${name === '--allow-partial' ? ' or --cloudtrail-s3' : ''} (LookupEvents reads the last --days N days)` };
    }
    if (engine === 'lookup' && days !== undefined && days > LOOKUP_MAX_DAYS) {
      return { ok: false, message: `CloudTrail LookupEvents keeps ${LOOKUP_MAX_DAYS} days; for --days ${days} use --engine insights (the trail's CloudWatch Logs log group) or read the trail's log files with --cloudtrail-s3 or --cloudtrail-dir DIR` };
    }
    if (days !== undefined && days > INSIGHTS_MAX_DAYS) {
      return { ok: false, message: `--days ${days}: Logs Insights reads at most ${INSIGHTS_MAX_DAYS} days here and LookupEvents ${LOOKUP_MAX_DAYS}; older evidence: read the trail's log files with --cloudtrail-s3 or --cloudtrail-dir DIR` };
    }
    return { ok: true, options: { days: days ?? 7, json: flags.json ?? false, ...(engine ? { engine } : {}) } };
  }
  const since = flags.since === undefined ? undefined : parseIsoBound(flags.since, 'start');
  if (flags.since !== undefined && since === undefined) return { ok: false, message: `--since must be an ISO date or time (2026-01-31, 2026-01-31T08:00Z), not "${flags.since}"` };
  const until = flags.until === undefined ? undefined : parseIsoBound(flags.until, 'end');
  if (flags.until !== undefined && until === undefined) return { ok: false, message: `--until must be an ISO date or time (2026-03-31, 2026-03-31T18:00Z), not "${flags.until}"` };
  if (since !== undefined && until !== undefined && since > until) return { ok: false, message: `--since ${flags.since} is after --until ${flags.until}` };
  return {
    ok: true,
    options: {
      json: flags.json ?? false,
      cloudtrailDir: flags.cloudtrailDir!,
      allowPartial: flags.allowPartial ?? false,
      ...(days !== undefined ? { days } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    },
  };
}

/** A key ARN or a bare key id: what log files can be read for without asking AWS. */
export function offlineKeyRef(ref: string): boolean {
  const text = ref.trim();
  return /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(text) || /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(text);
}

/** What the log files were, for `usage --json` (`evidence`). */
export interface FilesEvidenceDocument {
  /** False when some files could not be read: the summary may miss events. */
  complete: boolean;
  filesRead: number;
  bytes: number;
  jsonBytes: number;
  records: number;
  unreadable: Array<{ name: string; reason: string }>;
  digestFilesSkipped: number;
  /** Files and folders left unread: another account or Region, or outside the window. */
  filesPruned: number;
  dirsPruned: number;
  /** Of those, left unread for the delivery date in their path (files: more than a day after the window, or before it). */
  filesOutsideWindow: number;
  dirsOutsideWindow: number;
  duplicateFiles: number;
  overlappingTrails: Array<{ account: string; region: string; trails: string[] }>;
  recordsSpan?: { first: string; last: string };
}

/** "3 files and 1 folder of other accounts …", only the parts that are not zero; '' when both are. */
function unreadParts(files: number, folders: number, folder: string, what: string): string {
  const parts = [files ? `${files} file${files === 1 ? '' : 's'}` : '', folders ? `${folders} ${folder}${folders === 1 ? '' : 's'}` : ''].filter(Boolean);
  return parts.length ? `${parts.join(' and ')} ${what}` : '';
}

/** `usage --json` document. Field names are stable. */
export interface UsageDocument {
  account: string;
  /** The caller's ARN; null offline (no AWS call was made). */
  caller: string | null;
  key: { arn: string; region: string };
  source: UsageProgress['source'];
  /** The engine that read the usage, and why it was chosen (LookupEvents or Logs Insights). */
  engine?: EngineChoice;
  /** The bucket and prefix read (`s3://…`), for source "s3". */
  location?: string;
  /** Log files read without credentials or network: no grants, no identity. */
  offline?: boolean;
  progress: UsageProgress;
  /** null when the usage could not be read (`unavailable` says why): unknown, never "no use". */
  summary: UsageSummary | null;
  /** Why the usage is unknown (CloudTrail refused, throttled, unreachable); absent when it was read. */
  unavailable?: string;
  /** Log files only: what was read, and whether that is all of it. */
  evidence?: FilesEvidenceDocument;
  dependents: Dependent[];
  /** Reads that failed but did not stop the command (e.g. ListGrants refused). */
  problems: string[];
  /** Log files that could not be read, with why: the summary is then incomplete (source "s3"). */
  unreadable?: Array<{ name: string; reason: string }>;
  /**
   * Who uses the key from outside its account: the callers of other accounts, grouped by account
   * (named when the organization is readable), failed calls included. Absent without a summary.
   */
  outsideAccounts?: OutsideAccount[];
  /**
   * The other accounts' trails read for the key (with several accounts: a call refused before it
   * reached the key is logged only in the caller's account), or why they were not read.
   */
  callerTrails?: CallerTrailsDocument;
}

/** A key id the files do not name, or name for more than one key: exit 2, nothing summarised. */
export class AmbiguousKeyError extends Error {}

interface FilesUsage {
  keyArn: string;
  summary: UsageSummary | null;
  progress: UsageProgress;
  evidence: FilesEvidenceDocument;
  unavailable?: string;
}

/**
 * The progress line of the log files, fitted to `columns` (a line wider than the terminal wraps,
 * and each \r redraw then leaves a line behind): the less useful parts go first.
 */
export function filesProgressText(p: { filesRead: number; jsonBytes: number; bytes: number; records: number; elapsedMs: number }, total: number, columns: number): string {
  const rate = p.elapsedMs > 0 ? Math.round(p.records / (p.elapsedMs / 1000)) : 0;
  const files = `files ${p.filesRead}/${total}`;
  const json = `${(p.jsonBytes / 1e6).toFixed(0)} MB of JSON`;
  const read = `(${(p.bytes / 1e6).toFixed(0)} MB read)`;
  const records = `${p.records.toLocaleString('en')} records`;
  const perSecond = `${rate.toLocaleString('en')} records/s`;
  const width = Math.max(20, columns - 1);
  for (const parts of [[files, `${json} ${read}`, records, perSecond], [files, json, records, perSecond], [files, records, perSecond], [files, records]]) {
    const line = parts.join(' · ');
    if (line.length <= width) return line;
  }
  return `${files} · ${records}`.slice(0, width);
}

/** Progress of the log files on stderr: "files 120/200 · 512 MB · 45,000 records/s". */
function filesProgressWriter(): { total: (n: number) => void; update: (p: import('../aws/log-objects.js').LogProgress) => void; clear: () => void } {
  let total = 0;
  let lastDraw = 0;
  return {
    total: (n) => {
      total = n;
    },
    update: (p) => {
      const at = Date.now();
      if (at - lastDraw < 100) return;
      lastDraw = at;
      process.stderr.write(`\r${filesProgressText(p, total, process.stderr.columns || 80)}\u001b[K`);
    },
    clear: () => process.stderr.write('\r\u001b[K'),
  };
}

/**
 * The key's usage in the log files of `options.cloudtrailDir`: the window is the span of the
 * records read, narrowed by --since / --until / --days (the last N days of the evidence).
 * `keyRef` is a key ARN, or a key id that the files must name for exactly one key.
 */
export async function collectFilesUsage(keyRef: string, options: UsageOptions, showProgress: boolean, signal?: AbortSignal): Promise<FilesUsage> {
  const [{ listLogFiles, keyPlace, newestDelivery, filesProgress }, { logObjectInfo, summarizeLogObjects }] = await Promise.all([import('../aws/cloudtrail-files.js'), import('../aws/log-objects.js')]);
  const ref = keyRef.trim();
  const place = keyPlace(ref);
  // The window's end: --until, else (for --days) the newest delivery the names show.
  let start = options.since;
  let end = options.until;
  const listed = await listLogFiles(options.cloudtrailDir!, { ...place, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) });
  if (options.days !== undefined) {
    const last = end ?? newestDelivery(listed.files, place);
    if (last !== undefined) {
      end ??= last;
      start = Math.max(start ?? -Infinity, last - options.days * DAY);
    }
  }
  const writer = showProgress ? filesProgressWriter() : undefined;
  writer?.total(listed.files.filter((f) => logObjectInfo(f.name).kind !== 'digest').length);
  let result;
  try {
    result = await summarizeLogObjects(
      listed.files,
      { keyArn: ref, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}), ...(writer ? { onProgress: writer.update } : {}) },
      signal,
    );
  } finally {
    writer?.clear();
  }
  if (!result.keyArn) {
    if (result.keyArns.length > 1) throw new AmbiguousKeyError(`key id ${ref} is named by ${result.keyArns.length} keys in these files; give one of their ARNs:\n${result.keyArns.map((a) => `  ${a}`).join('\n')}`);
    throw new AmbiguousKeyError(`no record in these files names key id ${ref}, so its ARN is unknown: give the key ARN (arn:aws:kms:REGION:ACCOUNT:key/${ref})`);
  }
  const evidence: FilesEvidenceDocument = {
    complete: result.unreadable.length === 0 && !result.stopped,
    filesRead: result.filesRead,
    bytes: result.bytes,
    jsonBytes: result.jsonBytes,
    records: result.records,
    unreadable: result.unreadable,
    digestFilesSkipped: result.digestFilesSkipped,
    filesPruned: result.filesPruned,
    dirsPruned: listed.dirsPruned,
    filesOutsideWindow: result.filesOutsideWindow,
    dirsOutsideWindow: listed.dirsOutsideWindow,
    duplicateFiles: result.duplicateFiles,
    overlappingTrails: result.overlappingTrails,
    ...(result.recordsSpan ? { recordsSpan: result.recordsSpan } : {}),
  };
  const progress = filesProgress({ filesRead: result.filesRead, bytes: result.bytes, jsonBytes: result.jsonBytes, records: result.records, unreadable: result.unreadable.length, elapsedMs: 0 }, !result.stopped, result.stopped);
  return {
    keyArn: result.keyArn,
    summary: result.summary ?? null,
    progress,
    evidence,
    ...(result.summary ? {} : { unavailable: `no CloudTrail records in ${options.cloudtrailDir}${listed.files.length === 0 ? ' (no files)' : ''}` }),
  };
}

/** `usage KEY --cloudtrail-dir DIR` with a key ARN or id: no credentials, no Region, no network. */
export async function runUsageOffline(keyRef: string, options: UsageOptions): Promise<number> {
  const showProgress = !options.json && process.stderr.isTTY === true;
  let files: FilesUsage;
  try {
    files = await collectFilesUsage(keyRef, options, showProgress);
  } catch (error) {
    if (error instanceof AmbiguousKeyError) {
      printError(`${error.message}\nRun "keywarden --help" for usage.`);
      return 2;
    }
    throw error;
  }
  const arn = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):/.exec(files.keyArn);
  const document: UsageDocument = {
    account: arn?.[2] ?? '',
    caller: null,
    key: { arn: files.keyArn, region: arn?.[1] ?? '' },
    source: 'files',
    offline: true,
    progress: files.progress,
    summary: files.summary,
    ...(files.unavailable ? { unavailable: files.unavailable } : {}),
    evidence: files.evidence,
    dependents: files.summary ? dependents([], files.summary) : [],
    problems: [],
  };
  // Offline: the other accounts by id (no names: nothing is asked of AWS).
  const outside = await outsideAccountsOf(undefined, files.keyArn, files.summary);
  if (outside) document.outsideAccounts = outside;
  document.callerTrails = { read: false, note: CALLER_TRAILS_NOT_READ };
  return finish(document, options);
}

function finish(document: UsageDocument, options: UsageOptions): number {
  if (options.json) printJson(document);
  else printSummary(document);
  if (!document.summary) return 1;
  if (document.evidence && !document.evidence.complete && !options.allowPartial) return 1;
  // Evidence with holes is not "no use": a missing file may hold the only call.
  if ((document.unreadable?.length ?? 0) > 0 && !options.allowPartial) return 1;
  return 0;
}

export async function collectUsage(
  connection: Connection,
  keyRef: string,
  options: UsageOptions,
  onProgress?: (progress: UsageProgress) => void,
  signal?: AbortSignal,
  onEngine?: (choice: EngineChoice) => void,
): Promise<UsageDocument> {
  const [{ AwsKeySource, resolveKey }, { listGrants }] = await Promise.all([import('../aws/inventory.js'), import('../aws/kms-reads.js')]);
  // With several accounts (--org, --profiles) the key is read in its own account.
  const clients = usageClients(connection, keyRef);
  const source = new AwsKeySource(clients);
  const identity = await source.identity();
  const key = await resolveKey(clients, keyRef, signal);
  const windowDays = options.days ?? 7;
  const window: UsageWindow = { days: windowDays };
  // With several accounts, the other accounts' trails for this key, read while the key's own is
  // (their own quotas): the calls refused there never reached the key's trail.
  const trailsStop = new AbortController();
  const stopTrails = () => trailsStop.abort();
  signal?.addEventListener('abort', stopTrails, { once: true });
  let trailsFailed: string | undefined;
  const trailsPromise: Promise<CallerTrails | undefined> =
    connection.accounts && !options.cloudtrailDir
      ? import('../aws/caller-trails.js')
          .then(({ readCallerTrails }) => readCallerTrails(connection.accounts!, key, { window, now: clients.now() }, trailsStop.signal))
          .catch((error: unknown) => {
            trailsFailed = describeError(error);
            return undefined;
          })
      : Promise.resolve(undefined);
  /** The outside groups, with the callers' trails when they were read. */
  const outsideOf = async (document: UsageDocument, events: UsageLoadState['events']): Promise<UsageDocument> => {
    const trails = await trailsPromise;
    signal?.removeEventListener('abort', stopTrails);
    const { outside, callerTrails } = await outsideAccountsWithTrails(connection, key.arn, document.summary, trails && document.summary ? { read: trails, owner: ownerCalls({ events }, document.summary) } : undefined);
    // With several accounts and no trails read: log files were read instead of LookupEvents, or the reading failed.
    const note: CallerTrailsDocument | undefined =
      !trails && connection.accounts ? { read: false, note: options.cloudtrailDir ? CALLER_TRAILS_NOT_READ_FILES : `the other accounts' trails could not be read: ${trailsFailed ?? 'unknown error'}` } : undefined;
    return { ...document, ...(outside ? { outsideAccounts: outside } : {}), callerTrails: note ?? callerTrails };
  };
  const problems: string[] = [];
  const grantsPromise = listGrants(clients.kms(key.region), key.arn, signal).catch((error: unknown): Grant[] => {
    problems.push(`ListGrants: ${describeError(error)}`);
    return [];
  });
  let sourceName: UsageProgress['source'] = options.cloudtrailS3 ? 's3' : options.cloudtrailDir ? 'files' : 'cloudtrail';
  let engine: EngineChoice | undefined;
  const unknown = (reason: string): UsageDocument => {
    trailsStop.abort();
    signal?.removeEventListener('abort', stopTrails);
    return unknownDocument(reason);
  };
  const unknownDocument = (reason: string): UsageDocument => ({
    // The key is known, its usage is not: say so in the same document, never as "no use".
    account: identity.account,
    caller: identity.arn,
    key,
    source: sourceName,
    ...(engine ? { engine } : {}),
    progress: { source: sourceName, pages: 0, events: 0, throttled: 0, requestsPerSecond: 0, done: false, stopped: false },
    summary: null,
    unavailable: reason,
    dependents: [],
    problems: [...problems, `${sourceName === 's3' ? "the trail's bucket" : sourceName === 'files' ? 'log files' : sourceName === 'insights' ? 'Logs Insights' : 'CloudTrail LookupEvents'}: ${reason}`],
  });
  if (options.cloudtrailDir) {
    // The same reading as offline; the connection adds the key's grants and the caller.
    let files: FilesUsage;
    try {
      files = await collectFilesUsage(key.arn, options, onProgress !== undefined, signal);
    } catch (error) {
      return unknown(describeError(error));
    }
    const grants = await grantsPromise;
    return outsideOf(
      {
        account: identity.account,
        caller: identity.arn,
        key,
        source: 'files',
        progress: files.progress,
        summary: files.summary,
        ...(files.unavailable ? { unavailable: files.unavailable } : {}),
        evidence: files.evidence,
        dependents: dependents(grants, files.summary ?? undefined),
        problems,
      },
      [],
    );
  }
  let state: Awaited<ReturnType<typeof source.loadUsage>> & { location?: string; unreadable?: Array<{ name: string; reason: string }> };
  const told = (choice: EngineChoice) => {
    engine = choice;
    sourceName = choice.engine === 'insights' ? 'insights' : 'cloudtrail';
    onEngine?.(choice);
  };
  try {
    if (options.cloudtrailS3) {
      state = await source.loadUsage(key, { window, cloudtrailS3: options.cloudtrailS3, ...(onProgress ? { onProgress: (s) => onProgress(s.progress) } : {}) }, signal);
    } else {
      // An engine asked for with --engine is used as it is (never swapped); otherwise keywarden
      // chooses, the one way the Usage tab does (src/aws/usage-engine.ts).
      if (options.engine) told({ engine: options.engine, reason: `${options.engine === 'insights' ? 'Logs Insights' : 'LookupEvents'}: asked for with --engine ${options.engine}` });
      state = await source.loadUsage(
        key,
        {
          window,
          engine: options.engine ?? 'auto',
          ...(options.engine ? {} : { onEngine: told }),
          ...(onProgress ? { onProgress: (s) => onProgress(s.progress) } : {}),
        },
        signal,
      );
    }
  } catch (error) {
    return unknown(describeError(error));
  }
  // Log files and Logs Insights come summarised; LookupEvents as events.
  const summary = summaryOfLoad(state, window, connection.now(), key.arn);
  if (state.progress.truncated?.length) problems.push(`Logs Insights: ${state.progress.truncated.join(', ')} cut at 10,000 rows: those parts of the summary are incomplete`);
  const grants = await grantsPromise;
  return outsideOf(
    {
      account: identity.account,
      caller: identity.arn,
      key,
      source: state.progress.source,
      ...(engine ? { engine } : {}),
      ...(state.location ? { location: state.location } : {}),
      progress: state.progress,
      summary,
      dependents: dependents(grants, summary),
      problems,
      ...(state.unreadable ? { unreadable: state.unreadable } : {}),
    },
    state.events,
  );
}

export async function runUsage(connection: Connection, keyRef: string, options: UsageOptions): Promise<number> {
  const showProgress = !options.json && process.stderr.isTTY;
  const lookupProgress = showProgress && !options.cloudtrailDir;
  const document = await collectUsage(
    connection,
    keyRef,
    options,
    showProgress ? (p) => lookupProgress && process.stderr.write(`\r${usageProgressLine(p)}\u001b[K`) : undefined,
    undefined,
    // Text mode says which engine reads and why (stderr); --json has it in the document.
    options.json || options.cloudtrailDir || options.cloudtrailS3 ? undefined : (choice) => process.stderr.write(`keywarden: usage from ${cleanText(choice.reason)}\n`),
  );
  if (lookupProgress) process.stderr.write('\r\u001b[K');
  // What was read from a bucket, on stderr whatever the output (scripts keep stdout clean).
  if (document.source === 's3' && document.summary) process.stderr.write(`keywarden: ${usageProgressLine(document.progress)} from ${cleanText(document.location ?? '')}\n`);
  return finish(document, options);
}

function printSummary(doc: UsageDocument): void {
  const { summary } = doc;
  const c = (text: string) => cleanText(text);
  const field = (name: string, value: string) => printLine(`${name.padEnd(16)}${value}`);
  const evidence = doc.evidence;
  const evidenceLines = () => {
    if (!evidence) return;
    const skipped = [
      evidence.digestFilesSkipped ? `${evidence.digestFilesSkipped} digest files skipped` : '',
      unreadParts(evidence.filesPruned - evidence.filesOutsideWindow, evidence.dirsPruned - evidence.dirsOutsideWindow, 'folder', 'of other accounts or Regions left unread'),
      unreadParts(evidence.filesOutsideWindow, evidence.dirsOutsideWindow, 'date folder', 'left unread, dated by name before the window or more than a day after it'),
      evidence.duplicateFiles ? `${evidence.duplicateFiles} duplicate files read once` : '',
    ].filter(Boolean);
    field('Evidence', `${evidence.filesRead} files, ${evidence.records} records, ${(evidence.jsonBytes / 1e6).toFixed(1)} MB of JSON${evidence.recordsSpan ? ` (${evidence.recordsSpan.first.slice(0, 16)}Z → ${evidence.recordsSpan.last.slice(0, 16)}Z)` : ''}${skipped.length ? `; ${skipped.join(', ')}` : ''}`);
    if (evidence.unreadable.length > 0) {
      field('INCOMPLETE', `${evidence.unreadable.length} file${evidence.unreadable.length === 1 ? '' : 's'} could not be read; none of their events are counted:`);
      for (const u of evidence.unreadable) printLine(`  ${c(u.name)}: ${c(u.reason)}`);
    }
    for (const o of evidence.overlappingTrails) {
      field('WARNING', `${o.trails.length} trails deliver ${o.account} ${c(o.region)} here; an event both logged is counted twice (point --cloudtrail-dir at one of them): ${o.trails.map(c).join(', ')}`);
    }
  };
  if (!summary) {
    printLine(`${'Key'.padEnd(16)}${cleanText(doc.key.arn)}`);
    printLine(`${'Usage'.padEnd(16)}unknown: ${cleanText(doc.unavailable ?? 'it could not be read')}`);
    evidenceLines();
    return;
  }
  field('Key', c(doc.key.arn));
  const from = doc.source === 's3' ? c(doc.location ?? "the trail's bucket") : doc.source === 'files' ? `log files${doc.offline ? ', offline' : ''}` : doc.source === 'insights' ? 'Logs Insights' : 'LookupEvents';
  field('Window', `${summary.window.days} day${summary.window.days === 1 ? '' : 's'} (${summary.window.start.slice(0, 16)}Z → ${summary.window.end.slice(0, 16)}Z), from ${from}`);
  evidenceLines();
  const unreadable = doc.unreadable ?? [];
  if (unreadable.length > 0) {
    field('Incomplete', `${unreadable.length} of ${doc.progress.pages} log files could not be read: the evidence has holes`);
    for (const file of unreadable) printLine(`  ${c(file.name)}: ${c(file.reason)}`);
  }
  // The summary counts the key's own trail; calls refused before they reached the key are only in
  // the callers' trails, and are counted under "From other accounts".
  const onlyOutside = (doc.outsideAccounts ?? []).reduce((n, group) => n + (group.fromCallerTrail?.failed ?? 0), 0);
  const outsideNote = onlyOutside > 0 ? `; ${grouped(onlyOutside)} more refused, only in callers' own trails (below)` : '';
  field('Events', `${summary.total} (${summary.failed} failed, ${summary.dryRuns} dry runs)${outsideNote}${doc.source === 'files' ? '' : ` — ${usageProgressLine(doc.progress)}`}`);
  field('Per day', sparkline(summary.timeline.counts));
  field('Last use', summary.lastUse ? `${summary.lastUse.time} ${summary.lastUse.operation} by ${c(summary.lastUse.caller.description)}` : 'none in this window');
  if (summary.lastFailure) {
    field('Failed attempts', `${summary.failed}: ${summary.errorCodes.map((e) => `${c(e.code)} ×${e.count}`).join(', ')}`);
    field('  first', `${summary.firstFailure!.time} ${summary.firstFailure!.operation} ${c(summary.firstFailure!.errorCode)} by ${c(summary.firstFailure!.caller.description)}`);
    field('  last', `${summary.lastFailure.time} ${summary.lastFailure.operation} ${c(summary.lastFailure.errorCode)} by ${c(summary.lastFailure.caller.description)}`);
    if (summary.failuresOmitted) field('', `(the newest ${summary.failures.length} failed attempts are kept in --json; ${summary.failuresOmitted} older ones are counted only)`);
  }
  printLine();
  printLine('Operations');
  for (const op of summary.operations) printLine(`  ${String(op.count).padStart(6)}  ${c(op.operation)}${op.failed ? `  (${op.failed} failed)` : ''}`);
  printLine('Callers');
  for (const p of summary.principals) printLine(`  ${String(p.count).padStart(6)}  ${c(p.description)}${p.failed ? `  (${p.failed} failed)` : ''}`);
  if (summary.principalsOmitted) printLine(`  ${omittedLine(summary.principalsOmitted, 'caller')}`);
  if (doc.outsideAccounts && doc.outsideAccounts.length > 0) {
    printLine('From other accounts');
    for (const group of doc.outsideAccounts) {
      const own = group.fromCallerTrail ? `; ${group.fromCallerTrail.failed} only in its own trail` : '';
      printLine(`  ${String(group.count).padStart(6)}  ${c(accountLabel(group))}  last ${group.lastSeen}${group.failed ? `  (${group.failed} failed${group.errorCodes.length ? `: ${group.errorCodes.map((e) => `${c(e.code)} ×${e.count}`).join(', ')}` : ''}${own})` : ''}`);
      for (const caller of group.callers) {
        printLine(`    ${String(caller.count).padStart(6)}  ${c(caller.description)}${caller.failed ? `  (${caller.failed} failed${caller.fromCallerTrail ? `, ${caller.fromCallerTrail} only in its account's trail` : ''})` : ''}`);
      }
    }
  }
  const trails = doc.callerTrails;
  if (trails?.read && trails.accounts.length === 0) printLine("Other accounts' trails: none read (only the key's own account is among the accounts read)");
  else if (trails?.read) {
    const read = trails.accounts.filter((a) => a.status !== 'unreadable');
    printLine(`Other accounts' trails: ${read.length} of ${trails.accounts.length} read (${trails.window.days} days${trails.capped ? `; ${c(trails.capped)}` : ''}), for calls refused before they reached the key`);
    for (const account of trails.accounts) {
      if (account.status === 'unreadable') printLine(`  not read: ${c(accountLabel(account))}: ${c(account.reason ?? '')}`);
      else if (account.status === 'stopped') printLine(`  stopped: ${c(accountLabel(account))} (${account.pages} pages read)`);
    }
  } else if (trails) printLine(`Other accounts' trails: not read — ${c(trails.note)}`);
  printLine('Encryption contexts');
  for (const ctx of summary.contexts) printLine(`  ${String(ctx.count).padStart(6)}  ${c(ctx.description)}${ctx.resources ? `  (${ctx.resources}${ctx.resourcesCapped ? '+' : ''} distinct)` : ''}`);
  if (summary.contextsOmitted) printLine(`  ${omittedLine(summary.contextsOmitted, 'context')}`);
  printLine(doc.offline ? 'Depends on this key (seen in use; grants are not read offline)' : 'Depends on this key');
  if (doc.dependents.length === 0) printLine('  nothing seen');
  for (const d of doc.dependents) {
    const parts = [d.grantIds.length ? `${d.grantIds.length} grant${d.grantIds.length === 1 ? '' : 's'}` : '', d.events ? `${d.events} events` : '', d.lastSeen ? `last ${d.lastSeen}` : ''].filter(Boolean);
    printLine(`  ${c(d.description)}${parts.length ? `  (${parts.join(', ')})` : ''}`);
  }
  if (summary.contextsOmitted) printLine(`  ${omittedLine(summary.contextsOmitted, 'context')}`);
  for (const problem of doc.problems) printLine(`cannot read ${c(problem)}`);
}
