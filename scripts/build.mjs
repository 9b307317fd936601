#!/usr/bin/env node
// `npm start` / `npm test` build step: compiles src/ to dist/ only when something it is built
// from changed since the last build (sources, tsconfig, package.json, the installed TypeScript),
// and then incrementally (tsc --incremental keeps its state in dist/.tsbuildinfo). A second
// `npm start` with nothing changed starts at once; when it must build, it says so first.
// `--force` always builds.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = join(root, 'dist', '.build-stamp');

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs; // a deleted file changes its directory's time
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function inputsFingerprint() {
  const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'node_modules/typescript/package.json'];
  const times = inputs.map((input) => {
    const path = join(root, input);
    return existsSync(path) ? newest(path) : 0;
  });
  return JSON.stringify(times);
}

const force = process.argv.includes('--force');
const fingerprint = inputsFingerprint();
const upToDate = !force && existsSync(join(root, 'dist', 'cli.js')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === fingerprint;
if (!upToDate) {
  process.stderr.write('keywarden: building (TypeScript → dist/)…\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', join(root, 'dist', '.tsbuildinfo')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stampFile, fingerprint);
}
