// The help overlay (`?`): every key binding, over whichever screen is showing.

import { helpLines, HelpView } from '../views/help-view.js';
import { stepOf, type ScreenController, type Shell } from './screen.js';

export function helpScreen({ nav, navNow, height, width }: Shell, readOnly: boolean): ScreenController {
  // Below the title line; counted only when a key scrolls, not on every render.
  const maxScroll = () => Math.max(0, helpLines({ readOnly, width }).length - (height - 1));
  return {
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
