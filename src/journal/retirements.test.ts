import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEvent, startRetirement } from '../domain/retirement.js';
import { RetirementStore, retirementPath } from './retirements.js';

const ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const record = () =>
  startRetirement({ keyArn: ARN, region: 'us-east-1', account: '111122223333', name: 'app/old', by: 'me', now: new Date('2026-11-01T00:00:00Z'), evidence: { summary: 's', findings: [] } });

describe('RetirementStore', () => {
  it('saves and loads a record, mode 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-ret-'));
    const store = new RetirementStore(dir);
    const r = applyEvent(record(), { type: 'disabled', requestId: 'r1' }, new Date('2026-11-02T00:00:00Z'), 'me');
    await store.save(r);
    expect(await store.load(ARN)).toEqual(r);
    expect(statSync(retirementPath(ARN, dir)).mode & 0o777).toBe(0o600);
    expect(await store.load(ARN.replace('1234', '9999'))).toBeUndefined();
  });

  it('reports a corrupt record with its path, leaves it as it is, and lists the good ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-ret-'));
    const store = new RetirementStore(dir);
    await store.save(record());
    const other = ARN.replace('1234abcd', 'deadbeef');
    writeFileSync(retirementPath(other, dir), '{"v":1,"keyArn":');
    await expect(store.load(other)).rejects.toThrow(/cannot be used .*left as it is/);
    const listed = await store.list();
    expect(listed.filter((l) => l.ok)).toHaveLength(1);
    expect(listed.filter((l) => !l.ok)).toEqual([expect.objectContaining({ file: retirementPath(other, dir), problem: expect.stringMatching(/not valid JSON/) })]);
    expect(readFileSync(retirementPath(other, dir), 'utf8')).toBe('{"v":1,"keyArn":');
  });
});
