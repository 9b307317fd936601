// The keys list and the background last-use reader, through the KeySource port: the list shows
// "pending" until a value arrives, the header shows the reading's progress, the reader is told
// which key is selected and which rows are on screen as the operator moves, filters and sorts,
// and `r` re-reads the selected key.

import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallerIdentity, KeyRow, LastUsage } from '../domain/key.js';
import type { LastUseProgress } from '../domain/last-use.js';
import type { InventoryHandlers, KeySource, LastUseFeed, LastUseSnapshot, SessionInfo } from '../domain/source.js';
import { press, waitForFrame, waitForText } from '../../test/helpers/ink.js';
import { ACCOUNT, REGION, manyRows } from '../../test/helpers/kms-fixtures.js';
import { App } from './app.js';

const identity: CallerIdentity = { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/alice`, userId: 'AROA:alice' };
const session: SessionInfo = { regions: [REGION], sandbox: true, readOnly: false };
const size = { columns: 100, rows: 16 };

/** The feed's side of the port, recording what the view tells it; values are handed in by the test. */
class RecordingFeed implements LastUseFeed {
  rows: KeyRow[] = [];
  focuses: Array<{ selected: string | undefined; visible: string[] }> = [];
  rereads: string[] = [];
  private listeners = new Set<() => void>();
  private current: LastUseSnapshot = { values: new Map(), progress: { done: 0, total: 0, perSecond: 5, secondsLeft: 0 } };

  setRows(rows: readonly KeyRow[]): void {
    this.rows = [...rows];
    this.publish(this.current.values, { ...this.current.progress, total: rows.length, secondsLeft: Math.ceil((rows.length - this.current.progress.done) / 5) });
  }
  focus(selected: string | undefined, visible: readonly string[]): void {
    this.focuses.push({ selected, visible: [...visible] });
  }
  reread(arn: string): void {
    this.rereads.push(arn);
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  snapshot(): LastUseSnapshot {
    return this.current;
  }
  idle(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** A value arrives. */
  read(arn: string, value: LastUsage): void {
    const values = new Map(this.current.values).set(arn, value);
    const done = values.size;
    this.publish(values, { ...this.current.progress, done, secondsLeft: Math.ceil((this.current.progress.total - done) / 5) });
  }
  get lastFocus() {
    return this.focuses.at(-1);
  }
  private publish(values: ReadonlyMap<string, LastUsage>, progress: LastUseProgress): void {
    this.current = { values, progress };
    for (const listener of this.listeners) listener();
  }
}

function sourceWithFeed(rows: KeyRow[]): KeySource & { feed: RecordingFeed; loads: number } {
  const feed = new RecordingFeed();
  const source = {
    regions: [REGION],
    feed,
    loads: 0,
    identity: async () => identity,
    async loadInventory(handlers: InventoryHandlers) {
      source.loads += 1;
      handlers.onRows(rows);
      handlers.onProgress([{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]);
    },
    loadDetail: async () => {
      throw new Error('not used here');
    },
    lastUseFeed: () => feed,
  };
  return source;
}

const pendingRows = (count: number): KeyRow[] => manyRows(count).map((row) => ({ ...row, lastUsage: { kind: 'pending' } }));
const arnOfAlias = (rows: KeyRow[], alias: string) => rows.find((row) => row.aliases[0] === `alias/${alias}`)!.arn;

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe('the keys list and last use read in the background', () => {
  it('shows pending rows and the progress, then each value as it is read', async () => {
    const rows = pendingRows(40);
    const source = sourceWithFeed(rows);
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    const first = await waitForText(app.lastFrame, 'last use 0 of 40 · 5/s · about 8 s');
    expect(first).toMatch(/bulk-00000\s+\S+\s+Enabled\s+…\s+.*pending/);
    source.feed.read(arnOfAlias(rows, 'bulk-00000'), { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-20T08:01:44Z', readAt: new Date().toISOString() });
    const after = await waitForText(app.lastFrame, 'last use 1 of 40');
    expect(after).toMatch(/bulk-00000\s+\S+\s+Enabled\s+.*on 365d.*2026-11-20/);
    expect(after).toMatch(/bulk-00001\s+\S+\s+Enabled\s+….*pending/);
    for (const row of rows) source.feed.read(row.arn, { kind: 'never', trackingStartDate: '2025-01-01T00:00:00Z', readAt: new Date().toISOString() });
    const done = await waitForFrame(app.lastFrame, (frame) => !frame.includes('last use') && !frame.includes('pending'));
    expect(done).toContain('40 of 40 keys');
  });

  it('tells the reader the selected key and the rows on screen as the operator moves and filters', async () => {
    const rows = pendingRows(60);
    const source = sourceWithFeed(rows);
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    await waitForText(app.lastFrame, '60 of 60 keys');
    const bodyRows = size.rows - 4 - 2; // header and footer, then the count line and the column titles
    await waitForFrame(app.lastFrame, () => source.feed.lastFocus?.selected === arnOfAlias(rows, 'bulk-00000'));
    expect(source.feed.lastFocus!.visible).toEqual(rows.slice(0, bodyRows).map((row) => row.arn));

    await press(app.stdin, 'G');
    await waitForFrame(app.lastFrame, () => source.feed.lastFocus?.selected === arnOfAlias(rows, 'bulk-00059'));
    expect(source.feed.lastFocus!.visible).toEqual(rows.slice(60 - bodyRows).map((row) => row.arn));

    await press(app.stdin, '/');
    for (const ch of 'bulk-0002') await press(app.stdin, ch);
    await waitForFrame(app.lastFrame, () => source.feed.lastFocus?.visible.length === 10);
    expect(source.feed.lastFocus!.visible).toEqual(rows.slice(20, 30).map((row) => row.arn));
    expect(source.feed.rows).toHaveLength(60);
  });

  it('r re-reads the selected key and reloads the rows', async () => {
    const rows = pendingRows(10);
    const source = sourceWithFeed(rows);
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    await waitForText(app.lastFrame, '10 of 10 keys');
    await press(app.stdin, 'j');
    await press(app.stdin, 'j');
    await press(app.stdin, 'r');
    await waitForFrame(app.lastFrame, () => source.loads === 2);
    expect(source.feed.rereads).toEqual([arnOfAlias(rows, 'bulk-00002')]);
  });

  it('r re-reads the key the selection is on after more keys arrived above it while the list loaded', async () => {
    const rows = pendingRows(20);
    let release!: () => void;
    const rest = new Promise<void>((resolve) => (release = resolve));
    const source = sourceWithFeed(rows);
    source.loadInventory = async (handlers: InventoryHandlers) => {
      source.loads += 1;
      if (source.loads > 1) return handlers.onRows(rows);
      // The last ten aliases are listed first; the first ten (sorted above them) come later.
      handlers.onRows(rows.slice(10));
      await rest;
      handlers.onRows(rows.slice(0, 10));
    };
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    await waitForText(app.lastFrame, '10 of 10 keys');
    await press(app.stdin, 'G');
    const last = arnOfAlias(rows, 'bulk-00019');
    await waitForFrame(app.lastFrame, () => source.feed.lastFocus?.selected === last);
    release();
    await waitForText(app.lastFrame, '20 of 20 keys');
    expect(source.feed.lastFocus?.selected).toBe(last);
    expect(app.lastFrame()).toMatch(/›\s+bulk-00019/);
    await press(app.stdin, 'r');
    await waitForFrame(app.lastFrame, () => source.loads === 2);
    expect(source.feed.rereads).toEqual([last]);
  });

  it('a fresh start stays on the first row while keys sort in above the first ones listed', async () => {
    const rows = pendingRows(20);
    let release!: () => void;
    const rest = new Promise<void>((resolve) => (release = resolve));
    const source = sourceWithFeed(rows);
    source.loadInventory = async (handlers: InventoryHandlers) => {
      source.loads += 1;
      // One Region's keys first; another's (sorted above them) later.
      handlers.onRows(rows.slice(10));
      await rest;
      handlers.onRows(rows.slice(0, 10));
      handlers.onProgress([{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]);
    };
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    await waitForText(app.lastFrame, '10 of 10 keys');
    expect(app.lastFrame()).toMatch(/›\s+bulk-00010/);
    release();
    await waitForText(app.lastFrame, '20 of 20 keys');
    expect(app.lastFrame()).toMatch(/›\s+bulk-00000/);
  });

  it('a refresh that lists the keys in another order keeps the selection on the same key', async () => {
    // Keys without an alias keep the order they were listed in; a refresh may list them in another.
    const rows = pendingRows(10).map((row) => ({ ...row, aliases: [] }));
    const source = sourceWithFeed(rows);
    source.loadInventory = async (handlers: InventoryHandlers) => {
      source.loads += 1;
      handlers.onRows(source.loads === 1 ? rows : [...rows].reverse());
      handlers.onProgress([{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]);
    };
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    await waitForText(app.lastFrame, '10 of 10 keys');
    await press(app.stdin, 'j');
    await press(app.stdin, 'j');
    await press(app.stdin, 'r');
    await waitForFrame(app.lastFrame, () => source.loads === 2);
    await waitForFrame(app.lastFrame, () => source.feed.rows[0]?.arn === rows[9]!.arn);
    await press(app.stdin, 'r');
    await waitForFrame(app.lastFrame, () => source.loads === 3);
    expect(source.feed.rereads).toEqual([rows[2]!.arn, rows[2]!.arn]);
    expect(source.feed.lastFocus?.selected).toBe(rows[2]!.arn);
  });
});
