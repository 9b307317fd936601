import { styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import fc from 'fast-check';
import { Box, Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { fastStyledChars, installFastOutput, isSimpleCodeUnit } from './fast-output.js';

const inks = (line: string) => styledCharsFromTokens(tokenize(line));

// Pieces of lines: what our screens write (ASCII, marks like › ↑ · ─, chalk's SGR codes) and what
// must send a line down Ink's own path (wide, combining, emoji, controls, other escape sequences).
const SIMPLE = ['a', 'Z', ' ', '~', '7', 'é', 'ß', '×', '·', '›', '↑', '↓', '…', '—', '•', '─', '│', '█', '▌'];
const SGR = ['\u001b[31m', '\u001b[39m', '\u001b[1m', '\u001b[2m', '\u001b[22m', '\u001b[7m', '\u001b[27m', '\u001b[0m', '\u001b[m', '\u001b[1;31m', '\u001b[38;5;208m', '\u001b[38;2;1;2;3m', '\u001b[48;5;4m', '\u001b[49m', '\u001b[4;24m'];
const OTHER = ['漢', '🔑', '\u0301', '\uFE0F', '\u200D', '\u00AD', '🇩🇪', '\t', '\u009b', '\u0007', '\u001b[', '\u001b[31', '\u001b[3x', '\u001b(B', '\u001b]8;;https://example.com\u0007', '\u001b]8;;\u0007', '\r\n', '\uD83D'];

describe('fastStyledChars', () => {
  it('gives exactly the cells Ink computes, or leaves the line to Ink', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SIMPLE, ...SGR, ...SGR, ...OTHER), { maxLength: 40 }), (pieces) => {
        const line = pieces.join('');
        const fast = fastStyledChars(line);
        if (fast !== undefined) {
          taken++;
          expect(fast).toEqual(inks(line));
        }
        const onlySimple = pieces.every((piece) => !OTHER.includes(piece));
        expect(fast !== undefined).toBe(onlySimple);
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(100);
  });

  it('agrees with Ink for every simple character, alone and between others', () => {
    for (let c = 0; c <= 0xffff; c++) {
      if (!isSimpleCodeUnit(c)) continue;
      const ch = String.fromCharCode(c);
      for (const line of [ch, `a${ch}b`, `${ch}${ch}`, `\u001b[32m${ch}\u001b[39m${ch}`]) {
        expect(fastStyledChars(line), `U+${c.toString(16)}`).toEqual(inks(line));
      }
    }
  });

  it('handles the lines of a keys view: a padded row with coloured cells', () => {
    const row = `› \u001b[1mteam-6/service-03780\u001b[22m   \u001b[32mEnabled\u001b[39m   \u001b[33m!2\u001b[39m   off   never${' '.repeat(40)}`;
    expect(fastStyledChars(row)).toEqual(inks(row));
    expect(fastStyledChars('')).toEqual([]);
  });
});

describe('installFastOutput', () => {
  it('installs into this version of Ink and renders the same frames', async () => {
    const view = (
      <Box flexDirection="column" width={60}>
        <Text>
          <Text color="green">Enabled</Text> › team-6/service-03780 <Text bold>!2</Text>
        </Text>
        <Text>漢字 🔑 e\u0301 · ─── …</Text>
        <Box borderStyle="round" paddingX={1}>
          <Text wrap="truncate-end">{'a very long line that Ink must truncate at the edge of its box, '.repeat(3)}</Text>
        </Box>
      </Box>
    );
    const before = render(view);
    const stock = before.lastFrame();
    before.unmount();
    expect(await installFastOutput()).toBe(true);
    expect(await installFastOutput()).toBe(true);
    const after = render(view);
    expect(after.lastFrame()).toBe(stock);
    after.unmount();
  });
});
