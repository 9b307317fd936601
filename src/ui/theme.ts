// Semantic colours as data. Views ask for `theme.danger`, never for "red".
// With NO_COLOR set (https://no-color.org) no colour is emitted at all; emphasis that is not
// colour (bold, inverse, dim) stays so the selection remains visible.

import { createContext, useContext } from 'react';

export interface TextStyle {
  color?: string;
  backgroundColor?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
}

export const THEME_ROLES = [
  'danger',
  'warning',
  'success',
  'muted',
  'accent',
  'heading',
  'selection',
  'badge',
  'dangerBadge',
  'key',
] as const;
export type ThemeRole = (typeof THEME_ROLES)[number];
export type Theme = Record<ThemeRole, TextStyle>;

export const COLOR_THEME: Theme = {
  danger: { color: 'red' },
  warning: { color: 'yellow' },
  success: { color: 'green' },
  // One means of muting, not two: grey that is also dim is unreadable on dark terminals.
  muted: { color: 'gray' },
  accent: { color: 'cyan' },
  heading: { color: 'cyan', bold: true },
  selection: { color: 'black', backgroundColor: 'cyan', inverse: false },
  badge: { color: 'black', backgroundColor: 'yellow', bold: true },
  dangerBadge: { color: 'white', backgroundColor: 'red', bold: true },
  key: { color: 'cyan', bold: true },
};

function withoutColour(style: TextStyle): TextStyle {
  const { color: _color, backgroundColor: _background, ...rest } = style;
  return rest;
}

export const MONOCHROME_THEME: Theme = {
  ...(Object.fromEntries(THEME_ROLES.map((role) => [role, withoutColour(COLOR_THEME[role])])) as Theme),
  // Without colour the selection and badges are shown by inverting the text.
  selection: { inverse: true },
  badge: { inverse: true, bold: true },
  dangerBadge: { inverse: true, bold: true },
  muted: { dimColor: true },
};

/** The theme for an environment: monochrome when NO_COLOR is set to anything non-empty. */
export function themeFor(env: Record<string, string | undefined>): Theme {
  return env['NO_COLOR'] ? MONOCHROME_THEME : COLOR_THEME;
}

export const ThemeContext = createContext<Theme>(COLOR_THEME);

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
