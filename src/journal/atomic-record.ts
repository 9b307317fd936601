// Durable JSON record files (a retirement record per key, …): written whole to a temporary file,
// fsynced, renamed over the old one, and the directory fsynced — so a reader sees either the old
// record or the new one, never half of each. A record that cannot be read is reported, never
// deleted or moved: it may be the only evidence of a retirement in progress.
//
// A crash between write-file-atomic's temp write and its rename can leave `<name>.<number>`
// beside the record; whoever lists a directory of records should match the record extension.

import fs from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';
import { PRIVATE_FILE_MODE, ensurePrivateDir, fsyncDir } from './paths.js';

export type ReadRecordResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** 'missing': no such file. 'unreadable': exists but cannot be read (permissions, a directory …). 'corrupt': not JSON, or not the expected shape. */
      reason: 'missing' | 'unreadable' | 'corrupt';
      /** What exactly was wrong, for the operator. */
      detail: string;
    };

/** Write `value` as pretty JSON to `file`, atomically and durably, mode 0600, in a 0700 directory. */
export async function writeRecord(file: string, value: unknown): Promise<void> {
  const dir = path.dirname(file);
  await ensurePrivateDir(dir);
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new Error(`cannot write ${file}: the value is not JSON`);
  await writeFileAtomic(file, `${text}\n`, { mode: PRIVATE_FILE_MODE, fsync: true, encoding: 'utf8' });
  await fsyncDir(dir); // make the rename itself durable
}

/** Read and validate a record. Never throws for a missing, unreadable or corrupt file. */
export async function readRecord<T>(file: string, schema: z.ZodType<T>): Promise<ReadRecordResult<T>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'missing', detail: `${file} does not exist` };
    return { ok: false, reason: 'unreadable', detail: `${file} cannot be read: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'corrupt', detail: `${file} is not valid JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
    return { ok: false, reason: 'corrupt', detail: `${file} is not a valid record: ${issues}` };
  }
  return { ok: true, value: parsed.data };
}
