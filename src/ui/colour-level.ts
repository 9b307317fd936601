// How many colours the TUI draws with. Ink styles text through chalk, whose detection
// (supports-color) answers "no colour at all" whenever a `CI` variable is set — even CI=false on an
// operator's own terminal — and level 0 also drops inverse and bold, so the selection and the active
// tab vanish. The TUI only ever runs on a terminal, so it decides here:
// - FORCE_COLOR (set by the operator) wins, as chalk already read it;
// - TERM=dumb gets nothing;
// - otherwise at least the 16 basic colours (NO_COLOR is honoured by the theme, which then uses no
//   colour but keeps inverse and bold: https://no-color.org asks for no colour, not no emphasis).

export type ColourLevel = 0 | 1 | 2 | 3;

export function tuiColourLevel(env: Record<string, string | undefined>, detected: ColourLevel, isTTY: boolean): ColourLevel {
  if (env['FORCE_COLOR'] !== undefined) return detected;
  if (!isTTY) return detected;
  if (env['TERM'] === 'dumb') return 0;
  if (detected > 0) return detected;
  // supports-color said 0 because of CI: read the terminal's own hints as it would have.
  if (env['COLORTERM'] === 'truecolor' || env['COLORTERM'] === '24bit') return 3;
  if (/-256(color)?$/i.test(env['TERM'] ?? '')) return 2;
  return 1;
}
