// Where keywarden keeps its durable state. KEYWARDEN_HOME moves everything (tests set it per
// test; operators can point it at a shared or encrypted volume). Directories holding the
// journal and retirement records are private to the user: they name accounts, keys and callers.

import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import envPaths from 'env-paths';

const APP = 'keywarden';

function home(): string | undefined {
  const value = process.env['KEYWARDEN_HOME'];
  return value === undefined || value === '' ? undefined : path.resolve(value);
}

/** The data directory: `$KEYWARDEN_HOME`, else the platform's data dir for keywarden. */
export function dataDir(): string {
  return home() ?? envPaths(APP, { suffix: '' }).data;
}

/** The config directory: `$KEYWARDEN_HOME/config`, else the platform's config dir for keywarden. */
export function configDir(): string {
  const base = home();
  return base === undefined ? envPaths(APP, { suffix: '' }).config : path.join(base, 'config');
}

/** The append-only audit journal. */
export function journalPath(): string {
  return path.join(dataDir(), 'journal.jsonl');
}

/** One record file per key under retirement. */
export function retirementsDir(): string {
  return path.join(dataDir(), 'retirements');
}

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Create `dir` (and its parents) with mode 0700. If it already exists and belongs to the
 * current user, tighten it to 0700; a directory owned by someone else is left as it is
 * (we could not chmod it anyway). Throws if `dir` exists and is not a directory.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stat = await fs.stat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  if (process.platform === 'win32') return; // POSIX modes mean nothing there
  const isOurs = process.getuid === undefined || stat.uid === process.getuid();
  if (isOurs && (stat.mode & 0o777) !== PRIVATE_DIR_MODE) {
    await fs.chmod(dir, PRIVATE_DIR_MODE);
  }
}

/**
 * Make a directory entry change (a file created or renamed into `dir`) durable. Best effort:
 * some platforms (Windows) cannot open a directory for fsync; the data itself is already synced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}
