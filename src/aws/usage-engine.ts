// The one place that decides which engine reads a key's usage when the operator did not say
// (`keywarden usage` without --engine, and the Usage tab's "auto"): Logs Insights when a trail
// covering the key's Region delivers to CloudWatch Logs and the window is longer than LookupEvents
// reads quickly, LookupEvents otherwise (chooseEngine, src/domain/insights.ts). When Logs Insights
// is chosen and refused (no logs:StartQuery, say), LookupEvents reads the window instead — but only
// a window it keeps (90 days, KMS.md §6.2): a longer one is not read at all and the refusal says
// why, since a shorter answer would pass for "no use" in the days LookupEvents no longer has.

import { KeywardenError } from '../domain/errors.js';
import { chooseEngine, INSIGHTS_MAX_DAYS, LOOKUP_MAX_DAYS, type EngineChoice, type InsightsTarget } from '../domain/insights.js';
import { windowDays, type UsageLoadState, type UsageRequest } from '../domain/usage.js';
import type { Clients } from './clients.js';

export type InsightsTargetLookup = (region: string, signal?: AbortSignal) => Promise<{ target?: InsightsTarget; why?: string }>;

export interface ChosenEngineOptions {
  /** The trail's log group for a Region (callers may remember it per Region). */
  findTarget: InsightsTargetLookup;
  /** Told the choice before reading starts, and again when a refusal changes it. */
  onEngine?: (choice: EngineChoice) => void;
}

/** Whether an error means Logs Insights is refused here (rather than a failure to report). */
function isRefusal(error: unknown): boolean {
  const kind = (error as { kind?: string } | undefined)?.kind;
  return kind === 'access-denied' || kind === 'unsupported';
}

/**
 * Reads a key's usage with the engine keywarden chooses. Every progress report and the result
 * carry the choice (`progress.engineReason`) and the longest window the key's engines serve
 * (`progress.maxWindowDays`: the log group's retention, at most a year, with Logs Insights; 90
 * days without).
 */
export async function readUsageWithChosenEngine(
  clients: Clients,
  key: { arn: string; region: string },
  request: UsageRequest & { now: Date },
  options: ChosenEngineOptions,
  signal?: AbortSignal,
): Promise<UsageLoadState> {
  const found = await options.findTarget(key.region, signal);
  const days = windowDays(request.window);
  let choice = chooseEngine(days, found.target, found.why);
  let maxWindowDays = found.target ? Math.min(INSIGHTS_MAX_DAYS, found.target.retentionInDays ?? INSIGHTS_MAX_DAYS) : LOOKUP_MAX_DAYS;
  if (choice.engine === 'lookup' && days > LOOKUP_MAX_DAYS) {
    throw new KeywardenError(
      'unsupported',
      `LookupEvents keeps ${LOOKUP_MAX_DAYS} days and Logs Insights cannot be used here (${found.why ?? 'no log group'}): for ${days} days read the trail's log files (keywarden usage KEY --cloudtrail-s3 or --cloudtrail-dir DIR)`,
    );
  }
  const retention = found.target?.retentionInDays;
  if (choice.engine === 'insights' && retention !== undefined && retention < days) {
    choice = { ...choice, reason: `${choice.reason}; the log group keeps ${retention} days, so the window's older days hold nothing` };
  }
  options.onEngine?.(choice);
  const tagged: UsageRequest & { now: Date } = {
    ...request,
    ...(request.onProgress ? { onProgress: (s: UsageLoadState) => request.onProgress!({ ...s, progress: { ...s.progress, engineReason: choice.reason, maxWindowDays } }) } : {}),
  };
  const lookup = async () => (await import('./usage.js')).lookupKeyEvents(clients.cloudtrail(key.region), key.arn, tagged, signal);
  let loaded: UsageLoadState;
  if (choice.engine === 'insights' && found.target) {
    const { insightsKeyUsage } = await import('./insights.js');
    try {
      loaded = await insightsKeyUsage(clients.logs(found.target.logGroupRegion), found.target, key.arn, tagged, signal);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const why = (error as Error).message;
      if (days > LOOKUP_MAX_DAYS) {
        throw new KeywardenError('unsupported', `Logs Insights was refused (${why}), and LookupEvents keeps only ${LOOKUP_MAX_DAYS} days: for ${days} days read the trail's log files (keywarden usage KEY --cloudtrail-s3 or --cloudtrail-dir DIR)`, {
          ...((error as KeywardenError).code ? { code: (error as KeywardenError).code! } : {}),
        });
      }
      choice = { engine: 'lookup', reason: `LookupEvents: Logs Insights was refused (${why})` };
      maxWindowDays = LOOKUP_MAX_DAYS;
      options.onEngine?.(choice);
      loaded = await lookup();
    }
  } else loaded = await lookup();
  return { ...loaded, progress: { ...loaded.progress, engineReason: choice.reason, maxWindowDays } };
}
