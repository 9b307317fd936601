// Key policies and grants in the background, for the findings on every row. ListGrants allows 100
// requests per second per account and Region (GetKeyPolicy 1,000; KMS.md §7.1; AWS KMS Developer
// Guide, "Request quotas"), so 1,000 keys take at least 10 s: the rows show at once with their
// policy and grant findings "pending" and the background reader (src/aws/background-reader.ts:
// paced per region, visible rows first, values reused for an hour, failures retried with a
// growing delay) fills them in with this payload. One token per key: one GetKeyPolicy and one
// ListGrants page; the KMS client's own per-operation buckets (src/aws/rate-limit.ts) also pace a
// key's further ListGrants pages. Only after `maxRounds` failures, or an answer that asking again
// cannot change (access denied), does the part that failed become a ReadProblem (its findings say
// so: policy-unreadable …).

import { KeywardenError } from '../domain/errors.js';
import type { Grant, KeyAccess, ReadProblem } from '../domain/key.js';
import { BackgroundKeyReader, FINAL_KINDS, type BackgroundReaderOptions, type ReaderPayload } from './background-reader.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { listGrants, readPolicy } from './kms-reads.js';
import { KMS_QUOTAS } from './rate-limit.js';

export type AccessReaderOptions = BackgroundReaderOptions<KeyAccess>;

function asProblem(what: string, error: KeywardenError): ReadProblem {
  return { what, message: error.message, code: error.code ?? error.kind };
}

async function settle<T>(operation: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: KeywardenError }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: error instanceof KeywardenError ? error : toDomainError(error, operation) };
  }
}

export const ACCESS_PAYLOAD: ReaderPayload<KeyAccess> = {
  perSecond: KMS_QUOTAS.ListGrants ?? 100,
  operation: 'ListGrants',
  // At 100 keys per second, 16 in flight keep the pace through round trips of up to 160 ms.
  maxInFlight: 16,
  // AWS managed keys get no findings (their policy and grants are AWS's); undescribed keys have nothing to check.
  accepts: (row) => row.metadata !== undefined && row.metadata.keyManager !== 'AWS',
  async read(kms, row, { signal, now, lastTry }) {
    const [policy, grants] = await Promise.all([settle('GetKeyPolicy', () => readPolicy(kms, row.arn, signal)), settle('ListGrants', () => listGrants(kms, row.arn, signal))]);
    const failed = [policy, grants].filter((r): r is { ok: false; error: KeywardenError } => !r.ok);
    if (failed.some((r) => !FINAL_KINDS.has(r.error.kind)) && !lastTry) return { retry: true };
    return {
      value: {
        policy: policy.ok ? policy.value : asProblem('GetKeyPolicy', policy.error),
        grants: grants.ok ? (grants.value as Grant[]) : asProblem('ListGrants', grants.error),
        readAt: now().toISOString(),
      },
    };
  },
  // Parts that could not be read are not kept: they are asked again next run.
  keep: (value) => typeof value.policy === 'string' && Array.isArray(value.grants),
};

export class AccessReader extends BackgroundKeyReader<KeyAccess> {
  constructor(clients: Clients, options: AccessReaderOptions = {}) {
    super(clients, ACCESS_PAYLOAD, options);
  }
}
