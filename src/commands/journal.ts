// `keywarden journal [--key KEY] [--json]`: every change keywarden made, oldest first.

import { cleanText } from '../domain/sanitize.js';
import { printError, printJson, printLine } from './output.js';

/** A key id (`1234abcd-…`, `mrk-…`) or key ARN: matched in the journal as it is; anything else is an alias to look up first. */
export function isKeyIdOrArn(key: string): boolean {
  return /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(key) || /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(key);
}

/** A key matches by ARN, by key id, or by the end of its ARN. Aliases are not stored in the journal. */
export function keyMatches(keyArn: string, key: string): boolean {
  return keyArn === key || keyArn.endsWith(`/${key}`);
}

export async function runJournal(options: { key?: string; json: boolean }): Promise<number> {
  const [{ Journal, pairEntries }, { journalPath }] = await Promise.all([import('../journal/journal.js'), import('../journal/paths.js')]);
  const journal = new Journal();
  const { entries, problems } = await journal.read();
  const mine = options.key ? entries.filter((entry) => keyMatches(entry.keyArn, options.key!)) : entries;
  if (options.json) {
    printJson({ path: journalPath(), entries: mine, problems });
  } else {
    const operations = pairEntries(mine);
    if (operations.length === 0) printLine(options.key ? `no journal entries for ${options.key}` : 'the journal is empty: no change has been made yet');
    for (const { intent, result } of operations) {
      const outcome = !result ? 'OUTCOME UNKNOWN (no result recorded)' : result.outcome?.ok ? `ok${result.outcome.requestId ? ` ${result.outcome.requestId}` : ''}` : `failed: ${cleanText(result.outcome && !result.outcome.ok ? `${result.outcome.code} ${result.outcome.message}` : '')}`;
      printLine(`${intent.time}  ${intent.action.padEnd(20)} ${intent.keyArn}  ${JSON.stringify(intent.params)}  by ${intent.caller}  → ${outcome}`);
    }
  }
  for (const problem of problems) printError(`journal line ${problem.line}: ${problem.reason}`);
  return 0;
}
