// The one registry of key bindings. Input handling (`commandFor`/`matches`), the footer
// hints (`hintsFor`) and the help screen (`helpSections`) all read it, so they cannot disagree.

import type { Key } from 'ink';

export type Scope = 'global' | 'list' | 'filter' | 'detail' | 'journal' | 'retire' | 'retirements' | 'help' | 'dialog' | 'command';
export const SCOPES: readonly Scope[] = ['global', 'list', 'filter', 'detail', 'journal', 'retire', 'retirements', 'help', 'dialog', 'command'];
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
}

const ch = (char: string, notIn?: Scope[]): KeyBinding => (notIn ? { char, notIn } : { char });
const ctrl = (char: string): KeyBinding => ({ char, ctrl: true });
const sp = (special: SpecialKey, shift?: boolean): KeyBinding => (shift === undefined ? { special } : { special, shift });

export const COMMANDS = [
  // global — active in every scope, except where a binding says notIn (typing in the filter)
  { id: 'app.quit', scope: 'global', keys: [ch('q', ['filter', 'dialog', 'command']), ctrl('c')], description: 'quit keywarden', hint: 'quit' },
  { id: 'app.help', scope: 'global', keys: [ch('?', ['filter', 'dialog', 'command'])], description: 'show or hide this help', hint: 'help' },
  { id: 'app.command', scope: 'global', keys: [ch(':', ['filter', 'dialog', 'command'])], description: 'run a command: :keys :journal :ret :clock :region :profile :help :quit', hint: 'command' },

  // keys list
  { id: 'list.down', scope: 'list', keys: [ch('j'), sp('downArrow')], description: 'move down', hint: 'move' },
  { id: 'list.up', scope: 'list', keys: [ch('k'), sp('upArrow')], description: 'move up' },
  { id: 'list.pageDown', scope: 'list', keys: [sp('pageDown'), ctrl('f')], description: 'page down' },
  { id: 'list.pageUp', scope: 'list', keys: [sp('pageUp'), ctrl('b')], description: 'page up' },
  { id: 'list.top', scope: 'list', keys: [ch('g'), sp('home')], description: 'go to the first key' },
  { id: 'list.bottom', scope: 'list', keys: [ch('G'), sp('end')], description: 'go to the last key' },
  { id: 'list.open', scope: 'list', keys: [sp('return')], description: 'open the selected key', hint: 'open' },
  { id: 'list.filter', scope: 'list', keys: [ch('/')], description: 'filter by alias, key id, description or tag', hint: 'filter' },
  { id: 'list.clearFilter', scope: 'list', keys: [sp('escape')], description: 'clear the filter' },
  { id: 'list.sortNext', scope: 'list', keys: [ch('s')], description: 'sort by the next column', hint: 'sort' },
  { id: 'list.sortReverse', scope: 'list', keys: [ch('S')], description: 'reverse the sort order' },
  { id: 'list.toggleAwsManaged', scope: 'list', keys: [ch('a')], description: 'show or hide AWS-managed keys', hint: 'AWS keys' },
  { id: 'list.toggleFindings', scope: 'list', keys: [ch('f')], description: 'show only keys with findings, or every key', hint: 'findings' },
  { id: 'list.refresh', scope: 'list', keys: [ch('r')], description: 'reload the keys from AWS', hint: 'refresh' },

  // filter input
  { id: 'filter.accept', scope: 'filter', keys: [sp('return')], description: 'keep the filter and go back to the list', hint: 'keep' },
  { id: 'filter.cancel', scope: 'filter', keys: [sp('escape')], description: 'clear the filter and go back to the list', hint: 'clear' },
  { id: 'filter.erase', scope: 'filter', keys: [sp('backspace'), sp('delete')], description: 'erase the last character' },
  { id: 'filter.down', scope: 'filter', keys: [sp('downArrow')], description: 'move down while filtering' },
  { id: 'filter.up', scope: 'filter', keys: [sp('upArrow')], description: 'move up while filtering' },

  // key detail
  { id: 'detail.back', scope: 'detail', keys: [sp('escape')], description: 'back to the keys list', hint: 'back' },
  { id: 'detail.nextTab', scope: 'detail', keys: [sp('tab', false), sp('rightArrow'), ch('l')], description: 'next tab', hint: 'tabs' },
  { id: 'detail.prevTab', scope: 'detail', keys: [sp('tab', true), sp('leftArrow'), ch('h')], description: 'previous tab' },
  { id: 'detail.tabOverview', scope: 'detail', keys: [ch('1')], description: 'Overview tab' },
  { id: 'detail.tabRotation', scope: 'detail', keys: [ch('2')], description: 'Rotation tab' },
  { id: 'detail.tabGrants', scope: 'detail', keys: [ch('3')], description: 'Grants tab' },
  { id: 'detail.tabPolicy', scope: 'detail', keys: [ch('4')], description: 'Policy tab' },
  { id: 'detail.tabUsage', scope: 'detail', keys: [ch('5')], description: 'Usage tab (CloudTrail)' },
  { id: 'detail.tabFindings', scope: 'detail', keys: [ch('6')], description: 'Findings tab: policy, grants, rotation and usage checks' },
  { id: 'detail.usageWindow', scope: 'detail', keys: [ch('w')], description: 'usage window: 24 h, 7 d, 30 d, 90 d (Usage)', hint: 'window', tabs: ['usage'] },
  { id: 'detail.usageStop', scope: 'detail', keys: [ch('s')], description: 'stop reading CloudTrail; keep what was read (Usage)', hint: 'stop', tabs: ['usage'] },
  { id: 'detail.retire', scope: 'detail', keys: [ch('R')], description: 'guided retirement of this key: disable → alarm → watch → delete', hint: 'retire' },
  { id: 'detail.down', scope: 'detail', keys: [ch('j'), sp('downArrow')], description: 'scroll down', hint: 'scroll' },
  { id: 'detail.up', scope: 'detail', keys: [ch('k'), sp('upArrow')], description: 'scroll up' },
  { id: 'detail.pageDown', scope: 'detail', keys: [sp('pageDown'), ctrl('f')], description: 'scroll a page down' },
  { id: 'detail.pageUp', scope: 'detail', keys: [sp('pageUp'), ctrl('b')], description: 'scroll a page up' },
  { id: 'detail.top', scope: 'detail', keys: [ch('g'), sp('home')], description: 'scroll to the top' },
  { id: 'detail.bottom', scope: 'detail', keys: [ch('G'), sp('end')], description: 'scroll to the bottom' },
  { id: 'detail.refresh', scope: 'detail', keys: [ch('r')], description: 'reload this key from AWS', hint: 'refresh' },
  { id: 'detail.keyEnable', scope: 'detail', keys: [ch('E')], description: 'enable the key (Overview)', hint: 'enable key', dangerous: true, tabs: ['overview'] },
  { id: 'detail.keyDisable', scope: 'detail', keys: [ch('D')], description: 'disable the key (Overview; type the alias or id)', hint: 'disable key', dangerous: true, tabs: ['overview'] },
  { id: 'detail.rotationEnable', scope: 'detail', keys: [ch('e')], description: 'enable automatic rotation or change its period (Rotation)', hint: 'enable/period', dangerous: true, tabs: ['rotation'] },
  { id: 'detail.rotationDisable', scope: 'detail', keys: [ch('d')], description: 'disable automatic rotation (Rotation; type the alias or id)', hint: 'disable', dangerous: true, tabs: ['rotation'] },
  { id: 'detail.rotateNow', scope: 'detail', keys: [ch('n')], description: 'rotate now, on demand (Rotation)', hint: 'rotate now', dangerous: true, tabs: ['rotation'] },
  { id: 'detail.grantSelect', scope: 'detail', keys: [ch(' ')], description: 'select or unselect the grant under the cursor (Grants)', hint: 'select', dangerous: true, tabs: ['grants'] },
  { id: 'detail.grantSelectGrantee', scope: 'detail', keys: [ch('A')], description: 'select every grant of this grantee (Grants)', hint: 'all of grantee', dangerous: true, tabs: ['grants'] },
  { id: 'detail.grantRetire', scope: 'detail', keys: [ch('t')], description: 'retire the selected grants, or the one under the cursor (Grants)', hint: 'retire', dangerous: true, tabs: ['grants'] },
  { id: 'detail.grantRevoke', scope: 'detail', keys: [ch('x')], description: 'revoke the selected grants, or the one under the cursor (Grants)', hint: 'revoke', dangerous: true, tabs: ['grants'] },

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
  { id: 'retirements.back', scope: 'retirements', keys: [sp('escape')], description: 'back to where you were', hint: 'back' },
  { id: 'retirements.down', scope: 'retirements', keys: [ch('j'), sp('downArrow')], description: 'move down', hint: 'move' },
  { id: 'retirements.up', scope: 'retirements', keys: [ch('k'), sp('upArrow')], description: 'move up' },
  { id: 'retirements.open', scope: 'retirements', keys: [sp('return')], description: 'open the retirement', hint: 'open' },
  { id: 'retirements.refresh', scope: 'retirements', keys: [ch('r')], description: 'read every retirement again', hint: 'refresh' },

  // journal screen
  { id: 'journal.back', scope: 'journal', keys: [sp('escape')], description: 'back to where you were', hint: 'back' },
  { id: 'journal.down', scope: 'journal', keys: [ch('j'), sp('downArrow')], description: 'scroll the journal down', hint: 'scroll' },
  { id: 'journal.up', scope: 'journal', keys: [ch('k'), sp('upArrow')], description: 'scroll the journal up' },
  { id: 'journal.refresh', scope: 'journal', keys: [ch('r')], description: 'read the journal again', hint: 'refresh' },

  // confirmation dialog (typed text goes into its field)
  { id: 'dialog.confirm', scope: 'dialog', keys: [sp('return')], description: 'confirm (after typing what is asked)', hint: 'confirm' },
  { id: 'dialog.cancel', scope: 'dialog', keys: [sp('escape')], description: 'cancel: nothing is changed', hint: 'cancel' },
  { id: 'dialog.erase', scope: 'dialog', keys: [sp('backspace'), sp('delete')], description: 'erase the last character' },
  { id: 'dialog.down', scope: 'dialog', keys: [sp('downArrow')], description: 'scroll the changes and API calls down (all must be read before confirming)' },
  { id: 'dialog.up', scope: 'dialog', keys: [sp('upArrow')], description: 'scroll the changes and API calls up' },
  { id: 'dialog.pageDown', scope: 'dialog', keys: [sp('pageDown')], description: 'scroll a page down' },
  { id: 'dialog.pageUp', scope: 'dialog', keys: [sp('pageUp')], description: 'scroll a page up' },

  // command line (after :)
  { id: 'command.run', scope: 'command', keys: [sp('return')], description: 'run the command', hint: 'run' },
  { id: 'command.cancel', scope: 'command', keys: [sp('escape')], description: 'close the command line', hint: 'cancel' },
  { id: 'command.erase', scope: 'command', keys: [sp('backspace'), sp('delete')], description: 'erase the last character' },
  { id: 'command.complete', scope: 'command', keys: [sp('tab')], description: 'complete the command (:ret → :retirements)', hint: 'complete' },
  { id: 'command.previous', scope: 'command', keys: [sp('upArrow')], description: 'the command run before (history)' },
  { id: 'command.next', scope: 'command', keys: [sp('downArrow')], description: 'the command run after (history)' },

  // help overlay
  { id: 'help.close', scope: 'help', keys: [sp('escape')], description: 'close the help', hint: 'close' },
  { id: 'help.down', scope: 'help', keys: [ch('j'), sp('downArrow')], description: 'scroll the help down', hint: 'scroll' },
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
    .map(({ command, keys }) => ({ keys: keys.split(' ')[0] ?? keys, description: command.hint ?? command.description }));
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
