// The keys table as data: columns, pure row rendering, filtering and sorting.
// Every string that came from AWS is cleaned here, once, before it can reach a screen.

import { daysUntil, formatDate } from './format.js';
import { DEFAULT_THRESHOLDS, findingsMarker, rowFindings, type KeyFinding, type Thresholds } from './findings.js';
import type { KeyRow, LastUsage, RotationStatus } from './key.js';
import { isStaleLastUse } from './last-use.js';
import { cleanText } from './sanitize.js';

export const COLUMN_IDS = [
  'alias',
  'keyId',
  'region',
  'state',
  'findings',
  'spec',
  'origin',
  'multiRegion',
  'created',
  'rotation',
  'lastUsed',
  'deletion',
] as const;
export type ColumnId = (typeof COLUMN_IDS)[number];

export type SortDirection = 'asc' | 'desc';
export interface SortOrder {
  column: ColumnId;
  direction: SortDirection;
}

/** How a row should look: a pending-deletion key is dangerous, a disabled one a warning … */
export type RowTone = 'normal' | 'danger' | 'warning' | 'muted';

/** A row rendered once: cells, sort keys and search text, so filtering and sorting never re-read the key. */
export interface RowView {
  arn: string;
  row: KeyRow;
  cells: Record<ColumnId, string>;
  /** Values compared when sorting; '' sorts last in either direction. */
  sortKeys: Record<ColumnId, string>;
  /** Lowercase aliases, key id, ARN, description, tag keys and values, separated by newlines. */
  haystack: string;
  isAwsManaged: boolean;
  /** The cheap findings (rotation, usage) of the row: the FINDINGS column and the `f` filter. */
  findings: KeyFinding[];
  tone: RowTone;
}

export interface Column {
  id: ColumnId;
  title: string;
  /** Preferred width in terminal cells. */
  width: number;
  /** Narrowest a flex column may be squeezed to; fixed columns are shown at `width` or not at all. */
  minWidth: number;
  /** Columns with a higher number are dropped first when the terminal is narrow. */
  dropOrder: number;
  /** Share of the spare width this column takes. */
  flex?: number;
}

export const COLUMNS: readonly Column[] = [
  { id: 'alias', title: 'ALIAS', width: 22, minWidth: 12, dropOrder: 0, flex: 2 },
  // A truncated key id cannot be copied or searched for: shown whole or not at all.
  { id: 'keyId', title: 'KEY ID', width: 36, minWidth: 36, dropOrder: 4 },
  // With several regions a multi-Region primary and its replica differ only by region.
  { id: 'region', title: 'REGION', width: 14, minWidth: 14, dropOrder: 1 },
  { id: 'state', title: 'STATE', width: 15, minWidth: 9, dropOrder: 1 },
  // Findings are what the list is for: kept before rotation and last use when the terminal is narrow.
  { id: 'findings', title: 'FIND', width: 4, minWidth: 4, dropOrder: 2 },
  { id: 'spec', title: 'SPEC/USAGE', width: 25, minWidth: 25, dropOrder: 6 },
  { id: 'origin', title: 'ORIGIN', width: 18, minWidth: 7, dropOrder: 9 },
  { id: 'multiRegion', title: 'MULTI-REGION', width: 12, minWidth: 12, dropOrder: 8 },
  { id: 'created', title: 'CREATED', width: 10, minWidth: 10, dropOrder: 7 },
  { id: 'rotation', title: 'ROTATION', width: 23, minWidth: 8, dropOrder: 2, flex: 1 },
  { id: 'lastUsed', title: 'LAST USED', width: 26, minWidth: 10, dropOrder: 2, flex: 1 },
  // A deletion date is never left out for a key id (the key id is in the detail).
  { id: 'deletion', title: 'DELETION', width: 16, minWidth: 10, dropOrder: 3 },
];

export function columnById(id: ColumnId): Column {
  const column = COLUMNS.find((c) => c.id === id);
  if (!column) throw new Error(`unknown column ${id}`);
  return column;
}

/** The columns worth showing: the region column only when more than one region is listed. */
export function columnsFor(options: { multiRegion: boolean }): Column[] {
  return COLUMNS.filter((c) => c.id !== 'region' || options.multiRegion);
}

export interface LaidOutColumn {
  column: Column;
  width: number;
}

/**
 * Fits the columns into `totalWidth` (one space between columns). Columns are taken in
 * dropOrder at their preferred width while they fit; a flex column that does not fit at its
 * preferred width takes what is left if that is at least its minimum width; the first column
 * that does not fit ends the list (a fixed column is shown whole or not at all). Spare width goes to the flex columns. The table keeps the original column order.
 */
export function layoutColumns(columns: readonly Column[], totalWidth: number): LaidOutColumn[] {
  const widths = new Map<Column, number>();
  let used = 0;
  const byImportance = [...columns].sort((a, b) => a.dropOrder - b.dropOrder);
  for (const column of byImportance) {
    const gap = widths.size > 0 ? 1 : 0;
    const left = totalWidth - used - gap;
    if (left >= column.width) {
      widths.set(column, column.width);
      used += gap + column.width;
    } else if (column.flex !== undefined && left >= column.minWidth) {
      widths.set(column, left);
      used += gap + left;
    } else {
      // Nothing less important is shown in its place: a wider terminal only ever adds columns.
      break;
    }
  }
  const kept = columns.filter((c) => widths.has(c));
  if (kept.length === 0 && columns[0]) return [{ column: columns[0], width: Math.max(1, totalWidth) }];
  let spare = totalWidth - used;
  const flexTotal = kept.reduce((sum, c) => sum + (c.flex ?? 0), 0);
  if (spare > 0 && flexTotal > 0) {
    const base = spare;
    for (const c of kept) {
      if (!c.flex) continue;
      const share = Math.floor((base * c.flex) / flexTotal);
      widths.set(c, (widths.get(c) ?? 0) + share);
      spare -= share;
    }
    const firstFlex = kept.find((c) => c.flex);
    if (firstFlex) widths.set(firstFlex, (widths.get(firstFlex) ?? 0) + spare);
  }
  return kept.map((column) => ({ column, width: widths.get(column) ?? column.minWidth }));
}

/** Pads or truncates (with `…`) to exactly `width` cells. */
export function fitCell(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  if (width <= 1) return chars.slice(0, width).join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}

/** One table line from a row's cells (or the titles) for the laid-out columns. */
export function renderLine(cells: Partial<Record<ColumnId, string>>, layout: readonly LaidOutColumn[]): string {
  return layout.map(({ column, width }) => fitCell(cells[column.id] ?? '', width)).join(' ');
}

export function headerCells(): Record<ColumnId, string> {
  return Object.fromEntries(COLUMNS.map((c) => [c.id, c.title])) as Record<ColumnId, string>;
}

const USAGE_SHORT: Record<string, string> = {
  ENCRYPT_DECRYPT: 'encrypt',
  SIGN_VERIFY: 'sign',
  GENERATE_VERIFY_MAC: 'mac',
  KEY_AGREEMENT: 'agreement',
};

function clean(text: string): string {
  return cleanText(text, { singleLine: true });
}

export function rotationCell(rotation: RotationStatus): string {
  switch (rotation.kind) {
    case 'enabled':
      return `on ${rotation.periodDays === undefined ? '?' : rotation.periodDays}d${rotation.nextRotationDate ? ` next ${formatDate(rotation.nextRotationDate)}` : ''}`;
    case 'disabled':
      return 'off';
    case 'unsupported':
      return 'n/a';
    case 'error':
      return '?';
  }
}

/** LAST USED: the value; `pending` until read; a trailing `*` when it was read more than an hour ago (being read again). */
export function lastUsedCell(usage: LastUsage, now?: Date): string {
  const stale = now !== undefined && isStaleLastUse(usage, now) ? ' *' : '';
  switch (usage.kind) {
    case 'used':
      return `${formatDate(usage.timestamp)} ${clean(usage.operation)}${stale}`;
    case 'never':
      return `never${stale}`;
    case 'not-since-tracking':
      return `not since ${formatDate(usage.trackingStartDate)}${stale}`;
    case 'pending':
      return 'pending';
    case 'error':
      return '?';
  }
}

/** The table cells for one key, all text cleaned. */
export function keyToCells(row: KeyRow, now: Date, findings: readonly KeyFinding[] = rowFindings(row, DEFAULT_THRESHOLDS, now)): Record<ColumnId, string> {
  const meta = row.metadata;
  const firstAlias = row.aliases[0];
  const alias = firstAlias
    ? `${clean(firstAlias.replace(/^alias\//, ''))}${row.aliases.length > 1 ? ` +${row.aliases.length - 1}` : ''}`
    : clean(row.keyId); // no alias: the id is how the operator knows it
  let deletion = '';
  if (meta?.deletionDate) {
    const days = daysUntil(meta.deletionDate, now);
    deletion = `${formatDate(meta.deletionDate)}${days !== undefined && days >= 0 ? ` (${days}d)` : ''}`;
  }
  return {
    alias,
    keyId: clean(row.keyId),
    region: clean(row.region),
    state: meta ? meta.state : 'no access',
    findings: findingsMarker(findings),
    spec: meta ? `${clean(meta.keySpec)} ${USAGE_SHORT[meta.keyUsage] ?? clean(meta.keyUsage)}` : '',
    origin: meta ? clean(meta.origin) : '',
    multiRegion: meta?.multiRegion ? (meta.multiRegionRole === 'REPLICA' ? 'replica' : 'primary') : meta ? '—' : '',
    created: meta ? formatDate(meta.creationDate) : '',
    rotation: rotationCell(row.rotation),
    lastUsed: lastUsedCell(row.lastUsage, now),
    deletion,
  };
}

const SEVERITY_RANK: Record<KeyFinding['severity'], number> = { high: 4, medium: 3, low: 2, info: 1 };

function sortKeysFor(row: KeyRow, cells: Record<ColumnId, string>, findings: readonly KeyFinding[]): Record<ColumnId, string> {
  const meta = row.metadata;
  const rotation = row.rotation;
  const usage = row.lastUsage;
  // Rotation sorts by state, then by the next rotation date: the keys rotating soonest come first.
  const rotationKey =
    rotation.kind === 'enabled'
      ? `1 ${rotation.nextRotationDate ?? '9999'}`
      : rotation.kind === 'disabled'
        ? '0'
        : rotation.kind === 'unsupported'
          ? '2'
          : '3';
  // Last use sorts by the date something was last known to happen.
  const usageKey =
    usage.kind === 'used' ? usage.timestamp : usage.kind === 'error' || usage.kind === 'pending' ? '' : `0 ${usage.kind} ${usage.trackingStartDate}`;
  return {
    ...cells,
    alias: row.aliases.length === 0 ? '' : cells.alias.toLowerCase(),
    keyId: row.keyId.toLowerCase(),
    multiRegion: cells.multiRegion === '—' ? '' : cells.multiRegion,
    created: meta?.creationDate ? new Date(meta.creationDate).toISOString() : '',
    rotation: rotationKey,
    lastUsed: usageKey,
    deletion: meta?.deletionDate ? new Date(meta.deletionDate).toISOString() : '',
    // Findings sort by the worst severity, then by how many (so !12 comes after !3, not before).
    findings:
      findings.length === 0
        ? ''
        : `${Math.max(...findings.map((f) => SEVERITY_RANK[f.severity]))} ${String(findings.length).padStart(4, '0')}`,
  };
}

function toneFor(row: KeyRow): RowTone {
  const state = row.metadata?.state;
  if (!state) return 'muted';
  if (state === 'PendingDeletion' || state === 'PendingReplicaDeletion' || state === 'Unavailable') return 'danger';
  if (state === 'Disabled' || state === 'PendingImport') return 'warning';
  return 'normal';
}

/** Renders a row once for the table: cells, sort keys, search text. */
export function toRowView(row: KeyRow, now: Date, thresholds: Thresholds = DEFAULT_THRESHOLDS): RowView {
  const findings = rowFindings(row, thresholds, now);
  const cells = keyToCells(row, now, findings);
  const haystack = [
    ...row.aliases.map((a) => [a, a.replace(/^alias\//, '')].join('\n')),
    row.keyId,
    row.arn,
    row.metadata?.description ?? '',
    ...row.tags.flatMap((t) => [t.key, t.value]),
  ]
    .map((part) => clean(part).toLowerCase())
    .join('\n');
  return {
    arn: row.arn,
    row,
    cells,
    sortKeys: sortKeysFor(row, cells, findings),
    haystack,
    isAwsManaged: row.metadata?.keyManager === 'AWS',
    findings,
    tone: toneFor(row),
  };
}

/** Rows whose search text contains every whitespace-separated term of the query (case-insensitive). */
export function filterRows(views: readonly RowView[], query: string): RowView[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [...views];
  return views.filter((view) => terms.every((term) => view.haystack.includes(term)));
}

/**
 * The rows matching `query`, given the rows that matched `previous` over the same `views`. When
 * the query only grew at its end (a character typed), every row that matches it matched the
 * previous query too (each earlier term is still there, the last one only got longer), so only
 * the previous matches are searched; otherwise every row is.
 */
export function refineFilter(views: readonly RowView[], query: string, previous: { query: string; rows: RowView[] } | undefined): RowView[] {
  const grew = previous !== undefined && query.toLowerCase().startsWith(previous.query.toLowerCase());
  return filterRows(grew ? previous.rows : views, query);
}

/** Customer-managed keys only, unless AWS-managed keys are asked for. */
export function withoutAwsManaged(views: readonly RowView[]): RowView[] {
  return views.filter((view) => !view.isAwsManaged);
}

/** A stable sort on one column; empty values go last in either direction. */
export function sortRows(views: readonly RowView[], column: ColumnId, direction: SortDirection): RowView[] {
  const sign = direction === 'asc' ? 1 : -1;
  return views
    .map((view, index) => ({ view, index }))
    .sort((a, b) => {
      const x = a.view.sortKeys[column];
      const y = b.view.sortKeys[column];
      if (x !== y) {
        if (x === '') return 1;
        if (y === '') return -1;
        return x < y ? -sign : sign;
      }
      return a.index - b.index;
    })
    .map(({ view }) => view);
}

/** The next column to sort by when the operator presses `s`, cycling through the shown columns. */
export function nextSortColumn(current: ColumnId, columns: readonly Column[]): ColumnId {
  const index = columns.findIndex((c) => c.id === current);
  return columns[(index + 1) % columns.length]?.id ?? current;
}

/**
 * The slice of rows to render for a viewport of `height` lines: the selection stays visible,
 * centred where possible, and the last page is full. Only these rows are ever rendered.
 */
export function visibleWindow(count: number, selected: number, height: number): { start: number; end: number } {
  const size = Math.max(0, Math.min(height, count));
  if (size === 0) return { start: 0, end: 0 };
  const start = Math.max(0, Math.min(selected - Math.floor(size / 2), count - size));
  return { start, end: start + size };
}
