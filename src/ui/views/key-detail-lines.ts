// The key-detail tabs as plain lines, computed without React: one boundary where every
// string from AWS is cleaned, and one shape (lines) the view scrolls through.

import { daysUntil, formatAge, formatDate, formatDateTime } from '../../domain/format.js';
import {
  ON_DEMAND_ROTATION_LIMIT,
  isReadProblem,
  rotationPeriodWords,
  type Grant,
  type KeyDetail,
  type KeyRow,
  type LastUsage,
  type ReadProblem,
  type RotationEntry,
} from '../../domain/key.js';
import { isStaleLastUse, lastUseReadAt } from '../../domain/last-use.js';
import { rotationManagedElsewhere } from '../../domain/rotation.js';
import { cleanText } from '../../domain/sanitize.js';
import { describeEncryptionContext, describePrincipal } from '../../domain/services.js';
import { wrapIndented } from '../wrap.js';

export type LineTone = 'danger' | 'warning' | 'success' | 'muted' | 'accent' | 'heading';

export interface DetailLine {
  text: string;
  tone?: LineTone;
  /** Where a wrapped continuation starts (a field's value column); the line's own indentation when absent. */
  indent?: number;
}

const clean = (text: string): string => cleanText(text, { singleLine: true });

function line(text: string, tone?: LineTone): DetailLine {
  return tone ? { text, tone } : { text };
}

const LABEL_WIDTH = 16;
function field(label: string, value: string, tone?: LineTone): DetailLine {
  return { ...line(`${label.padEnd(LABEL_WIDTH)}${value}`, tone), indent: LABEL_WIDTH };
}

/**
 * A line cut into lines of at most `width` columns, never truncated: breaks at spaces where it
 * can, inside a word (an ARN, a grant id) only when the word alone is too long; continuations
 * start at the line's value column, so a wrapped ARN reads as one value.
 */
export function wrapLine(detail: DetailLine, width: number): DetailLine[] {
  const { indent, ...style } = detail;
  const rows = wrapIndented(detail.text, width, indent);
  return rows.length === 1 ? [detail] : rows.map((text) => ({ ...style, text }));
}

/** Every line wrapped to `width` (no wrapping when width is undefined). */
export function wrapLines(lines: readonly DetailLine[], width: number | undefined): DetailLine[] {
  return width === undefined ? [...lines] : lines.flatMap((l) => wrapLine(l, width));
}

/** "cannot read the policy: access denied … (GetKeyPolicy, AccessDeniedException)" */
export function problemLine(subject: string, problem: ReadProblem): DetailLine {
  return line(`cannot read ${subject}: ${clean(problem.message)} (${clean(problem.what)}, ${clean(problem.code)})`, 'danger');
}

function dateWithAge(iso: string | undefined, now: Date): string {
  if (!iso) return '—';
  const age = formatAge(iso, now);
  return `${formatDateTime(iso)} UTC${age ? ` (${age})` : ''}`;
}

function lastUsageValue(usage: LastUsage, now: Date): string {
  switch (usage.kind) {
    case 'used':
      return `${clean(usage.operation)} at ${dateWithAge(usage.timestamp, now)}${usage.source === 'trail' ? ' — from the trail’s CloudWatch Logs (Logs Insights), not GetKeyLastUsage' : ''}`;
    case 'never':
      return `never (tracked since ${formatDate(usage.trackingStartDate)})`;
    case 'not-since-tracking':
      return `not since tracking began ${formatDate(usage.trackingStartDate)}; earlier use unknown (see CloudTrail)`;
    case 'pending':
      return 'pending: not read yet (GetKeyLastUsage is read in the background, 5 per second)';
    case 'error':
      return `unknown: ${clean(usage.message)}`;
  }
}

/** The value with its age: "Decrypt at … (read 12 min ago)"; older than an hour, it says it is being read again. */
function lastUsageText(usage: LastUsage, now: Date): string {
  const value = lastUsageValue(usage, now);
  const readAt = lastUseReadAt(usage);
  if (!readAt) return value;
  const age = formatAge(readAt, now) || 'just now';
  return `${value} (read ${age}${isStaleLastUse(usage, now) ? ', older than an hour: reading again' : ''})`;
}

export function overviewLines(row: KeyRow, now: Date): DetailLine[] {
  const lines: DetailLine[] = [];
  const meta = row.metadata;
  lines.push(field('Key ID', clean(row.keyId)));
  lines.push(field('ARN', clean(row.arn)));
  lines.push(field('Region', clean(row.region)));
  // With several accounts (--org, --profiles): whose key it is, by name and id, and its OU.
  if (row.accountName) lines.push(field('Account', `${clean(row.accountName)} (${clean(row.accountId ?? '')})${row.accountOu ? ` · OU ${clean(row.accountOu)}` : ''}`));
  if (!meta) {
    lines.push(field('State', 'no access: DescribeKey was refused, the key cannot be described', 'danger'));
  } else {
    const stateTone: LineTone | undefined =
      meta.state === 'PendingDeletion' || meta.state === 'PendingReplicaDeletion'
        ? 'danger'
        : meta.state === 'Enabled'
          ? 'success'
          : 'warning';
    lines.push(field('State', meta.state, stateTone));
    if (meta.deletionDate) {
      const days = daysUntil(meta.deletionDate, now);
      lines.push(
        field(
          'Deletion',
          `${formatDateTime(meta.deletionDate)} UTC${days !== undefined && days >= 0 ? ` (in ${days} days)` : ''}${
            meta.pendingDeletionWindowInDays ? `, waiting period ${meta.pendingDeletionWindowInDays} days` : ''
          }`,
          'danger',
        ),
      );
    }
    lines.push(field('Description', meta.description ? clean(meta.description) : '—'));
    lines.push(field('Account', clean(meta.accountId)));
    lines.push(field('Managed by', meta.keyManager === 'AWS' ? 'AWS (AWS-managed key)' : 'customer'));
    lines.push(field('Key spec', clean(meta.keySpec)));
    lines.push(field('Key usage', clean(meta.keyUsage)));
    lines.push(field('Origin', clean(meta.origin)));
    if (meta.customKeyStoreId) lines.push(field('Key store', clean(meta.customKeyStoreId)));
    lines.push(field('Created', dateWithAge(meta.creationDate, now)));
    if (meta.validTo) lines.push(field('Material expires', dateWithAge(meta.validTo, now), 'warning'));
    const algorithms = [...(meta.encryptionAlgorithms ?? []), ...(meta.signingAlgorithms ?? []), ...(meta.macAlgorithms ?? [])];
    if (algorithms.length > 0) lines.push(field('Algorithms', algorithms.map(clean).join(', ')));
    if (meta.currentKeyMaterialId) lines.push(field('Key material', clean(meta.currentKeyMaterialId)));
    if (!meta.multiRegion) {
      lines.push(field('Multi-Region', 'no'));
    } else if (meta.multiRegionRole === 'REPLICA') {
      lines.push(field('Multi-Region', `replica of ${meta.primaryKey ? `${clean(meta.primaryKey.arn)}` : 'an unknown primary'}`));
    } else {
      lines.push(field('Multi-Region', 'primary'));
      const replicas = meta.replicaKeys ?? [];
      if (replicas.length === 0) lines.push(field('', 'no replicas'));
      for (const replica of replicas) lines.push(field('', `replica in ${clean(replica.region)}: ${clean(replica.arn)}`));
    }
  }
  lines.push(field('Last used', lastUsageText(row.lastUsage, now), row.lastUsage.kind === 'error' || row.lastUsage.kind === 'pending' ? 'warning' : undefined));
  lines.push(line(''));
  lines.push(line(`Aliases (${row.aliases.length})`, 'heading'));
  if (row.aliases.length === 0) lines.push(line('  none', 'muted'));
  for (const alias of row.aliases) lines.push(line(`  ${clean(alias)}`));
  lines.push(line(''));
  lines.push(line(`Tags (${row.tags.length})`, 'heading'));
  if (row.tags.length === 0) lines.push(line('  none', 'muted'));
  for (const tag of row.tags) lines.push(line(`  ${clean(tag.key)} = ${clean(tag.value)}`));
  if (row.problems.length > 0) {
    lines.push(line(''));
    lines.push(line(`Problems (${row.problems.length})`, 'heading'));
    for (const problem of row.problems) {
      lines.push(line(`  ${clean(problem.what)}: ${clean(problem.message)} (${clean(problem.code)})`, 'danger'));
    }
  }
  return lines;
}

function rotationHistory(rotations: RotationEntry[]): DetailLine[] {
  if (rotations.length === 0) return [line('  no rotations yet', 'muted')];
  const sorted = [...rotations].sort((a, b) => (b.rotationDate ?? '').localeCompare(a.rotationDate ?? ''));
  return [
    line(`  ${'DATE (UTC)'.padEnd(18)}${'TYPE'.padEnd(11)}${'MATERIAL'.padEnd(13)}KEY MATERIAL ID`, 'muted'),
    ...sorted.map((r) =>
      line(
        `  ${formatDateTime(r.rotationDate).padEnd(18)}${(r.rotationType === 'ON_DEMAND' ? 'on demand' : r.rotationType === 'AUTOMATIC' ? 'automatic' : '?').padEnd(11)}${clean(
          r.keyMaterialState ?? '',
        )
          .toLowerCase()
          .padEnd(13)}${clean(r.keyMaterialId ?? '')}`,
      ),
    ),
  ];
}

export function rotationLines(detail: KeyDetail, now: Date): DetailLine[] {
  const { row } = detail;
  const lines: DetailLine[] = [];
  const rotation = row.rotation;
  switch (rotation.kind) {
    case 'enabled':
      lines.push(field('Automatic', `on, ${rotationPeriodWords(rotation.periodDays)}`, 'success'));
      if (rotation.nextRotationDate) {
        const days = daysUntil(rotation.nextRotationDate, now);
        lines.push(field('Next rotation', `${formatDate(rotation.nextRotationDate)}${days !== undefined && days >= 0 ? ` (in ${days} days)` : ''}`));
      }
      if (rotation.onDemandRotationStartDate) lines.push(field('On-demand', `rotation started ${dateWithAge(rotation.onDemandRotationStartDate, now)}`));
      break;
    case 'disabled':
      lines.push(field('Automatic', 'off — this key could rotate automatically but does not', 'warning'));
      break;
    case 'unsupported':
      lines.push(field('Automatic', `cannot rotate: ${clean(rotation.reason)}`, 'muted'));
      break;
    case 'error':
      lines.push(line(`cannot read the rotation status: ${clean(rotation.message)}`, 'danger'));
      break;
  }
  const elsewhere = row.metadata ? rotationManagedElsewhere(row.metadata) : undefined;
  if (elsewhere) lines.push(field('', clean(elsewhere), 'muted'));
  if (detail.onDemandRotationsLeft !== undefined) {
    lines.push(field('On-demand left', `${detail.onDemandRotationsLeft} of ${ON_DEMAND_ROTATION_LIMIT}`));
  }
  lines.push(line(''));
  lines.push(line('History', 'heading'));
  if (isReadProblem(detail.rotations)) lines.push(problemLine('the rotation history', detail.rotations));
  else if (rotation.kind === 'unsupported' && detail.rotations.length === 0) lines.push(line('  none: this key cannot rotate', 'muted'));
  else lines.push(...rotationHistory(detail.rotations));
  return lines;
}

function contextText(context: Record<string, string>): string {
  return Object.entries(context)
    .map(([k, v]) => `${clean(k)}=${clean(v)}`)
    .join(', ');
}

/** What a grant is for, in words: the service behind its encryption context, else its grantee. */
export function grantPurpose(grant: Grant): string {
  const context = grant.constraints?.encryptionContextSubset ?? grant.constraints?.encryptionContextEquals;
  const meaning = describeEncryptionContext(context);
  if (meaning) return `${clean(meaning.service)} ${clean(meaning.resource)}`;
  return clean(describePrincipal(grant.granteePrincipal));
}

function grantLines(grant: Grant, now: Date): DetailLine[] {
  const lines: DetailLine[] = [line(grantPurpose(grant), 'accent')];
  const principal = (p: string | undefined) => {
    if (!p) return '—';
    const words = clean(describePrincipal(p));
    return words === clean(p) ? words : `${words} — ${clean(p)}`;
  };
  lines.push(field('  grantee', principal(grant.granteePrincipal)));
  lines.push(field('  retiring', principal(grant.retiringPrincipal)));
  lines.push(field('  operations', grant.operations.map(clean).join(', ') || '—'));
  const c = grant.constraints;
  if (c?.encryptionContextSubset) lines.push(field('  context ⊇', contextText(c.encryptionContextSubset)));
  if (c?.encryptionContextEquals) lines.push(field('  context =', contextText(c.encryptionContextEquals)));
  if (c?.sourceArn) lines.push(field('  source ARN', clean(c.sourceArn)));
  if (!c?.encryptionContextSubset && !c?.encryptionContextEquals && !c?.sourceArn) lines.push(field('  constraints', 'none'));
  if (grant.name) lines.push(field('  name', clean(grant.name)));
  if (grant.creationDate) lines.push(field('  created', dateWithAge(grant.creationDate, now)));
  if (grant.issuingAccount) lines.push(field('  issued by', principal(grant.issuingAccount)));
  lines.push(field('  grant id', clean(grant.grantId), 'muted'));
  return lines;
}

/** Where the cursor is and what is selected on the Grants tab. */
export interface GrantMarks {
  cursor: number;
  selected: readonly string[];
  /** Show the selection boxes (not in read-only mode, where nothing can be retired or revoked). */
  selectable: boolean;
}

/** The Grants tab, and the line where each grant's block starts (to keep the cursor in view). */
export function grantsLayout(detail: KeyDetail, now: Date, marks?: GrantMarks, width?: number): { lines: DetailLine[]; starts: number[] } {
  if (isReadProblem(detail.grants)) return { lines: [problemLine('the grants', detail.grants)], starts: [] };
  if (detail.grants.length === 0) return { lines: [line('no grants on this key', 'muted')], starts: [] };
  const selectedCount = marks ? detail.grants.filter((g) => marks.selected.includes(g.grantId)).length : 0;
  const heading = `${detail.grants.length} grant${detail.grants.length === 1 ? '' : 's'}${selectedCount > 0 ? ` · ${selectedCount} selected` : ''}`;
  const lines: DetailLine[] = [line(heading, 'heading')];
  const starts: number[] = [];
  detail.grants.forEach((grant, index) => {
    lines.push(line(''));
    starts.push(lines.length);
    const block = grantLines(grant, now);
    if (marks) {
      const pointer = index === marks.cursor ? '›' : ' ';
      const box = marks.selectable ? (marks.selected.includes(grant.grantId) ? '[x] ' : '[ ] ') : '';
      const first = block[0]!;
      const shift = 2 + box.length;
      block[0] = { ...first, text: `${pointer} ${box}${first.text}`, indent: shift };
      for (let i = 1; i < block.length; i++) {
        const next = block[i]!;
        block[i] = { ...next, text: `  ${marks.selectable ? '    ' : ''}${next.text}`, ...(next.indent !== undefined ? { indent: next.indent + shift } : {}) };
      }
    }
    lines.push(...wrapLines(block, width));
  });
  return { lines, starts };
}

export function grantsLines(detail: KeyDetail, now: Date, marks?: GrantMarks, width?: number): DetailLine[] {
  return grantsLayout(detail, now, marks, width).lines;
}

/** The policy pretty-printed (2-space JSON), or the raw text when it is not JSON; always cleaned. */
export function policyText(policy: string): string {
  let text = policy;
  try {
    text = JSON.stringify(JSON.parse(policy), null, 2);
  } catch {
    // not JSON: show it as it came
  }
  return cleanText(text, { singleLine: false });
}

export function policyLines(detail: KeyDetail): DetailLine[] {
  if (isReadProblem(detail.policy)) return [problemLine('the policy', detail.policy)];
  return policyText(detail.policy)
    .split('\n')
    .map((text) => line(text));
}
