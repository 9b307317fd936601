// The key detail's tabs, one entry each: everything else about a tab is derived from this table —
// the tab order and titles (navigation, the tab bar), its key (the keymap, so the help, the footer
// and the README), its `:command` names (command-line completion), what `Y` copies and what
// draws it. A new tab over the loaded key detail is one entry here and its lines (or view).
//
// This module imports views only, never screens or the keymap's users: the keymap imports it, and
// screens import the keymap.

import type { ComponentType } from 'react';
import { cliCommandFor } from '../domain/cli-command.js';
import { findingsForKey, type Thresholds } from '../domain/findings.js';
import type { KeyDetail } from '../domain/key.js';
import type { KeyDetailState } from './hooks/use-key-detail.js';
import type { ThemeRole } from './theme.js';
import { findingLines, FindingsView } from './views/findings-view.js';
import { grantsLines, overviewLines, policyLines, rotationLines, wrapLines, type GrantMarks } from './views/key-detail-lines.js';

/** What a tab over the loaded key detail is drawn from. */
export interface TabInput {
  detail: KeyDetail;
  now: Date;
  thresholds: Thresholds;
  /** Grants tab: the cursor and the selection. */
  marks?: GrantMarks | undefined;
  /** The terminal's width: lines are wrapped to it, never cut. */
  width?: number | undefined;
}

/** A tab's line, as its lines function returns it (the tone is a theme role). */
export interface TabLine {
  text: string;
  tone?: ThemeRole | undefined;
}

/** What a tab with its own view is given (the view draws loading, error and empty itself). */
export interface TabViewProps {
  state: KeyDetailState;
  thresholds: Thresholds;
  now: Date;
  height: number;
  width: number;
  scroll: number;
}

/**
 * What draws a tab:
 * - `lines`: over the loaded key detail; the key detail draws and scrolls them, or `View` does;
 * - `cloudtrail`: read from CloudTrail on its own (the Usage tab: a loader, a window, a stop key).
 */
export type TabBody =
  | { source: 'detail'; lines: (input: TabInput) => readonly TabLine[]; View?: ComponentType<TabViewProps> }
  | { source: 'cloudtrail' };

export interface DetailTabEntry {
  id: string;
  /** In the tab bar. */
  title: string;
  /** The key that opens it (shown before its title in the tab bar). */
  key: string;
  /** Its line in the help (section "Key detail"). */
  help: string;
  /** `:command` names that open it on a key's detail (the first is the word; the rest are aliases). */
  commands: readonly string[];
  /** The AWS CLI command that reads what it shows (`Y` copies it); on Grants, the grant under the cursor. */
  cli: (key: { arn: string; region: string }, grantId?: string) => string;
  body: TabBody;
}

export const DETAIL_TAB_REGISTRY = [
  {
    id: 'overview',
    title: 'Overview',
    key: '1',
    help: 'Overview tab',
    commands: ['overview'],
    cli: (key) => cliCommandFor('overview', key),
    body: { source: 'detail', lines: ({ detail, now, width }) => wrapLines(overviewLines(detail.row, now), width) },
  },
  {
    id: 'rotation',
    title: 'Rotation',
    key: '2',
    help: 'Rotation tab',
    commands: ['rotation'],
    cli: (key) => cliCommandFor('rotation', key),
    body: { source: 'detail', lines: ({ detail, now, width }) => wrapLines(rotationLines(detail, now), width) },
  },
  {
    id: 'grants',
    title: 'Grants',
    key: '3',
    help: 'Grants tab',
    commands: ['grants'],
    cli: (key, grantId) => cliCommandFor('grants', key, grantId),
    body: { source: 'detail', lines: ({ detail, now, marks, width }) => grantsLines(detail, now, marks, width) },
  },
  {
    id: 'policy',
    title: 'Policy',
    key: '4',
    help: 'Policy tab',
    commands: ['policy'],
    cli: (key) => cliCommandFor('policy', key),
    body: { source: 'detail', lines: ({ detail, width }) => wrapLines(policyLines(detail), width) },
  },
  {
    id: 'usage',
    title: 'Usage',
    key: '5',
    help: 'Usage tab (CloudTrail)',
    commands: ['usage'],
    cli: (key) => cliCommandFor('usage', key),
    body: { source: 'cloudtrail' },
  },
  {
    id: 'findings',
    title: 'Findings',
    key: '6',
    help: 'Findings tab: policy, grants, rotation and usage checks',
    commands: ['findings'],
    cli: (key) => cliCommandFor('findings', key),
    body: {
      source: 'detail',
      lines: ({ detail, thresholds, now, width }) => findingLines(findingsForKey({ key: detail, thresholds, now, account: '' }), width ?? 80),
      View: FindingsView,
    },
  },
] as const satisfies readonly DetailTabEntry[];

export type DetailTab = (typeof DETAIL_TAB_REGISTRY)[number]['id'];

/** The tabs in order. */
export const DETAIL_TABS: readonly DetailTab[] = DETAIL_TAB_REGISTRY.map((t) => t.id);

/** The keymap command that opens a tab. */
export type TabCommandId = `detail.tab.${DetailTab}`;
export function tabCommandId(tab: DetailTab): TabCommandId {
  return `detail.tab.${tab}`;
}

export function detailTab(id: DetailTab): DetailTabEntry {
  const entry = DETAIL_TAB_REGISTRY.find((t) => t.id === id);
  if (!entry) throw new Error(`unknown detail tab ${id}`);
  return entry;
}

/** The tab a keymap command opens, if it is a tab's command. */
export function tabOfCommand(command: string | undefined): DetailTab | undefined {
  return DETAIL_TAB_REGISTRY.find((t) => tabCommandId(t.id) === command)?.id;
}

/** The tab a `:command` name opens (a name or alias in full), if any. */
export function tabOfName(name: string): DetailTab | undefined {
  return DETAIL_TAB_REGISTRY.find((t) => (t.commands as readonly string[]).includes(name))?.id;
}

/** "the Usage tab (5)": how a message names a tab. */
export function tabLabel(id: DetailTab): string {
  const entry = detailTab(id);
  return `the ${entry.title} tab (${entry.key})`;
}

/** A tab's lines over the loaded key detail (none for a tab read from elsewhere). */
export function tabLines(id: DetailTab, input: TabInput): readonly TabLine[] {
  const body = detailTab(id).body;
  return body.source === 'detail' ? body.lines(input) : [];
}
