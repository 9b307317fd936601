// The keys list as an operator drives it, at 80 × 24 and 140 × 40: sorting by the columns on
// screen (a key per column, the arrow on the sorted one), the column chooser, the filter language
// and its editing keys, the selection kept when the filter clears, copying with OSC 52, and
// footers that keep `?` and the main actions.

import { afterEach, describe, expect, it } from 'vitest';
import type { CallerIdentity, KeyRow } from '../domain/key.js';
import type { InventoryHandlers, KeySource, SessionInfo } from '../domain/source.js';
import { plain, press, renderSized, unwrapped, waitForFrame, waitForText, widestRow } from '../../test/helpers/ink.js';
import { ACCOUNT, ALL_ROWS, REGION, ebsRow, retiredRow } from '../../test/helpers/kms-fixtures.js';
import { App } from './app.js';

const identity: CallerIdentity = { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/alice`, userId: 'AROA:alice' };
const session: SessionInfo = { regions: [REGION], sandbox: true, readOnly: false };

function source(rows: KeyRow[]): KeySource {
  return {
    regions: [REGION],
    identity: async () => identity,
    async loadInventory(handlers: InventoryHandlers) {
      handlers.onProgress([{ region: REGION, listed: rows.length, loaded: 0, done: false }]);
      handlers.onRows(rows);
      handlers.onProgress([{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]);
    },
    async loadDetail() {
      throw new Error('not in these tests');
    },
  };
}

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function start(size: { columns: number; rows: number }, options: { clipboard?: string[] } = {}) {
  const copied = options.clipboard;
  const app = renderSized(
    <App source={source(ALL_ROWS)} session={session} size={size} {...(copied ? { writeClipboard: (sequence: string) => void copied.push(sequence) } : {})} />,
    size.columns,
  );
  cleanups.push(() => app.unmount());
  await waitForText(app.lastFrame, '7 of 7 keys');
  return app;
}

const header = (frame: string) => frame.split('\n')[3] ?? '';
const selected = (frame: string) => frame.split('\n').find((line) => line.startsWith('›'))?.slice(2).trim().split(/\s+/)[0];
const footer = (frame: string) => frame.split('\n').at(-2) ?? '';
const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 140, rows: 40 },
];

describe.each(SIZES)('the keys list at $columns × $rows', (size) => {
  it('sorts with a key per column on screen, shows the arrow there, and refuses a column not on screen', async () => {
    const app = await start(size);
    const titles = header(app.lastFrame() ?? '');
    expect(titles).toContain('ALIAS ↑');
    // T: STATE, again: reversed; the arrow moves with it.
    await press(app.stdin, 'T');
    let frame = await waitForText(app.lastFrame, 'sorted by state ↑');
    expect(header(frame)).toContain('STATE ↑');
    expect(header(frame)).not.toContain('ALIAS ↑');
    await press(app.stdin, 'T');
    frame = await waitForText(app.lastFrame, 'sorted by state ↓');
    expect(header(frame)).toContain('STATE ↓');
    // I: KEY ID, on screen only at 140 columns.
    await press(app.stdin, 'I');
    if (size.columns === 80) {
      frame = await waitForText(app.lastFrame, 'KEY ID does not fit at 80 columns');
      expect(frame).toContain('sorted by state ↓');
    } else {
      frame = await waitForText(app.lastFrame, 'sorted by key id ↑');
      expect(header(frame)).toContain('KEY ID ↑');
    }
    // s cycles through the columns on screen only, and every step shows its arrow.
    await press(app.stdin, 'A');
    await waitForText(app.lastFrame, 'sorted by alias ↑');
    const seen: string[] = [];
    for (let i = 0; i < 9; i++) {
      await press(app.stdin, 's');
      frame = await waitForFrame(app.lastFrame, (f) => /sorted by [a-z ]+ ↑/.test(f) && !f.includes(`sorted by ${seen.at(-1) ?? 'alias'} ↑`));
      const name = /sorted by ([a-z ]+?) ↑/.exec(frame)![1]!;
      seen.push(name);
      expect(header(frame).toLowerCase()).toContain(`${name} ↑`.replace('find', 'find'));
      if (name === 'alias') break;
    }
    expect(seen.at(-1)).toBe('alias');
    if (size.columns === 80) expect(seen).not.toContain('key id');
    else expect(seen).toContain('key id');
    expect(seen).not.toContain('created');
  });

  it('hides and shows columns with the chooser', async () => {
    const app = await start(size);
    await press(app.stdin, 'v');
    let frame = await waitForText(app.lastFrame, 'Columns of the keys list');
    expect(frame).toMatch(/› \[x\] ALIAS ↑\s+always shown/);
    expect(frame).toMatch(/\[x\] STATE\s+shown/);
    await press(app.stdin, 'j'); // KEY ID
    await press(app.stdin, 'j'); // STATE
    await press(app.stdin, ' ');
    frame = await waitForFrame(app.lastFrame, (f) => /\[ \] STATE\s+hidden/.test(f));
    await press(app.stdin, 'escape');
    frame = await waitForText(app.lastFrame, '7 of 7 keys');
    expect(header(frame)).not.toContain('STATE');
    // The deletion date of the key pending deletion is still in sight.
    expect(frame.split('\n').find((l) => l.includes('old-backups'))).toContain('2026-12-20');
    // A hidden column is not sorted by.
    await press(app.stdin, 'T');
    await waitForText(app.lastFrame, 'STATE is hidden: show it with v');
    await press(app.stdin, 'v');
    await press(app.stdin, 'j');
    await press(app.stdin, 'j');
    await press(app.stdin, 'x');
    await press(app.stdin, 'enter');
    frame = await waitForFrame(app.lastFrame, (f) => f.includes('7 of 7 keys') && header(f).includes('STATE'));
  });

  it('filters by field, negation and regular expression; Ctrl-W and Ctrl-U erase; the selected key stays selected when the filter clears', async () => {
    const app = await start(size);
    await press(app.stdin, '/');
    await press(app.stdin, 'state:disabled');
    let frame = await waitForText(app.lastFrame, '1 of 7 keys');
    expect(frame).toContain('legacy-app');
    await press(app.stdin, '\u0017'); // Ctrl-W
    frame = await waitForText(app.lastFrame, '7 of 7 keys');
    await press(app.stdin, '!state:enabled tag:retire=yes');
    frame = await waitForText(app.lastFrame, '1 of 7 keys');
    expect(selected(frame)).toBe('old-backups');
    await press(app.stdin, '\u0015'); // Ctrl-U
    frame = await waitForText(app.lastFrame, '7 of 7 keys');
    expect(selected(frame)).toBe('old-backups');
    await press(app.stdin, '/^(fargate|release)-/');
    frame = await waitForText(app.lastFrame, '2 of 7 keys');
    await press(app.stdin, 'down');
    frame = await waitForFrame(app.lastFrame, (f) => selected(f) === 'release-signing');
    await press(app.stdin, 'enter'); // keep the filter
    await waitForText(app.lastFrame, '(filter: /^(fargate|release)-/)');
    await press(app.stdin, 'escape'); // clear it: every key again, release-signing still selected
    frame = await waitForFrame(app.lastFrame, (f) => f.includes('7 of 7 keys') && !f.includes('filter:'));
    expect(selected(frame)).toBe('release-signing');
    // A regular expression that does not compile says why and lists nothing.
    await press(app.stdin, '/');
    await press(app.stdin, '/eb(/');
    frame = await waitForText(app.lastFrame, 'no keys listed: /eb(/ is not a regular expression (Unterminated group)');
    expect(frame).toContain('0 of 7 keys');
    expect(frame).toContain('the filter cannot be used (below)');
    // Esc while typing: the filter goes, the selection stays.
    await press(app.stdin, 'escape');
    frame = await waitForText(app.lastFrame, '7 of 7 keys');
    expect(selected(frame)).toBe('release-signing');
    // `/` while a filter is kept starts a new one: every key again, the selected one still selected,
    // and so after Ctrl-U and Enter too.
    await press(app.stdin, '/');
    await press(app.stdin, '/^(fargate|release)-/');
    await waitForText(app.lastFrame, '2 of 7 keys');
    await press(app.stdin, 'enter');
    await waitForText(app.lastFrame, '(filter: /^(fargate|release)-/)');
    await press(app.stdin, 'j');
    await waitForFrame(app.lastFrame, (f) => selected(f) === 'release-signing');
    const kept = 'release-signing';
    await press(app.stdin, '/');
    frame = await waitForFrame(app.lastFrame, (f) => f.includes('7 of 7 keys') && !f.includes('filter:'));
    expect(selected(frame)).toBe(kept);
    await press(app.stdin, '\u0015'); // Ctrl-U
    await press(app.stdin, 'enter');
    frame = await waitForFrame(app.lastFrame, (f) => f.includes('7 of 7 keys') && !f.includes('keys  /'));
    expect(selected(frame)).toBe(kept);
  });

  it('copies the selected key\'s ARN (c) and key id (y) with OSC 52, cleaned, and says so', async () => {
    const copied: string[] = [];
    const app = await start(size, { clipboard: copied });
    await press(app.stdin, 'c');
    let frame = await waitForText(app.lastFrame, 'copied the ARN to the clipboard');
    expect(copied).toEqual([`\u001b]52;c;${Buffer.from(ebsRow.arn).toString('base64')}\u0007`]);
    // Whole at any width: the status wraps, never cuts.
    expect(unwrapped(frame)).toContain(unwrapped(`copied the ARN to the clipboard: ${ebsRow.arn}`));
    await press(app.stdin, 'y');
    frame = await waitForText(app.lastFrame, 'copied the key id');
    expect(copied[1]).toBe(`\u001b]52;c;${Buffer.from(ebsRow.keyId).toString('base64')}\u0007`);
  });

  it('keeps ? and the main actions in the footer', async () => {
    const app = await start(size);
    const frame = app.lastFrame() ?? '';
    const line = footer(frame.replace(/\u001b\[[0-9;]*m/g, ''));
    expect([...line].length).toBeLessThanOrEqual(size.columns);
    for (const hint of ['Enter open', '/ filter', 'q quit', '? help']) expect(line).toContain(hint);
    if (size.columns === 140) for (const hint of ['s sort', 'c copy ARN', 'f findings']) expect(line).toContain(hint);
  });
});

describe('the columns chosen', () => {
  it('start as they were kept, and every change is handed on to be kept', async () => {
    const kept: Array<readonly string[]> = [];
    const size = { columns: 140, rows: 40 };
    const app = renderSized(
      <App source={source(ALL_ROWS)} session={session} size={size} hiddenColumns={['keyId']} onHiddenColumnsChange={(hidden) => void kept.push(hidden)} />,
      size.columns,
    );
    cleanups.push(() => app.unmount());
    let frame = await waitForText(app.lastFrame, '7 of 7 keys');
    expect(header(frame)).not.toContain('KEY ID');
    expect(kept).toEqual([]);
    await press(app.stdin, 'v');
    await press(app.stdin, 'j');
    await press(app.stdin, ' ');
    await press(app.stdin, 'escape');
    frame = await waitForFrame(app.lastFrame, (f) => header(f).includes('KEY ID'));
    expect(kept).toEqual([[]]);
  });
});

describe.each(SIZES)('copying with --no-clipboard at $columns × $rows', (size) => {
  it('sends nothing to the terminal and shows the text instead, whole (the status wraps), the hints keeping ?', async () => {
    const app = await start(size);
    await press(app.stdin, 'c');
    const frame = await waitForText(app.lastFrame, 'copying is off (--no-clipboard)');
    const lines = frame.split('\n');
    expect(lines).toHaveLength(size.rows);
    expect(plain(frame)).toContain(ebsRow.arn);
    expect(unwrapped(frame)).toContain(unwrapped(`the ARN is ${ebsRow.arn}`));
    expect(plain(frame)).not.toMatch(/the ARN is .*…/);
    const hints = lines.findLastIndex((line) => line.includes('? help'));
    expect(hints).toBeGreaterThan(0);
    expect(lines.slice(hints + 1).join('\n')).toContain('copying is off');
    expect(widestRow(frame)).toBeLessThanOrEqual(size.columns);
    expect(retiredRow.arn).not.toBe(ebsRow.arn);
  });
});
