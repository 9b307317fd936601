// One key's commands with several accounts (--org, --profiles): the key's ARN names its account,
// and the command works in that account only — reading through its reading session (--org-role,
// or the profile), changing through --operator-role assumed there (the session the interactive
// view changes keys with: src/app/change-source.ts). Nothing is asked of the other accounts: their
// roles are never assumed (the sessions are made on first use, src/aws/org.ts).

import type { Connection } from './connect.js';
import type { AccountHandle } from '../aws/org.js';
import { KeywardenError } from '../domain/errors.js';
import { accountOfKeyRef, keyArnNeeded } from '../domain/key-account.js';
import { operatorRoleRefusal } from './change-source.js';

/**
 * The account `keyRef` is in, with several accounts; undefined with one (the connection's own).
 * A key not named by its ARN is a usage error; an account out of scope or that cannot be read is
 * refused before anything is sent to it.
 */
export function accountForKey(connection: Connection, keyRef: string): AccountHandle | undefined {
  if (!connection.accounts) return undefined;
  const id = accountOfKeyRef(keyRef);
  if (!id) throw new KeywardenError('usage', keyArnNeeded(keyRef));
  const handle = connection.accounts.find((a) => a.id === id);
  if (!handle) throw new KeywardenError('not-found', `account ${id} is not among the accounts keywarden reads (--accounts, --ou, --profiles): nothing was sent to it`);
  if (!handle.clients) throw new KeywardenError('aws', `account ${handle.name || id} (${id}) cannot be read: ${handle.error ?? 'no credentials'}; nothing was sent to it`);
  return handle;
}

function narrowed(connection: Connection, clients: NonNullable<AccountHandle['clients']>, readOnly: boolean): Connection {
  return {
    clients,
    // The session stays the connection's (endpoint, sandbox, Regions: the disk caches' keys); only this account is used.
    session: { ...connection.session, readOnly },
    now: connection.now,
    ...(connection.sandboxClock ? { sandboxClock: connection.sandboxClock } : {}),
    ...(connection.organizationAccountNames ? { organizationAccountNames: connection.organizationAccountNames } : {}),
    // The clients are the connection's: closing it closes them.
    close: async () => undefined,
  };
}

/** `account`'s reading session (--org-role, or its profile) as a one-account connection. */
export function readingConnection(connection: Connection, account: AccountHandle): Connection {
  return narrowed(connection, account.clients!, true);
}

/**
 * `account`'s session for changes as a one-account connection: --operator-role assumed in it
 * (--org), or its profile's credentials (--profiles). Without --operator-role the change is
 * refused with the interactive view's words; with --read-only the connection is read-only and the
 * command refuses as it does with one account.
 */
export function changingConnection(connection: Connection, account: AccountHandle): Connection {
  if (!account.operatorClients && account.profile === undefined) throw operatorRoleRefusal(account);
  if (connection.session.readOnly || !account.operatorClients) return narrowed(connection, account.clients!, true);
  return narrowed(connection, account.operatorClients(), false);
}
