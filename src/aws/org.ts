// Many accounts: the organization's accounts (Organizations) and a session in each (STS
// AssumeRole), or one credential source per shared-config profile. Every (account, Region) gets
// its own clients — so its own KMS pacing, per account and Region as AWS's quotas are — and all
// of them share one cap on requests in flight.

import { DescribeOrganizationCommand, ListAccountsCommand, ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand, ListRootsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { CallerIdentity } from '../domain/key.js';
import { KeywardenError } from '../domain/errors.js';
import { AccountClock } from '../domain/clock.js';
import { cleanText } from '../domain/sanitize.js';
import { makeClient } from './endpoint-guard.js';
import { createClients, sharedClientConfig, type Clients, type ConnectOptions, type CredentialProvider, type InFlightCap, type StaticCredentials } from './clients.js';
import { toDomainError } from './errors.js';

export interface OrgAccount {
  id: string;
  name: string;
  status: string;
  /** The OU the account is in (its name), absent for an account directly under the root. */
  ou?: string;
  ouId?: string;
}

/** The default role assumed in each account with --org ("use a read-only role of your own": README). */
export const DEFAULT_ORG_ROLE = 'OrganizationAccountAccessRole';

/** Organizations' pages (ListAccounts and the others allow 20 at most). */
async function allPages<T>(fetch: (token: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    out.push(...(page.items ?? []));
    token = page.next;
  } while (token);
  return out;
}

/**
 * The organization's accounts, with the OU each is in (walking the tree from the root), narrowed to
 * `accounts` (ids) and/or the subtree of `ou`. An id or OU that is not in the organization is a
 * usage error, so a typo does not silently read nothing.
 */
export async function discoverAccounts(org: OrganizationsClient, filter: { accounts?: readonly string[]; ou?: string } = {}): Promise<{ managementAccount: string; accounts: OrgAccount[] }> {
  try {
    const description = await org.send(new DescribeOrganizationCommand({}));
    const all = await allPages(async (token) => {
      const out = await org.send(new ListAccountsCommand({ ...(token ? { NextToken: token } : {}) }));
      return { items: out.Accounts, next: out.NextToken };
    });
    const roots = await allPages(async (token) => {
      const out = await org.send(new ListRootsCommand({ ...(token ? { NextToken: token } : {}) }));
      return { items: out.Roots, next: out.NextToken };
    });
    const ouOf = new Map<string, { id: string; name: string }>();
    const subtree = new Set<string>();
    const walk = async (parentId: string, parentOu: { id: string; name: string } | undefined, inside: boolean): Promise<void> => {
      const members = await allPages(async (token) => {
        const out = await org.send(new ListAccountsForParentCommand({ ParentId: parentId, ...(token ? { NextToken: token } : {}) }));
        return { items: out.Accounts, next: out.NextToken };
      });
      for (const account of members) {
        if (parentOu && account.Id) ouOf.set(account.Id, parentOu);
        if (inside && account.Id) subtree.add(account.Id);
      }
      const ous = await allPages(async (token) => {
        const out = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, ...(token ? { NextToken: token } : {}) }));
        return { items: out.OrganizationalUnits, next: out.NextToken };
      });
      for (const ou of ous) {
        if (!ou.Id) continue;
        if (filter.ou === ou.Id) subtree.add(`ou:${ou.Id}`);
        await walk(ou.Id, { id: ou.Id, name: ou.Name ?? ou.Id }, inside || filter.ou === ou.Id);
      }
    };
    for (const root of roots) if (root.Id) await walk(root.Id, undefined, filter.ou === root.Id);
    if (filter.ou && !subtree.has(`ou:${filter.ou}`) && !roots.some((r) => r.Id === filter.ou)) {
      throw new KeywardenError('usage', `--ou ${filter.ou}: no such OU or root in the organization`);
    }
    let accounts: OrgAccount[] = all.map((a) => {
      const ou = ouOf.get(a.Id ?? '');
      return { id: a.Id ?? '', name: cleanText(a.Name ?? a.Id ?? ''), status: a.Status ?? a.State ?? 'ACTIVE', ...(ou ? { ou: cleanText(ou.name), ouId: ou.id } : {}) };
    });
    if (filter.ou) accounts = accounts.filter((a) => subtree.has(a.id));
    if (filter.accounts && filter.accounts.length > 0) {
      const unknown = filter.accounts.filter((id) => !accounts.some((a) => a.id === id));
      if (unknown.length > 0) throw new KeywardenError('usage', `--accounts: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the organization${filter.ou ? ` under ${filter.ou}` : ''}`);
      accounts = accounts.filter((a) => filter.accounts!.includes(a.id));
    }
    return { managementAccount: description.Organization?.MasterAccountId ?? '', accounts };
  } catch (error) {
    if (error instanceof KeywardenError) throw error;
    throw toDomainError(error, 'Organizations');
  }
}

/** Every account's name by id (ListAccounts, all pages); names are cleaned of control characters. */
export async function listAccountNames(org: OrganizationsClient): Promise<Map<string, string>> {
  try {
    const all = await allPages(async (token) => {
      const out = await org.send(new ListAccountsCommand({ ...(token ? { NextToken: token } : {}) }));
      return { items: out.Accounts, next: out.NextToken };
    });
    return new Map(all.filter((a) => a.Id && a.Name).map((a) => [a.Id!, cleanText(a.Name!)]));
  } catch (error) {
    throw toDomainError(error, 'Organizations');
  }
}

export interface AssumeRoleOptions {
  /** Clients of the credentials that assume the role (the management or delegated-administrator account). */
  base: Pick<ConnectOptions, 'profile' | 'endpoint' | 'credentials' | 'allowInsecureEndpoint'>;
  roleArn: string;
  /** RoleSessionName and SourceIdentity: who is operating (CloudTrail shows both in the account). */
  sessionName: string;
  sourceIdentity?: string;
  durationSeconds?: number;
  /** The account's time (a keywarden sandbox's clock): expiry is translated into this machine's time for the SDK. */
  clock?: AccountClock;
}

/**
 * A credential provider for a role in another account: AssumeRole on first use, and again when
 * the SDK's identity memoization finds the session about to expire (its `expiration`, moved into
 * this machine's time when the account's clock is a sandbox's). Concurrent callers share one call.
 */
export function assumeRoleProvider(options: AssumeRoleOptions): CredentialProvider & { close(): void } {
  const sts = makeClient(STSClient, { ...sharedClientConfig(options.base), region: 'us-east-1', maxAttempts: 3 }, { allowInsecure: options.base.allowInsecureEndpoint ?? false });
  let pending: Promise<StaticCredentials & { expiration?: Date }> | undefined;
  let current: (StaticCredentials & { expiration?: Date }) | undefined;
  const fresh = (c: { expiration?: Date } | undefined) => c !== undefined && (!c.expiration || c.expiration.getTime() - Date.now() > 5 * 60_000);
  // The session expires in the account's time; the SDK compares `expiration` with this machine's
  // clock. A getter moves it into this machine's time on every look, so a sandbox clock moved
  // forward after the session was made still renews it in time.
  const provider = async () => {
    if (fresh(current)) return current!;
    pending ??= (async () => {
      try {
        const out = await sts.send(
          new AssumeRoleCommand({
            RoleArn: options.roleArn,
            RoleSessionName: options.sessionName,
            ...(options.sourceIdentity ? { SourceIdentity: options.sourceIdentity } : {}),
            ...(options.durationSeconds ? { DurationSeconds: options.durationSeconds } : {}),
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new KeywardenError('aws', `AssumeRole ${options.roleArn} returned no credentials`);
        const clock = options.clock;
        const session: StaticCredentials & { expiration?: Date } = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        };
        const expiresAt = c.Expiration?.getTime();
        if (expiresAt !== undefined) {
          Object.defineProperty(session, 'expiration', { enumerable: true, get: () => new Date(expiresAt - (clock ? clock.offsetMs : 0)) });
        }
        current = session;
        return current;
      } catch (error) {
        if (error instanceof KeywardenError) throw error;
        const domain = toDomainError(error, 'AssumeRole');
        throw new KeywardenError(domain.kind, `cannot assume ${options.roleArn}: ${domain.message.replace(/^AssumeRole: /, '')}`, { ...(domain.code ? { code: domain.code } : {}), cause: error });
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
  return Object.assign(provider, { close: () => sts.destroy() });
}

/** `keywarden-<user>`: a session name within AWS's 2–64 characters of [\w+=,.@-]. */
export function operatorSessionName(user: string): string {
  const clean = user.replace(/[^\w+=,.@-]/g, '-').slice(0, 52);
  return `keywarden-${clean.length >= 1 ? clean : 'operator'}`;
}

/** One account of a multi-account connection: its clients, or why it cannot be read. */
export interface AccountHandle {
  id: string;
  name: string;
  ou?: string;
  /** The role assumed to read it (ARN), when --org. */
  roleArn?: string;
  /** The profile it is read through, when --profiles. */
  profile?: string;
  clients?: Clients;
  /** Why the account is not read (suspended, …); a role that cannot be assumed shows when its first call fails. */
  error?: string;
  /** Clients that make changes in this account (--operator-role), built on first use. */
  operatorClients?(): Clients;
}

export interface OrgConnectOptions {
  regions: readonly string[];
  base: Pick<ConnectOptions, 'profile' | 'endpoint' | 'credentials' | 'allowInsecureEndpoint'>;
  accounts: readonly OrgAccount[];
  role: string;
  operatorRole?: string;
  sessionName: string;
  sourceIdentity?: string;
  inFlight: InFlightCap;
  accountClock?: AccountClock;
  quotaScale?: number;
  /** Read-only clients for reading (always, with --org), whatever --operator-role says: changes use the operator clients. */
  readOnly: boolean;
  /** The account of the base credentials: read with them (no role to assume in one's own account). */
  callerAccount?: string;
}

/** An account's ARN partition prefix: commercial AWS. */
const roleArnOf = (account: string, role: string) => `arn:aws:iam::${account}:role/${role}`;

export function orgAccountHandles(options: OrgConnectOptions): { handles: AccountHandle[]; close(): void } {
  const closers: Array<() => void> = [];
  const handles = options.accounts.map((account): AccountHandle => {
    const base: AccountHandle = { id: account.id, name: account.name, ...(account.ou ? { ou: account.ou } : {}) };
    if (account.status !== 'ACTIVE') return { ...base, error: `account is ${account.status.toLowerCase()}` };
    // The caller's own account is read with the caller's credentials (OrganizationAccountAccessRole exists only in member accounts).
    const own = account.id === options.callerAccount;
    const roleArn = own ? undefined : roleArnOf(account.id, options.role);
    let credentials: ConnectOptions['credentials'];
    if (roleArn) {
      const provider = assumeRoleProvider({ base: options.base, roleArn, sessionName: options.sessionName, ...(options.sourceIdentity ? { sourceIdentity: options.sourceIdentity } : {}), ...(options.accountClock ? { clock: options.accountClock } : {}) });
      closers.push(provider.close);
      credentials = provider;
    } else {
      credentials = options.base.credentials;
    }
    const clients = createClients({
      regions: options.regions,
      ...(options.base.endpoint ? { endpoint: options.base.endpoint } : {}),
      ...(options.base.allowInsecureEndpoint ? { allowInsecureEndpoint: true } : {}),
      ...(own && options.base.profile ? { profile: options.base.profile } : {}),
      ...(credentials ? { credentials } : {}),
      readOnly: options.readOnly,
      inFlight: options.inFlight,
      ...(options.accountClock ? { accountClock: options.accountClock } : {}),
      ...(options.quotaScale !== undefined ? { quotaScale: options.quotaScale } : {}),
    });
    closers.push(() => clients.destroy());
    let operator: Clients | undefined;
    return {
      ...base,
      ...(roleArn ? { roleArn } : {}),
      clients,
      ...(options.operatorRole
        ? {
            operatorClients: () => {
              if (operator) return operator;
              const operatorProvider = assumeRoleProvider({ base: options.base, roleArn: roleArnOf(account.id, options.operatorRole!), sessionName: options.sessionName, ...(options.sourceIdentity ? { sourceIdentity: options.sourceIdentity } : {}), ...(options.accountClock ? { clock: options.accountClock } : {}) });
              closers.push(operatorProvider.close);
              operator = createClients({
                regions: options.regions,
                ...(options.base.endpoint ? { endpoint: options.base.endpoint } : {}),
                ...(options.base.allowInsecureEndpoint ? { allowInsecureEndpoint: true } : {}),
                credentials: operatorProvider,
                inFlight: options.inFlight,
                ...(options.accountClock ? { accountClock: options.accountClock } : {}),
                ...(options.quotaScale !== undefined ? { quotaScale: options.quotaScale } : {}),
              });
              closers.push(() => operator!.destroy());
              return operator;
            },
          }
        : {}),
    };
  });
  return {
    handles,
    close: () => {
      for (const close of closers) close();
    },
  };
}

/** An Organizations client for the base credentials (Organizations answers in us-east-1). */
/** The account of the base credentials (GetCallerIdentity). */
export async function baseCallerAccount(base: OrgConnectOptions['base']): Promise<string> {
  const sts = makeClient(STSClient, { ...sharedClientConfig(base), region: 'us-east-1', maxAttempts: 3 }, { allowInsecure: base.allowInsecureEndpoint ?? false });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
  } catch (error) {
    throw toDomainError(error, 'GetCallerIdentity');
  } finally {
    sts.destroy();
  }
}

export function organizationsClient(base: OrgConnectOptions['base']): OrganizationsClient {
  return makeClient(OrganizationsClient, { ...sharedClientConfig(base), region: 'us-east-1', maxAttempts: 5 }, { allowInsecure: base.allowInsecureEndpoint ?? false });
}

/** Who a set of clients calls as (GetCallerIdentity): with --operator-role, the assumed-role session in the key's account. */
export async function callerIdentityOf(clients: Clients): Promise<CallerIdentity> {
  try {
    const out = await clients.sts().send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
  } catch (error) {
    throw toDomainError(error, 'GetCallerIdentity');
  }
}

export interface ProfileConnectOptions {
  regions: readonly string[];
  profiles: readonly string[];
  endpoint?: string;
  allowInsecureEndpoint?: boolean;
  inFlight: InFlightCap;
  accountClock?: AccountClock;
  quotaScale?: number;
  readOnly: boolean;
}

/**
 * --profiles / --all-profiles: one credential source per profile of the shared config files,
 * through the SDK's own provider chain (static keys, SSO, role_arn + source_profile,
 * credential_process; it renews what expires). Each profile is read as its account (GetCallerIdentity);
 * a profile whose credentials cannot be had is a failed account with the reason; a second profile
 * of an account already read is left out (its keys would be listed twice).
 */
export async function profileAccountHandles(options: ProfileConnectOptions): Promise<{ handles: AccountHandle[]; close(): void }> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const closers: Array<() => void> = [];
  const common = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.allowInsecureEndpoint ? { allowInsecureEndpoint: true } : {}),
    inFlight: options.inFlight,
    ...(options.accountClock ? { accountClock: options.accountClock } : {}),
    ...(options.quotaScale !== undefined ? { quotaScale: options.quotaScale } : {}),
  };
  const resolved = await Promise.all(
    options.profiles.map(async (profile): Promise<AccountHandle> => {
      const credentials = fromNodeProviderChain({ profile }) as unknown as CredentialProvider;
      const clients = createClients({ regions: options.regions, credentials, readOnly: options.readOnly, ...common });
      closers.push(() => clients.destroy());
      try {
        const identity = await callerIdentityOf(clients);
        let operator: Clients | undefined;
        return {
          id: identity.account,
          name: profile,
          profile,
          clients,
          ...(options.readOnly
            ? {}
            : {
                operatorClients: () => {
                  operator ??= createClients({ regions: options.regions, credentials, ...common });
                  closers.push(() => operator!.destroy());
                  return operator;
                },
              }),
        };
      } catch (error) {
        return { id: '', name: profile, profile, error: `profile ${profile}: ${toDomainError(error).message}` };
      }
    }),
  );
  const seen = new Set<string>();
  const handles = resolved.filter((handle) => {
    if (handle.error) return true;
    if (seen.has(handle.id)) return false;
    seen.add(handle.id);
    return true;
  });
  return {
    handles,
    close: () => {
      for (const close of closers) close();
    },
  };
}
