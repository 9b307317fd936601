// What the program says when the file system or the network is not as it expects: in words,
// never Node's own text ("EISDIR: illegal operation on a directory, read"), and never that an
// endpoint answered when none could be reached. Needs `npm run build` first.

import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKeywarden } from './terminal.js';

const home = () => mkdtempSync(join(tmpdir(), 'kw-syserr-'));

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('system errors, in words', () => {
  it('a journal that is a directory: named, and said what is wrong', async () => {
    const dir = home();
    mkdirSync(join(dir, 'journal.jsonl'));
    const run = await runKeywarden(['journal'], { KEYWARDEN_HOME: dir });
    expect(run.stderr).toContain(`cannot read ${join(dir, 'journal.jsonl')}: it is a directory, not a file`);
    expect(run.stderr).not.toMatch(/EISDIR: illegal operation/);
    expect(run.code).toBe(1);
  });

  it('KEYWARDEN_HOME under a file: the config cannot be read because a part of the path is a file', async () => {
    const file = join(home(), 'somefile');
    writeFileSync(file, '');
    const run = await runKeywarden(['list', '--sandbox', '--no-last-use'], { KEYWARDEN_HOME: join(file, 'sub') });
    expect(run.stderr).toMatch(/cannot be read: a part of the path is a file, not a directory \(ENOTDIR\)/);
    expect(run.stderr).not.toMatch(/cannot be read \(ENOTDIR\)/);
  });

  it('nothing listening, no such host: "could not connect", "could not be resolved" — not "the endpoint answered"', async () => {
    const env = { KEYWARDEN_HOME: home(), AWS_ACCESS_KEY_ID: 'AKIAKEYWARDENTEST', AWS_SECRET_ACCESS_KEY: 'keywarden-test-secret', AWS_REGION: 'us-east-1' };
    const refused = await runKeywarden(['list', '--no-last-use', '--endpoint-url', `http://127.0.0.1:${await closedPort()}`], env);
    expect(refused.stderr).toMatch(/could not connect: the connection was refused \(ECONNREFUSED\); retrying/);
    expect(refused.stderr).not.toMatch(/endpoint answered/);
    expect(refused.code).toBe(1);
    const unknown = await runKeywarden(['list', '--no-last-use', '--endpoint-url', 'https://keywarden-test.invalid:9'], env);
    expect(unknown.stderr).toMatch(/the host name could not be resolved/);
    expect(unknown.stderr).not.toMatch(/endpoint answered/);
    expect(unknown.code).toBe(1);
  });
});
