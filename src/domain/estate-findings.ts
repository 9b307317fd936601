// Findings over the whole estate, for `keywarden findings`: which findings are reported (--only,
// --skip, --min-severity), which are suppressed by config.json (shown as suppressed, never
// dropped), the exit code for CI (--fail-on), and the three ways out — a table grouped by
// severity and key, SARIF 2.1.0 for code-scanning dashboards, and the AWS Security Finding Format
// for Security Hub's BatchImportFindings. Pure: findings in, documents out.

import { FINDING_CATALOGUE, catalogueEntry, toFindingRecord, type FindingRecord } from './finding-catalogue.js';
import { SEVERITIES, sortFindings, type KeyFinding, type Severity } from './findings.js';
import { displayName, type KeyRow } from './key.js';

const SEVERITY_RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };

/** Whether `severity` is at least as severe as `floor`. */
export function atLeast(severity: Severity, floor: Severity): boolean {
  return SEVERITY_RANK[severity] <= SEVERITY_RANK[floor];
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** A suppression from config.json (src/app/config.ts). */
export interface Suppression {
  id: string;
  /** Alias (with or without alias/), key id or key ARN; every key when absent. */
  key?: string | undefined;
  reason: string;
  /** YYYY-MM-DD, inclusive (UTC). */
  expires: string;
}

/** Whether a suppression names this key. */
export function suppressionMatchesKey(suppression: Suppression, row: Pick<KeyRow, 'arn' | 'keyId' | 'aliases'>): boolean {
  const key = suppression.key?.trim();
  if (!key || key === '*') return true;
  if (key === row.arn || key === row.keyId) return true;
  const alias = key.startsWith('alias/') ? key : `alias/${key}`;
  return row.aliases.includes(alias);
}

/** Whether the suppression still applies on `now` (its expiry day included). */
export function suppressionActive(suppression: Suppression, now: Date): boolean {
  const end = Date.parse(`${suppression.expires}T00:00:00Z`);
  return Number.isFinite(end) && now.getTime() < end + 86_400_000;
}

export interface EstateKey {
  arn: string;
  keyId: string;
  region: string;
  account: string;
  name: string;
}

export interface EstateFinding extends FindingRecord {
  key: EstateKey;
  /** Present when a suppression in config.json covers it: shown, not counted for --fail-on. */
  suppressed?: { reason: string; expires: string };
}

export interface FindingFilter {
  minSeverity: Severity;
  only?: readonly string[];
  skip?: readonly string[];
}

/** The findings of one key as reported: filtered, each marked suppressed or not. */
export function reportKeyFindings(row: KeyRow, account: string, findings: readonly KeyFinding[], filter: FindingFilter, suppressions: readonly Suppression[], now: Date): EstateFinding[] {
  const key: EstateKey = { arn: row.arn, keyId: row.keyId, region: row.region, account: row.metadata?.accountId || account, name: displayName(row) };
  const out: EstateFinding[] = [];
  for (const finding of sortFindings(findings)) {
    if (!atLeast(finding.severity, filter.minSeverity)) continue;
    if (filter.only && filter.only.length > 0 && !filter.only.includes(finding.id)) continue;
    if (filter.skip?.includes(finding.id)) continue;
    const suppression = suppressions.find((s) => s.id === finding.id && suppressionMatchesKey(s, row) && suppressionActive(s, now));
    out.push({ key, ...toFindingRecord(finding), ...(suppression ? { suppressed: { reason: suppression.reason, expires: suppression.expires } } : {}) });
  }
  return out;
}

/** Most severe first, then by region and key name, then as the key's findings are sorted. */
export function sortEstate(findings: readonly EstateFinding[]): EstateFinding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.f.severity] - SEVERITY_RANK[b.f.severity] ||
        a.f.key.region.localeCompare(b.f.key.region) ||
        a.f.key.name.localeCompare(b.f.key.name) ||
        a.f.key.arn.localeCompare(b.f.key.arn) ||
        a.i - b.i,
    )
    .map(({ f }) => f);
}

export function estateCounts(findings: readonly EstateFinding[]): Record<Severity, number> & { suppressed: number } {
  const counts = { high: 0, medium: 0, low: 0, info: 0, suppressed: 0 };
  for (const f of findings) {
    if (f.suppressed) counts.suppressed += 1;
    else counts[f.severity] += 1;
  }
  return counts;
}

/** The exit code for CI: 1 when a finding that is not suppressed is at least `failOn`, else 0. */
export function failOnExitCode(findings: readonly EstateFinding[], failOn: Severity | undefined): 0 | 1 {
  if (!failOn) return 0;
  return findings.some((f) => !f.suppressed && atLeast(f.severity, failOn)) ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// The table

const LABEL: Record<Severity, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' };

/** Text lines: a heading per severity, under it each key, under it its findings with the fix. */
export function findingsTableLines(findings: readonly EstateFinding[]): string[] {
  const lines: string[] = [];
  const sorted = sortEstate(findings);
  for (const severity of SEVERITIES) {
    const group = sorted.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(`${LABEL[severity]} (${group.length})`);
    let lastKey = '';
    for (const f of group) {
      if (f.key.arn !== lastKey) {
        lastKey = f.key.arn;
        lines.push(`  ${f.key.name}  ${f.key.region}  ${f.key.arn}`);
      }
      lines.push(`    ${f.id}${f.suppressed ? `  [suppressed until ${f.suppressed.expires}: ${f.suppressed.reason}]` : ''}`);
      lines.push(`      ${f.evidence}`);
      lines.push(`      Fix: ${f.fix}`);
    }
  }
  const c = estateCounts(findings);
  if (lines.length > 0) lines.push('');
  lines.push(`${findings.length} finding${findings.length === 1 ? '' : 's'}: ${c.high} high · ${c.medium} medium · ${c.low} low · ${c.info} info${c.suppressed > 0 ? ` · ${c.suppressed} suppressed` : ''}`);
  return lines;
}

/** `keywarden findings --catalogue` as text lines. */
export function catalogueLines(): string[] {
  const lines: string[] = [];
  for (const entry of FINDING_CATALOGUE) {
    if (lines.length > 0) lines.push('');
    lines.push(`${entry.id}  (${entry.severity}, ${entry.category})  ${entry.title}`);
    lines.push(`  checks: ${entry.checks}`);
    lines.push(`  why:    ${entry.why}`);
    lines.push(`  fix:    ${entry.fix}`);
    lines.push(`  docs:   ${entry.docs}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format; schema
// https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json):
// sarifLog {version "2.1.0", runs}; run {tool {driver {name, rules}}, results}; a
// reportingDescriptor needs an id; a result needs a message (text); level is one of none, note,
// warning, error; suppression.kind is inSource or external, status accepted / underReview /
// rejected; artifactLocation.uri is a URI reference (an ARN is one: scheme "arn").

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning reads `security-severity` (0–10) from a rule's properties. */
const SECURITY_SEVERITY: Record<Severity, string> = { high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** A stable fingerprint for one finding on one key: rule, key ARN and subject. */
function fingerprint(f: EstateFinding): string {
  // FNV-1a, 64 bits as two 32-bit halves: stable across runs and machines, no crypto needed.
  const text = `${f.id}\n${f.key.arn}\n${f.subject ?? ''}`;
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x01000193 + 2) >>> 0;
  }
  return `${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}

/**
 * A rule's friendly name (SARIF §3.49.7), PascalCase from its id: "rotation-off" → "RotationOff".
 * It must differ from the id, which is the stable opaque identifier (§3.49.3; the SARIF validator's
 * rule SARIF1001 compares them ignoring case), so a one-word id names what it is about: "UnusedKey".
 */
export function ruleName(id: string): string {
  const name = id.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, c: string) => c.toUpperCase());
  return name.toLowerCase() === id.toLowerCase() ? `${name}Key` : name;
}

export function toSarif(findings: readonly EstateFinding[], tool: { version: string }): Record<string, unknown> {
  const rules = FINDING_CATALOGUE.map((entry) => ({
    id: entry.id,
    name: ruleName(entry.id),
    shortDescription: { text: entry.title },
    fullDescription: { text: `${entry.checks} ${entry.why}` },
    help: { text: `${entry.fix} (${entry.docs})`, markdown: `${entry.fix}\n\nSee [the AWS documentation](${entry.docs}).` },
    helpUri: entry.docs,
    defaultConfiguration: { level: SARIF_LEVEL[entry.severity] },
    properties: { category: entry.category, tags: ['security', 'aws-kms', entry.category], 'security-severity': SECURITY_SEVERITY[entry.severity] },
  }));
  const ruleIndex = new Map(FINDING_CATALOGUE.map((entry, i) => [entry.id, i]));
  const results = sortEstate(findings).map((f) => {
    const index = ruleIndex.get(f.id);
    return {
      ruleId: f.id,
      ...(index !== undefined ? { ruleIndex: index } : {}),
      level: SARIF_LEVEL[f.severity],
      message: { text: `${f.key.name}: ${f.evidence}. Fix: ${f.fix}` },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: f.key.arn } },
          logicalLocations: [{ name: f.key.name, fullyQualifiedName: f.key.arn, kind: 'resource' }],
        },
      ],
      partialFingerprints: { 'keywardenFinding/v1': fingerprint(f) },
      ...(f.suppressed ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${f.suppressed.reason} (until ${f.suppressed.expires})` }] } : {}),
      properties: { severity: f.severity, region: f.key.region, account: f.key.account, keyId: f.key.keyId, ...(f.subject !== undefined ? { subject: f.subject } : {}) },
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'keywarden', version: tool.version, rules } },
        results,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// AWS Security Finding Format (Security Hub User Guide, "Required top-level ASFF attributes";
// Partner guide, "Guidelines for mapping findings into the ASFF"): SchemaVersion 2018-10-08;
// Id unique per finding (resubmitting the same Id updates it); ProductArn of the account's own
// findings is arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default; Title at most 256
// characters, Description at most 1,024; Severity.Label INFORMATIONAL / LOW / MEDIUM / HIGH /
// CRITICAL; Types namespace/category/classifier. BatchImportFindings takes at most 100 findings
// per request.

export const ASFF_BATCH_LIMIT = 100;
const ASFF_LABEL: Record<Severity, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFORMATIONAL' };

function cut(text: string, max: number): string {
  return [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;
}

export function toAsff(findings: readonly EstateFinding[], now: Date): Array<Record<string, unknown>> {
  const at = now.toISOString();
  return sortEstate(findings).map((f) => {
    const partition = f.key.arn.split(':')[1] ?? 'aws';
    const entry = catalogueEntry(f.id);
    return {
      SchemaVersion: '2018-10-08',
      Id: `keywarden/${f.key.arn}/${f.id}/${fingerprint(f)}`,
      ProductArn: `arn:${partition}:securityhub:${f.key.region}:${f.key.account}:product/${f.key.account}/default`,
      GeneratorId: `keywarden/${f.id}`,
      AwsAccountId: f.key.account,
      Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      CreatedAt: at,
      UpdatedAt: at,
      Severity: { Label: ASFF_LABEL[f.severity], Original: f.severity },
      Title: cut(`${f.title}: ${f.key.name}`, 256),
      Description: cut(f.evidence, 1024),
      Remediation: { Recommendation: { Text: cut(f.fix, 512), ...(entry ? { Url: entry.docs } : {}) } },
      ProductFields: { 'keywarden/FindingId': f.id, 'keywarden/Category': f.category, ...(f.subject !== undefined ? { 'keywarden/Subject': cut(f.subject, 1024) } : {}) },
      Resources: [{ Type: 'AwsKmsKey', Id: f.key.arn, Partition: partition, Region: f.key.region }],
      RecordState: 'ACTIVE',
      Workflow: { Status: f.suppressed ? 'SUPPRESSED' : 'NEW' },
      ...(f.suppressed ? { Note: { Text: cut(`suppressed until ${f.suppressed.expires}: ${f.suppressed.reason}`, 512), UpdatedBy: 'keywarden', UpdatedAt: at } } : {}),
    };
  });
}

/** ASFF findings in BatchImportFindings requests of at most 100. */
export function asffBatches(findings: ReadonlyArray<Record<string, unknown>>): Array<{ Findings: Array<Record<string, unknown>> }> {
  const out: Array<{ Findings: Array<Record<string, unknown>> }> = [];
  for (let i = 0; i < findings.length; i += ASFF_BATCH_LIMIT) out.push({ Findings: findings.slice(i, i + ASFF_BATCH_LIMIT) });
  return out;
}
