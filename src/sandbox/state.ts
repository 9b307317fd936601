// The sandbox's persisted world: keys, aliases, grants and the clock offset, with the zod schema
// that guards the state file and the in-memory indexes that keep every lookup O(1) and every
// ListKeys page O(page) even with 10,000 keys.

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

import { systemErrorMeaning } from '../domain/errors.js';
import { KEY_STATES, type KeyState } from '../domain/key.js';
import { SANDBOX_ACCOUNT } from './constants.js';

// KMS's key states are one AWS fact, listed once (src/domain/key.ts).
export { KEY_STATES, type KeyState };

const rotationEntrySchema = z.object({
  materialId: z.string(),
  /** Epoch ms. */
  date: z.number(),
  type: z.enum(['AUTOMATIC', 'ON_DEMAND']),
});

const grantSchema = z.object({
  grantId: z.string(),
  token: z.string(),
  name: z.string().optional(),
  creationDate: z.number(),
  granteePrincipal: z.string().optional(),
  retiringPrincipal: z.string().optional(),
  granteeServicePrincipal: z.string().optional(),
  retiringServicePrincipal: z.string().optional(),
  operations: z.array(z.string()),
  constraints: z
    .object({
      encryptionContextSubset: z.record(z.string(), z.string()).optional(),
      encryptionContextEquals: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});

const lastUsageSchema = z.object({
  operation: z.string(),
  timestamp: z.number(),
  cloudTrailEventId: z.string(),
  kmsRequestId: z.string(),
});

const keySchema = z.object({
  keyId: z.string(),
  /** The owning account; absent = the management account (SANDBOX_ACCOUNT), so older files still load. */
  account: z.string().optional(),
  region: z.string(),
  creationDate: z.number(),
  description: z.string().default(''),
  state: z.enum(KEY_STATES),
  keyUsage: z.string(),
  keySpec: z.string(),
  origin: z.string(),
  keyManager: z.enum(['CUSTOMER', 'AWS']),
  deletionDate: z.number().optional(),
  pendingWindowInDays: z.number().optional(),
  multiRegionRole: z.enum(['PRIMARY', 'REPLICA']).optional(),
  /** Replicas: the primary's region. Primaries: the replica regions. */
  primaryRegion: z.string().optional(),
  replicaRegions: z.array(z.string()).optional(),
  /** Absent = the default key policy (KMS.md §8.2), so big estates stay small on disk. */
  policy: z.string().optional(),
  tags: z.array(z.object({ TagKey: z.string(), TagValue: z.string() })).default([]),
  rotationEnabled: z.boolean().default(false),
  rotationPeriodInDays: z.number().optional(),
  /** Epoch ms; set while automatic rotation is on. */
  nextRotationDate: z.number().optional(),
  /** Id of the original key material; absent = derived from the key id (generated estates). */
  originalMaterialId: z.string().optional(),
  rotations: z.array(rotationEntrySchema).default([]),
  /** The last use GetKeyLastUsage reports: at least LAST_USAGE_LAG_MS old (kms.ts). */
  lastUsage: lastUsageSchema.optional(),
  /** Uses too recent to be reported yet, oldest first (at most one a minute). */
  recentUsage: z.array(lastUsageSchema).optional(),
  grants: z.array(grantSchema).default([]),
});

const aliasSchema = z.object({
  name: z.string(),
  region: z.string(),
  targetKeyId: z.string().optional(),
  creationDate: z.number().optional(),
  lastUpdatedDate: z.number().optional(),
});

// --- CloudWatch Logs and CloudWatch (src/sandbox/logs.ts, cloudwatch.ts). Every field is optional
// with a default, so state files written before these services existed still load.

const logEventSchema = z.object({
  /** Epoch ms. */
  timestamp: z.number(),
  message: z.string(),
  ingestionTime: z.number(),
  eventId: z.string(),
});

const logStreamSchema = z.object({
  name: z.string(),
  creationTime: z.number(),
  events: z.array(logEventSchema).default([]),
});

const metricTransformationSchema = z.object({
  metricName: z.string(),
  metricNamespace: z.string(),
  metricValue: z.string(),
  defaultValue: z.number().optional(),
  dimensions: z.record(z.string(), z.string()).optional(),
  unit: z.string().optional(),
});

const metricFilterSchema = z.object({
  filterName: z.string(),
  filterPattern: z.string(),
  metricTransformations: z.array(metricTransformationSchema),
  creationTime: z.number(),
});

const logGroupSchema = z.object({
  region: z.string(),
  name: z.string(),
  creationTime: z.number(),
  retentionInDays: z.number().optional(),
  streams: z.array(logStreamSchema).default([]),
  metricFilters: z.array(metricFilterSchema).default([]),
});

const dimensionSchema = z.object({ Name: z.string(), Value: z.string() });

const metricSchema = z.object({
  region: z.string(),
  namespace: z.string(),
  name: z.string(),
  dimensions: z.array(dimensionSchema).default([]),
  unit: z.string().optional(),
  /** Aggregated buckets, sorted by time: [bucket start epoch ms, sampleCount, sum, min, max]. */
  points: z.array(z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()])).default([]),
});

const alarmHistorySchema = z.object({
  timestamp: z.number(),
  type: z.enum(['ConfigurationUpdate', 'StateUpdate', 'Action']),
  summary: z.string(),
  data: z.string(),
});

const alarmSchema = z.object({
  region: z.string(),
  name: z.string(),
  /** The PutMetricAlarm configuration as sent (validated). */
  config: z.record(z.string(), z.unknown()),
  configUpdated: z.number(),
  stateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  stateReason: z.string(),
  stateReasonData: z.string().optional(),
  stateUpdated: z.number(),
  stateTransitioned: z.number().optional(),
  /** Sandbox time (epoch ms) up to which the alarm has been evaluated. */
  evaluatedUntil: z.number(),
  history: z.array(alarmHistorySchema).default([]),
});

const accountStateSchema = z.object({
  version: z.literal(1),
  seededAt: z.number(),
  /** Secret that derives every key's material (HMAC), so material is never stored. */
  secret: z.string().regex(/^[0-9a-f]{64}$/),
  clockOffsetSeconds: z.number().default(0),
  keys: z.array(keySchema),
  aliases: z.array(aliasSchema),
  logGroups: z.array(logGroupSchema).default([]),
  metrics: z.array(metricSchema).default([]),
  alarms: z.array(alarmSchema).default([]),
  /** The trail's switches (StopLogging / PutEventSelectors): what it delivers to its log group. */
  trail: z
    .object({
      logging: z.boolean().default(true),
      readWriteType: z.enum(['All', 'ReadOnly', 'WriteOnly']).default('All'),
      includeManagementEvents: z.boolean().default(true),
      excludeManagementEventSources: z.array(z.string()).default([]),
    })
    .default({ logging: true, readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: [] }),
});

/**
 * The management account's state at the top level (as before accounts existed), the organization's
 * member accounts under `members`, each with the same shape (its own keys, aliases, log groups,
 * metrics, alarms and trail; its `clockOffsetSeconds` is unused: the sandbox has one clock).
 */
export const stateSchema = accountStateSchema.extend({
  members: z.record(z.string(), accountStateSchema).default({}),
});

export type KeyRecord = z.infer<typeof keySchema>;
export type AliasRecord = z.infer<typeof aliasSchema>;
export type GrantRecord = z.infer<typeof grantSchema>;
export type RotationRecord = z.infer<typeof rotationEntrySchema>;
export type LastUsageRecord = z.infer<typeof lastUsageSchema>;
export type SandboxState = z.infer<typeof stateSchema>;
export type AccountState = z.infer<typeof accountStateSchema>;
export type LogGroupRecord = z.infer<typeof logGroupSchema>;
export type LogStreamRecord = z.infer<typeof logStreamSchema>;
export type LogEventRecord = z.infer<typeof logEventSchema>;
export type MetricFilterRecord = z.infer<typeof metricFilterSchema>;
export type MetricRecord = z.infer<typeof metricSchema>;
export type AlarmRecord = z.infer<typeof alarmSchema>;
export type AlarmHistoryRecord = z.infer<typeof alarmHistorySchema>;

const RESET_HINT = 'run "keywarden sandbox reset" to start again from the seeded estate (the old file is kept as a backup)';

/**
 * Reads a state file. `undefined` when it does not exist; throws a readable Error for anything
 * else that is wrong — the sandbox never silently replaces a file it cannot read.
 */
export async function readStateFile(file: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const meaning = systemErrorMeaning(code);
    throw new Error(`sandbox state file ${file} cannot be read (${meaning ? `${meaning}: ${code}` : (code ?? (error as Error).message)}); ${RESET_HINT}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`sandbox state file ${file} is not valid JSON (${(error as Error).message}); ${RESET_HINT}`, { cause: error });
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    throw new Error(`sandbox state file ${file} is not a valid sandbox state (${first?.message ?? 'invalid'}${where}); ${RESET_HINT}`);
  }
  return parsed.data;
}

export function keyArn(account: string, region: string, keyId: string): string {
  return `arn:aws:kms:${region}:${account}:key/${keyId}`;
}

export function aliasArn(account: string, region: string, name: string): string {
  return `arn:aws:kms:${region}:${account}:${name}`;
}

function keyIndex(region: string, keyId: string): string {
  return `${region}/${keyId}`;
}

/**
 * In-memory indexes over one account's state, plus coalesced atomic persistence. The management
 * account's store owns the file; a member account's store (`owner` set) lives inside it
 * (`members`), so its changes are saved by the owner's flush.
 */
export class Store {
  state!: AccountState;
  private byId = new Map<string, KeyRecord>();
  /** Keys of each region in ListKeys order. */
  private ordered = new Map<string, KeyRecord[]>();
  private aliasByName = new Map<string, AliasRecord>();
  private pending = new Set<KeyRecord>();
  private grantByToken = new Map<string, { key: KeyRecord; grant: GrantRecord }>();
  private dirty = false;
  private writing: Promise<void> | null = null;
  /** Serialized form of each unchanged key, so a save costs O(changed keys) in JSON work. */
  private keyJson = new Map<KeyRecord, string>();

  constructor(
    private readonly file: string | undefined,
    /** The account whose keys, logs, alarms and trail these are. */
    readonly account: string = SANDBOX_ACCOUNT,
    private readonly owner?: Store,
  ) {}

  load(state: AccountState): void {
    this.state = state;
    this.byId.clear();
    this.ordered.clear();
    this.aliasByName.clear();
    this.pending.clear();
    this.grantByToken.clear();
    this.keyJson.clear();
    for (const key of state.keys) this.index(key);
    for (const alias of state.aliases) this.aliasByName.set(keyIndex(alias.region, alias.name), alias);
  }

  private index(key: KeyRecord): void {
    this.byId.set(keyIndex(key.region, key.keyId), key);
    let list = this.ordered.get(key.region);
    if (!list) this.ordered.set(key.region, (list = []));
    list.push(key);
    if (isPendingDeletionState(key.state)) this.pending.add(key);
    for (const grant of key.grants) this.grantByToken.set(grant.token, { key, grant });
  }

  key(region: string, keyId: string): KeyRecord | undefined {
    return this.byId.get(keyIndex(region, keyId));
  }

  keysOf(region: string): readonly KeyRecord[] {
    return this.ordered.get(region) ?? [];
  }

  addKey(key: KeyRecord): void {
    this.state.keys.push(key);
    this.index(key);
    this.touchState();
  }

  removeKey(key: KeyRecord): void {
    this.byId.delete(keyIndex(key.region, key.keyId));
    const list = this.ordered.get(key.region);
    if (list) {
      const at = list.indexOf(key);
      if (at >= 0) list.splice(at, 1);
    }
    const all = this.state.keys.indexOf(key);
    if (all >= 0) this.state.keys.splice(all, 1);
    this.pending.delete(key);
    for (const grant of key.grants) this.grantByToken.delete(grant.token);
    for (const alias of this.aliasesOf(key.region).filter((a) => a.targetKeyId === key.keyId)) this.removeAlias(alias);
    this.keyJson.delete(key);
    this.touchState();
  }

  /** Call after changing a key's state so the pending-deletion sweep sees it. */
  stateChanged(key: KeyRecord): void {
    if (isPendingDeletionState(key.state)) this.pending.add(key);
    else this.pending.delete(key);
    this.touch(key);
  }

  pendingKeys(): KeyRecord[] {
    return [...this.pending];
  }

  alias(region: string, name: string): AliasRecord | undefined {
    return this.aliasByName.get(keyIndex(region, name));
  }

  aliasesOf(region: string): AliasRecord[] {
    return this.state.aliases.filter((a) => a.region === region);
  }

  addAlias(alias: AliasRecord): void {
    this.state.aliases.push(alias);
    this.aliasByName.set(keyIndex(alias.region, alias.name), alias);
    this.touchState();
  }

  removeAlias(alias: AliasRecord): void {
    const at = this.state.aliases.indexOf(alias);
    if (at >= 0) this.state.aliases.splice(at, 1);
    this.aliasByName.delete(keyIndex(alias.region, alias.name));
    this.touchState();
  }

  addGrant(key: KeyRecord, grant: GrantRecord): void {
    key.grants.push(grant);
    this.grantByToken.set(grant.token, { key, grant });
    this.touch(key);
  }

  removeGrant(key: KeyRecord, grant: GrantRecord): void {
    const at = key.grants.indexOf(grant);
    if (at >= 0) key.grants.splice(at, 1);
    this.grantByToken.delete(grant.token);
    this.touch(key);
  }

  grantByTokenValue(token: string): { key: KeyRecord; grant: GrantRecord } | undefined {
    return this.grantByToken.get(token);
  }

  /**
   * Marks the state as changed; the next flush() writes it. Pass the key whose fields changed;
   * without one, every key is serialized afresh (always correct, slower for big estates).
   */
  touch(key?: KeyRecord): void {
    this.dirty = true;
    this.owner?.touchState();
    if (key) this.keyJson.delete(key);
    else this.keyJson.clear();
  }

  /** Marks the state as changed without any key having changed (clock, aliases). */
  touchState(): void {
    this.dirty = true;
    this.owner?.touchState();
  }

  private serialize(): string {
    const { keys, aliases, ...rest } = this.state;
    const parts = keys.map((key) => {
      let json = this.keyJson.get(key);
      if (json === undefined) {
        json = JSON.stringify(compactKey(key));
        this.keyJson.set(key, json);
      }
      return json;
    });
    return `${JSON.stringify(rest).slice(0, -1)},"keys":[${parts.join(',')}],"aliases":${JSON.stringify(aliases)}}`;
  }

  /** Writes the state if it changed (atomic, 0600). Resolves once every change made so far is on disk. */
  async flush(): Promise<void> {
    if (this.owner) {
      this.dirty = false;
      return this.owner.flush();
    }
    if (!this.file) {
      this.dirty = false;
      return;
    }
    while (this.dirty) {
      if (this.writing) {
        await this.writing.catch(() => undefined);
        continue;
      }
      this.dirty = false;
      const json = this.serialize();
      const file = this.file;
      this.writing = (async () => {
        await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        await writeFileAtomic(file, json, { mode: 0o600 });
      })()
        .catch((error: unknown) => {
          this.dirty = true;
          throw error;
        })
        .finally(() => {
          this.writing = null;
        });
      await this.writing;
    }
    // A write that started after our change (by another request) carries it too.
    if (this.writing) await this.writing;
  }
}

/** Leaves out fields that the schema's defaults restore, so a 10,000-key state stays small. */
function compactKey(key: KeyRecord): Partial<KeyRecord> {
  const out: Partial<KeyRecord> = { ...key };
  if (key.tags.length === 0) delete out.tags;
  if (key.rotations.length === 0) delete out.rotations;
  if (key.grants.length === 0) delete out.grants;
  if (!key.rotationEnabled) delete out.rotationEnabled;
  if (key.description === '') delete out.description;
  return out;
}

export function isPendingDeletionState(state: KeyState): boolean {
  return state === 'PendingDeletion' || state === 'PendingReplicaDeletion';
}
