// Last use in the background. GetKeyLastUsage allows 5 requests per second per account and Region
// (KMS.md §7.1, §11; AWS KMS Developer Guide, "Request quotas"): 1,000 keys take 200 s at best, so
// the inventory shows its rows at once with last use "pending" and the background reader
// (src/aws/background-reader.ts: paced per region, visible rows first, values reused for an hour,
// failures retried with a growing delay) fills it in with this payload.

import { KeywardenError } from '../domain/errors.js';
import type { ReadLastUsage } from '../domain/last-use.js';
import { BackgroundKeyReader, FINAL_KINDS, type BackgroundReaderOptions, type ReaderPayload } from './background-reader.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { readLastUsage } from './kms-reads.js';
import { KMS_QUOTAS } from './rate-limit.js';

export type LastUseReaderOptions = BackgroundReaderOptions<ReadLastUsage>;

export const LAST_USE_PAYLOAD: ReaderPayload<ReadLastUsage> = {
  perSecond: KMS_QUOTAS.GetKeyLastUsage ?? 5,
  // A burst of one: a second's worth at once would be throttled by the account's other clients.
  burst: 1,
  // Two in flight keep the pace through a round trip of up to 400 ms, and leave the client's
  // bucket room for the one-key reads of the key detail.
  maxInFlight: 2,
  // A key that could not be described has no last use to read (its row says why).
  accepts: (row) => row.metadata !== undefined,
  async read(kms, row, { signal, now, lastTry }) {
    try {
      return { value: await readLastUsage(kms, { arn: row.arn, creationDate: row.metadata!.creationDate }, signal, { retry: false, now }) };
    } catch (error) {
      const domain = error instanceof KeywardenError ? error : toDomainError(error, 'GetKeyLastUsage');
      if (FINAL_KINDS.has(domain.kind) || lastTry) return { value: { kind: 'error', message: domain.message, readAt: now().toISOString() } };
      return { retry: true };
    }
  },
  keep: (value) => value.kind !== 'error',
};

export class LastUseReader extends BackgroundKeyReader<ReadLastUsage> {
  constructor(clients: Clients, options: LastUseReaderOptions = {}) {
    super(clients, LAST_USE_PAYLOAD, options);
  }
}
