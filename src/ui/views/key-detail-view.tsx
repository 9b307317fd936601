import { Box, Text } from 'ink';
import { useMemo, type ReactNode } from 'react';
import { displayName, type KeyRow } from '../../domain/key.js';
import { cleanText } from '../../domain/sanitize.js';
import { ErrorView } from '../components/error-view.js';
import { Loading } from '../components/loading.js';
import type { KeyDetailState } from '../hooks/use-key-detail.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../../domain/findings.js';
import { DETAIL_TAB_REGISTRY, detailTab, tabLines, type DetailTab, type TabLine } from '../detail-tabs.js';
import { useTheme } from '../theme.js';
import type { GrantMarks } from './key-detail-lines.js';

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
  /** Findings thresholds (the defaults when absent). */
  thresholds?: Thresholds;
  /** The content of a tab read from elsewhere (the Usage tab loads from CloudTrail on its own). */
  content?: ReactNode;
}

/** Lines above and below the scrolled body. */
export const DETAIL_CHROME_LINES = 3;

/** The tabs on one line, cut at the right edge in a narrow terminal (never wrapped onto a second line). */
function TabBar({ tab }: { tab: DetailTab }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end">
      {DETAIL_TAB_REGISTRY.map((t, i) => (
        <Text key={t.id}>
          {i > 0 ? ' ' : ''}
          <Text {...(t.id === tab ? theme.selection : theme.muted)}>{` ${t.key} ${t.title} `}</Text>
        </Text>
      ))}
    </Text>
  );
}

function Lines({ lines, scroll, height }: { lines: readonly TabLine[]; scroll: number; height: number }) {
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
export function KeyDetailView({ row, state, tab, scroll, height, width, now, marks, thresholds = DEFAULT_THRESHOLDS, content }: KeyDetailViewProps) {
  const theme = useTheme();
  const detailRow = state.status === 'ready' ? state.detail.row : row;
  // Wrapped to the width: an ARN, a grant id or a principal is never cut at the right edge.
  const body = detailTab(tab).body;
  const lines = useMemo(
    () => (state.status === 'ready' && body.source === 'detail' && !body.View ? tabLines(tab, { detail: state.detail, now, marks, width, thresholds }) : []),
    [state, tab, body, now, marks, width, thresholds],
  );
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
      {body.source === 'cloudtrail' ? (
        <Box flexDirection="column" height={bodyHeight + 1}>
          {content}
        </Box>
      ) : body.View ? (
        <Box flexDirection="column" height={bodyHeight + 1}>
          <body.View state={state} thresholds={thresholds} now={now} height={bodyHeight + 1} width={width} scroll={scroll} />
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
