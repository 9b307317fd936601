// Retirement records: one JSON file per key under <data dir>/retirements/, written atomically.
// A record that cannot be read is reported with its path, never overwritten or deleted.

import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { RETIREMENT_STAGES, type RetirementRecord } from '../domain/retirement.js';
import { readRecord, writeRecord } from './atomic-record.js';
import { retirementsDir } from './paths.js';

const stepSchema = z.object({
  step: z.string(),
  at: z.string(),
  by: z.string(),
  ok: z.boolean(),
  detail: z.string().optional(),
  requestId: z.string().optional(),
});

const watchSchema = z.union([
  z.object({
    kind: z.literal('alarm'),
    logGroupRegion: z.string(),
    logGroupName: z.string(),
    filterName: z.string(),
    metricNamespace: z.string(),
    metricName: z.string(),
    alarmName: z.string(),
    snsTopicArn: z.string().optional(),
    trailArn: z.string().optional(),
  }),
  z.object({ kind: z.literal('cloudtrail-poll'), reason: z.string() }),
]);

export const retirementRecordSchema = z.object({
  v: z.literal(1),
  keyArn: z.string().min(1),
  keyId: z.string().min(1),
  region: z.string().min(1),
  account: z.string(),
  name: z.string(),
  stage: z.enum(RETIREMENT_STAGES),
  startedAt: z.string(),
  startedBy: z.string(),
  watchDays: z.number().int().positive(),
  acknowledged: z.array(z.string()),
  evidence: z.object({ summary: z.string(), lastUsage: z.string().optional(), findings: z.array(z.string()) }),
  disabledAt: z.string().optional(),
  disabledByKeywarden: z.boolean().optional(),
  watch: watchSchema.optional(),
  watchStartedAt: z.string().optional(),
  deletionScheduledAt: z.string().optional(),
  deletionDate: z.string().optional(),
  pendingWindowDays: z.number().int().optional(),
  useDetected: z.object({ at: z.string(), summary: z.string() }).optional(),
  usesSeenUntil: z.string().optional(),
  abandoned: z.object({ at: z.string(), reason: z.string() }).optional(),
  steps: z.array(stepSchema),
}) satisfies z.ZodType<RetirementRecord>;

/** The file of a key's retirement: the key ARN made safe for a file name. */
export function retirementPath(keyArn: string, dir = retirementsDir()): string {
  return path.join(dir, `${keyArn.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

export type LoadedRetirement = { ok: true; record: RetirementRecord; file: string } | { ok: false; file: string; problem: string };

export class RetirementStore {
  constructor(private readonly dir: string = retirementsDir()) {}

  async save(record: RetirementRecord): Promise<void> {
    await writeRecord(retirementPath(record.keyArn, this.dir), record);
  }

  /** The key's record; undefined when there is none; throws with the path when it is unreadable. */
  async load(keyArn: string): Promise<RetirementRecord | undefined> {
    const file = retirementPath(keyArn, this.dir);
    const result = await readRecord(file, retirementRecordSchema);
    if (result.ok) return result.value as RetirementRecord;
    if (result.reason === 'missing') return undefined;
    throw new Error(`the retirement record ${file} cannot be used (${result.detail}); it was left as it is — move it aside to start over`);
  }

  /**
   * Removes the key's record: only for a retirement abandoned at preflight, when nothing was
   * changed in AWS (the journal keeps that it was abandoned). A missing file is not an error.
   */
  async remove(keyArn: string): Promise<void> {
    await unlink(retirementPath(keyArn, this.dir)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** Every record in the directory, with the ones that cannot be read reported. */
  async list(): Promise<LoadedRetirement[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: LoadedRetirement[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(this.dir, name);
      const result = await readRecord(file, retirementRecordSchema);
      out.push(result.ok ? { ok: true, record: result.value as RetirementRecord, file } : { ok: false, file, problem: result.detail });
    }
    return out;
  }
}
