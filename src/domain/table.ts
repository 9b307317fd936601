// The keys table as data: columns, pure row rendering, filtering and sorting.
// Every string that came from AWS is cleaned here, once, before it can reach a screen.

import { daysUntil, formatDate } from './format.js';
import { DEFAULT_THRESHOLDS, findingsMarker, rowFindings, type KeyFinding, type Thresholds } from './findings.js';
import type { KeyRow, LastUsage, RotationStatus } from './key.js';
import { isStaleLastUse } from './last-use.js';
import { cleanText } from './sanitize.js';

export const COLUMN_IDS = [
  'account',
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
  /** Shorter forms of cells, shown when the whole cell does not fit: the date of last use without its operation, the rotation period without its next date. */
  short: Partial<Record<ColumnId, string>>;
  /** A key with a deletion date: its STATE cell when the DELETION column is not on screen ("del. 2026-12-20"), so the date is never out of sight. */
  stateWithDeletion?: string;
  /** Values compared when sorting; '' sorts last in either direction. */
  sortKeys: Record<ColumnId, string>;
  /** Lowercase aliases, key id, ARN, description, tag keys and values, separated by newlines. */
  haystack: string;
  isAwsManaged: boolean;
  /** The cheap findings (rotation, usage) of the row: the FINDINGS column and the `f` filter. */
  findings: KeyFinding[];
  tone: RowTone;
}

/**
 * How a cell that does not fit is shortened. `never`: the column is shown whole or not at all (a
 * cut key id cannot be copied, a cut date misleads); `words`: whole words are dropped from the
 * end and `…` says so, so a date is never cut in half; `chars`: cut anywhere, with `…`.
 */
export type CutPolicy = 'never' | 'words' | 'chars';

export interface Column {
  id: ColumnId;
  title: string;
  /** Width when nothing is known of the content (a table with no rows yet). */
  width: number;
  /** Narrowest a cuttable column may be squeezed to. */
  minWidth: number;
  /** Widest the column gets, however long its content (longer cells are cut per `cut`). */
  maxWidth?: number;
  cut: CutPolicy;
  /** Columns with a higher number are dropped first when the terminal is narrow. */
  dropOrder: number;
}

export const COLUMNS: readonly Column[] = [
  // With several accounts (--org): the account's name from Organizations (its id when unnamed).
  { id: 'account', title: 'ACCOUNT', width: 16, minWidth: 12, maxWidth: 24, cut: 'chars', dropOrder: 1 },
  { id: 'alias', title: 'ALIAS', width: 22, minWidth: 12, maxWidth: 48, cut: 'chars', dropOrder: 0 },
  // A truncated key id cannot be copied or searched for: shown whole or not at all.
  { id: 'keyId', title: 'KEY ID', width: 36, minWidth: 36, cut: 'never', dropOrder: 4 },
  // With several regions a multi-Region primary and its replica differ only by region: the cell
  // says which one the row is ("eu-west-1 replica").
  { id: 'region', title: 'REGION', width: 14, minWidth: 14, cut: 'never', dropOrder: 1 },
  { id: 'state', title: 'STATE', width: 15, minWidth: 15, cut: 'never', dropOrder: 1 },
  // Findings are what the list is for: kept before rotation and last use when the terminal is narrow.
  { id: 'findings', title: 'FIND', width: 4, minWidth: 4, cut: 'never', dropOrder: 2 },
  { id: 'spec', title: 'SPEC/USAGE', width: 25, minWidth: 25, cut: 'never', dropOrder: 6 },
  { id: 'origin', title: 'ORIGIN', width: 18, minWidth: 7, cut: 'chars', dropOrder: 8 },
  { id: 'multiRegion', title: 'MULTI-REGION', width: 12, minWidth: 12, cut: 'never', dropOrder: 7 },
  { id: 'created', title: 'CREATED', width: 10, minWidth: 10, cut: 'never', dropOrder: 5 },
  // Cut by words: "on 365d …" keeps the period when the next date does not fit, never half a date.
  { id: 'rotation', title: 'ROTATION', width: 23, minWidth: 8, cut: 'words', dropOrder: 4 },
  // Cut by words: the date stays whole, the operation goes first ("2026-12-06 …").
  { id: 'lastUsed', title: 'LAST USED', width: 26, minWidth: 10, cut: 'words', dropOrder: 4 },
  // A key pending deletion always shows when it will be deleted; the column is only there when
  // some key listed has a deletion date (see contentWidths).
  { id: 'deletion', title: 'DELETION', width: 16, minWidth: 16, cut: 'never', dropOrder: 1 },
];

export function columnById(id: ColumnId): Column {
  const column = COLUMNS.find((c) => c.id === id);
  if (!column) throw new Error(`unknown column ${id}`);
  return column;
}

/** The columns worth showing: the region column only when more than one region is listed, the account column only with several accounts. */
export function columnsFor(options: { multiRegion: boolean; multiAccount?: boolean }): Column[] {
  return COLUMNS.filter((c) => (c.id !== 'region' || options.multiRegion) && (c.id !== 'account' || options.multiAccount === true));
}

export interface LaidOutColumn {
  column: Column;
  width: number;
}

/** What the rows hold per column: the widest cell, and the widest short form (see RowView.short). */
export type ContentWidths = Partial<Record<ColumnId, { full: number; short: number }>>;

/** Terminal cells of a cleaned single-line text: one per code point (only astral characters make `length` wrong). */
const cellWidth = (text: string): number => (/[\uD800-\uDFFF]/.test(text) ? [...text].length : text.length);

/** Each row's cell widths, worked out once per rendered row (a row is re-rendered when it changes). */
const rowWidths = new WeakMap<RowView, Float64Array>();

function widthsOf(view: RowView): Float64Array {
  let widths = rowWidths.get(view);
  if (!widths) {
    widths = new Float64Array(COLUMN_IDS.length * 2);
    COLUMN_IDS.forEach((id, i) => {
      const full = cellWidth(view.cells[id]);
      const s = view.short[id];
      widths![i * 2] = full;
      widths![i * 2 + 1] = s === undefined ? full : Math.min(full, cellWidth(s));
    });
    rowWidths.set(view, widths);
  }
  return widths;
}

/** The widest cell and short form of each column over `views`. */
export function contentWidths(views: readonly RowView[]): ContentWidths {
  const max = new Float64Array(COLUMN_IDS.length * 2);
  for (const view of views) {
    const widths = widthsOf(view);
    for (let i = 0; i < widths.length; i++) if (widths[i]! > max[i]!) max[i] = widths[i]!;
  }
  const result: ContentWidths = {};
  COLUMN_IDS.forEach((id, i) => {
    result[id] = { full: max[i * 2]!, short: max[i * 2 + 1]! };
  });
  return result;
}

export interface LayoutOptions {
  /** The rows' content (contentWidths); without it every column is at its default width. */
  content?: ContentWidths;
  /** The sorted column: kept on screen before anything but the alias, the state and the deletion date, so its arrow stays visible. */
  sorted?: ColumnId;
}

/** The title as the header shows it, with the arrow on the sorted column. */
export function columnTitle(column: Column, sort?: SortOrder): string {
  return sort && sort.column === column.id ? `${column.title} ${sort.direction === 'asc' ? '↑' : '↓'}` : column.title;
}

/**
 * Fits the columns into `totalWidth` (one space between columns). Each column is as wide as its
 * widest cell (or its title), never wider: spare width is left, not handed to a column that does
 * not need it. A column no row has anything in is left out (unless it is the sorted one, which
 * comes right after the alias, the state and the deletion date, so its arrow stays in sight).
 *
 * Columns come in levels of importance (dropOrder). A level that fits whole is taken whole. In
 * the first level that does not, each cuttable column is taken at its narrowest useful width (its
 * short form: the date of last use without the operation, the period without the next date), then
 * each column that may not be cut (a key id, a date) if it still fits whole, then the cuttable
 * ones grow back with what is left; no less important level is shown then. So a narrower terminal drops columns before it
 * cuts what an operator must read, and a wider one only ever adds or widens.
 *
 * A key with no alias is named by its key id in ALIAS; when the KEY ID column fits by giving ALIAS
 * only the width of the real aliases, that layout is taken (the id then shows once, under KEY ID).
 */
export function layoutColumns(columns: readonly Column[], totalWidth: number, options: LayoutOptions = {}): LaidOutColumn[] {
  const withIdColumn = columns.some((c) => c.id === 'keyId') && options.content?.alias !== undefined ? fitColumns(columns, totalWidth, options, true) : undefined;
  if (withIdColumn?.some((c) => c.column.id === 'keyId')) return withIdColumn;
  return fitColumns(columns, totalWidth, options, false);
}

function fitColumns(columns: readonly Column[], totalWidth: number, options: LayoutOptions, aliasByShortForm: boolean): LaidOutColumn[] {
  const { content, sorted } = options;
  const titleWidth = (c: Column): number => cellWidth(c.title) + (c.id === sorted ? 2 : 0);
  const natural = (c: Column): number => {
    const known = content?.[c.id];
    const full = Math.max(titleWidth(c), known ? (aliasByShortForm && c.id === 'alias' ? known.short : known.full) : c.width);
    return c.maxWidth === undefined ? full : Math.max(titleWidth(c), Math.min(full, c.maxWidth));
  };
  const narrowest = (c: Column): number => {
    if (c.cut === 'never') return natural(c);
    const known = content?.[c.id];
    return Math.min(natural(c), Math.max(titleWidth(c), c.minWidth, known ? known.short : c.minWidth));
  };
  const shown = columns.filter((c) => c.id === sorted || content === undefined || (content[c.id]?.full ?? 0) > 0);
  // The sorted column comes right after the alias, the state and the deletion date (which are
  // never given up for it), before everything else.
  const levelOf = (c: Column): number => (c.id === sorted ? Math.min(c.dropOrder, 1.5) : c.dropOrder);
  const levels = [...new Set(shown.map(levelOf))].sort((a, b) => a - b);
  const widths = new Map<Column, number>();
  let used = 0;
  const take = (column: Column, width: number) => {
    used += (widths.size > 0 ? 1 : 0) + width;
    widths.set(column, width);
  };
  const room = () => totalWidth - used - (widths.size > 0 ? 1 : 0);
  for (const level of levels) {
    const inLevel = shown.filter((c) => levelOf(c) === level);
    const whole = inLevel.reduce((sum, c) => sum + natural(c), 0) + inLevel.length - (widths.size > 0 ? 0 : 1);
    if (whole <= totalWidth - used) {
      for (const column of inLevel) take(column, natural(column));
      continue;
    }
    // The level does not fit whole: the cuttable columns at their narrowest first (a date of last
    // use before a key id), then the others that still fit whole, then the cuttable ones widen.
    const squeezed: Column[] = [];
    for (const column of inLevel) {
      if (column.cut !== 'never' && room() >= narrowest(column)) {
        take(column, narrowest(column));
        squeezed.push(column);
      }
    }
    for (const column of inLevel) {
      if (column.cut === 'never' && room() >= natural(column)) take(column, natural(column));
    }
    // What is left widens the squeezed columns again, most important first; nothing less important is shown.
    let spare = totalWidth - used;
    for (const column of squeezed) {
      const grow = Math.min(spare, natural(column) - (widths.get(column) ?? 0));
      if (grow > 0) {
        widths.set(column, (widths.get(column) ?? 0) + grow);
        spare -= grow;
      }
    }
    break;
  }
  const kept = columns.filter((c) => widths.has(c));
  if (kept.length === 0 && columns[0]) return [{ column: columns[0], width: Math.max(1, totalWidth) }];
  return kept.map((column) => ({ column, width: widths.get(column) ?? column.minWidth }));
}

/** Pads or truncates (with `…`) to exactly `width` cells. */
export function fitCell(text: string, width: number, cut: CutPolicy = 'chars'): string {
  const cells = cellWidth(text);
  if (cells <= width) return text + ' '.repeat(width - cells);
  const chars = [...text];
  if (cut === 'words') {
    // Whole words from the start while they and " …" fit; a first word too long falls back to chars.
    const words = text.split(' ');
    let kept = '';
    for (const word of words) {
      const next = kept ? `${kept} ${word}` : word;
      if (cellWidth(next) + 2 > width) break;
      kept = next;
    }
    if (kept) return fitCell(`${kept} …`, width);
  }
  if (width <= 1) return chars.slice(0, width).join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}

/** One cell in its column: the whole text, else its short form when that fits, else cut per the column's policy. */
export function fitColumnCell(text: string, short: string | undefined, column: Column, width: number): string {
  if (cellWidth(text) <= width || short === undefined || cellWidth(short) > width) return fitCell(text, width, column.cut);
  return fitCell(short, width);
}

/** A row's cells for a layout: without a DELETION column, a key's deletion date takes its STATE cell. */
export function cellsFor(view: Pick<RowView, 'cells' | 'stateWithDeletion'>, layout: readonly LaidOutColumn[]): Record<ColumnId, string> {
  if (view.stateWithDeletion === undefined || layout.some((c) => c.column.id === 'deletion')) return view.cells;
  return { ...view.cells, state: view.stateWithDeletion };
}

/** One table line from a row's cells (or the titles) for the laid-out columns. */
export function renderLine(cells: Partial<Record<ColumnId, string>>, layout: readonly LaidOutColumn[], short: Partial<Record<ColumnId, string>> = {}): string {
  return fitCells(cells, layout, short).join(' ');
}

/** A row's cells fitted to the laid-out columns, in their order (renderLine joins them with a space). */
export function fitCells(cells: Partial<Record<ColumnId, string>>, layout: readonly LaidOutColumn[], short: Partial<Record<ColumnId, string>> = {}): string[] {
  return layout.map(({ column, width }) => fitColumnCell(cells[column.id] ?? '', short[column.id], column, width));
}

/** The header line: every title, the sorted one with its arrow. */
export function renderHeader(layout: readonly LaidOutColumn[], sort?: SortOrder): string {
  return layout.map(({ column, width }) => fitCell(columnTitle(column, sort), width)).join(' ');
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

/**
 * LAST USED: the value; `pending` until read; a trailing `*` when it was read more than an hour
 * ago (being read again); `(trail)` when it comes from the trail's log group, not GetKeyLastUsage.
 */
export function lastUsedCell(usage: LastUsage, now?: Date): string {
  const stale = now !== undefined && isStaleLastUse(usage, now) ? ' *' : '';
  switch (usage.kind) {
    case 'used':
      return `${formatDate(usage.timestamp)} ${clean(usage.operation)}${usage.source === 'trail' ? ' (trail)' : ''}${stale}`;
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
    account: clean(row.accountName ?? row.accountId ?? ''),
    alias,
    keyId: clean(row.keyId),
    region: `${clean(row.region)}${meta?.multiRegion ? (meta.multiRegionRole === 'REPLICA' ? ' replica' : ' primary') : ''}`,
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

/** The short forms of a row's cells (see RowView.short). */
function shortCells(row: KeyRow, now: Date): Partial<Record<ColumnId, string>> {
  const short: Partial<Record<ColumnId, string>> = {};
  if (row.lastUsage.kind === 'used') short.lastUsed = `${formatDate(row.lastUsage.timestamp)}${isStaleLastUse(row.lastUsage, now) ? ' *' : ''}`;
  // A key with no alias is named by its key id; when the KEY ID column shows it, ALIAS says "—".
  if (row.aliases.length === 0) short.alias = '—';
  if (row.rotation.kind === 'enabled') short.rotation = `on ${row.rotation.periodDays === undefined ? '?' : row.rotation.periodDays}d`;
  return short;
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
    account: cells.account.toLowerCase(),
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
    ...row.aliases.flatMap((a) => [a, a.replace(/^alias\//, '')]),
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
    short: shortCells(row, now),
    ...(row.metadata?.deletionDate ? { stateWithDeletion: `del. ${formatDate(row.metadata.deletionDate)}` } : {}),
    sortKeys: sortKeysFor(row, cells, findings),
    haystack,
    isAwsManaged: row.metadata?.keyManager === 'AWS',
    findings,
    tone: toneFor(row),
  };
}

// ---------------------------------------------------------------------------------------------
// The filter (`/`): whitespace-separated terms, all of which must match (case-insensitive).
//   ebs            the text anywhere: aliases, key id, ARN, description, tag keys and values
//   state:Disabled a field contains the text: alias, id, arn, state, account (id or name), ou,
//                  region, desc, spec, origin, rotation
//   tag:Owner      a tag whose key contains the text; tag:Owner=data: the key is Owner (any case)
//                  and its value contains "data"
//   /^ebs-/        a regular expression over the text (or over a field: alias:/^ebs\//)
//   !term          negates any of these
// A field name keywarden does not know is searched for as plain text (an ARN pasted in works).

export const FILTER_FIELDS = ['alias', 'id', 'arn', 'state', 'account', 'ou', 'region', 'desc', 'spec', 'origin', 'rotation'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

type Matcher = { kind: 'text'; text: string } | { kind: 'regex'; regex: RegExp };

export type FilterTerm =
  | { negate: boolean; where: 'any' | FilterField; match: Matcher }
  | { negate: boolean; where: 'tag'; key: Matcher; value?: string };

export interface ParsedFilter {
  terms: FilterTerm[];
  /** Why a term cannot be used (a regular expression that does not compile); such a term matches nothing. */
  error?: string;
}

const isFilterField = (name: string): name is FilterField => (FILTER_FIELDS as readonly string[]).includes(name);

/** `/re/` as a regular expression (case-insensitive; ^ and $ at each line: each alias is a line), anything else as lowercase text. */
function matcherOf(text: string): Matcher | { error: string } {
  if (text.length >= 2 && text.startsWith('/') && text.endsWith('/')) {
    try {
      return { kind: 'regex', regex: new RegExp(text.slice(1, -1), 'imu') };
    } catch (error) {
      return { error: `${text} is not a regular expression (${error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(error)})` };
    }
  }
  return { kind: 'text', text: text.toLowerCase() };
}

/** Parses the filter as typed. */
export function parseFilter(query: string): ParsedFilter {
  const terms: FilterTerm[] = [];
  let error: string | undefined;
  const never: Matcher = { kind: 'regex', regex: /(?!)/ };
  for (const raw of query.split(/\s+/).filter(Boolean)) {
    const negate = raw.startsWith('!');
    const body = negate ? raw.slice(1) : raw;
    if (body === '') continue; // a lone "!" while the rest is being typed
    const colon = body.indexOf(':');
    const name = colon > 0 ? body.slice(0, colon).toLowerCase() : '';
    const rest = body.slice(colon + 1);
    if (name === 'tag') {
      const eq = rest.indexOf('=');
      const keyText = eq >= 0 ? rest.slice(0, eq) : rest;
      const key = eq >= 0 ? ({ kind: 'text', text: keyText.toLowerCase() } as Matcher) : matcherOf(keyText);
      if ('error' in key) {
        error ??= key.error;
        terms.push({ negate: false, where: 'tag', key: never }); // negated or not, it matches nothing
      } else {
        terms.push(eq >= 0 ? { negate, where: 'tag', key, value: rest.slice(eq + 1).toLowerCase() } : { negate, where: 'tag', key });
      }
      continue;
    }
    const where = isFilterField(name) ? name : 'any';
    const match = matcherOf(where === 'any' ? body : rest);
    if ('error' in match) {
      error ??= match.error;
      terms.push({ negate: false, where, match: never }); // negated or not, it matches nothing
    } else {
      terms.push({ negate, where, match });
    }
  }
  return error ? { terms, error } : { terms };
}

interface RowFields {
  /** Lowercase text of each field a filter can name (`state:Disabled`, `alias:ebs/` …). */
  fields: Record<FilterField, string>;
  /** Lowercase tag keys and values, for `tag:Key=value`. */
  tags: ReadonlyArray<readonly [string, string]>;
}

/** A row's fields, worked out the first time a field term is matched against it (plain words need only the haystack). */
const rowFields = new WeakMap<RowView, RowFields>();

export function fieldsOf(view: RowView): RowFields {
  let known = rowFields.get(view);
  if (known) return known;
  const { row, cells } = view;
  const meta = row.metadata;
  const fields: Record<FilterField, string> = {
    alias: '',
    id: row.keyId,
    arn: row.arn,
    state: meta ? meta.state : 'no access',
    // The account's id and, with several accounts, its name: account:payments and account:2222 both work.
    account: [meta?.accountId ?? row.accountId ?? row.arn.split(':')[4] ?? '', row.accountName ?? ''].filter(Boolean).join('\n'),
    ou: row.accountOu ?? '',
    region: row.region,
    desc: meta?.description ?? '',
    spec: meta ? `${meta.keySpec} ${meta.keyUsage}` : '',
    origin: meta?.origin ?? '',
    rotation: cells.rotation,
  };
  for (const name of FILTER_FIELDS) fields[name] = clean(fields[name]).toLowerCase();
  // Every alias on its own line, with and without its prefix: alias:/^ebs\// finds alias/ebs/….
  fields.alias = row.aliases.flatMap((a) => [a, a.replace(/^alias\//, '')].map((part) => clean(part).toLowerCase())).join('\n');
  known = { fields, tags: row.tags.map((t) => [clean(t.key).toLowerCase(), clean(t.value).toLowerCase()] as const) };
  rowFields.set(view, known);
  return known;
}

function matcherHits(matcher: Matcher, text: string): boolean {
  return matcher.kind === 'text' ? text.includes(matcher.text) : matcher.regex.test(text);
}

function termHits(term: FilterTerm, view: RowView): boolean {
  if (term.where === 'tag') {
    const { key, value } = term;
    return fieldsOf(view).tags.some(([k, v]) => (value === undefined ? matcherHits(key, k) : key.kind === 'text' && k === key.text && v.includes(value)));
  }
  return matcherHits(term.match, term.where === 'any' ? view.haystack : fieldsOf(view).fields[term.where]);
}

/** Whether a row passes every term of the filter. */
export function rowMatches(view: RowView, filter: ParsedFilter): boolean {
  return filter.terms.every((term) => termHits(term, view) !== term.negate);
}

/** Rows that pass every term of the filter (see parseFilter). */
export function filterRows(views: readonly RowView[], query: string): RowView[] {
  const filter = parseFilter(query);
  if (filter.terms.length === 0) return [...views];
  return views.filter((view) => rowMatches(view, filter));
}

/** Plain words only: typing one more character can only narrow what they match. */
const isPlainQuery = (query: string): boolean => !/[!:/]/.test(query);

/**
 * The rows matching `query`, given the rows that matched `previous` over the same `views`. When
 * the query is plain words and only grew at its end (a character typed), every row that matches it
 * matched the previous query too (each earlier term is still there, the last one only got longer),
 * so only the previous matches are searched; otherwise (negation, fields, expressions) every row is.
 */
export function refineFilter(views: readonly RowView[], query: string, previous: { query: string; rows: RowView[] } | undefined): RowView[] {
  const grew = previous !== undefined && isPlainQuery(query) && isPlainQuery(previous.query) && query.toLowerCase().startsWith(previous.query.toLowerCase());
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
