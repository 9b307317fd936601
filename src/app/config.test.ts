import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeywardenError } from '../domain/errors.js';
import { DEFAULT_THRESHOLDS } from '../domain/findings.js';
import { configPath, loadConfig, loadThresholds, parseThresholdFlags, resolveThresholds } from './config.js';

let home: string;
let previous: string | undefined;

beforeEach(() => {
  previous = process.env['KEYWARDEN_HOME'];
  home = mkdtempSync(path.join(tmpdir(), 'kw-config-'));
  process.env['KEYWARDEN_HOME'] = home;
});

afterEach(() => {
  if (previous === undefined) delete process.env['KEYWARDEN_HOME'];
  else process.env['KEYWARDEN_HOME'] = previous;
});

function write(text: string): string {
  const file = configPath();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('the config file', () => {
  it('lives in the config dir, which honours KEYWARDEN_HOME', () => {
    expect(configPath()).toBe(path.join(home, 'config', 'config.json'));
  });

  it('missing: the defaults', async () => {
    const config = await loadConfig();
    expect(config.found).toBe(false);
    expect(config.thresholds).toEqual(DEFAULT_THRESHOLDS);
  });

  it('present: its thresholds over the defaults', async () => {
    write(JSON.stringify({ thresholds: { unusedDays: 60, adminRoles: ['PlatformOwners'] } }));
    const config = await loadConfig();
    expect(config.found).toBe(true);
    expect(config.thresholds).toEqual({ ...DEFAULT_THRESHOLDS, unusedDays: 60, adminRoles: ['PlatformOwners'] });
  });

  it('the guard and the suppressions', async () => {
    const role = 'arn:aws:iam::111122223333:role/BreakGlass';
    const suppression = { id: 'rotation-off', key: 'alias/legacy/old-batch', reason: 'retired in Q1', expires: '2027-03-31' };
    write(JSON.stringify({ thresholds: { guardDays: 180, breakGlassRole: role }, suppressions: [suppression] }));
    const config = await loadConfig();
    expect(config.thresholds).toMatchObject({ guardDays: 180, breakGlassRole: role });
    expect(config.suppressions).toEqual([suppression]);
    expect((await loadConfig(path.join(home, 'nowhere.json'))).suppressions).toEqual([]);
  });

  it.each([
    ['a break-glass role that is not a role ARN', '{"thresholds": {"breakGlassRole": "BreakGlass"}}', /thresholds\.breakGlassRole: must be an IAM role ARN/],
    ['a guard of 0 days', '{"thresholds": {"guardDays": 0}}', /thresholds\.guardDays/],
    ['a suppression without a reason', '{"suppressions": [{"id": "unused", "reason": " ", "expires": "2027-01-01"}]}', /suppressions\.0\.reason: a suppression needs a reason/],
    ['a suppression without an expiry', '{"suppressions": [{"id": "unused", "reason": "r"}]}', /suppressions\.0\.expires/],
    ['an expiry that is no date', '{"suppressions": [{"id": "unused", "reason": "r", "expires": "2027-02-31x"}]}', /suppressions\.0\.expires: must be a date, YYYY-MM-DD/],
  ])('refuses %s, naming the field', async (_name, text, message) => {
    const file = write(text);
    await expect(loadConfig()).rejects.toThrow(message);
    await expect(loadConfig()).rejects.toThrow(file);
  });

  it.each([
    ['not JSON', '{"thresholds": ', /not valid JSON/],
    ['a wrong type', '{"thresholds": {"unusedDays": "ninety"}}', /thresholds\.unusedDays/],
    ['an unknown field (a typo)', '{"thresholds": {"unusedDay": 10}}', /not valid/],
    ['a rotation maximum outside 90–2560', '{"thresholds": {"maxRotationDays": 30}}', /maxRotationDays/],
    ['not an object', '[]', /not valid/],
  ])('corrupt (%s): an error naming the file, never ignored', async (_name, text, pattern) => {
    const file = write(text);
    const error = await loadConfig().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardenError);
    expect((error as KeywardenError).kind).toBe('validation');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(pattern);
  });

  it('a config path that is a directory is an error naming it', async () => {
    mkdirSync(configPath(), { recursive: true });
    await expect(loadConfig()).rejects.toThrow(configPath());
  });
});

describe('threshold flags', () => {
  it('parse and override the config', async () => {
    write(JSON.stringify({ thresholds: { unusedDays: 60, disabledDays: 10 } }));
    const parsed = parseThresholdFlags({ unusedDays: '120', maxRotationDays: '730', adminRoles: 'Ops, SecurityAdmin ,' });
    expect(parsed).toEqual({ ok: true, overrides: { unusedDays: 120, maxRotationDays: 730, adminRoles: ['Ops', 'SecurityAdmin'] } });
    if (!parsed.ok) return;
    expect(await loadThresholds(parsed.overrides)).toEqual({ ...DEFAULT_THRESHOLDS, unusedDays: 120, disabledDays: 10, maxRotationDays: 730, adminRoles: ['Ops', 'SecurityAdmin'] });
  });

  it.each([
    [{ unusedDays: 'x' }, /--unused-days/],
    [{ disabledDays: '0' }, /--disabled-days/],
    [{ recentUseDays: '-3' }, /--recent-use-days/],
    [{ maxRotationDays: '60' }, /--max-rotation-days must be a whole number of days from 90 to 2560/],
    [{ adminRoles: ' , ' }, /--admin-roles/],
  ])('refuse %j', (flags, message) => {
    const parsed = parseThresholdFlags(flags);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('no flags: no overrides', () => {
    expect(parseThresholdFlags({})).toEqual({ ok: true, overrides: {} });
    expect(resolveThresholds(DEFAULT_THRESHOLDS, {})).toEqual(DEFAULT_THRESHOLDS);
  });
});
