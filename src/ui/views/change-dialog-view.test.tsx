import { describe, expect, it } from 'vitest';
import { renderSized, unwrapped, widestRow } from '../../../test/helpers/ink.js';
import { ChangeDialogView } from './change-dialog-view.js';

/** The dialog's text with its border and the wrapping undone. */
const inside = (frame: string | undefined) => unwrapped(frame).replace(/[│╭╮╰╯─]/g, '');

const key = { arn: 'arn:aws:kms:us-east-1:111122223333:key/b16d2fc9-c506-44e6-a1c9-c9119bb9a001', region: 'us-east-1' };

describe('the rotation period dialog', () => {
  for (const [columns, rows] of [[80, 24], [140, 40]] as const) {
    it(`at ${columns}×${rows} presents 365 as the default when no period is set or reported, and a period set as the current one`, () => {
      const none = renderSized(<ChangeDialogView dialog={{ kind: 'period', key, input: '365', selected: true }} width={columns} height={rows - 4} />, columns).lastFrame();
      expect(inside(none)).toContain(unwrapped('Rotation period in days: 365 (the default · type to replace · Enter uses it)'));
      expect(none).not.toContain('keeps it');
      expect(widestRow(none)).toBeLessThanOrEqual(columns);
      const set = renderSized(<ChangeDialogView dialog={{ kind: 'period', key, input: '180', selected: true, current: 180 }} width={columns} height={rows - 4} />, columns).lastFrame();
      expect(inside(set)).toContain(unwrapped('Rotation period in days: 180 (the current period · type to replace · Enter keeps it)'));
    });
  }
});
