// The help overlay (`?`): every key binding, over whichever screen is showing.

import type { Scope } from '../keymap.js';
import { helpLines, helpSectionStart, HelpView } from '../views/help-view.js';
import { stepOf, type ScreenController, type Shell } from './screen.js';

export interface HelpScreenController extends ScreenController {
  /** Where the help opens when asked for in `scope`: that screen's section, as far down as the help scrolls. */
  openAt: (scope: Scope) => number;
}

export function helpScreen({ nav, navNow, height, width }: Shell, readOnly: boolean): HelpScreenController {
  // Below the title line; counted only when a key scrolls, not on every render.
  const maxScroll = () => Math.max(0, helpLines({ readOnly, width }).length - (height - 1));
  return {
    openAt: (scope) => Math.min(maxScroll(), helpSectionStart(helpLines({ readOnly, width }), scope)),
    onKey: (command) => {
      const page = Math.max(1, height - 2);
      const max = maxScroll();
      const by =
        stepOf(command, 'help.down', 'help.up') ||
        stepOf(command, 'help.pageDown', 'help.pageUp') * page ||
        stepOf(command, 'help.bottom', 'help.top') * max;
      if (by !== 0) return navNow({ type: 'help-scroll', by, maxScroll: max });
      if (command === 'help.close') navNow({ type: 'help-close' });
    },
    body: () => <HelpView height={height} scroll={nav.overlay.kind === 'help' ? nav.overlay.scroll : 0} readOnly={readOnly} width={width} />,
  };
}
