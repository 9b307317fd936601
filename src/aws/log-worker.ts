// Worker thread of src/aws/log-objects.ts: gunzips, splits and counts the log files it is sent,
// one at a time (so its memory is one file's chunk, never a whole file), and when told to finish
// posts its accumulators back. A file that cannot be read counts nothing: its partial records
// are dropped with it, and it is named in the answer.

import { parentPort, workerData } from 'node:worker_threads';
import { UsageAccumulator, type UsageAccumulatorState } from '../domain/usage.js';
import { readLogBytes, type KeyMatch } from './log-file-reader.js';

export type ToWorker = { type: 'file'; id: number; bytes: Uint8Array } | { type: 'finish' };
export type FromWorker =
  | { type: 'file'; id: number; ok: true; records: number; jsonBytes: number; firstMs: number; lastMs: number }
  | { type: 'file'; id: number; ok: false; reason: string; jsonBytes: number }
  | { type: 'finished'; accumulators: Array<[string, UsageAccumulatorState]> };

const match = workerData as KeyMatch;
const totals = new Map<string, UsageAccumulator>();
let queue: Promise<void> = Promise.resolve();

parentPort!.on('message', (message: ToWorker) => {
  queue = queue.then(async () => {
    if (message.type === 'finish') {
      parentPort!.postMessage({ type: 'finished', accumulators: [...totals].map(([arn, acc]) => [arn, acc.toState()]) } satisfies FromWorker);
      return;
    }
    const outcome = await readLogBytes(message.bytes, match).catch((error: unknown) => ({ ok: false as const, reason: `cannot be read: ${String(error)}`, jsonBytes: 0 }));
    if (!outcome.ok) {
      parentPort!.postMessage({ type: 'file', id: message.id, ok: false, reason: outcome.reason, jsonBytes: outcome.jsonBytes } satisfies FromWorker);
      return;
    }
    for (const [arn, acc] of outcome.accumulators) {
      const total = totals.get(arn);
      if (total) total.merge(acc);
      else totals.set(arn, acc);
    }
    parentPort!.postMessage({ type: 'file', id: message.id, ok: true, records: outcome.records, jsonBytes: outcome.jsonBytes, firstMs: outcome.firstMs, lastMs: outcome.lastMs } satisfies FromWorker);
  });
});
