// `keywarden usage KEY [--days N] [--cloudtrail-dir DIR] [--json]`: the Usage tab for scripts —
// CloudTrail events of one key over a window (LookupEvents, paced to 2 requests/second; or log
// files delivered to S3 for evidence older than 90 days), summarised, with what depends on it.

import type { Connection } from '../app/connect.js';
import { describeError } from '../domain/errors.js';
import type { Grant } from '../domain/key.js';
import { cleanText } from '../domain/sanitize.js';
import { dependents, progressLine, sparkline, summarizeUsage, type Dependent, type UsageProgress, type UsageSummary, type UsageWindow } from '../domain/usage.js';
import { printJson, printLine } from './output.js';

export interface UsageOptions {
  /** Window length in days (default 7). LookupEvents keeps 90 days; files may go further. */
  days: number;
  cloudtrailDir?: string;
  json: boolean;
}

export type ParsedUsageFlags = { ok: true; options: UsageOptions } | { ok: false; message: string };

/** Validates `--days` (1–90 for LookupEvents, any with --cloudtrail-dir) and `--cloudtrail-dir`. */
export function parseUsageFlags(flags: { days?: string | undefined; cloudtrailDir?: string | undefined; json?: boolean | undefined }): ParsedUsageFlags {
  let days = 7;
  if (flags.days !== undefined) {
    if (!/^\d+$/.test(flags.days) || Number(flags.days) < 1) return { ok: false, message: `--days must be a whole number of days (1 or more), not "${flags.days}"` };
    days = Number(flags.days);
  }
  if (flags.cloudtrailDir === '') return { ok: false, message: '--cloudtrail-dir needs a directory or file' };
  if (days > 90 && flags.cloudtrailDir === undefined) {
    return { ok: false, message: `CloudTrail LookupEvents keeps 90 days; for --days ${days} read the trail's log files with --cloudtrail-dir DIR` };
  }
  return { ok: true, options: { days, json: flags.json ?? false, ...(flags.cloudtrailDir !== undefined ? { cloudtrailDir: flags.cloudtrailDir } : {}) } };
}

/** `usage --json` document. Field names are stable. */
export interface UsageDocument {
  account: string;
  caller: string;
  key: { arn: string; region: string };
  source: UsageProgress['source'];
  progress: UsageProgress;
  /** null when the usage could not be read (`unavailable` says why): unknown, never "no use". */
  summary: UsageSummary | null;
  /** Why the usage is unknown (CloudTrail refused, throttled, unreachable); absent when it was read. */
  unavailable?: string;
  dependents: Dependent[];
  /** Reads that failed but did not stop the command (e.g. ListGrants refused). */
  problems: string[];
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
  const sourceName = options.cloudtrailDir ? 'files' : 'cloudtrail';
  let state: Awaited<ReturnType<typeof source.loadUsage>>;
  try {
    state = await source.loadUsage(
      key,
      { window, ...(options.cloudtrailDir ? { cloudtrailDir: options.cloudtrailDir } : {}), ...(onProgress ? { onProgress: (s) => onProgress(s.progress) } : {}) },
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
      problems: [...problems, `${sourceName === 'files' ? 'log files' : 'CloudTrail LookupEvents'}: ${reason}`],
    };
  }
  const summary = summarizeUsage(state.events, window, connection.now(), { keyArn: key.arn });
  const grants = await grantsPromise;
  return {
    account: identity.account,
    caller: identity.arn,
    key,
    source: state.progress.source,
    progress: state.progress,
    summary,
    dependents: dependents(grants, summary),
    problems,
  };
}

export async function runUsage(connection: Connection, keyRef: string, options: UsageOptions): Promise<number> {
  const showProgress = !options.json && process.stderr.isTTY;
  const document = await collectUsage(connection, keyRef, options, showProgress ? (p) => process.stderr.write(`\r${progressLine(p)}\u001b[K`) : undefined);
  if (showProgress) process.stderr.write('\r\u001b[K');
  if (options.json) printJson(document);
  else printSummary(document);
  return document.summary ? 0 : 1;
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
  field('Window', `${summary.window.days} days (${summary.window.start.slice(0, 16)}Z → ${summary.window.end.slice(0, 16)}Z), from ${doc.source === 'files' ? 'log files' : 'LookupEvents'}`);
  field('Events', `${summary.total} (${summary.failed} failed, ${summary.dryRuns} dry runs) — ${progressLine(doc.progress)}`);
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
