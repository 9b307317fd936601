// Render: the keys view with 10,000 keys, keystroke → frame, for typing in the filter and for
// scrolling a page; median and p95. Each measurement runs in its own process
// (bench/render-child.mjs) through Ink's real terminal path, once as keywarden runs it and once
// with Ink as it ships, so the gain of keywarden's faster styled-line step is a ratio from one run.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, printTable, saveResult } from './lib.mjs';

const KEYS = Number(process.env.BENCH_RENDER_KEYS ?? 10000);
const run_ = promisify(execFile);

async function child(mode) {
  const { stdout } = await run_(process.execPath, [join(ROOT, 'bench/render-child.mjs'), mode], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

export async function run() {
  const keywarden = await child('keywarden');
  const ink = await child('ink');
  const row = (action, mine, stock) => ({
    action,
    samples: mine.samples,
    medianMs: mine.medianMs.toFixed(1),
    p95Ms: mine.p95Ms.toFixed(1),
    maxMs: mine.maxMs.toFixed(1),
    stockInkMedianMs: stock.medianMs.toFixed(1),
    stockInkP95Ms: stock.p95Ms.toFixed(1),
    speedup: `${(stock.medianMs / mine.medianMs).toFixed(1)}×`,
  });
  const table = [
    row('filter typing (keystroke → frame)', keywarden.typing, ink.typing),
    row('page down (keystroke → frame)', keywarden.scrolling, ink.scrolling),
  ];
  printTable(`render (keys view, ${KEYS} keys, 160×50, Ink's terminal path with colours; targets: median ≤ 16 ms, p95 ≤ 50 ms)`, table);
  saveResult('render', { keys: KEYS, columns: 160, rows: 50, results: table });
}
