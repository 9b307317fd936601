// `keywarden guard add KEY [--days N] [--except-role ARN]` and `keywarden guard remove KEY`: put
// the guard AWS recommends against disabling or deleting a key in use into the key policy (or
// take keywarden's out again), as every change is made — previewed (the policy diff, and which
// DisableKey/ScheduleKeyDeletion calls of CloudTrail's 90 days it would have refused), confirmed
// by typing the alias or key id (or --yes), journalled, and read back.

import { createInterface } from 'node:readline/promises';
import type { Connection } from '../app/connect.js';
import { KeywardenError } from '../domain/errors.js';
import { DEFAULT_GUARD_DAYS } from '../domain/findings.js';
import { planGuardAdd, planGuardRemove, replayGuard, type GuardReplay } from '../domain/guard.js';
import { cleanText } from '../domain/sanitize.js';
import { printError, printJson, printLine } from './output.js';

export interface GuardCommand {
  action: 'add' | 'remove';
  key: string;
  days?: number;
  exceptRole?: string;
}

export type ParsedGuard = { ok: true; command: GuardCommand } | { ok: false; message: string };

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/;

/** `guard add|remove KEY` with `--days N` (1–3650) and `--except-role ARN` (add only). */
export function parseGuard(input: readonly string[], flags: { days?: string | undefined; exceptRole?: string | undefined }): ParsedGuard {
  const [, action, key, ...extra] = input;
  if (action !== 'add' && action !== 'remove') return { ok: false, message: action ? `unknown guard command "${action}" (add, remove)` : 'guard needs a command: add or remove' };
  if (!key) return { ok: false, message: `guard ${action} needs a key: an alias name, key id or key ARN` };
  if (extra.length > 0) return { ok: false, message: `unexpected argument "${extra[0]}"` };
  const command: GuardCommand = { action, key };
  if (action === 'remove' && (flags.days !== undefined || flags.exceptRole !== undefined)) return { ok: false, message: '--days and --except-role only go with "guard add"' };
  if (flags.days !== undefined) {
    const text = flags.days.trim();
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3650) return { ok: false, message: `--days must be a whole number of days from 1 to 3650, not "${flags.days}"` };
    command.days = Number(text);
  }
  if (flags.exceptRole !== undefined) {
    if (!ROLE_ARN.test(flags.exceptRole.trim())) return { ok: false, message: `--except-role must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), not "${flags.exceptRole}"` };
    command.exceptRole = flags.exceptRole.trim();
  }
  return { ok: true, command };
}

function replayLines(replay: readonly GuardReplay[], problem: string | undefined, days: number): string[] {
  if (problem) return [`  CloudTrail could not be read (${cleanText(problem)}): which past calls the guard would have refused is not known.`];
  if (replay.length === 0) return ['  No DisableKey or ScheduleKeyDeletion call in the last 90 days (CloudTrail).'];
  return replay.map((r) => {
    const words =
      r.verdict === 'refused'
        ? `would have been REFUSED: used ${r.daysSinceUse} day${r.daysSinceUse === 1 ? '' : 's'} before (≤ ${days})`
        : r.verdict === 'exempt'
          ? 'allowed: the break-glass role'
          : r.verdict === 'allowed'
            ? `allowed: no use in the ${r.daysSinceUse ?? 'more than ' + days} days before`
            : `not known: no use in CloudTrail's window before it, which is shorter than ${days} days`;
    return `  ${r.time} ${r.operation} by ${cleanText(r.caller)}: ${words}`;
  });
}

export async function runGuard(connection: Connection, command: GuardCommand, options: { json: boolean; yes: boolean }): Promise<number> {
  if (connection.session.readOnly) throw new KeywardenError('read-only', 'read-only mode: no change was made and no request was sent (run without --read-only to make changes)');
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !options.json;
  if (!options.yes && !interactive) {
    printError('this change needs confirmation: run it in a terminal, or pass --yes. Nothing was changed.');
    return 2;
  }
  const [{ readGuardContext, putGuardPolicy }, { AwsKeySource }, { Journal }, { loadConfig }, { confirmationMatches, confirmationWord }] = await Promise.all([
    import('../aws/guard.js'),
    import('../aws/inventory.js'),
    import('../journal/journal.js'),
    import('../app/config.js'),
    import('../domain/actions.js'),
  ]);
  const config = await loadConfig();
  const days = command.days ?? config.thresholds.guardDays ?? DEFAULT_GUARD_DAYS;
  const exceptRole = command.exceptRole ?? config.thresholds.breakGlassRole;
  const identity = await new AwsKeySource(connection.clients).identity();
  const context = await readGuardContext(connection.clients, command.key);
  const row = context.detail.row;
  const plan = command.action === 'add' ? planGuardAdd(context.policy, { days, exceptRole }) : planGuardRemove(context.policy);
  const name = cleanText(row.aliases[0] ?? row.keyId);
  if (!plan.ok) {
    if (options.json) printJson({ ok: false, action: `guard.${command.action}`, key: row.arn, error: { kind: 'invalid-state', message: plan.reason } });
    else printError(`${plan.reason}. Nothing was changed.`);
    return 1;
  }
  const replay = command.action === 'add' ? replayGuard(context.events, { days, exceptRole, windowStartMs: context.windowStartMs }) : [];
  if (!options.json) {
    printLine(`${command.action === 'add' ? 'Add the guard to' : 'Remove the guard from'} the key policy of ${name} (${row.arn})`);
    if (command.action === 'add') {
      printLine(`  Denies kms:DisableKey and kms:ScheduleKeyDeletion while the key was used within ${days} days${exceptRole ? `, except ${cleanText(exceptRole)}` : ''}; never kms:PutKeyPolicy.`);
      printLine('  Calls of the last 90 days it would have refused:');
      for (const line of replayLines(replay, context.eventsProblem, days)) printLine(line);
    }
    printLine('  The policy, before → after:');
    for (const line of plan.diff) printLine(`  ${line}`);
    printLine(`  API call: PutKeyPolicy {"KeyId":"${row.arn}","PolicyName":"default","Policy":…}`);
  }
  if (!options.yes) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const answer = await rl.question(`Type "${cleanText(confirmationWord(row))}" (the alias or key id) to confirm: `);
      if (!confirmationMatches(answer, row)) {
        printError(`that is not "${cleanText(confirmationWord(row))}": nothing was changed`);
        return 1;
      }
    } finally {
      rl.close();
    }
  }
  const result = await putGuardPolicy(connection.clients, new Journal(undefined, { now: connection.now }), identity, { arn: row.arn, region: row.region }, context.policy, plan.after);
  // The policy kept on disk for the findings is out of date now: the next run reads it again.
  const [{ forgetAccess }, { cacheEndpointKey }] = await Promise.all([import('../app/access-cache.js'), import('../app/inventory-cache.js')]);
  await forgetAccess(cacheEndpointKey(connection.session), identity.account, row);
  if (options.json) {
    printJson({ ok: true, action: `guard.${command.action}`, key: row.arn, requestId: result.requestId ?? null, readBack: result.readBack, policy: JSON.parse(plan.after), replay });
  } else {
    printLine(`done${result.requestId ? ` (request id ${result.requestId})` : ''}; ${result.readBack ? 'the policy read back is the new one' : 'WARNING: the policy read back differs from the one sent — check it with keywarden show KEY'}`);
  }
  return result.readBack ? 0 : 1;
}
