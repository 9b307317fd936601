// `keywarden usage` with several accounts: the key is read in its own account (its ARN names it),
// and the callers from other accounts are grouped by account, named from the organization when
// it can be read (src/domain/outside-callers.ts).

import type { Connection } from '../app/connect.js';
import type { Clients } from '../aws/clients.js';
import { accountForKey } from '../app/key-account.js';
import { keyAccount, outsideCallers, type OutsideAccount } from '../domain/outside-callers.js';
import type { UsageSummary } from '../domain/usage.js';

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
  // --org names the accounts it reads (--profiles names them by profile); any other is asked of Organizations.
  const names = new Map<string, string>(connection.accounts && !connection.accounts.some((a) => a.profile) ? connection.accounts.filter((a) => a.name && a.id).map((a) => [a.id, a.name]) : []);
  if (unnamed.some((group) => !names.has(group.accountId)) && connection.organizationAccountNames) {
    const organization = await connection.organizationAccountNames().catch(() => new Map<string, string>());
    for (const [id, name] of organization) if (!names.has(id)) names.set(id, name);
  }
  return outsideCallers(summary, owner, names);
}
