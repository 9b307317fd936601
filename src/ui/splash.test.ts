import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SPINNER_FRAMES, spinnerLines, splashLines } from './splash.js';

describe('splash', () => {
  it('shows the header and the loading line like the app does, with the badges', () => {
    const lines = splashLines({ regions: ['us-east-1', 'eu-west-1'], sandbox: true, readOnly: true }, { colour: true, columns: 100 }).map((l) =>
      stripVTControlCharacters(l),
    );
    expect(lines).toEqual(['keywarden  account …  regions us-east-1, eu-west-1   SANDBOX    READ-ONLY ', 'as identity loading…', '⠋ loading keys…']);
  });

  it('uses no colour under NO_COLOR, only bold, dim and inverse', () => {
    const text = splashLines({ regions: ['us-east-1'], sandbox: true, readOnly: false }, { colour: false, columns: 100 }).join('\n');
    expect(text).not.toMatch(/\u001b\[(3\d|4\d|9\d)/);
    expect(text).toContain('\u001b[7;1m SANDBOX ');
  });

  it('cleans region names before they reach the terminal', () => {
    const [header] = splashLines({ regions: ['us-east-1\u001b[2J'], sandbox: false, readOnly: false }, { colour: false, columns: 100 });
    expect(header).not.toContain('\u001b[2J');
  });

  it('turns the spinner on the loading line only, style kept', () => {
    const lines = splashLines({ regions: ['us-east-1'], sandbox: false, readOnly: false }, { colour: true, columns: 80 });
    const frames = spinnerLines(lines[2]!);
    expect(frames.map((f) => stripVTControlCharacters(f))).toEqual(SPINNER_FRAMES.map((glyph) => `${glyph} loading keys…`));
    expect(frames.every((f) => f.startsWith('\u001b[36m'))).toBe(true);
  });
});
