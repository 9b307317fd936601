// The keywarden terminal app: header, the current screen (keys list or key detail, with the
// help overlay on top), footer. State lives in two pure reducers (list, navigation); data
// comes through hooks over the KeySource port; one input handler routes keys to the focused area.

import { Box, useApp, useInput, type Key } from 'ink';
import { useCallback, useMemo, useReducer, useRef } from 'react';
import type { KeyRow } from '../domain/key.js';
import type { KeySource, SessionInfo } from '../domain/source.js';
import {
  columnsFor,
  filterRows,
  sortRows,
  toRowView,
  withoutAwsManaged,
  type RowView,
} from '../domain/table.js';
import { Empty } from './components/empty.js';
import { ErrorView } from './components/error-view.js';
import { Footer, type StatusMessage } from './components/footer.js';
import { Header } from './components/header.js';
import { Loading } from './components/loading.js';
import { useIdentity } from './hooks/use-identity.js';
import { useInventory, type Inventory } from './hooks/use-inventory.js';
import { useKeyDetail } from './hooks/use-key-detail.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { commandFor, type Scope } from './keymap.js';
import { INITIAL_LIST_STATE, listReducer, selectedIndex, type ListState } from './state/list-state.js';
import { INITIAL_NAVIGATION, navigationReducer, type DetailTab, type Navigation } from './state/navigation.js';
import { ThemeContext, themeFor } from './theme.js';
import { detailLines } from './views/key-detail-lines.js';
import { DETAIL_CHROME_LINES, KeyDetailView } from './views/key-detail-view.js';
import { helpLines, HelpView } from './views/help-view.js';
import { KeysView } from './views/keys-view.js';

export interface AppProps {
  source: KeySource;
  session: SessionInfo;
  /** Fixed terminal size (tests); otherwise the real terminal's, following resizes. */
  size?: { columns: number; rows: number };
  onExit?: (code: number) => void;
}

const HEADER_LINES = 2;
const FOOTER_LINES = 2;
const TAB_KEYS: Record<string, DetailTab> = {
  'detail.tabOverview': 'overview',
  'detail.tabRotation': 'rotation',
  'detail.tabGrants': 'grants',
  'detail.tabPolicy': 'policy',
};

/** RowViews for the rows, re-rendering only rows that changed since the last call. */
function useRowViews(rows: KeyRow[], now: Date): RowView[] {
  const cache = useRef(new WeakMap<KeyRow, RowView>());
  return useMemo(
    () =>
      rows.map((row) => {
        let view = cache.current.get(row);
        if (!view) {
          view = toRowView(row, now);
          cache.current.set(row, view);
        }
        return view;
      }),
    [rows, now],
  );
}

function inventoryStatus(inventory: Inventory): StatusMessage | undefined {
  if (inventory.status === 'error') return { text: `loading stopped: ${inventory.error ?? 'unknown error'}`, tone: 'danger' };
  const failed = inventory.progress.filter((p) => p.error);
  if (failed.length > 0) return { text: failed.map((p) => `${p.region}: ${p.error}`).join('; '), tone: 'warning' };
  return undefined;
}

/** Which area has the keyboard: the help overlay, else the detail screen, else the filter or the list. */
function scopeOf(list: ListState, nav: Navigation): Scope {
  if (nav.overlay.kind === 'help') return 'help';
  if (nav.screen.kind === 'detail') return 'detail';
  return list.isFiltering ? 'filter' : 'list';
}

export function App({ source, session, size, onExit }: AppProps) {
  const { exit } = useApp();
  const theme = useMemo(() => themeFor(process.env), []);
  const terminal = useTerminalSize(size);
  const identity = useIdentity(source);
  const inventory = useInventory(source);
  const [list, dispatchList] = useReducer(listReducer, INITIAL_LIST_STATE);
  const [nav, dispatchNav] = useReducer(navigationReducer, INITIAL_NAVIGATION);

  // "now" moves on each time the rows change, so ages and countdowns stay honest.
  const now = useMemo(() => new Date(), [inventory.rows]);
  const views = useRowViews(inventory.rows, now);
  const columns = useMemo(() => columnsFor({ multiRegion: session.regions.length > 1 }), [session.regions.length]);
  const scoped = useMemo(() => (list.showAwsManaged ? views : withoutAwsManaged(views)), [views, list.showAwsManaged]);
  const filtered = useMemo(() => filterRows(scoped, list.filter), [scoped, list.filter]);
  const shown = useMemo(() => sortRows(filtered, list.sort.column, list.sort.direction), [filtered, list.sort]);
  const selected = selectedIndex(list, shown.length);

  const bodyHeight = Math.max(3, terminal.rows - HEADER_LINES - FOOTER_LINES);
  const listBodyRows = Math.max(1, bodyHeight - 2);
  const detailKey = nav.screen.kind === 'detail' ? nav.screen.key : undefined;
  const detail = useKeyDetail(source, detailKey);
  const detailRow = useMemo(
    () => (detailKey ? inventory.rows.find((r) => r.arn === detailKey.arn) : undefined),
    [detailKey, inventory.rows],
  );
  const detailTab = nav.screen.kind === 'detail' ? nav.screen.tab : 'overview';
  const detailLineCount = useMemo(
    () => (detail.status === 'ready' ? detailLines(detail.detail, detailTab, now).length : 0),
    [detail, detailTab, now],
  );
  const detailPage = Math.max(1, bodyHeight - DETAIL_CHROME_LINES);
  const detailMaxScroll = Math.max(0, detailLineCount - detailPage);
  const helpMaxScroll = Math.max(0, helpLines({ readOnly: session.readOnly }).length - (bodyHeight - 1));

  const scope = scopeOf(list, nav);

  // One input handler, always active, routes each key to the focused area. Focus moves
  // synchronously: the dispatch wrappers update refs at once, so a key typed right after `/`
  // (before React has re-rendered) already goes to the filter and is never lost.
  const listRef = useRef(list);
  const navRef = useRef(nav);
  listRef.current = list;
  navRef.current = nav;
  const listNow = useCallback((event: Parameters<typeof listReducer>[1]) => {
    listRef.current = listReducer(listRef.current, event);
    dispatchList(event);
  }, []);
  const navNow = useCallback((event: Parameters<typeof navigationReducer>[1]) => {
    navRef.current = navigationReducer(navRef.current, event);
    dispatchNav(event);
  }, []);

  const quit = useCallback(() => {
    exit();
    onExit?.(0);
  }, [exit, onExit]);

  const handleList = (command: string | undefined) => {
    switch (command) {
      case 'list.down':
        return listNow({ type: 'move', by: 1, count: shown.length });
      case 'list.up':
        return listNow({ type: 'move', by: -1, count: shown.length });
      case 'list.pageDown':
        return listNow({ type: 'move', by: listBodyRows, count: shown.length });
      case 'list.pageUp':
        return listNow({ type: 'move', by: -listBodyRows, count: shown.length });
      case 'list.top':
        return listNow({ type: 'top' });
      case 'list.bottom':
        return listNow({ type: 'bottom', count: shown.length });
      case 'list.open': {
        const view = shown[selectedIndex(listRef.current, shown.length)];
        if (view) navNow({ type: 'open', key: { arn: view.arn, region: view.row.region } });
        return;
      }
      case 'list.filter':
        return listNow({ type: 'filter-start' });
      case 'list.clearFilter':
        return listNow({ type: 'filter-clear' });
      case 'list.sortNext':
        return listNow({ type: 'sort-next', columns: columns.map((c) => c.id) });
      case 'list.sortReverse':
        return listNow({ type: 'sort-reverse' });
      case 'list.toggleAwsManaged':
        return listNow({ type: 'toggle-aws-managed' });
      case 'list.refresh':
        return inventory.refresh();
      default:
        return;
    }
  };

  const handleFilter = (command: string | undefined, input: string, key: Key) => {
    switch (command) {
      case 'filter.accept':
        return listNow({ type: 'filter-accept' });
      case 'filter.cancel':
        return listNow({ type: 'filter-cancel' });
      case 'filter.erase':
        return listNow({ type: 'filter-erase' });
      case 'filter.down':
        return listNow({ type: 'move', by: 1, count: shown.length });
      case 'filter.up':
        return listNow({ type: 'move', by: -1, count: shown.length });
      default:
        // Printable text only (a paste arrives as one string); control keys are not text.
        if (!command && !key.ctrl && !key.meta && !key.tab && input !== '') {
          // eslint-disable-next-line no-control-regex
          listNow({ type: 'filter-type', text: input.replace(/[\u0000-\u001f\u007f]/g, '') });
        }
    }
  };

  const handleDetail = (command: string | undefined) => {
    if (command && command in TAB_KEYS) return navNow({ type: 'tab', tab: TAB_KEYS[command] ?? 'overview' });
    switch (command) {
      case 'detail.back':
        return navNow({ type: 'back' });
      case 'detail.nextTab':
        return navNow({ type: 'tab-step', by: 1 });
      case 'detail.prevTab':
        return navNow({ type: 'tab-step', by: -1 });
      case 'detail.down':
        return navNow({ type: 'scroll', by: 1, maxScroll: detailMaxScroll });
      case 'detail.up':
        return navNow({ type: 'scroll', by: -1, maxScroll: detailMaxScroll });
      case 'detail.pageDown':
        return navNow({ type: 'scroll', by: detailPage, maxScroll: detailMaxScroll });
      case 'detail.pageUp':
        return navNow({ type: 'scroll', by: -detailPage, maxScroll: detailMaxScroll });
      case 'detail.top':
        return navNow({ type: 'scroll-to', to: 'top', maxScroll: detailMaxScroll });
      case 'detail.bottom':
        return navNow({ type: 'scroll-to', to: 'bottom', maxScroll: detailMaxScroll });
      case 'detail.refresh':
        return detail.reload();
      default:
        return;
    }
  };

  const handleHelp = (command: string | undefined) => {
    switch (command) {
      case 'help.close':
        return navNow({ type: 'help-close' });
      case 'help.down':
        return navNow({ type: 'help-scroll', by: 1, maxScroll: helpMaxScroll });
      case 'help.up':
        return navNow({ type: 'help-scroll', by: -1, maxScroll: helpMaxScroll });
      default:
        return;
    }
  };

  useInput((input: string, key: Key) => {
    const focus = scopeOf(listRef.current, navRef.current);
    const command = commandFor(focus, input, key);
    if (command === 'app.quit') return quit();
    if (command === 'app.help') return navNow({ type: 'help-toggle' });
    switch (focus) {
      case 'list':
        return handleList(command);
      case 'filter':
        return handleFilter(command, input, key);
      case 'detail':
        return handleDetail(command);
      case 'help':
        return handleHelp(command);
    }
  });

  const hiddenAwsManaged = list.showAwsManaged ? 0 : views.length - scoped.length;
  let body: React.ReactNode;
  if (nav.overlay.kind === 'help') {
    body = <HelpView height={bodyHeight} scroll={nav.overlay.scroll} readOnly={session.readOnly} />;
  } else if (nav.screen.kind === 'detail') {
    body = (
      <KeyDetailView
        row={detailRow}
        state={detail}
        tab={nav.screen.tab}
        scroll={nav.screen.scroll}
        height={bodyHeight}
        width={terminal.columns}
        now={now}
      />
    );
  } else if (views.length === 0 && inventory.status === 'loading') {
    body = <Loading label="loading keys…" progress={inventory.progress} />;
  } else if (views.length === 0 && inventory.status === 'error') {
    body = (
      <ErrorView title="Could not load the keys" message={inventory.error ?? 'unknown error'} hint="r to try again, q to quit" />
    );
  } else if (scoped.length === 0 && inventory.status === 'ready') {
    body = (
      <Empty
        title={`No customer-managed keys in ${session.regions.join(', ') || 'this region'}.`}
        hint={hiddenAwsManaged > 0 ? `${hiddenAwsManaged} AWS-managed keys are hidden: press a to show them.` : 'r to reload'}
      />
    );
  } else {
    body = (
      <KeysView
        rows={shown}
        columns={columns}
        selected={selected}
        height={bodyHeight}
        width={terminal.columns}
        filter={list.filter}
        isFiltering={list.isFiltering}
        sort={list.sort}
        total={scoped.length}
        hiddenAwsManaged={hiddenAwsManaged}
        progress={inventory.status === 'loading' ? inventory.progress : undefined}
      />
    );
  }

  return (
    <ThemeContext.Provider value={theme}>
      <Box flexDirection="column" width={terminal.columns} height={terminal.rows}>
        <Header session={session} identity={identity} />
        <Box flexDirection="column" height={bodyHeight}>
          {body}
        </Box>
        <Footer scope={scope} status={inventoryStatus(inventory)} readOnly={session.readOnly} />
      </Box>
    </ThemeContext.Provider>
  );
}
