// `keywarden usage KEY [--days N] [--cloudtrail-dir DIR | --cloudtrail-s3 [s3://BUCKET/PREFIX]]
// [--allow-partial] [--json]`: the Usage tab for scripts — CloudTrail events of one key over a
// window (LookupEvents, paced to 2 requests/second; or log files delivered to S3, a local copy or
// the bucket itself, for evidence older than 90 days), summarised, with what depends on it.

import type { Connection } from '../app/connect.js';
import { describeError } from '../domain/errors.js';
import { parseS3Url } from '../domain/s3-url.js';
import type { Grant } from '../domain/key.js';
import { cleanText } from '../domain/sanitize.js';
import { dependents, progressLine, sparkline, summarizeUsage, type Dependent, type UsageProgress, type UsageSummary, type UsageWindow } from '../domain/usage.js';
import { printJson, printLine } from './output.js';

export interface UsageOptions {
  /** Window length in days (default 7). LookupEvents keeps 90 days; files may go further. */
  days: number;
  cloudtrailDir?: string;
  /** Read the trail's bucket: `url` given, or the bucket of the trail covering the key's Region. */
  cloudtrailS3?: { url?: string };
  /** Exit 0 even when some log files could not be read (they are still named). */
  allowPartial?: boolean;
  json: boolean;
}

export type ParsedUsageFlags = { ok: true; options: UsageOptions } | { ok: false; message: string };

/**
 * Validates `--days` (1–90 for LookupEvents, any with log files), `--cloudtrail-dir`,
 * `--cloudtrail-s3` (`true`: given without a URL, the trail's bucket) and `--allow-partial`.
 */
export function parseUsageFlags(flags: {
  days?: string | undefined;
  cloudtrailDir?: string | undefined;
  cloudtrailS3?: string | true | undefined;
  allowPartial?: boolean | undefined;
  json?: boolean | undefined;
}): ParsedUsageFlags {
  let days = 7;
  if (flags.days !== undefined) {
    if (!/^\d+$/.test(flags.days) || Number(flags.days) < 1) return { ok: false, message: `--days must be a whole number of days (1 or more), not "${flags.days}"` };
    days = Number(flags.days);
  }
  if (flags.cloudtrailDir === '') return { ok: false, message: '--cloudtrail-dir needs a directory or file' };
  if (flags.cloudtrailDir !== undefined && flags.cloudtrailS3 !== undefined) return { ok: false, message: '--cloudtrail-dir and --cloudtrail-s3 cannot be used together: read a local copy or the bucket' };
  let cloudtrailS3: { url?: string } | undefined;
  if (flags.cloudtrailS3 !== undefined) {
    if (flags.cloudtrailS3 === true) cloudtrailS3 = {};
    else {
      try {
        parseS3Url(flags.cloudtrailS3);
      } catch (error) {
        return { ok: false, message: describeError(error) };
      }
      cloudtrailS3 = { url: flags.cloudtrailS3 };
    }
  }
  if (flags.allowPartial && flags.cloudtrailDir === undefined && cloudtrailS3 === undefined) {
    return { ok: false, message: '--allow-partial goes with --cloudtrail-dir or --cloudtrail-s3 (LookupEvents has no files to miss)' };
  }
  if (days > 90 && flags.cloudtrailDir === undefined && cloudtrailS3 === undefined) {
    return { ok: false, message: `CloudTrail LookupEvents keeps 90 days; for --days ${days} read the trail's log files with --cloudtrail-s3 or --cloudtrail-dir DIR` };
  }
  return {
    ok: true,
    options: {
      days,
      json: flags.json ?? false,
      ...(flags.cloudtrailDir !== undefined ? { cloudtrailDir: flags.cloudtrailDir } : {}),
      ...(cloudtrailS3 ? { cloudtrailS3 } : {}),
      ...(flags.allowPartial ? { allowPartial: true } : {}),
    },
  };
}

/** `usage --json` document. Field names are stable. */
export interface UsageDocument {
  account: string;
  caller: string;
  key: { arn: string; region: string };
  source: 'cloudtrail' | 'files' | 's3';
  /** The bucket and prefix read (`s3://…`), for source "s3". */
  location?: string;
  progress: UsageProgress;
  /** null when the usage could not be read (`unavailable` says why): unknown, never "no use". */
  summary: UsageSummary | null;
  /** Why the usage is unknown (CloudTrail refused, throttled, unreachable); absent when it was read. */
  unavailable?: string;
  dependents: Dependent[];
  /** Reads that failed but did not stop the command (e.g. ListGrants refused). */
  problems: string[];
  /** Log files that could not be read, with why: the summary is then incomplete (source "s3"). */
  unreadable?: Array<{ name: string; reason: string }>;
}

export async function collectUsage(
  connection: Connection,
  keyRef: string,
  options: UsageOptions,
  onProgress?: (progress: UsageProgress) => void,
  signal?: AbortSignal,
): Promise<UsageDocument> {
  const [{ AwsKeySource, resolveKey }, { listGrants }] = await Promise.all([import('../aws/inventory.js'), import('../aws/kms-reads.js')]);
  const source = new AwsKeySource(connection.clients);
  const identity = await source.identity();
  const key = await resolveKey(connection.clients, keyRef, signal);
  const window: UsageWindow = { days: options.days };
  const problems: string[] = [];
  const grantsPromise = listGrants(connection.clients.kms(key.region), key.arn, signal).catch((error: unknown): Grant[] => {
    problems.push(`ListGrants: ${describeError(error)}`);
    return [];
  });
  const sourceName = options.cloudtrailS3 ? 's3' : options.cloudtrailDir ? 'files' : 'cloudtrail';
  let state: Awaited<ReturnType<typeof source.loadUsage>> & { location?: string; unreadable?: Array<{ name: string; reason: string }> };
  try {
    state = await source.loadUsage(
      key,
      {
        window,
        ...(options.cloudtrailDir ? { cloudtrailDir: options.cloudtrailDir } : {}),
        ...(options.cloudtrailS3 ? { cloudtrailS3: options.cloudtrailS3 } : {}),
        ...(onProgress ? { onProgress: (s) => onProgress(s.progress) } : {}),
      },
      signal,
    );
  } catch (error) {
    // The key is known, its usage is not: say so in the same document, never as "no use".
    const reason = describeError(error);
    return {
      account: identity.account,
      caller: identity.arn,
      key,
      source: sourceName,
      progress: { source: sourceName, pages: 0, events: 0, throttled: 0, requestsPerSecond: 0, done: false, stopped: false },
      summary: null,
      unavailable: reason,
      dependents: [],
      problems: [...problems, `${sourceName === 's3' ? "the trail's bucket" : sourceName === 'files' ? 'log files' : 'CloudTrail LookupEvents'}: ${reason}`],
    };
  }
  const summary = summarizeUsage(state.events, window, connection.now(), { keyArn: key.arn });
  const grants = await grantsPromise;
  return {
    account: identity.account,
    caller: identity.arn,
    key,
    source: state.progress.source,
    ...(state.location ? { location: state.location } : {}),
    progress: state.progress,
    summary,
    dependents: dependents(grants, summary),
    problems,
    ...(state.unreadable ? { unreadable: state.unreadable } : {}),
  };
}

export async function runUsage(connection: Connection, keyRef: string, options: UsageOptions): Promise<number> {
  const showProgress = !options.json && process.stderr.isTTY;
  const document = await collectUsage(connection, keyRef, options, showProgress ? (p) => process.stderr.write(`\r${progressLine(p)}\u001b[K`) : undefined);
  if (showProgress) process.stderr.write('\r\u001b[K');
  // What was read from a bucket, on stderr whatever the output (scripts keep stdout clean).
  if (document.source === 's3' && document.summary) process.stderr.write(`keywarden: ${progressLine(document.progress)} from ${cleanText(document.location ?? '')}\n`);
  if (options.json) printJson(document);
  else printSummary(document);
  if (!document.summary) return 1;
  // Evidence with holes is not "no use": a missing file may hold the only call.
  if ((document.unreadable?.length ?? 0) > 0 && !options.allowPartial) return 1;
  return 0;
}

function printSummary(doc: UsageDocument): void {
  const { summary } = doc;
  if (!summary) {
    printLine(`${'Key'.padEnd(16)}${cleanText(doc.key.arn)}`);
    printLine(`${'Usage'.padEnd(16)}unknown: ${cleanText(doc.unavailable ?? 'it could not be read')}`);
    return;
  }
  const c = (text: string) => cleanText(text);
  const field = (name: string, value: string) => printLine(`${name.padEnd(16)}${value}`);
  field('Key', c(doc.key.arn));
  const from = doc.source === 's3' ? c(doc.location ?? "the trail's bucket") : doc.source === 'files' ? 'log files' : 'LookupEvents';
  field('Window', `${summary.window.days} days (${summary.window.start.slice(0, 16)}Z → ${summary.window.end.slice(0, 16)}Z), from ${from}`);
  field('Events', `${summary.total} (${summary.failed} failed, ${summary.dryRuns} dry runs) — ${progressLine(doc.progress)}`);
  const unreadable = doc.unreadable ?? [];
  if (unreadable.length > 0) {
    field('Incomplete', `${unreadable.length} of ${doc.progress.pages} log files could not be read: the evidence has holes`);
    for (const file of unreadable) printLine(`  ${c(file.name)}: ${c(file.reason)}`);
  }
  field('Per day', sparkline(summary.timeline.counts));
  field('Last use', summary.lastUse ? `${summary.lastUse.time} ${summary.lastUse.operation} by ${c(summary.lastUse.caller.description)}` : 'none in this window');
  if (summary.lastFailure) {
    field('Failed attempts', `${summary.failed}: ${summary.errorCodes.map((e) => `${c(e.code)} ×${e.count}`).join(', ')}`);
    field('  first', `${summary.firstFailure!.time} ${summary.firstFailure!.operation} ${c(summary.firstFailure!.errorCode)} by ${c(summary.firstFailure!.caller.description)}`);
    field('  last', `${summary.lastFailure.time} ${summary.lastFailure.operation} ${c(summary.lastFailure.errorCode)} by ${c(summary.lastFailure.caller.description)}`);
  }
  printLine();
  printLine('Operations');
  for (const op of summary.operations) printLine(`  ${String(op.count).padStart(6)}  ${c(op.operation)}${op.failed ? `  (${op.failed} failed)` : ''}`);
  printLine('Callers');
  for (const p of summary.principals) printLine(`  ${String(p.count).padStart(6)}  ${c(p.description)}${p.failed ? `  (${p.failed} failed)` : ''}`);
  printLine('Encryption contexts');
  for (const ctx of summary.contexts) printLine(`  ${String(ctx.count).padStart(6)}  ${c(ctx.description)}${ctx.resources ? `  (${ctx.resources} distinct)` : ''}`);
  printLine('Depends on this key');
  if (doc.dependents.length === 0) printLine('  nothing seen');
  for (const d of doc.dependents) {
    const parts = [d.grantIds.length ? `${d.grantIds.length} grant${d.grantIds.length === 1 ? '' : 's'}` : '', d.events ? `${d.events} events` : '', d.lastSeen ? `last ${d.lastSeen}` : ''].filter(Boolean);
    printLine(`  ${c(d.description)}${parts.length ? `  (${parts.join(', ')})` : ''}`);
  }
  for (const problem of doc.problems) printLine(`cannot read ${c(problem)}`);
}
