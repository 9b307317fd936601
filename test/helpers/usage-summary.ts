import type { UsageSummary } from '../../src/domain/usage.js';

/**
 * Everything a usage summary says, order-free where two engines may order ties differently
 * (events in the same second): for comparing engines' summaries.
 */
export function comparable(summary: UsageSummary) {
  const { failures, lastFailure, firstFailure, lastEvent, lastUse, ...rest } = summary;
  const byId = (a: { eventId: string }, b: { eventId: string }) => (a.eventId < b.eventId ? -1 : 1);
  return {
    ...rest,
    failures: [...failures].sort(byId),
    lastFailureTime: lastFailure?.time,
    firstFailureTime: firstFailure?.time,
    lastEventTime: lastEvent?.time,
    lastUse: lastUse ? { time: lastUse.time, operation: lastUse.operation } : undefined,
  };
}
