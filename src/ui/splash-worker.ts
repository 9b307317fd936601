// The splash's worker thread (started by showSplash in src/ui/splash.ts): turns the spinner on the
// splash's loading line and reads q and Ctrl-C while the main thread is busy loading modules.
// It writes with fs.writeSync to fd 1, only while holding the shared control word (so the main
// thread's stop() never returns in the middle of a frame, and nothing is written after it), and
// reads the keyboard on a handle of its own (the terminal is already in raw mode).

import { writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { parentPort, workerData } from 'node:worker_threads';
import { SPLASH_IDLE, SPLASH_QUIT, SPLASH_QUITTING, SPLASH_WRITING } from './splash.js';

interface SplashWorkerData {
  /** The loading line with each spinner frame. */
  frames: string[];
  /** When the splash was written (its frame 0). */
  startedAt: number;
  intervalMs: number;
  control: SharedArrayBuffer;
}

const { frames, startedAt, intervalMs, control } = workerData as SplashWorkerData;
const state = new Int32Array(control);
let shown = 0;
let ended = false;

const timer = setInterval(() => {
  const frame = Math.floor((Date.now() - startedAt) / intervalMs) % frames.length;
  if (frame === shown) return;
  if (Atomics.compareExchange(state, 0, SPLASH_IDLE, SPLASH_WRITING) !== SPLASH_IDLE) return end();
  try {
    writeSync(1, `\r${frames[frame]}`);
    shown = frame;
  } catch {
    // a frame the terminal did not take (EAGAIN): the next one will do
  } finally {
    Atomics.store(state, 0, SPLASH_IDLE);
    Atomics.notify(state, 0);
  }
}, intervalMs / 2);

const keys = openKeys();
keys?.on('data', (chunk: Buffer) => {
  if (!chunk.includes(0x71) && !chunk.includes(0x03)) return; // q, Ctrl-C; other keys are dropped, as on the loading screen
  if (Atomics.compareExchange(state, 0, SPLASH_IDLE, SPLASH_QUITTING) !== SPLASH_IDLE) return end(); // Ink has the keyboard
  end();
  parentPort?.postMessage('quit');
  void quitMainThread();
});
keys?.on('error', () => end());

parentPort?.on('message', () => end());

/** The keyboard, on a handle of this thread's own; none when fd 0 is no terminal (the spinner still turns). */
function openKeys(): ReadStream | undefined {
  try {
    return new ReadStream(0);
  } catch {
    return undefined;
  }
}

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
