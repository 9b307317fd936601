// `:retirements`: every retirement recorded here, its stage, the key's state, the alarm and the
// next allowed step. Enter opens one in the wizard.

import { Box, Text } from 'ink';
import type { RetirementStatus } from '../../domain/retirement.js';
import { cleanText } from '../../domain/sanitize.js';
import type { RetirementSource } from '../../domain/source.js';
import { ErrorView } from '../components/error-view.js';
import { Loading } from '../components/loading.js';
import { useAsyncResource } from '../hooks/use-async-resource.js';
import { useTheme } from '../theme.js';
import { wrapIndented } from '../wrap.js';
import { stepOf, type ScreenController, type Shell } from './screen.js';

/** A retirement, or a record file that cannot be read. */
export type RetirementItem = RetirementStatus | { file: string; problem: string };

export type RetirementsState =
  | { status: 'loading' }
  | { status: 'error'; error: string }
  | { status: 'ready'; items: RetirementItem[] };

export function useRetirementsList(source: RetirementSource | undefined, active: boolean): RetirementsState & { reload(): void } {
  // Leaving the list forgets it (idle): opened again, it shows loading and then what is on disk and
  // in AWS now, never what it showed before (a retirement started meanwhile would be missing).
  // While open, `r` keeps the list on screen until the fresh one arrives.
  const state = useAsyncResource(
    () => (!active ? undefined : source ? source.list() : Promise.reject(new Error('retirements are not available in this session'))),
    [source, active],
    { keepWhileReloading: true },
  );
  const { reload } = state;
  if (state.status === 'ready') return { status: 'ready', items: state.value, reload };
  if (state.status === 'error') return { status: 'error', error: state.error, reload };
  return { status: 'loading', reload };
}

/** The list's keys: move, open one in the wizard, read them all again. */
export function useRetirementsScreen({ nav, navRef, navNow, height, width }: Shell, source: RetirementSource | undefined): ScreenController {
  const list = useRetirementsList(source, nav.screen.kind === 'retirements');
  const items = list.status === 'ready' ? list.items : [];
  const open = (selected: number) => {
    const item = items[selected];
    if (item && !('problem' in item)) navNow({ type: 'open-retire', key: { arn: item.record.keyArn, region: item.record.region } });
  };
  return {
    onKey: (command) => {
      const screen = navRef.current.screen;
      if (screen.kind !== 'retirements') return;
      const by = stepOf(command, 'retirements.down', 'retirements.up');
      if (by !== 0) return navNow({ type: 'retirements-move', by, count: items.length });
      if (command === 'retirements.back') return navNow({ type: 'back' });
      if (command === 'retirements.refresh') return list.reload();
      if (command === 'retirements.open') open(screen.selected);
    },
    body: () => <RetirementsScreen state={list} selected={nav.screen.kind === 'retirements' ? nav.screen.selected : 0} height={height} width={width} />,
    refresh: list.reload,
  };
}

/** Ways back and out: offered at most stages, they are never "the next step" of a retirement. */
const WAYS_BACK: ReadonlySet<string> = new Set(['cancel-deletion', 're-enable', 'close']);

/**
 * The step to show for a retirement: the next step forward, whether it can be taken now or must
 * wait (and why), else the first step that can be taken.
 */
export function headline<S extends { id: string; allowed: boolean }>(steps: readonly S[]): S | undefined {
  return steps.find((s) => !WAYS_BACK.has(s.id)) ?? steps.find((s) => s.allowed) ?? steps[0];
}

interface RetirementRow {
  text: string;
  item: number;
  tone?: 'danger' | 'selection';
}

/**
 * The list as rows at `width` columns: a retirement on one row when it fits, else its columns on
 * the first and its next step (or what changed) wrapped below — never cut, as it says what to do.
 */
export function retirementRows(items: readonly RetirementItem[], selected: number, width: number): RetirementRow[] {
  const rows: RetirementRow[] = [];
  items.forEach((item, index) => {
    const marker = index === selected ? '›' : ' ';
    if ('problem' in item) {
      for (const text of wrapIndented(`${marker} cannot read ${cleanText(item.file)}: ${cleanText(item.problem)}`, width, 4)) rows.push({ text, item: index, tone: 'danger' });
      return;
    }
    const next = headline(item.steps);
    const watch = item.record.watch?.kind === 'alarm' ? `alarm ${item.reality.alarm?.state ?? '?'}` : item.record.watch ? 'WEAKER watch' : 'no watch yet';
    const tone = item.record.stage === 'use-detected' || item.drift.length > 0 ? 'danger' : index === selected ? 'selection' : undefined;
    const columns = `${marker} ${cleanText(item.record.name).padEnd(26)} ${item.record.stage.padEnd(19)} ${String(item.reality.keyState).padEnd(16)} ${watch.padEnd(16)} `;
    const step = item.drift.length > 0 ? `CHANGED: ${cleanText(item.drift.join('; '))}` : next ? `${next.allowed ? 'next' : 'waits'}: ${cleanText(next.why)}` : 'done';
    const texts = [...`${columns}${step}`].length <= width ? [`${columns}${step}`] : [...wrapIndented(columns.trimEnd(), width, 4), ...wrapIndented(`    ${step}`, width, 4)];
    for (const text of texts) rows.push({ text, item: index, ...(tone ? { tone } : {}) });
  });
  return rows;
}

export function RetirementsScreen({ state, selected, height, width = 80 }: { state: RetirementsState; selected: number; height: number; width?: number }) {
  const theme = useTheme();
  if (state.status === 'loading') return <Loading label="reading the retirements and their keys and alarms…" />;
  if (state.status === 'error') return <ErrorView title="Could not read the retirements" message={state.error} hint="r to try again, Esc to go back" />;
  const rows = retirementRows(state.items, selected, width);
  const body = Math.max(1, height - 1);
  // The selected retirement's rows, in the middle where the list allows.
  const first = rows.findIndex((row) => row.item === selected);
  const count = rows.filter((row) => row.item === selected).length;
  const top = Math.max(0, Math.min(first - Math.floor((body - count) / 2), rows.length - body));
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end" {...theme.heading}>
        Retirements ({state.items.length}){'  '}
        <Text {...theme.muted}>stage · key state · watch · next step</Text>
      </Text>
      {state.items.length === 0 ? <Text {...theme.muted}>no retirement recorded yet: open a key and press R</Text> : null}
      {rows.slice(top, top + body).map((row, i) => (
        <Text key={top + i} {...(row.tone ? theme[row.tone] : {})}>
          {row.text}
        </Text>
      ))}
    </Box>
  );
}
