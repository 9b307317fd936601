// The keys list and its filter: the rows as the list state shows them (AWS-managed keys and the
// findings toggle, the sort order, the filter) and the keys that move, filter, sort and open.

import { useEffect, useLayoutEffect, useMemo, useRef, type ReactNode } from 'react';
import { needsAttention, type Thresholds } from '../../domain/findings.js';
import type { KeyRow } from '../../domain/key.js';
import { progressLabel, type SessionInfo } from '../../domain/source.js';
import {
  columnById,
  columnsFor,
  contentWidths,
  filterRows,
  parseFilter,
  refineFilter,
  sortRows,
  toRowView,
  visibleWindow,
  withoutAwsManaged,
  type ColumnId,
  type RowView,
} from '../../domain/table.js';
import { Empty } from '../components/empty.js';
import { ErrorView } from '../components/error-view.js';
import { Loading } from '../components/loading.js';
import type { Inventory } from '../hooks/use-inventory.js';
import type { LastUse } from '../hooks/use-last-use.js';
import type { Current } from '../hooks/use-sync-reducer.js';
import type { CommandId, Scope } from '../keymap.js';
import { selectedIndex, type ListEvent, type ListState } from '../state/list-state.js';
import { textEditFor } from '../text-field.js';
import { ColumnChooserView } from '../views/column-chooser-view.js';
import { KeysView, keysBodyHeight, keysLayout } from '../views/keys-view.js';
import type { KeyHandler, ScreenController, Shell } from './screen.js';

export interface KeysScreenDeps {
  inventory: Inventory;
  /** The background reading of last use: its progress, and where the operator looks (read first). */
  lastUse?: Pick<LastUse, 'progress' | 'focus' | 'reread'>;
  /** The list state as rendered, as it is now, and its dispatch (see useSyncReducer). */
  list: ListState;
  listRef: Current<ListState>;
  listNow: (event: ListEvent) => void;
  thresholds: Thresholds;
  regions: readonly string[];
  /** The accounts read (--org); the ACCOUNT column shows with more than one. */
  accounts?: SessionInfo['accounts'];
}

/** List and filter commands that are one fixed event, whatever the rows. */
const FIXED_EVENTS: Partial<Record<CommandId, ListEvent>> = {
  'list.top': { type: 'top' },
  'list.filter': { type: 'filter-start' },
  'list.clearFilter': { type: 'filter-clear' },
  'list.sortReverse': { type: 'sort-reverse' },
  'list.toggleAwsManaged': { type: 'toggle-aws-managed' },
  'list.toggleFindings': { type: 'toggle-findings' },
  'filter.accept': { type: 'filter-accept' },
  'filter.cancel': { type: 'filter-cancel' },
  'list.columns': { type: 'chooser-open' },
  'columns.close': { type: 'chooser-close' },
};

/** Each column's own sort key (k9s-style: Shift and a letter; see the keymap). */
export const SORT_COMMANDS: Readonly<Partial<Record<CommandId, ColumnId>>> = {
  'list.sortAlias': 'alias',
  'list.sortKeyId': 'keyId',
  'list.sortRegion': 'region',
  'list.sortState': 'state',
  'list.sortFindings': 'findings',
  'list.sortSpec': 'spec',
  'list.sortOrigin': 'origin',
  'list.sortMultiRegion': 'multiRegion',
  'list.sortCreated': 'created',
  'list.sortRotation': 'rotation',
  'list.sortLastUsed': 'lastUsed',
  'list.sortDeletion': 'deletion',
};

/**
 * Commands that change the order or the rows shown: the selection stays on its key when it is
 * still listed — clearing the filter (Esc) included, so the key found with it stays selected, and
 * `/` while a filter is kept (a new filter starts from every key, the selected one still selected).
 */
const RESELECTS: ReadonlySet<CommandId> = new Set([
  'list.filter',
  'list.sortNext',
  'list.sortReverse',
  'list.toggleAwsManaged',
  'list.toggleFindings',
  'list.clearFilter',
  'filter.cancel',
  'columns.toggle',
  ...(Object.keys(SORT_COMMANDS) as CommandId[]),
]);

/** How many rows a command moves the selection (a page is the rows on screen); undefined when it does not move it. */
function rowsMoved(command: CommandId, page: number): number | undefined {
  switch (command) {
    case 'list.down':
    case 'filter.down':
      return 1;
    case 'list.up':
    case 'filter.up':
      return -1;
    case 'list.pageDown':
      return page;
    case 'list.pageUp':
      return -page;
    default:
      return undefined;
  }
}

/** RowViews for the rows, re-rendering only rows that changed since the last call. */
function useRowViews(rows: KeyRow[], now: Date, thresholds: Thresholds): RowView[] {
  const cache = useRef(new WeakMap<KeyRow, RowView>());
  return useMemo(
    () =>
      rows.map((row) => {
        let view = cache.current.get(row);
        if (!view) {
          view = toRowView(row, now, thresholds);
          cache.current.set(row, view);
        }
        return view;
      }),
    [rows, now, thresholds],
  );
}

/** The sorted rows the filter lets through; a character typed only searches the rows that matched before it. */
function useFilteredRows(sorted: RowView[], filter: string): RowView[] {
  const last = useRef<{ sorted: RowView[]; query: string; rows: RowView[] } | undefined>(undefined);
  return useMemo(() => {
    const previous = last.current?.sorted === sorted ? last.current : undefined;
    const rows = refineFilter(sorted, filter, previous);
    last.current = { sorted, query: filter, rows };
    return rows;
  }, [sorted, filter]);
}

/** The keys the toggles let through: AWS-managed ones only when shown, only keys with findings to act on (`f`). */
function scopedViews(views: RowView[], toggles: Pick<ListState, 'showAwsManaged' | 'onlyWithFindings' | 'accountScope'>): RowView[] {
  // `:account`: one account's keys (the rows of every account stay loaded: widening again is instant).
  const inAccount = toggles.accountScope ? views.filter((view) => view.row.accountId === toggles.accountScope) : views;
  const managed = toggles.showAwsManaged ? inAccount : withoutAwsManaged(inAccount);
  return toggles.onlyWithFindings ? managed.filter((view) => needsAttention(view.findings)) : managed;
}

export function useKeysScreen(shell: Shell, { inventory, lastUse, list, listRef, listNow, thresholds, regions, accounts }: KeysScreenDeps): ScreenController {
  const views = useRowViews(inventory.rows, shell.now, thresholds);
  const multiAccount = (accounts?.length ?? 0) > 1;
  const candidates = useMemo(() => columnsFor({ multiRegion: regions.length > 1, multiAccount }), [regions.length, multiAccount]);
  const { hiddenColumns } = list;
  const columns = useMemo(() => candidates.filter((c) => !hiddenColumns.includes(c.id)), [candidates, hiddenColumns]);
  const { showAwsManaged, onlyWithFindings, accountScope } = list;
  // `:account` narrows rows already sorted (a filter keeps their order), and each account's column
  // widths are kept until the rows change: switching accounts sorts and measures nothing again.
  const everyAccount = useMemo(() => scopedViews(views, { showAwsManaged, onlyWithFindings }), [views, showAwsManaged, onlyWithFindings]);
  const sortedEveryAccount = useMemo(() => sortRows(everyAccount, list.sort.column, list.sort.direction), [everyAccount, list.sort]);
  const sorted = useMemo(() => (accountScope ? sortedEveryAccount.filter((view) => view.row.accountId === accountScope) : sortedEveryAccount), [sortedEveryAccount, accountScope]);
  const scoped = sorted;
  const widthsByScope = useRef<{ rows: RowView[]; byScope: Map<string, ReturnType<typeof contentWidths>> } | undefined>(undefined);
  // Columns as wide as what every listed key holds (not only the rows on screen: widths do not jump while scrolling).
  const content = useMemo(() => {
    if (widthsByScope.current?.rows !== everyAccount) widthsByScope.current = { rows: everyAccount, byScope: new Map() };
    const { byScope } = widthsByScope.current;
    let widths = byScope.get(accountScope ?? '');
    if (!widths) byScope.set(accountScope ?? '', (widths = contentWidths(scoped)));
    return widths;
  }, [everyAccount, accountScope, scoped]);
  // The columns on screen: the only ones `s` and the column keys sort by.
  const layout = useMemo(() => keysLayout(columns, shell.width, content, list.sort), [columns, shell.width, content, list.sort]);
  // The latest render's layout for the key handlers: a key can arrive before the handler of the
  // latest render is installed (a loaded machine), and must not judge by the rows of an older one.
  const latest = useRef({ layout, content });
  latest.current = { layout, content };
  const filterError = useMemo(() => parseFilter(list.filter).error, [list.filter]);
  /** The key selected when `/` was pressed: selected again if the filter clears while it lists nothing. */
  const selectedBeforeFilter = useRef<string | undefined>(undefined);
  // Sorted once per sort order or row change (above); a keystroke in the filter only filters the
  // sorted rows (the filter keeps their order), so typing never re-sorts 10,000 rows.
  const shown = useFilteredRows(sorted, list.filter);
  const listBodyRows = Math.max(1, shell.height - 2);
  const awsManaged = useMemo(() => views.filter((view) => view.isAwsManaged).length, [views]);
  const isOnKeys = shell.nav.screen.kind === 'list';

  // The last-use reader reads what the operator looks at first: the selected key, then the rows
  // on screen (the same window KeysView renders), as the selection, filter or sort changes.
  const selectedIndexNow = selectedIndex(list, shown.length);
  const selectedArn = shown[selectedIndexNow]?.arn;
  const window = visibleWindow(shown.length, selectedIndexNow, keysBodyHeight(shell.height, inventory.status === 'loading'));
  // The selection stays on its key when the rows change under it: keys still arriving while the
  // list loads (an aliased key sorts in above the selection), or a refresh (`r`) that lists the
  // keys in another order (keys without an alias keep the order they were listed in). The list
  // state holds an index, so without this the selection — and the key `r`, Enter or a change acts
  // on — would silently move to another key. Only when the rows changed and the list state did
  // not: a move, sort or filter of the operator's own places the selection itself.
  // Until the operator has pressed a key on the list, though, there is no key of theirs to follow:
  // a fresh start stays on the first row while the keys arrive (following the key that happened to
  // be first in the first batch left the cursor mid-list once the other Regions' keys sorted in).
  const followed = useRef<{ shown: RowView[]; list: ListState; arn: string | undefined } | undefined>(undefined);
  const chosen = useRef(false);
  useLayoutEffect(() => {
    const last = followed.current;
    followed.current = { shown, list, arn: selectedArn };
    if (!chosen.current) return;
    if (!last || last.shown === shown || last.list !== list || listRef.current !== list) return;
    if (last.arn === undefined || last.arn === selectedArn) return;
    const index = shown.findIndex((view) => view.arn === last.arn);
    if (index < 0) return; // the key is gone: the selection stays where it was
    followed.current = { shown, list, arn: last.arn };
    listNow({ type: 'select', index });
  });
  const visibleKey = isOnKeys ? shown.slice(window.start, window.end).map((view) => view.arn).join('\n') : '';
  const focus = lastUse?.focus;
  useEffect(() => {
    if (!focus) return;
    if (!isOnKeys) return; // the detail and other screens keep the last focus (the open key stays selected)
    focus(selectedArn, visibleKey ? visibleKey.split('\n') : []);
  }, [focus, selectedArn, visibleKey, isOnKeys]);

  /** The rows as the list state is now, which may be ahead of the last render within one burst of keys. */
  const currentShown = (): RowView[] => {
    const state = listRef.current;
    if (state === list) return shown;
    if (state.showAwsManaged === list.showAwsManaged && state.onlyWithFindings === list.onlyWithFindings && state.sort === list.sort) return filterRows(sorted, state.filter);
    return filterRows(sortRows(scopedViews(views, state), state.sort.column, state.sort.direction), state.filter);
  };

  const openSelected = () => {
    const rows = currentShown();
    const view = rows[selectedIndex(listRef.current, rows.length)];
    if (view) shell.navNow({ type: 'open', key: { arn: view.arn, region: view.row.region } });
  };

  /** The list event a command means with the rows as rendered; undefined for a command that does more. */
  const listEvent = (command: CommandId): ListEvent | undefined => {
    const by = rowsMoved(command, listBodyRows);
    if (by !== undefined) return { type: 'move', by, count: shown.length };
    if (command === 'list.bottom') return { type: 'bottom', count: shown.length };
    if (command === 'list.sortNext') return { type: 'sort-next', columns: latest.current.layout.map((c) => c.column.id) };
    if (command === 'columns.down' || command === 'columns.up') return { type: 'chooser-move', by: command === 'columns.down' ? 1 : -1, count: candidates.length };
    if (command === 'columns.toggle') {
      const column = candidates[listRef.current.chooser ?? -1];
      return column ? { type: 'column-toggle', column: column.id } : undefined;
    }
    const sortColumn = SORT_COMMANDS[command];
    if (sortColumn) return { type: 'sort-by', column: sortColumn };
    return FIXED_EVENTS[command];
  };

  /** Why a column's sort key cannot be used now: only a column on screen is sorted by. */
  const notSortable = (column: ColumnId): string | undefined => {
    const { layout, content } = latest.current;
    if (layout.some((c) => c.column.id === column)) return undefined;
    const title = columnById(column).title;
    if (!candidates.some((c) => c.id === column)) return `${title} is only shown with several regions: nothing to sort by`;
    if (hiddenColumns.includes(column)) return `${title} is hidden: show it with v (the column chooser) to sort by it`;
    if ((content[column]?.full ?? 0) === 0) return `no key listed has a ${title} value: nothing to sort by`;
    return `${title} does not fit at ${shell.width} columns: widen the terminal, or hide other columns with v, to sort by it`;
  };

  /** Copies a text of the selected key (its ARN, its key id) and says so. */
  const copySelected = (what: 'arn' | 'id') => {
    const rows = currentShown();
    const view = rows[selectedIndex(listRef.current, rows.length)];
    if (!view) return shell.setStatus({ text: 'no key selected: nothing to copy', tone: 'warning' });
    shell.copy(what === 'arn' ? view.arn : view.row.keyId, what === 'arn' ? 'the ARN' : 'the key id');
  };

  /** Applies a change of order or of the rows shown, keeping the selection on the same key. */
  const keepingSelection = (event: ListEvent) => {
    const before = currentShown();
    // With nothing listed (a filter that matches nothing), the key selected before the filter began.
    const arn = before[selectedIndex(listRef.current, before.length)]?.arn ?? selectedBeforeFilter.current;
    listNow(event);
    if (arn === undefined) return;
    listNow({ type: 'select', index: currentShown().findIndex((view) => view.arn === arn) });
  };

  const onKey: KeyHandler = (command, input, key) => {
    if (command !== undefined) chosen.current = true;
    if (command === 'list.filter') {
      const rows = currentShown();
      selectedBeforeFilter.current = rows[selectedIndex(listRef.current, rows.length)]?.arn;
    }
    const sortColumn = command ? SORT_COMMANDS[command] : undefined;
    const refused = sortColumn ? notSortable(sortColumn) : undefined;
    if (refused) return shell.setStatus({ text: refused, tone: 'warning' });
    if (command === 'list.copy' || command === 'list.copyId') return copySelected(command === 'list.copy' ? 'arn' : 'id');
    const event = command && listEvent(command);
    if (event && command && RESELECTS.has(command)) return keepingSelection(event);
    if (event) return listNow(event);
    if (command === 'list.open') return openSelected();
    if (command === 'list.refresh') {
      const rows = currentShown();
      const arn = rows[selectedIndex(listRef.current, rows.length)]?.arn;
      if (arn) lastUse?.reread(arn);
      return inventory.refresh();
    }
    // While the filter is being typed (the App's scope is 'filter' then), other keys edit it.
    const edit = listRef.current.isFiltering ? textEditFor(command, input, key) : undefined;
    if (!edit) return;
    // Erased to nothing: every key is listed again and the selected one stays selected.
    const clears = edit.kind === 'erase-line' || edit.kind === 'erase-word' || edit.kind === 'erase-char';
    const editEvent: ListEvent = { type: 'filter-edit', edit };
    if (clears) return keepingSelection(editEvent);
    listNow(editEvent);
  };

  const body = (): ReactNode => {
    if (views.length === 0 && inventory.status === 'loading') return <Loading label="loading keys…" progress={inventory.progress} />;
    if (views.length === 0 && inventory.status === 'error') {
      return <ErrorView title="Could not load the keys" message={inventory.error ?? 'unknown error'} hint="r to try again, q to quit" />;
    }
    const hiddenAwsManaged = list.showAwsManaged ? 0 : awsManaged;
    // A region that could not be listed is unknown, never "no keys".
    const failed = inventory.progress.filter((p) => p.error);
    const listedRegions = regions.filter((r) => !failed.some((p) => p.region === r));
    if (views.length === 0 && inventory.status === 'ready' && failed.length > 0 && listedRegions.length === 0) {
      return <ErrorView title="Could not list the keys" message={failed.map((p) => `${progressLabel(p)}: ${p.error}`).join('\n')} hint="r to try again, q to quit" />;
    }
    if (scoped.length === 0 && inventory.status === 'ready') {
      const unread = failed.length > 0 ? ` (${failed.map((p) => progressLabel(p)).join(', ')} could not be listed)` : '';
      return (
        <Empty
          title={list.onlyWithFindings ? 'No keys with findings: f shows every key.' : `No customer-managed keys in ${listedRegions.join(', ') || 'this region'}.${unread}`}
          hint={hiddenAwsManaged > 0 ? `${hiddenAwsManaged} AWS-managed keys are hidden: press a to show them.` : 'r to reload'}
        />
      );
    }
    if (list.chooser !== undefined) {
      return <ColumnChooserView columns={candidates} hidden={hiddenColumns} shown={layout.map((c) => c.column.id)} cursor={list.chooser} sort={list.sort} height={shell.height} />;
    }
    return (
      <KeysView
        rows={shown}
        columns={columns}
        content={content}
        filterError={filterError}
        selected={selectedIndex(list, shown.length)}
        height={shell.height}
        width={shell.width}
        filter={list.filter}
        isFiltering={list.isFiltering}
        sort={list.sort}
        total={scoped.length}
        hiddenAwsManaged={hiddenAwsManaged}
        onlyWithFindings={list.onlyWithFindings}
        progress={inventory.status === 'loading' ? inventory.progress : undefined}
        lastUseProgress={lastUse?.progress}
        staleSince={inventory.staleSince}
        now={shell.now}
        isRefreshing={inventory.status === 'loading'}
      />
    );
  };

  /** The column chooser, else the filter while typing, else the list. */
  const keyboardFocus = (): Scope => (listRef.current.chooser !== undefined ? 'columns' : listRef.current.isFiltering ? 'filter' : 'list');
  return { onKey, body, focus: keyboardFocus };
}
