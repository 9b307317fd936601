// `npm start` after the first run must not rebuild what did not change (it took 25–58 s of
// silence when every start ran a full TypeScript build). `npm test` builds first (pretest), so
// here nothing has changed since.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './terminal.js';

describe('the build step of npm start', () => {
  it('does nothing, and says nothing, when no source changed since the last build', () => {
    const built = (file: string) => statSync(join(PROJECT_ROOT, 'dist', file)).mtimeMs;
    const before = [built('cli.js'), built('.build-stamp')];
    const output = execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(output).toBe('');
    expect([built('cli.js'), built('.build-stamp')]).toEqual(before);
  });

  it('says it is building before it builds, when what dist/ was built from changed', () => {
    const stamp = join(PROJECT_ROOT, 'dist', '.build-stamp');
    const fingerprint = readFileSync(stamp, 'utf8');
    // As if a source changed since the last build: the stamp no longer matches. With the sources
    // as they are, tsc --incremental finds dist/ current and rewrites nothing the other tests read.
    writeFileSync(stamp, 'a build from other sources');
    try {
      const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build.mjs')], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stderr.split('\n')[0]).toBe('keywarden: building (TypeScript → dist/)…');
      expect(readFileSync(stamp, 'utf8')).toBe(fingerprint);
    } finally {
      writeFileSync(stamp, fingerprint);
    }
  });
});
