import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { UsageLoadState } from '../../domain/usage.js';
import type { KeyRow } from '../../domain/key.js';
import type { InventoryHandlers, KeySource } from '../../domain/source.js';
import { waitForFrame, waitForText } from '../../../test/helpers/ink.js';
import { ACCOUNT, REGION, ebsDetail, ebsRow, fargateRow, manyRows } from '../../../test/helpers/kms-fixtures.js';
import { useIdentity } from './use-identity.js';
import { useInventory } from './use-inventory.js';
import { useKeyDetail } from './use-key-detail.js';
import { useUsage } from './use-usage.js';
import { drawableSize, useTerminalSize } from './use-terminal-size.js';

function source(overrides: Partial<KeySource>): KeySource {
  return {
    regions: [REGION],
    identity: async () => ({ account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice`, userId: 'AIDA' }),
    loadInventory: async () => {},
    loadDetail: async () => ebsDetail,
    ...overrides,
  };
}

describe('useInventory', () => {
  it('batches a 10,000-row stream into a few renders and merges by ARN', async () => {
    const rows = manyRows(10_000);
    let renders = 0;
    const streaming = source({
      async loadInventory(handlers: InventoryHandlers) {
        handlers.onProgress([{ region: REGION, listed: rows.length, loaded: 0, done: false }]);
        for (const row of rows) {
          handlers.onRows([row]); // one row at a time: the worst case
          if (Number(row.keyId.slice(-4)) % 1000 === 0) await new Promise((r) => setTimeout(r, 1));
        }
        // the same key again (e.g. re-read after a retry) replaces, not duplicates
        handlers.onRows([{ ...rows[0]!, aliases: ['alias/renamed'] }]);
        handlers.onProgress([{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]);
      },
    });
    function Probe() {
      const inventory = useInventory(streaming);
      renders += 1;
      return (
        <Text>
          {inventory.status} {inventory.rows.length} {inventory.rows[0]?.aliases[0]} {inventory.progress[0]?.loaded}
        </Text>
      );
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, 'ready 10000 alias/renamed 10000');
    expect(renders).toBeLessThan(50);
    app.unmount();
  });

  it('reports an error and keeps the rows it had; refresh reloads and drops keys that are gone', async () => {
    let round = 0;
    const flaky = source({
      async loadInventory(handlers) {
        round += 1;
        if (round === 1) {
          handlers.onRows([ebsRow, fargateRow]);
          return;
        }
        handlers.onRows([ebsRow]);
        if (round === 2) throw new Error('Rate exceeded');
      },
    });
    let refresh: () => void = () => {};
    function Probe() {
      const inventory = useInventory(flaky, { flushMs: 1 });
      refresh = inventory.refresh;
      return <Text>{`${inventory.status} ${inventory.rows.map((r: KeyRow) => r.aliases[0]).join(',')} ${inventory.error ?? ''}`}</Text>;
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, 'ready alias/ebs-volumes,alias/fargate-ephemeral');
    refresh();
    await waitForText(app.lastFrame, 'error alias/ebs-volumes,alias/fargate-ephemeral Rate exceeded');
    refresh();
    await waitForFrame(app.lastFrame, (f) => f.trim() === 'ready alias/ebs-volumes');
    app.unmount();
  });
});

describe('useKeyDetail and useIdentity', () => {
  it('loads a key, reports a failure, and stays idle without a key', async () => {
    function Probe({ arn }: { arn?: string }) {
      const detail = useKeyDetail(
        source({
          loadDetail: async (key) => {
            if (key.arn === 'missing') throw new Error('Key is not found');
            return ebsDetail;
          },
        }),
        arn === undefined ? undefined : { arn, region: REGION },
      );
      const identity = useIdentity(idSource);
      return (
        <Text>
          {detail.status} {detail.status === 'ready' ? detail.detail.row.aliases[0] : detail.status === 'error' ? detail.error : ''}{' '}
          {identity.status === 'ready' ? identity.identity.account : identity.status}
        </Text>
      );
    }
    const idSource = source({});
    const app = render(<Probe />);
    await waitForText(app.lastFrame, `idle  ${ACCOUNT}`);
    app.rerender(<Probe arn={ebsRow.arn} />);
    await waitForText(app.lastFrame, 'ready alias/ebs-volumes');
    app.rerender(<Probe arn="missing" />);
    await waitForText(app.lastFrame, 'error Key is not found');
    app.unmount();
  });
});

describe('useTerminalSize', () => {
  it('draws one line less than the terminal, so Ink never clears the whole terminal', () => {
    expect(drawableSize({ columns: 160, rows: 50 })).toEqual({ columns: 160, rows: 49 });
    expect(drawableSize({ columns: 0, rows: 0 })).toEqual({ columns: 80, rows: 23 });
    expect(drawableSize({ columns: 20, rows: 1 })).toEqual({ columns: 20, rows: 1 });
  });

  it('uses the override, else the drawable stdout size with a fallback for rows', async () => {
    function Probe({ size }: { size?: { columns: number; rows: number } }) {
      const s = useTerminalSize(size);
      return <Text>{`${s.columns}x${s.rows}`}</Text>;
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, '100x23'); // ink-testing-library: 100 columns, no rows
    app.rerender(<Probe size={{ columns: 120, rows: 40 }} />);
    await waitForText(app.lastFrame, '120x40');
    app.unmount();
  });
});

describe('useUsage', () => {
  it('keeps what a stopped reading returns, and never lets an earlier key\'s late answer land after a stop', async () => {
    const marker = (text: string) => ({ marker: text }) as unknown as UsageLoadState;
    const finish = new Map<string, (value: UsageLoadState) => void>();
    const reading = source({
      loadUsage: (key, options, signal) =>
        new Promise<UsageLoadState>((resolve) => {
          const name = key.arn.endsWith(ebsRow.keyId) ? 'A' : 'B';
          options.onProgress?.(marker(`${name} page 1`));
          finish.set(name, resolve);
          // Stopped: B answers with what it had read; A is slow to notice and answers late.
          if (name === 'B') signal?.addEventListener('abort', () => resolve(marker(`${name} as read when stopped`)));
        }),
    });
    let control: { setKey(k: 'A' | 'B'): void; stop(): void } | undefined;
    function Probe() {
      const [which, setKey] = useState<'A' | 'B'>('A');
      const row = which === 'A' ? ebsRow : fargateRow;
      const usage = useUsage(reading, { arn: row.arn, region: row.region }, '24h');
      control = { setKey, stop: usage.stop };
      const loaded = 'loaded' in usage.state ? (usage.state.loaded as unknown as { marker: string } | undefined)?.marker : undefined;
      return <Text>{`${usage.state.status} ${loaded ?? '-'}`}</Text>;
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, 'loading A page 1');
    const lateA = finish.get('A')!;
    control!.setKey('B'); // A is out of date now (aborted: it answers, and is ignored)
    await waitForText(app.lastFrame, 'loading B page 1');
    control!.stop();
    await waitForText(app.lastFrame, 'ready B as read when stopped');
    lateA(marker('A late'));
    await new Promise((r) => setTimeout(r, 50));
    expect(app.lastFrame()).toContain('ready B as read when stopped');
    app.unmount();
  });
});
