// Where scripted commands write: JSON on stdout, messages on stderr.

import { redactSecrets } from '../domain/sanitize.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`keywarden: ${redactSecrets(text, [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN])}\n`);
}
