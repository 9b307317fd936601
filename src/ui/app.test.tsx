import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallerIdentity, KeyDetail, KeyRow } from '../domain/key.js';
import type { InventoryHandlers, KeySource, RetirementSource, SessionInfo } from '../domain/source.js';
import { press, tick, waitForFrame, waitForText } from '../../test/helpers/ink.js';
import {
  ACCOUNT,
  ALL_ROWS,
  HOSTILE_POLICY,
  awsManagedRow,
  REGION,
  ebsDetail,
  ebsRow,
  fargateDetail,
  manyRows,
  mrkPrimaryRow,
  signingDetail,
} from '../../test/helpers/kms-fixtures.js';
import { App } from './app.js';

const identity: CallerIdentity = { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/alice`, userId: 'AROA:alice' };
const session: SessionInfo = { regions: [REGION], sandbox: true, readOnly: false };
const size = { columns: 100, rows: 24 };

/** The UI port over fixture rows: no AWS, no fake services, just the interface the hooks use. */
function fixtureSource(rows: KeyRow[], details: KeyDetail[] = [], options: { hold?: Promise<void> } = {}): KeySource & { loads: number } {
  const source = {
    regions: [REGION],
    loads: 0,
    identity: async () => identity,
    async loadInventory(handlers: InventoryHandlers) {
      source.loads += 1;
      handlers.onProgress([{ region: REGION, listed: rows.length, loaded: 0, done: false }]);
      for (let i = 0; i < rows.length; i += 500) handlers.onRows(rows.slice(i, i + 500));
      await options.hold;
      handlers.onProgress([{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]);
    },
    async loadDetail(key: { arn: string }) {
      const detail = details.find((d) => d.row.arn === key.arn);
      if (!detail) throw new Error(`Key '${key.arn}' does not exist`);
      return detail;
    },
  };
  return source;
}

const renderApp = (source: KeySource, extra: Partial<{ session: SessionInfo; onExit: (code: number) => void }> = {}) =>
  render(<App source={source} session={extra.session ?? session} size={size} onExit={extra.onExit} />);

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function track<T extends { unmount: () => void }>(instance: T): T {
  cleanups.push(() => instance.unmount());
  return instance;
}

describe('App', () => {
  it('shows the header, the keys and the footer; AWS-managed keys only after a', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS)));
    const frame = await waitForText(app.lastFrame, '7 of 7 keys');
    expect(frame).toContain('SANDBOX');
    expect(frame).toContain(`account ${ACCOUNT}`);
    expect(frame).toContain('ebs-volumes +1');
    expect(frame).not.toContain('aws/ebs');
    expect(frame).toContain('j move');
    await tick();
    await press(app.stdin, 'a');
    const withAws = await waitForText(app.lastFrame, '8 of 8 keys');
    expect(withAws).toContain('aws/ebs');
    await press(app.stdin, 'a');
    await waitForText(app.lastFrame, '7 of 7 keys');
  });

  it('shows a spinner with progress while nothing has arrived, then rows as they stream', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const slow: KeySource = {
      regions: [REGION],
      identity: () => new Promise(() => {}),
      async loadInventory(handlers) {
        handlers.onProgress([{ region: REGION, listed: 400, loaded: 120, done: false }]);
        await hold;
        handlers.onRows([ebsRow]);
        handlers.onProgress([{ region: REGION, listed: 400, loaded: 121, done: false }]);
        await new Promise(() => {});
      },
      loadDetail: () => new Promise(() => {}),
    };
    const app = track(renderApp(slow));
    const loading = await waitForText(app.lastFrame, 'loading keys… 120 of 400 listed');
    expect(loading).toContain('identity loading…');
    release();
    const streaming = await waitForText(app.lastFrame, 'ebs-volumes');
    expect(streaming).toContain('loading keys… 121 of 400 listed');
  });

  it('filters as you type; Enter keeps the filter, Esc on the list clears it', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS)));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, '/');
    await waitForText(app.lastFrame, 'Enter keep');
    for (const ch of 'fargate') await press(app.stdin, ch);
    let frame = await waitForText(app.lastFrame, '1 of 7 keys  /fargate');
    expect(frame).toContain('fargate-ephemeral');
    expect(frame).not.toContain('ebs-volumes');
    // q typed into the filter is text, not quit
    await press(app.stdin, 'q');
    await waitForText(app.lastFrame, '0 of 7 keys  /fargateq');
    await press(app.stdin, 'backspace');
    await waitForText(app.lastFrame, '1 of 7 keys  /fargate');
    await press(app.stdin, 'enter');
    frame = await waitForText(app.lastFrame, '(filter: fargate)');
    expect(frame).toContain('j move');
    await press(app.stdin, 'escape');
    await waitForText(app.lastFrame, '7 of 7 keys');
  });

  it('Esc while typing clears the filter and leaves it', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS)));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, '/');
    for (const ch of 'prod storage') await press(app.stdin, ch);
    await waitForText(app.lastFrame, '1 of 7 keys');
    await press(app.stdin, 'escape');
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('7 of 7 keys') && !f.includes('/prod'));
    expect(frame).toContain('j move');
  });

  it('sorts with s and reverses with S', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS)));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    const order = (frame: string) =>
      ['ebs-volumes', 'fargate-ephemeral', 'old-backups', 'release-signing'].sort((a, b) => frame.indexOf(a) - frame.indexOf(b));
    expect(order(app.lastFrame() ?? '')).toEqual(['ebs-volumes', 'fargate-ephemeral', 'old-backups', 'release-signing']);
    await press(app.stdin, 'S');
    const reversed = await waitForText(app.lastFrame, 'sorted by alias ↓');
    expect(order(reversed)).toEqual(['release-signing', 'old-backups', 'fargate-ephemeral', 'ebs-volumes']);
    await press(app.stdin, 's'); // alias → state: key id is not on screen at 100 columns, so not sorted by
    const byState = await waitForText(app.lastFrame, 'sorted by state ↑');
    expect(byState).toContain('STATE ↑');
    expect(byState.indexOf('Disabled')).toBeLessThan(byState.indexOf('PendingDeletion'));
  });

  it('keeps the selection on the same key when the order or the toggles change', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS)));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    const selected = (frame: string) => frame.split('\n').find((line) => line.startsWith('›'))?.slice(2).trim().split(/\s+/)[0];
    await press(app.stdin, 'j');
    const before = selected(await waitForFrame(app.lastFrame, (f) => selected(f) === 'fargate-ephemeral'));
    await press(app.stdin, 'S');
    expect(selected(await waitForText(app.lastFrame, 'sorted by alias ↓'))).toBe(before);
    await press(app.stdin, 's');
    expect(selected(await waitForText(app.lastFrame, 'sorted by state ↑'))).toBe(before);
    await press(app.stdin, 'a');
    expect(selected(await waitForText(app.lastFrame, '8 of 8 keys'))).toBe(before);
  });

  it('opens a key, switches tabs by keys and goes back with Esc', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS, [ebsDetail, fargateDetail])));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, 'enter'); // first row, sorted by alias: ebs-volumes
    let frame = await waitForText(app.lastFrame, 'Default key for prod EBS volumes');
    expect(frame).toContain('Esc back');
    await press(app.stdin, '3');
    frame = await waitForText(app.lastFrame, 'EBS volume vol-0abc1234def567890');
    await press(app.stdin, 'tab');
    frame = await waitForText(app.lastFrame, '"Version": "2012-10-17"');
    await press(app.stdin, 'shiftTab');
    await waitForText(app.lastFrame, 'EBS volume vol-0abc1234def567890');
    await press(app.stdin, 'left');
    await waitForText(app.lastFrame, 'On-demand left');
    await press(app.stdin, 'right');
    await waitForText(app.lastFrame, 'EBS volume vol-0abc1234def567890');
    await press(app.stdin, '1');
    await waitForText(app.lastFrame, 'Default key for prod EBS volumes');
    await press(app.stdin, 'escape');
    await waitForText(app.lastFrame, '7 of 7 keys');
    // the second key: j then Enter
    await press(app.stdin, 'j');
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Fargate ephemeral storage');
  });

  it('opens a tab by its :command on a key, and says to open a key first elsewhere', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS, [ebsDetail, fargateDetail])));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    app.stdin.write(':grants\r');
    await waitForText(app.lastFrame, ':grants opens the Grants tab (3) of a key: open a key first');
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Default key for prod EBS volumes');
    await tick();
    app.stdin.write(':pol\r');
    await waitForText(app.lastFrame, '"Version": "2012-10-17"');
    app.stdin.write(':gr\r');
    await waitForText(app.lastFrame, 'EBS volume vol-0abc1234def567890');
    // A screen's command from the key detail: the journal of this key, then back to it.
    app.stdin.write(':j\r');
    await waitForText(app.lastFrame, 'no journal in this session');
    await press(app.stdin, 'escape');
    await waitForText(app.lastFrame, 'EBS volume vol-0abc1234def567890');
  });

  it.each([
    { columns: 80, rows: 24 },
    { columns: 140, rows: 40 },
  ])('a mistyped :command with an argument is an unknown command, with the closest one (%j)', async (at) => {
    const app = track(render(<App source={fixtureSource(ALL_ROWS)} session={session} size={at} />));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    app.stdin.write(':regoin us-east-1\r');
    await waitForText(app.lastFrame, 'unknown command ":regoin us-east-1" — did you mean ":region"?');
    expect(app.lastFrame()).not.toMatch(/takes no argument/);
    app.stdin.write(':hlep\r');
    await waitForText(app.lastFrame, 'unknown command ":hlep" — did you mean ":help"?');
    app.stdin.write(':zzzz now\r');
    await waitForText(app.lastFrame, 'unknown command ":zzzz now" — try :');
  });

  it('scrolls a long policy with j/k and G', async () => {
    const bigPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: Array.from({ length: 20 }, (_, i) => ({ Sid: `S${i}`, Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/r${i}` }, Action: 'kms:Decrypt', Resource: '*' })),
    });
    const app = track(renderApp(fixtureSource([ebsRow], [{ ...ebsDetail, policy: bigPolicy }])));
    await waitForText(app.lastFrame, '1 of 1 keys');
    await tick();
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Default key for prod');
    await press(app.stdin, '4');
    await waitForText(app.lastFrame, '"Version"');
    await press(app.stdin, 'j');
    await waitForText(app.lastFrame, 'lines 2–18 of 185');
    await press(app.stdin, 'k');
    await waitForText(app.lastFrame, 'lines 1–17 of 185');
    await press(app.stdin, 'pageDown');
    await waitForText(app.lastFrame, 'lines 18–34 of 185');
    await press(app.stdin, 'G');
    const bottom = await waitForText(app.lastFrame, 'lines 169–185 of 185');
    expect(bottom).toContain('"Sid": "S19"');
    await press(app.stdin, 'j'); // already at the bottom
    await waitForText(app.lastFrame, 'lines 169–185 of 185');
    await press(app.stdin, 'g');
    await waitForText(app.lastFrame, 'lines 1–17 of 185');
  });

  it('renders a hostile policy inert', async () => {
    const app = track(renderApp(fixtureSource([ebsRow], [{ ...ebsDetail, policy: HOSTILE_POLICY.replace('{', 'x{') }])));
    await waitForText(app.lastFrame, '1 of 1 keys');
    await tick();
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Default key for prod');
    await press(app.stdin, '4');
    await waitForText(app.lastFrame, 'evil');
    const raw = app.frames.join('');
    expect(raw).not.toContain('\u001b]52');
    expect(raw).not.toContain('\u001b[2J');
    expect(raw).not.toContain('\u202e');
  });

  it('shows what could not be read, and a detail that failed to load', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS, [signingDetail])));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, '/');
    for (const ch of 'signing') await press(app.stdin, ch);
    await press(app.stdin, 'enter');
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Signs release artefacts');
    await press(app.stdin, '2');
    await waitForText(app.lastFrame, 'cannot rotate: asymmetric keys cannot rotate automatically');
    await press(app.stdin, '4');
    await waitForText(app.lastFrame, 'cannot read the policy: access denied');
    await press(app.stdin, 'escape');
    await press(app.stdin, 'escape'); // clears the filter
    await waitForText(app.lastFrame, '7 of 7 keys');
    await press(app.stdin, 'g');
    await press(app.stdin, 'k');
    await press(app.stdin, 'enter'); // ebs: not in this source's details
    await waitForText(app.lastFrame, 'Could not load this key');
  });

  it('says an AWS managed key cannot be retired instead of opening the wizard', async () => {
    const awsDetail = { ...ebsDetail, row: awsManagedRow };
    const retirements = {} as RetirementSource; // never reached for this key
    const app = track(render(<App source={fixtureSource(ALL_ROWS, [awsDetail])} session={session} size={size} retirements={retirements} />));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, 'a');
    await press(app.stdin, '/');
    await press(app.stdin, 'aws/ebs');
    await press(app.stdin, 'enter');
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Overview');
    await waitForFrame(app.lastFrame, (f) => f.includes('AWS') && !f.includes('loading key'));
    await press(app.stdin, 'R');
    await waitForText(app.lastFrame, 'AWS managed keys cannot be retired');
    expect(app.lastFrame()).not.toContain('Retirement of');
  });

  it('toggles help with ? and closes it with Esc', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS)));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, '?');
    // The help opens at the keys list's own section.
    let frame = await waitForText(app.lastFrame, 'Keys list');
    expect(frame.split('\n')[3]).toBe('Keys list');
    expect(frame).toContain('open the selected key');
    expect(frame).not.toContain('quit keywarden');
    expect(frame).toContain('Esc close');
    await press(app.stdin, 'g');
    await waitForText(app.lastFrame, 'quit keywarden');
    await press(app.stdin, '?');
    await waitForText(app.lastFrame, '7 of 7 keys');
    await press(app.stdin, '?');
    await waitForText(app.lastFrame, 'Keys list');
    await press(app.stdin, 'escape');
    frame = await waitForText(app.lastFrame, '7 of 7 keys');
  });

  it('pages through the help and jumps to its end and back', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS)));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, '?');
    await waitForText(app.lastFrame, 'open the selected key');
    await press(app.stdin, 'G');
    // The end of the help: the list of :commands.
    const end = await waitForText(app.lastFrame, 'on a key: the Findings tab (6)');
    expect(end).not.toContain('show or hide this help');
    await press(app.stdin, 'g');
    await waitForText(app.lastFrame, 'show or hide this help');
    await press(app.stdin, 'pageDown');
    const paged = await waitForFrame(app.lastFrame, (f) => !f.includes('show or hide this help'));
    expect(paged).toMatch(/Filter \(after \/\)|Key detail/);
  });

  it('opens the help at the section of the screen it is asked from', async () => {
    const app = track(render(<App source={fixtureSource(ALL_ROWS, [ebsDetail])} session={session} size={{ columns: 100, rows: 40 }} />));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, 'Key spec');
    await press(app.stdin, '?');
    const frame = await waitForText(app.lastFrame, 'Key detail');
    expect(frame.split('\n')[3]).toBe('Key detail');
    expect(frame).toContain('next tab');
    expect(frame).not.toContain('quit keywarden');
    await press(app.stdin, 'g');
    await waitForText(app.lastFrame, 'quit keywarden');
  });

  it('refreshes with r', async () => {
    const source = fixtureSource(ALL_ROWS);
    const app = track(renderApp(source));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    expect(source.loads).toBe(1);
    await press(app.stdin, 'r');
    await waitForFrame(app.lastFrame, () => source.loads === 2);
    await waitForText(app.lastFrame, '7 of 7 keys');
  });

  it.each([
    ['q', 'q'],
    ['Ctrl-C', '\u0003'],
  ])('quits with %s and reports exit code 0', async (_name, key) => {
    const onExit = vi.fn();
    const app = track(renderApp(fixtureSource(ALL_ROWS), { onExit }));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, key);
    await waitForFrame(app.lastFrame, () => onExit.mock.calls.length > 0);
    expect(onExit).toHaveBeenCalledWith(0);
  });

  it('quits with Ctrl-C even while typing a filter', async () => {
    const onExit = vi.fn();
    const app = track(renderApp(fixtureSource(ALL_ROWS), { onExit }));
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick();
    await press(app.stdin, '/');
    await press(app.stdin, 'ctrlC');
    await waitForFrame(app.lastFrame, () => onExit.mock.calls.length > 0);
  });

  it('pages through 10,000 keys, rendering only a screenful', async () => {
    const rows = manyRows(10_000);
    const app = track(renderApp(fixtureSource(rows)));
    let frame = await waitForText(app.lastFrame, '10000 of 10000 keys', { timeoutMs: 10_000 });
    const visible = (f: string) => f.split('\n').filter((l) => l.includes('bulk-')).length;
    expect(visible(frame)).toBeLessThanOrEqual(size.rows);
    await tick();
    await press(app.stdin, 'G');
    frame = await waitForText(app.lastFrame, 'bulk-09999');
    expect(frame).not.toContain('bulk-00000');
    await press(app.stdin, 'pageUp');
    frame = await waitForFrame(app.lastFrame, (f) => !f.includes('bulk-09999'));
    await press(app.stdin, 'g');
    frame = await waitForText(app.lastFrame, 'bulk-00000');
    await press(app.stdin, 'ctrlF');
    await waitForFrame(app.lastFrame, (f) => !f.includes('bulk-00000'));
  });

  it('shows the region column when several regions are listed', async () => {
    const replica: KeyRow = {
      ...mrkPrimaryRow,
      region: 'us-east-1',
      arn: mrkPrimaryRow.arn.replace(REGION, 'us-east-1'),
      metadata: { ...mrkPrimaryRow.metadata!, region: 'us-east-1', multiRegionRole: 'REPLICA' },
    };
    const twoRegions: SessionInfo = { ...session, regions: [REGION, 'us-east-1'], sandbox: false, readOnly: true };
    const app = track(renderApp(fixtureSource([mrkPrimaryRow, replica]), { session: twoRegions }));
    const frame = await waitForText(app.lastFrame, '2 of 2 keys');
    expect(frame).toContain('regions eu-west-1, us-east-1');
    expect(frame).toContain('READ-ONLY');
    expect(frame).not.toContain('SANDBOX');
    expect(frame).toMatch(/ALIAS ↑\s+(KEY ID\s+)?REGION\s+STATE/);
    // The primary and its replica share alias and key id: the region cell says which is which.
    expect(frame).toMatch(/global-secrets\s+(\S+\s+)?eu-west-1 primary\s+Enabled/);
    expect(frame).toMatch(/global-secrets\s+(\S+\s+)?us-east-1 replica\s+Enabled/);
  });

  it('says when there are no customer-managed keys', async () => {
    const app = track(renderApp(fixtureSource(ALL_ROWS.filter((r) => r.metadata?.keyManager === 'AWS'))));
    await waitForText(app.lastFrame, 'No customer-managed keys in eu-west-1.');
    await waitForText(app.lastFrame, '1 AWS-managed keys are hidden: press a to show them.');
  });

  it('shows an error when the inventory fails', async () => {
    const failing: KeySource = {
      regions: [REGION],
      identity: async () => identity,
      loadInventory: async () => {
        throw new Error('The security token included in the request is expired');
      },
      loadDetail: () => new Promise(() => {}),
    };
    const app = track(renderApp(failing));
    const frame = await waitForText(app.lastFrame, 'Could not load the keys');
    expect(frame).toContain('security token included in the request is expired');
  });
});
