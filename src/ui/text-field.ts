// Typing into a text field — the filter, the command line, the rotation period, the change
// dialog's confirmation: one set of editing keys for all of them, as in a shell's line editor.
//   text typed or pasted   appended (control characters dropped)
//   Backspace / Del        erase the last character
//   Ctrl-W                 erase the last word (and the spaces after it), like readline's unix-word-rubout
//   Ctrl-U                 erase the whole line
// A field can open with a default that is *selected*: the first key typed replaces it, an erase
// key clears it (typing 180 over a default of 365 gives 180, not 365180).

import type { Key } from 'ink';

export type TextEdit = { kind: 'type'; text: string } | { kind: 'erase-char' } | { kind: 'erase-word' } | { kind: 'erase-line' };

export interface TextField {
  value: string;
  /** The value is a default shown selected: the next edit replaces it. */
  selected?: boolean;
}

/** What each text scope's editing commands do (the keymap binds them; see src/ui/keymap.ts). */
const EDIT_COMMANDS: Readonly<Record<string, TextEdit['kind']>> = {
  'filter.erase': 'erase-char',
  'filter.eraseWord': 'erase-word',
  'filter.eraseLine': 'erase-line',
  'dialog.erase': 'erase-char',
  'dialog.eraseWord': 'erase-word',
  'dialog.eraseLine': 'erase-line',
  'command.erase': 'erase-char',
  'command.eraseWord': 'erase-word',
  'command.eraseLine': 'erase-line',
};

/**
 * The text a key press types into a text field, without control characters; undefined when it
 * is a command or a control key. A paste arrives as one string.
 */
export function typedText(command: string | undefined, input: string, key: Key): string | undefined {
  if (command || key.ctrl || key.meta || key.tab || input === '') return undefined;
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\u0000-\u001f\u007f]/g, '');
}

/** The edit a key press makes in a text field (an editing command, or text typed); undefined for anything else. */
export function textEditFor(command: string | undefined, input: string, key: Key): TextEdit | undefined {
  const kind = command === undefined ? undefined : EDIT_COMMANDS[command];
  if (kind === 'type') return undefined;
  if (kind) return { kind } as TextEdit;
  const text = typedText(command, input, key);
  return text === undefined ? undefined : { kind: 'type', text };
}

/** The value less its last word and the spaces after it. */
export function eraseWord(value: string): string {
  return value.replace(/\S*\s*$/u, '');
}

/** The field after an edit; `maxLength` characters at most. */
export function applyEdit(field: TextField, edit: TextEdit, maxLength = 256): TextField {
  const base = field.selected ? '' : field.value;
  switch (edit.kind) {
    case 'type':
      // Only control characters came (typedText dropped them): a selected default stays as it is.
      if (edit.text === '' && field.selected) return field;
      return { value: [...(base + edit.text)].slice(0, maxLength).join('') };
    case 'erase-char':
      return { value: [...base].slice(0, -1).join('') };
    case 'erase-word':
      return { value: eraseWord(base) };
    case 'erase-line':
      return { value: '' };
  }
}
