import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { enterAlternateScreen } from './alternate-screen.js';

function terminal(isTTY: boolean) {
  const out = new PassThrough() as PassThrough & { isTTY: boolean };
  out.isTTY = isTTY;
  const written: string[] = [];
  out.on('data', (chunk: Buffer) => written.push(chunk.toString()));
  return { out: out as unknown as NodeJS.WriteStream, written };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('enterAlternateScreen', () => {
  it('switches a terminal to the alternate screen and back once, and stops watching the exit', async () => {
    const { out, written } = terminal(true);
    const exitListeners = process.listenerCount('exit');
    const leave = enterAlternateScreen(out);
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    leave();
    leave();
    await flush();
    expect(written.join('')).toBe('\u001b[?1049h\u001b[H\u001b[?1049l');
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });

  it('leaves the alternate screen when the process exits without leaving it', async () => {
    const { out, written } = terminal(true);
    enterAlternateScreen(out);
    const listener = process.listeners('exit').at(-1) as () => void;
    listener();
    await flush();
    expect(written.join('')).toBe('\u001b[?1049h\u001b[H\u001b[?1049l');
  });

  it('writes nothing when the output is not a terminal', async () => {
    const { out, written } = terminal(false);
    const exitListeners = process.listenerCount('exit');
    enterAlternateScreen(out)();
    await flush();
    expect(written).toEqual([]);
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });
});
