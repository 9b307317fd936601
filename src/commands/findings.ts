// `keywarden findings`: every finding on every customer-managed key in scope (the regions of the
// connection), read as the keys view reads them — inventory, last use (5/s), policy and grants
// (ListGrants 100/s), each within its quota and reused from disk for an hour — and printed as a
// table grouped by severity and key, as JSON, as SARIF 2.1.0 or as ASFF for Security Hub.
// `--fail-on SEVERITY` makes the exit code 1 when a finding that is not suppressed is at least
// that severe. Suppressions come from config.json and are always shown, marked suppressed.

import type { Connection } from '../app/connect.js';
import type { ThresholdOverrides } from '../app/config.js';
import { catalogueIds, FINDING_CATALOGUE } from '../domain/finding-catalogue.js';
import {
  asffBatches,
  catalogueLines,
  estateCounts,
  failOnExitCode,
  findingsTableLines,
  isSeverity,
  reportKeyFindings,
  sortEstate,
  toAsff,
  toSarif,
  type EstateFinding,
  type FindingFilter,
  type Suppression,
} from '../domain/estate-findings.js';
import { findingsForKey, SEVERITIES, type Severity, type Thresholds } from '../domain/findings.js';
import { KeywardenError } from '../domain/errors.js';
import { cleanText } from '../domain/sanitize.js';
import { printJson, printJsonLine, printLine } from './output.js';

export type FindingsFormat = 'table' | 'json' | 'sarif' | 'asff';

export interface FindingsOptions {
  format: FindingsFormat;
  filter: FindingFilter;
  failOn?: Severity;
  thresholds?: ThresholdOverrides;
  /** Use these as they are (tests); otherwise the config file is read. */
  resolvedThresholds?: Thresholds;
  resolvedSuppressions?: Suppression[];
  /** The version written into SARIF's tool.driver. */
  version?: string;
  /** Send the findings (ASFF) to Security Hub with BatchImportFindings, and print what it took. */
  import?: boolean;
}

export interface FindingsFlags {
  json?: boolean;
  sarif?: boolean;
  asff?: boolean;
  minSeverity?: string | undefined;
  failOn?: string | undefined;
  only?: string | undefined;
  skip?: string | undefined;
  import?: boolean;
}

export type ParsedFindingsFlags = { ok: true; options: FindingsOptions } | { ok: false; message: string };

function severityFlag(name: string, value: string | undefined): Severity | string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  return isSeverity(text) ? text : `${name} must be one of ${SEVERITIES.join(', ')}, not "${value}"`;
}

function idList(name: string, value: string | undefined): string[] | { error: string } | undefined {
  if (value === undefined) return undefined;
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 0) return { error: `${name} needs at least one finding id (comma-separated; keywarden findings --catalogue lists them)` };
  const known = new Set(catalogueIds());
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) return { error: `${name}: unknown finding id${unknown.length === 1 ? '' : 's'} ${unknown.map((id) => `"${id}"`).join(', ')} (keywarden findings --catalogue lists them)` };
  return ids;
}

/** Validates the findings flags; a bad value is a usage error (exit 2) that names the flag. */
export function parseFindingsFlags(flags: FindingsFlags): ParsedFindingsFlags {
  const formats = (['json', 'sarif', 'asff'] as const).filter((f) => flags[f]);
  if (formats.length > 1) return { ok: false, message: `choose one output format: ${formats.map((f) => `--${f}`).join(' and ')} cannot be used together` };
  // --import sends the ASFF itself and prints what Security Hub took (as text, or with --json).
  if (flags.import && (flags.sarif || flags.asff)) return { ok: false, message: `--import prints what Security Hub took, not the findings: it goes with --json, not --${flags.sarif ? 'sarif' : 'asff'}` };
  const minSeverity = severityFlag('--min-severity', flags.minSeverity);
  if (typeof minSeverity === 'string' && !isSeverity(minSeverity)) return { ok: false, message: minSeverity };
  const failOn = severityFlag('--fail-on', flags.failOn);
  if (typeof failOn === 'string' && !isSeverity(failOn)) return { ok: false, message: failOn };
  const only = idList('--only', flags.only);
  if (only && !Array.isArray(only)) return { ok: false, message: only.error };
  const skip = idList('--skip', flags.skip);
  if (skip && !Array.isArray(skip)) return { ok: false, message: skip.error };
  if (only && skip) {
    const both = only.filter((id) => skip.includes(id));
    if (both.length > 0) return { ok: false, message: `--only and --skip both name ${both.map((id) => `"${id}"`).join(', ')}` };
  }
  return {
    ok: true,
    options: {
      format: formats[0] ?? 'table',
      filter: { minSeverity: (minSeverity as Severity | undefined) ?? 'info', ...(only ? { only } : {}), ...(skip ? { skip } : {}) },
      ...(failOn ? { failOn: failOn as Severity } : {}),
      ...(flags.import ? { import: true } : {}),
    },
  };
}

export interface FindingsDocument {
  findingsVersion: 1;
  generatedAt: string;
  account: string;
  caller: string;
  regions: string[];
  regionErrors: Array<{ region: string; error: string }>;
  /** Customer-managed keys checked. */
  keysChecked: number;
  counts: ReturnType<typeof estateCounts>;
  findings: EstateFinding[];
}

/** Reads every key in scope and gathers its findings. */
export async function collectFindings(connection: Connection, options: FindingsOptions, progress?: NodeJS.WritableStream & { isTTY?: boolean }): Promise<FindingsDocument> {
  const [{ collectInventory }, config] = await Promise.all([import('./inventory.js'), import('../app/config.js')]);
  let thresholds = options.resolvedThresholds;
  let suppressions = options.resolvedSuppressions;
  if (!thresholds || !suppressions) {
    const loaded = await config.loadConfig();
    thresholds ??= config.resolveThresholds(loaded.thresholds, options.thresholds ?? {});
    suppressions ??= loaded.suppressions;
  }
  const { identity, document } = await collectInventory(connection, { lastUse: true, access: true, ...(progress ? { progress } : {}) });
  const now = connection.now();
  const keys = document.keys.filter((row) => row.metadata && row.metadata.keyManager === 'CUSTOMER');
  const findings: EstateFinding[] = [];
  for (const row of keys) {
    // With several accounts (--org) each key is judged from its own account (cross-account principals).
    const account = row.accountId ?? identity.account;
    const found = findingsForKey({ key: row, thresholds, now, account });
    findings.push(...reportKeyFindings(row, account, found, options.filter, suppressions, now));
  }
  const sorted = sortEstate(findings);
  return {
    findingsVersion: 1,
    generatedAt: now.toISOString(),
    account: identity.account,
    caller: identity.arn,
    regions: document.regions,
    regionErrors: document.regionErrors,
    keysChecked: keys.length,
    counts: estateCounts(sorted),
    findings: sorted,
  };
}

/** `findings --import`: the ASFF sent through BatchImportFindings; exit 1 when any finding was not taken. */
async function importToSecurityHub(connection: Connection, doc: FindingsDocument, options: FindingsOptions): Promise<number> {
  const { importFindings } = await import('../aws/securityhub-import.js');
  const asff = toAsff(doc.findings, connection.now());
  const progress = process.stderr.isTTY ? (sent: number, total: number) => process.stderr.write(`\rsending to Security Hub: ${sent} of ${total}`) : undefined;
  const result = await importFindings(connection.clients, asff, progress);
  if (progress) process.stderr.write('\n');
  const notTaken = result.failed.length + result.refused.reduce((n, r) => n + r.findings, 0);
  if (options.format === 'json') printJson({ findings: asff.length, imported: result.imported, requests: result.requests, failed: result.failed, refused: result.refused });
  else {
    printLine(`Security Hub took ${result.imported} of ${asff.length} findings (${result.requests} BatchImportFindings request${result.requests === 1 ? '' : 's'})`);
    for (const f of result.failed) printLine(`  refused ${cleanText(f.id)}: ${cleanText(f.code)}: ${cleanText(f.message)}`);
    for (const r of result.refused) printLine(`  ${r.region}: ${r.findings} finding${r.findings === 1 ? '' : 's'} not imported: ${cleanText(r.code)}: ${cleanText(r.message)}`);
  }
  if (doc.regionErrors.length > 0 || notTaken > 0) return 1;
  return failOnExitCode(doc.findings, options.failOn);
}

export async function runFindings(connection: Connection, options: FindingsOptions): Promise<number> {
  if (options.import && connection.session.readOnly) {
    throw new KeywardenError('read-only', 'read-only mode: --import sends BatchImportFindings (a write to Security Hub); nothing was sent');
  }
  const doc = await collectFindings(connection, options);
  if (options.import) return importToSecurityHub(connection, doc, options);
  if (options.format === 'json') printJson(doc);
  else if (options.format === 'sarif') printJson(toSarif(doc.findings, { version: options.version ?? '0.0.0' }));
  else if (options.format === 'asff') {
    // One BatchImportFindings request (at most 100 findings) per line, ready for
    // `aws securityhub batch-import-findings --cli-input-json "$line"`.
    for (const batch of asffBatches(toAsff(doc.findings, connection.now()))) printJsonLine(batch);
  } else {
    for (const line of findingsTableLines(doc.findings)) printLine(line);
    printLine(`${doc.keysChecked} customer-managed key${doc.keysChecked === 1 ? '' : 's'} checked in ${doc.regions.join(', ')}`);
    for (const failure of doc.regionErrors) printLine(`region ${failure.region}: ${cleanText(failure.error)}`);
  }
  if (doc.regionErrors.length > 0) return 1;
  return failOnExitCode(doc.findings, options.failOn);
}

/** `keywarden findings --catalogue [--json]`: every finding keywarden reports. Needs no connection. */
export function runCatalogue(json: boolean): number {
  if (json) printJson({ catalogueVersion: 1, findings: FINDING_CATALOGUE });
  else for (const line of catalogueLines()) printLine(line);
  return 0;
}
