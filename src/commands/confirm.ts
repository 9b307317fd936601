// The one way a command asks the operator to confirm something that changes AWS (or the
// sandbox): the same rule everywhere. `--yes` confirms in scripts; without it a terminal is
// needed (else exit 2, nothing changed); a typed confirmation needs the word asked for, a plain
// one a yes; Ctrl-C at the prompt cancels with nothing recorded or changed.

import { createInterface } from 'node:readline/promises';
import { KeywardenError } from '../domain/errors.js';
import { cleanText } from '../domain/sanitize.js';

export type ConfirmRule =
  /** The alias or key id (or another word), typed: for what can break or destroy something. */
  | { kind: 'typed'; word: string; matches?: (answer: string) => boolean; hint?: string }
  /** A yes. */
  | { kind: 'plain' };

/** One question on the terminal; Ctrl-C answers "cancelled", never a silent exit. */
export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const cancel = new AbortController();
  rl.once('SIGINT', () => cancel.abort());
  try {
    return await rl.question(question, { signal: cancel.signal });
  } catch (error) {
    if (cancel.signal.aborted) throw new KeywardenError('validation', 'cancelled (Ctrl-C): nothing was recorded or changed', { cause: error });
    throw error;
  } finally {
    rl.close();
  }
}

/**
 * Returns when confirmed; throws (nothing changed) otherwise: 'confirmation' (exit 2) when it
 * cannot be asked, 'validation' (exit 1) for a wrong answer or Ctrl-C.
 */
export async function confirm(what: string, rule: ConfirmRule, options: { yes: boolean }): Promise<void> {
  if (options.yes) return;
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new KeywardenError('confirmation', `${what} needs confirmation: run it in a terminal, or pass --yes. Nothing was changed.`);
  }
  if (rule.kind === 'typed') {
    const answer = await ask(`${what}. Type "${cleanText(rule.word)}"${rule.hint ? ` (${rule.hint})` : ''} to confirm: `);
    const ok = rule.matches ? rule.matches(answer) : answer.trim() === rule.word;
    if (!ok) throw new KeywardenError('validation', answer.trim() ? `"${cleanText(answer.trim())}" is not "${cleanText(rule.word)}": nothing was changed` : `not confirmed: nothing was changed`);
    return;
  }
  const answer = await ask(`${what}. Go ahead? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new KeywardenError('validation', 'not confirmed: nothing was changed');
}
