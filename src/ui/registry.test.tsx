// The screen and detail-tab registries drive everything else: each entry must show up in the
// keymap, the help, the command line's completion and the navigation. Every check below is
// computed from the tables, so an entry that one of those places did not derive fails here.

import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../domain/findings.js';
import { NO_KEY, plain } from '../../test/helpers/ink.js';
import { ebsDetail } from '../../test/helpers/kms-fixtures.js';
import { COMMAND_LINE, commandEntry, completeCommand, resolveCommand } from './command-line.js';
import { DETAIL_TAB_REGISTRY, DETAIL_TABS, tabCommandId, tabLines, tabOfCommand, type DetailTab } from './detail-tabs.js';
import { COMMANDS, commandById, commandFor, helpSections, hintsFor, type CommandId } from './keymap.js';
import { SCREEN_REGISTRY, type ScreenKind } from './screens/registry.js';
import { INITIAL_NAVIGATION, navigationReducer, type Navigation } from './state/navigation.js';
import { COMMANDS_TITLE, helpLines, helpSectionStart } from './views/help-view.js';
import { KeyDetailView } from './views/key-detail-view.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const key = { arn: ebsDetail.row.arn, region: ebsDetail.row.region };
const noKey = NO_KEY;
const onDetail = (tab: DetailTab = 'overview'): Navigation => ({
  screen: { kind: 'detail', key, tab, scroll: 0, grantCursor: 0, selectedGrants: [] },
  overlay: { kind: 'none' },
});
const help = helpLines({ width: 200 });
const commandsSection = help.slice(help.findIndex((l) => l.isTitle && l.text === COMMANDS_TITLE));

/** The help's lines of one keymap section. */
function sectionLines(scope: string): string[] {
  const start = help.findIndex((l) => l.isTitle && l.scope === scope);
  if (start < 0) return [];
  const end = help.findIndex((l, i) => i > start && l.isTitle);
  return help.slice(start + 1, end < 0 ? undefined : end).map((l) => l.text);
}

/** Every prefix of a word that names it alone completes to it, and the word resolves to its entry. */
function expectCompletes(word: string) {
  expect(resolveCommand(word)).toBe(word);
  expect(completeCommand(word)).toBe(`${word} `);
  const unique = [...word].map((_c, i) => word.slice(0, i + 1)).filter((prefix) => COMMAND_LINE.filter((e) => e.word.startsWith(prefix)).length === 1);
  expect(unique.length, `no prefix of :${word} names it alone`).toBeGreaterThan(0);
  for (const prefix of unique) expect(completeCommand(prefix)).toBe(`${word} `);
}

describe('the detail-tab registry', () => {
  it('has unique ids, keys and command names', () => {
    const ids = DETAIL_TAB_REGISTRY.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(DETAIL_TAB_REGISTRY.map((t) => t.key)).size).toBe(ids.length);
    const names = COMMAND_LINE.flatMap((e) => [e.word, ...e.aliases]);
    expect(new Set(names).size).toBe(names.length);
  });

  describe.each(DETAIL_TAB_REGISTRY.map((t) => [t.id, t] as const))('tab %s', (id, tab) => {
    it('is in navigation: opened by its event, reached by stepping through the tabs', () => {
      expect(DETAIL_TABS).toContain(id);
      expect(navigationReducer(onDetail(id === 'overview' ? 'rotation' : 'overview'), { type: 'tab', tab: id }).screen).toMatchObject({ kind: 'detail', tab: id });
      let nav = onDetail();
      const seen = new Set<string>();
      for (let i = 0; i < DETAIL_TABS.length; i++) {
        seen.add(nav.screen.kind === 'detail' ? nav.screen.tab : '');
        nav = navigationReducer(nav, { type: 'tab-step', by: 1 });
      }
      expect(seen).toContain(id);
    });

    it('is in the keymap: its key opens it on the key detail', () => {
      const command = commandById(tabCommandId(id) as CommandId);
      expect(command.scope).toBe('detail');
      expect(commandFor('detail', tab.key, noKey)).toBe(tabCommandId(id));
      expect(tabOfCommand(commandFor('detail', tab.key, noKey))).toBe(id);
    });

    it('is in the help: its key under "Key detail", its :command under Commands', () => {
      expect(sectionLines('detail').some((l) => l.trim().startsWith(tab.key) && l.includes(tab.help))).toBe(true);
      for (const name of tab.commands) expect(commandsSection.some((l) => l.text.includes(`:${name}`))).toBe(true);
    });

    it('is in the command line: completed, and resolved to this tab', () => {
      expectCompletes(tab.commands[0]);
      expect(commandEntry(tab.commands[0])?.target).toEqual({ tab: id });
    });

    it('is in the tab bar, and draws its lines or its view at 80×24 and 140×40', () => {
      for (const [width, height] of [[80, 22], [140, 38]] as const) {
        const view = render(<KeyDetailView row={ebsDetail.row} state={{ status: 'ready', detail: ebsDetail }} tab={id} scroll={0} height={height} width={width} now={NOW} content={<Text>cloudtrail content</Text>} />);
        const frame = plain(view.lastFrame());
        view.unmount();
        expect(frame).toContain(`${tab.key} ${tab.title}`);
        if (tab.body.source === 'cloudtrail') expect(frame).toContain('cloudtrail content');
        else {
          const first = tabLines(id, { detail: ebsDetail, now: NOW, thresholds: DEFAULT_THRESHOLDS, width }).find((l) => l.text.trim().length > 0);
          expect(first, 'the tab has lines').toBeDefined();
          expect(frame).toContain(first!.text.trim());
        }
      }
    });

    it('has an AWS CLI command for Y', () => {
      expect(tab.cli(key, undefined)).toMatch(/^aws (kms|cloudtrail) [a-z-]+ /);
      expect(tab.cli(key, undefined)).toContain(key.region);
    });
  });
});

describe('the screen registry', () => {
  it('has one entry per kind of screen', () => {
    // A Record over every kind of the Screen union: adding a kind without an entry fails the typecheck.
    const kinds: Record<ScreenKind, true> = { list: true, detail: true, journal: true, retire: true, retirements: true };
    expect(SCREEN_REGISTRY.map((s) => s.kind).sort()).toEqual(Object.keys(kinds).sort());
  });

  describe.each(SCREEN_REGISTRY.map((s) => [s.kind, s] as const))('screen %s', (kind, screen) => {
    it('is in navigation: its open event shows it, Esc leaves it', () => {
      for (const from of [onDetail('grants'), INITIAL_NAVIGATION]) {
        const event = screen.open(from, from.screen.kind === 'detail' ? from.screen.key : key);
        expect(event, 'the screen can be opened').toBeDefined();
        const opened = navigationReducer(from, event!);
        expect(opened.screen.kind).toBe(kind);
        if (kind !== 'list') expect(navigationReducer(opened, { type: 'back' }).screen.kind).not.toBe(kind);
      }
    });

    it('is in the keymap: its scope has keys, one of them to leave', () => {
      expect(COMMANDS.some((c) => c.scope === screen.scope)).toBe(true);
      const hints = hintsFor(screen.scope).map((h) => h.description);
      expect(hints.some((h) => /back|quit/.test(h))).toBe(true);
      if (screen.openedBy) expect(commandById(screen.openedBy).description.length).toBeGreaterThan(0);
    });

    it('is in the help: a section the help opens at', () => {
      const section = helpSections().find((s) => s.scope === screen.scope);
      expect(section, `help section for ${screen.scope}`).toBeDefined();
      expect(helpSectionStart(help, screen.scope)).toBeGreaterThan(0);
      expect(help[helpSectionStart(help, screen.scope)]?.text).toBe(section!.title);
      for (const name of screen.commands) expect(commandsSection.some((l) => l.text.includes(`:${name}`))).toBe(true);
    });

    it('is in the command line (or opened by a key)', () => {
      expect(screen.commands.length > 0 || screen.openedBy !== undefined).toBe(true);
      if (screen.commands.length === 0) return;
      expectCompletes(screen.commands[0]!);
      for (const name of screen.commands) expect(commandEntry(resolveCommand(name))?.target).toEqual({ screen: kind });
    });
  });
});
