import { Box, Text } from 'ink';
import type { SessionInfo } from '../../domain/source.js';
import { regionsLabel } from '../../domain/format.js';
import { cleanText } from '../../domain/sanitize.js';
import type { IdentityState } from '../hooks/use-identity.js';
import { useTheme } from '../theme.js';

export interface HeaderProps {
  session: SessionInfo;
  identity: IdentityState;
  /** The sandbox's date when its clock was moved away from this machine's day. */
  sandboxDate?: string;
  /** With several accounts: the scope (src/ui/app.tsx accountsLabel) instead of the caller's account. */
  accountsLabel?: string;
  /** The terminal's width: an endpoint that does not fit beside the caller gets a line of its own. */
  width?: number;
}

/** The caller line as text: "as ARN (profile P)", for its width. */
function callerText(session: SessionInfo, identity: IdentityState): string {
  const who =
    identity.status === 'ready'
      ? identity.identity.arn
        ? cleanText(identity.identity.arn)
        : `unknown (${cleanText(identity.identity.note ?? 'the endpoint did not say')})`
      : identity.status === 'error' ? `identity unknown: ${cleanText(identity.error)}` : 'identity loading…';
  return `as ${who}${session.profile ? ` (profile ${cleanText(session.profile)})` : ''}`;
}

/**
 * How many lines the header takes at `width`: two, or three when an endpoint that is neither AWS
 * nor a keywarden sandbox (a proxy, another AWS-compatible service: it must be read whole) does not
 * fit after the caller and goes on a line of its own. A sandbox's endpoint is named by the SANDBOX
 * badge; its address may be cut.
 */
export function headerLines(session: SessionInfo, identity: IdentityState, width: number | undefined): 2 | 3 {
  if (!session.endpoint || session.sandbox || width === undefined) return 2;
  return [...`${callerText(session, identity)} via ${cleanText(session.endpoint)}`].length > width ? 3 : 2;
}

/** App name, account, caller, regions and the SANDBOX / READ-ONLY badges. */
export function Header({ session, identity, sandboxDate, accountsLabel, width }: HeaderProps) {
  const theme = useTheme();
  const endpointOwnLine = headerLines(session, identity, width) === 3;
  const regions = regionsLabel(session.regions.map((r) => cleanText(r)));
  return (
    <Box flexDirection="column">
      {/* One row, cut at the terminal's edge: a row that wrapped (a narrow terminal, the sandbox's
          date badge) would push the whole screen down a line and garble it. */}
      <Text wrap="truncate-end">
        <Text {...theme.heading}>keywarden</Text>
        {'  '}
        {accountsLabel !== undefined ? (
          accountsLabel
        ) : (
          <>
            <Text {...theme.muted}>account </Text>
            {identity.status === 'ready' ? cleanText(identity.identity.account) || 'unknown' : '…'}
          </>
        )}
        {'  '}
        <Text {...theme.muted}>{session.regions.length === 1 ? 'region ' : 'regions '}</Text>
        {regions}
        {/* The date badge says SANDBOX too: one badge, so the row fits 80 columns. */}
        {session.sandbox && !sandboxDate ? (
          <>
            {'  '}
            <Text {...theme.badge}> SANDBOX </Text>
          </>
        ) : null}
        {sandboxDate ? (
          <>
            {'  '}
            <Text {...theme.badge}> SANDBOX TIME {sandboxDate} </Text>
          </>
        ) : null}
        {session.readOnly ? (
          <>
            {'  '}
            <Text {...theme.dangerBadge}> READ-ONLY </Text>
          </>
        ) : null}
      </Text>
      <Text wrap="truncate-end">
        <Text {...theme.muted}>as </Text>
        {identity.status === 'ready' ? (
          identity.identity.arn ? (
            cleanText(identity.identity.arn)
          ) : (
            <Text {...theme.warning}>unknown ({cleanText(identity.identity.note ?? 'the endpoint did not say')})</Text>
          )
        ) : identity.status === 'error' ? (
          <Text {...theme.warning}>identity unknown: {cleanText(identity.error)}</Text>
        ) : (
          <Text {...theme.muted}>identity loading…</Text>
        )}
        {session.profile ? <Text {...theme.muted}> (profile {cleanText(session.profile)})</Text> : null}
        {session.endpoint && !endpointOwnLine ? <Text {...theme.muted}> via {cleanText(session.endpoint)}</Text> : null}
      </Text>
      {session.endpoint && endpointOwnLine ? (
        <Text wrap="truncate-end">
          <Text {...theme.muted}>via </Text>
          {cleanText(session.endpoint)}
        </Text>
      ) : null}
    </Box>
  );
}
