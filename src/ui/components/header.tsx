import { Box, Text } from 'ink';
import type { SessionInfo } from '../../domain/source.js';
import { regionsLabel } from '../../domain/format.js';
import { cleanText } from '../../domain/sanitize.js';
import type { IdentityState } from '../hooks/use-identity.js';
import { useTheme, type ThemeRole } from '../theme.js';
import { segmentsText, wrapSegments, type Segment } from '../wrap.js';

export interface HeaderProps {
  session: SessionInfo;
  identity: IdentityState;
  /** The sandbox's date when its clock was moved away from this machine's day. */
  sandboxDate?: string;
  /** With several accounts: the scope (src/ui/app.tsx accountsLabel) instead of the caller's account. */
  accountsLabel?: string;
  /** The terminal's width: every line is wrapped to it; an endpoint that does not fit beside the caller gets a line of its own. */
  width?: number;
}

type HeaderSegment = Segment<ThemeRole>;

/** The caller: "as ARN (profile P)", styled. */
function callerSegments(session: SessionInfo, identity: IdentityState): HeaderSegment[] {
  const who: HeaderSegment =
    identity.status === 'ready'
      ? identity.identity.arn
        ? { text: cleanText(identity.identity.arn) }
        : { text: `unknown (${cleanText(identity.identity.note ?? 'the endpoint did not say')})`, style: 'warning' }
      : identity.status === 'error'
        ? { text: `identity unknown: ${cleanText(identity.error)}`, style: 'warning' }
        : { text: 'identity loading…', style: 'muted' };
  return [{ text: 'as ', style: 'muted' }, who, ...(session.profile ? [{ text: ` (profile ${cleanText(session.profile)})`, style: 'muted' as const }] : [])];
}

/**
 * The header as rows at `width` columns, never cut (an operator reads the caller, the Regions and
 * the endpoint here): the app's line — name, account, Regions and badges — then the caller, the
 * endpoint beside it when both fit, else on a line of its own; each line wrapped to the width
 * (a badge is never broken). Unwrapped when `width` is undefined.
 */
export function headerRows({ session, identity, sandboxDate, accountsLabel, width }: HeaderProps): HeaderSegment[][] {
  const regions = regionsLabel(session.regions.map((r) => cleanText(r)));
  const first: HeaderSegment[] = [
    { text: 'keywarden', style: 'heading' },
    { text: '  ' },
    ...(accountsLabel !== undefined
      ? [{ text: cleanText(accountsLabel) }]
      : [{ text: 'account ', style: 'muted' as const }, { text: identity.status === 'ready' ? cleanText(identity.identity.account) || 'unknown' : '…' }]),
    { text: '  ' },
    { text: session.regions.length === 1 ? 'region ' : 'regions ', style: 'muted' },
    { text: regions },
    // The date badge says SANDBOX too: one badge, so the row fits 80 columns.
    ...(session.sandbox && !sandboxDate ? [{ text: '  ' }, { text: ' SANDBOX ', style: 'badge' as const, keep: true }] : []),
    ...(sandboxDate ? [{ text: '  ' }, { text: ` SANDBOX TIME ${sandboxDate} `, style: 'badge' as const, keep: true }] : []),
    ...(session.readOnly ? [{ text: '  ' }, { text: ' READ-ONLY ', style: 'dangerBadge' as const, keep: true }] : []),
  ];
  const caller = callerSegments(session, identity);
  const via: HeaderSegment[] = session.endpoint ? [{ text: 'via ', style: 'muted' }, { text: cleanText(session.endpoint) }] : [];
  const wrap = (segments: HeaderSegment[], indent: number) => (width === undefined ? [segments] : wrapSegments(segments, width, indent));
  if (via.length === 0) return [...wrap(first, 2), ...wrap(caller, 3)];
  const beside = [...caller, { text: ' ' }, ...via];
  if (width === undefined || [...segmentsText(beside)].length <= width) return [...wrap(first, 2), ...wrap(beside, 3)];
  return [...wrap(first, 2), ...wrap(caller, 3), ...wrap(via, 4)];
}

/** How many rows the header takes at its width (headerRows). */
export function headerLines(props: HeaderProps): number {
  return headerRows(props).length;
}

/** App name, account, caller, regions, the endpoint and the SANDBOX / READ-ONLY badges. */
export function Header(props: HeaderProps) {
  const theme = useTheme();
  return (
    <Box flexDirection="column">
      {headerRows(props).map((row, i) => (
        <Text key={i}>
          {row.map((segment, j) => (
            <Text key={j} {...(segment.style ? theme[segment.style] : {})}>
              {segment.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}
