// Which screen is showing and which overlay sits on top: one union each, never a ladder of
// booleans. Scroll positions are clamped with the line counts the events carry.

import { DETAIL_TABS, type DetailTab } from '../detail-tabs.js';

// The tabs and their order come from the tab registry (src/ui/detail-tabs.ts).
export { DETAIL_TABS, type DetailTab };

export type DetailScreen = {
  kind: 'detail';
  key: { arn: string; region: string };
  tab: DetailTab;
  scroll: number;
  /** Grants tab: the grant under the cursor, and the grants selected for a bulk retire/revoke. */
  grantCursor: number;
  selectedGrants: string[];
};

export type Screen =
  | { kind: 'list' }
  | DetailScreen
  | { kind: 'journal'; keyArn?: string; scroll: number; back: ReturnScreen }
  | { kind: 'retire'; key: { arn: string; region: string }; back: ReturnScreen }
  | { kind: 'retirements'; selected: number; back: ReturnScreen };

/** Where Esc goes back to from a screen opened over another. */
export type ReturnScreen = { kind: 'list' } | DetailScreen | { kind: 'retirements'; selected: number; back: { kind: 'list' } | DetailScreen };

export type Overlay = { kind: 'none' } | { kind: 'help'; scroll: number };

export interface Navigation {
  screen: Screen;
  overlay: Overlay;
}

export type NavigationEvent =
  | { type: 'open'; key: { arn: string; region: string } }
  | { type: 'back' }
  | { type: 'tab'; tab: DetailTab }
  | { type: 'tab-step'; by: 1 | -1 }
  | { type: 'scroll'; by: number; maxScroll: number }
  | { type: 'scroll-to'; to: 'top' | 'bottom'; maxScroll: number }
  /** Opens the help (at line `scroll`: the current screen's section) or closes it. */
  | { type: 'help-toggle'; scroll?: number }
  | { type: 'help-close' }
  | { type: 'help-scroll'; by: number; maxScroll: number }
  | { type: 'grant-cursor'; by: number; count: number }
  | { type: 'grant-toggle'; grantId: string }
  | { type: 'grant-select'; grantIds: string[] }
  | { type: 'grant-clear' }
  | { type: 'open-journal'; keyArn?: string }
  | { type: 'open-retire'; key: { arn: string; region: string } }
  | { type: 'open-retirements' }
  | { type: 'retirements-move'; by: number; count: number }
  | { type: 'journal-scroll'; by: number; maxScroll: number }
  | { type: 'list' };

export const INITIAL_NAVIGATION: Navigation = { screen: { kind: 'list' }, overlay: { kind: 'none' } };

function clampScroll(value: number, maxScroll: number): number {
  return Math.max(0, Math.min(value, Math.max(0, maxScroll)));
}

/** The screen to come back to: journal and wizard screens return to what they were opened over. */
function returnable(screen: Screen): ReturnScreen {
  if (screen.kind === 'journal' || screen.kind === 'retire') return screen.back;
  if (screen.kind === 'retirements') return { kind: 'retirements', selected: screen.selected, back: screen.back.kind === 'retirements' ? { kind: 'list' } : screen.back };
  return screen;
}

export function navigationReducer(state: Navigation, event: NavigationEvent): Navigation {
  const { screen, overlay } = state;
  switch (event.type) {
    case 'open':
      return { ...state, screen: { kind: 'detail', key: event.key, tab: 'overview', scroll: 0, grantCursor: 0, selectedGrants: [] } };
    case 'back':
      if (screen.kind === 'journal' || screen.kind === 'retire' || screen.kind === 'retirements') return { ...state, screen: screen.back };
      return screen.kind === 'detail' ? { ...state, screen: { kind: 'list' } } : state;
    case 'list':
      return { screen: { kind: 'list' }, overlay: { kind: 'none' } };
    case 'grant-cursor': {
      if (screen.kind !== 'detail') return state;
      const grantCursor = Math.max(0, Math.min(screen.grantCursor + event.by, event.count - 1));
      return grantCursor === screen.grantCursor ? state : { ...state, screen: { ...screen, grantCursor } };
    }
    case 'grant-toggle': {
      if (screen.kind !== 'detail') return state;
      const selected = screen.selectedGrants.includes(event.grantId)
        ? screen.selectedGrants.filter((id) => id !== event.grantId)
        : [...screen.selectedGrants, event.grantId];
      return { ...state, screen: { ...screen, selectedGrants: selected } };
    }
    case 'grant-select': {
      if (screen.kind !== 'detail') return state;
      const selected = [...new Set([...screen.selectedGrants, ...event.grantIds])];
      return { ...state, screen: { ...screen, selectedGrants: selected } };
    }
    case 'grant-clear':
      return screen.kind === 'detail' && screen.selectedGrants.length > 0 ? { ...state, screen: { ...screen, selectedGrants: [] } } : state;
    case 'open-retire': {
      const back = returnable(screen);
      return { overlay: { kind: 'none' }, screen: { kind: 'retire', key: event.key, back } };
    }
    case 'open-retirements': {
      if (screen.kind === 'retirements') return state;
      const back = returnable(screen);
      return { overlay: { kind: 'none' }, screen: { kind: 'retirements', selected: 0, back: back.kind === 'retirements' ? back.back : back } };
    }
    case 'retirements-move': {
      if (screen.kind !== 'retirements') return state;
      const selected = Math.max(0, Math.min(screen.selected + event.by, event.count - 1));
      return selected === screen.selected ? state : { ...state, screen: { ...screen, selected } };
    }
    case 'open-journal': {
      if (screen.kind === 'journal') return { ...state, overlay: { kind: 'none' }, screen: { ...screen, ...(event.keyArn ? { keyArn: event.keyArn } : {}), scroll: 0 } };
      const journal: Screen = { kind: 'journal', scroll: 0, back: returnable(screen), ...(event.keyArn ? { keyArn: event.keyArn } : {}) };
      return { overlay: { kind: 'none' }, screen: journal };
    }
    case 'journal-scroll': {
      if (screen.kind !== 'journal') return state;
      const scroll = clampScroll(screen.scroll + event.by, event.maxScroll);
      return scroll === screen.scroll ? state : { ...state, screen: { ...screen, scroll } };
    }
    case 'tab':
      if (screen.kind !== 'detail' || screen.tab === event.tab) return state;
      return { ...state, screen: { ...screen, tab: event.tab, scroll: 0 } };
    case 'tab-step': {
      if (screen.kind !== 'detail') return state;
      const index = DETAIL_TABS.indexOf(screen.tab);
      const tab = DETAIL_TABS[(index + event.by + DETAIL_TABS.length) % DETAIL_TABS.length] ?? screen.tab;
      return { ...state, screen: { ...screen, tab, scroll: 0 } };
    }
    case 'scroll': {
      if (screen.kind !== 'detail') return state;
      const scroll = clampScroll(screen.scroll + event.by, event.maxScroll);
      return scroll === screen.scroll ? state : { ...state, screen: { ...screen, scroll } };
    }
    case 'scroll-to': {
      if (screen.kind !== 'detail') return state;
      const scroll = event.to === 'top' ? 0 : clampScroll(event.maxScroll, event.maxScroll);
      return scroll === screen.scroll ? state : { ...state, screen: { ...screen, scroll } };
    }
    case 'help-toggle':
      return { ...state, overlay: overlay.kind === 'help' ? { kind: 'none' } : { kind: 'help', scroll: Math.max(0, event.scroll ?? 0) } };
    case 'help-close':
      return overlay.kind === 'help' ? { ...state, overlay: { kind: 'none' } } : state;
    case 'help-scroll': {
      if (overlay.kind !== 'help') return state;
      const scroll = clampScroll(overlay.scroll + event.by, event.maxScroll);
      return scroll === overlay.scroll ? state : { ...state, overlay: { kind: 'help', scroll } };
    }
  }
}
