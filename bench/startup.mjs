// Startup: launch → first frame (the header and the loading line are on the screen) of `keywarden --sandbox` in a
// real terminal (tmux), median of repeated runs, against a bare `node -e ''` in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, median, now, printTable, saveResult } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

let launches = 0;

function firstFrameMs(home) {
  // A fresh tmux server per launch: reusing a socket name races the previous server's exit.
  const socket = `kw-bench-${process.pid}-${++launches}`;
  const tmux = (...args) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const start = now();
  tmux('new-session', '-d', '-s', 'b', '-x', '160', '-y', '40', '-e', 'CI=false', '-e', `KEYWARDEN_HOME=${home}`,
    process.execPath, join(ROOT, 'dist/cli.js'), '--sandbox');
  try {
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-t', 'b');
      if (screen.includes('SANDBOX') && screen.includes('loading keys')) return now() - start;
      if (now() - start > 20_000) throw new Error(`no first frame; screen:\n${screen}`);
    }
  } finally {
    tmux('kill-server');
  }
}

export async function run() {
  const home = mkdtempSync(join(tmpdir(), 'kw-bench-home-'));
  firstFrameMs(home); // seeds the sandbox state file once, so runs measure start-up, not seeding
  const frames = [];
  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    frames.push(firstFrameMs(home));
    const start = now();
    spawnSync(process.execPath, ['-e', '']);
    bare.push(now() - start);
  }
  const row = {
    runs: RUNS,
    firstFrameMedianMs: Math.round(median(frames)),
    bareNodeMedianMs: Math.round(median(bare)),
    ratio: (median(frames) / median(bare)).toFixed(1),
    targetMs: 350,
  };
  printTable('startup (launch → header + loading line on screen, tmux, --sandbox)', [row]);
  saveResult('startup', { ...row, frames: frames.map(Math.round), bare: bare.map(Math.round) });
}
