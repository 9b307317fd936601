// The port between the views and AWS: src/aws/ implements it, src/ui/ hooks consume it.
// Views never see an SDK type.

import type { ActionRequest, ChangePreview, ChangeResult } from './actions.js';
import type { CallerIdentity, KeyAccess, KeyDetail, KeyRow, LastUsage } from './key.js';
import type { LastUseProgress, ReadLastUsage } from './last-use.js';
import type { Finding, Preflight, RetirementRecord, RetirementStatus, StepId, TrailCheck } from './retirement.js';
import type { RetirementStepInput } from './retirement-steps.js';
import type { UsageLoadState, UsageRequest } from './usage.js';

export interface RegionProgress {
  region: string;
  /** The account (its name, else its id) when keywarden reads several; each account × Region is its own entry. */
  account?: string;
  accountId?: string;
  /** Keys found by ListKeys so far. */
  listed: number;
  /** Keys whose row is complete (described, rotation and tags read; last use comes later, see LastUseFeed). */
  loaded: number;
  done: boolean;
  /** Set when the region as a whole failed (no access, opt-in region …); the other regions go on. */
  error?: string;
}

export interface InventoryHandlers {
  /** Rows as they complete, in small batches. A row for the same ARN replaces the earlier one. */
  onRows(rows: KeyRow[]): void;
  onProgress(progress: RegionProgress[]): void;
}

/** The last inventory saved for this account and endpoint, shown (marked stale) while a fresh one loads. */
export interface CachedInventory {
  rows: KeyRow[];
  /** When the oldest region in it was saved (ISO-8601). */
  savedAt: string;
  /** Cache files that could not be used (corrupt …); the load goes on without them. */
  notices: string[];
}

/** Values of one kind kept between runs, per region of one account and endpoint (src/app/region-store.ts). */
export interface KeyValueStore<V> {
  load(region: string): Promise<Map<string, V>>;
  save(region: string, values: ReadonlyMap<string, V>): Promise<void>;
}

export interface KeyFeedSnapshot<V> {
  /** Key ARN → its value, for every key whose value is known (fresh or older than an hour). */
  values: ReadonlyMap<string, V>;
  progress: LastUseProgress;
}

/**
 * A background reader of one value per key within a quota (src/aws/background-reader.ts): told
 * which keys exist and which the operator is looking at, it reads them in that order, reuses
 * values younger than an hour and reports each value as it arrives.
 */
export interface KeyFeed<V> {
  /** The inventory's rows (again, whenever they change): their keys' values are to be read. */
  setRows(rows: readonly KeyRow[]): void;
  /** What the operator looks at: the selected key is read first, then the rows on screen. */
  focus(selected: string | undefined, visible: readonly string[]): void;
  /** Reads this key's value again now, whatever its age. */
  reread(arn: string): void;
  /** Called (batched) whenever a value or the progress changes; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  snapshot(): KeyFeedSnapshot<V>;
  /** Resolves when every key given so far has a value: read, reused, or failed after its retries. */
  idle(): Promise<void>;
  /** Stops reading and saves what was read. */
  close(): Promise<void>;
}

/** Last-use values kept between runs (src/app/last-use-cache.ts). */
export type LastUseStore = KeyValueStore<ReadLastUsage>;
export type LastUseSnapshot = KeyFeedSnapshot<LastUsage>;
/** Last use (GetKeyLastUsage, 5 requests/s per account and Region), read in the background. */
export type LastUseFeed = KeyFeed<LastUsage>;

/** Policies and grants kept between runs (src/app/access-cache.ts). */
export type AccessStore = KeyValueStore<KeyAccess>;
export type AccessSnapshot = KeyFeedSnapshot<KeyAccess>;
/** Key policies and grants (GetKeyPolicy 1,000/s, ListGrants 100/s per account and Region), read in the background. */
export type AccessFeed = KeyFeed<KeyAccess>;

export interface KeySource {
  readonly regions: readonly string[];
  identity(): Promise<CallerIdentity>;
  /** Streams the inventory of every region; resolves when all are done (a failed region is reported in progress). */
  loadInventory(handlers: InventoryHandlers, signal?: AbortSignal): Promise<void>;
  /** The cached inventory of the same account and endpoint, if there is one (optional: sources without a cache). */
  cachedInventory?(): Promise<CachedInventory | undefined>;
  /** Everything the detail view shows for one key. Parts that cannot be read come back as ReadProblems. */
  loadDetail(key: { arn: string; region: string }, signal?: AbortSignal): Promise<KeyDetail>;
  /**
   * CloudTrail events of one key over a window (LookupEvents, paced to its quota), newest first,
   * reported page by page. Resolves with what was loaded when the signal aborts (progress.stopped).
   * Optional so that sources without CloudTrail (test fixtures) still fit the port.
   */
  loadUsage?(key: { arn: string; region: string }, request: UsageRequest, signal?: AbortSignal): Promise<UsageLoadState>;
  /** A background reader of last use for the inventory's rows (optional: fixtures without one show "pending"). */
  lastUseFeed?(options?: { store?: LastUseStore; trail?: boolean }): LastUseFeed;
  /** A background reader of policies and grants for the findings (optional: fixtures without one show the policy checks "pending"). */
  accessFeed?(options?: { store?: AccessStore }): AccessFeed;
}

/** How the program is connected, for the header badges. */
export interface SessionInfo {
  regions: readonly string[];
  /** Several accounts (--org, --accounts, --profiles): their ids and names, and the read-only default of --org. */
  accounts?: ReadonlyArray<{ id: string; name?: string; ou?: string; error?: string }>;
  sandbox: boolean;
  readOnly: boolean;
  endpoint?: string;
  profile?: string;
}

/** One change in the audit journal, as the journal view shows it. */
export interface JournalOperationView {
  time: string;
  action: string;
  keyArn: string;
  region: string;
  caller: string;
  params: Record<string, unknown>;
  /** unknown = an intent without a result: the process stopped or the network failed after sending. */
  status: 'ok' | 'failed' | 'unknown';
  requestId?: string;
  error?: string;
}

/** The port for changes: previews, the changes themselves, and the journal that records them. */
export interface ChangeSource {
  preview(request: ActionRequest, key: { arn: string; region: string }): Promise<ChangePreview>;
  apply(preview: ChangePreview): Promise<ChangeResult>;
  journal(keyArn?: string): Promise<{ operations: JournalOperationView[]; problems: string[] }>;
}

type KeyRef = { arn: string; region: string };

/**
 * The port for the guided retirement (src/aws/retirement.ts implements it): reads, and one
 * mutating entry point. Every step of the catalogue (src/domain/retirement-steps.ts) is taken
 * through `take`, from a status read just now; the wizard and `keywarden retire …` share it.
 */
export interface RetirementSource {
  preflight(key: KeyRef, windowDays: number): Promise<Preflight>;
  find(key: KeyRef): Promise<RetirementRecord | undefined>;
  /** Records the preflight evidence (nothing changes in AWS); resumes an open retirement. */
  start(key: KeyRef, options: { watchDays: number; name: string; preflight: Preflight }): Promise<RetirementRecord>;
  status(record: RetirementRecord, findings?: Finding[]): Promise<RetirementStatus>;
  /** The trails that can see a use in `region`: of the key's account when `keyArn` is given (several accounts). */
  findTrail(region: string, keyArn?: string): Promise<TrailCheck>;
  list(): Promise<Array<RetirementStatus | { file: string; problem: string }>>;
  /**
   * Takes one step, refused unless `status` (read just now) allows it. Abandon returns the record
   * as it was, and the record is removed.
   */
  take(status: RetirementStatus, step: StepId, input?: RetirementStepInput): Promise<RetirementRecord>;
  /** The status right after `take(before, step)` returned `next`: from the step's own answers when exact, read otherwise. */
  statusAfter(before: RetirementStatus, step: StepId, next: RetirementRecord): Promise<RetirementStatus>;
}

/** "payments-prod us-east-1" for an account × Region entry, "us-east-1" for a single account. */
export function progressLabel(p: Pick<RegionProgress, 'region' | 'account'>): string {
  return p.account ? `${p.account} ${p.region}` : p.region;
}
