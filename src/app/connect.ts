// Wiring: from command-line options to clients pointed at AWS or at the built-in sandbox.
// The sandbox is just another endpoint; everything after this file takes the same path.

import type { SessionInfo } from '../domain/source.js';
import type { Clients } from '../aws/clients.js';
import type { AccountClock, SandboxClock } from '../domain/clock.js';
import type { AccountHandle } from '../aws/org.js';

export interface ConnectFlags {
  profile?: string;
  regions: string[];
  endpointUrl?: string;
  /** Allow plain http:// to a non-loopback --endpoint-url (signed requests cross the network unencrypted). */
  allowInsecureEndpoint?: boolean;
  sandbox: boolean;
  readOnly: boolean;
  /** State file of the in-process sandbox (default: the user's data dir). */
  sandboxState?: string;
  /** The in-process sandbox's request quotas × this (default 1: AWS's). */
  sandboxQuotaScale?: number;
  /** Every region enabled for the account (EC2 DescribeRegions), instead of `regions`. */
  allRegions?: boolean;
  /** Every account of the organization (Organizations), each through `orgRole`. */
  org?: boolean;
  /** The role assumed in each account with --org (default OrganizationAccountAccessRole). */
  orgRole?: string;
  /** Only these accounts of the organization (ids). */
  accounts?: string[];
  /** Only the accounts under this OU (or root) id. */
  ou?: string;
  /** The role assumed in a key's account to change it (--org reads only without it). */
  operatorRole?: string;
  /** Several profiles of the shared config files, each read as its account. */
  profiles?: string[];
  /** Every profile of the shared config files. */
  allProfiles?: boolean;
}

export interface Connection {
  clients: Clients;
  session: SessionInfo;
  /**
   * The account's time: a keywarden sandbox's own clock (in-process with --sandbox, or at
   * --endpoint-url), kept current from its answers; against AWS this machine's.
   */
  now: () => Date;
  /** Present when the endpoint is a keywarden sandbox: its clock, to show and move forward. */
  sandboxClock?: SandboxClock;
  /** Several accounts (--org): each with its own clients, or the reason it cannot be read. `clients` is the base credentials'. */
  accounts?: readonly AccountHandle[];
  /**
   * The organization's account names by id (Organizations ListAccounts with the base credentials),
   * when the caller may read them; rejects otherwise. Asked only when a name is wanted.
   */
  organizationAccountNames?(): Promise<Map<string, string>>;
  /**
   * A connection to other Regions or through another profile, on the same endpoint (`:region`,
   * `:profile`). This one stays open until closed; closing both is the caller's part.
   */
  switchTo?(change: ConnectionChange): Promise<Connection>;
  close(): Promise<void>;
}

export interface ConnectionChange {
  regions?: string[];
  profile?: string;
}

/** Flags that cannot go together, refused before anything starts. */
export async function assertConnectFlags(flags: ConnectFlags): Promise<void> {
  const { KeywardenError } = await import('../domain/errors.js');
  if (flags.sandbox && flags.endpointUrl) {
    throw new KeywardenError('usage', '--sandbox and --endpoint-url cannot be used together: --sandbox starts its own endpoint');
  }
  const byProfiles = flags.allProfiles === true || flags.profiles !== undefined;
  if (byProfiles && flags.org) throw new KeywardenError('usage', '--profiles / --all-profiles and --org cannot be used together: choose the accounts one way');
  if (byProfiles && flags.profile) throw new KeywardenError('usage', '--profile and --profiles / --all-profiles cannot be used together');
  if (flags.allProfiles && flags.profiles) throw new KeywardenError('usage', '--profiles and --all-profiles cannot be used together');
  if (flags.profiles && flags.profiles.length === 0) throw new KeywardenError('usage', '--profiles needs profile names: --profiles a,b');
  if (!flags.org) {
    const orgOnly = (['orgRole', 'accounts', 'ou', 'operatorRole'] as const).find((name) => flags[name] !== undefined);
    if (orgOnly) throw new KeywardenError('usage', `--${orgOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --org`);
  }
  for (const id of flags.accounts ?? []) {
    if (!/^\d{12}$/.test(id)) throw new KeywardenError('usage', `--accounts: "${id}" is not an AWS account id (12 digits)`);
  }
  if (flags.ou !== undefined && !/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/.test(flags.ou)) {
    throw new KeywardenError('usage', `--ou: "${flags.ou}" is not an OU or root id (ou-xxxx-xxxxxxxx or r-xxxx)`);
  }
  for (const name of ['orgRole', 'operatorRole'] as const) {
    const role = flags[name];
    if (role !== undefined && !/^[\w+=,.@-]{1,64}$/.test(role)) throw new KeywardenError('usage', `--${name === 'orgRole' ? 'org-role' : 'operator-role'}: "${role}" is not an IAM role name`);
  }
}

/** --profiles / --all-profiles: every named profile must exist (a typo is a usage error, not an empty account). */
async function connectProfiles(
  flags: ConnectFlags,
  base: { endpoint?: string; allowInsecureEndpoint?: boolean },
  regions: string[],
  clock: AccountClock,
): Promise<{ handles: AccountHandle[]; close(): void }> {
  const [{ profileAccountHandles }, { InFlightCap }, { listProfiles, assertProfileExists }] = await Promise.all([import('../aws/org.js'), import('../aws/clients.js'), import('../aws/profiles.js')]);
  let profiles = flags.profiles ?? [];
  if (flags.allProfiles) {
    profiles = (await listProfiles()).profiles;
    if (profiles.length === 0) {
      const { KeywardenError } = await import('../domain/errors.js');
      throw new KeywardenError('usage', '--all-profiles: no profiles in the shared config files');
    }
  } else {
    for (const profile of profiles) await assertProfileExists(profile);
  }
  const { assertEndpointsAreSafe } = await import('../aws/endpoint-guard.js');
  for (const profile of profiles) await assertEndpointsAreSafe({ profile, ...(base.endpoint ? { explicit: base.endpoint } : {}), allowInsecure: base.allowInsecureEndpoint ?? false });
  return profileAccountHandles({
    regions,
    profiles,
    ...base,
    inFlight: new InFlightCap(96),
    accountClock: clock,
    ...(flags.sandboxQuotaScale !== undefined ? { quotaScale: flags.sandboxQuotaScale } : {}),
    readOnly: flags.readOnly,
  });
}

/** Who is operating, for the sessions' RoleSessionName and SourceIdentity: $USER, else the OS account. */
async function operatorName(): Promise<string> {
  const { userInfo } = await import('node:os');
  let name = process.env.USER ?? '';
  if (name === '') {
    try {
      name = userInfo().username;
    } catch {
      name = 'operator';
    }
  }
  const clean = name.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return clean.length >= 2 ? clean : `${clean}-operator`;
}

/**
 * --org: the organization's accounts from the base credentials, and per account a session of
 * `--org-role` (read-only clients) and, with --operator-role, one for changes.
 */
async function connectOrganization(
  flags: ConnectFlags,
  base: { profile?: string; endpoint?: string; credentials?: import('../aws/clients.js').StaticCredentials; allowInsecureEndpoint?: boolean },
  regions: string[],
  clock: AccountClock,
): Promise<{ handles: AccountHandle[]; close(): void }> {
  const [{ discoverAccounts, orgAccountHandles, organizationsClient, operatorSessionName, baseCallerAccount, DEFAULT_ORG_ROLE }, { InFlightCap }] = await Promise.all([import('../aws/org.js'), import('../aws/clients.js')]);
  const org = organizationsClient(base);
  try {
    const [{ accounts }, callerAccount] = await Promise.all([discoverAccounts(org, { ...(flags.accounts ? { accounts: flags.accounts } : {}), ...(flags.ou ? { ou: flags.ou } : {}) }), baseCallerAccount(base)]);
    const operator = await operatorName();
    return orgAccountHandles({
      regions,
      base,
      accounts,
      role: flags.orgRole ?? DEFAULT_ORG_ROLE,
      ...(flags.operatorRole ? { operatorRole: flags.operatorRole } : {}),
      sessionName: operatorSessionName(operator),
      sourceIdentity: operator,
      // One bound for every account × Region: sockets and requests in flight stay under it.
      inFlight: new InFlightCap(96),
      accountClock: clock,
      ...(flags.sandboxQuotaScale !== undefined ? { quotaScale: flags.sandboxQuotaScale } : {}),
      readOnly: true,
      callerAccount,
    });
  } finally {
    org.destroy();
  }
}

/** The organization's account names (ListAccounts) with the base credentials. */
async function organizationNames(base: { profile?: string; endpoint?: string; credentials?: import('../aws/clients.js').StaticCredentials; allowInsecureEndpoint?: boolean }): Promise<Map<string, string>> {
  const { organizationsClient, listAccountNames } = await import('../aws/org.js');
  const org = organizationsClient(base);
  try {
    return await listAccountNames(org);
  } finally {
    org.destroy();
  }
}

/** The clock of the keywarden sandbox at `url`, moved over its control route. */
function sandboxClockAt(url: string, clock: AccountClock, exact?: () => Date, alsoObserving: readonly AccountClock[] = []): SandboxClock {
  return {
    now: () => exact?.() ?? clock.now(),
    offsetMs: () => (exact ? exact().getTime() - Date.now() : clock.offsetMs),
    async advance(seconds) {
      const { advanceSandboxClock } = await import('../sandbox/clock-client.js');
      const moved = await advanceSandboxClock(url, seconds);
      clock.observe(moved);
      // The accounts' sessions (--org) expire in this time too: their clock moves with it, so they are renewed before the next call.
      for (const other of alsoObserving) other.observe(moved);
      return exact?.() ?? moved;
    },
  };
}

export async function connect(flags: ConnectFlags): Promise<Connection> {
  const [{ createClients, resolveRegions, parseEndpoint }, { AccountClock }] = await Promise.all([import('../aws/clients.js'), import('../domain/clock.js')]);
  if (flags.endpointUrl) parseEndpoint(flags.endpointUrl, { allowInsecure: flags.allowInsecureEndpoint ?? false });
  await assertConnectFlags(flags);
  if (flags.sandbox) {
    const [{ startSandbox }, constants] = await Promise.all([import('../sandbox/index.js'), import('../sandbox/constants.js')]);
    let regions = await resolveRegions({ regions: flags.regions.length > 0 ? flags.regions : [constants.SANDBOX_DEFAULT_REGION] });
    const sandbox = await startSandbox({
      statePath: flags.sandboxState ?? constants.defaultSandboxStatePath(),
      ...(flags.sandboxQuotaScale !== undefined ? { quotaScale: flags.sandboxQuotaScale } : {}),
    });
    if (flags.allRegions) {
      const { listEnabledRegions } = await import('../aws/regions.js');
      regions = await listEnabledRegions({ region: regions[0]!, endpoint: sandbox.url, credentials: constants.SANDBOX_CREDENTIALS }).catch(async (error: unknown) => {
        await sandbox.close();
        throw error;
      });
    }
    // Connections made by switchTo share this one sandbox; the last one closed stops it.
    let users = 0;
    const manyAccounts = flags.org === true || flags.allProfiles === true || flags.profiles !== undefined;
    // --org: the organization's accounts, per set of Regions (a :region switch makes new clients).
    const orgs = new Map<string, { handles: AccountHandle[]; close(): void }>();
    const orgClock = new AccountClock();
    orgClock.observe(sandbox.now());
    const organizationFor = async (forRegions: string[]) => {
      const key = forRegions.join(',');
      if (orgs.has(key)) return;
      orgs.set(
        key,
        flags.org
          ? await connectOrganization(flags, { endpoint: sandbox.url, credentials: constants.SANDBOX_CREDENTIALS }, forRegions, orgClock)
          : await connectProfiles(flags, { endpoint: sandbox.url }, forRegions, orgClock),
      );
    };
    if (manyAccounts) {
      await organizationFor(regions).catch(async (error: unknown) => {
        await sandbox.close();
        throw error;
      });
    }
    const over = (forRegions: string[]): Connection => {
      users += 1;
      const clock = new AccountClock();
      clock.observe(sandbox.now());
      const clients = createClients({ regions: forRegions, endpoint: sandbox.url, credentials: constants.SANDBOX_CREDENTIALS, readOnly: flags.readOnly || flags.org === true, accountClock: clock });
      let closed = false;
      const organization = orgs.get(forRegions.join(','));
      return {
        clients,
        ...(organization ? { accounts: organization.handles } : {}),
        organizationAccountNames: () => organizationNames({ endpoint: sandbox.url, credentials: constants.SANDBOX_CREDENTIALS }),
        // Read from the sandbox itself: exact, and moved at once by `sandbox clock` from elsewhere.
        now: () => sandbox.now(),
        sandboxClock: sandboxClockAt(sandbox.url, clock, () => sandbox.now(), [orgClock]),
        session: {
          regions: forRegions,
          sandbox: true,
          readOnly: flags.readOnly || (flags.org === true && !flags.operatorRole),
          endpoint: sandbox.url,
          ...(organization ? { accounts: organization.handles.map((h) => ({ id: h.id, name: h.name, ...(h.ou ? { ou: h.ou } : {}), ...(h.error ? { error: h.error } : {}) })) } : {}),
        },
        async switchTo(change) {
          if (change.profile !== undefined) {
            const { KeywardenError } = await import('../domain/errors.js');
            throw new KeywardenError('usage', 'the sandbox has no AWS profiles: it is one account (start keywarden without --sandbox to use your profiles)');
          }
          const nextRegions = change.regions ? await resolveRegions({ regions: change.regions }) : forRegions;
          if (manyAccounts) await organizationFor(nextRegions);
          return over(nextRegions);
        },
        async close() {
          if (closed) return;
          closed = true;
          clients.destroy();
          users -= 1;
          if (users === 0) {
            for (const each of orgs.values()) each.close();
            await sandbox.close();
          }
        },
      };
    };
    return over(regions);
  }
  if (flags.profile) await (await import('../aws/profiles.js')).assertProfileExists(flags.profile);
  // Every endpoint that would be used, however it was chosen, is checked before anything is sent.
  const { assertEndpointsAreSafe } = await import('../aws/endpoint-guard.js');
  await assertEndpointsAreSafe({ ...(flags.profile ? { profile: flags.profile } : {}), ...(flags.endpointUrl ? { explicit: flags.endpointUrl } : {}), allowInsecure: flags.allowInsecureEndpoint ?? false });
  let regions = await resolveRegions({ regions: flags.regions, ...(flags.profile ? { profile: flags.profile } : {}) }).catch((error: unknown) => {
    // --all-regions only needs some region to ask; us-east-1 answers for every commercial account.
    if (flags.allRegions) return ['us-east-1'];
    throw error;
  });
  if (flags.allRegions) {
    const { listEnabledRegions } = await import('../aws/regions.js');
    regions = await listEnabledRegions({
      region: regions[0]!,
      ...(flags.profile ? { profile: flags.profile } : {}),
      ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}),
      ...(flags.allowInsecureEndpoint ? { allowInsecureEndpoint: true } : {}),
    });
  }
  // An endpoint that is a keywarden sandbox (`sandbox serve`) says its time at once, and on every
  // answer after: the account's time is the sandbox's. Any other endpoint answers the probe with an
  // error (no AWS API lives under /_sandbox/) and keeps this machine's time. AWS itself is not asked.
  const clock = new AccountClock();
  const clients = createClients({
    regions,
    // --org reads through each account's own clients; the base credentials change nothing.
    readOnly: flags.readOnly || flags.org === true,
    accountClock: clock,
    ...(flags.allowInsecureEndpoint ? { allowInsecureEndpoint: true } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}),
  });
  // The endpoint KMS requests go to when it is not AWS: the flag, or one the SDK reads from
  // AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL or endpoint_url in the shared config. The header names it.
  const endpoint = flags.endpointUrl ?? (await configuredEndpoint(clients, regions[0]!));
  let sandboxClock: SandboxClock | undefined;
  if (endpoint) {
    const { readSandboxClock } = await import('../sandbox/clock-client.js');
    const answer = await readSandboxClock(endpoint, 2_000);
    if (answer) {
      clock.observe(answer.now);
      sandboxClock = sandboxClockAt(endpoint, clock);
    }
  }
  const endpointBase = { ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}), ...(flags.allowInsecureEndpoint ? { allowInsecureEndpoint: true } : {}) };
  const organization = flags.org
    ? await connectOrganization(flags, { ...(flags.profile ? { profile: flags.profile } : {}), ...endpointBase }, regions, clock).catch((error: unknown) => {
        clients.destroy();
        throw error;
      })
    : flags.allProfiles || flags.profiles
      ? await connectProfiles(flags, endpointBase, regions, clock).catch((error: unknown) => {
          clients.destroy();
          throw error;
        })
      : undefined;
  return {
    clients,
    ...(organization ? { accounts: organization.handles } : {}),
    organizationAccountNames: () => organizationNames({ ...(flags.profile ? { profile: flags.profile } : {}), ...endpointBase }),
    now: () => clock.now(),
    ...(sandboxClock ? { sandboxClock } : {}),
    session: {
      regions,
      sandbox: false,
      readOnly: flags.readOnly || (flags.org === true && !flags.operatorRole),
      ...(organization ? { accounts: organization.handles.map((h) => ({ id: h.id, name: h.name, ...(h.ou ? { ou: h.ou } : {}), ...(h.error ? { error: h.error } : {}) })) } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(flags.profile ? { profile: flags.profile } : {}),
    },
    async switchTo(change) {
      const next = await connect({
        ...flags,
        ...(change.regions ? { regions: change.regions, allRegions: false } : {}),
        ...(change.profile !== undefined ? { profile: change.profile } : {}),
      });
      try {
        // The new credentials are checked before anything is shown with them.
        await next.clients.sts().config.credentials();
      } catch (error) {
        await next.close();
        throw error;
      }
      return next;
    },
    async close() {
      organization?.close();
      clients.destroy();
    },
  };
}

/** The endpoint the SDK took from the environment or the shared config for KMS, if any (a URL). */
async function configuredEndpoint(clients: Clients, region: string): Promise<string | undefined> {
  const config = clients.kms(region).config as { serviceConfiguredEndpoint?: () => Promise<string | undefined> };
  try {
    const url = await config.serviceConfiguredEndpoint?.();
    return typeof url === 'string' && url !== '' ? url : undefined;
  } catch {
    return undefined;
  }
}
