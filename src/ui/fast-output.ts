// A faster first step for Ink's frame: turning each written line into styled cells.
//
// Ink composes every frame by splitting each line of text into grapheme clusters (Intl.Segmenter)
// and style codes (@alcalzone/ansi-tokenize), then placing them cell by cell. With a 160 × 50
// terminal full of keys that split is most of a frame (≈ 6 ms of ≈ 12 ms on the bench machine,
// measured with `npm run bench render`): the segmenter is slow per character, and almost every
// character on our screens is a one-column character that is a grapheme cluster on its own.
//
// `fastStyledChars` produces exactly what `styledCharsFromTokens(tokenize(line))` produces, for
// lines made only of such characters and SGR style sequences (ESC [ digits/semicolons m); for any
// other line it returns undefined and Ink's own path runs. `installFastOutput` puts it in front of
// Ink's per-frame cache of styled lines. Ink does not export its Output class, so it is reached by
// file next to Ink's entry point; if Ink's internals are not what this code expects (another
// version), nothing is changed and Ink renders as it always does. Tests compare the two paths
// character for character (src/ui/fast-output.test.ts).

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { reduceAnsiCodesIncremental, tokenize, type AnsiCode, type StyledChar, type Token } from '@alcalzone/ansi-tokenize';

const ESC = 0x1b;
const LEFT_BRACKET = 0x5b;
const LETTER_M = 0x6d;
const SEMICOLON = 0x3b;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * Code points that are one column wide and always a grapheme cluster of their own next to one
 * another (none of them is a combining mark, joiner, prepended mark, regional indicator, Hangul
 * jamo or control): printable ASCII; Latin-1 letters and signs except the soft hyphen; general
 * punctuation (dashes, quotes, bullets, ellipsis, primes); arrows; box drawing and block elements.
 * A line with any other character takes Ink's own path.
 */
export function isSimpleCodeUnit(c: number): boolean {
  return (
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xff && c !== 0xad) ||
    (c >= 0x2010 && c <= 0x2027) ||
    (c >= 0x2030 && c <= 0x205e) ||
    (c >= 0x2190 && c <= 0x21ff) ||
    (c >= 0x2500 && c <= 0x259f)
  );
}

const isAnsi = (token: Token): token is AnsiCode => token.type === 'ansi';

/** Index of the `m` closing an SGR sequence that starts at `start` (ESC [), or -1. */
function sgrEnd(line: string, start: number): number {
  for (let i = start + 2; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === LETTER_M) return i;
    if (c !== SEMICOLON && (c < DIGIT_0 || c > DIGIT_9)) return -1;
  }
  return -1;
}

/**
 * The styled cells of `line`, equal to `styledCharsFromTokens(tokenize(line))`, or undefined when
 * the line holds anything but simple characters and SGR sequences. Cells that share a style share
 * one (never mutated) styles array.
 */
export function fastStyledChars(line: string): StyledChar[] | undefined {
  const cells: StyledChar[] = [];
  let styles: AnsiCode[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === ESC) {
      if (line.charCodeAt(i + 1) !== LEFT_BRACKET) return undefined;
      const end = sgrEnd(line, i);
      if (end < 0) return undefined;
      // The library splits compound sequences (`1;31m`) and knows each code's end code.
      const tokens = tokenize(line.slice(i, end + 1));
      if (!tokens.every(isAnsi)) return undefined;
      styles = reduceAnsiCodesIncremental(styles, tokens);
      i = end + 1;
      continue;
    }
    if (!isSimpleCodeUnit(c)) return undefined;
    cells.push({ type: 'char', value: line[i] as string, fullWidth: false, styles });
    i++;
  }
  return cells;
}

interface OutputCachesLike {
  styledChars: Map<string, StyledChar[]>;
  getStyledChars(line: string): StyledChar[];
}

let installed: Promise<boolean> | undefined;

/**
 * Puts `fastStyledChars` in front of Ink's styled-line cache, once per process. Resolves to
 * whether it did (false when Ink's internals are not the expected shape; Ink then runs as is).
 */
export function installFastOutput(): Promise<boolean> {
  installed ??= install();
  return installed;
}

async function install(): Promise<boolean> {
  try {
    const { default: Output } = (await import(new URL('./output.js', pathToFileURL(createRequire(import.meta.url).resolve('ink'))).href)) as {
      default: new (options: { width: number; height: number }) => { caches?: unknown };
    };
    const caches = new Output({ width: 1, height: 1 }).caches as Partial<OutputCachesLike> | undefined;
    if (!caches || !(caches.styledChars instanceof Map) || typeof caches.getStyledChars !== 'function') return false;
    const proto = Object.getPrototypeOf(caches) as OutputCachesLike;
    const inks = proto.getStyledChars;
    proto.getStyledChars = function getStyledChars(this: OutputCachesLike, line: string): StyledChar[] {
      const cached = this.styledChars.get(line);
      if (cached !== undefined) return cached;
      const fast = fastStyledChars(line);
      if (fast === undefined) return inks.call(this, line);
      this.styledChars.set(line, fast);
      return fast;
    };
    return true;
  } catch {
    return false;
  }
}
