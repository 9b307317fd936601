// The evidence report for one key — what a change board files before a retirement: metadata,
// aliases, tags, rotation, grants and what depends on the key, the policy with its findings,
// usage, the retirement record and the journal entries. `buildReport` makes the document (stable
// JSON: every field always present, `null` when there is nothing; `reportVersion` changes only when
// fields are renamed or removed); `renderMarkdown` writes it as Markdown with tables.
// JSON keeps AWS's strings as they are; Markdown cleans every one of them (terminal control
// sequences, bidi controls) and escapes it for its place (table cell or code block).

import { countBySeverity, findingsForKey, type KeyFinding, type Severity, type Thresholds } from './findings.js';
import { formatDateTime } from './format.js';
import { displayName, isReadProblem, rotationPeriodWords, type Grant, type KeyDetail, type KeyMetadata, type LastUsage, type RotationEntry, type RotationStatus, type Tag } from './key.js';
import type { RetirementRecord } from './retirement.js';
import { cleanText } from './sanitize.js';
import { describePrincipal } from './services.js';
import type { JournalOperationView } from './source.js';
import { dependents, type Dependent, type UsageSummary } from './usage.js';

export const REPORT_VERSION = 1;

/** `keywarden report KEY --format json`. Field names are stable; see the comments for meaning. */
export interface ReportDocument {
  reportVersion: typeof REPORT_VERSION;
  /** When the evidence was gathered (ISO-8601, the account's clock). */
  generatedAt: string;
  generatedBy: { tool: 'keywarden'; account: string; caller: string };
  key: {
    arn: string;
    keyId: string;
    region: string;
    /** The name an operator knows it by (first alias, else the key id). */
    name: string;
    aliases: string[];
    /** DescribeKey; null when it was refused. */
    metadata: KeyMetadata | null;
  };
  tags: Tag[];
  rotation: {
    status: RotationStatus;
    /** ListKeyRotations (empty for keys that cannot rotate). */
    history: RotationEntry[];
    onDemandRotationsLeft: number | null;
    problem: string | null;
  };
  lastUsage: LastUsage;
  grants: { items: Grant[]; problem: string | null };
  /** Grants and CloudTrail usage merged: what depends on this key. */
  dependents: Dependent[];
  policy: { document: string | null; problem: string | null };
  findings: { counts: Record<Severity, number>; items: KeyFinding[]; thresholds: Thresholds };
  usage: { windowDays: number; summary: UsageSummary | null; problem: string | null };
  retirement: { record: RetirementRecord | null; problem: string | null };
  /** keywarden's audit journal, this key's operations oldest first. */
  journal: { operations: JournalOperationView[]; problems: string[] };
  /** Parts of the key that could not be read. */
  problems: string[];
}

export interface ReportInput {
  detail: KeyDetail;
  account: string;
  caller: string;
  now: Date;
  thresholds: Thresholds;
  usage: { windowDays: number; summary?: UsageSummary; problem?: string };
  retirement?: RetirementRecord;
  retirementProblem?: string;
  journal?: { operations: JournalOperationView[]; problems: string[] };
  /** When the key was disabled (CloudTrail DisableKey), if known. */
  disabledSince?: string;
}

export function buildReport(input: ReportInput): ReportDocument {
  const { detail, now } = input;
  const { row } = detail;
  const grants = Array.isArray(detail.grants) ? detail.grants : [];
  const findings = findingsForKey({
    key: detail,
    now,
    thresholds: input.thresholds,
    account: input.account,
    ...(input.retirement ? { retirement: input.retirement } : {}),
    ...(input.disabledSince ? { disabledSince: input.disabledSince } : {}),
  });
  return {
    reportVersion: REPORT_VERSION,
    generatedAt: now.toISOString(),
    generatedBy: { tool: 'keywarden', account: input.account, caller: input.caller },
    key: { arn: row.arn, keyId: row.keyId, region: row.region, name: displayName(row), aliases: [...row.aliases], metadata: row.metadata ?? null },
    tags: [...row.tags],
    rotation: {
      status: row.rotation,
      history: Array.isArray(detail.rotations) ? detail.rotations : [],
      onDemandRotationsLeft: detail.onDemandRotationsLeft ?? null,
      problem: isReadProblem(detail.rotations) ? detail.rotations.message : null,
    },
    lastUsage: row.lastUsage,
    grants: { items: grants, problem: isReadProblem(detail.grants) ? detail.grants.message : null },
    dependents: dependents(grants, input.usage.summary),
    policy: { document: typeof detail.policy === 'string' ? detail.policy : null, problem: isReadProblem(detail.policy) ? detail.policy.message : null },
    findings: { counts: countBySeverity(findings), items: findings, thresholds: input.thresholds },
    usage: { windowDays: input.usage.windowDays, summary: input.usage.summary ?? null, problem: input.usage.problem ?? null },
    retirement: { record: input.retirement ?? null, problem: input.retirementProblem ?? null },
    journal: input.journal ?? { operations: [], problems: [] },
    problems: row.problems.map((p) => `${p.what}: ${p.message}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** Untrusted text made safe for one Markdown table cell: cleaned, on one line, escaped. */
export function mdCell(text: string | undefined | null): string {
  if (text === undefined || text === null || text === '') return '—';
  return cleanText(text, { singleLine: true })
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '\\`')
    .replace(/\*/g, '\\*')
    .replace(/_/g, '\\_')
    .replace(/\[/g, '\\[')
    .replace(/\]/g, '\\]')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Untrusted text as inline Markdown outside tables (headings, list items): the same escaping. */
const mdText = mdCell;

/** A fenced code block that the text cannot break out of. */
export function mdCodeBlock(text: string, language = ''): string {
  const clean = cleanText(text, { singleLine: false });
  const longest = Math.max(0, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${clean}\n${fence}`;
}

function table(headers: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ['_none_'];
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function when(iso: string | undefined | null): string {
  return iso ? `${formatDateTime(iso)} UTC` : '—';
}

function rotationText(status: RotationStatus): string {
  switch (status.kind) {
    case 'enabled':
      return `on, ${rotationPeriodWords(status.periodDays)}${status.nextRotationDate ? `, next ${when(status.nextRotationDate)}` : ''}`;
    case 'disabled':
      return 'off';
    case 'unsupported':
      return `not possible: ${status.reason}`;
    case 'error':
      return `unknown: ${status.message}`;
  }
}

function lastUsageText(usage: LastUsage): string {
  switch (usage.kind) {
    case 'used':
      return `${when(usage.timestamp)} (${usage.operation})`;
    case 'never':
      return `never (tracked since ${when(usage.trackingStartDate)})`;
    case 'not-since-tracking':
      return `not since tracking began ${when(usage.trackingStartDate)}; earlier use unknown`;
    case 'pending':
      return 'not read yet';
    case 'error':
      return `unknown: ${usage.message}`;
  }
}

function constraintsText(grant: Grant): string {
  const c = grant.constraints;
  if (!c) return '';
  const parts: string[] = [];
  const map = (label: string, m: Record<string, string> | undefined) => {
    if (m) parts.push(`${label} ${Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  };
  map('context ⊇', c.encryptionContextSubset);
  map('context =', c.encryptionContextEquals);
  if (c.sourceArn) parts.push(`source ${c.sourceArn}`);
  return parts.join('; ');
}

function prettyPolicy(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The report as Markdown: headings, tables, the policy in a code block. */
export function renderMarkdown(doc: ReportDocument): string {
  const out: string[] = [];
  const meta = doc.key.metadata;
  const section = (title: string) => out.push('', `## ${title}`, '');
  out.push(`# Key evidence report: ${mdText(doc.key.name)}`, '');
  out.push(`Generated ${when(doc.generatedAt)} by ${mdText(doc.generatedBy.caller)} (account ${mdText(doc.generatedBy.account)}) with keywarden, report format ${doc.reportVersion}.`);

  section('Key');
  const fields: Array<[string, string]> = [
    ['ARN', mdCell(doc.key.arn)],
    ['Key id', mdCell(doc.key.keyId)],
    ['Region', mdCell(doc.key.region)],
    ['Aliases', mdCell(doc.key.aliases.join(', '))],
  ];
  if (meta) {
    fields.push(
      ['Description', mdCell(meta.description)],
      ['State', mdCell(meta.state)],
      ['Key spec / usage', mdCell(`${meta.keySpec} / ${meta.keyUsage}`)],
      ['Origin', mdCell(meta.origin)],
      ['Key manager', mdCell(meta.keyManager)],
      ['Created', when(meta.creationDate)],
    );
    if (meta.deletionDate) fields.push(['Deletion date', when(meta.deletionDate)]);
    if (meta.multiRegion) fields.push(['Multi-Region', mdCell(`${meta.multiRegionRole ?? ''}${meta.primaryKey ? ` (primary ${meta.primaryKey.arn})` : ''}`)]);
  } else {
    fields.push(['State', 'no access (DescribeKey refused)']);
  }
  fields.push(['Rotation', mdCell(rotationText(doc.rotation.status))], ['Last used (GetKeyLastUsage)', mdCell(lastUsageText(doc.lastUsage))]);
  out.push(...table(['Field', 'Value'], fields.map(([k, v]) => [k, v])));

  section(`Findings (${doc.findings.items.length})`);
  const c = doc.findings.counts;
  out.push(`high ${c.high} · medium ${c.medium} · low ${c.low} · info ${c.info}`, '');
  out.push(...table(['Severity', 'Category', 'Id', 'Finding'], doc.findings.items.map((f) => [f.severity, f.category, mdCell(f.id), mdCell(f.message)])));
  if (doc.findings.items.length > 0) {
    out.push('');
    for (const f of doc.findings.items) out.push(`- **${mdText(f.id)}** (${f.severity}): ${mdText(f.explanation)}`);
  }
  const t = doc.findings.thresholds;
  out.push(
    '',
    `Thresholds: unused ${t.unusedDays} d · disabled ${t.disabledDays} d · recent use ${t.recentUseDays} d · max rotation ${t.maxRotationDays} d · admin roles ${mdText(t.adminRoles.join(', '))}`,
  );

  section('Tags');
  out.push(...table(['Key', 'Value'], doc.tags.map((tag) => [mdCell(tag.key), mdCell(tag.value)])));

  section('Rotation');
  out.push(`Automatic rotation: ${mdText(rotationText(doc.rotation.status))}.`);
  if (doc.rotation.onDemandRotationsLeft !== null) out.push(`On-demand rotations left: ${doc.rotation.onDemandRotationsLeft}.`);
  if (doc.rotation.problem) out.push(`History could not be read: ${mdText(doc.rotation.problem)}.`);
  out.push('');
  out.push(...table(['Date', 'Type', 'Material id', 'State'], doc.rotation.history.map((r) => [when(r.rotationDate), mdCell(r.rotationType), mdCell(r.keyMaterialId), mdCell(r.keyMaterialState)])));

  section(`Grants (${doc.grants.items.length})`);
  if (doc.grants.problem) out.push(`Grants could not be read: ${mdText(doc.grants.problem)}.`, '');
  out.push(
    ...table(
      ['Grant id', 'Grantee', 'Operations', 'Constraints', 'Retiring principal', 'Created'],
      doc.grants.items.map((g) => [mdCell(g.grantId), mdCell(describePrincipal(g.granteePrincipal)), mdCell(g.operations.join(', ')), mdCell(constraintsText(g)), mdCell(g.retiringPrincipal), when(g.creationDate)]),
    ),
  );

  section('Depends on this key');
  out.push(
    ...table(
      ['Dependent', 'Evidence', 'Grants', 'Events', 'Last seen'],
      doc.dependents.map((d) => [mdCell(d.description), d.sources.join(' + '), String(d.grantIds.length), String(d.events), when(d.lastSeen)]),
    ),
  );

  section(`Usage (CloudTrail, last ${doc.usage.windowDays} days)`);
  const s = doc.usage.summary;
  if (doc.usage.problem) out.push(`CloudTrail could not be read: ${mdText(doc.usage.problem)}.`);
  if (s) {
    out.push(
      ...table(
        ['Measure', 'Value'],
        [
          ['Window', `${when(s.window.start)} → ${when(s.window.end)}`],
          ['Events', `${s.total} (${s.failed} failed, ${s.dryRuns} dry runs)`],
          ['Last successful use', s.lastUse ? `${when(s.lastUse.time)} ${mdCell(s.lastUse.operation)} by ${mdCell(s.lastUse.caller.description)}` : 'none in this window'],
          ['Failed attempts', s.errorCodes.length > 0 ? mdCell(s.errorCodes.map((e) => `${e.code} ×${e.count}`).join(', ')) : 'none'],
        ],
      ),
      '',
      '### Callers',
      '',
      ...table(['Caller', 'Events', 'Failed', 'Operations', 'Last seen'], s.principals.map((p) => [mdCell(p.description), String(p.count), String(p.failed), mdCell(p.operations.join(', ')), when(p.lastSeen)])),
      '',
      '### Operations',
      '',
      ...table(['Operation', 'Events', 'Failed'], s.operations.map((o) => [mdCell(o.operation), String(o.count), String(o.failed)])),
      '',
      '### Encryption contexts',
      '',
      ...table(['Context', 'Events', 'Distinct resources', 'Last seen'], s.contexts.map((ctx) => [mdCell(ctx.description), String(ctx.count), String(ctx.resources), when(ctx.lastSeen)])),
    );
    if (s.failures.length > 0) {
      const shown = s.failures.slice(0, 50);
      out.push(
        '',
        `### Failed attempts (${s.failures.length}${s.failures.length > shown.length ? `, newest ${shown.length} shown` : ''})`,
        '',
        ...table(['Time', 'Operation', 'Error', 'Caller'], shown.map((f) => [when(f.time), mdCell(f.operation), mdCell(f.errorCode), mdCell(f.caller.description)])),
      );
    }
  }

  section('Key policy');
  if (doc.policy.document !== null) out.push(mdCodeBlock(prettyPolicy(doc.policy.document), 'json'));
  else out.push(`The policy could not be read: ${mdText(doc.policy.problem ?? 'unknown reason')}.`);

  section('Retirement');
  const r = doc.retirement.record;
  if (doc.retirement.problem) out.push(`The retirement record could not be read: ${mdText(doc.retirement.problem)}.`, '');
  if (r) {
    const rows: Array<[string, string]> = [
      ['Stage', mdCell(r.stage)],
      ['Started', `${when(r.startedAt)} by ${mdCell(r.startedBy)}`],
      ['Observation window', `${r.watchDays} days`],
      ['Evidence at start', mdCell(r.evidence.summary)],
      ['Acknowledged findings', mdCell(r.acknowledged.join(', '))],
    ];
    if (r.disabledAt) rows.push(['Disabled', when(r.disabledAt)]);
    if (r.watch) rows.push(['Watch', r.watch.kind === 'alarm' ? mdCell(`alarm ${r.watch.alarmName} on ${r.watch.logGroupName} (${r.watch.logGroupRegion})`) : mdCell(`weaker CloudTrail poll: ${r.watch.reason}`)]);
    if (r.watchStartedAt) rows.push(['Watch started', when(r.watchStartedAt)]);
    if (r.useDetected) rows.push(['Use detected', `${when(r.useDetected.at)} ${mdCell(r.useDetected.summary)}`]);
    if (r.deletionScheduledAt) rows.push(['Deletion scheduled', `${when(r.deletionScheduledAt)} (waiting period ${r.pendingWindowDays ?? '?'} days, deletion ${when(r.deletionDate)})`]);
    out.push(...table(['Field', 'Value'], rows), '', '### Steps', '');
    out.push(...table(['Time', 'Step', 'By', 'Result', 'Request id'], r.steps.map((st) => [when(st.at), mdCell(st.step), mdCell(st.by), st.ok ? 'ok' : `failed: ${mdCell(st.detail)}`, mdCell(st.requestId)])));
  } else if (!doc.retirement.problem) {
    out.push('No retirement recorded for this key.');
  }

  section(`Journal (${doc.journal.operations.length})`);
  out.push(
    ...table(
      ['Time', 'Action', 'Status', 'Caller', 'Request id', 'Error'],
      doc.journal.operations.map((op) => [when(op.time), mdCell(op.action), op.status, mdCell(op.caller), mdCell(op.requestId), mdCell(op.error)]),
    ),
  );
  for (const problem of doc.journal.problems) out.push('', `Journal problem: ${mdText(problem)}`);

  if (doc.problems.length > 0) {
    section('Could not be read');
    for (const problem of doc.problems) out.push(`- ${mdText(problem)}`);
  }
  return `${out.join('\n')}\n`;
}
