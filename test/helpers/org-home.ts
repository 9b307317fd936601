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

/**
 * operatorHome, with the sandbox's operator credentials and us-east-1 in the environment (no
 * AWS_PROFILE), for tests whose clients read them from there; all put back afterwards.
 */
export function operatorEnvironment(prefix: string, credentials: { accessKeyId: string; secretAccessKey: string }): () => string {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_PROFILE'] as const;
  const previous = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  const home = operatorHome(prefix);
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    process.env.AWS_REGION = 'us-east-1';
    delete process.env.AWS_PROFILE;
  });
  afterAll(() => {
    for (const name of names) {
      if (previous[name] === undefined) delete process.env[name];
      else process.env[name] = previous[name];
    }
  });
  return home;
}
