import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountClock, type SandboxClock } from '../domain/clock.js';
import type { CallerIdentity } from '../domain/key.js';
import type { InventoryHandlers, KeySource, SessionInfo } from '../domain/source.js';
import { advanceSandboxClock } from '../sandbox/clock-client.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { waitForFrame, waitForText } from '../../test/helpers/ink.js';
import { ACCOUNT, REGION, ebsRow } from '../../test/helpers/kms-fixtures.js';
import { App } from './app.js';

const identity: CallerIdentity = { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/alice`, userId: 'AROA:alice' };
const session: SessionInfo = { regions: [REGION], sandbox: true, readOnly: true };
const size = { columns: 140, rows: 24 };
const DAY_MS = 86_400_000;

/** A key source that counts its loads (a refresh is a second load). */
function countingSource() {
  const counter = { loads: 0 };
  const source: KeySource = {
    regions: [REGION],
    identity: async () => identity,
    async loadInventory(handlers: InventoryHandlers) {
      counter.loads += 1;
      handlers.onRows([ebsRow]);
      handlers.onProgress([{ region: REGION, listed: 1, loaded: 1, done: true }]);
    },
    loadDetail: async () => {
      throw new Error('not used');
    },
  };
  return { source, counter };
}

/** The clock of a real sandbox over its control route, as connect() builds it. */
function clockOf(sandbox: Sandbox): SandboxClock {
  const clock = new AccountClock();
  clock.observe(sandbox.now());
  return {
    now: () => clock.now(),
    offsetMs: () => clock.offsetMs,
    async advance(seconds) {
      const moved = await advanceSandboxClock(sandbox.url, seconds);
      clock.observe(moved);
      return moved;
    },
  };
}

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

describe(':clock in the TUI', () => {
  it('shows the sandbox time, refuses to go back, moves it forward, shows the date badge and loads the keys again', async () => {
    const sandbox = await startSandbox({ port: 0, statePath: join(mkdtempSync(join(tmpdir(), 'kw-app-clock-')), 'state.json') });
    cleanups.push(() => sandbox.close());
    const { source, counter } = countingSource();
    const app = render(<App source={source} session={session} size={size} sandboxClock={clockOf(sandbox)} />);
    cleanups.push(() => app.unmount());
    const first = await waitForText(app.lastFrame, '1 of 1 keys');
    expect(first).not.toContain('SANDBOX TIME');
    expect(counter.loads).toBe(1);

    app.stdin.write(':clock\r');
    await waitForText(app.lastFrame, "the same as this machine's");

    app.stdin.write(':clock -2d\r');
    await waitForText(app.lastFrame, 'only moves forward');
    app.stdin.write(':clock soon\r');
    await waitForText(app.lastFrame, 'is not an amount of time');
    expect(sandbox.now().getTime() - Date.now()).toBeLessThan(60_000);

    app.stdin.write(':clock +15d\r');
    const ahead = new Date(Date.now() + 15 * DAY_MS).toISOString().slice(0, 10);
    const moved = await waitForFrame(app.lastFrame, (frame) => frame.includes(`SANDBOX TIME ${ahead}`) && frame.includes('sandbox time moved forward 15 days'), { timeoutMs: 30_000 });
    expect(moved).toContain(`now ${ahead}`);
    expect(sandbox.now().getTime() - Date.now()).toBeGreaterThan(15 * DAY_MS - 60_000);
    expect(counter.loads).toBe(2);
  });

  it('says where :clock works when the endpoint is not a keywarden sandbox', async () => {
    const { source } = countingSource();
    const app = render(<App source={source} session={{ ...session, sandbox: false }} size={size} />);
    cleanups.push(() => app.unmount());
    await waitForText(app.lastFrame, '1 of 1 keys');
    app.stdin.write(':clock +15d\r');
    await waitForText(app.lastFrame, ":clock moves a keywarden sandbox's time");
  });
});
