import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { readRecord, writeRecord } from './atomic-record.js';
import { retirementsDir } from './paths.js';

const isPosix = process.platform !== 'win32';
const recordSchema = z.object({ keyArn: z.string(), stage: z.enum(['disabled', 'alarmed', 'watching']), days: z.number() });
type TestRecord = z.infer<typeof recordSchema>;

const record: TestRecord = { keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234', stage: 'disabled', days: 14 };

let home: string;

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'keywarden-record-'));
  vi.stubEnv('KEYWARDEN_HOME', home);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fs.rm(home, { recursive: true, force: true });
});

function recordFile(name = '1234.json'): string {
  return path.join(retirementsDir(), name);
}

describe('writeRecord / readRecord', () => {
  it('round-trips a record', async () => {
    await writeRecord(recordFile(), record);
    expect(await readRecord(recordFile(), recordSchema)).toEqual({ ok: true, value: record });
  });

  it('replaces the whole record and leaves no temporary file behind', async () => {
    await writeRecord(recordFile(), record);
    await writeRecord(recordFile(), { ...record, stage: 'watching' });
    expect(await readRecord(recordFile(), recordSchema)).toEqual({ ok: true, value: { ...record, stage: 'watching' } });
    expect(await fs.readdir(retirementsDir())).toEqual(['1234.json']);
  });

  it('leaves one whole record after concurrent writes', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, days) => writeRecord(recordFile(), { ...record, days })));
    const read = await readRecord(recordFile(), recordSchema);
    expect(read.ok).toBe(true);
    expect(await fs.readdir(retirementsDir())).toEqual(['1234.json']);
  });

  it.runIf(isPosix)('writes the file 0600 in a 0700 directory', async () => {
    await writeRecord(recordFile(), record);
    expect((await fs.stat(recordFile())).mode & 0o777).toBe(0o600);
    expect((await fs.stat(retirementsDir())).mode & 0o777).toBe(0o700);
  });

  it('tells a missing file from a corrupt one', async () => {
    expect(await readRecord(recordFile(), recordSchema)).toMatchObject({ ok: false, reason: 'missing' });
    await fs.mkdir(retirementsDir(), { recursive: true });
    await fs.writeFile(recordFile(), '{"keyArn": "arn:aws:kms:eu-west-1:1');
    expect(await readRecord(recordFile(), recordSchema)).toMatchObject({ ok: false, reason: 'corrupt', detail: expect.stringMatching(/not valid JSON/) });
  });

  it('reports a record of the wrong shape as corrupt, naming the field', async () => {
    await writeRecord(recordFile(), { ...record, stage: 'exploded' });
    const read = await readRecord(recordFile(), recordSchema);
    expect(read).toMatchObject({ ok: false, reason: 'corrupt', detail: expect.stringMatching(/stage/) });
  });

  it('never deletes or moves a corrupt record', async () => {
    await fs.mkdir(retirementsDir(), { recursive: true });
    await fs.writeFile(recordFile(), 'garbage');
    await readRecord(recordFile(), recordSchema);
    expect(await fs.readFile(recordFile(), 'utf8')).toBe('garbage');
    expect(await fs.readdir(retirementsDir())).toEqual(['1234.json']);
  });

  it('reports a path it cannot read as unreadable', async () => {
    await fs.mkdir(recordFile(), { recursive: true });
    expect(await readRecord(recordFile(), recordSchema)).toMatchObject({ ok: false, reason: 'unreadable' });
  });

  it('refuses a value that is not JSON', async () => {
    await expect(writeRecord(recordFile(), undefined)).rejects.toThrow(/not JSON/);
  });
});
