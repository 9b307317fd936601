// The sandbox's AWS organization: the management account (SANDBOX_ACCOUNT, the seeded estate of
// seed.ts) and member accounts in two OUs, each with its own keys, IAM roles (trust policy +
// identity policy) and trail. The Organizations service (organizations.ts) reads this table; STS
// AssumeRole (sts.ts) checks the roles' trust policies; principals.ts finds identity policies here.
//
// Everything is deterministic: ids come from fixed seeds, dates are relative to the seed time.

import { SANDBOX_ACCOUNT } from './constants.js';
import { EstateBuilder, freshAccountState } from './seed.js';
import type { AccountState } from './state.js';

export const ORGANIZATION_ID = 'o-kw7q2exmpl';
export const ROOT_ID = 'r-kw7q';
export const MANAGEMENT_ACCOUNT = SANDBOX_ACCOUNT;
export const MANAGEMENT_EMAIL = 'aws-management@example.com';

export interface OrgUnit {
  id: string;
  name: string;
  parentId: string;
}

export interface OrgAccount {
  id: string;
  name: string;
  email: string;
  status: 'ACTIVE' | 'SUSPENDED';
  /** CREATED accounts have OrganizationAccountAccessRole; INVITED ones only when someone made it. */
  joinedMethod: 'CREATED' | 'INVITED';
  joinedDaysBeforeSeed: number;
  parentId: string;
}

export const PRODUCTION_OU = 'ou-kw7q-prod4k2m';
export const SANDBOX_OU = 'ou-kw7q-sbx9x1pd';

export const ORG_UNITS: readonly OrgUnit[] = [
  { id: PRODUCTION_OU, name: 'Production', parentId: ROOT_ID },
  { id: SANDBOX_OU, name: 'Sandbox', parentId: ROOT_ID },
];

export const PAYMENTS_ACCOUNT = '222233334444';
export const ANALYTICS_ACCOUNT = '333344445555';
export const DEV_ACCOUNT = '555566667777';
export const RESEARCH_ACCOUNT = '888899990000';
export const ARCHIVE_ACCOUNT = '666677778888';

export const ORG_ACCOUNTS: readonly OrgAccount[] = [
  { id: MANAGEMENT_ACCOUNT, name: 'keywarden-management', email: MANAGEMENT_EMAIL, status: 'ACTIVE', joinedMethod: 'CREATED', joinedDaysBeforeSeed: 1400, parentId: ROOT_ID },
  { id: PAYMENTS_ACCOUNT, name: 'payments-prod', email: 'aws-payments-prod@example.com', status: 'ACTIVE', joinedMethod: 'CREATED', joinedDaysBeforeSeed: 1200, parentId: PRODUCTION_OU },
  { id: ANALYTICS_ACCOUNT, name: 'analytics-prod', email: 'aws-analytics-prod@example.com', status: 'ACTIVE', joinedMethod: 'CREATED', joinedDaysBeforeSeed: 900, parentId: PRODUCTION_OU },
  { id: DEV_ACCOUNT, name: 'dev-sandbox', email: 'aws-dev-sandbox@example.com', status: 'ACTIVE', joinedMethod: 'CREATED', joinedDaysBeforeSeed: 700, parentId: SANDBOX_OU },
  // Invited, and nobody created OrganizationAccountAccessRole in it: the default --org-role fails.
  { id: RESEARCH_ACCOUNT, name: 'research', email: 'aws-research@example.com', status: 'ACTIVE', joinedMethod: 'INVITED', joinedDaysBeforeSeed: 400, parentId: SANDBOX_OU },
  // Closed: an account in its post-closure period is SUSPENDED and cannot be signed in to.
  { id: ARCHIVE_ACCOUNT, name: 'legacy-archive', email: 'aws-legacy-archive@example.com', status: 'SUSPENDED', joinedMethod: 'CREATED', joinedDaysBeforeSeed: 1300, parentId: SANDBOX_OU },
];

export const MEMBER_ACCOUNTS: readonly OrgAccount[] = ORG_ACCOUNTS.filter((a) => a.id !== MANAGEMENT_ACCOUNT);

export function orgAccount(id: string): OrgAccount | undefined {
  return ORG_ACCOUNTS.find((a) => a.id === id);
}

// ---------------------------------------------------------------------------------------------
// IAM roles

function document(statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export interface RoleDefinition {
  /** Trust policy (who may call sts:AssumeRole / sts:SetSourceIdentity on it). */
  trust: string;
  /** Identity policy of its sessions. */
  identity: string;
  /** MaxSessionDuration in seconds (IAM default 3600). */
  maxSessionSeconds?: number;
}

const READ_ONLY_KMS = ['kms:Describe*', 'kms:Get*', 'kms:List*'];
const USE_KMS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/** Trusts the management account (its IAM decides who of it may assume the role). */
function trustsManagement(sourceIdentity: boolean): string {
  return document([
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:root` },
      Action: sourceIdentity ? ['sts:AssumeRole', 'sts:SetSourceIdentity'] : 'sts:AssumeRole',
    },
  ]);
}

function trustsOwnAccount(account: string): string {
  return document([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] }]);
}

const ADMINISTRATOR = document([{ Effect: 'Allow', Action: '*', Resource: '*' }]);

/**
 * The roles of each member account. OrganizationAccountAccessRole exists in every account the
 * organization CREATED (the one Organizations makes trusts only `sts:AssumeRole`; the sandbox's
 * also allow `sts:SetSourceIdentity`, as an organization that audits by source identity sets it —
 * `LegacyAuditRole` shows the default, which refuses a SourceIdentity). `KeywardenReadOnly` is the
 * read-only role the README recommends for `--org-role`; `KeywardenOperator` the `--operator-role`.
 */
function memberRoles(account: OrgAccount): Record<string, RoleDefinition> {
  const roles: Record<string, RoleDefinition> = {
    KeywardenReadOnly: { trust: trustsManagement(true), identity: document([{ Effect: 'Allow', Action: [...READ_ONLY_KMS, 'cloudtrail:LookupEvents', 'cloudtrail:Describe*', 'cloudtrail:Get*', 'logs:Describe*', 'cloudwatch:Describe*'], Resource: '*' }]) },
    KeywardenOperator: { trust: trustsManagement(true), identity: document([{ Effect: 'Allow', Action: ['kms:*', 'cloudtrail:*', 'logs:*', 'cloudwatch:*'], Resource: '*' }]) },
    LegacyAuditRole: { trust: trustsManagement(false), identity: document([{ Effect: 'Allow', Action: READ_ONLY_KMS, Resource: '*' }]) },
  };
  if (account.joinedMethod === 'CREATED') roles.OrganizationAccountAccessRole = { trust: trustsManagement(true), identity: ADMINISTRATOR };
  if (account.id === PAYMENTS_ACCOUNT) {
    roles.LedgerService = { trust: trustsOwnAccount(account.id), identity: document([{ Effect: 'Allow', Action: USE_KMS, Resource: `arn:aws:kms:*:${PAYMENTS_ACCOUNT}:key/*` }]) };
  }
  if (account.id === ANALYTICS_ACCOUNT) {
    // Reads the payments ledger exports: its own account's IAM lets it use payments-prod's keys.
    roles.AnalyticsEtl = {
      trust: trustsOwnAccount(account.id),
      identity: document([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'], Resource: [`arn:aws:kms:*:${PAYMENTS_ACCOUNT}:key/*`, `arn:aws:kms:*:${ANALYTICS_ACCOUNT}:key/*`] }]),
    };
    // Nothing on other accounts' keys: a cross-account call is refused by its own IAM first.
    roles.ReportingBatch = { trust: trustsOwnAccount(account.id), identity: document([{ Effect: 'Allow', Action: USE_KMS, Resource: `arn:aws:kms:*:${ANALYTICS_ACCOUNT}:key/*` }]) };
  }
  return roles;
}

const ROLE_TABLE = new Map<string, Record<string, RoleDefinition>>(MEMBER_ACCOUNTS.map((a) => [a.id, memberRoles(a)]));

/** A member account's role by name (management-account roles live in principals.ts). */
export function memberRole(account: string, name: string): RoleDefinition | undefined {
  const roles = ROLE_TABLE.get(account);
  return roles && Object.hasOwn(roles, name) ? roles[name] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Member estates

function keyPolicy(statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'key-consolepolicy-3', Statement: statements }, null, 2);
}

function rootStatement(account: string): object {
  return { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' };
}

/** The seed name of a member key (its key id is uuidFor(name)). */
export function memberKeyName(account: string, name: string): string {
  return `member/${account}/${name}`;
}

/** The key policy statement that shares the payments ledger key with analytics-prod. */
export const SHARED_LEDGER_STATEMENT = {
  Sid: 'Allow analytics-prod to read ledger exports',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ANALYTICS_ACCOUNT}:root` },
  Action: ['kms:Decrypt', 'kms:DescribeKey'],
  Resource: '*',
};

function seedMember(account: OrgAccount, nowMs: number): AccountState {
  const b = new EstateBuilder(nowMs);
  const id = account.id;
  const add = (name: string, input: Omit<Parameters<EstateBuilder['add']>[0], 'name'>) => b.add({ name: memberKeyName(id, name), ...input });
  switch (id) {
    case PAYMENTS_ACCOUNT: {
      add('ledger', {
        createdDaysAgo: 800,
        description: 'Payments ledger and its nightly exports',
        tags: { Owner: 'payments-team', Environment: 'prod' },
        aliases: ['alias/payments/ledger'],
        rotationDays: 365,
        // analytics-prod's ETL decrypts exports every day (workloads.ts); its history ends 3 h before the seed.
        lastUsedHoursAgo: 3,
        policy: keyPolicy([rootStatement(id), SHARED_LEDGER_STATEMENT]),
      });
      add('card-tokens', {
        createdDaysAgo: 600,
        description: 'Card tokenization vault',
        tags: { Owner: 'payments-team', Environment: 'prod', DataClass: 'pci' },
        aliases: ['alias/payments/card-tokens'],
        rotationDays: 180,
        lastUsedHoursAgo: 3,
        // A grant to a role of another account (analytics-prod), which its own IAM lets use the key.
        grants: [{ createdDaysAgo: 40, name: 'analytics-fraud-model', granteePrincipal: `arn:aws:iam::${ANALYTICS_ACCOUNT}:role/AnalyticsEtl`, operations: ['Decrypt', 'DescribeKey'] }],
      });
      add('eu-settlement', {
        region: 'eu-west-1',
        createdDaysAgo: 300,
        description: 'EU settlement files',
        tags: { Owner: 'payments-team', Environment: 'prod', DataResidency: 'eu' },
        aliases: ['alias/payments/eu-settlement'],
        rotationDays: 365,
        lastUsedHoursAgo: 20,
      });
      break;
    }
    case ANALYTICS_ACCOUNT: {
      add('warehouse', {
        createdDaysAgo: 500,
        description: 'Analytics warehouse (Redshift)',
        tags: { Owner: 'data-team', Environment: 'prod' },
        aliases: ['alias/analytics/warehouse'],
        rotationDays: 365,
        lastUsedHoursAgo: 2,
      });
      add('scratch', {
        createdDaysAgo: 250,
        description: 'Ad-hoc query results',
        tags: { Owner: 'data-team', Environment: 'prod' },
        aliases: ['alias/analytics/scratch'],
      });
      break;
    }
    case DEV_ACCOUNT: {
      add('dev-app', { createdDaysAgo: 120, description: 'Developer application secrets', tags: { Owner: 'platform', Environment: 'dev' }, aliases: ['alias/dev/app'], rotationDays: 90, lastUsedHoursAgo: 48 });
      add('dev-old', { createdDaysAgo: 600, description: 'Old experiment', tags: { Environment: 'dev' }, aliases: ['alias/dev/old-experiment'], state: 'Disabled' });
      break;
    }
    case RESEARCH_ACCOUNT: {
      add('research-data', { createdDaysAgo: 300, description: 'Research datasets', tags: { Owner: 'research' }, aliases: ['alias/research/datasets'], rotationDays: 365 });
      break;
    }
    case ARCHIVE_ACCOUNT: {
      add('archive', { createdDaysAgo: 1300, description: 'Legacy archive', aliases: ['alias/legacy/archive'], state: 'Disabled' });
      break;
    }
  }
  for (const key of b.keys) key.account = id;
  return freshAccountState(id, nowMs, b, 300);
}

/** The member accounts' seeded states, for those missing from `members` (a state file from before the organization). */
export function seedMembers(members: Record<string, AccountState>, nowMs: number): boolean {
  let added = false;
  for (const account of MEMBER_ACCOUNTS) {
    if (members[account.id]) continue;
    members[account.id] = seedMember(account, nowMs);
    added = true;
  }
  return added;
}

/** Generated keys for benchmarks: N keys in each of `regions` of one account (`account` absent = the management account). */
export function addGeneratedKeys(state: AccountState, account: string | undefined, regions: readonly string[], perRegion: number, nowMs: number): void {
  for (const region of regions) {
    for (let i = 0; i < perRegion; i += 1) {
      const b = new EstateBuilder(nowMs);
      const key = b.add({ name: `generated/${account}/${region}/${i}`, region, createdDaysAgo: 10 + (i % 900), description: `Generated key ${i}`, tags: { Environment: ['prod', 'staging', 'dev'][i % 3]! }, ...(i % 3 !== 0 ? { rotationDays: 365 } : {}) });
      if (account) key.account = account;
      state.keys.push(key);
    }
  }
}
