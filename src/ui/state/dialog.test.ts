import { describe, expect, it } from 'vitest';
import type { ChangePreview } from '../../domain/actions.js';
import type { KeyRow } from '../../domain/key.js';
import { checkConfirmation, checkPeriod, dialogReducer, NO_DIALOG, type Dialog } from './dialog.js';

const row: KeyRow = {
  keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  arn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  region: 'us-east-1',
  aliases: ['alias/ebs/prod-data'],
  tags: [],
  rotation: { kind: 'disabled' },
  lastUsage: { kind: 'never', trackingStartDate: '2026-04-15T00:00:00.000Z' },
  problems: [],
};
const preview = (patch: Partial<ChangePreview> = {}): ChangePreview => ({
  request: { action: 'key.disable' },
  row,
  call: { operation: 'DisableKey', params: { KeyId: row.arn } },
  title: 'Disable key',
  explain: '…',
  change: 'key state: Enabled → Disabled',
  confirm: 'typed',
  word: 'ebs/prod-data',
  ...patch,
});

describe('dialogReducer', () => {
  it('opens the rotation period with the current period selected: typing replaces it, Ctrl-U and Ctrl-W erase', () => {
    const key = { arn: row.arn, region: row.region };
    let state: Dialog = dialogReducer(NO_DIALOG, { type: 'open-period', key, initial: 365 });
    expect(state).toEqual({ kind: 'period', key, input: '365', selected: true });
    for (const digit of '180') state = dialogReducer(state, { type: 'edit', edit: { kind: 'type', text: digit } });
    expect(state).toEqual({ kind: 'period', key, input: '180' });
    state = dialogReducer(state, { type: 'edit', edit: { kind: 'erase-line' } });
    expect(state).toEqual({ kind: 'period', key, input: '' });
    state = dialogReducer(dialogReducer(NO_DIALOG, { type: 'open-period', key, initial: 180, current: 180 }), { type: 'erase' });
    expect(state).toEqual({ kind: 'period', key, input: '', current: 180 });
    let command: Dialog = dialogReducer(NO_DIALOG, { type: 'open-command' });
    command = dialogReducer(command, { type: 'type', text: 'clock +15d' });
    command = dialogReducer(command, { type: 'edit', edit: { kind: 'erase-word' } });
    expect(command).toEqual({ kind: 'command', input: 'clock ' });
  });

  it('types, erases and closes the command line', () => {
    let state: Dialog = dialogReducer(NO_DIALOG, { type: 'open-command' });
    state = dialogReducer(state, { type: 'type', text: 'jour' });
    state = dialogReducer(state, { type: 'type', text: 'nalx' });
    state = dialogReducer(state, { type: 'erase' });
    expect(state).toEqual({ kind: 'command', input: 'journal' });
    expect(dialogReducer(state, { type: 'close' })).toEqual(NO_DIALOG);
  });

  it('goes from preparing to a confirmation, keeps an error until the next keystroke', () => {
    let state: Dialog = dialogReducer(NO_DIALOG, { type: 'preparing', title: 'Disable key' });
    state = dialogReducer(state, { type: 'previews', previews: [preview()] });
    expect(state.kind).toBe('confirm');
    state = dialogReducer(state, { type: 'reject', error: 'nope' });
    expect(state).toMatchObject({ error: 'nope' });
    state = dialogReducer(state, { type: 'type', text: 'e' });
    expect(state).not.toHaveProperty('error');
  });

  it('cannot be closed while a change is being applied', () => {
    const applying = dialogReducer(NO_DIALOG, { type: 'applying', title: 'Disable key', total: 2 });
    expect(dialogReducer(applying, { type: 'close' })).toBe(applying);
    expect(dialogReducer(applying, { type: 'applied-one' })).toMatchObject({ done: 1, total: 2 });
    expect(dialogReducer(applying, { type: 'finished' })).toEqual(NO_DIALOG);
  });

  it('ignores events that do not apply', () => {
    expect(dialogReducer(NO_DIALOG, { type: 'type', text: 'x' })).toBe(NO_DIALOG);
    expect(dialogReducer(NO_DIALOG, { type: 'previews', previews: [] })).toBe(NO_DIALOG);
    const command: Dialog = { kind: 'command', input: '' };
    expect(dialogReducer(command, { type: 'open-period', key: row, initial: 365 })).toBe(command);
  });
});

describe('checkConfirmation', () => {
  it('needs the alias or key id typed for dangerous changes', () => {
    expect(checkConfirmation([preview()], 'ebs/prod-data')).toEqual({ ok: true });
    expect(checkConfirmation([preview()], row.keyId)).toEqual({ ok: true });
    expect(checkConfirmation([preview()], 'ebs/prod')).toEqual({ ok: false, error: '"ebs/prod" is not "ebs/prod-data": nothing was changed' });
    expect(checkConfirmation([preview()], '')).toEqual({ ok: false, error: 'type "ebs/prod-data" to confirm' });
  });
  it('takes Enter or y for plain changes', () => {
    const plain = preview({ confirm: 'plain', request: { action: 'key.enable' } });
    expect(checkConfirmation([plain], '')).toEqual({ ok: true });
    expect(checkConfirmation([plain], 'y')).toEqual({ ok: true });
    expect(checkConfirmation([plain], 'nah').ok).toBe(false);
  });
  it('refuses when every change is blocked', () => {
    expect(checkConfirmation([preview({ blocked: 'already disabled' })], 'ebs/prod-data').ok).toBe(false);
  });
});

describe('checkPeriod', () => {
  it.each(['0', '89', '2561', 'abc', ''])('refuses "%s"', (input) => {
    expect(checkPeriod(input).ok).toBe(false);
  });
  it('accepts 180', () => {
    expect(checkPeriod('180')).toEqual({ ok: true, days: 180 });
  });
});
