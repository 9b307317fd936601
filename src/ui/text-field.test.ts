import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { commandFor, type KeyPress } from './keymap.js';
import { applyEdit, eraseWord, textEditFor, typedText, type TextEdit, type TextField } from './text-field.js';

const none = { ctrl: false, meta: false, tab: false } as Key;

describe('typedText', () => {
  it('is the text typed or pasted, without control characters', () => {
    expect(typedText(undefined, 'ebs', none)).toBe('ebs');
    expect(typedText(undefined, 'ebs/prod\u0007-data', none)).toBe('ebs/prod-data');
  });
  it('is nothing for a command, a control key or an empty input', () => {
    expect(typedText('filter.accept', '', none)).toBeUndefined();
    expect(typedText(undefined, 'c', { ...none, ctrl: true })).toBeUndefined();
    expect(typedText(undefined, 'x', { ...none, meta: true })).toBeUndefined();
    expect(typedText(undefined, '\t', { ...none, tab: true })).toBeUndefined();
    expect(typedText(undefined, '', none)).toBeUndefined();
  });
  it('is empty text, not nothing, when only control characters came (the dialog clears its error on it)', () => {
    expect(typedText(undefined, '\u0007', none)).toBe('');
  });
});

describe('editing a text field', () => {
  const edit = (field: TextField, ...edits: TextEdit[]) => edits.reduce((f, e) => applyEdit(f, e), field);
  const type = (text: string): TextEdit => ({ kind: 'type', text });

  it('erases a word as readline does: the spaces after it, then the word', () => {
    expect(eraseWord('state:disabled tag:Owner=data')).toBe('state:disabled ');
    expect(eraseWord('state:disabled ')).toBe('');
    expect(eraseWord('abc def  ')).toBe('abc ');
    expect(eraseWord('')).toBe('');
    expect(eraseWord('   ')).toBe('');
  });

  it('types, erases a character, a word and the line', () => {
    expect(edit({ value: '' }, type('ebs'), type(' prod'))).toEqual({ value: 'ebs prod' });
    expect(edit({ value: 'ebs prod' }, { kind: 'erase-char' })).toEqual({ value: 'ebs pro' });
    expect(edit({ value: 'ebs prod' }, { kind: 'erase-word' })).toEqual({ value: 'ebs ' });
    expect(edit({ value: 'ebs prod' }, { kind: 'erase-line' })).toEqual({ value: '' });
    expect(edit({ value: '' }, { kind: 'erase-char' }, { kind: 'erase-word' })).toEqual({ value: '' });
  });

  it('replaces a selected default with the first key typed (180 over 365 is 180, not 365180)', () => {
    expect(edit({ value: '365', selected: true }, type('1'), type('8'), type('0'))).toEqual({ value: '180' });
    expect(edit({ value: '365', selected: true }, { kind: 'erase-char' })).toEqual({ value: '' });
    expect(edit({ value: '365', selected: true }, { kind: 'erase-word' })).toEqual({ value: '' });
    // Control characters alone leave it selected.
    expect(edit({ value: '365', selected: true }, type(''))).toEqual({ value: '365', selected: true });
  });

  it('keeps at most the maximum length', () => {
    expect(applyEdit({ value: 'a'.repeat(255) }, type('bcd')).value).toBe(`${'a'.repeat(255)}b`);
  });

  it('maps the keys of every text scope to the same edits: Backspace, Ctrl-W, Ctrl-U, text', () => {
    const key = (flags: Partial<Key>): Key => ({ ...none, ...flags }) as Key;
    const press = (flags: Partial<Key>): KeyPress => ({ upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageUp: false, pageDown: false, home: false, end: false, return: false, escape: false, tab: false, backspace: false, delete: false, ctrl: false, shift: false, ...flags });
    for (const scope of ['filter', 'dialog', 'command'] as const) {
      const editOf = (input: string, flags: Partial<Key>) => textEditFor(commandFor(scope, input, press(flags)), input, key(flags));
      expect(editOf('', { backspace: true })).toEqual({ kind: 'erase-char' });
      expect(editOf('w', { ctrl: true })).toEqual({ kind: 'erase-word' });
      expect(editOf('u', { ctrl: true })).toEqual({ kind: 'erase-line' });
      expect(editOf('x', {})).toEqual({ kind: 'type', text: 'x' });
      expect(editOf('', { return: true })).toBeUndefined();
    }
  });
});
