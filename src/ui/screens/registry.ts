// The screens, one entry each: everything the App does with a screen is derived from this table —
// which scope has the keys while it shows (its help section, the help opening there, the footer),
// its `:command` names (the command line, its completion and the help's list of commands), how
// the command line opens it, and the hook that draws it and handles its keys. A new screen is one
// entry here and its component (with its key bindings in the keymap, under its scope).

import type { Thresholds } from '../../domain/findings.js';
import type { ChangeSource, KeySource, RetirementSource, SessionInfo } from '../../domain/source.js';
import type { Inventory } from '../hooks/use-inventory.js';
import type { Current } from '../hooks/use-sync-reducer.js';
import type { CommandId, Scope } from '../keymap.js';
import type { Dialog, DialogEvent } from '../state/dialog.js';
import type { ListEvent, ListState } from '../state/list-state.js';
import type { Navigation, NavigationEvent, Screen } from '../state/navigation.js';
import { useDetailScreen } from './detail-screen.js';
import { useJournalScreen } from './journal-screen.js';
import { useKeysScreen, type KeysScreenDeps } from './keys-screen.js';
import { useRetireScreen } from './retire-screen.js';
import { useRetirementsScreen } from './retirements-screen.js';
import type { ScreenController, Shell } from './screen.js';

/** Everything the App holds that a screen may draw from or act on. */
export interface ScreenDeps {
  source: KeySource;
  session: SessionInfo;
  inventory: Inventory;
  lastUse: KeysScreenDeps['lastUse'];
  /** The keys list's state as rendered, as it is now, and its dispatch. */
  list: ListState;
  listRef: Current<ListState>;
  listNow: (event: ListEvent) => void;
  thresholds: Thresholds;
  /** Account names by id (several accounts): the Usage tab names callers from other accounts by them. */
  accountNames?: ReadonlyMap<string, string>;
  changes: ChangeSource | undefined;
  retirements: RetirementSource | undefined;
  /** Changes can be offered: a change source, and not read-only. */
  canChange: boolean;
  /** The App's change dialog as it is now, and its dispatch. */
  dialogRef: Current<Dialog>;
  dialogNow: (event: DialogEvent) => void;
  /** Reads a key's policy and grants again for FIND. */
  rereadAccess: (arn: string) => void;
  /** Moves on when the sandbox's time moved. */
  clockEpoch: number;
}

export type ScreenKind = Screen['kind'];

export interface ScreenEntry {
  kind: ScreenKind;
  /** Its section of the help and of the keymap: the scope its keys are in while it shows. */
  scope: Scope;
  /** `:command` names that open it (the first is the word, the rest aliases); none when a key opens it. */
  commands: readonly string[];
  /** The command's line in the help's list of commands (and what the key that opens it does). */
  description: string;
  /** The key binding that opens it from another screen, when a key does. */
  openedBy?: CommandId;
  /**
   * The navigation event that opens it over `nav` (`key`: the key shown, when one is); none when
   * it cannot be opened there.
   */
  open: (nav: Navigation, key: { arn: string; region: string } | undefined) => NavigationEvent | undefined;
  /**
   * Builds its controller. A hook: the App calls every entry's on each render, always in the
   * table's order, so each screen keeps its state while another shows.
   */
  useController: (shell: Shell, deps: ScreenDeps) => ScreenController;
}

export const SCREEN_REGISTRY: readonly ScreenEntry[] = [
  {
    kind: 'list',
    scope: 'list',
    commands: ['keys', 'k', 'list', 'ls'],
    description: 'the keys list',
    open: () => ({ type: 'list' }),
    useController: (shell, d) =>
      useKeysScreen(shell, {
        inventory: d.inventory,
        lastUse: d.lastUse,
        list: d.list,
        listRef: d.listRef,
        listNow: d.listNow,
        thresholds: d.thresholds,
        regions: d.session.regions,
        ...(d.session.accounts ? { accounts: d.session.accounts } : {}),
      }),
  },
  {
    kind: 'detail',
    scope: 'detail',
    commands: [],
    description: 'one key: its tabs and the changes made from them',
    openedBy: 'list.open',
    open: (_nav, key) => (key ? { type: 'open', key } : undefined),
    useController: (shell, d) =>
      useDetailScreen(shell, {
        source: d.source,
        inventory: d.inventory,
        thresholds: d.thresholds,
        changes: d.changes,
        canChange: d.canChange,
        readOnly: d.session.readOnly,
        canRetire: d.retirements !== undefined,
        dialogRef: d.dialogRef,
        dialogNow: d.dialogNow,
        rereadAccess: d.rereadAccess,
        ...(d.accountNames ? { accountNames: d.accountNames } : {}),
      }),
  },
  {
    kind: 'journal',
    scope: 'journal',
    commands: ['journal', 'j'],
    description: "the audit journal (the open key's entries on a key)",
    open: (nav) => (nav.screen.kind === 'detail' ? { type: 'open-journal', keyArn: nav.screen.key.arn } : { type: 'open-journal' }),
    useController: (shell, d) => useJournalScreen(shell, d.changes),
  },
  {
    kind: 'retirements',
    scope: 'retirements',
    commands: ['retirements', 'retire'],
    description: 'every retirement recorded here',
    open: () => ({ type: 'open-retirements' }),
    useController: (shell, d) => useRetirementsScreen(shell, d.retirements),
  },
  {
    kind: 'retire',
    scope: 'retire',
    commands: [],
    description: 'the guided retirement of one key: disable → alarm → watch → delete',
    openedBy: 'detail.retire',
    open: (_nav, key) => (key ? { type: 'open-retire', key } : undefined),
    useController: (shell, d) => useRetireScreen(shell, { retirements: d.retirements, canChange: d.canChange, clockEpoch: d.clockEpoch }),
  },
];

export function screenEntry(kind: ScreenKind): ScreenEntry {
  const entry = SCREEN_REGISTRY.find((s) => s.kind === kind);
  if (!entry) throw new Error(`unknown screen ${kind}`);
  return entry;
}

/** Every screen's controller, by kind: one hook call per entry, in the table's fixed order. */
export function useScreens(shell: Shell, deps: ScreenDeps): Record<ScreenKind, ScreenController> {
  const controllers = {} as Record<ScreenKind, ScreenController>;
  // The table is a constant: the same hooks run in the same order on every render.
  for (const entry of SCREEN_REGISTRY) controllers[entry.kind] = entry.useController(shell, deps);
  return controllers;
}
