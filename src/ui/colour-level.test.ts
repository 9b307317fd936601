import { describe, expect, it } from 'vitest';
import { tuiColourLevel } from './colour-level.js';

describe('the TUI colour level', () => {
  it('keeps colour on a terminal when a CI variable is set (chalk alone says none)', () => {
    expect(tuiColourLevel({ CI: 'false', TERM: 'xterm-256color' }, 0, true)).toBe(2);
    expect(tuiColourLevel({ CI: 'true', TERM: 'screen' }, 0, true)).toBe(1);
    expect(tuiColourLevel({ CI: '1', COLORTERM: 'truecolor' }, 0, true)).toBe(3);
  });

  it('keeps the emphasis (inverse, bold) under NO_COLOR: the level stays above 0', () => {
    expect(tuiColourLevel({ NO_COLOR: '1', TERM: 'xterm' }, 0, true)).toBeGreaterThan(0);
  });

  it('leaves what chalk detected when it found colour, when forced, or off a terminal', () => {
    expect(tuiColourLevel({ TERM: 'xterm-256color' }, 3, true)).toBe(3);
    expect(tuiColourLevel({ FORCE_COLOR: '0', CI: 'true' }, 0, true)).toBe(0);
    expect(tuiColourLevel({ CI: 'true' }, 0, false)).toBe(0);
  });

  it('draws nothing on a dumb terminal', () => {
    expect(tuiColourLevel({ TERM: 'dumb', CI: 'true' }, 0, true)).toBe(0);
  });
});
