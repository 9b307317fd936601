// "Who uses this key from outside": the callers of a usage summary whose account is not the key's,
// grouped by their account (named when the organization is readable), with their failed calls.
//
// What the key owner's trail can show (AWS KMS developer guide, "Logging AWS KMS API calls with
// AWS CloudTrail"): cross-account operations on a key are logged in the caller's account and in
// the key owner's; a cross-account request refused for access is logged only in the caller's.
// So the failures grouped here are the calls that reached the key and failed there (disabled,
// pending deletion, a wrong encryption context …); an attempt the caller's own IAM or the key
// policy refused is in the caller's trail only — with several accounts those trails are read too
// and their calls added (src/domain/caller-trails.ts, `fromCallerTrail`).

import type { FromCallerTrail } from './caller-trails.js';
import type { Caller, UsageSummary } from './usage.js';

export interface OutsideCaller {
  /** The caller's grouping id (role ARN, user ARN …) and its description, as in the summary. */
  id: string;
  description: string;
  count: number;
  failed: number;
  lastSeen: string;
  operations: string[];
  /** Of `count` (all failed): calls found only in the caller's own account's trail. */
  fromCallerTrail?: number;
}

export interface OutsideAccount {
  accountId: string;
  /** The account's name in the organization, when it is known. */
  accountName?: string;
  /** Calls on the key from this account (failed ones included). */
  count: number;
  failed: number;
  lastSeen: string;
  callers: OutsideCaller[];
  /** Error codes of this account's failed calls, most frequent first (from the failed attempts the summary keeps). */
  errorCodes: Array<{ code: string; count: number }>;
  /**
   * Failed calls found only in this account's own trail (refused before they reached the key),
   * already counted in `count`, `failed`, `errorCodes` and the callers. Read with several accounts.
   */
  fromCallerTrail?: FromCallerTrail;
}

/**
 * The account a caller belongs to: the account in its ARN (an IAM role or user, an assumed-role
 * session, an account root). A service (invokedBy) or a caller without an ARN has none.
 */
export function callerAccount(caller: Pick<Caller, 'id' | 'kind'>): string | undefined {
  if (caller.kind === 'service') return undefined;
  return /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(caller.id)?.[1];
}

/** The account in a KMS key ARN. */
export function keyAccount(keyArn: string): string | undefined {
  return /^arn:aws[\w-]*:kms:[^:]*:(\d{12}):/.exec(keyArn)?.[1];
}

/**
 * The callers of `summary` from accounts other than `ownerAccount`, one group per account, most
 * calls first; `names` gives account names (the organization's) where known.
 */
export function outsideCallers(summary: UsageSummary, ownerAccount: string, names: ReadonlyMap<string, string> = new Map()): OutsideAccount[] {
  const groups = new Map<string, OutsideAccount>();
  for (const principal of summary.principals) {
    const account = callerAccount(principal);
    if (!account || account === ownerAccount) continue;
    let group = groups.get(account);
    if (!group) {
      const name = names.get(account);
      group = { accountId: account, ...(name ? { accountName: name } : {}), count: 0, failed: 0, lastSeen: principal.lastSeen, callers: [], errorCodes: [] };
      groups.set(account, group);
    }
    group.count += principal.count;
    group.failed += principal.failed;
    if (principal.lastSeen > group.lastSeen) group.lastSeen = principal.lastSeen;
    group.callers.push({ id: principal.id, description: principal.description, count: principal.count, failed: principal.failed, lastSeen: principal.lastSeen, operations: [...principal.operations] });
  }
  const codes = new Map<string, Map<string, number>>();
  for (const failure of summary.failures) {
    const account = callerAccount(failure.caller);
    if (!account || !groups.has(account)) continue;
    let byCode = codes.get(account);
    if (!byCode) codes.set(account, (byCode = new Map()));
    byCode.set(failure.errorCode, (byCode.get(failure.errorCode) ?? 0) + 1);
  }
  for (const [account, byCode] of codes) {
    groups.get(account)!.errorCodes = [...byCode].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
  }
  for (const group of groups.values()) group.callers.sort((a, b) => b.count - a.count || (a.description < b.description ? -1 : 1));
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.accountId < b.accountId ? -1 : 1));
}

/** "analytics-prod (333344445555)", or the id alone when the name is not known (the name alone when the id is not: a profile whose credentials failed). */
export function accountLabel(group: Pick<OutsideAccount, 'accountId' | 'accountName'>): string {
  if (!group.accountName) return group.accountId;
  return group.accountId ? `${group.accountName} (${group.accountId})` : group.accountName;
}
