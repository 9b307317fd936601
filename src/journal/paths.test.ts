import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configDir, dataDir, ensurePrivateDir, journalPath, retirementsDir } from './paths.js';

const isPosix = process.platform !== 'win32';
let temp: string;

beforeEach(async () => {
  temp = await fs.mkdtemp(path.join(os.tmpdir(), 'keywarden-paths-'));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fs.rm(temp, { recursive: true, force: true });
});

describe('paths', () => {
  it('puts everything under KEYWARDEN_HOME when it is set', () => {
    vi.stubEnv('KEYWARDEN_HOME', temp);
    expect(dataDir()).toBe(temp);
    expect(configDir()).toBe(path.join(temp, 'config'));
    expect(journalPath()).toBe(path.join(temp, 'journal.jsonl'));
    expect(retirementsDir()).toBe(path.join(temp, 'retirements'));
  });

  it('uses the platform directories, without the nodejs suffix, otherwise', () => {
    vi.stubEnv('KEYWARDEN_HOME', '');
    const expected = envPaths('keywarden', { suffix: '' });
    expect(dataDir()).toBe(expected.data);
    expect(configDir()).toBe(expected.config);
    expect(journalPath()).toBe(path.join(expected.data, 'journal.jsonl'));
    expect(path.basename(dataDir())).toBe('keywarden');
  });
});

describe('ensurePrivateDir', () => {
  it.runIf(isPosix)('creates missing directories with mode 0700', async () => {
    const dir = path.join(temp, 'a', 'b');
    await ensurePrivateDir(dir);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
  });

  it.runIf(isPosix)('tightens an existing directory of ours to 0700', async () => {
    const dir = path.join(temp, 'loose');
    await fs.mkdir(dir, { mode: 0o755 });
    await fs.chmod(dir, 0o755);
    await ensurePrivateDir(dir);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('refuses a path that is a file', async () => {
    const file = path.join(temp, 'file');
    await fs.writeFile(file, 'x');
    await expect(ensurePrivateDir(file)).rejects.toThrow();
  });
});
