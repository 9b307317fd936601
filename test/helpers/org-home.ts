// The sandbox organization's tests run as operator "alice" (the session name and SourceIdentity
// keywarden gives assumed roles) in a KEYWARDEN_HOME of their own, put back afterwards.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** Progress written nowhere (the inventory's stderr lines). */
export const silent = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream & { isTTY?: boolean };

/** A home directory for this test file, made before its tests and removed after; returns how to read its path. */
export function operatorHome(prefix: string): () => string {
  let home = '';
  const previous = { home: process.env.KEYWARDEN_HOME, user: process.env.USER };
  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), prefix));
    process.env.KEYWARDEN_HOME = home;
    process.env.USER = 'alice';
  });
  afterAll(() => {
    if (previous.home === undefined) delete process.env.KEYWARDEN_HOME;
    else process.env.KEYWARDEN_HOME = previous.home;
    if (previous.user === undefined) delete process.env.USER;
    else process.env.USER = previous.user;
    rmSync(home, { recursive: true, force: true });
  });
  return () => home;
}
