// `keywarden usage KEY [--days N] [--engine insights|lookup|files] [--cloudtrail-dir DIR] [--json]`:
// the Usage tab for scripts — CloudTrail events of one key over a window (LookupEvents, paced to 2
// requests/second; Logs Insights over the trail's log group; or log files delivered to S3),
// summarised, with what depends on it. Without --engine, Logs Insights when the trail delivers to
// CloudWatch Logs and the window is longer than LookupEvents reads quickly; the choice is shown.

import type { Connection } from '../app/connect.js';
import { describeError, KeywardenError } from '../domain/errors.js';
import { chooseEngine, INSIGHTS_MAX_DAYS, LOOKUP_MAX_DAYS, summaryOfLoad, usageProgressLine, USAGE_ENGINES, type EngineChoice, type UsageEngine } from '../domain/insights.js';
import type { Grant } from '../domain/key.js';
import { cleanText } from '../domain/sanitize.js';
import { dependents, sparkline, type Dependent, type UsageProgress, type UsageSummary, type UsageWindow } from '../domain/usage.js';
import { printJson, printLine } from './output.js';

export interface UsageOptions {
  /** Window length in days (default 7). LookupEvents keeps 90 days, Insights up to 365; files may go further. */
  days: number;
  cloudtrailDir?: string;
  /** Asked for with --engine (files when --cloudtrail-dir is given); undefined = keywarden chooses. */
  engine?: UsageEngine;
  json: boolean;
}

export type ParsedUsageFlags = { ok: true; options: UsageOptions } | { ok: false; message: string };

/**
 * Validates `--days` (1–90 for LookupEvents, up to 365 for Logs Insights, any with
 * --cloudtrail-dir), `--engine` and `--cloudtrail-dir` (which is the files engine).
 */
export function parseUsageFlags(flags: { days?: string | undefined; cloudtrailDir?: string | undefined; engine?: string | undefined; json?: boolean | undefined }): ParsedUsageFlags {
  let days = 7;
  if (flags.days !== undefined) {
    if (!/^\d+$/.test(flags.days) || Number(flags.days) < 1) return { ok: false, message: `--days must be a whole number of days (1 or more), not "${flags.days}"` };
    days = Number(flags.days);
  }
  if (flags.cloudtrailDir === '') return { ok: false, message: '--cloudtrail-dir needs a directory or file' };
  let engine: UsageEngine | undefined;
  if (flags.engine !== undefined) {
    if (!(USAGE_ENGINES as readonly string[]).includes(flags.engine)) return { ok: false, message: `--engine must be ${USAGE_ENGINES.join(', ').replace(/, ([^,]*)$/, ' or $1')}, not "${flags.engine}"` };
    engine = flags.engine as UsageEngine;
  }
  if (engine === 'files' && flags.cloudtrailDir === undefined) return { ok: false, message: '--engine files reads log files: give them with --cloudtrail-dir DIR' };
  if (engine !== undefined && engine !== 'files' && flags.cloudtrailDir !== undefined) return { ok: false, message: `--cloudtrail-dir reads log files; it does not go with --engine ${engine}` };
  if (flags.cloudtrailDir !== undefined) engine = 'files';
  if (engine === 'lookup' && days > LOOKUP_MAX_DAYS) {
    return { ok: false, message: `CloudTrail LookupEvents keeps ${LOOKUP_MAX_DAYS} days; for --days ${days} use --engine insights (the trail's CloudWatch Logs log group) or read the trail's log files with --cloudtrail-dir DIR` };
  }
  if (engine !== 'files' && days > INSIGHTS_MAX_DAYS) {
    return { ok: false, message: `--days ${days}: Logs Insights reads at most ${INSIGHTS_MAX_DAYS} days here and LookupEvents ${LOOKUP_MAX_DAYS}; older evidence: read the trail's log files with --cloudtrail-dir DIR` };
  }
  return { ok: true, options: { days, json: flags.json ?? false, ...(engine ? { engine } : {}), ...(flags.cloudtrailDir !== undefined ? { cloudtrailDir: flags.cloudtrailDir } : {}) } };
}

/** `usage --json` document. Field names are stable. */
export interface UsageDocument {
  account: string;
  caller: string;
  key: { arn: string; region: string };
  source: UsageProgress['source'];
  /** The engine that read the usage, and why it was chosen. */
  engine: EngineChoice;
  progress: UsageProgress;
  /** null when the usage could not be read (`unavailable` says why): unknown, never "no use". */
  summary: UsageSummary | null;
  /** Why the usage is unknown (CloudTrail refused, throttled, unreachable); absent when it was read. */
  unavailable?: string;
  dependents: Dependent[];
  /** Reads that failed but did not stop the command (e.g. ListGrants refused). */
  problems: string[];
}

/** The engine to read with: the one asked for, or Insights / LookupEvents as chooseEngine says. */
async function engineFor(connection: Connection, region: string, options: UsageOptions, signal?: AbortSignal): Promise<EngineChoice> {
  if (options.engine === 'files') return { engine: 'files', reason: `log files from ${options.cloudtrailDir ?? 'the given directory'} (--cloudtrail-dir)` };
  if (options.engine) return { engine: options.engine, reason: `${options.engine === 'insights' ? 'Logs Insights' : 'LookupEvents'}: asked for with --engine ${options.engine}` };
  const { findInsightsTarget } = await import('../aws/insights.js');
  const found = await findInsightsTarget(connection.clients.cloudtrail(region), (r) => connection.clients.logs(r), region, signal);
  const choice = chooseEngine(options.days, found.target, found.why);
  if (choice.engine === 'lookup' && options.days > LOOKUP_MAX_DAYS) {
    throw new KeywardenError('usage', `CloudTrail LookupEvents keeps ${LOOKUP_MAX_DAYS} days and Logs Insights cannot be used (${found.why ?? 'no log group'}); for --days ${options.days} read the trail's log files with --cloudtrail-dir DIR`);
  }
  if (choice.engine === 'insights' && found.target?.retentionInDays !== undefined && found.target.retentionInDays < options.days) {
    choice.reason += `; the log group keeps ${found.target.retentionInDays} days, so the window's older days hold nothing`;
  }
  return choice;
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
  const source = new AwsKeySource(connection.clients);
  const identity = await source.identity();
  const key = await resolveKey(connection.clients, keyRef, signal);
  const window: UsageWindow = { days: options.days };
  const problems: string[] = [];
  const grantsPromise = listGrants(connection.clients.kms(key.region), key.arn, signal).catch((error: unknown): Grant[] => {
    problems.push(`ListGrants: ${describeError(error)}`);
    return [];
  });
  let engine = await engineFor(connection, key.region, options, signal);
  onEngine?.(engine);
  let sourceName: UsageProgress['source'] = engine.engine === 'files' ? 'files' : engine.engine === 'insights' ? 'insights' : 'cloudtrail';
  let state: Awaited<ReturnType<typeof source.loadUsage>>;
  const load = (chosen: EngineChoice) =>
    source.loadUsage(
      key,
      {
        window,
        engine: chosen.engine,
        ...(options.cloudtrailDir ? { cloudtrailDir: options.cloudtrailDir } : {}),
        ...(onProgress ? { onProgress: (s) => onProgress(s.progress) } : {}),
      },
      signal,
    );
  try {
    try {
      state = await load(engine);
    } catch (error) {
      // keywarden chose Logs Insights and it was refused (no logs:StartQuery, say): LookupEvents
      // still serves a window it keeps. An engine asked for with --engine is not swapped.
      const kind = (error as { kind?: string }).kind;
      if (options.engine || engine.engine !== 'insights' || options.days > LOOKUP_MAX_DAYS || (kind !== 'access-denied' && kind !== 'unsupported')) throw error;
      engine = { engine: 'lookup', reason: `LookupEvents: Logs Insights was refused (${describeError(error)})` };
      onEngine?.(engine);
      sourceName = 'cloudtrail';
      state = await load(engine);
    }
  } catch (error) {
    // The key is known, its usage is not: say so in the same document, never as "no use".
    const reason = describeError(error);
    return {
      account: identity.account,
      caller: identity.arn,
      key,
      source: sourceName,
      engine,
      progress: { source: sourceName, pages: 0, events: 0, throttled: 0, requestsPerSecond: 0, done: false, stopped: false },
      summary: null,
      unavailable: reason,
      dependents: [],
      problems: [...problems, `${sourceName === 'files' ? 'log files' : sourceName === 'insights' ? 'Logs Insights' : 'CloudTrail LookupEvents'}: ${reason}`],
    };
  }
  const summary = summaryOfLoad(state, window, connection.now(), key.arn);
  if (state.progress.truncated?.length) problems.push(`Logs Insights: ${state.progress.truncated.join(', ')} cut at 10,000 rows: those parts of the summary are incomplete`);
  const grants = await grantsPromise;
  return {
    account: identity.account,
    caller: identity.arn,
    key,
    source: state.progress.source,
    engine,
    progress: state.progress,
    summary,
    dependents: dependents(grants, summary),
    problems,
  };
}

export async function runUsage(connection: Connection, keyRef: string, options: UsageOptions): Promise<number> {
  const showProgress = !options.json && process.stderr.isTTY;
  const document = await collectUsage(
    connection,
    keyRef,
    options,
    showProgress ? (p) => process.stderr.write(`\r${usageProgressLine(p)}\u001b[K`) : undefined,
    undefined,
    // Text mode says which engine reads and why (stderr); --json has it in the document.
    options.json ? undefined : (choice) => process.stderr.write(`keywarden: usage from ${cleanText(choice.reason)}\n`),
  );
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
  field('Window', `${summary.window.days} days (${summary.window.start.slice(0, 16)}Z → ${summary.window.end.slice(0, 16)}Z), from ${doc.source === 'files' ? 'log files' : doc.source === 'insights' ? 'Logs Insights' : 'LookupEvents'}`);
  field('Events', `${summary.total} (${summary.failed} failed, ${summary.dryRuns} dry runs) — ${usageProgressLine(doc.progress)}`);
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
