// The retirement wizard: one screen with the stages, the evidence, what AWS shows now, and the
// next allowed step. Everything comes from the machine's `nextSteps`; this view only shows it.

import { Box, Text } from 'ink';
import { formatDate, formatDateTime } from '../../domain/format.js';
import { displayName, isReadProblem } from '../../domain/key.js';
import { unacknowledged, watchEndsAt, type NextStep, type RetirementStage, type StepId } from '../../domain/retirement.js';
import { stageProgress, stepToTake, stepWords } from '../../domain/retirement-steps.js';
import { cleanText } from '../../domain/sanitize.js';
import { ErrorView } from '../components/error-view.js';
import { Loading } from '../components/loading.js';
import type { RetirementView } from '../hooks/use-retirement.js';
import { useTheme, type ThemeRole } from '../theme.js';
import { wrapIndented } from '../wrap.js';
import { wrapLines } from './retire-dialog.js';

export interface RetireLine {
  text: string;
  tone?: ThemeRole;
}

/** The stages in words (never their ids). */
const STAGE_WORDS: Record<RetirementStage, string> = {
  preflight: 'preflight',
  disabled: 'disabled',
  watching: 'watching',
  'use-detected': 'use detected',
  'deletion-scheduled': 'deletion scheduled',
  deleted: 'deleted',
  'rolled-back': 'rolled back',
  closed: 'closed',
};

/** The key that takes a step now (n, b or a), from the catalogue's ways; undefined when none does. */
export function stepKey(steps: readonly NextStep[], id: StepId, stage: RetirementStage): string | undefined {
  if (id === 'acknowledge') return 'a';
  if (stepToTake(steps, 'on', stage)?.id === id) return 'n';
  if (stepToTake(steps, 'back', stage)?.id === id) return 'b';
  return undefined;
}

const DAY_MS = 86_400_000;

/** The wizard as lines (pure), so it can scroll and be tested without a terminal. */
export function retireLines(view: Extract<RetirementView, { phase: 'ready' }>): RetireLine[] {
  const { preflight, record, status } = view;
  const row = preflight.detail.row;
  const lines: RetireLine[] = [];
  const stage = record?.stage;
  // Each stage is marked from what really happened (and was not undone), never from a later stage.
  // With a status, from what AWS shows now: a deletion cancelled by someone else is not "scheduled".
  const progress = status ? stageProgress(status.record, status.reality) : stageProgress(record);
  const path = progress.map((s) => `${s.done ? '✓' : '·'} ${s.label}`).join('  →  ');
  lines.push({ text: stage ? `stage: ${STAGE_WORDS[stage]}   ${path}` : `not started   ${path}`, tone: 'heading' });
  if (stage === 'rolled-back') lines.push({ text: 'rolled back: the key was enabled again; remove the alarm and filter to close the retirement', tone: 'warning' });
  if (record?.abandoned) lines.push({ text: `closed without finishing: ${cleanText(record.abandoned.reason)} — the key was left as it was`, tone: 'warning' });
  if (stage === 'use-detected') lines.push({ text: `USE DETECTED: ${cleanText(record?.useDetected?.summary ?? '')} — deletion is off; roll back (b) or find the caller`, tone: 'danger' });
  lines.push({ text: '' });

  // What AWS shows now: past the preflight it comes before the preflight's evidence (that is what
  // the operator acts on); at the preflight the evidence comes first.
  const now: RetireLine[] = [];
  if (status) {
    now.push({ text: 'Now', tone: 'heading' });
    now.push({ text: `  key state: ${status.reality.keyState}${status.reality.deletionDate ? ` — deletion on ${formatDateTime(status.reality.deletionDate)}` : ''}` });
    const w = status.record.watch;
    if (w?.kind === 'alarm' && status.record.stage === 'closed') {
      // Removed when the retirement ended (confirmed by a read then); still there is worth saying.
      const left = status.reality.alarm?.exists || status.reality.alarm?.filterExists;
      now.push({ text: `  alarm ${w.alarmName} and its metric filter: ${left ? 'STILL THERE' : 'removed'}`, ...(left ? { tone: 'danger' as const } : {}) });
    } else if (w?.kind === 'alarm') {
      now.push({ text: `  alarm ${w.alarmName}: ${status.reality.alarm?.exists ? (status.reality.alarm.state ?? 'unknown') : 'MISSING'} · filter on ${w.logGroupName} (${w.logGroupRegion})${status.reality.alarm?.filterExists === false ? ' MISSING' : ''}`, tone: status.reality.alarm?.state === 'ALARM' ? 'danger' : undefined });
    } else if (w) {
      now.push({ text: `  WEAKER WATCH: no alarm; keywarden reads CloudTrail when it runs (${cleanText(w.reason)})`, tone: 'warning' });
    }
    const ends = watchEndsAt(status.record);
    if (status.record.watchStartedAt && ends) {
      const watched = Math.max(0, Math.floor((status.now.getTime() - new Date(status.record.watchStartedAt).getTime()) / DAY_MS));
      const left = Math.max(0, Math.ceil((ends.getTime() - status.now.getTime()) / DAY_MS));
      now.push({ text: `  watched ${watched} days (${status.record.watchDays} required)${left > 0 ? `, ${left} left (until ${formatDate(ends.toISOString())})` : ' — the window has passed'}` });
    }
    if (status.record.disabledAt || status.reality.attemptsSinceDisabled.length > 0) {
      now.push({
        text: `  attempts to use it since it was disabled: ${status.reality.attemptsSinceDisabled.length ? cleanText(status.reality.attemptsSinceDisabled.join(', ')) : 'none'}`,
        tone: status.reality.attemptsSinceDisabled.length ? 'danger' : undefined,
      });
    }
    for (const drift of status.drift) now.push({ text: `  CHANGED OUTSIDE THIS RETIREMENT: ${drift}`, tone: 'danger' });
    now.push({ text: '' });
  }
  const past = stage !== undefined && stage !== 'preflight';
  if (past) lines.push(...now);

  lines.push({ text: `Evidence (${preflight.windowDays} days)`, tone: 'heading' });
  const usage = row.lastUsage;
  lines.push({
    text: `  last use (GetKeyLastUsage): ${
      usage.kind === 'used'
        ? `${usage.operation} on ${formatDateTime(usage.timestamp)}`
        : usage.kind === 'never'
          ? `never (tracked since ${formatDate(usage.trackingStartDate)})`
          : usage.kind === 'not-since-tracking'
            ? `none since ${formatDate(usage.trackingStartDate)}; earlier use unknown`
            : usage.kind === 'pending'
              ? 'not read yet'
              : `unknown (${cleanText(usage.message)})`
    }`,
  });
  if ('error' in preflight.usage) lines.push({ text: `  CloudTrail: cannot be read — ${cleanText(preflight.usage.error)}`, tone: 'warning' });
  else {
    const u = preflight.usage;
    lines.push({ text: `  CloudTrail: ${u.total} events, ${u.failed} failed${u.lastUse ? `, last successful use ${formatDateTime(u.lastUse.time)} by ${cleanText(u.lastUse.caller.description)}` : ', no successful use'}` });
    for (const p of u.principals.slice(0, 4)) lines.push({ text: `    ${cleanText(p.description)}: ${p.count}`, tone: 'muted' });
  }
  const grants = preflight.detail.grants;
  lines.push({ text: `  grants: ${isReadProblem(grants) ? `cannot be read (${cleanText(grants.message)})` : grants.length}` });
  const meta = row.metadata;
  if (meta?.multiRegion) lines.push({ text: `  multi-Region ${meta.multiRegionRole?.toLowerCase() ?? ''}${meta.replicaKeys?.length ? ` with replicas in ${meta.replicaKeys.map((r) => r.region).join(', ')}` : ''}` });
  lines.push({ text: '' });

  lines.push({ text: 'Findings', tone: 'heading' });
  if (preflight.findings.length === 0) lines.push({ text: '  none: no recent use, no service grants, nothing that blocks', tone: 'success' });
  const open = unacknowledged(preflight.findings, record?.acknowledged ?? []);
  // Once this retirement has scheduled the deletion, the key's PendingDeletion state is its own
  // doing (shown under Now), not a reason the key cannot be retired.
  const ownState = stage === 'deletion-scheduled' || stage === 'deleted';
  for (const f of preflight.findings.filter((finding) => !(ownState && finding.id === 'state'))) {
    const acked = record?.acknowledged.includes(f.id);
    const mark = f.severity === 'stop' ? '✗ cannot retire' : f.severity === 'blocking' ? (acked ? '✓ acknowledged' : '! must acknowledge') : '· note';
    lines.push({ text: `  ${mark}: ${cleanText(f.title)}`, tone: f.severity === 'stop' ? 'danger' : f.severity === 'blocking' && !acked ? 'warning' : 'muted' });
    lines.push({ text: `      ${cleanText(f.detail)}`, tone: 'muted' });
  }
  if (open.length > 0 && (stage === undefined || stage === 'preflight')) lines.push({ text: `  a: acknowledge "${cleanText(open[0]!.title)}" (one at a time)`, tone: 'accent' });
  lines.push({ text: '' });
  if (!past) lines.push(...now);

  if (status) {
    lines.push({ text: 'Next', tone: 'heading' });
    // What can be done now first: when the screen is short, those are the rows that stay.
    for (const step of [...status.steps.filter((st) => st.allowed), ...status.steps.filter((st) => !st.allowed)]) {
      const key = step.allowed ? stepKey(status.steps, step.id, status.record.stage) : undefined;
      lines.push({ text: `  ${key ? `${key} ▶` : '  ·'} ${stepWords(step.id)}: ${cleanText(step.why)}`, tone: key ? 'accent' : 'muted' });
    }
    if (status.steps.length === 0) lines.push({ text: '  nothing left to do', tone: 'muted' });
  } else {
    lines.push({ text: 'Next', tone: 'heading' });
    lines.push({ text: '  s ▶ start: record the evidence (nothing changes in AWS yet)', tone: 'accent' });
  }
  return lines;
}

/**
 * The wizard laid out for a screen: every line wrapped to `width` (never cut), the message too.
 * When it does not fit, the "Next" section (what the operator can do now) stays on screen below
 * the rest, which scrolls with j/k under a line saying how much more there is.
 */
export function retireLayout(view: Extract<RetirementView, { phase: 'ready' }>, width: number, height: number, arn = '') {
  const title = retireTitle(view, arn, width);
  const wrap = (items: readonly RetireLine[]) => items.flatMap((line) => wrapLines([line.text], width).map((text) => ({ text, ...(line.tone ? { tone: line.tone } : {}) })));
  const all = retireLines(view);
  const text = view.busy ? `${view.busy}…` : view.message?.text;
  const message = text ? wrapLines([cleanText(text)], width) : [' '];
  // Rows: the title (its ARN on rows of its own when it does not fit beside the name), the lines,
  // the message (at most half the screen).
  const shown = message.slice(0, Math.max(1, Math.floor(height / 2)));
  const body = Math.max(1, height - 1 - title.arn.length - shown.length);
  const lines = wrap(all);
  const at = all.findLastIndex((line) => line.text === 'Next' && line.tone === 'heading');
  const next = at >= 0 ? wrap(all.slice(at)) : [];
  if (lines.length <= body || next.length === 0) return { title, lines, pinned: [] as typeof lines, message: shown, body, maxScroll: Math.max(0, lines.length - body) };
  // The "Next" section gets at most half the body; what is above it scrolls in the rest (one row
  // says there is more).
  const pinned = next.slice(0, Math.max(1, Math.floor(body / 2)));
  const above = wrap(all.slice(0, at));
  const rows = Math.max(1, body - pinned.length - 1);
  return { title, lines: above, pinned, message: shown, body: rows, maxScroll: Math.max(0, above.length - rows) };
}

/**
 * The wizard's title: "Retire NAME" and the key's ARN beside it when both fit on one row, else
 * the ARN on the rows below, whole (`arn` holds those rows; empty when it is beside the name).
 */
export function retireTitle(view: Extract<RetirementView, { phase: 'ready' }>, arn: string, width: number): { name: string; beside: string; arn: string[] } {
  const name = `Retire ${cleanText(displayName(view.preflight.detail.row))}`;
  const clean = cleanText(arn);
  if (!clean || [...`${name} ${clean}`].length <= width) return { name, beside: clean, arn: [] };
  return { name, beside: '', arn: wrapIndented(clean, width, 0) };
}

/** The row between the scrolled part and the pinned "Next": how much is hidden, and how to see it. */
function moreLine(top: number, maxScroll: number): string {
  const below = maxScroll - top;
  if (top === 0 && below === 0) return ' ';
  const parts = [top > 0 ? `↑ ${top} more` : '', below > 0 ? `↓ ${below} more` : ''].filter(Boolean);
  return `  ${parts.join(' · ')} (j/k scroll)`;
}

export function RetireView({ view, title, height, width = 80, scroll }: { view: RetirementView; title: string; height: number; width?: number; scroll: number }) {
  const theme = useTheme();
  if (view.phase === 'loading') return <Loading label={view.what} />;
  if (view.phase === 'error') return <ErrorView title="The retirement cannot be shown" message={view.error} hint="r to try again, Esc to go back" />;
  const layout = retireLayout(view, width, height, title);
  const top = Math.min(scroll, layout.maxScroll);
  return (
    <Box flexDirection="column" height={height}>
      <Text>
        <Text {...theme.heading}>{layout.title.name}</Text>
        {layout.title.beside ? <Text {...theme.muted}> {layout.title.beside}</Text> : null}
      </Text>
      {layout.title.arn.map((row, i) => (
        <Text key={`a${i}`} {...theme.muted}>
          {row}
        </Text>
      ))}
      {layout.lines.slice(top, top + layout.body).map((line, i) => (
        <Text key={top + i} wrap="truncate-end" {...(line.tone ? theme[line.tone] : {})}>
          {line.text || ' '}
        </Text>
      ))}
      {layout.pinned.length > 0 && (
        <Text wrap="truncate-end" {...theme.muted}>
          {moreLine(top, layout.maxScroll)}
        </Text>
      )}
      {layout.pinned.map((line, i) => (
        <Text key={`n${i}`} wrap="truncate-end" {...(line.tone ? theme[line.tone] : {})}>
          {line.text || ' '}
        </Text>
      ))}
      <Box flexGrow={1} />
      {layout.message.map((line, i) => (
        <Text key={`m${i}`} wrap="truncate-end" {...(view.busy ? theme.accent : view.message ? theme[view.message.tone] : theme.muted)}>
          {line || ' '}
        </Text>
      ))}
    </Box>
  );
}
