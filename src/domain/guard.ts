// The guard against disabling or deleting a key in use, as a change to the key policy (`keywarden
// guard add|remove`): the new policy (AWS's recommended Deny appended, or keywarden's guard
// statement taken out), a line diff to preview, the check that the operator is never locked out
// (the guard must not deny kms:PutKeyPolicy), and which DisableKey/ScheduleKeyDeletion calls of
// the CloudTrail window it would have refused. Pure: policy text and events in, plans out.

import { GUARD_SID, guardStatement } from './findings.js';
import { parsePolicy, statementCoversAction } from './policy.js';
import { cleanText } from './sanitize.js';
import { USE_OPERATIONS, type UsageEvent } from './usage.js';

export type GuardPlan =
  | { ok: true; before: string; after: string; diff: string[]; statement?: Record<string, unknown> }
  | { ok: false; reason: string };

function pretty(policy: unknown): string {
  return JSON.stringify(policy, null, 2);
}

function parsedObject(text: string): Record<string, unknown> | string {
  const parsed = parsePolicy(text);
  if (!parsed.ok) return `the key policy cannot be read (${parsed.error}); change it by hand`;
  const raw = JSON.parse(text) as Record<string, unknown>;
  return { ...raw, Statement: Array.isArray(raw['Statement']) ? raw['Statement'] : [raw['Statement']] };
}

function isGuard(statement: unknown): boolean {
  return typeof statement === 'object' && statement !== null && (statement as Record<string, unknown>)['Sid'] === GUARD_SID;
}

/** The new policy with the guard statement (replacing keywarden's earlier one, if any). */
export function planGuardAdd(policyText: string, options: { days: number; exceptRole?: string | undefined }): GuardPlan {
  const policy = parsedObject(policyText);
  if (typeof policy === 'string') return { ok: false, reason: policy };
  const statement = guardStatement(options.days, options.exceptRole);
  // Never lock the operator out: the statement must not deny changing the policy back.
  const check = parsePolicy({ Statement: [statement] });
  if (!check.ok || check.statements.some((s) => s.effect === 'Deny' && statementCoversAction(s, 'kms:PutKeyPolicy'))) {
    return { ok: false, reason: 'the guard statement would deny kms:PutKeyPolicy' };
  }
  const statements = (policy['Statement'] as unknown[]).filter((s) => !isGuard(s));
  const after = { ...policy, Statement: [...statements, statement] };
  const before = pretty(policy);
  const afterText = pretty(after);
  if (before === afterText) return { ok: false, reason: `the policy already has this guard (Sid ${GUARD_SID}); nothing to change` };
  return { ok: true, before, after: afterText, diff: lineDiff(before, afterText), statement };
}

/** The policy without keywarden's guard statement. */
export function planGuardRemove(policyText: string): GuardPlan {
  const policy = parsedObject(policyText);
  if (typeof policy === 'string') return { ok: false, reason: policy };
  const statements = policy['Statement'] as unknown[];
  if (!statements.some(isGuard)) return { ok: false, reason: `the key policy has no keywarden guard (no statement with Sid ${GUARD_SID}); nothing to remove` };
  const after = { ...policy, Statement: statements.filter((s) => !isGuard(s)) };
  const before = pretty(policy);
  const afterText = pretty(after);
  return { ok: true, before, after: afterText, diff: lineDiff(before, afterText) };
}

/** A unified-style line diff (`  ` same, `- ` removed, `+ ` added) by longest common subsequence. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i -= 1) for (let j = m - 1; j >= 0; j -= 1) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i += 1;
      j += 1;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < n) out.push(`- ${a[i++]}`);
  while (j < m) out.push(`+ ${b[j++]}`);
  return out;
}

export interface GuardReplay {
  eventId: string;
  time: string;
  operation: string;
  caller: string;
  /** refused: used within the guard's days before the call; exempt: the break-glass role; allowed: not used within them; unknown: no use in the window, and the window is shorter than the guard's days. */
  verdict: 'refused' | 'exempt' | 'allowed' | 'unknown';
  /** Days since the last successful use before the call, when the window shows one. */
  daysSinceUse?: number;
}

const DAY = 86_400_000;

/**
 * Which DisableKey / ScheduleKeyDeletion calls of the window the guard would have refused: a call
 * is refused when the key's last successful cryptographic use before it (as the window's events
 * show) is at most `days` whole days earlier (kms:TrailingDaysWithoutKeyUsage, NumericLessThanEquals).
 */
export function replayGuard(events: readonly UsageEvent[], options: { days: number; exceptRole?: string | undefined; windowStartMs: number }): GuardReplay[] {
  const sorted = [...events].sort((x, y) => x.timeMs - y.timeMs);
  const out: GuardReplay[] = [];
  let lastUse: number | undefined;
  for (const event of sorted) {
    if (!event.errorCode && USE_OPERATIONS.has(event.operation)) lastUse = event.timeMs;
    if (event.operation !== 'DisableKey' && event.operation !== 'ScheduleKeyDeletion') continue;
    const caller = event.roleArn ?? event.arn ?? event.invokedBy ?? 'unknown caller';
    const base = { eventId: event.eventId, time: event.time, operation: event.operation, caller };
    if (options.exceptRole && (event.roleArn === options.exceptRole || event.arn === options.exceptRole)) {
      out.push({ ...base, verdict: 'exempt' });
      continue;
    }
    if (lastUse !== undefined) {
      const days = Math.floor((event.timeMs - lastUse) / DAY);
      out.push({ ...base, verdict: days <= options.days ? 'refused' : 'allowed', daysSinceUse: days });
      continue;
    }
    // No use seen since the window began: the guard refuses only if the key was used within
    // `days` before the call, which the window cannot tell when it is shorter than that.
    const seenDays = Math.floor((event.timeMs - options.windowStartMs) / DAY);
    out.push({ ...base, verdict: seenDays > options.days ? 'allowed' : 'unknown' });
  }
  return out;
}

/** The replay in words, one line per past call (no indentation): the preview's "would have refused". */
export function replayWords(replay: readonly GuardReplay[], problem: string | undefined, days: number): string[] {
  if (problem) return [`CloudTrail could not be read (${cleanText(problem)}): which past calls the guard would have refused is not known.`];
  if (replay.length === 0) return ['No DisableKey or ScheduleKeyDeletion call in the last 90 days (CloudTrail).'];
  return replay.map((r) => {
    const words =
      r.verdict === 'refused'
        ? `would have been REFUSED: used ${r.daysSinceUse} day${r.daysSinceUse === 1 ? '' : 's'} before (≤ ${days})`
        : r.verdict === 'exempt'
          ? 'allowed: the break-glass role'
          : r.verdict === 'allowed'
            ? `allowed: no use in the ${r.daysSinceUse ?? 'more than ' + days} days before`
            : `not known: no use in CloudTrail's window before it, which is shorter than ${days} days`;
    return `${r.time} ${r.operation} by ${cleanText(r.caller)}: ${words}`;
  });
}
