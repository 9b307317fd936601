// `keywarden report KEY [--format md|json] [--days N]`: the evidence a change board files before a
// retirement — metadata, aliases, tags, rotation, grants and dependents, the policy with its
// findings, CloudTrail usage over the window, the retirement record and the journal entries.
// Markdown on stdout by default; `--format json` (or `--json`) prints the ReportDocument.

import type { Connection } from '../app/connect.js';
import type { ThresholdOverrides } from '../app/config.js';
import { describeError } from '../domain/errors.js';
import type { Thresholds } from '../domain/findings.js';
import { buildReport, renderMarkdown, type ReportDocument } from '../domain/report.js';
import type { RetirementRecord } from '../domain/retirement.js';
import { summarizeUsage, type UsageEvent, type UsageSummary } from '../domain/usage.js';
import { printJson, printText } from './output.js';

export type ReportFormat = 'md' | 'json';

export interface ReportOptions {
  format: ReportFormat;
  /** CloudTrail window in days (1–90, default 30). */
  days: number;
  /** Threshold flags, on top of the config file. */
  thresholds?: ThresholdOverrides;
  /** Use these thresholds as they are (tests); otherwise the config file is read. */
  resolvedThresholds?: Thresholds;
}

export const REPORT_DAYS_DEFAULT = 30;
export const REPORT_DAYS_MAX = 90;

export type ParsedReportFlags = { ok: true; options: ReportOptions } | { ok: false; message: string };

/** Validates `--format md|json` (`--json` is the same as `--format json`) and `--days N` (1–90). */
export function parseReportFlags(flags: { format?: string | undefined; days?: string | undefined; json?: boolean | undefined }): ParsedReportFlags {
  let format: ReportFormat = flags.json ? 'json' : 'md';
  if (flags.format !== undefined) {
    const value = flags.format.trim().toLowerCase();
    if (value === 'md' || value === 'markdown') format = 'md';
    else if (value === 'json') format = 'json';
    else return { ok: false, message: `--format must be md or json, not "${flags.format}"` };
    if (flags.json && format !== 'json') return { ok: false, message: '--json and --format md contradict each other' };
  }
  let days = REPORT_DAYS_DEFAULT;
  if (flags.days !== undefined) {
    const text = flags.days.trim();
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > REPORT_DAYS_MAX) {
      return { ok: false, message: `--days must be a whole number of days from 1 to ${REPORT_DAYS_MAX} (CloudTrail LookupEvents keeps 90 days), not "${flags.days}"` };
    }
    days = Number(text);
  }
  return { ok: true, options: { format, days } };
}

/** The latest successful DisableKey not followed by an EnableKey: when the key was disabled, if the window shows it. */
export function disabledSinceFrom(events: readonly UsageEvent[]): string | undefined {
  let disabledAt: number | undefined;
  let time: string | undefined;
  for (const event of [...events].sort((a, b) => a.timeMs - b.timeMs)) {
    if (event.errorCode) continue;
    if (event.operation === 'DisableKey') {
      disabledAt = event.timeMs;
      time = event.time;
    } else if (event.operation === 'EnableKey' && disabledAt !== undefined && event.timeMs >= disabledAt) {
      disabledAt = undefined;
      time = undefined;
    }
  }
  return time;
}

/** Gathers everything the report needs. Parts that cannot be read are reported in the document, not thrown. */
export async function collectReport(several: Connection, keyRef: string, options: ReportOptions, signal?: AbortSignal): Promise<ReportDocument> {
  const [{ AwsKeySource, resolveKey }, { lookupKeyEvents }, { Retirements }, { Journal }, { RetirementStore }, { AwsChangeSource }, config, { accountForKey, readingConnection }] = await Promise.all([
    import('../aws/inventory.js'),
    import('../aws/usage.js'),
    import('../aws/retirement.js'),
    import('../journal/journal.js'),
    import('../journal/retirements.js'),
    import('../app/change-source.js'),
    import('../app/config.js'),
    import('../app/key-account.js'),
  ]);
  // Several accounts (--org, --profiles): the key is read in its own account (its ARN names it).
  const account = accountForKey(several, keyRef);
  const connection = account ? readingConnection(several, account) : several;
  const thresholds = options.resolvedThresholds ?? (await config.loadThresholds(options.thresholds ?? {}));
  const source = new AwsKeySource(connection.clients);
  const identity = await source.identity();
  const key = await resolveKey(connection.clients, keyRef, signal);
  const now = connection.now();
  const window = { days: options.days };

  const detailPromise = source.loadDetail(key, signal);
  const usagePromise = lookupKeyEvents(connection.clients.cloudtrail(key.region), key.arn, { window, now }, signal).then(
    (state): { summary: UsageSummary; disabledSince?: string } => {
      const disabledSince = disabledSinceFrom(state.events);
      return { summary: summarizeUsage(state.events, window, now, { keyArn: key.arn }), ...(disabledSince ? { disabledSince } : {}) };
    },
    (error: unknown) => ({ problem: describeError(error) }),
  );
  const retirements = new Retirements({ clients: connection.clients, journal: new Journal(undefined, { now: connection.now }), store: new RetirementStore(), identity, now: connection.now });
  const retirementPromise = retirements.find(key).then(
    (record): { record?: RetirementRecord } => (record ? { record } : {}),
    (error: unknown) => ({ problem: describeError(error) }),
  );
  const journalPromise = new AwsChangeSource(connection.clients, async () => identity)
    .journal(key.arn)
    .catch((error: unknown) => ({ operations: [], problems: [`the journal cannot be read: ${describeError(error)}`] }));

  const [detail, usage, retirement, journal] = await Promise.all([detailPromise, usagePromise, retirementPromise, journalPromise]);
  return buildReport({
    detail,
    account: identity.account,
    caller: identity.arn,
    now,
    thresholds,
    usage: { windowDays: options.days, ...('summary' in usage ? { summary: usage.summary } : { problem: usage.problem }) },
    ...('record' in retirement && retirement.record ? { retirement: retirement.record } : {}),
    ...('problem' in retirement ? { retirementProblem: retirement.problem } : {}),
    journal,
    ...('disabledSince' in usage && usage.disabledSince ? { disabledSince: usage.disabledSince } : {}),
  });
}

/** Prints the report; exit code 0 (a report with findings is still a report). */
export async function runReport(connection: Connection, keyRef: string, options: ReportOptions): Promise<number> {
  const document = await collectReport(connection, keyRef, options);
  if (options.format === 'json') printJson(document);
  else printText(renderMarkdown(document));
  return 0;
}
