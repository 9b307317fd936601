import type { Key } from 'ink';
import { NO_KEY } from '../../test/helpers/ink.js';
import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  SCOPES,
  TEXT_SCOPES,
  bindingIdentity,
  commandFor,
  commandsIn,
  fitHints,
  helpSections,
  hintsFor,
  matches,
  type Command,
  type KeyPress,
} from './keymap.js';

const none = NO_KEY;
const press = (flags: Partial<Key> = {}): KeyPress => ({ ...none, ...flags });

describe('keymap invariants', () => {
  it.each(COMMANDS.map((c) => [c.id, c] as const))('%s has keys and a description', (_id, command: Command) => {
    expect(command.keys.length).toBeGreaterThan(0);
    expect(command.description.trim().length).toBeGreaterThan(3);
  });

  it('has unique command ids', () => {
    const ids = COMMANDS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(SCOPES)('no two commands share a key in scope %s (global counts everywhere)', (scope) => {
    const seen = new Map<string, string>();
    for (const command of commandsIn(scope).concat(scope === 'global' ? COMMANDS.filter((c) => c.scope === 'global') : [])) {
      for (const binding of command.keys) {
        if (binding.notIn?.includes(scope)) continue;
        const identity = bindingIdentity(binding);
        const owner = seen.get(identity);
        if (owner !== undefined && owner !== command.id) throw new Error(`${identity} is bound to ${owner} and ${command.id} in ${scope}`);
        seen.set(identity, command.id);
      }
    }
  });

  it.each(TEXT_SCOPES)('no printable character is a command while typing in %s', (scope) => {
    // While typing (a filter, a confirmation, a command), no character without Ctrl may be a command.
    for (const command of commandsIn(scope)) {
      for (const binding of command.keys) {
        if ('char' in binding && !binding.ctrl) expect(binding.notIn ?? [], command.id).toContain(scope);
      }
    }
  });

  it('every command that changes AWS is hidden in read-only mode', () => {
    const readOnly = helpSections({ readOnly: true }).flatMap((s) => s.entries.map((e) => e.id));
    const changing = COMMANDS.filter((c: Command) => c.dangerous).map((c) => c.id);
    expect(changing.length).toBeGreaterThan(5);
    for (const id of changing) expect(readOnly).not.toContain(id);
    expect(hintsFor('detail', { readOnly: true, tab: 'rotation' }).map((h) => h.description)).not.toContain('rotate now');
    expect(hintsFor('detail', { tab: 'rotation' }).map((h) => h.description)).toContain('rotate now');
    expect(hintsFor('detail', { tab: 'overview' }).map((h) => h.description)).not.toContain('rotate now');
  });

  it('every scope has a hint to leave or quit', () => {
    for (const scope of SCOPES.filter((s) => s !== 'global')) expect(hintsFor(scope).length).toBeGreaterThan(0);
  });
});

describe('matching', () => {
  it.each<[string, string, Partial<Key>, string | undefined]>([
    ['list', 'q', {}, 'app.quit'],
    ['filter', 'q', {}, undefined],
    ['filter', 'c', { ctrl: true }, 'app.quit'],
    ['detail', 'c', { ctrl: true }, 'app.quit'],
    ['list', '?', {}, 'app.help'],
    ['filter', '?', {}, undefined],
    ['list', 'j', {}, 'list.down'],
    ['list', '', { downArrow: true }, 'list.down'],
    ['list', 'f', { ctrl: true }, 'list.pageDown'],
    ['list', 'f', {}, 'list.toggleFindings'],
    ['list', '', { pageUp: true }, 'list.pageUp'],
    ['list', 'G', { shift: true }, 'list.bottom'],
    ['list', 'g', {}, 'list.top'],
    ['list', '', { return: true }, 'list.open'],
    ['list', 's', {}, 'list.sortNext'],
    ['list', 'S', { shift: true }, 'list.sortReverse'],
    ['list', 'a', {}, 'list.toggleAwsManaged'],
    ['filter', '', { return: true }, 'filter.accept'],
    ['filter', '', { escape: true, meta: true }, 'filter.cancel'],
    ['filter', 'j', {}, undefined],
    ['detail', '', { tab: true }, 'detail.nextTab'],
    ['detail', '', { tab: true, shift: true }, 'detail.prevTab'],
    ['detail', '3', {}, 'detail.tab.grants'],
    ['detail', '', { escape: true }, 'detail.back'],
    ['help', '', { escape: true }, 'help.close'],
    ['help', '?', {}, 'app.help'],
    ['dialog', 'q', {}, undefined],
    ['dialog', '', { return: true }, 'dialog.confirm'],
    ['command', ':', {}, undefined],
    ['list', ':', {}, 'app.command'],
    ['detail', 'D', { shift: true }, 'detail.keyDisable'],
    ['detail', ' ', {}, 'detail.grantSelect'],
    ['journal', '', { escape: true }, 'journal.back'],
  ])('%s: %j %o → %s', (scope, input, flags, expected) => {
    expect(commandFor(scope as never, input, press(flags))).toBe(expected);
  });

  it('matches by id', () => {
    expect(matches('app.quit', 'c', press({ ctrl: true }))).toBe(true);
    expect(matches('app.quit', 'q', press(), 'filter')).toBe(false);
    expect(matches('list.down', 'k', press())).toBe(false);
  });
});

describe('hints and help', () => {
  it('builds the footer from the registry', () => {
    expect(hintsFor('list')).toEqual(
      expect.arrayContaining([
        { keys: 'j', description: 'move', rank: 4 },
        { keys: '/', description: 'filter', rank: 1 },
        { keys: 'q', description: 'quit', rank: 2 },
      ]),
    );
    // Typing in the filter: q and ? are text, so quit is hinted as Ctrl-C.
    expect(hintsFor('filter')).toContainEqual({ keys: 'Ctrl-C', description: 'quit', rank: 2 });
    expect(hintsFor('filter').map((h) => h.description)).not.toContain('help');
  });

  it('keeps help and the most important hints when the footer is narrow, in their order', () => {
    const text = (hints: ReturnType<typeof fitHints>) => hints.map((h) => `${h.keys} ${h.description}`).join('  ');
    for (const scope of SCOPES.filter((s) => s !== 'global' && s !== 'filter' && s !== 'dialog' && s !== 'command')) {
      for (const width of [20, 40, 80, 140]) {
        const fitted = fitHints(hintsFor(scope, { tab: 'grants' }), width);
        expect(text(fitted).length, `${scope} at ${width}`).toBeLessThanOrEqual(width);
        expect(fitted.map((h) => h.description), `${scope} at ${width}`).toContain('help');
      }
    }
    expect(text(fitHints(hintsFor('list'), 40))).toBe('Enter open  / filter  q quit  ? help');
    expect(text(fitHints(hintsFor('detail', { tab: 'grants' }), 80))).toBe('Esc back  R retire key  Space select  t retire grant  x revoke grant  ? help');
    expect(text(fitHints(hintsFor('detail', { tab: 'rotation' }), 60))).toContain('d disable');
  });

  it('lists every command in the help', () => {
    const ids = helpSections().flatMap((s) => s.entries.map((e) => e.id));
    expect(ids.sort()).toEqual(COMMANDS.map((c) => c.id).sort());
  });
});
