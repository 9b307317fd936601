// The keywarden terminal app: header, the current screen (keys list, key detail, journal,
// retirements, the retirement wizard, with the help overlay and the dialogs on top), footer.
// The App is the shell: it holds the navigation, list and dialog state (pure reducers), the one
// input handler that routes each key to the focused area, and the global commands (quit, help,
// the command line). Each screen, in ./screens/, derives what it shows and handles its own keys.

import { Box, useApp, useInput, type Key } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { describeAmount, describeOffset, parseClockAmount, type SandboxClock } from '../domain/clock.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../domain/findings.js';
import { formatDate, formatDateTime } from '../domain/format.js';
import { cleanText } from '../domain/sanitize.js';
import { progressLabel, type ChangeSource, type KeySource, type RetirementSource, type SessionInfo } from '../domain/source.js';
import type { ColumnId } from '../domain/table.js';
import { Footer, statusRows, type StatusMessage } from './components/footer.js';
import { Header, headerLines } from './components/header.js';
import { useIdentity } from './hooks/use-identity.js';
import { useInventory, type Inventory } from './hooks/use-inventory.js';
import { useAccess } from './hooks/use-access.js';
import { useLastUse } from './hooks/use-last-use.js';
import { useSyncReducer } from './hooks/use-sync-reducer.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { clipboardText, osc52 } from './clipboard.js';
import { splitChunk } from './input-chunks.js';
import { commandEntry, completeCommand, unknownCommandText, newCommandHistory, remember, resolveCommand, walkHistory, type CommandHistory } from './command-line.js';
import { tabLabel } from './detail-tabs.js';
import { commandFor, TEXT_SCOPES, type Scope } from './keymap.js';
import { helpScreen } from './screens/help-screen.js';
import { screenEntry, useScreens, type ScreenKind } from './screens/registry.js';
import type { KeyHandler, ScreenController, Shell } from './screens/screen.js';
import { dialogReducer, NO_DIALOG, type Dialog } from './state/dialog.js';
import { INITIAL_LIST_STATE, listReducer } from './state/list-state.js';
import { INITIAL_NAVIGATION, navigationReducer, type Navigation } from './state/navigation.js';
import { textEditFor } from './text-field.js';
import { ThemeContext, themeFor } from './theme.js';
import { ChangeDialogView } from './views/change-dialog-view.js';

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
  /** The sandbox's clock when the endpoint is a keywarden sandbox: the account's time, moved by `:clock +15d`. */
  sandboxClock?: SandboxClock;
  /** `:region` / `:profile`: connect anew and draw a fresh app (rejects with the reason, the current view stays). */
  onSwitch?: (change: { regions?: string[]; profile?: string }) => Promise<void>;
  /** The command line's history, kept by the caller across redraws (default: the app's own). */
  commandHistory?: CommandHistory;
  /** Subscribes to retries after errors that are not throttling (the endpoint failing): the footer says so. */
  onRetry?: (listener: (notice: { reason: string; attempt: number }) => void) => () => void;
  /** Writes an OSC 52 sequence to the terminal (copy to the clipboard); absent: copying is off (--no-clipboard). */
  writeClipboard?: ((sequence: string) => void) | undefined;
  /** The keys list's columns hidden at the last start (kept by the caller, see src/app/ui-preferences.ts). */
  hiddenColumns?: readonly ColumnId[];
  /** Called when the operator hides or shows a column, to keep the choice for the next start. */
  onHiddenColumnsChange?: ((hidden: readonly ColumnId[]) => void) | undefined;
}


/** The header's scope with several accounts: the account narrowed to, else how many accounts and Regions loaded or failed. */
export function accountsLabel(session: SessionInfo, inventory: Inventory, scope: string | undefined): string {
  const accounts = session.accounts ?? [];
  if (scope) {
    const account = accounts.find((a) => a.id === scope);
    return `account ${cleanText(account?.name ?? scope)} (${scope}) of ${accounts.length}`;
  }
  const failedAccounts = new Set(inventory.progress.filter((p) => p.error && p.accountId).map((p) => p.accountId));
  const pairs = inventory.progress.filter((p) => p.accountId);
  const loaded = pairs.filter((p) => p.done && !p.error).length;
  const failedPairs = pairs.filter((p) => p.error).length;
  return `accounts ${accounts.length - failedAccounts.size}/${accounts.length}${failedAccounts.size > 0 ? ` (${failedAccounts.size} failed)` : ''} · account×Region ${loaded} loaded${failedPairs > 0 ? `, ${failedPairs} failed` : ''}`;
}
/** The footer's hints line (the status below it takes the rows it needs). */
const HINT_LINES = 1;
/** The body never has fewer rows than this (a long status is cut short of it). */
const MIN_BODY = 3;

function inventoryStatus(inventory: Inventory): StatusMessage | undefined {
  if (inventory.status === 'error') return { text: `loading stopped: ${inventory.error ?? 'unknown error'}`, tone: 'danger' };
  const failed = inventory.progress.filter((p) => p.error);
  if (failed.length > 0) return { text: failed.map((p) => `${progressLabel(p)}: ${p.error}`).join('; '), tone: 'warning' };
  if (inventory.notice) return { text: inventory.notice, tone: 'warning' };
  return undefined;
}

/**
 * Which area has the keyboard: the command line, a dialog, else the help overlay, else the screen
 * (its registry scope, or where its focus is: the keys list's filter, the wizard's dialog).
 */
function scopeOf(nav: Navigation, dialog: Dialog, screens: Record<ScreenKind, ScreenController>): Scope {
  if (dialog.kind === 'command') return 'command';
  if (dialog.kind !== 'none') return 'dialog';
  if (nav.overlay.kind === 'help') return 'help';
  return screens[nav.screen.kind].focus?.() ?? screenEntry(nav.screen.kind).scope;
}


/** The sandbox's date, when it is not this machine's (the header shows it as a badge). */
function sandboxDate(clock: SandboxClock | undefined): string | undefined {
  if (!clock) return undefined;
  const date = formatDate(clock.now().toISOString());
  return date === formatDate(new Date().toISOString()) ? undefined : date;
}

export function App(props: AppProps) {
  const { source, session, size, onExit, changes, retirements, thresholds = DEFAULT_THRESHOLDS, sandboxClock, writeClipboard, hiddenColumns, onHiddenColumnsChange, onRetry, onSwitch, commandHistory } = props;
  const { exit } = useApp();
  const theme = useMemo(() => themeFor(process.env), []);
  const terminal = useTerminalSize(size);
  const identity = useIdentity(source);
  const loaded = useInventory(source);
  // Rows come complete but for last use, which the source's reader fills in the background.
  const lastUseOnly = useLastUse(source, loaded.rows);
  // Policies and grants, for the policy and grant findings (FIND, f), are read the same way.
  const access = useAccess(source, lastUseOnly.rows);
  const inventory: Inventory = { ...loaded, rows: access.rows };
  // Both readers follow what the operator looks at; `r` reads both again.
  const { focus: focusLastUse, reread: rereadLastUse } = lastUseOnly;
  const { focus: focusAccess, reread: rereadAccess } = access;
  const focus = useCallback(
    (selected: string | undefined, visible: readonly string[]) => {
      focusLastUse(selected, visible);
      focusAccess(selected, visible);
    },
    [focusLastUse, focusAccess],
  );
  const reread = useCallback(
    (arn: string) => {
      rereadLastUse(arn);
      rereadAccess(arn);
    },
    [rereadLastUse, rereadAccess],
  );
  const lastUse = { progress: lastUseOnly.progress, focus, reread };
  // Focus moves synchronously: these dispatches update a ref at once, so a key typed right after
  // `/` (before React has re-rendered) already goes to the filter and is never lost.
  const [list, listRef, listNow] = useSyncReducer(listReducer, hiddenColumns && hiddenColumns.length > 0 ? { ...INITIAL_LIST_STATE, hiddenColumns } : INITIAL_LIST_STATE);
  // A column hidden or shown again is kept for the next start (not the columns it started with).
  const startedWith = useRef(list.hiddenColumns);
  useEffect(() => {
    if (list.hiddenColumns !== startedWith.current) onHiddenColumnsChange?.(list.hiddenColumns);
  }, [list.hiddenColumns, onHiddenColumnsChange]);
  const [nav, navRef, navNow] = useSyncReducer(navigationReducer, INITIAL_NAVIGATION);
  const [dialog, dialogRef, dialogNow] = useSyncReducer(dialogReducer, NO_DIALOG);
  const [status, setStatus] = useState<StatusMessage | undefined>();
  const canChange = changes !== undefined && !session.readOnly;
  // A slow answer is not silence: the endpoint failing and being retried is said in the footer
  // (until a few seconds after the last retry; a failure the retries end in replaces it).
  const [retrying, setRetrying] = useState<StatusMessage | undefined>();
  useEffect(() => {
    if (!onRetry) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const unsubscribe = onRetry((notice) => {
      setRetrying({ text: `${notice.reason}; retrying (attempt ${notice.attempt})…`, tone: 'warning' });
      clearTimeout(timer);
      timer = setTimeout(() => setRetrying(undefined), 5_000);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [onRetry]);

  // Bumped when `:clock` moved the sandbox's time: "now" moves and every screen reads AWS again.
  const [clockEpoch, setClockEpoch] = useState(0);
  // "now" is the account's time (the sandbox's clock on a sandbox) and moves on each time the rows
  // change or the sandbox's time moves, so ages and countdowns stay honest.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const now = useMemo(() => sandboxClock?.now() ?? new Date(), [inventory.rows, clockEpoch, sandboxClock]);
  // The header's rows (its lines wrapped to the width), the footer's hints line and the status's
  // rows (wrapped, never cut), and the body in between.
  const headerProps = { session, identity, width: terminal.columns, ...(sandboxDate(sandboxClock) ? { sandboxDate: sandboxDate(sandboxClock) } : {}), ...(session.accounts ? { accountsLabel: accountsLabel(session, inventory, list.accountScope) } : {}) };
  const headerRows = headerLines(headerProps);
  const shownStatus: StatusMessage | undefined = dialog.kind === 'command' ? { text: `:${dialog.input}█`, tone: 'accent' } : (status ?? inventoryStatus(inventory) ?? retrying);
  const maxStatusRows = Math.max(1, terminal.rows - headerRows - HINT_LINES - MIN_BODY);
  const bodyHeight = Math.max(MIN_BODY, terminal.rows - headerRows - HINT_LINES - statusRows(shownStatus, terminal.columns, maxStatusRows).length);
  const copy = (text: string, what: string) => {
    const clean = clipboardText(text);
    if (!writeClipboard) return setStatus({ text: `copying is off (--no-clipboard): ${what} is ${clean}`, tone: 'warning' });
    writeClipboard(osc52(clean));
    setStatus({ text: `copied ${what} to the clipboard: ${clean}`, tone: 'success' });
  };
  const shell: Shell = { nav, navRef, navNow, setStatus, copy, now, height: bodyHeight, width: terminal.columns };
  // Several accounts: their names, for the Usage tab's callers from other accounts (one map per session).
  const accountNames = useMemo(() => (session.accounts ? new Map(session.accounts.filter((a) => a.name).map((a) => [a.id, a.name!])) : undefined), [session.accounts]);
  // Every screen of the registry (src/ui/screens/registry.ts), each keeping its state while another shows.
  const screens = useScreens(shell, { source, session, inventory, lastUse, list, listRef, listNow, thresholds, changes, retirements, canChange, dialogRef, dialogNow, rereadAccess, clockEpoch, ...(accountNames ? { accountNames } : {}) });
  const current = screens[nav.screen.kind];
  const help = helpScreen(shell, session.readOnly);

  const scope = scopeOf(nav, dialog, screens);

  const quit = useCallback(() => {
    exit();
    onExit?.(0);
  }, [exit, onExit]);

  /** `:clock` shows the sandbox's time; `:clock +15d` moves it forward and reads every view again. */
  const runClock = (amountText: string | undefined) => {
    if (!sandboxClock) {
      return setStatus({ text: ':clock moves a keywarden sandbox\'s time: run with --sandbox, or --endpoint-url to a "keywarden sandbox serve"', tone: 'warning' });
    }
    if (amountText === undefined) {
      const at = sandboxClock.now();
      return setStatus({ text: `sandbox time ${formatDateTime(at.toISOString())} UTC (${describeOffset(sandboxClock.offsetMs())}) — :clock +15d moves it forward`, tone: 'accent' });
    }
    const amount = parseClockAmount(amountText);
    if (!amount.ok) return setStatus({ text: `:clock ${amount.message}; nothing changed`, tone: 'warning' });
    setStatus({ text: `moving the sandbox's time forward ${describeAmount(amount.seconds)}…`, tone: 'accent' });
    sandboxClock.advance(amount.seconds).then(
      (at) => {
        setStatus({ text: `sandbox time moved forward ${describeAmount(amount.seconds)}: now ${formatDateTime(at.toISOString())} UTC`, tone: 'accent' });
        setClockEpoch((epoch) => epoch + 1);
        inventory.refresh();
        for (const controller of Object.values(screens)) controller.refresh?.();
      },
      // The endpoint's own words may be in the message: cleaned like any text from outside.
      (error: unknown) => setStatus({ text: `the sandbox's time did not move: ${cleanText(error instanceof Error ? error.message : String(error))}`, tone: 'danger' }),
    );
  };

  // The command line's history: the session's (kept across a :region switch) or this app's own.
  const ownHistory = useRef<CommandHistory>(newCommandHistory());
  const history = (): CommandHistory => commandHistory ?? ownHistory.current;

  const runSwitch = (what: string, change: { regions?: string[]; profile?: string }) => {
    if (!onSwitch) return setStatus({ text: `:${what} is not available here`, tone: 'warning' });
    setStatus({ text: `connecting: ${change.regions ? `Region ${change.regions.join(', ')}` : `profile ${change.profile}`}…`, tone: 'accent' });
    onSwitch(change).catch((error: unknown) =>
      setStatus({ text: `:${what}: ${cleanText(error instanceof Error ? error.message : String(error))}; still reading ${session.profile ? `profile ${session.profile}, ` : ''}${session.regions.join(', ')}`, tone: 'danger' }),
    );
  };

  /** `:account NAME|ID|all`: narrows the keys list to one account (by id, name, or a name's unique prefix), or widens it. */
  const runAccount = (argument: string) => {
    const accounts = session.accounts;
    if (!accounts || accounts.length === 0) return setStatus({ text: ':account needs several accounts (start keywarden with --org)', tone: 'warning' });
    const names = accounts.map((a) => cleanText(a.name ?? a.id)).join(', ');
    if (argument === '') {
      const current = accounts.find((a) => a.id === listRef.current.accountScope);
      return setStatus({ text: `${current ? `account ${cleanText(current.name ?? current.id)}` : 'every account'}; :account NAME|ID|all (${names})`, tone: 'accent' });
    }
    if (argument.toLowerCase() === 'all') {
      listNow({ type: 'account-scope' });
      return setStatus({ text: `every account (${accounts.length})`, tone: 'accent' });
    }
    const wanted = argument.toLowerCase();
    const exact = accounts.filter((a) => a.id === argument || (a.name ?? '').toLowerCase() === wanted);
    const matches = exact.length > 0 ? exact : accounts.filter((a) => (a.name ?? '').toLowerCase().startsWith(wanted));
    if (matches.length !== 1) {
      return setStatus({ text: `${matches.length === 0 ? `no account "${cleanText(argument)}"` : `"${cleanText(argument)}" could be ${matches.map((a) => cleanText(a.name ?? a.id)).join(' or ')}`}: ${names}`, tone: 'warning' });
    }
    const account = matches[0]!;
    listNow({ type: 'account-scope', account: account.id });
    if (navRef.current.screen.kind !== 'list') navNow({ type: 'list' });
    return setStatus({ text: `account ${cleanText(account.name ?? account.id)} (${account.id})${account.error ? `: not read — ${cleanText(account.error)}` : ''}; :account all for every account`, tone: account.error ? 'warning' : 'accent' });
  };

  const runCommandLine = (input: string) => {
    const [name = '', ...args] = input.trim().replace(/^:/, '').split(/\s+/);
    Object.assign(history(), { lines: remember(history().lines, input), position: 0, draft: '' });
    const word = resolveCommand(name);
    const target = commandEntry(word)?.target;
    dialogNow({ type: 'close' });
    if (!name) return undefined;
    // A name that is no command is said so first, whatever follows it (":regoin us-east-1").
    if (word === undefined) return setStatus({ text: unknownCommandText(name, input), tone: 'warning' });
    if (target && 'screen' in target && args.length === 0) {
      const nowNav = navRef.current;
      const open = screenEntry(target.screen).open(nowNav, nowNav.screen.kind === 'detail' ? nowNav.screen.key : undefined);
      return open ? navNow(open) : setStatus({ text: `:${word} cannot open here`, tone: 'warning' });
    }
    if (target && 'tab' in target && args.length === 0) {
      // A tab of the key shown (the detail, or the key the wizard or journal was opened over).
      if (navRef.current.screen.kind !== 'detail') return setStatus({ text: `:${word} opens ${tabLabel(target.tab)} of a key: open a key first (Enter on the keys list)`, tone: 'warning' });
      return navNow({ type: 'tab', tab: target.tab });
    }
    if (word === 'clock') return runClock(args.length > 0 ? args.join('') : undefined);
    if (word === 'region') {
      const regions = args.join(',').split(',').map((r) => r.trim()).filter(Boolean);
      if (regions.length === 0) return setStatus({ text: `reading ${session.regions.join(', ')}; :region NAME[,NAME…] reads other Regions`, tone: 'accent' });
      return runSwitch('region', { regions: [...new Set(regions)] });
    }
    if (word === 'account') return runAccount(args.join(' ').trim());
    if (word === 'profile') {
      if (args.length === 0) return setStatus({ text: `${session.profile ? `profile ${session.profile}` : 'the default credentials'}; :profile NAME reads with another profile`, tone: 'accent' });
      if (args.length > 1) return setStatus({ text: `":${input.trim()}": one profile name, please`, tone: 'warning' });
      return runSwitch('profile', { profile: args[0]! });
    }
    if (args.length > 0) return setStatus({ text: `":${input.trim()}": ${word ?? name} takes no argument`, tone: 'warning' });
    switch (word) {
      case 'help':
        // At the section of the screen under the command line.
        return navNow({ type: 'help-toggle', scroll: help.openAt(scopeOf(navRef.current, NO_DIALOG, screens)) });
      case 'quit':
        return quit();
      default:
        setStatus({ text: unknownCommandText(name, input), tone: 'warning' });
    }
  };

  const setCommandText = (text: string) => {
    dialogNow({ type: 'close' });
    dialogNow({ type: 'open-command' });
    if (text) dialogNow({ type: 'type', text });
  };

  const onCommandLineKey: KeyHandler = (command, input, key) => {
    switch (command) {
      case 'command.run':
        return runCommandLine(dialogRef.current.kind === 'command' ? dialogRef.current.input : '');
      case 'command.cancel':
        return dialogNow({ type: 'close' });
      case 'command.complete': {
        const current = dialogRef.current.kind === 'command' ? dialogRef.current.input : '';
        return setCommandText(completeCommand(current));
      }
      case 'command.previous':
      case 'command.next': {
        const current = dialogRef.current.kind === 'command' ? dialogRef.current.input : '';
        const h = history();
        const draft = h.position === 0 ? current : h.draft;
        const at = walkHistory(h.lines, h.position, command === 'command.previous' ? 1 : -1, draft);
        Object.assign(h, { position: at.position, draft });
        return setCommandText(at.text);
      }
      default: {
        const edit = textEditFor(command, input, key);
        if (edit) dialogNow({ type: 'edit', edit });
      }
    }
  };

  useInput((chunk: string, chunkKey: Key) => {
    const textField = TEXT_SCOPES.includes(scopeOf(navRef.current, dialogRef.current, screens));
    for (const { input, key } of splitChunk(chunk, chunkKey, textField)) handleKey(input, key);
  });


  function handleKey(input: string, key: Key) {
    const focus = scopeOf(navRef.current, dialogRef.current, screens);
    const command = commandFor(focus, input, key);
    if (command === 'app.quit') return quit();
    // The help opens at the section of the screen it was asked from (the keys that work there).
    if (command === 'app.help') return navNow({ type: 'help-toggle', ...(navRef.current.overlay.kind === 'help' ? {} : { scroll: help.openAt(focus) }) });
    if (command === 'app.command') return dialogNow({ type: 'open-command' });
    if (focus !== 'dialog' && focus !== 'command' && status && command !== undefined) setStatus(undefined);
    if (focus === 'command') return onCommandLineKey(command, input, key);
    if (focus === 'help') return help.onKey(command, input, key);
    const screen = screens[navRef.current.screen.kind];
    // The App's change dialog is driven by the screen that opened it (the key detail).
    if (dialogRef.current.kind !== 'none') return screen.onDialogKey?.(command, input, key);
    // Everything else goes to the screen shown, whichever of its scopes has the keys.
    return screen.onKey(command, input, key);
  }

  /** The focused area's body: a dialog or the help over the screen, else the screen. */
  function body(): ReactNode {
    if (dialog.kind !== 'none' && dialog.kind !== 'command') return <ChangeDialogView dialog={dialog} width={terminal.columns} height={bodyHeight} />;
    if (nav.overlay.kind === 'help') return help.body();
    return current.body();
  }

  return (
    <ThemeContext.Provider value={theme}>
      <Box flexDirection="column" width={terminal.columns} height={terminal.rows}>
        <Header {...headerProps} />
        <Box flexDirection="column" height={bodyHeight}>
          {body()}
        </Box>
        <Footer
          scope={scope}
          status={shownStatus}
          maxStatusRows={maxStatusRows}
          readOnly={!canChange}
          {...(current.footer?.hints && dialog.kind === 'none' && nav.overlay.kind !== 'help' ? { hints: current.footer.hints } : {})}
          width={terminal.columns}
          {...(scope === screenEntry(nav.screen.kind).scope && current.footer?.tab ? { tab: current.footer.tab } : {})}
          {...(scope === screenEntry(nav.screen.kind).scope && current.footer?.unavailable ? { unavailable: current.footer.unavailable } : {})}
        />
      </Box>
    </ThemeContext.Provider>
  );
}
