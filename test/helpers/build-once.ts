// vitest globalSetup: builds dist/ once before any test file runs (scripts/build.mjs does
// nothing when dist/ is up to date). The log reader's worker threads and the end-to-end tests run
// the built program, while the tests themselves run the TypeScript sources: without this, a test
// run after an edit would exercise a stale build.

import { spawnSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.join(import.meta.dirname, '..', '..');
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new Error('npm run build failed: the tests need dist/ (see the compiler output above)');
}
