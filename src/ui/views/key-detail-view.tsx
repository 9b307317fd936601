import { Box, Text } from 'ink';
import { useMemo, type ReactNode } from 'react';
import { displayName, type KeyRow } from '../../domain/key.js';
import { cleanText } from '../../domain/sanitize.js';
import { ErrorView } from '../components/error-view.js';
import { Loading } from '../components/loading.js';
import type { KeyDetailState } from '../hooks/use-key-detail.js';
import { DETAIL_TABS, TAB_TITLES, type DetailTab } from '../state/navigation.js';
import { useTheme } from '../theme.js';
import { detailLines, type DetailLine, type GrantMarks } from './key-detail-lines.js';

export interface KeyDetailViewProps {
  /** The key's inventory row, for the title while the detail loads (absent if it vanished). */
  row?: KeyRow | undefined;
  state: KeyDetailState;
  tab: DetailTab;
  scroll: number;
  height: number;
  width: number;
  now: Date;
  /** Grants tab cursor and selection. */
  marks?: GrantMarks | undefined;
  /** The Usage tab's content (it loads from CloudTrail on its own), or the Findings tab's. */
  usage?: ReactNode;
}

/** Lines above and below the scrolled body. */
export const DETAIL_CHROME_LINES = 3;

/** The tabs on one line, cut at the right edge in a narrow terminal (never wrapped onto a second line). */
function TabBar({ tab }: { tab: DetailTab }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end">
      {DETAIL_TABS.map((t, i) => (
        <Text key={t}>
          {i > 0 ? ' ' : ''}
          <Text {...(t === tab ? theme.selection : theme.muted)}>{` ${i + 1} ${TAB_TITLES[t]} `}</Text>
        </Text>
      ))}
    </Text>
  );
}

function Lines({ lines, scroll, height }: { lines: DetailLine[]; scroll: number; height: number }) {
  const theme = useTheme();
  const visible = lines.slice(scroll, scroll + height);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((line, i) => (
        <Text key={scroll + i} wrap="truncate-end" {...(line.tone ? theme[line.tone] : {})}>
          {line.text || ' '}
        </Text>
      ))}
    </Box>
  );
}

/** One key: a tab bar and the current tab's lines, scrolled. */
export function KeyDetailView({ row, state, tab, scroll, height, width, now, marks, usage }: KeyDetailViewProps) {
  const theme = useTheme();
  const detailRow = state.status === 'ready' ? state.detail.row : row;
  // Wrapped to the width: an ARN, a grant id or a principal is never cut at the right edge.
  const lines = useMemo(() => (state.status === 'ready' ? detailLines(state.detail, tab, now, marks, width) : []), [state, tab, now, marks, width]);
  const bodyHeight = Math.max(1, height - DETAIL_CHROME_LINES);
  const title = detailRow ? cleanText(displayName(detailRow)) : 'key';
  // The ARN beside the name when it fits whole, else the key id; never a cut ARN (Overview has it, c copies it).
  const subtitle = detailRow
    ? [cleanText(detailRow.arn), cleanText(detailRow.keyId)].find((text) => [...title].length + 1 + [...text].length <= width && text !== title)
    : undefined;
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text {...theme.heading}>{title}</Text>
        {subtitle ? <Text {...theme.muted}> {subtitle}</Text> : null}
      </Text>
      <TabBar tab={tab} />
      {(tab === 'usage' || tab === 'findings') && usage ? (
        <Box flexDirection="column" height={bodyHeight + 1}>
          {usage}
        </Box>
      ) : state.status === 'ready' ? (
        <>
          <Lines lines={lines} scroll={scroll} height={bodyHeight} />
          <Text {...theme.muted}>
            {lines.length > bodyHeight
              ? `lines ${scroll + 1}–${Math.min(lines.length, scroll + bodyHeight)} of ${lines.length}`
              : ' '}
          </Text>
        </>
      ) : state.status === 'error' ? (
        <ErrorView title="Could not load this key" message={state.error} hint="r to try again, Esc to go back" />
      ) : (
        <Loading label="loading key…" />
      )}
    </Box>
  );
}
