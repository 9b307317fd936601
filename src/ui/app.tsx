// The keywarden terminal app: header, the current screen (keys list or key detail, with the
// help overlay on top), footer. State lives in two pure reducers (list, navigation); data
// comes through hooks over the KeySource port; one input handler routes keys to the focused area.

import { Box, useApp, useInput, type Key } from 'ink';
import { useCallback, useMemo, useReducer, useRef, useState } from 'react';
import { actionBlockedReason, type ActionRequest, type ChangePreview } from '../domain/actions.js';
import { describeError } from '../domain/errors.js';
import type { KeyRow } from '../domain/key.js';
import type { ChangeSource, KeySource, RetirementSource, SessionInfo } from '../domain/source.js';
import { DEFAULT_USAGE_WINDOW, nextWindow, windowLabel, type UsageWindow } from '../domain/usage.js';
import { useUsage } from './hooks/use-usage.js';
import { RetireScreen, type RetireKeyHandler } from './screens/retire-screen.js';
import { RetirementsScreen, useRetirementsList } from './screens/retirements-screen.js';
import { UsageView } from './views/usage-view.js';
import { actionable, DEFAULT_THRESHOLDS, findingsForKey, type Thresholds } from '../domain/findings.js';
import { findingLines, FindingsView } from './views/findings-view.js';
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
import { appliesOnTab, commandById, commandFor, TEXT_SCOPES, type CommandId, type Scope } from './keymap.js';
import { splitChunk } from './input-chunks.js';
import { checkConfirmation, checkPeriod, dialogReducer, NO_DIALOG, runnable, type Dialog, type DialogEvent } from './state/dialog.js';
import { useJournal } from './hooks/use-journal.js';
import { ChangeDialogView } from './views/change-dialog-view.js';
import { JournalView, journalLines } from './views/journal-view.js';
import { grantsLayout } from './views/key-detail-lines.js';
import { ROTATION_PERIOD_DEFAULT } from '../domain/rotation.js';
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
  /** Previews, changes and the journal. Without it (or in read-only mode) no change can be offered. */
  changes?: ChangeSource;
  /** The guided retirement. */
  retirements?: RetirementSource;
  /** Findings thresholds (config file + flags); the defaults when absent. */
  thresholds?: Thresholds;
}

const HEADER_LINES = 2;
const FOOTER_LINES = 2;
const TAB_KEYS: Record<string, DetailTab> = {
  'detail.tabOverview': 'overview',
  'detail.tabRotation': 'rotation',
  'detail.tabGrants': 'grants',
  'detail.tabPolicy': 'policy',
  'detail.tabUsage': 'usage',
  'detail.tabFindings': 'findings',
};

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

/** Keys with findings to act on (the `f` toggle). */
function withFindings(views: readonly RowView[]): RowView[] {
  return views.filter((view) => actionable(view.findings).length > 0);
}

function inventoryStatus(inventory: Inventory): StatusMessage | undefined {
  if (inventory.status === 'error') return { text: `loading stopped: ${inventory.error ?? 'unknown error'}`, tone: 'danger' };
  const failed = inventory.progress.filter((p) => p.error);
  if (failed.length > 0) return { text: failed.map((p) => `${p.region}: ${p.error}`).join('; '), tone: 'warning' };
  if (inventory.notice) return { text: inventory.notice, tone: 'warning' };
  return undefined;
}

/** Which area has the keyboard: a dialog, else the help overlay, else the screen (filter or list, detail, journal). */
function scopeOf(list: ListState, nav: Navigation, dialog: Dialog, retireFocus: () => Scope = () => 'retire'): Scope {
  if (dialog.kind === 'command') return 'command';
  if (dialog.kind !== 'none') return 'dialog';
  if (nav.overlay.kind === 'help') return 'help';
  if (nav.screen.kind === 'detail') return 'detail';
  if (nav.screen.kind === 'journal') return 'journal';
  if (nav.screen.kind === 'retire') return retireFocus();
  if (nav.screen.kind === 'retirements') return 'retirements';
  return list.isFiltering ? 'filter' : 'list';
}

const COMMAND_WORDS: Record<string, 'journal' | 'keys' | 'help' | 'quit' | 'retirements'> = {
  retirements: 'retirements',
  retire: 'retirements',
  journal: 'journal',
  j: 'journal',
  keys: 'keys',
  k: 'keys',
  list: 'keys',
  help: 'help',
  h: 'help',
  quit: 'quit',
  q: 'quit',
};

export function App({ source, session, size, onExit, changes, retirements, thresholds = DEFAULT_THRESHOLDS }: AppProps) {
  const { exit } = useApp();
  const theme = useMemo(() => themeFor(process.env), []);
  const terminal = useTerminalSize(size);
  const identity = useIdentity(source);
  const inventory = useInventory(source);
  const [list, dispatchList] = useReducer(listReducer, INITIAL_LIST_STATE);
  const [nav, dispatchNav] = useReducer(navigationReducer, INITIAL_NAVIGATION);
  const [dialog, dispatchDialog] = useReducer(dialogReducer, NO_DIALOG);
  const [status, setStatus] = useState<StatusMessage | undefined>();
  const canChange = changes !== undefined && !session.readOnly;

  // "now" moves on each time the rows change, so ages and countdowns stay honest.
  const now = useMemo(() => new Date(), [inventory.rows]);
  const views = useRowViews(inventory.rows, now, thresholds);
  const columns = useMemo(() => columnsFor({ multiRegion: session.regions.length > 1 }), [session.regions.length]);
  const scoped = useMemo(() => {
    const managed = list.showAwsManaged ? views : withoutAwsManaged(views);
    return list.onlyWithFindings ? withFindings(managed) : managed;
  }, [views, list.showAwsManaged, list.onlyWithFindings]);
  // Sorted once per sort order or row change; a keystroke in the filter only filters the sorted
  // rows (the filter keeps their order), so typing never re-sorts 10,000 rows.
  const sorted = useMemo(() => sortRows(scoped, list.sort.column, list.sort.direction), [scoped, list.sort]);
  const shown = useMemo(() => filterRows(sorted, list.filter), [sorted, list.filter]);
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
  const grantCursor = nav.screen.kind === 'detail' ? nav.screen.grantCursor : 0;
  const selectedGrants = nav.screen.kind === 'detail' ? nav.screen.selectedGrants : undefined;
  const marks = useMemo(
    () => (selectedGrants ? { cursor: grantCursor, selected: selectedGrants, selectable: canChange } : undefined),
    [grantCursor, selectedGrants, canChange],
  );
  const grants = detail.status === 'ready' && Array.isArray(detail.detail.grants) ? detail.detail.grants : [];
  const grantStarts = useMemo(
    () => (detail.status === 'ready' && detailTab === 'grants' ? grantsLayout(detail.detail, now, marks).starts : []),
    [detail, detailTab, now, marks],
  );
  const keyFindings = useMemo(
    () => (detail.status === 'ready' && detailTab === 'findings' ? findingsForKey({ key: detail.detail, thresholds, now, account: '' }) : []),
    [detail, detailTab, thresholds, now],
  );
  const detailLineCount = useMemo(
    () =>
      detail.status !== 'ready'
        ? 0
        : detailTab === 'findings'
          ? findingLines(keyFindings, terminal.columns).length
          : detailLines(detail.detail, detailTab, now, marks).length,
    [detail, detailTab, now, marks, keyFindings, terminal.columns],
  );
  const detailPage = Math.max(1, bodyHeight - DETAIL_CHROME_LINES);
  const [usageMaxScroll, setUsageMaxScroll] = useState(0);
  const detailMaxScroll = detailTab === 'usage' ? usageMaxScroll : Math.max(0, detailLineCount - detailPage);
  const helpMaxScroll = Math.max(0, helpLines({ readOnly: session.readOnly }).length - (bodyHeight - 1));
  // On the Grants tab the view follows the grant cursor.
  const detailScroll =
    nav.screen.kind !== 'detail'
      ? 0
      : detailTab === 'grants' && grantStarts.length > 0
        ? Math.min(detailMaxScroll, Math.max(0, (grantStarts[grantCursor] ?? 0) - 2))
        : nav.screen.scroll;
  const journalKey = nav.screen.kind === 'journal' ? nav.screen.keyArn : undefined;
  const journal = useJournal(changes, nav.screen.kind === 'journal', journalKey);
  const [usageWindow, setUsageWindow] = useState<UsageWindow>(DEFAULT_USAGE_WINDOW);
  const usage = useUsage(source, detailKey, usageWindow, { active: nav.screen.kind === 'detail' && detailTab === 'usage' });
  const retirementsList = useRetirementsList(retirements, nav.screen.kind === 'retirements');
  const retirementItems = retirementsList.status === 'ready' ? retirementsList.items : [];
  // The wizard screen handles its own keys; the App's one input handler routes them there.
  const retireHandler = useRef<RetireKeyHandler | undefined>(undefined);
  const retireFocus = useRef<() => Scope>(() => 'retire');
  const registerRetire = useCallback((handler: RetireKeyHandler, focus: () => Scope) => {
    retireHandler.current = handler;
    retireFocus.current = focus;
  }, []);
  const journalMaxScroll =
    journal.status === 'ready' ? Math.max(0, journalLines(journal.operations, journal.problems).length - (bodyHeight - 1)) : 0;

  const scope = scopeOf(list, nav, dialog, retireFocus.current);

  // One input handler, always active, routes each key to the focused area. Focus moves
  // synchronously: the dispatch wrappers update refs at once, so a key typed right after `/`
  // (before React has re-rendered) already goes to the filter and is never lost.
  const listRef = useRef(list);
  const navRef = useRef(nav);
  const dialogRef = useRef(dialog);
  listRef.current = list;
  navRef.current = nav;
  dialogRef.current = dialog;
  const dialogNow = useCallback((event: DialogEvent) => {
    dialogRef.current = dialogReducer(dialogRef.current, event);
    dispatchDialog(event);
  }, []);
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

  /** Re-reads the key and shows what the change(s) would do; nothing is sent yet. */
  const prepare = (requests: ActionRequest[], key: { arn: string; region: string }, title: string) => {
    if (!changes || session.readOnly) return;
    setStatus(undefined);
    dialogNow({ type: 'preparing', title });
    Promise.all(requests.map((request) => changes.preview(request, key))).then(
      (previews) => dialogNow({ type: 'previews', previews }),
      (error: unknown) => {
        dialogNow({ type: 'close' });
        setStatus({ text: `${title}: ${describeError(error)} — nothing was changed`, tone: 'danger' });
      },
    );
  };

  /** Makes the confirmed changes one after the other, then re-reads the key. */
  const apply = async (previews: ChangePreview[]) => {
    if (!changes) return;
    const go = runnable(previews);
    const title = go[0]?.title ?? 'change';
    dialogNow({ type: 'applying', title, total: go.length });
    const failures: string[] = [];
    let requestId: string | undefined;
    let after;
    for (const preview of go) {
      try {
        const result = await changes.apply(preview);
        requestId = result.requestId ?? requestId;
        after = result.after;
      } catch (error) {
        failures.push(describeError(error));
      }
      dialogNow({ type: 'applied-one' });
    }
    dialogNow({ type: 'finished' });
    if (after) inventory.update([after]);
    navNow({ type: 'grant-clear' });
    detail.reload();
    const done = go.length - failures.length;
    if (failures.length === 0) {
      setStatus({ text: `${title}: done${go.length > 1 ? ` (${done} of ${go.length})` : ''}${requestId ? ` · request ${requestId}` : ''} · recorded in the journal (:journal)`, tone: 'success' });
    } else {
      setStatus({ text: `${title}: ${done} of ${go.length} done; failed: ${failures.join('; ')}`, tone: 'danger' });
    }
  };

  const runCommandLine = (input: string) => {
    const word = COMMAND_WORDS[input.trim().replace(/^:/, '').toLowerCase()];
    dialogNow({ type: 'close' });
    switch (word) {
      case 'journal': {
        const screen = navRef.current.screen;
        const keyArn = screen.kind === 'detail' ? screen.key.arn : undefined;
        return navNow({ type: 'open-journal', ...(keyArn ? { keyArn } : {}) });
      }
      case 'keys':
        return navNow({ type: 'list' });
      case 'retirements':
        return navNow({ type: 'open-retirements' });
      case 'help':
        return navNow({ type: 'help-toggle' });
      case 'quit':
        return quit();
      default:
        setStatus({ text: `unknown command ":${input.trim()}" — try :keys, :journal, :retirements, :help, :quit`, tone: 'warning' });
    }
  };

  const handleCommandLine = (command: string | undefined, input: string, key: Key) => {
    switch (command) {
      case 'command.run':
        return runCommandLine(dialogRef.current.kind === 'command' ? dialogRef.current.input : '');
      case 'command.cancel':
        return dialogNow({ type: 'close' });
      case 'command.erase':
        return dialogNow({ type: 'erase' });
      default:
        if (!command && !key.ctrl && !key.meta && !key.tab && input !== '') {
          // eslint-disable-next-line no-control-regex
          dialogNow({ type: 'type', text: input.replace(/[\u0000-\u001f\u007f]/g, '') });
        }
    }
  };

  const handleDialog = (command: string | undefined, input: string, key: Key) => {
    const current = dialogRef.current;
    switch (command) {
      case 'dialog.cancel':
        if (current.kind === 'applying') return;
        dialogNow({ type: 'close' });
        return setStatus({ text: 'cancelled: nothing was changed', tone: 'muted' });
      case 'dialog.erase':
        return dialogNow({ type: 'erase' });
      case 'dialog.confirm': {
        if (current.kind === 'period') {
          const period = checkPeriod(current.input);
          if (!period.ok) return dialogNow({ type: 'reject', error: period.error });
          const key = current.key;
          return prepare([{ action: 'rotation.enable', periodDays: period.days }], key, 'Enable automatic rotation');
        }
        if (current.kind === 'confirm') {
          const check = checkConfirmation(current.previews, current.input);
          if (!check.ok) return dialogNow({ type: 'reject', error: check.error });
          void apply(current.previews);
        }
        return;
      }
      default:
        if ((current.kind === 'period' || current.kind === 'confirm') && !command && !key.ctrl && !key.meta && !key.tab && input !== '') {
          // eslint-disable-next-line no-control-regex
          dialogNow({ type: 'type', text: input.replace(/[\u0000-\u001f\u007f]/g, '') });
        }
    }
  };

  /** Detail actions: only on their tab, only when changes are possible. */
  const handleDetailAction = (command: CommandId): boolean => {
    const spec = commandById(command);
    if (!spec.dangerous) return false;
    const screen = navRef.current.screen;
    if (screen.kind !== 'detail') return true;
    if (!canChange) {
      setStatus({ text: session.readOnly ? 'read-only mode: changes are switched off' : 'changes are not available here', tone: 'warning' });
      return true;
    }
    if (!appliesOnTab(command, screen.tab)) {
      const tab = spec.tabs?.[0];
      setStatus({ text: `"${spec.description}" works on the ${tab ?? ''} tab`, tone: 'warning' });
      return true;
    }
    const key = screen.key;
    const cursorGrant = grants[screen.grantCursor];
    // Say at once why an action cannot be made (an asymmetric key cannot rotate, a disabled key
    // is already disabled…) instead of opening a dialog; the preview checks again on a fresh read.
    const quick: Partial<Record<CommandId, ActionRequest>> = {
      'detail.keyEnable': { action: 'key.enable' },
      'detail.keyDisable': { action: 'key.disable' },
      'detail.rotationEnable': { action: 'rotation.enable', periodDays: ROTATION_PERIOD_DEFAULT },
      'detail.rotationDisable': { action: 'rotation.disable' },
      'detail.rotateNow': { action: 'rotation.rotate-now' },
    };
    const request = quick[command];
    const known = detail.status === 'ready' ? detail.detail.row.metadata : undefined;
    const reason = request && known ? actionBlockedReason(request, known) : undefined;
    if (reason) {
      setStatus({ text: `${spec.description.replace(/ \(.*\)$/, '')}: not possible — ${reason}`, tone: 'warning' });
      return true;
    }
    switch (command) {
      case 'detail.keyEnable':
        prepare([{ action: 'key.enable' }], key, 'Enable key');
        break;
      case 'detail.keyDisable':
        prepare([{ action: 'key.disable' }], key, 'Disable key');
        break;
      case 'detail.rotationEnable': {
        const rotation = detail.status === 'ready' ? detail.detail.row.rotation : undefined;
        dialogNow({ type: 'open-period', key, initial: rotation?.kind === 'enabled' ? rotation.periodDays : ROTATION_PERIOD_DEFAULT });
        break;
      }
      case 'detail.rotationDisable':
        prepare([{ action: 'rotation.disable' }], key, 'Disable automatic rotation');
        break;
      case 'detail.rotateNow':
        prepare([{ action: 'rotation.rotate-now' }], key, 'Rotate now');
        break;
      case 'detail.grantSelect':
        if (cursorGrant) navNow({ type: 'grant-toggle', grantId: cursorGrant.grantId });
        break;
      case 'detail.grantSelectGrantee':
        if (cursorGrant) {
          navNow({ type: 'grant-select', grantIds: grants.filter((g) => g.granteePrincipal === cursorGrant.granteePrincipal).map((g) => g.grantId) });
        }
        break;
      case 'detail.grantRetire':
      case 'detail.grantRevoke': {
        const ids = screen.selectedGrants.length > 0 ? screen.selectedGrants : cursorGrant ? [cursorGrant.grantId] : [];
        if (ids.length === 0) {
          setStatus({ text: 'no grant to act on', tone: 'warning' });
          break;
        }
        const action = command === 'detail.grantRetire' ? 'grant.retire' : 'grant.revoke';
        prepare(
          ids.map((grantId) => ({ action, grantId })),
          key,
          command === 'detail.grantRetire' ? 'Retire grant' : 'Revoke grant',
        );
        break;
      }
      default:
        break;
    }
    return true;
  };

  const handleJournal = (command: string | undefined) => {
    switch (command) {
      case 'journal.back':
        return navNow({ type: 'back' });
      case 'journal.down':
        return navNow({ type: 'journal-scroll', by: 1, maxScroll: journalMaxScroll });
      case 'journal.up':
        return navNow({ type: 'journal-scroll', by: -1, maxScroll: journalMaxScroll });
      case 'journal.refresh':
        return journal.reload();
      default:
        return;
    }
  };

  /** The rows as the list state is now, which may be ahead of the last render within one burst of keys. */
  const currentShown = (): RowView[] => {
    const state = listRef.current;
    if (state === list) return shown;
    if (state.showAwsManaged === list.showAwsManaged && state.onlyWithFindings === list.onlyWithFindings && state.sort === list.sort) return filterRows(sorted, state.filter);
    const managed = state.showAwsManaged ? views : withoutAwsManaged(views);
    const base = state.onlyWithFindings ? withFindings(managed) : managed;
    return filterRows(sortRows(base, state.sort.column, state.sort.direction), state.filter);
  };

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
        const rows = currentShown();
        const view = rows[selectedIndex(listRef.current, rows.length)];
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
      case 'list.toggleFindings':
        return listNow({ type: 'toggle-findings' });
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

  const handleDetail = (command: CommandId | undefined) => {
    if (command && command in TAB_KEYS) return navNow({ type: 'tab', tab: TAB_KEYS[command] ?? 'overview' });
    const tabNow = navRef.current.screen.kind === 'detail' ? navRef.current.screen.tab : undefined;
    if (command === 'detail.retire' && navRef.current.screen.kind === 'detail') {
      if (!retirements) return setStatus({ text: 'the guided retirement is not available in this session', tone: 'warning' });
      return navNow({ type: 'open-retire', key: navRef.current.screen.key });
    }
    if (command === 'detail.usageWindow' || command === 'detail.usageStop') {
      if (tabNow !== 'usage') return setStatus({ text: 'that key works on the Usage tab (5)', tone: 'warning' });
      if (command === 'detail.usageStop') return usage.stop();
      const next = nextWindow(usageWindow);
      setUsageWindow(next);
      return setStatus({ text: `usage window: ${windowLabel(next)}`, tone: 'muted' });
    }
    if (command === 'detail.refresh' && tabNow === 'usage') return usage.reload();
    if (command && handleDetailAction(command)) return;
    const onGrants = navRef.current.screen.kind === 'detail' && navRef.current.screen.tab === 'grants' && grants.length > 0;
    if (onGrants && (command === 'detail.down' || command === 'detail.up')) {
      return navNow({ type: 'grant-cursor', by: command === 'detail.down' ? 1 : -1, count: grants.length });
    }
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

  const handleRetirements = (command: string | undefined) => {
    const screen = navRef.current.screen;
    if (screen.kind !== 'retirements') return;
    switch (command) {
      case 'retirements.back':
        return navNow({ type: 'back' });
      case 'retirements.down':
        return navNow({ type: 'retirements-move', by: 1, count: retirementItems.length });
      case 'retirements.up':
        return navNow({ type: 'retirements-move', by: -1, count: retirementItems.length });
      case 'retirements.refresh':
        return retirementsList.reload();
      case 'retirements.open': {
        const item = retirementItems[screen.selected];
        if (item && !('problem' in item)) navNow({ type: 'open-retire', key: { arn: item.record.keyArn, region: item.record.region } });
        return;
      }
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

  useInput((chunk: string, chunkKey: Key) => {
    const textField = TEXT_SCOPES.includes(scopeOf(listRef.current, navRef.current, dialogRef.current, retireFocus.current));
    for (const { input, key } of splitChunk(chunk, chunkKey, textField)) handleKey(input, key);
  });

  function handleKey(input: string, key: Key) {
    const focus = scopeOf(listRef.current, navRef.current, dialogRef.current, retireFocus.current);
    const command = commandFor(focus, input, key);
    const onRetireScreen = navRef.current.screen.kind === 'retire' && dialogRef.current.kind === 'none';
    if (command === 'app.quit') return quit();
    if (command === 'app.help') return navNow({ type: 'help-toggle' });
    if (command === 'app.command') return dialogNow({ type: 'open-command' });
    if (focus !== 'dialog' && focus !== 'command' && status && command !== undefined) setStatus(undefined);
    if (onRetireScreen && (focus === 'retire' || focus === 'dialog')) return retireHandler.current?.(command, input, key);
    switch (focus) {
      case 'command':
        return handleCommandLine(command, input, key);
      case 'dialog':
        return handleDialog(command, input, key);
      case 'retirements':
        return handleRetirements(command);
      case 'journal':
        return handleJournal(command);
      case 'list':
        return handleList(command);
      case 'filter':
        return handleFilter(command, input, key);
      case 'detail':
        return handleDetail(command);
      case 'help':
        return handleHelp(command);
    }
  }

  const hiddenAwsManaged = list.showAwsManaged ? 0 : views.filter((view) => view.isAwsManaged).length;
  let body: React.ReactNode;
  if (dialog.kind !== 'none' && dialog.kind !== 'command') {
    body = <ChangeDialogView dialog={dialog} height={bodyHeight} />;
  } else if (nav.overlay.kind === 'help') {
    body = <HelpView height={bodyHeight} scroll={nav.overlay.scroll} readOnly={session.readOnly} />;
  } else if (nav.screen.kind === 'retire' && retirements) {
    body = (
      <RetireScreen
        key={nav.screen.key.arn}
        source={retirements}
        keyRef={nav.screen.key}
        readOnly={!canChange}
        height={bodyHeight}
        register={registerRetire}
        onBack={() => navNow({ type: 'back' })}
      />
    );
  } else if (nav.screen.kind === 'retirements') {
    body = <RetirementsScreen state={retirementsList} selected={nav.screen.selected} height={bodyHeight} />;
  } else if (nav.screen.kind === 'journal') {
    body = <JournalView state={journal} keyArn={nav.screen.keyArn} scroll={nav.screen.scroll} height={bodyHeight} />;
  } else if (nav.screen.kind === 'detail') {
    body = (
      <KeyDetailView
        marks={marks}
        usage={
          detailTab === 'usage' ? (
            <UsageView
              state={usage.state}
              window={usageWindow}
              keyArn={detailKey?.arn}
              grants={grants}
              now={now}
              height={Math.max(3, bodyHeight - DETAIL_CHROME_LINES + 1)}
              width={terminal.columns}
              scroll={nav.screen.scroll}
              onMaxScroll={setUsageMaxScroll}
            />
          ) : detailTab === 'findings' ? (
            <FindingsView
              state={detail}
              thresholds={thresholds}
              now={now}
              height={Math.max(1, bodyHeight - DETAIL_CHROME_LINES + 1)}
              width={terminal.columns}
              scroll={detailScroll}
            />
          ) : undefined
        }
        row={detailRow}
        state={detail}
        tab={nav.screen.tab}
        scroll={detailScroll}
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
        title={list.onlyWithFindings ? 'No keys with findings: f shows every key.' : `No customer-managed keys in ${session.regions.join(', ') || 'this region'}.`}
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
        onlyWithFindings={list.onlyWithFindings}
        progress={inventory.status === 'loading' ? inventory.progress : undefined}
        staleSince={inventory.staleSince}
        isRefreshing={inventory.status === 'loading'}
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
        <Footer
          scope={scope}
          status={dialog.kind === 'command' ? { text: `:${dialog.input}█`, tone: 'accent' } : (status ?? inventoryStatus(inventory))}
          readOnly={!canChange}
          {...(scope === 'detail' ? { tab: detailTab } : {})}
        />
      </Box>
    </ThemeContext.Provider>
  );
}
