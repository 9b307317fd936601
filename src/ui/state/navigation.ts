// Which screen is showing and which overlay sits on top: one union each, never a ladder of
// booleans. Scroll positions are clamped with the line counts the events carry.

export const DETAIL_TABS = ['overview', 'rotation', 'grants', 'policy'] as const;
export type DetailTab = (typeof DETAIL_TABS)[number];

export const TAB_TITLES: Record<DetailTab, string> = {
  overview: 'Overview',
  rotation: 'Rotation',
  grants: 'Grants',
  policy: 'Policy',
};

export type Screen =
  | { kind: 'list' }
  | { kind: 'detail'; key: { arn: string; region: string }; tab: DetailTab; scroll: number };

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
  | { type: 'help-toggle' }
  | { type: 'help-close' }
  | { type: 'help-scroll'; by: number; maxScroll: number };

export const INITIAL_NAVIGATION: Navigation = { screen: { kind: 'list' }, overlay: { kind: 'none' } };

function clampScroll(value: number, maxScroll: number): number {
  return Math.max(0, Math.min(value, Math.max(0, maxScroll)));
}

export function navigationReducer(state: Navigation, event: NavigationEvent): Navigation {
  const { screen, overlay } = state;
  switch (event.type) {
    case 'open':
      return { ...state, screen: { kind: 'detail', key: event.key, tab: 'overview', scroll: 0 } };
    case 'back':
      return screen.kind === 'detail' ? { ...state, screen: { kind: 'list' } } : state;
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
      return { ...state, overlay: overlay.kind === 'help' ? { kind: 'none' } : { kind: 'help', scroll: 0 } };
    case 'help-close':
      return overlay.kind === 'help' ? { ...state, overlay: { kind: 'none' } } : state;
    case 'help-scroll': {
      if (overlay.kind !== 'help') return state;
      const scroll = clampScroll(overlay.scroll + event.by, event.maxScroll);
      return scroll === overlay.scroll ? state : { ...state, overlay: { kind: 'help', scroll } };
    }
  }
}
