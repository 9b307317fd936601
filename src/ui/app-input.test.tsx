// Keys that arrive together in one chunk (fast typing, a paste, keys sent by another program)
// are each acted on, in order, by whichever area has the focus at that moment.
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeySource } from '../domain/source.js';
import { tick, waitForText } from '../../test/helpers/ink.js';
import { ACCOUNT, ALL_ROWS, REGION, ebsDetail, fargateDetail } from '../../test/helpers/kms-fixtures.js';
import { App } from './app.js';

const source: KeySource = {
  regions: [REGION],
  identity: async () => ({ account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/alice`, userId: 'AROA:alice' }),
  async loadInventory(handlers) {
    handlers.onRows(ALL_ROWS);
    handlers.onProgress([{ region: REGION, listed: ALL_ROWS.length, loaded: ALL_ROWS.length, done: true }]);
  },
  async loadDetail(key) {
    const detail = [ebsDetail, fargateDetail].find((d) => d.row.arn === key.arn);
    if (!detail) throw new Error('no such key');
    return detail;
  },
};

let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

describe('keys arriving in one chunk', () => {
  it('filters, accepts the filter and opens the key from one burst', async () => {
    const app = render(<App source={source} session={{ regions: [REGION], sandbox: true, readOnly: false }} size={{ columns: 120, rows: 30 }} />);
    unmount = app.unmount;
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick(20);
    app.stdin.write('/fargate\r\r');
    const frame = await waitForText(app.lastFrame, 'Overview');
    expect(frame).toContain(fargateDetail.row.arn);
  });

  it('erases several characters sent together', async () => {
    const app = render(<App source={source} session={{ regions: [REGION], sandbox: true, readOnly: false }} size={{ columns: 120, rows: 30 }} />);
    unmount = app.unmount;
    await waitForText(app.lastFrame, '7 of 7 keys');
    await tick(20);
    app.stdin.write('/fargatexyz');
    await waitForText(app.lastFrame, '/fargatexyz');
    app.stdin.write('\u007f\u007f\u007f');
    await waitForText(app.lastFrame, '1 of 7 keys');
  });
});
