// The splash's worker thread (started by showSplash in src/ui/splash.ts): turns the spinner on the
// splash's loading line and reads q and Ctrl-C while the main thread is busy loading modules.
// It writes with fs.writeSync to fd 1, only while holding the shared control word (so the main
// thread's stop() never returns in the middle of a frame, and nothing is written after it), and
// reads the keyboard on a handle of its own (the terminal is already in raw mode).

import { writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { parentPort, workerData } from 'node:worker_threads';
import { SPLASH_IDLE, SPLASH_QUIT, SPLASH_QUITTING, SPLASH_WRITING } from './splash.js';

interface SplashShown {
  /** The loading line with each spinner frame. */
  frames: string[];
  /** When the splash was written (its frame 0). */
  startedAt: number;
  intervalMs: number;
}

const state = new Int32Array((workerData as { control: SharedArrayBuffer }).control);
let timer: NodeJS.Timeout | undefined;
let keys: ReadStream | undefined;
let ended = false;

// Nothing happens until the splash is drawn; then the spinner turns until the main thread stops it.
parentPort?.once('message', (shown: SplashShown) => {
  if (ended) return;
  const { frames, startedAt, intervalMs } = shown;
  let current = 0;
  timer = setInterval(() => {
    const frame = Math.floor((Date.now() - startedAt) / intervalMs) % frames.length;
    if (frame === current) return;
    if (Atomics.compareExchange(state, 0, SPLASH_IDLE, SPLASH_WRITING) !== SPLASH_IDLE) return end();
    try {
      writeSync(1, `\r${frames[frame]}`);
      current = frame;
    } catch {
      // a frame the terminal did not take (EAGAIN): the next one will do
    } finally {
      Atomics.store(state, 0, SPLASH_IDLE);
      Atomics.notify(state, 0);
    }
  }, intervalMs / 2);
  try {
    keys = new ReadStream(0);
  } catch {
    return; // no terminal to read: the spinner turns, the main thread reads the keys once free
  }
  keys.on('data', (chunk: Buffer) => {
    if (!chunk.includes(0x71) && !chunk.includes(0x03)) return; // q, Ctrl-C; other keys are dropped, as on the loading screen
    if (Atomics.compareExchange(state, 0, SPLASH_IDLE, SPLASH_QUITTING) !== SPLASH_IDLE) return end(); // Ink has the keyboard
    end();
    parentPort?.postMessage('quit');
    void quitMainThread();
  });
  keys.on('error', () => end());
});

function end(): void {
  if (ended) return;
  ended = true;
  clearInterval(timer);
  keys?.destroy();
}

/** Runs the main thread's quit at once, even in the middle of evaluating a module. */
async function quitMainThread(): Promise<void> {
  try {
    const { Session } = await import('node:inspector');
    const session = new Session();
    session.connectToMainThread();
    session.post('Runtime.evaluate', { expression: `globalThis[Symbol.for(${JSON.stringify(SPLASH_QUIT.description)})]?.()` });
  } catch {
    // no inspector in this Node: the main thread quits on the message, once it is free
  }
}
