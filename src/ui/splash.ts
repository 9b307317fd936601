// The very first frame, written with plain escape codes before Ink and React are loaded (they
// take most of the start-up time): the header and a loading line, laid out like <Header/> and
// <BootView/>. Ink draws over the same lines once it is ready. No Ink or React imports here.

import type { SessionInfo } from '../domain/source.js';
import { cleanText } from '../domain/sanitize.js';
import { regionsLabel } from '../domain/format.js';

const ESC = '\u001b[';

function style(text: string, codes: string, colour: boolean, plainCodes = ''): string {
  const use = colour ? codes : plainCodes;
  return use ? `${ESC}${use}m${text}${ESC}0m` : text;
}

// eslint-disable-next-line no-control-regex
const stripForWidth = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** The splash as lines (no trailing newline), for a terminal `columns` wide. */
export function splashLines(session: SessionInfo, options: { colour: boolean; columns: number }): string[] {
  const { colour, columns } = options;
  const regions = regionsLabel(session.regions.map((r) => cleanText(r)));
  const muted = (text: string) => style(text, '90', colour, '2');
  const parts = [
    style('keywarden', '36;1', colour, '1'),
    `${muted('account ')}…`,
    `${muted(session.regions.length === 1 ? 'region ' : 'regions ')}${regions}`,
    ...(session.sandbox ? [style(' SANDBOX ', '30;43;1', colour, '7;1')] : []),
    ...(session.readOnly ? [style(' READ-ONLY ', '37;41;1', colour, '7;1')] : []),
  ];
  // Clipped at the right edge so the line never wraps (the erase counts lines).
  const fit = (line: string) => (stripForWidth(line).length > columns ? `${line.slice(0, Math.max(0, columns - 1))}${ESC}0m` : line);
  return [fit(parts.join('  ')), `${muted('as ')}${muted('identity loading…')}`, style('⠋ loading keys…', '36', colour)];
}

/**
 * Writes the splash and returns a function that erases it again (cursor back to where the
 * splash began), to be called right before Ink renders its first frame.
 */
export function showSplash(out: NodeJS.WriteStream, session: SessionInfo, env: Record<string, string | undefined>): () => void {
  const lines = splashLines(session, { colour: !env['NO_COLOR'], columns: out.columns || 80 });
  out.write(`${lines.join('\n')}`);
  return () => {
    // Begins a synchronized update (DEC mode 2026) that Ink's first frame ends: the terminal shows
    // the splash until the frame replaces it, never the blank screen in between.
    out.write(`${ESC}?2026h\r${lines.length > 1 ? `${ESC}${lines.length - 1}A` : ''}${ESC}J`);
  };
}
