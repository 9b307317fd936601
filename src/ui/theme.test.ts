import { describe, expect, it } from 'vitest';
import { COLOR_THEME, MONOCHROME_THEME, THEME_ROLES, themeFor } from './theme.js';

describe('theme', () => {
  it('uses colours by default and when NO_COLOR is empty', () => {
    expect(themeFor({})).toBe(COLOR_THEME);
    expect(themeFor({ NO_COLOR: '' })).toBe(COLOR_THEME);
  });

  it.each(['1', 'true', 'yes'])('has no colour at all with NO_COLOR=%s', (value) => {
    const theme = themeFor({ NO_COLOR: value });
    expect(theme).toBe(MONOCHROME_THEME);
    for (const role of THEME_ROLES) {
      expect(theme[role].color, role).toBeUndefined();
      expect(theme[role].backgroundColor, role).toBeUndefined();
    }
    expect(theme.selection.inverse).toBe(true);
  });

  it('defines every role', () => {
    for (const role of THEME_ROLES) expect(COLOR_THEME[role]).toBeDefined();
  });

  it('muted text is grey or dim, never both (unreadable on a dark background); severities have distinct colours', () => {
    expect(Boolean(COLOR_THEME.muted.color) && Boolean(COLOR_THEME.muted.dimColor)).toBe(false);
    const severities = [COLOR_THEME.danger.color, COLOR_THEME.warning.color, COLOR_THEME.accent.color];
    for (const colour of severities) expect(colour).toBeDefined();
    expect(new Set(severities).size).toBe(3);
    // The selection stands out with colour, and by inversion without it.
    expect(COLOR_THEME.selection.backgroundColor).toBeDefined();
  });
});
