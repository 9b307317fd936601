// Where scripted commands write: JSON on stdout, messages on stderr. This is the one boundary
// text passes on its way to a terminal or a pipe: text lines are cleaned of terminal control
// sequences here (JSON keeps the original bytes; its escapes are inert), and a reader that goes
// away (`keywarden list | head -1`) ends the output quietly instead of crashing the process —
// whatever the command did (a change already made, its journal entry) stands.

import { cleanText, redactSecrets } from '../domain/sanitize.js';

let stdoutClosed = false;

/** Installed once by the entry point: a closed pipe on stdout (EPIPE) stops the output, nothing else. */
export function endOutputQuietlyWhenPipeCloses(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      stdoutClosed = true;
      return;
    }
    throw error;
  });
}

function write(text: string): void {
  if (stdoutClosed || process.stdout.destroyed) return;
  process.stdout.write(text);
}

export function printJson(value: unknown): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One JSON document on one line (JSON Lines). */
export function printJsonLine(value: unknown): void {
  write(`${JSON.stringify(value)}\n`);
}

export function printLine(text = ''): void {
  write(`${cleanText(text, { singleLine: false })}\n`);
}

/** Text that already ends its own lines (a Markdown document). */
export function printText(text: string): void {
  write(cleanText(text, { singleLine: false }));
}

export function printError(text: string): void {
  const clean = cleanText(redactSecrets(text, [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]), { singleLine: false });
  process.stderr.write(`keywarden: ${clean}\n`);
}

/**
 * Says on stderr that calls are being retried after errors that are not throttling (at most once
 * every two seconds), so a slow answer is not silence. Returns the listener for Clients.onRetry.
 */
export function retryNotices(now: () => number = () => Date.now()): (notice: { reason: string; attempt: number; budgetMs: number }) => void {
  let last = -Infinity;
  return (notice) => {
    if (now() - last < 2_000) return;
    last = now();
    printError(`${notice.reason}; retrying (attempt ${notice.attempt}, for up to ${Math.round(notice.budgetMs / 1000)} s in all)`);
  };
}
