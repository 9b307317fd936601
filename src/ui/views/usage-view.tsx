import { Box, Text } from 'ink';
import { useEffect, useMemo } from 'react';
import { formatAge, formatDateTime } from '../../domain/format.js';
import type { Grant } from '../../domain/key.js';
import { cleanText } from '../../domain/sanitize.js';
import { LOOKUP_MAX_DAYS, summaryOfLoad, tabEngineName, usageProgressLine, usageWindowsFor, type TabEngine } from '../../domain/insights.js';
import { dependents, fitCounts, omittedLine, sparkline, windowDays, windowLabel, type UsageProgress, type UsageSummary, type UsageWindow } from '../../domain/usage.js';
import { accountLabel, keyAccount, outsideCallers, type OutsideAccount } from '../../domain/outside-callers.js';
import { ownerCalls, withCallerTrails, type CallerTrails, type CallerTrailStatus } from '../../domain/caller-trails.js';
import { Empty } from '../components/empty.js';
import { ErrorView } from '../components/error-view.js';
import { Loading } from '../components/loading.js';
import type { UsageState } from '../hooks/use-usage.js';
import { useTheme, type ThemeRole } from '../theme.js';
import { wrapLine } from './key-detail-lines.js';

export interface UsageViewProps {
  state: UsageState;
  window: UsageWindow;
  /** The key whose events are counted (events naming other keys are ignored). */
  keyArn?: string | undefined;
  /** The key's grants, merged with usage into "depends on this key". */
  grants?: readonly Grant[] | undefined;
  now: Date;
  /** Lines this view may use. */
  height: number;
  width: number;
  /** First body line shown (the lead's scroll keys). */
  scroll?: number;
  /** Told the furthest the body can scroll, so the scroll keys know where the end is. */
  onMaxScroll?: (maxScroll: number) => void;
  /** The longest window the key's engines serve (LookupEvents 90 days, Logs Insights 365): the windows `w` offers. */
  maxWindowDays?: number;
  /** The engine picked with `m` (default auto: keywarden chooses and says why). */
  engine?: TabEngine;
  /** Account names by id (the organization's, with --org): callers from other accounts are named by them. */
  accountNames?: ReadonlyMap<string, string> | undefined;
}

export interface UsageLine {
  text: string;
  tone?: ThemeRole;
  /** Where a wrapped continuation starts (the value column). */
  indent?: number;
}

const c = (text: string) => cleanText(text);
const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function when(iso: string, now: Date): string {
  return `${formatDateTime(iso)} UTC (${formatAge(iso, now)})`;
}

/** The columns the window selector takes. */
function windowBarWidth(window: UsageWindow, maxDays: number): number {
  const windows = usageWindowsFor(maxDays);
  const shown = windows.some((w) => windowDays(w) === windowDays(window)) ? windows : [...windows, window];
  return 'Window '.length + shown.reduce((n, w) => n + windowLabel(w).length + 2, 0);
}

/** The window selector: the windows the engines serve, the current one highlighted, the others muted. */
function WindowBar({ window, maxDays }: { window: UsageWindow; maxDays: number }) {
  const theme = useTheme();
  const windows = usageWindowsFor(maxDays);
  // By length: a window of { days: 90 } (after an engine that keeps 90 days) is the 90 d of the bar.
  const same = (w: UsageWindow) => windowDays(w) === windowDays(window);
  return (
    <Text wrap="truncate-end">
      <Text {...theme.muted}>Window </Text>
      {windows.map((w) => (
        <Text key={windowLabel(w)} {...(same(w) ? theme.selection : theme.muted)}>{` ${windowLabel(w)} `}</Text>
      ))}
      {windows.some(same) ? null : <Text {...theme.selection}>{` ${windowLabel(window)} `}</Text>}
    </Text>
  );
}

/** The Usage tab's body as lines (pure), so it scrolls like the other tabs; wrapped to `width`, never cut. */
/** What the other accounts' own trails gave (several accounts), or that they are not read (one account). */
export type CallerTrailsView = { kind: 'read'; window: CallerTrails['window']; capped?: string; statuses: CallerTrailStatus[] } | { kind: 'reading' } | { kind: 'not-read' };

export function usageLines(
  summary: UsageSummary,
  progress: UsageProgress | undefined,
  deps: ReturnType<typeof dependents>,
  now: Date,
  width: number,
  picked?: string,
  outside: readonly OutsideAccount[] = [],
  trails: CallerTrailsView = { kind: 'not-read' },
): UsageLine[] {
  const lines = usageLinesUnwrapped(summary, progress, deps, now, width, picked, outside, trails);
  return lines.flatMap((line) => wrapLine({ text: line.text, indent: line.indent ?? 12 }, width).map((part) => ({ ...line, text: part.text })));
}

function usageLinesUnwrapped(
  summary: UsageSummary,
  progress: UsageProgress | undefined,
  deps: ReturnType<typeof dependents>,
  now: Date,
  width: number,
  picked: string | undefined,
  outside: readonly OutsideAccount[],
  trails: CallerTrailsView,
): UsageLine[] {
  const lines: UsageLine[] = [];
  const heading = (text: string) => lines.push({ text: '' }, { text, tone: 'heading' });
  const failedNote = (n: number) => (n > 0 ? `  (${n} failed)` : '');
  const partial = progress && !progress.done ? ` (so far, back to ${progress.oldest ? formatDateTime(progress.oldest) : '…'} UTC)` : '';
  if (picked) lines.push({ text: `Engine      ${c(picked)}, picked with m`, tone: 'muted' });
  else if (progress?.engineReason) lines.push({ text: `Engine      ${c(progress.engineReason)}`, tone: 'muted' });
  if (progress?.truncated?.length) lines.push({ text: `Incomplete  ${c(progress.truncated.join(', '))} cut at Logs Insights' 10,000 rows`, tone: 'warning' });
  lines.push({ text: `Events      ${summary.total}${partial} · ${count(summary.failed, 'failed attempt')} · ${count(summary.dryRuns, 'dry run')}` });
  lines.push({
    text: `Last use    ${summary.lastUse ? `${when(summary.lastUse.time, now)} ${c(summary.lastUse.operation)} by ${c(summary.lastUse.caller.description)}` : 'none in this window'}`,
    ...(summary.lastUse ? {} : { tone: 'warning' as const }),
  });
  const bars = fitCounts(summary.timeline.counts, Math.max(10, width - 26));
  lines.push({ text: `Per ${summary.timeline.bucket.padEnd(8)}${sparkline(bars)}  (oldest → now)` });
  if (summary.lastFailure && summary.firstFailure) {
    lines.push({ text: `Failed      ${summary.errorCodes.map((e) => `${c(e.code)} ×${e.count}`).join(', ')}`, tone: 'danger' });
    lines.push({ text: `  first     ${when(summary.firstFailure.time, now)} ${c(summary.firstFailure.operation)} by ${c(summary.firstFailure.caller.description)}`, tone: 'danger' });
    lines.push({ text: `  last      ${when(summary.lastFailure.time, now)} ${c(summary.lastFailure.operation)} by ${c(summary.lastFailure.caller.description)}`, tone: 'danger' });
  }

  heading('Callers');
  for (const p of summary.principals) lines.push({ text: `  ${String(p.count).padStart(6)}  ${c(p.description)}  ${c(p.operations.join(', '))}${failedNote(p.failed)}`, indent: 10, ...(p.failed ? { tone: 'warning' as const } : {}) });
  if (summary.principalsOmitted) lines.push({ text: `  ${omittedLine(summary.principalsOmitted, 'caller')}`, tone: 'muted', indent: 4 });
  if (outside.length > 0 || trails.kind !== 'not-read') {
    // Who uses this key from outside its account: every other account's callers, failed calls
    // included — with several accounts also those refused before the key, from their own trails.
    heading(`From other accounts (${outside.length})`);
    for (const group of outside) {
      const own = group.fromCallerTrail ? ` · ${group.fromCallerTrail.failed} in its own trail only` : '';
      lines.push({ text: `  ${String(group.count).padStart(6)}  ${c(accountLabel(group))}  last ${formatAge(group.lastSeen, now)}${failedNote(group.failed)}${group.errorCodes.length ? `: ${group.errorCodes.map((e) => `${c(e.code)} ×${e.count}`).join(', ')}` : ''}${own}`, indent: 10, ...(group.failed ? { tone: 'warning' as const } : {}) });
      for (const caller of group.callers) {
        const ownCalls = caller.fromCallerTrail ? `, ${caller.fromCallerTrail} in own trail` : '';
        lines.push({ text: `    ${String(caller.count).padStart(6)}  ${c(caller.description)}  ${c(caller.operations.join(', '))}${caller.failed ? `  (${caller.failed} failed${ownCalls})` : ''}`, indent: 12, ...(caller.failed ? { tone: 'warning' as const } : {}) });
      }
    }
    if (trails.kind === 'reading') lines.push({ text: "  reading the other accounts' trails for calls refused before the key…", tone: 'muted' });
    else if (trails.kind === 'read') {
      const unread = trails.statuses.filter((t) => t.status === 'unreadable');
      const stopped = trails.statuses.filter((t) => t.status === 'stopped');
      lines.push({
        text: `  Own trails: ${trails.statuses.length - unread.length} of ${trails.statuses.length} accounts read (${trails.window.days} d)${stopped.length ? `, ${stopped.length} stopped` : ''}${trails.capped ? ` · ${c(trails.capped)}` : ''}`,
        tone: 'muted',
        indent: 4,
      });
      for (const t of unread) lines.push({ text: `  not read: ${c(accountLabel(t))}: ${c(t.reason ?? '')}`, tone: 'warning', indent: 4 });
    } else lines.push({ text: "  refused by their own IAM, calls stay in their accounts' trails: --org reads them", tone: 'muted', indent: 4 });
  }
  heading('Operations');
  for (const op of summary.operations) lines.push({ text: `  ${String(op.count).padStart(6)}  ${c(op.operation)}${failedNote(op.failed)}`, indent: 10 });
  heading('Encryption contexts');
  if (summary.contexts.length === 0) lines.push({ text: '  none seen', tone: 'muted' });
  for (const ctx of summary.contexts) {
    const distinct = ctx.resources > 0 ? `  (${ctx.resources} distinct)` : '';
    lines.push({ text: `  ${String(ctx.count).padStart(6)}  ${c(ctx.description)}${distinct}${failedNote(ctx.failed)}`, indent: 10 });
  }
  if (summary.contextsOmitted) lines.push({ text: `  ${omittedLine(summary.contextsOmitted, 'context')}`, tone: 'muted', indent: 4 });
  heading('Depends on this key');
  if (deps.length === 0) lines.push({ text: '  nothing seen: no grants, no encryption context in use', tone: 'muted' });
  for (const d of deps) {
    const parts = [
      d.grantIds.length ? count(d.grantIds.length, 'grant') : '',
      d.events ? count(d.events, 'event') : '',
      d.lastSeen ? `last ${formatAge(d.lastSeen, now)}` : 'not seen in use',
    ].filter(Boolean);
    lines.push({ text: `  ${c(d.description)}  (${parts.join(', ')})`, indent: 4, ...(d.lastSeen ? {} : { tone: 'muted' as const }) });
  }
  if (summary.contextsOmitted) lines.push({ text: `  ${omittedLine(summary.contextsOmitted, 'context')}`, tone: 'muted', indent: 4 });
  heading(`Failed attempts${summary.failures.length > 0 ? ` (${summary.failures.length}, newest first)` : ''}`);
  if (summary.failures.length === 0) lines.push({ text: '  none in this window', tone: 'muted' });
  for (const f of summary.failures) {
    lines.push({ text: `  ${formatDateTime(f.time)}  ${c(f.operation)}  ${c(f.errorCode)}  ${c(f.caller.description)}`, tone: 'danger', indent: 20 });
  }
  return lines;
}

function Body({ lines, scroll, height }: { lines: UsageLine[]; scroll: number; height: number }) {
  const theme = useTheme();
  const top = Math.max(0, Math.min(scroll, Math.max(0, lines.length - height)));
  return (
    <Box flexDirection="column">
      {lines.slice(top, top + height).map((line, i) => (
        <Text key={top + i} wrap="truncate-end" {...(line.tone ? theme[line.tone] : {})}>
          {line.text || ' '}
        </Text>
      ))}
    </Box>
  );
}

/**
 * The Usage tab: window selector, progress line, and the summary of the key's CloudTrail events
 * (callers, operations, encryption contexts, per-day sparkline, last use, failed attempts, what
 * depends on the key). Shows what has loaded while pages are still coming in.
 */
export function UsageView({ state, window, keyArn, grants, now, height, width, scroll = 0, onMaxScroll, maxWindowDays, engine = 'auto', accountNames }: UsageViewProps) {
  const theme = useTheme();
  const loaded = 'loaded' in state ? state.loaded : undefined;
  // An engine picked with `m`, in words: the bucket's location once it is known.
  const location = (loaded as { location?: string } | undefined)?.location;
  const picked = engine === 'auto' ? undefined : `${tabEngineName(engine)}${engine === 's3' && location ? ` ${location}` : ''}`;
  // Log files and Logs Insights hand over their summary whole (when they have finished); LookupEvents, events as they come.
  const summary = useMemo(
    () => (loaded && (loaded.summary || (loaded.progress.source !== 'insights' && loaded.progress.source !== 'files' && loaded.progress.source !== 's3')) ? summaryOfLoad(loaded, window, now, keyArn) : undefined),
    [loaded, window, now, keyArn],
  );
  const deps = useMemo(() => (summary ? dependents(grants ?? [], summary) : []), [grants, summary]);
  const { outside, trails } = useMemo((): { outside: OutsideAccount[]; trails: CallerTrailsView } => {
    const owner = keyArn ? keyAccount(keyArn) : undefined;
    if (!summary || !owner || !keyArn) return { outside: [], trails: { kind: 'not-read' } };
    const groups = outsideCallers(summary, owner, accountNames);
    if (loaded?.callerTrails) {
      const merged = withCallerTrails(groups, loaded.callerTrails, keyArn, ownerCalls(loaded, summary), accountNames);
      return { outside: merged.outside, trails: { kind: 'read', window: loaded.callerTrails.window, ...(loaded.callerTrails.capped ? { capped: loaded.callerTrails.capped } : {}), statuses: merged.statuses } };
    }
    return { outside: groups, trails: loaded?.callerTrailsPending ? { kind: 'reading' } : { kind: 'not-read' } };
  }, [summary, keyArn, accountNames, loaded]);
  const lines = useMemo(() => (summary ? usageLines(summary, loaded?.progress, deps, now, width, picked, outside, trails) : []), [summary, loaded, deps, now, width, picked, outside, trails]);
  const progress = loaded?.progress;
  const status = progress ? usageProgressLine(progress) : state.status === 'loading' ? 'asking CloudTrail…' : '';
  const barDays = (engine === 'auto' ? progress?.maxWindowDays : undefined) ?? maxWindowDays ?? LOOKUP_MAX_DAYS;
  // Beside the window bar when both fit; else on a line of its own (neither cut).
  const statusOwnLine = status !== '' && windowBarWidth(window, barDays) + 2 + status.length > width;
  const bodyHeight = Math.max(1, height - 2 - (statusOwnLine ? 1 : 0));
  useEffect(() => {
    onMaxScroll?.(Math.max(0, lines.length - bodyHeight));
  }, [lines.length, bodyHeight, onMaxScroll]);

  let body;
  if (state.status === 'unavailable') body = <Empty title="Usage is not available here" hint="this connection has no CloudTrail reader" />;
  else if (state.status === 'error' && !summary) body = <ErrorView title="Could not read CloudTrail" message={state.error} hint="r to try again; m for another engine" />;
  else if (!summary) body = <Loading label={picked ? `reading ${windowLabel(window)} from ${c(picked)}…` : `reading CloudTrail events (${windowLabel(window)})…`} />;
  else if (summary.total === 0 && state.status === 'ready') {
    const hint =
      progress?.source === 'insights'
        ? 'w for another window; Logs Insights reads what the trail’s log group keeps — older evidence: keywarden usage KEY --cloudtrail-dir DIR'
        : `w for a longer window; LookupEvents keeps ${LOOKUP_MAX_DAYS} days — older evidence: keywarden usage KEY --cloudtrail-dir DIR`;
    body = <Empty title={`No CloudTrail events for this key in the last ${windowLabel(window)}`} hint={hint} />;
  } else body = <Body lines={lines} scroll={scroll} height={bodyHeight - (state.status === 'error' ? 1 : 0) - (loaded?.incomplete ? 1 : 0)} />;

  return (
    <Box flexDirection="column" height={height}>
      <Box justifyContent="space-between" flexDirection={statusOwnLine ? 'column' : 'row'}>
        <WindowBar window={window} maxDays={barDays} />
        <Text {...(progress?.done ? theme.muted : theme.accent)} wrap="truncate-start">
          {status}
        </Text>
      </Box>
      {state.status === 'error' && summary ? <Text {...theme.danger} wrap="truncate-end">{`stopped by an error: ${c(state.error)}`}</Text> : null}
      {loaded?.incomplete ? <Text {...theme.danger} wrap="truncate-end">{`evidence incomplete: ${c(loaded.incomplete)}`}</Text> : null}
      {body}
    </Box>
  );
}
