// The one registry of key bindings. Input handling (`commandFor`/`matches`), the footer
// hints (`hintsFor`) and the help screen (`helpSections`) all read it, so they cannot disagree.

import type { Key } from 'ink';
import { DETAIL_TAB_REGISTRY, tabCommandId } from './detail-tabs.js';

export type Scope = 'global' | 'list' | 'filter' | 'columns' | 'detail' | 'journal' | 'retire' | 'retirements' | 'help' | 'dialog' | 'command';
export const SCOPES: readonly Scope[] = ['global', 'list', 'filter', 'columns', 'detail', 'journal', 'retire', 'retirements', 'help', 'dialog', 'command'];
/** Scopes where characters are typed text, so no plain character may be a command there. */
export const TEXT_SCOPES: readonly Scope[] = ['filter', 'dialog', 'command'];

/** Non-character keys, named as Ink's `useInput` reports them. */
export type SpecialKey =
  | 'upArrow'
  | 'downArrow'
  | 'leftArrow'
  | 'rightArrow'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'return'
  | 'escape'
  | 'tab'
  | 'backspace'
  | 'delete';

export type KeyBinding =
  | { char: string; ctrl?: boolean; notIn?: Scope[] }
  | { special: SpecialKey; shift?: boolean; notIn?: Scope[] };

export interface Command {
  id: string;
  keys: KeyBinding[];
  description: string;
  scope: Scope;
  /** Short footer text; commands without it are only listed in help. */
  hint?: string;
  /** Changes AWS: hidden in read-only mode and always confirmed (see src/domain/actions.ts). */
  dangerous?: boolean;
  /** Key-detail tabs where the command applies (all when absent). */
  tabs?: readonly string[];
  /**
   * How much the hint matters when the footer is too narrow for all of them: lower is kept first
   * (default 5). `?` (help) is 0, so it is always there; a screen's main actions are 1.
   */
  rank?: number;
}

const ch = (char: string, notIn?: Scope[]): KeyBinding => (notIn ? { char, notIn } : { char });
const ctrl = (char: string): KeyBinding => ({ char, ctrl: true });
const sp = (special: SpecialKey, shift?: boolean): KeyBinding => (shift === undefined ? { special } : { special, shift });

export const COMMANDS = [
  // global — active in every scope, except where a binding says notIn (typing in the filter)
  { id: 'app.quit', scope: 'global', keys: [ch('q', ['filter', 'dialog', 'command']), ctrl('c')], description: 'quit keywarden', hint: 'quit', rank: 2 },
  { id: 'app.help', scope: 'global', keys: [ch('?', ['filter', 'dialog', 'command'])], description: 'show or hide this help', hint: 'help', rank: 0 },
  { id: 'app.command', scope: 'global', keys: [ch(':', ['filter', 'dialog', 'command'])], description: 'run a command (:keys :journal :ret :region …; every one is listed under Commands)', hint: 'command', rank: 6 },

  // keys list
  { id: 'list.down', scope: 'list', keys: [ch('j'), sp('downArrow')], description: 'move down', hint: 'move', rank: 4 },
  { id: 'list.up', scope: 'list', keys: [ch('k'), sp('upArrow')], description: 'move up' },
  { id: 'list.pageDown', scope: 'list', keys: [sp('pageDown'), ctrl('f')], description: 'page down' },
  { id: 'list.pageUp', scope: 'list', keys: [sp('pageUp'), ctrl('b')], description: 'page up' },
  { id: 'list.top', scope: 'list', keys: [ch('g'), sp('home')], description: 'go to the first key' },
  { id: 'list.bottom', scope: 'list', keys: [ch('G'), sp('end')], description: 'go to the last key' },
  { id: 'list.open', scope: 'list', keys: [sp('return')], description: 'open the selected key', hint: 'open', rank: 1 },
  { id: 'list.filter', scope: 'list', keys: [ch('/')], description: 'filter by alias, key id, description or tag', hint: 'filter', rank: 1 },
  { id: 'list.clearFilter', scope: 'list', keys: [sp('escape')], description: 'clear the filter' },
  { id: 'list.sortNext', scope: 'list', keys: [ch('s')], description: 'sort by the next column shown', hint: 'sort', rank: 3 },
  { id: 'list.sortReverse', scope: 'list', keys: [ch('S')], description: 'reverse the sort order' },
  // A key per column, as in k9s (Shift and a letter); the same key again reverses the order.
  // Only a column on screen can be sorted by, and the sorted column always stays on screen.
  { id: 'list.sortAlias', scope: 'list', keys: [ch('A')], description: 'sort by ALIAS (again: reverse)' },
  { id: 'list.sortKeyId', scope: 'list', keys: [ch('I')], description: 'sort by KEY ID (again: reverse)' },
  { id: 'list.sortRegion', scope: 'list', keys: [ch('R')], description: 'sort by REGION, when several are listed (again: reverse)' },
  { id: 'list.sortState', scope: 'list', keys: [ch('T')], description: 'sort by STATE (again: reverse)' },
  { id: 'list.sortFindings', scope: 'list', keys: [ch('F')], description: 'sort by FIND, worst first with ↓ (again: reverse)' },
  { id: 'list.sortSpec', scope: 'list', keys: [ch('U')], description: 'sort by SPEC/USAGE (again: reverse)' },
  { id: 'list.sortOrigin', scope: 'list', keys: [ch('O')], description: 'sort by ORIGIN (again: reverse)' },
  { id: 'list.sortMultiRegion', scope: 'list', keys: [ch('M')], description: 'sort by MULTI-REGION (again: reverse)' },
  { id: 'list.sortCreated', scope: 'list', keys: [ch('C')], description: 'sort by CREATED (again: reverse)' },
  { id: 'list.sortRotation', scope: 'list', keys: [ch('N')], description: 'sort by ROTATION, next rotation first (again: reverse)' },
  { id: 'list.sortLastUsed', scope: 'list', keys: [ch('L')], description: 'sort by LAST USED (again: reverse)' },
  { id: 'list.sortDeletion', scope: 'list', keys: [ch('D')], description: 'sort by DELETION date (again: reverse)' },
  { id: 'list.columns', scope: 'list', keys: [ch('v')], description: 'choose the columns shown', hint: 'columns', rank: 5 },
  { id: 'list.copy', scope: 'list', keys: [ch('c')], description: 'copy the selected key\'s ARN to the clipboard (OSC 52)', hint: 'copy ARN', rank: 3 },
  { id: 'list.copyId', scope: 'list', keys: [ch('y')], description: 'copy the selected key\'s key id to the clipboard (OSC 52)' },
  { id: 'list.toggleAwsManaged', scope: 'list', keys: [ch('a')], description: 'show or hide AWS-managed keys', hint: 'AWS keys', rank: 5 },
  { id: 'list.toggleFindings', scope: 'list', keys: [ch('f')], description: 'show only keys with findings, or every key', hint: 'findings', rank: 3 },
  { id: 'list.refresh', scope: 'list', keys: [ch('r')], description: 'reload the keys from AWS', hint: 'refresh', rank: 4 },

  // filter input
  { id: 'filter.accept', scope: 'filter', keys: [sp('return')], description: 'keep the filter and go back to the list', hint: 'keep', rank: 1 },
  { id: 'filter.cancel', scope: 'filter', keys: [sp('escape')], description: 'clear the filter and go back to the list', hint: 'clear', rank: 1 },
  { id: 'filter.erase', scope: 'filter', keys: [sp('backspace'), sp('delete')], description: 'erase the last character' },
  { id: 'filter.eraseWord', scope: 'filter', keys: [ctrl('w')], description: 'erase the last word' },
  { id: 'filter.eraseLine', scope: 'filter', keys: [ctrl('u')], description: 'erase the whole filter' },
  { id: 'filter.down', scope: 'filter', keys: [sp('downArrow')], description: 'move down while filtering' },
  { id: 'filter.up', scope: 'filter', keys: [sp('upArrow')], description: 'move up while filtering' },

  // column chooser (v on the keys list)
  { id: 'columns.down', scope: 'columns', keys: [ch('j'), sp('downArrow')], description: 'move down', hint: 'move', rank: 4 },
  { id: 'columns.up', scope: 'columns', keys: [ch('k'), sp('upArrow')], description: 'move up' },
  { id: 'columns.toggle', scope: 'columns', keys: [ch(' '), ch('x')], description: 'show or hide the column under the cursor', hint: 'show/hide', rank: 1 },
  { id: 'columns.close', scope: 'columns', keys: [sp('escape'), sp('return'), ch('v')], description: 'close the column chooser', hint: 'done', rank: 1 },

  // key detail
  { id: 'detail.back', scope: 'detail', keys: [sp('escape')], description: 'back to the keys list', hint: 'back', rank: 2 },
  { id: 'detail.nextTab', scope: 'detail', keys: [sp('tab', false), sp('rightArrow'), ch('l')], description: 'next tab', hint: 'tabs', rank: 3 },
  { id: 'detail.prevTab', scope: 'detail', keys: [sp('tab', true), sp('leftArrow'), ch('h')], description: 'previous tab' },
  // one key per tab, from the tab registry (src/ui/detail-tabs.ts)
  ...DETAIL_TAB_REGISTRY.map((tab) => ({ id: tabCommandId(tab.id), scope: 'detail' as const, keys: [ch(tab.key)], description: tab.help })),
  { id: 'detail.usageWindow', scope: 'detail', keys: [ch('w')], description: 'usage window: 24 h, 7 d, 30 d, 90 d, 365 d with Logs Insights (Usage)', hint: 'window', tabs: ['usage'], rank: 1 },
  { id: 'detail.usageEngine', scope: 'detail', keys: [ch('m')], description: "usage engine: keywarden's choice, Logs Insights, LookupEvents, S3 (Usage)", hint: 'engine', tabs: ['usage'], rank: 2 },
  { id: 'detail.usageStop', scope: 'detail', keys: [ch('s')], description: 'stop reading CloudTrail; keep what was read (Usage)', hint: 'stop', tabs: ['usage'], rank: 1 },
  { id: 'detail.retire', scope: 'detail', keys: [ch('R')], description: 'retire this key (guided): disable → alarm → watch → delete', hint: 'retire key', rank: 1 },
  { id: 'detail.copy', scope: 'detail', keys: [ch('c')], description: 'copy the key\'s ARN (Grants: the grant id under the cursor) to the clipboard', hint: 'copy', rank: 3 },
  { id: 'detail.copyId', scope: 'detail', keys: [ch('y')], description: 'copy the key id to the clipboard' },
  { id: 'detail.copyCli', scope: 'detail', keys: [ch('Y')], description: 'copy the AWS CLI command that reads what this tab shows' },
  { id: 'detail.down', scope: 'detail', keys: [ch('j'), sp('downArrow')], description: 'scroll down', hint: 'scroll', rank: 5 },
  { id: 'detail.up', scope: 'detail', keys: [ch('k'), sp('upArrow')], description: 'scroll up' },
  { id: 'detail.pageDown', scope: 'detail', keys: [sp('pageDown'), ctrl('f')], description: 'scroll a page down' },
  { id: 'detail.pageUp', scope: 'detail', keys: [sp('pageUp'), ctrl('b')], description: 'scroll a page up' },
  { id: 'detail.top', scope: 'detail', keys: [ch('g'), sp('home')], description: 'scroll to the top' },
  { id: 'detail.bottom', scope: 'detail', keys: [ch('G'), sp('end')], description: 'scroll to the bottom' },
  { id: 'detail.refresh', scope: 'detail', keys: [ch('r')], description: 'reload this key from AWS', hint: 'refresh', rank: 4 },
  { id: 'detail.keyEnable', scope: 'detail', keys: [ch('E')], description: 'enable the key (Overview)', hint: 'enable key', dangerous: true, tabs: ['overview'], rank: 1 },
  { id: 'detail.keyDisable', scope: 'detail', keys: [ch('D')], description: 'disable the key (Overview; type the alias or id)', hint: 'disable key', dangerous: true, tabs: ['overview'], rank: 1 },
  { id: 'detail.rotationEnable', scope: 'detail', keys: [ch('e')], description: 'enable automatic rotation or change its period (Rotation)', hint: 'enable/period', dangerous: true, tabs: ['rotation'], rank: 1 },
  { id: 'detail.rotationDisable', scope: 'detail', keys: [ch('d')], description: 'disable automatic rotation (Rotation; type the alias or id)', hint: 'disable', dangerous: true, tabs: ['rotation'], rank: 1 },
  { id: 'detail.rotateNow', scope: 'detail', keys: [ch('n')], description: 'rotate now, on demand (Rotation)', hint: 'rotate now', dangerous: true, tabs: ['rotation'], rank: 1 },
  { id: 'detail.grantSelect', scope: 'detail', keys: [ch(' ')], description: 'select or unselect the grant under the cursor (Grants)', hint: 'select', dangerous: true, tabs: ['grants'], rank: 2 },
  { id: 'detail.grantSelectGrantee', scope: 'detail', keys: [ch('A')], description: 'select every grant of this grantee (Grants)', hint: 'all of grantee', dangerous: true, tabs: ['grants'], rank: 3 },
  { id: 'detail.grantRetire', scope: 'detail', keys: [ch('t')], description: 'retire the selected grants, or the grant under the cursor (Grants)', hint: 'retire grant', dangerous: true, tabs: ['grants'], rank: 1 },
  { id: 'detail.grantRevoke', scope: 'detail', keys: [ch('x')], description: 'revoke the selected grants, or the grant under the cursor (Grants)', hint: 'revoke grant', dangerous: true, tabs: ['grants'], rank: 1 },
  { id: 'detail.guardAdd', scope: 'detail', keys: [ch('P')], description: 'add the guard against disabling a key in use (Findings; type the alias or id)', hint: 'add guard', dangerous: true, tabs: ['findings'], rank: 1 },
  { id: 'detail.guardRemove', scope: 'detail', keys: [ch('U')], description: "remove keywarden's guard from the key policy (Findings; type the alias or id)", hint: 'remove guard', dangerous: true, tabs: ['findings'], rank: 2 },

  // retirement wizard
  { id: 'retire.back', scope: 'retire', keys: [sp('escape')], description: 'back to where you were', hint: 'back' },
  { id: 'retire.start', scope: 'retire', keys: [ch('s')], description: 'start: record the evidence (changes nothing in AWS)', hint: 'start', dangerous: true },
  { id: 'retire.acknowledge', scope: 'retire', keys: [ch('a')], description: 'acknowledge the next blocking finding (one at a time)', hint: 'acknowledge', dangerous: true },
  { id: 'retire.next', scope: 'retire', keys: [ch('n')], description: 'take the next step: disable, alarm, schedule deletion, remove the alarm', hint: 'next step', dangerous: true },
  { id: 'retire.back-step', scope: 'retire', keys: [ch('b')], description: 'one step back: cancel the deletion, or enable the key and remove the alarm', hint: 'way back', dangerous: true },
  { id: 'retire.logGroup', scope: 'retire', keys: [ch('l')], description: 'alarm on a log group you name (when no trail fits)', dangerous: true },
  { id: 'retire.weaker', scope: 'retire', keys: [ch('w')], description: 'continue with the weaker watch: no alarm, CloudTrail polled', dangerous: true },
  { id: 'retire.down', scope: 'retire', keys: [ch('j'), sp('downArrow')], description: 'scroll down', hint: 'scroll' },
  { id: 'retire.up', scope: 'retire', keys: [ch('k'), sp('upArrow')], description: 'scroll up' },
  { id: 'retire.refresh', scope: 'retire', keys: [ch('r')], description: 'read the key, the alarm and CloudTrail again', hint: 'refresh' },

  // retirements list (:retirements)
  { id: 'retirements.back', scope: 'retirements', keys: [sp('escape')], description: 'back to where you were', hint: 'back', rank: 1 },
  { id: 'retirements.down', scope: 'retirements', keys: [ch('j'), sp('downArrow')], description: 'move down', hint: 'move' },
  { id: 'retirements.up', scope: 'retirements', keys: [ch('k'), sp('upArrow')], description: 'move up' },
  { id: 'retirements.open', scope: 'retirements', keys: [sp('return')], description: 'open the retirement', hint: 'open', rank: 1 },
  { id: 'retirements.refresh', scope: 'retirements', keys: [ch('r')], description: 'read every retirement again', hint: 'refresh' },

  // journal screen
  { id: 'journal.back', scope: 'journal', keys: [sp('escape')], description: 'back to where you were', hint: 'back', rank: 1 },
  { id: 'journal.down', scope: 'journal', keys: [ch('j'), sp('downArrow')], description: 'scroll the journal down', hint: 'scroll' },
  { id: 'journal.up', scope: 'journal', keys: [ch('k'), sp('upArrow')], description: 'scroll the journal up' },
  { id: 'journal.refresh', scope: 'journal', keys: [ch('r')], description: 'read the journal again', hint: 'refresh' },

  // confirmation dialog (typed text goes into its field)
  { id: 'dialog.confirm', scope: 'dialog', keys: [sp('return')], description: 'confirm (after typing what is asked)', hint: 'confirm', rank: 1 },
  { id: 'dialog.cancel', scope: 'dialog', keys: [sp('escape')], description: 'cancel: nothing is changed', hint: 'cancel', rank: 1 },
  { id: 'dialog.erase', scope: 'dialog', keys: [sp('backspace'), sp('delete')], description: 'erase the last character' },
  { id: 'dialog.eraseWord', scope: 'dialog', keys: [ctrl('w')], description: 'erase the last word' },
  { id: 'dialog.eraseLine', scope: 'dialog', keys: [ctrl('u')], description: 'erase the whole answer' },
  { id: 'dialog.down', scope: 'dialog', keys: [sp('downArrow')], description: 'scroll the changes and API calls down (all must be read before confirming)' },
  { id: 'dialog.up', scope: 'dialog', keys: [sp('upArrow')], description: 'scroll the changes and API calls up' },
  { id: 'dialog.pageDown', scope: 'dialog', keys: [sp('pageDown')], description: 'scroll a page down' },
  { id: 'dialog.pageUp', scope: 'dialog', keys: [sp('pageUp')], description: 'scroll a page up' },

  // command line (after :)
  { id: 'command.run', scope: 'command', keys: [sp('return')], description: 'run the command', hint: 'run', rank: 1 },
  { id: 'command.cancel', scope: 'command', keys: [sp('escape')], description: 'close the command line', hint: 'cancel', rank: 1 },
  { id: 'command.erase', scope: 'command', keys: [sp('backspace'), sp('delete')], description: 'erase the last character' },
  { id: 'command.eraseWord', scope: 'command', keys: [ctrl('w')], description: 'erase the last word' },
  { id: 'command.eraseLine', scope: 'command', keys: [ctrl('u')], description: 'erase the whole command' },
  { id: 'command.complete', scope: 'command', keys: [sp('tab')], description: 'complete the command (:ret → :retirements)', hint: 'complete', rank: 3 },
  { id: 'command.previous', scope: 'command', keys: [sp('upArrow')], description: 'the command run before (history)' },
  { id: 'command.next', scope: 'command', keys: [sp('downArrow')], description: 'the command run after (history)' },

  // help overlay
  { id: 'help.close', scope: 'help', keys: [sp('escape')], description: 'close the help', hint: 'close', rank: 1 },
  { id: 'help.down', scope: 'help', keys: [ch('j'), sp('downArrow')], description: 'scroll the help down', hint: 'scroll', rank: 4 },
  { id: 'help.up', scope: 'help', keys: [ch('k'), sp('upArrow')], description: 'scroll the help up' },
  { id: 'help.pageDown', scope: 'help', keys: [sp('pageDown'), ctrl('f')], description: 'scroll a page down' },
  { id: 'help.pageUp', scope: 'help', keys: [sp('pageUp'), ctrl('b')], description: 'scroll a page up' },
  { id: 'help.top', scope: 'help', keys: [ch('g'), sp('home')], description: 'scroll to the top' },
  { id: 'help.bottom', scope: 'help', keys: [ch('G'), sp('end')], description: 'scroll to the bottom' },
] as const satisfies readonly Command[];

export type CommandId = (typeof COMMANDS)[number]['id'];

/** The subset of Ink's Key the registry looks at. */
export type KeyPress = Pick<Key, SpecialKey | 'ctrl' | 'shift'>;

const BY_ID = new Map<string, Command>(COMMANDS.map((c) => [c.id, c]));

export function commandById(id: CommandId): Command {
  const command = BY_ID.get(id);
  if (!command) throw new Error(`unknown command ${id}`);
  return command;
}

function bindingActiveIn(binding: KeyBinding, scope: Scope): boolean {
  return !binding.notIn?.includes(scope);
}

function bindingMatches(binding: KeyBinding, input: string, key: KeyPress): boolean {
  if ('special' in binding) {
    if (!key[binding.special]) return false;
    return binding.shift === undefined || binding.shift === key.shift;
  }
  if (binding.ctrl) return key.ctrl && input.toLowerCase() === binding.char;
  return !key.ctrl && input === binding.char;
}

/** Whether a key press is one of the command's bindings (ignoring scope). */
export function matches(id: CommandId, input: string, key: KeyPress, scope?: Scope): boolean {
  return commandById(id).keys.some((b) => (scope === undefined || bindingActiveIn(b, scope)) && bindingMatches(b, input, key));
}

/** Commands that can fire in a scope: its own and the global ones. */
export function commandsIn(scope: Scope): Command[] {
  return COMMANDS.filter((c) => c.scope === scope || (c.scope === 'global' && scope !== 'global'));
}

/** The command a key press means in a scope (global commands included), if any. */
export function commandFor(scope: Scope, input: string, key: KeyPress): CommandId | undefined {
  for (const command of commandsIn(scope)) {
    if (command.keys.some((b) => bindingActiveIn(b, scope) && bindingMatches(b, input, key))) return command.id as CommandId;
  }
  return undefined;
}

const SPECIAL_LABELS: Record<SpecialKey, string> = {
  upArrow: '↑',
  downArrow: '↓',
  leftArrow: '←',
  rightArrow: '→',
  pageUp: 'PgUp',
  pageDown: 'PgDn',
  home: 'Home',
  end: 'End',
  return: 'Enter',
  escape: 'Esc',
  tab: 'Tab',
  backspace: 'Backspace',
  delete: 'Del',
};

export function bindingLabel(binding: KeyBinding): string {
  if ('special' in binding) return `${binding.shift ? 'Shift-' : ''}${SPECIAL_LABELS[binding.special]}`;
  if (binding.char === ' ') return 'Space';
  return binding.ctrl ? `Ctrl-${binding.char.toUpperCase()}` : binding.char;
}

/** A stable identity for a binding, to find two commands on one key. */
export function bindingIdentity(binding: KeyBinding): string {
  if ('special' in binding) return `special:${binding.special}${binding.shift ? '+shift' : ''}`;
  return binding.ctrl ? `ctrl:${binding.char.toLowerCase()}` : `char:${binding.char}`;
}

export function keysLabel(command: Command, scope?: Scope): string {
  return command.keys
    .filter((b) => scope === undefined || bindingActiveIn(b, scope))
    .map(bindingLabel)
    .join(' ');
}

export interface Hint {
  keys: string;
  description: string;
  /** See Command.rank. */
  rank: number;
}

/** Whether a command applies on a key-detail tab (commands without tabs apply everywhere). */
export function appliesOnTab(id: CommandId, tab: string | undefined): boolean {
  const tabs = (commandById(id) as Command).tabs;
  return tabs === undefined || (tab !== undefined && tabs.includes(tab));
}

/** The footer for a scope: its own hinted commands, then the global ones that apply there. */
export function hintsFor(scope: Scope, options: { readOnly?: boolean; tab?: string; unavailable?: ReadonlySet<string> } = {}): Hint[] {
  const own = COMMANDS.filter((c) => c.scope === scope);
  const global = scope === 'global' ? [] : COMMANDS.filter((c) => c.scope === 'global');
  return [...own, ...global]
    .filter((c: Command) => c.hint !== undefined && !(options.readOnly && c.dangerous) && !options.unavailable?.has(c.id))
    .filter((c: Command) => c.tabs === undefined || options.tab === undefined || c.tabs.includes(options.tab))
    .map((c: Command) => ({ command: c, keys: keysLabel(c, scope) }))
    .filter(({ keys }) => keys !== '')
    .map(({ command, keys }) => ({ keys: keys.split(' ')[0] ?? keys, description: command.hint ?? command.description, rank: command.rank ?? 5 }));
}

/**
 * The hints that fit in `width` columns ("k description", two spaces apart), chosen by rank (help
 * first, then the screen's main actions) and shown in their registry order.
 */
export function fitHints(hints: readonly Hint[], width: number): Hint[] {
  const size = (hint: Hint) => [...hint.keys].length + 1 + [...hint.description].length;
  const order = hints.map((hint, index) => ({ hint, index })).sort((a, b) => a.hint.rank - b.hint.rank || a.index - b.index);
  const kept = new Set<number>();
  let used = 0;
  for (const { hint, index } of order) {
    const need = size(hint) + (kept.size > 0 ? 2 : 0);
    if (used + need > width) continue;
    kept.add(index);
    used += need;
  }
  return hints.filter((_hint, index) => kept.has(index));
}

export interface HelpSection {
  scope: Scope;
  title: string;
  entries: Array<{ id: CommandId; keys: string; description: string; dangerous: boolean }>;
}

const SECTION_TITLES: Record<Scope, string> = {
  global: 'Everywhere',
  list: 'Keys list',
  filter: 'Filter (after /)',
  columns: 'Column chooser (v on the keys list)',
  detail: 'Key detail',
  journal: 'Journal (:journal)',
  retire: 'Retirement wizard (R on a key)',
  retirements: 'Retirements (:retirements)',
  help: 'Help',
  dialog: 'Confirmation dialog',
  command: 'Command line (after :)',
};

/** Every binding, grouped by scope, for the help screen. */
export function helpSections(options: { readOnly?: boolean } = {}): HelpSection[] {
  return SCOPES.map((scope) => ({
    scope,
    title: SECTION_TITLES[scope],
    entries: COMMANDS.filter((c: Command) => c.scope === scope && !(options.readOnly && c.dangerous)).map((c: Command) => ({
      id: c.id as CommandId,
      // Bindings switched off in text fields are not annotated: typing there is always text.
      keys: c.keys.map((b) => bindingLabel(b) + (b.notIn && !b.notIn.every((scope) => TEXT_SCOPES.includes(scope)) ? ` (not in ${b.notIn.join(', ')})` : '')).join(', '),
      description: c.description,
      dangerous: c.dangerous ?? false,
    })),
  })).filter((section) => section.entries.length > 0);
}
