// Calls refused before they reached the key, from the callers' own trails. AWS logs a cross-account
// KMS call in the key owner's trail and in the caller's, but "cross-account AWS KMS requests that
// are rejected because access is denied are logged only in the caller's account" (KMS developer
// guide, "Logging AWS KMS API calls with AWS CloudTrail",
// docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html). With several
// accounts keywarden reads each other account's trail for the key (LookupEvents, ResourceName = the
// key ARN) and adds the failed calls found only there to that account's group of outside callers.
//
// A call in both trails is counted once: the copies have the same requestID and sharedEventID, each
// its own eventID (CloudTrail User Guide, "Example sharedEventID",
// docs.aws.amazon.com/awscloudtrail/latest/userguide/shared-event-ID.html).

import { callerAccount, type OutsideAccount, type OutsideCaller } from './outside-callers.js';
import { callerOf, windowDays, windowRange, type FailedAttempt, type UsageEvent, type UsageLoadState, type UsageSummary, type UsageWindow } from './usage.js';

/** LookupEvents keeps 90 days (KMS.md §6.2): the longest window read in the callers' trails. */
export const CALLER_TRAIL_MAX_DAYS = 90;
/** Failed attempts listed per account (the newest); the others are counted. */
export const CALLER_TRAIL_FAILURES_KEPT = 20;
const DRY_RUN = 'DryRunOperationException';

/** What one other account's trail gave for the key. */
export type CallerTrailRead =
  | { accountId: string; accountName?: string; status: 'read'; events: UsageEvent[]; pages: number; stopped?: boolean }
  | { accountId: string; accountName?: string; status: 'unreadable'; reason: string; pages: number };

/** The other accounts' trails read for one key. */
export interface CallerTrails {
  /** The window read in each trail: the usage window, at most LookupEvents' 90 days. */
  window: { days: number; start: string; end: string };
  /** Why the window read there is shorter than the usage window. */
  capped?: string;
  accounts: CallerTrailRead[];
}

/** The window read in the callers' trails for a usage window: the same, at most 90 days. */
export function callerTrailWindow(window: UsageWindow, now: Date): { window: UsageWindow; range: { start: Date; end: Date }; capped?: string } {
  const days = windowDays(window);
  const read: UsageWindow = days > CALLER_TRAIL_MAX_DAYS ? { days: CALLER_TRAIL_MAX_DAYS } : window;
  return {
    window: read,
    range: windowRange(read, now),
    ...(days > CALLER_TRAIL_MAX_DAYS ? { capped: `the callers' trails are read for the last ${CALLER_TRAIL_MAX_DAYS} days: LookupEvents keeps no more` } : {}),
  };
}

/** A failed call found only in the caller's own trail: recorded as the key owner's trail records one. */
export type CallerTrailFailure = FailedAttempt;

/** What an outside account's own trail added to its group: failed calls the key owner's trail does not have. */
export interface FromCallerTrail {
  failed: number;
  errorCodes: Array<{ code: string; count: number }>;
  lastSeen: string;
  /** The newest CALLER_TRAIL_FAILURES_KEPT of them, newest first. */
  failures: CallerTrailFailure[];
}

/** `usage --json` `callerTrails[]`: one entry per other account whose trail was asked. */
export interface CallerTrailStatus {
  accountId: string;
  accountName?: string;
  status: 'read' | 'stopped' | 'unreadable';
  reason?: string;
  /** Records of the key read there. */
  events: number;
  /** Failed calls found only there (added to the account's group). */
  onlyThere: number;
  /** LookupEvents pages read there. */
  pages: number;
}

/** Which of the key owner's calls are known, to recognise their copies in the callers' trails. */
export interface OwnerCalls {
  /** requestIDs, sharedEventIDs and eventIDs of the owner's records (or of its listed failed attempts). */
  ids: Set<string>;
  /**
   * Set when only the owner's newest failed attempts are listed (a summary that omitted older
   * ones): before this time a caller's failed call that is not AccessDenied is taken as counted
   * there, since only calls refused for access stay in the caller's account.
   */
  listedSince?: number;
}

/** The ids of the key owner's calls: every record read (LookupEvents), or the failed attempts a summary lists. */
export function ownerCalls(loaded: Pick<UsageLoadState, 'events'>, summary: Pick<UsageSummary, 'failures' | 'failuresOmitted'> | undefined): OwnerCalls {
  const ids = new Set<string>();
  if (loaded.events.length > 0 || !summary) {
    for (const event of loaded.events) {
      ids.add(event.eventId);
      if (event.requestId) ids.add(event.requestId);
      if (event.sharedEventId) ids.add(event.sharedEventId);
    }
    return { ids };
  }
  for (const failure of summary.failures) {
    ids.add(failure.eventId);
    if (failure.requestId) ids.add(failure.requestId);
  }
  const oldest = summary.failures.at(-1);
  return summary.failuresOmitted && oldest ? { ids, listedSince: Date.parse(oldest.time) } : { ids };
}

/** The failed calls of `read`'s account on the key that the key owner's trail does not have, newest first. */
export function onlyInCallerTrail(read: Extract<CallerTrailRead, { status: 'read' }>, keyArn: string, owner: OwnerCalls, range: { start: Date; end: Date }): UsageEvent[] {
  const seen = new Set<string>();
  const out: UsageEvent[] = [];
  for (const event of read.events) {
    if (!event.errorCode || event.errorCode === DRY_RUN) continue;
    if (!event.keyArns.includes(keyArn) && event.requestKeyId !== keyArn) continue;
    if (event.timeMs < range.start.getTime() || event.timeMs > range.end.getTime()) continue;
    // Calls made by this account (a service acting for it is the service's, not the account's).
    if (callerAccount(callerOf(event)) !== read.accountId) continue;
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    if (owner.ids.has(event.eventId) || (event.requestId && owner.ids.has(event.requestId)) || (event.sharedEventId && owner.ids.has(event.sharedEventId))) continue;
    if (owner.listedSince !== undefined && event.timeMs < owner.listedSince && event.errorCode !== 'AccessDenied') continue;
    out.push(event);
  }
  return out.sort((a, b) => b.timeMs - a.timeMs);
}

function codesOf(events: readonly UsageEvent[]): Array<{ code: string; count: number }> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.errorCode!, (counts.get(e.errorCode!) ?? 0) + 1);
  return [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
}

function mergeCodes(a: ReadonlyArray<{ code: string; count: number }>, b: ReadonlyArray<{ code: string; count: number }>): Array<{ code: string; count: number }> {
  const counts = new Map<string, number>();
  for (const { code, count } of [...a, ...b]) counts.set(code, (counts.get(code) ?? 0) + count);
  return [...counts].map(([code, count]) => ({ code, count })).sort((x, y) => y.count - x.count || (x.code < y.code ? -1 : 1));
}

/**
 * The outside accounts' groups with what their own trails add: each read account's failed calls on
 * the key that the owner's trail does not have, counted in the group (`count`, `failed`,
 * `errorCodes`, its callers) and set apart in `fromCallerTrail`. An account with nothing in the
 * owner's trail gets a group of its own when its trail has such calls. Also returns one status per
 * trail asked (read, stopped, or unreadable with the reason).
 */
export function withCallerTrails(
  groups: readonly OutsideAccount[],
  trails: CallerTrails,
  keyArn: string,
  owner: OwnerCalls,
  names: ReadonlyMap<string, string> = new Map(),
): { outside: OutsideAccount[]; statuses: CallerTrailStatus[] } {
  const range = { start: new Date(trails.window.start), end: new Date(trails.window.end) };
  const byAccount = new Map(groups.map((g) => [g.accountId, { ...g, callers: g.callers.map((c) => ({ ...c, operations: [...c.operations] })), errorCodes: [...g.errorCodes] }]));
  const statuses: CallerTrailStatus[] = [];
  for (const read of trails.accounts) {
    const name = read.accountName ?? names.get(read.accountId);
    const label = { accountId: read.accountId, ...(name ? { accountName: name } : {}) };
    if (read.status === 'unreadable') {
      statuses.push({ ...label, status: 'unreadable', reason: read.reason, events: 0, onlyThere: 0, pages: read.pages });
      continue;
    }
    const found = onlyInCallerTrail(read, keyArn, owner, range);
    statuses.push({ ...label, status: read.stopped ? 'stopped' : 'read', events: read.events.length, onlyThere: found.length, pages: read.pages });
    if (found.length === 0) continue;
    let group = byAccount.get(read.accountId);
    if (!group) {
      const groupName = names.get(read.accountId);
      group = { accountId: read.accountId, ...(groupName ? { accountName: groupName } : {}), count: 0, failed: 0, lastSeen: found[0]!.time, callers: [], errorCodes: [] };
      byAccount.set(read.accountId, group);
    }
    group.count += found.length;
    group.failed += found.length;
    if (found[0]!.time > group.lastSeen) group.lastSeen = found[0]!.time;
    const codes = codesOf(found);
    group.errorCodes = mergeCodes(group.errorCodes, codes);
    for (const event of found) {
      const caller = callerOf(event);
      let entry: OutsideCaller | undefined = group.callers.find((c) => c.id === caller.id);
      if (!entry) {
        entry = { id: caller.id, description: caller.description, count: 0, failed: 0, lastSeen: event.time, operations: [] };
        group.callers.push(entry);
      }
      entry.count += 1;
      entry.failed += 1;
      entry.fromCallerTrail = (entry.fromCallerTrail ?? 0) + 1;
      if (event.time > entry.lastSeen) entry.lastSeen = event.time;
      if (!entry.operations.includes(event.operation)) entry.operations = [...entry.operations, event.operation].sort();
    }
    group.callers.sort((a, b) => b.count - a.count || (a.description < b.description ? -1 : 1));
    group.fromCallerTrail = {
      failed: found.length,
      errorCodes: codes,
      lastSeen: found[0]!.time,
      failures: found.slice(0, CALLER_TRAIL_FAILURES_KEPT).map((e) => ({
        time: e.time,
        operation: e.operation,
        errorCode: e.errorCode!,
        ...(e.errorMessage ? { errorMessage: e.errorMessage } : {}),
        caller: callerOf(e),
        eventId: e.eventId,
        ...(e.requestId ? { requestId: e.requestId } : {}),
      })),
    };
  }
  const outside = [...byAccount.values()].sort((a, b) => b.count - a.count || (a.accountId < b.accountId ? -1 : 1));
  return { outside, statuses };
}

const LEFT_OUT = "calls another account's own IAM refused are logged only in that account's trail and are not shown here";

/** Said where the callers' trails were not read (one account): what that leaves out. */
export const CALLER_TRAILS_NOT_READ = `${LEFT_OUT}: read the accounts' trails with --org or --profiles`;

/** Said with several accounts and log files (--cloudtrail-dir): the other trails are read with LookupEvents only. */
export const CALLER_TRAILS_NOT_READ_FILES = `${LEFT_OUT}: the other accounts' trails are read with LookupEvents, not with --cloudtrail-dir`;
