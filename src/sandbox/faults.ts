// Fault injection: throttling, access denied (on chosen keys or whole operations of any service),
// server errors, connection resets, hung requests, added latency, regions that refuse KMS.

import { z } from 'zod';

/** Which calls a fault applies to, and how often. */
export interface FaultCounter {
  /** Operation names (e.g. 'DisableKey', 'PutMetricAlarm'); default: every operation of every service. */
  operations?: string[];
  /** 0..1: chance that a matching call is hit. */
  rate?: number;
  /** Hit the next N matching calls (decremented as they are served). */
  count?: number;
}

export interface FaultSettings {
  throttle?: {
    /** Operation names (e.g. 'DescribeKey'); default: every KMS operation. */
    operations?: string[];
    /** 0..1: chance that a matching call is throttled. */
    rate?: number;
    /** Throttle the next N matching calls (decremented as they are served). */
    count?: number;
  };
  /**
   * With `key` (id or ARN): KMS calls naming that key are denied. Without `key`: every call of
   * the named operations, in any service (CloudWatch PutMetricAlarm, Logs PutMetricFilter,
   * CloudTrail LookupEvents …), is denied.
   */
  accessDenied?: Array<{ key?: string; operations?: string[] /* default all */ }>;
  latencyMs?: number;
  /** Regions whose KMS answers every call like an opt-in region that is not enabled (UnrecognizedClientException). */
  regionDown?: string[];
  /** HTTP 500/503 answers (KMSInternalException / InternalFailure / ServiceUnavailable) without running the call. */
  serverError?: FaultCounter & { status?: 500 | 503 };
  /**
   * The socket is destroyed without an answer. `after: true` runs the call first (the change is
   * made and saved) and then resets: the client cannot know whether it happened.
   */
  reset?: FaultCounter & { after?: boolean };
  /** The request is never answered (the client's timeout must fire). `after: true` runs the call first. */
  hang?: FaultCounter & { after?: boolean };
  /**
   * Multiplies every request quota (quotas.ts): 0.1 = a starved account, 100 = a fast one for
   * tests that deliberately drive more load than an account allows. Default 1 (AWS's values).
   */
  quotaScale?: number;
  /**
   * Another client of the same account (a console, a backup tool) that keeps using `share` (0..1,
   * below 1) of each quota's rate — of every KMS quota, or only those of `operations`.
   */
  competitor?: { share: number; operations?: string[] };
  /**
   * S3 object keys (in the trail's bucket) whose GetObject answers only the first half of the
   * object: a log file that arrived cut off, which a reader must report, never skip silently.
   */
  truncatedObjects?: string[];
}

const counterShape = {
  operations: z.array(z.string()).optional(),
  rate: z.number().min(0).max(1).optional(),
  count: z.number().int().min(0).optional(),
};

export const faultSettingsSchema = z.object({
  throttle: z.object(counterShape).optional(),
  accessDenied: z.array(z.object({ key: z.string().optional(), operations: z.array(z.string()).optional() })).optional(),
  latencyMs: z.number().min(0).optional(),
  regionDown: z.array(z.string()).optional(),
  serverError: z.object({ ...counterShape, status: z.union([z.literal(500), z.literal(503)]).optional() }).optional(),
  reset: z.object({ ...counterShape, after: z.boolean().optional() }).optional(),
  hang: z.object({ ...counterShape, after: z.boolean().optional() }).optional(),
  quotaScale: z.number().positive().finite().optional(),
  competitor: z.object({ share: z.number().min(0).lt(1), operations: z.array(z.string()).optional() }).optional(),
  truncatedObjects: z.array(z.string()).optional(),
});

/**
 * Whether a counted fault hits this call. With `count`, the next `count` matching calls are hit
 * and then `rate` (default 0) applies; without `count`, `rate` applies (default 1: every call).
 */
function hits(fault: FaultCounter, matches: boolean): boolean {
  if (!matches) return false;
  if (fault.count !== undefined && fault.count > 0) {
    fault.count -= 1;
    return true;
  }
  const rate = fault.rate ?? (fault.count !== undefined ? 0 : 1);
  return rate > 0 && Math.random() < rate;
}

/**
 * Whether this call is throttled. With `count`, the next `count` matching calls are throttled and
 * then `rate` (default 0) applies; without `count`, `rate` applies (default 1: every matching call).
 * Without `operations`, only KMS calls match.
 */
export function shouldThrottle(faults: FaultSettings, service: string, operation: string): boolean {
  const throttle = faults.throttle;
  if (!throttle) return false;
  return hits(throttle, throttle.operations ? throttle.operations.includes(operation) : service === 'kms');
}

export type NetworkFault = { kind: 'server-error'; status: 500 | 503 } | { kind: 'reset'; after: boolean } | { kind: 'hang'; after: boolean };

/** The server error, reset or hang this call gets, if any (checked in that order). */
export function networkFault(faults: FaultSettings, operation: string): NetworkFault | undefined {
  const matches = (fault: FaultCounter) => !fault.operations || fault.operations.includes(operation);
  if (faults.serverError && hits(faults.serverError, matches(faults.serverError))) return { kind: 'server-error', status: faults.serverError.status ?? 500 };
  if (faults.reset && hits(faults.reset, matches(faults.reset))) return { kind: 'reset', after: faults.reset.after ?? false };
  if (faults.hang && hits(faults.hang, matches(faults.hang))) return { kind: 'hang', after: faults.hang.after ?? false };
  return undefined;
}

/** Whether an access-denied fault covers this key (by id or ARN) and operation. */
export function isDenied(faults: FaultSettings, keyId: string, arn: string, operation: string): boolean {
  return (faults.accessDenied ?? []).some(
    (rule) => rule.key !== undefined && (rule.key === keyId || rule.key === arn) && (!rule.operations || rule.operations.includes(operation)),
  );
}

/** Whether a rule without a key denies this operation outright (any service). */
export function isOperationDenied(faults: FaultSettings, operation: string): boolean {
  return (faults.accessDenied ?? []).some((rule) => rule.key === undefined && (!rule.operations || rule.operations.includes(operation)));
}

/** Replaces the settings in place, so code holding `sandbox.faults` sees the change. */
export function replaceFaults(target: FaultSettings, next: FaultSettings): void {
  // Every setting, whichever it is: a PUT replaces them all (a setting added later included).
  for (const key of Object.keys(target) as Array<keyof FaultSettings>) delete target[key];
  Object.assign(target, next);
}
