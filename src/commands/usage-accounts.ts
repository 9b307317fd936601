// `keywarden usage` with several accounts: the key is read in its own account (its ARN names it),
// and the callers from other accounts are grouped by account, named from the organization when
// it can be read (src/domain/outside-callers.ts).

import type { Connection } from '../app/connect.js';
import type { Clients } from '../aws/clients.js';
import { accountForKey } from '../app/key-account.js';
import { keyAccount, outsideCallers, type OutsideAccount } from '../domain/outside-callers.js';
import type { UsageSummary } from '../domain/usage.js';
import { CALLER_TRAILS_NOT_READ, withCallerTrails, type CallerTrails, type CallerTrailStatus, type OwnerCalls } from '../domain/caller-trails.js';

/** The clients that read `keyRef`: the connection's, or with --org / --profiles those of the key's own account (src/app/key-account.ts). */
export function usageClients(connection: Connection, keyRef: string): Clients {
  const account = accountForKey(connection, keyRef);
  return account ? account.clients! : connection.clients;
}

/**
 * The callers of other accounts than the key's, grouped by account. Names: the accounts keywarden
 * reads (--org), and for the others the organization's (ListAccounts) when the caller may read it —
 * asked only when a caller from outside has no name yet, and left out (ids only) when it cannot be read.
 */
export async function outsideAccountsOf(connection: Connection | undefined, keyArn: string, summary: UsageSummary | null): Promise<OutsideAccount[] | undefined> {
  const owner = keyAccount(keyArn);
  if (!summary || !owner) return undefined;
  const unnamed = outsideCallers(summary, owner);
  if (unnamed.length === 0 || !connection) return unnamed;
  return outsideCallers(summary, owner, await accountNames(connection, unnamed.map((g) => g.accountId)));
}

/** Names of accounts: the accounts --org reads, and Organizations' for the others (asked only when one of `wanted` has none yet). */
async function accountNames(connection: Connection, wanted: readonly string[]): Promise<Map<string, string>> {
  // --org names the accounts it reads (--profiles names them by profile); any other is asked of Organizations.
  const names = new Map<string, string>(connection.accounts && !connection.accounts.some((a) => a.profile) ? connection.accounts.filter((a) => a.name && a.id).map((a) => [a.id, a.name]) : []);
  if (wanted.some((id) => !names.has(id)) && connection.organizationAccountNames) {
    const organization = await connection.organizationAccountNames().catch(() => new Map<string, string>());
    for (const [id, name] of organization) if (!names.has(id)) names.set(id, name);
  }
  return names;
}

/** `usage --json` `callerTrails`: the other accounts' trails read for the key, or why they were not. */
export type CallerTrailsDocument =
  | { read: true; window: CallerTrails['window']; capped?: string; accounts: CallerTrailStatus[] }
  | { read: false; note: string };

/**
 * The outside groups with the failed calls found only in the callers' own trails (read with several
 * accounts: `trails`), and what was read there. Without `trails` the groups are the key owner's
 * trail's alone and the document says what that leaves out.
 */
export async function outsideAccountsWithTrails(
  connection: Connection | undefined,
  keyArn: string,
  summary: UsageSummary | null,
  trails: { read: CallerTrails; owner: OwnerCalls } | undefined,
): Promise<{ outside?: OutsideAccount[]; callerTrails: CallerTrailsDocument }> {
  const groups = await outsideAccountsOf(connection, keyArn, summary);
  if (!trails || !groups) return { ...(groups ? { outside: groups } : {}), callerTrails: { read: false, note: CALLER_TRAILS_NOT_READ } };
  const found = trails.read.accounts.map((a) => a.accountId);
  const names = connection ? await accountNames(connection, found) : new Map<string, string>();
  const merged = withCallerTrails(groups, trails.read, keyArn, trails.owner, names);
  return {
    outside: merged.outside,
    callerTrails: { read: true, window: trails.read.window, ...(trails.read.capped ? { capped: trails.read.capped } : {}), accounts: merged.statuses },
  };
}
