// The port between the views and AWS: src/aws/ implements it, src/ui/ hooks consume it.
// Views never see an SDK type.

import type { ActionRequest, ChangePreview, ChangeResult } from './actions.js';
import type { CallerIdentity, KeyDetail, KeyRow } from './key.js';

export interface RegionProgress {
  region: string;
  /** Keys found by ListKeys so far. */
  listed: number;
  /** Keys whose row is complete (described, rotation and last use read). */
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

export interface KeySource {
  readonly regions: readonly string[];
  identity(): Promise<CallerIdentity>;
  /** Streams the inventory of every region; resolves when all are done (a failed region is reported in progress). */
  loadInventory(handlers: InventoryHandlers, signal?: AbortSignal): Promise<void>;
  /** Everything the detail view shows for one key. Parts that cannot be read come back as ReadProblems. */
  loadDetail(key: { arn: string; region: string }, signal?: AbortSignal): Promise<KeyDetail>;
}

/** How the program is connected, for the header badges. */
export interface SessionInfo {
  regions: readonly string[];
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
