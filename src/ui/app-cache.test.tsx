import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallerIdentity, KeyRow } from '../domain/key.js';
import type { CachedInventory, InventoryHandlers, KeySource, SessionInfo } from '../domain/source.js';
import { waitForFrame, waitForText } from '../../test/helpers/ink.js';
import { ACCOUNT, REGION, ebsRow, fargateRow, signingRow } from '../../test/helpers/kms-fixtures.js';
import { App } from './app.js';

const identity: CallerIdentity = { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/alice`, userId: 'AROA:alice' };
const session: SessionInfo = { regions: [REGION], sandbox: false, readOnly: true };
const size = { columns: 120, rows: 24 };

/** A source whose cache answers at once and whose fresh load finishes when the test says so. */
function cachedSource(cached: KeyRow[], fresh: KeyRow[]) {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const source: KeySource = {
    regions: [REGION],
    identity: async () => identity,
    cachedInventory: async (): Promise<CachedInventory> => ({ rows: cached, savedAt: new Date(Date.now() - 2 * 3_600_000).toISOString(), notices: [] }),
    async loadInventory(handlers: InventoryHandlers) {
      handlers.onProgress([{ region: REGION, listed: fresh.length, loaded: 0, done: false }]);
      await done;
      handlers.onRows(fresh);
      handlers.onProgress([{ region: REGION, listed: fresh.length, loaded: fresh.length, done: true }]);
    },
    loadDetail: async () => {
      throw new Error('not used');
    },
  };
  return { source, finish };
}

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe('App with a cached inventory', () => {
  it('shows the cached rows at once, marked stale, then the fresh ones; keys that are gone drop out', async () => {
    const renamed: KeyRow = { ...ebsRow, aliases: ['alias/ebs/renamed-now'] };
    const { source, finish } = cachedSource([ebsRow, signingRow], [renamed, fargateRow]);
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    const stale = await waitForText(app.lastFrame, 'cached 2h ago — refreshing…');
    expect(stale).toContain(ebsRow.aliases[0]!.replace(/^alias\//, ''));
    expect(stale).toContain('2 of 2 keys');
    finish();
    const fresh = await waitForFrame(app.lastFrame, (frame) => frame.includes('ebs/renamed-now') && !frame.includes('cached'));
    expect(fresh).not.toContain(signingRow.aliases[0]!.replace(/^alias\//, ''));
    expect(fresh).toContain('2 of 2 keys');
  });

  it('never brings cached rows back when the cache answers after the fresh load has finished', async () => {
    let answerCache: (value: CachedInventory) => void = () => undefined;
    const late = new Promise<CachedInventory>((resolve) => {
      answerCache = resolve;
    });
    const source: KeySource = {
      regions: [REGION],
      identity: async () => identity,
      cachedInventory: () => late,
      async loadInventory(handlers: InventoryHandlers) {
        handlers.onRows([fargateRow]);
        handlers.onProgress([{ region: REGION, listed: 1, loaded: 1, done: true }]);
      },
      loadDetail: async () => {
        throw new Error('not used');
      },
    };
    const app = render(<App source={source} session={session} size={size} />);
    cleanups.push(() => app.unmount());
    await waitForText(app.lastFrame, '1 of 1 keys');
    answerCache({ rows: [signingRow], savedAt: new Date().toISOString(), notices: [] });
    await late;
    await new Promise((resolve) => setTimeout(resolve, 100)); // longer than the hook's flush interval
    const frame = await waitForText(app.lastFrame, '1 of 1 keys');
    expect(frame).not.toContain('cached');
    expect(frame).not.toContain(signingRow.aliases[0]!.replace(/^alias\//, ''));
  });
});
