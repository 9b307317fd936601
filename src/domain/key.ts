// The key model every layer shares. Dates are ISO-8601 strings so the model is
// the same in the TUI, in `--json` output and on disk.

export const KEY_STATES = [
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
] as const;
export type KeyState = (typeof KEY_STATES)[number];

export type KeyManager = 'CUSTOMER' | 'AWS';
export type KeyOrigin = 'AWS_KMS' | 'EXTERNAL' | 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
export type MultiRegionRole = 'PRIMARY' | 'REPLICA';

export interface RegionalKeyRef {
  arn: string;
  region: string;
}

/** What DescribeKey tells about a key, in our words. */
export interface KeyMetadata {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  description: string;
  state: KeyState;
  enabled: boolean;
  keyManager: KeyManager;
  keySpec: string;
  keyUsage: string;
  origin: KeyOrigin;
  creationDate: string;
  deletionDate?: string;
  pendingDeletionWindowInDays?: number;
  validTo?: string;
  customKeyStoreId?: string;
  multiRegion: boolean;
  multiRegionRole?: MultiRegionRole;
  primaryKey?: RegionalKeyRef;
  replicaKeys?: RegionalKeyRef[];
  currentKeyMaterialId?: string;
  encryptionAlgorithms?: string[];
  signingAlgorithms?: string[];
  macAlgorithms?: string[];
}

/** Rotation as the operator needs it: on, off, not possible for this key, or unreadable. */
export type RotationStatus =
  /** `periodDays` is absent when the endpoint did not report it (never assumed to be the 365-day default). */
  | { kind: 'enabled'; periodDays?: number; nextRotationDate?: string; onDemandRotationStartDate?: string }
  | { kind: 'disabled' }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'error'; message: string };

/**
 * GetKeyLastUsage read against TrackingStartDate (KMS.md §11):
 * - used: the last successful cryptographic operation is known (from GetKeyLastUsage, or from the trail: `source`);
 * - never: no use, and tracking covered the key's whole life;
 * - not-since-tracking: no use since tracking began, earlier use unknown (only CloudTrail can tell);
 * - pending: not read yet (GetKeyLastUsage is 5 requests/s, so it is read in the background);
 * - error: could not be read (after the retries).
 * `readAt` is when the value was read from AWS (ISO-8601): values are reused for an hour.
 */
export type LastUsage =
  | {
      kind: 'used';
      operation: string;
      timestamp: string;
      trackingStartDate?: string;
      cloudTrailEventId?: string;
      readAt?: string;
      /**
       * Where it comes from: absent = GetKeyLastUsage (KMS's own tracking, what
       * `kms:TrailingDaysWithoutKeyUsage` counts from); 'trail' = the newest successful use in the
       * trail's CloudWatch Logs log group (one Logs Insights query for every key, KMS.md §13) — as
       * far back as the group keeps, and only what the trail delivers.
       */
      source?: 'trail';
    }
  | { kind: 'never'; trackingStartDate: string; readAt?: string }
  | { kind: 'not-since-tracking'; trackingStartDate: string; readAt?: string }
  | { kind: 'pending' }
  | { kind: 'error'; message: string; readAt?: string };

/** A part of a key that could not be read, and why, in words. */
export interface ReadProblem {
  what: string;
  message: string;
  code: string;
}

/** One row of the inventory: everything the keys view and `list --json` show. */
export interface KeyRow {
  keyId: string;
  arn: string;
  region: string;
  /** The account that owns the key, when keywarden reads several (--org, --accounts, --profiles). */
  accountId?: string;
  /** That account's name from Organizations (or the profile's name), when known. */
  accountName?: string;
  /** The OU the account is in (its name), with --org. */
  accountOu?: string;
  aliases: string[];
  /** From ListResourceTags; empty when unreadable (see problems). */
  tags: Tag[];
  /** Missing when DescribeKey was refused: the key is listed as "no access". */
  metadata?: KeyMetadata;
  rotation: RotationStatus;
  lastUsage: LastUsage;
  /** Reads that failed for this key (access denied, throttled beyond retries …). */
  problems: ReadProblem[];
  /**
   * The key policy and grants, once the background reader has read them (GetKeyPolicy, ListGrants;
   * src/aws/access-reader.ts). Absent: not read yet — the policy and grant findings are pending.
   */
  access?: KeyAccess;
}

/** A key's policy and grants as read for the findings; either may be unreadable on its own. */
export interface KeyAccess {
  policy: string | ReadProblem;
  grants: Grant[] | ReadProblem;
  /** When they were read (ISO-8601): values are reused for an hour. */
  readAt?: string;
}

export interface Tag {
  key: string;
  value: string;
}

export interface GrantConstraints {
  encryptionContextSubset?: Record<string, string>;
  encryptionContextEquals?: Record<string, string>;
  sourceArn?: string;
}

export interface Grant {
  grantId: string;
  keyId: string;
  name?: string;
  creationDate?: string;
  granteePrincipal?: string;
  retiringPrincipal?: string;
  issuingAccount?: string;
  operations: string[];
  constraints?: GrantConstraints;
}

export interface RotationEntry {
  keyMaterialId?: string;
  rotationDate?: string;
  rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
  keyMaterialState?: string;
}

/** Per-key limit on RotateKeyOnDemand (KMS.md §2.2: 25, not adjustable). */
export const ON_DEMAND_ROTATION_LIMIT = 25;

/** Everything the key-detail view and `show --json` show. Each part may be unreadable on its own. */
export interface KeyDetail {
  row: KeyRow;
  policy: string | ReadProblem;
  grants: Grant[] | ReadProblem;
  rotations: RotationEntry[] | ReadProblem;
  /** ON_DEMAND rotations left (ON_DEMAND_ROTATION_LIMIT minus those in the history), when the history is readable. */
  onDemandRotationsLeft?: number;
}

export interface CallerIdentity {
  /** The account id; '' when it cannot be known (then nothing is cached on disk). */
  account: string;
  /** The caller's ARN; '' when the endpoint cannot say who calls (see `note`). */
  arn: string;
  userId: string;
  /**
   * Said when the identity was not read from STS: an endpoint that does not serve STS (a
   * KMS-only emulator) gives the account from its keys' ARNs and no caller.
   */
  note?: string;
}

export function isReadProblem(value: unknown): value is ReadProblem {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'code' in value && 'message' in value && 'what' in value;
}

/** The name an operator knows a key by: its first alias without the `alias/` prefix, else its id. */
export function displayName(row: Pick<KeyRow, 'aliases' | 'keyId'>): string {
  const alias = row.aliases[0];
  return alias ? alias.replace(/^alias\//, '') : row.keyId;
}

/** "every 180 days", or says that the endpoint did not report the period. */
export function rotationPeriodWords(periodDays: number | undefined): string {
  return periodDays === undefined ? 'period not reported' : `every ${periodDays} days`;
}
