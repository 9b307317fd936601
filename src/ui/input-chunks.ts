// Ink hands a burst of typed characters that arrive together (fast typing, a paste, keys sent
// by another program) to useInput as ONE string, and only recognises a key such as Enter or
// Backspace when it arrives alone. This splits such a burst back into single key presses, so
// "200⏎" is three digits and Enter, and "⌫⌫⌫" erases three characters. Runs of plain text
// stay together (a paste into a text field is one insert).

import type { Key } from 'ink';

export interface KeyEvent {
  input: string;
  key: Key;
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

function controlEvent(char: string): KeyEvent | undefined {
  switch (char) {
    case '\r':
    case '\n':
      return { input: '', key: { ...NO_KEY, return: true } };
    case '\u007f':
      return { input: '', key: { ...NO_KEY, delete: true } };
    case '\b':
      return { input: '', key: { ...NO_KEY, backspace: true } };
    case '\t':
      return { input: '', key: { ...NO_KEY, tab: true } };
    default:
      return undefined;
  }
}

/**
 * Splits a multi-character chunk into key events. `keepText` keeps runs of printable text
 * together (text fields); otherwise every character is its own key press (command keys).
 */
export function splitChunk(input: string, key: Key, keepText: boolean): KeyEvent[] {
  // Single keys, escape sequences and anything Ink already recognised pass through unchanged.
  if ([...input].length <= 1 || input.startsWith('\u001b') || key.ctrl || key.meta) return [{ input, key }];
  const events: KeyEvent[] = [];
  let text = '';
  const flush = () => {
    if (!text) return;
    if (keepText) events.push({ input: text, key: NO_KEY });
    else for (const char of text) events.push({ input: char, key: /[A-Z]/.test(char) ? { ...NO_KEY, shift: true } : NO_KEY });
    text = '';
  };
  for (const char of input) {
    const control = controlEvent(char);
    if (control) {
      flush();
      events.push(control);
      // eslint-disable-next-line no-control-regex
    } else if (!/[\u0000-\u001f\u007f]/.test(char)) {
      text += char;
    }
  }
  flush();
  return events;
}
