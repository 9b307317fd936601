import { Box, Text } from 'ink';
import { memo, useMemo } from 'react';
import type { RegionProgress } from '../../domain/source.js';
import {
  cellsFor,
  columnById,
  contentWidths,
  layoutColumns,
  renderHeader,
  fitCells,
  visibleWindow,
  type Column,
  type ContentWidths,
  type LaidOutColumn,
  type RowView,
  type SortOrder,
} from '../../domain/table.js';
import { formatAge } from '../../domain/format.js';
import { isReadingLastUse, lastUseProgressText, type LastUseProgress } from '../../domain/last-use.js';
import { cleanText } from '../../domain/sanitize.js';
import { progressSummary } from '../components/loading.js';
import { useTheme, type Theme } from '../theme.js';
import { findingsMarkerTone } from './findings-view.js';

export interface KeysViewProps {
  /** Rows already filtered and sorted. */
  rows: readonly RowView[];
  columns: readonly Column[];
  /** The widest cell of each column over every listed key (contentWidths), so columns fit their content. */
  content?: ContentWidths;
  selected: number;
  /** Lines this view may use, including its count line, header row and progress line. */
  height: number;
  width: number;
  filter: string;
  isFiltering: boolean;
  /** Why the filter cannot be used as typed (a regular expression that does not compile). */
  filterError?: string | undefined;
  sort: SortOrder;
  /** Keys before the filter (AWS-managed ones excluded unless shown). */
  total: number;
  /** AWS-managed keys left out because the toggle is off. */
  hiddenAwsManaged: number;
  /** Only keys with findings are listed (f). */
  onlyWithFindings?: boolean;
  /** Per-region progress while the inventory is still loading. */
  progress?: readonly RegionProgress[] | undefined;
  /** Rows from the cache are on screen: when that inventory was saved. */
  staleSince?: string | undefined;
  isRefreshing?: boolean;
  /** The account's time (the sandbox's clock on a sandbox), against which the cache's age is told. */
  now?: Date;
  /** The background reading of last use ("last use 120 of 1,016 · 5/s · about 3 min"), shown while it reads. */
  lastUseProgress?: LastUseProgress | undefined;
}

/** Rows of keys the view shows in `height` lines: less the count line and titles, and the loading line while loading. */
export function keysBodyHeight(height: number, isLoading: boolean): number {
  return Math.max(1, height - 2 - (isLoading ? 1 : 0));
}

function toneStyle(theme: Theme, tone: RowView['tone']) {
  return tone === 'normal' ? {} : theme[tone];
}

const SELECTION_MARKER_WIDTH = 2;

/** The columns the keys table shows at `width` terminal columns: the same layout the view draws (`s` cycles through these). */
export function keysLayout(columns: readonly Column[], width: number, content: ContentWidths | undefined, sort: SortOrder): LaidOutColumn[] {
  return layoutColumns(columns, Math.max(1, width - SELECTION_MARKER_WIDTH), { ...(content ? { content } : {}), sorted: sort.column });
}

/** One region in the loading line: "eu-west-1 120/400", "us-east-1 done", "me-south-1 failed". */
function regionProgressShort(p: RegionProgress): string {
  const region = cleanText(p.region);
  if (p.error) return `${region} failed`;
  return p.done ? `${region} done` : `${region} ${p.loaded}/${p.listed}`;
}

const KeyLine = memo(function KeyLine({ view, layout, isSelected, theme }: { view: RowView; layout: readonly LaidOutColumn[]; isSelected: boolean; theme: Theme }) {
  // The marker shows the selection even where the terminal has no colour or inverse video.
  const cells = fitCells(cellsFor(view, layout), layout, view.short);
  const lead = isSelected ? '›' : ' ';
  // The FIND marker has its worst severity's colour (severity is told by colour, the row's own
  // tone by its state); on the selected row the selection's style is kept whole, so the row
  // stays visible in monochrome (inverse) and the marker keeps its text (`!`, `·`).
  const at = layout.findIndex((c) => c.column.id === 'findings');
  const tone = at >= 0 && !isSelected && cells[at]!.trim() ? findingsMarkerTone(view.findings) : undefined;
  if (!tone) {
    return (
      <Text wrap="truncate-end" {...(isSelected ? theme.selection : toneStyle(theme, view.tone))}>
        {`${lead} ${cells.join(' ')}`}
      </Text>
    );
  }
  const before = `${lead} ${cells.slice(0, at).join(' ')}${at > 0 ? ' ' : ''}`;
  const after = at < cells.length - 1 ? ` ${cells.slice(at + 1).join(' ')}` : '';
  return (
    <Text wrap="truncate-end" {...toneStyle(theme, view.tone)}>
      {before}
      <Text {...theme[tone]}>{cells[at]}</Text>
      {after}
    </Text>
  );
});

/** The keys table: a count line, the column titles and only the rows that fit on screen. */
export function KeysView(props: KeysViewProps) {
  const { rows, columns, content, selected, height, width, filter, isFiltering, filterError, sort, total, hiddenAwsManaged, progress, staleSince, isRefreshing, onlyWithFindings, now, lastUseProgress } = props;
  const theme = useTheme();
  // Without the widths over every listed key (the screen passes them), the rows given decide.
  const fitted = useMemo(() => content ?? contentWidths(rows), [content, rows]);
  const layout = useMemo(() => keysLayout(columns, width, fitted, sort), [columns, width, fitted, sort]);
  const isLoading = progress !== undefined;
  const bodyHeight = keysBodyHeight(height, isLoading);
  const { start, end } = visibleWindow(rows.length, selected, bodyHeight);
  const visible = rows.slice(start, end);
  const sortTitle = columnById(sort.column).title.toLowerCase();
  const header = renderHeader(layout, sort);

  return (
    <Box flexDirection="column" height={height}>
      <Box gap={2}>
        <Text wrap="truncate-end">
          <Text bold>
            {rows.length} of {total} keys
            {onlyWithFindings ? ' with findings' : ''}
          </Text>
          {isReadingLastUse(lastUseProgress) ? (
            <Text {...theme.accent}>
              {'  '}
              {lastUseProgressText(lastUseProgress)}
            </Text>
          ) : null}
          {staleSince ? (
            <Text {...theme.warning}>
              {'  '}cached {formatAge(staleSince, now ?? new Date()) || 'earlier'}
              {isRefreshing ? ' — refreshing…' : ' — refresh failed'}
            </Text>
          ) : null}
          {isFiltering ? (
            <Text {...theme.accent}>
              {'  /'}
              {filter}
              <Text inverse> </Text>
            </Text>
          ) : filter ? (
            <Text {...theme.accent}> (filter: {filter})</Text>
          ) : null}
          {filterError ? <Text {...theme.warning}>{'  the filter cannot be used (below)'}</Text> : null}
          <Text {...theme.muted}>
            {'  '}sorted by {sortTitle} {sort.direction === 'asc' ? '↑' : '↓'}
            {hiddenAwsManaged > 0 ? `  ·  ${hiddenAwsManaged} AWS-managed hidden` : ''}
          </Text>
        </Text>
      </Box>
      <Text wrap="truncate-end" {...theme.heading}>
        {'  '}
        {header}
      </Text>
      {rows.length === 0 ? (
        // A filter that cannot be used says why here, in full (it wraps; the count line is one line).
        <Text {...(filterError ? theme.warning : theme.muted)}>{filterError ? `no keys listed: ${filterError}` : filter ? `no keys match "${filter}"` : 'no keys'}</Text>
      ) : (
        visible.map((view, i) => (
          <KeyLine key={view.arn} view={view} layout={layout} isSelected={start + i === selected} theme={theme} />
        ))
      )}
      {isLoading ? (
        <Box flexGrow={1} alignItems="flex-end">
          <Text wrap="truncate-end" {...theme.muted}>
            loading keys… {progressSummary(progress)}
            {progress.length > 1 ? `  ·  ${progress.map(regionProgressShort).join(' · ')}` : ''}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
