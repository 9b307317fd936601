// One key in detail: its tabs, how far each can scroll (on Grants the view follows the grant
// cursor), the Usage tab's CloudTrail window, and the keys that move through it. Every change is
// made from here, so the change dialog belongs to this screen: it re-reads the key afterwards.

import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Thresholds } from '../../domain/findings.js';
import type { ChangeSource, KeySource } from '../../domain/source.js';
import { LOOKUP_MAX_DAYS, nextTabEngine, nextUsageWindow, tabEngineMaxDays, tabEngineName, type TabEngine } from '../../domain/insights.js';
import { DEFAULT_USAGE_WINDOW, windowDays, windowLabel, type UsageWindow } from '../../domain/usage.js';
import type { Inventory } from '../hooks/use-inventory.js';
import { useKeyDetail, type KeyDetailState } from '../hooks/use-key-detail.js';
import type { Current } from '../hooks/use-sync-reducer.js';
import { useUsage } from '../hooks/use-usage.js';
import type { CommandId } from '../keymap.js';
import type { Dialog, DialogEvent } from '../state/dialog.js';
import { detailTab, tabLabel, tabLines, tabOfCommand, type DetailTab } from '../detail-tabs.js';
import type { DetailScreen } from '../state/navigation.js';
import { grantsLayout, type GrantMarks } from '../views/key-detail-lines.js';
import { DETAIL_CHROME_LINES, KeyDetailView } from '../views/key-detail-view.js';
import { UsageView } from '../views/usage-view.js';
import { changeDialog } from './change-dialog.js';
import { detailAction, unavailableActions } from './detail-actions.js';
import type { KeyHandler, ScreenController, Shell } from './screen.js';

export interface DetailScreenDeps {
  source: KeySource;
  inventory: Inventory;
  thresholds: Thresholds;
  changes: ChangeSource | undefined;
  /** Changes can be offered: a change source, and not read-only. */
  canChange: boolean;
  readOnly: boolean;
  /** Whether this session has the guided retirement (R). */
  canRetire: boolean;
  /** The App's dialog as it is now, and its dispatch (see useSyncReducer). */
  dialogRef: Current<Dialog>;
  dialogNow: (event: DialogEvent) => void;
  /** Reads the key's policy and grants for FIND again (after a fresh read of the key: a change may have altered them). */
  rereadAccess?: (arn: string) => void;
  /** Account names by id (several accounts): the Usage tab names the accounts a key is used from. */
  accountNames?: ReadonlyMap<string, string>;
}

export interface DetailScreenController extends ScreenController {
  /** The change dialog's keys, while it is open. */
  onDialogKey: KeyHandler;
  /** Actions the key rules out: left out of the footer's hints. */
  unavailable: ReadonlySet<CommandId>;
}

/** The current tab's line count (a tab read from CloudTrail reports its own instead), and on Grants where each grant starts. */
function useTabLines(detail: KeyDetailState, tab: DetailTab, marks: GrantMarks | undefined, thresholds: Thresholds, now: Date, width: number) {
  const grantStarts = useMemo(
    () => (detail.status === 'ready' && tab === 'grants' ? grantsLayout(detail.detail, now, marks, width).starts : []),
    [detail, tab, now, marks, width],
  );
  const lineCount = useMemo(
    () => (detail.status !== 'ready' ? 0 : tabLines(tab, { detail: detail.detail, now, marks, width, thresholds }).length),
    [detail, tab, now, marks, thresholds, width],
  );
  return { grantStarts, lineCount };
}

/** A cursor within `count` items (0 when there are none). */
export function clampCursor(cursor: number, count: number): number {
  return count === 0 ? 0 : Math.max(0, Math.min(cursor, count - 1));
}

export function useDetailScreen(shell: Shell, deps: DetailScreenDeps): DetailScreenController {
  const { source, inventory, thresholds, canChange } = deps;
  const { nav, navRef, navNow, setStatus, now, height, width } = shell;
  const screen = nav.screen.kind === 'detail' ? nav.screen : undefined;
  const detailKey = screen?.key;
  const detail = useKeyDetail(source, detailKey);
  const detailRow = useMemo(() => (detailKey ? inventory.rows.find((r) => r.arn === detailKey.arn) : undefined), [detailKey, inventory.rows]);
  // Each fresh read of the key (opening it, after a change, back from the retirement wizard)
  // also brings its row in the keys list up to date: the list never shows a state the key left.
  const { update } = inventory;
  const { rereadAccess } = deps;
  const fresh = detail.status === 'ready' ? detail.detail : undefined;
  useEffect(() => {
    if (!fresh) return;
    update([fresh.row]);
    // FIND reads the policy and grants kept by the background reader: have it read them again too.
    rereadAccess?.(fresh.row.arn);
  }, [fresh, update, rereadAccess]);
  const tab = screen?.tab ?? 'overview';
  const grants = useMemo(() => (detail.status === 'ready' && Array.isArray(detail.detail.grants) ? detail.detail.grants : []), [detail]);
  // The cursor stays on a grant that is listed: after the last grant of the list went (retired,
  // revoked) it moves to the one before it instead of pointing past the end.
  const grantCursor = clampCursor(screen?.grantCursor ?? 0, grants.length);
  const selectedGrants = screen?.selectedGrants;
  const marks = useMemo(
    () => (selectedGrants ? { cursor: grantCursor, selected: selectedGrants, selectable: canChange } : undefined),
    [grantCursor, selectedGrants, canChange],
  );
  const { grantStarts, lineCount } = useTabLines(detail, tab, marks, thresholds, now, width);
  const page = Math.max(1, height - DETAIL_CHROME_LINES);
  // The Usage tab lays out its own lines and reports how far they scroll.
  const [usageMaxScroll, setUsageMaxScroll] = useState(0);
  const fromCloudTrail = detailTab(tab).body.source === 'cloudtrail';
  const maxScroll = fromCloudTrail ? usageMaxScroll : Math.max(0, lineCount - page);
  // On the Grants tab the view follows the grant cursor.
  const scroll = !screen
    ? 0
    : tab === 'grants' && grantStarts.length > 0
      ? Math.min(maxScroll, Math.max(0, (grantStarts[grantCursor] ?? 0) - 2))
      : screen.scroll;
  const [usageWindow, setUsageWindow] = useState<UsageWindow>(DEFAULT_USAGE_WINDOW);
  const [usageEngine, setUsageEngine] = useState<TabEngine>('auto');
  const usage = useUsage(source, detailKey, usageWindow, { active: screen !== undefined && fromCloudTrail, engine: usageEngine });
  // How long a window the key's engines serve: known from the last load, kept while the next one starts.
  const loadedMax = 'loaded' in usage.state ? usage.state.loaded?.progress.maxWindowDays : undefined;
  const [usageMaxDays, setUsageMaxDays] = useState(LOOKUP_MAX_DAYS);
  useEffect(() => {
    if (loadedMax !== undefined) setUsageMaxDays(loadedMax);
  }, [loadedMax]);
  useEffect(() => setUsageMaxDays(LOOKUP_MAX_DAYS), [detailKey?.arn]);
  // An engine picked with `m` serves its own windows; keywarden's choice, what the key's engines serve.
  const windowMaxDays = usageEngine === 'auto' ? usageMaxDays : tabEngineMaxDays(usageEngine);

  const dialog = changeDialog({
    changes: deps.changes,
    readOnly: deps.readOnly,
    dialogRef: deps.dialogRef,
    dialogNow: deps.dialogNow,
    setStatus,
    size: { width, height },
    onApplied: (after) => {
      if (after) inventory.update([after]);
      navNow({ type: 'grant-clear' });
      detail.reload();
    },
  });

  const retire = (current: DetailScreen) => {
    if (!deps.canRetire) return setStatus({ text: 'the guided retirement is not available in this session', tone: 'warning' });
    if (fresh?.row.metadata?.keyManager === 'AWS') {
      return setStatus({ text: 'AWS managed keys cannot be retired: they cannot be disabled or deleted (AWS manages them)', tone: 'warning' });
    }
    navNow({ type: 'open-retire', key: current.key });
  };

  /** `w`, `m` and `s` on the Usage tab: the next CloudTrail window, the next engine, or stop reading. */
  const usageKey = (command: 'detail.usageWindow' | 'detail.usageEngine' | 'detail.usageStop', current: DetailScreen) => {
    if (detailTab(current.tab).body.source !== 'cloudtrail') return setStatus({ text: `that key works on ${tabLabel('usage')}`, tone: 'warning' });
    if (command === 'detail.usageStop') return usage.stop();
    if (command === 'detail.usageEngine') {
      const engine = nextTabEngine(usageEngine);
      setUsageEngine(engine);
      // LookupEvents keeps 90 days: a longer window comes down to what it serves.
      const max = tabEngineMaxDays(engine);
      if (engine !== 'auto' && windowDays(usageWindow) > max) {
        setUsageWindow({ days: max });
        return setStatus({ text: `usage engine: ${tabEngineName(engine)} (it keeps ${max} days: window ${max} d)`, tone: 'muted' });
      }
      return setStatus({ text: `usage engine: ${tabEngineName(engine)}`, tone: 'muted' });
    }
    const next = nextUsageWindow(usageWindow, windowMaxDays);
    setUsageWindow(next);
    setStatus({ text: `usage window: ${windowLabel(next)}`, tone: 'muted' });
  };

  const moveKey = (command: CommandId, current: DetailScreen) => {
    if (current.tab === 'grants' && grants.length > 0 && (command === 'detail.down' || command === 'detail.up')) {
      const by = command === 'detail.down' ? 1 : -1;
      // From where the cursor is shown (a stored cursor past the end counts as the last grant).
      return navNow({ type: 'grant-cursor', by: clampCursor(current.grantCursor, grants.length) + by - current.grantCursor, count: grants.length });
    }
    switch (command) {
      case 'detail.back':
        return navNow({ type: 'back' });
      case 'detail.nextTab':
        return navNow({ type: 'tab-step', by: 1 });
      case 'detail.prevTab':
        return navNow({ type: 'tab-step', by: -1 });
      case 'detail.down':
        return navNow({ type: 'scroll', by: 1, maxScroll });
      case 'detail.up':
        return navNow({ type: 'scroll', by: -1, maxScroll });
      case 'detail.pageDown':
        return navNow({ type: 'scroll', by: page, maxScroll });
      case 'detail.pageUp':
        return navNow({ type: 'scroll', by: -page, maxScroll });
      case 'detail.top':
        return navNow({ type: 'scroll-to', to: 'top', maxScroll });
      case 'detail.bottom':
        return navNow({ type: 'scroll-to', to: 'bottom', maxScroll });
      case 'detail.refresh':
        return detail.reload();
      default:
        return;
    }
  };

  /** c, y, Y: the ARN (on Grants the grant id under the cursor), the key id, the AWS CLI command for the tab. */
  const copyKey = (command: 'detail.copy' | 'detail.copyId' | 'detail.copyCli', current: DetailScreen) => {
    const cursorGrant = current.tab === 'grants' ? grants[clampCursor(current.grantCursor, grants.length)] : undefined;
    if (command === 'detail.copyCli') return shell.copy(detailTab(current.tab).cli(current.key, cursorGrant?.grantId), 'the AWS CLI command');
    if (command === 'detail.copy' && cursorGrant) return shell.copy(cursorGrant.grantId, 'the grant id');
    if (command === 'detail.copy') return shell.copy(current.key.arn, 'the ARN');
    const keyId = fresh?.row.keyId ?? detailRow?.keyId ?? current.key.arn.split('/').pop() ?? current.key.arn;
    return shell.copy(keyId, 'the key id');
  };

  const onKey: KeyHandler = (command) => {
    const current = navRef.current.screen;
    if (command === undefined || current.kind !== 'detail') return;
    if (command === 'detail.copy' || command === 'detail.copyId' || command === 'detail.copyCli') return copyKey(command, current);
    const tabKey = tabOfCommand(command);
    if (tabKey) return navNow({ type: 'tab', tab: tabKey });
    if (command === 'detail.retire') return retire(current);
    if (command === 'detail.usageWindow' || command === 'detail.usageEngine' || command === 'detail.usageStop') return usageKey(command, current);
    if (command === 'detail.refresh' && detailTab(current.tab).body.source === 'cloudtrail') return usage.reload();
    // The key as last read decides what is refused at once, but only while no newer read was
    // asked for (r, or a change just made): otherwise it is not known, and the preview reads it.
    const known: KeyDetailState = detail.settled() ? detail : { status: 'loading' };
    const context = { screen: { ...current, grantCursor: clampCursor(current.grantCursor, grants.length) }, detail: known, grants, canChange, readOnly: deps.readOnly, dialog, navNow, setStatus, thresholds };
    if (detailAction(command, context)) return;
    moveKey(command, current);
  };

  /** The Usage tab: read from CloudTrail by its own loader, with its window. */
  const cloudTrailContent = (): ReactNode => (
    <UsageView
      state={usage.state}
      window={usageWindow}
      keyArn={detailKey?.arn}
      grants={grants}
      now={now}
      height={Math.max(3, height - DETAIL_CHROME_LINES + 1)}
      width={width}
      scroll={scroll}
      onMaxScroll={setUsageMaxScroll}
      maxWindowDays={windowMaxDays}
      engine={usageEngine}
      accountNames={deps.accountNames}
    />
  );

  const body = (): ReactNode => (
    <KeyDetailView
      marks={marks}
      thresholds={thresholds}
      {...(fromCloudTrail ? { content: cloudTrailContent() } : {})}
      row={detailRow}
      state={detail}
      tab={tab}
      scroll={scroll}
      height={height}
      width={width}
      now={now}
    />
  );

  const unavailable = useMemo(() => unavailableActions(fresh), [fresh]);
  const refresh = () => {
    detail.reload();
    usage.reload();
  };
  return { onKey, onDialogKey: dialog.onKey, body, unavailable, refresh, footer: { tab, unavailable } };
}
