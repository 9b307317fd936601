import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { actionable, countBySeverity, findingsForKey, findingsMarker, worstSeverity, type KeyFinding, type Severity, type Thresholds } from '../../domain/findings.js';
import { catalogueEntry } from '../../domain/finding-catalogue.js';
import { cleanText } from '../../domain/sanitize.js';
import { ErrorView } from '../components/error-view.js';
import { Empty } from '../components/empty.js';
import { Loading } from '../components/loading.js';
import type { KeyDetailState } from '../hooks/use-key-detail.js';
import { useTheme, type ThemeRole } from '../theme.js';
import { wrapText } from '../wrap.js';

/** How each severity looks: the theme role of its lines. */
export const SEVERITY_TONE: Record<Severity, ThemeRole> = { high: 'danger', medium: 'warning', low: 'accent', info: 'muted' };

const SEVERITY_LABEL: Record<Severity, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' };

/** The keys-list marker (`!3`, `·1`, ''): defined in the domain so src/domain/table.ts can render it too. */
export { findingsMarker };

/** The marker's theme role (for the keys-list cell). */
export function findingsMarkerTone(findings: readonly KeyFinding[]): ThemeRole | undefined {
  const worst = worstSeverity(actionable(findings));
  return worst ? SEVERITY_TONE[worst] : undefined;
}

export interface FindingLine {
  text: string;
  tone?: ThemeRole;
}

/** Word-wrapping, shared by every screen (src/ui/wrap.ts). */
export { wrapText };

/** The Findings tab's body as lines (pure): a count line, then each finding and its explanation. */
export function findingLines(findings: readonly KeyFinding[], width: number): FindingLine[] {
  const c = countBySeverity(findings);
  const lines: FindingLine[] = [{ text: `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${c.high} high · ${c.medium} medium · ${c.low} low · ${c.info} info` }];
  for (const f of findings) {
    lines.push({ text: '' });
    const entry = catalogueEntry(f.id);
    lines.push({ text: `${SEVERITY_LABEL[f.severity].padEnd(7)}${f.category.padEnd(9)}${cleanText(f.id)}${entry ? `  ${entry.title}` : ''}`, tone: SEVERITY_TONE[f.severity] });
    for (const part of wrapText(cleanText(f.message), width - 2)) lines.push({ text: `  ${part}` });
    for (const part of wrapText(cleanText(f.explanation), width - 4)) lines.push({ text: `    ${part}`, tone: 'muted' });
    if (entry) lines.push({ text: `    docs: ${entry.docs}`, tone: 'muted' });
  }
  return lines;
}

export interface FindingsViewProps {
  /** The key detail (its policy and grants feed the policy and grant checks). */
  state: KeyDetailState;
  thresholds: Thresholds;
  now: Date;
  /** The caller's account (the key's own account is used when the key names one). */
  account?: string;
  height: number;
  width: number;
  /** First body line shown (the lead's scroll keys). */
  scroll?: number;
}

/** The Findings tab: every finding on the key, most severe first, with what to do about it. */
export function FindingsView({ state, thresholds, now, account = '', height, width, scroll = 0 }: FindingsViewProps) {
  const theme = useTheme();
  const findings = useMemo(() => (state.status === 'ready' ? findingsForKey({ key: state.detail, thresholds, now, account }) : undefined), [state, thresholds, now, account]);
  const lines = useMemo(() => (findings ? findingLines(findings, width) : []), [findings, width]);
  if (state.status === 'error') return <ErrorView title="Could not load this key" message={state.error} hint="r to try again, Esc to go back" />;
  if (!findings) return <Loading label="checking the key…" />;
  if (findings.length === 0) {
    return <Empty title="No findings" hint="policy, grants, rotation and usage look fine against the configured thresholds" />;
  }
  const bodyHeight = Math.max(1, height);
  const top = Math.max(0, Math.min(scroll, Math.max(0, lines.length - bodyHeight)));
  return (
    <Box flexDirection="column" height={height}>
      {lines.slice(top, top + bodyHeight).map((line, i) => (
        <Text key={top + i} wrap="truncate-end" {...(line.tone ? theme[line.tone] : {})}>
          {line.text || ' '}
        </Text>
      ))}
    </Box>
  );
}
