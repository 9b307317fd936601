// Shared helpers for the benchmarks: timing, stats, tables, results files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const now = () => Number(process.hrtime.bigint()) / 1e6;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function machine() {
  const cpu = cpus();
  return { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

export function printTable(title, rows) {
  console.log(`\n${title}`);
  const keys = Object.keys(rows[0] ?? {});
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  console.log(keys.map((k, i) => k.padEnd(widths[i])).join('  '));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(keys.map((k, i) => String(row[k]).padEnd(widths[i])).join('  '));
}

export function saveResult(name, data) {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: name, time: new Date().toISOString(), machine: machine(), ...data }, null, 2)}\n`);
  console.log(`results written to ${file}`);
}

/** Every key of the client's region, paging through ListKeys (1,000 a page). */
export async function listKeys(kms) {
  const keys = [];
  let marker;
  do {
    const page = await kms.send(new ListKeysCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }));
    keys.push(...page.Keys);
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return keys;
}

/** A terminal's output side: Ink sizes the screen from it and writes each frame to it. */
export class FakeTerminal extends Writable {
  isTTY = true;
  screen = '';
  frames = 0;
  onFrame = undefined;
  constructor(columns, rows) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  _write(chunk, _encoding, done) {
    const text = chunk.toString();
    // Frames are whole screens; the short writes around them are cursor and sync-update codes.
    if (text.length > this.columns) {
      this.screen = text;
      this.frames += 1;
      const resolve = this.onFrame;
      this.onFrame = undefined;
      resolve?.();
    }
    done();
  }
}

/** A terminal's input side in raw mode. */
export function keyboard() {
  const stdin = new PassThrough();
  stdin.isTTY = true;
  stdin.setRawMode = () => stdin;
  stdin.ref = () => stdin;
  stdin.unref = () => stdin;
  return stdin;
}
