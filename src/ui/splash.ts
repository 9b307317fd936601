// The very first frame, written with plain escape codes before Ink and React are loaded (they
// take most of the start-up time): the header and a loading line, laid out like <Header/> and
// <BootView/>. Ink draws over the same lines once it is ready. No Ink or React imports here.
// The spinner turns in a worker thread (src/ui/splash-worker.ts) until Ink takes the screen.

import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  return [fit(parts.join('  ')), `${muted('as ')}${muted('identity loading…')}`, style(`${SPINNER_FRAMES[0]} loading keys…`, '36', colour)];
}

/** The spinner's frames, shared with <BootView/> so the turn goes on where the splash left it. */
export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Milliseconds per spinner frame. */
export const SPINNER_INTERVAL_MS = 80;

/** The loading line with each spinner frame, styled as the splash draws it. */
export function spinnerLines(lastLine: string): string[] {
  return SPINNER_FRAMES.map((frame) => lastLine.replace(SPINNER_FRAMES[0]!, frame));
}

/** The control word shared with the splash's worker (src/ui/splash-worker.ts): who may write now. */
export const SPLASH_IDLE = 0;
export const SPLASH_WRITING = 1;
export const SPLASH_STOPPED = 2;
export const SPLASH_QUITTING = 3;

/** The function the splash's worker asks the main thread to run when q or Ctrl-C is typed. */
export const SPLASH_QUIT = Symbol.for('keywarden.splash.quit');

export interface Splash {
  /**
   * Stops the spinner for good (waits for a frame being written to be complete, nothing is
   * written after it returns) and puts the cursor back where the splash began, without erasing:
   * Ink's first frame draws the same lines over it, so the screen is never blank in between.
   * When q was typed a moment before, it quits instead. Calling it again does nothing.
   */
  stop(): void;
}

/**
 * Writes the splash and keeps its spinner turning, and reads q and Ctrl-C, in a small worker
 * thread: the main thread is busy for seconds evaluating Ink, React, the AWS SDK and the sandbox
 * and could not draw a frame or read a key meanwhile. The worker writes straight to the terminal
 * (fd 1) and asks the main thread to quit through Node's in-process inspector, which runs it
 * between two statements of whatever the main thread is evaluating (`onQuit`: leave the screen,
 * exit 0, as q does once the keys are shown).
 */
export function showSplash(out: NodeJS.WriteStream, session: SessionInfo, env: Record<string, string | undefined>, onQuit: () => void): Splash {
  const lines = splashLines(session, { colour: !env['NO_COLOR'], columns: out.columns || 80 });
  out.write(`${lines.join('\n')}`);
  const startedAt = Date.now();
  const control = new SharedArrayBuffer(4);
  const state = new Int32Array(control);
  const globals = globalThis as Record<symbol, unknown>;
  // Called by the worker through the inspector: Node would print "Waiting for the debugger to
  // disconnect..." on stderr at exit while the worker's session is open; nothing else is said
  // after q, so stderr is pointed at /dev/null first (the lowest free descriptor is 2 again).
  globals[SPLASH_QUIT] = () => {
    try {
      closeSync(2);
      openSync('/dev/null', 'w');
    } catch {
      // stderr stays as it was
    }
    onQuit();
  };
  // Loaded only now, after the first frame is on the screen (it takes some milliseconds).
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new Worker(new URL('./splash-worker.js', import.meta.url), {
    workerData: { frames: spinnerLines(lines[lines.length - 1]!), startedAt, intervalMs: SPINNER_INTERVAL_MS, control },
    stdin: false,
    stdout: false,
    stderr: false,
  });
  // Without the inspector (a Node built without it) the main thread hears of q when it is free.
  worker.on('message', (message) => {
    if (message === 'quit') onQuit();
  });
  worker.on('error', () => undefined); // a splash that cannot turn is still a splash
  worker.unref();
  /** Takes the terminal from the worker for good; false when the worker is quitting (q was typed). */
  const halt = (): boolean => {
    for (;;) {
      const was = Atomics.compareExchange(state, 0, SPLASH_IDLE, SPLASH_STOPPED);
      if (was === SPLASH_IDLE || was === SPLASH_STOPPED) return true;
      if (was === SPLASH_QUITTING) return false; // it writes nothing more either
      Atomics.wait(state, 0, was, 20); // a frame is being written: a few microseconds
    }
  };
  // However the process ends, no frame follows the last thing the main thread writes.
  process.prependListener('exit', halt);
  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      process.off('exit', halt);
      if (!halt()) {
        onQuit();
        return;
      }
      delete globals[SPLASH_QUIT];
      worker.postMessage('stop');
      void worker.terminate();
      out.write(`\r${lines.length > 1 ? `${ESC}${lines.length - 1}A` : ''}`);
    },
  };
}
