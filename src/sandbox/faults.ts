// Fault injection: throttling, access denied on chosen keys, added latency.

import { z } from 'zod';

export interface FaultSettings {
  throttle?: {
    /** Operation names (e.g. 'DescribeKey'); default: every KMS operation. */
    operations?: string[];
    /** 0..1: chance that a matching call is throttled. */
    rate?: number;
    /** Throttle the next N matching calls (decremented as they are served). */
    count?: number;
  };
  accessDenied?: Array<{ key: string /* key id or ARN */; operations?: string[] /* default all */ }>;
  latencyMs?: number;
  /** Regions whose KMS answers every call like an opt-in region that is not enabled (UnrecognizedClientException). */
  regionDown?: string[];
}

export const faultSettingsSchema = z.object({
  throttle: z
    .object({
      operations: z.array(z.string()).optional(),
      rate: z.number().min(0).max(1).optional(),
      count: z.number().int().min(0).optional(),
    })
    .optional(),
  accessDenied: z.array(z.object({ key: z.string(), operations: z.array(z.string()).optional() })).optional(),
  latencyMs: z.number().min(0).optional(),
  regionDown: z.array(z.string()).optional(),
});

/**
 * Whether this call is throttled. With `count`, the next `count` matching calls are throttled and
 * then `rate` (default 0) applies; without `count`, `rate` applies (default 1: every matching call).
 * Without `operations`, only KMS calls match.
 */
export function shouldThrottle(faults: FaultSettings, service: string, operation: string): boolean {
  const throttle = faults.throttle;
  if (!throttle) return false;
  const matches = throttle.operations ? throttle.operations.includes(operation) : service === 'kms';
  if (!matches) return false;
  if (throttle.count !== undefined && throttle.count > 0) {
    throttle.count -= 1;
    return true;
  }
  const rate = throttle.rate ?? (throttle.count !== undefined ? 0 : 1);
  return rate > 0 && Math.random() < rate;
}

/** Whether an access-denied fault covers this key (by id or ARN) and operation. */
export function isDenied(faults: FaultSettings, keyId: string, arn: string, operation: string): boolean {
  return (faults.accessDenied ?? []).some(
    (rule) => (rule.key === keyId || rule.key === arn) && (!rule.operations || rule.operations.includes(operation)),
  );
}

/** Replaces the settings in place, so code holding `sandbox.faults` sees the change. */
export function replaceFaults(target: FaultSettings, next: FaultSettings): void {
  delete target.throttle;
  delete target.accessDenied;
  delete target.latencyMs;
  delete target.regionDown;
  Object.assign(target, next);
}
