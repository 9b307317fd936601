// `keywarden guard add KEY [--days N] [--except-role ARN]` and `keywarden guard remove KEY`: put
// the guard AWS recommends against disabling or deleting a key in use into the key policy (or
// take keywarden's out again), as every change is made — previewed (the policy diff, and which
// DisableKey/ScheduleKeyDeletion calls of CloudTrail's 90 days it would have refused), confirmed
// by typing the alias or key id (or --yes), journalled, and read back.

import type { Connection } from '../app/connect.js';
import type { ActionRequest } from '../domain/actions.js';
import { DEFAULT_GUARD_DAYS } from '../domain/findings.js';
import { unknownSubcommand } from './suggest.js';

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
  if (action !== 'add' && action !== 'remove') return { ok: false, message: action ? unknownSubcommand('guard', action, ['add', 'remove']) : 'guard needs a command: add or remove' };
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

/** `guard add|remove` is a change like any other (src/commands/change.ts): the guard's days and break-glass role from the flags, else config.json. */
export async function runGuard(connection: Connection, command: GuardCommand, options: { json: boolean; yes: boolean }): Promise<number> {
  const [{ loadConfig }, { runChange }] = await Promise.all([import('../app/config.js'), import('./change.js')]);
  let request: ActionRequest = { action: 'guard.remove' };
  if (command.action === 'add') {
    const config = await loadConfig();
    const exceptRole = command.exceptRole ?? config.thresholds.breakGlassRole;
    request = { action: 'guard.add', days: command.days ?? config.thresholds.guardDays ?? DEFAULT_GUARD_DAYS, ...(exceptRole ? { exceptRole } : {}) };
  }
  return runChange(connection, { request, key: command.key }, options);
}
