// Last use (GetKeyLastUsage) is read in the background: the quota is 5 requests per second per
// account and Region (KMS.md §7.1, §11), 200 s for 1,000 keys. These are the pure rules of that
// reading: how old a value may be before it is read again, which key goes next, and how the
// progress reads. src/aws/last-use-reader.ts carries them out.

import { grouped } from './format.js';
import type { LastUsage } from './key.js';

/** A value read less than this long ago is reused, not read again (KMS.md §11: the data itself may lag an hour). */
export const LAST_USE_MAX_AGE_MS = 60 * 60 * 1000;

/** A value that came from AWS (or failed to), with the time it was read. */
export type ReadLastUsage = Exclude<LastUsage, { kind: 'pending' }>;

/** When the value was read, or undefined for pending (and values from before read times were kept). */
export function lastUseReadAt(usage: LastUsage): string | undefined {
  return usage.kind === 'pending' ? undefined : usage.readAt;
}

/** A value worth reusing: read (not an error), with a read time, less than `maxAgeMs` ago. */
export function isFreshLastUse(usage: LastUsage | undefined, now: Date, maxAgeMs = LAST_USE_MAX_AGE_MS): boolean {
  if (!usage || usage.kind === 'pending' || usage.kind === 'error') return false;
  const at = usage.readAt ? Date.parse(usage.readAt) : NaN;
  return Number.isFinite(at) && now.getTime() - at < maxAgeMs && at <= now.getTime() + 60_000;
}

/** A value is shown but is older than the reuse limit (it is being read again): the list marks it. */
export function isStaleLastUse(usage: LastUsage, now: Date, maxAgeMs = LAST_USE_MAX_AGE_MS): boolean {
  if (usage.kind === 'pending' || usage.kind === 'error' || !usage.readAt) return false;
  return !isFreshLastUse(usage, now, maxAgeMs);
}

/**
 * The order to read keys in: the selected key, then the rows on screen (top to bottom), then the
 * rest in inventory order. `waiting` holds the keys that still need a read, in inventory order.
 */
export function readingOrder(waiting: readonly string[], focus: { selected?: string | undefined; visible?: readonly string[] }): string[] {
  const left = new Set(waiting);
  const out: string[] = [];
  const take = (arn: string | undefined) => {
    if (arn !== undefined && left.delete(arn)) out.push(arn);
  };
  take(focus.selected);
  for (const arn of focus.visible ?? []) take(arn);
  for (const arn of waiting) take(arn);
  return out;
}

/** How far the background reading is, over every region. */
export interface LastUseProgress {
  /** Keys whose last use is known (read now or reused from the cache) or failed for good. */
  done: number;
  /** Keys that have a last use to read. */
  total: number;
  /** Requests per second the reading is paced at (the quota, summed over the regions still reading). */
  perSecond: number;
  /** Seconds until every key is read, at that pace. */
  secondsLeft: number;
}

/** Seconds left when `left[i]` keys remain in region i, each region read at `perSecond` on its own quota. */
export function secondsLeft(leftPerRegion: readonly number[], perSecond: number): number {
  const most = Math.max(0, ...leftPerRegion);
  return perSecond > 0 ? Math.ceil(most / perSecond) : 0;
}

/** A pace: "5", "2.4", "1,000". */
const PACE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** "about 3 min", "about 40 s", "about 2 h 5 min". */
export function aboutTime(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(1, Math.ceil(seconds))} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** The header's progress: "last use 120 of 1,016 · 5/s · about 3 min"; "last use 1,016 of 1,016" when done. */
export function lastUseProgressText(progress: LastUseProgress): string {
  const count = `last use ${grouped(progress.done)} of ${grouped(progress.total)}`;
  if (progress.done >= progress.total) return count;
  return `${count} · ${PACE.format(progress.perSecond)}/s · ${aboutTime(progress.secondsLeft)}`;
}

/** Whether the reading still has keys to go. */
export function isReadingLastUse(progress: LastUseProgress | undefined): progress is LastUseProgress {
  return progress !== undefined && progress.done < progress.total;
}
