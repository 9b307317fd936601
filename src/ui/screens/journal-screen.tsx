// The audit journal (`:journal`): every change keywarden made, for one key when opened from its
// detail, else for all; read while the screen is shown.

import type { ChangeSource } from '../../domain/source.js';
import { useJournal } from '../hooks/use-journal.js';
import { JournalView, journalLines, journalTitle } from '../views/journal-view.js';
import { stepOf, type ScreenController, type Shell } from './screen.js';

export function useJournalScreen({ nav, navNow, height, width }: Shell, changes: ChangeSource | undefined): ScreenController {
  const screen = nav.screen.kind === 'journal' ? nav.screen : undefined;
  const journal = useJournal(changes, screen !== undefined, screen?.keyArn);
  // Below the title (its rows); counted only when a key scrolls, not on every render.
  const maxScroll = () =>
    journal.status === 'ready' ? Math.max(0, journalLines(journal.operations, journal.problems, width).length - (height - journalTitle(screen?.keyArn, journal.operations.length, width).length)) : 0;
  return {
    onKey: (command) => {
      const by = stepOf(command, 'journal.down', 'journal.up');
      if (by !== 0) return navNow({ type: 'journal-scroll', by, maxScroll: maxScroll() });
      if (command === 'journal.back') return navNow({ type: 'back' });
      if (command === 'journal.refresh') journal.reload();
    },
    body: () => <JournalView state={journal} keyArn={screen?.keyArn} scroll={screen?.scroll ?? 0} height={height} width={width} />,
  };
}
