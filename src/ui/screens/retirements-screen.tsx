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
import { stepOf, type ScreenController, type Shell } from './screen.js';

export type RetirementsState =
  | { status: 'loading' }
  | { status: 'error'; error: string }
  | { status: 'ready'; items: Array<RetirementStatus | { file: string; problem: string }> };

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
export function useRetirementsScreen({ nav, navRef, navNow, height }: Shell, source: RetirementSource | undefined): ScreenController {
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
    body: () => <RetirementsScreen state={list} selected={nav.screen.kind === 'retirements' ? nav.screen.selected : 0} height={height} />,
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

export function RetirementsScreen({ state, selected, height }: { state: RetirementsState; selected: number; height: number }) {
  const theme = useTheme();
  if (state.status === 'loading') return <Loading label="reading the retirements and their keys and alarms…" />;
  if (state.status === 'error') return <ErrorView title="Could not read the retirements" message={state.error} hint="r to try again, Esc to go back" />;
  const start = Math.max(0, Math.min(selected - Math.floor((height - 2) / 2), state.items.length - (height - 2)));
  return (
    <Box flexDirection="column" height={height}>
      <Text {...theme.heading}>
        Retirements ({state.items.length}){'  '}
        <Text {...theme.muted}>stage · key state · watch · next step</Text>
      </Text>
      {state.items.length === 0 ? <Text {...theme.muted}>no retirement recorded yet: open a key and press R</Text> : null}
      {state.items.slice(start, start + height - 2).map((item, i) => {
        const index = start + i;
        const marker = index === selected ? '›' : ' ';
        if ('problem' in item) {
          return (
            <Text key={item.file} wrap="truncate-end" {...theme.danger}>
              {marker} cannot read {cleanText(item.file)}: {cleanText(item.problem)}
            </Text>
          );
        }
        const next = headline(item.steps);
        const watch = item.record.watch?.kind === 'alarm' ? `alarm ${item.reality.alarm?.state ?? '?'}` : item.record.watch ? 'WEAKER watch' : 'no watch yet';
        const tone = item.record.stage === 'use-detected' || item.drift.length > 0 ? theme.danger : index === selected ? theme.selection : {};
        return (
          <Text key={item.record.keyArn} wrap="truncate-end" {...tone}>
            {marker} {cleanText(item.record.name).padEnd(26)} {item.record.stage.padEnd(19)} {String(item.reality.keyState).padEnd(16)} {watch.padEnd(16)}{' '}
            {item.drift.length > 0 ? `CHANGED: ${item.drift.join('; ')}` : next ? `${next.allowed ? 'next' : 'waits'}: ${cleanText(next.why)}` : 'done'}
          </Text>
        );
      })}
    </Box>
  );
}
