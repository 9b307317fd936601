// Helpers for ink-testing-library: wait for a frame instead of sleeping, and send keys by name.

import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import type { KeyPress } from '../../src/ui/keymap.js';

/** The last frame with colours and other escape sequences removed. */
export function plain(frame: string | undefined): string {
  return stripVTControlCharacters(frame ?? '');
}

/**
 * How long a frame is waited for by default. Waiting longer costs nothing when the frame comes;
 * 3 s missed on a loaded two-core machine, and a third-party endpoint (KEYWARDEN_TEST_ENDPOINT)
 * may answer more slowly than the sandbox.
 */
const DEFAULT_TIMEOUT_MS = process.env.KEYWARDEN_TEST_ENDPOINT ? 20_000 : 10_000;

/**
 * Polls the last frame (ANSI stripped) until `predicate` holds; returns that frame. Fails with
 * the last frame seen so the test output shows what the screen looked like.
 */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  predicate: (frame: string) => boolean,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  let frame = plain(lastFrame());
  while (!predicate(frame)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for a frame; last frame:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    frame = plain(lastFrame());
  }
  // A frame is written on commit; Ink attaches input handlers in effects that run just after.
  await settle();
  return frame;
}

/** Waits until the frame contains `text`. */
export function waitForText(lastFrame: () => string | undefined, text: string, options?: { timeoutMs?: number }): Promise<string> {
  return waitForFrame(lastFrame, (frame) => frame.includes(text), options);
}

export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  home: '\u001b[H',
  end: '\u001b[F',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  shiftTab: '\u001b[Z',
  backspace: '\u007f',
  ctrlC: '\u0003',
  ctrlF: '\u0006',
  ctrlB: '\u0002',
} as const;
export type KeyName = keyof typeof KEYS;

/** Lets pending effects run (useInput attaches in an effect; a lone Esc is delivered a tick later). */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for React to commit and run effects after an update: Ink schedules the render and then
 * the effects (where useInput subscribes) as separate macrotasks.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await tick(2);
  }
}

/**
 * Writes a key (a name from KEYS, or literal text) to stdin, then yields so Ink can handle it.
 * Escape is followed by a longer pause: Ink waits to see whether it starts a sequence.
 */
export async function press(stdin: { write(data: string): void }, key: KeyName | (string & {})): Promise<void> {
  const data = key in KEYS ? KEYS[key as KeyName] : key;
  stdin.write(data);
  if (data === KEYS.escape) await tick(5);
  await settle();
}

/**
 * ink-testing-library with a terminal `columns` wide (its fake stdout is always 100 columns, and
 * Ink cuts every line at the stdout's width): the width is set, then the tree is drawn again.
 */
export function renderSized(tree: ReactElement, columns: number): ReturnType<typeof render> {
  const app = render(tree);
  Object.defineProperty(app.stdout, 'columns', { get: () => columns, configurable: true });
  app.rerender(tree);
  return app;
}

/** Ink's key flags with nothing pressed: a test spreads the flags of the key it means over it. */
export const NO_KEY: KeyPress = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  tab: false,
  backspace: false,
  delete: false,
  ctrl: false,
  shift: false,
};

/**
 * A frame's text with every run of white space removed, so a string wrapped over several rows is
 * found whole: `expect(unwrapped(frame)).toContain(unwrapped(arn))`.
 */
export function unwrapped(frame: string | undefined): string {
  return plain(frame).replace(/\s+/g, '');
}

/** The widest row of a frame, in columns (nothing is cut at the edge when it is at most the terminal's width). */
export function widestRow(frame: string | undefined): number {
  return Math.max(0, ...plain(frame).split('\n').map((row) => [...row.trimEnd()].length));
}
