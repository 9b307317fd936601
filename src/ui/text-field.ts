// Typing into a text field (the filter, the command line, the change dialog's input).

import type { Key } from 'ink';

/**
 * The text a key press types into a text field, without control characters; undefined when it
 * is a command or a control key. A paste arrives as one string.
 */
export function typedText(command: string | undefined, input: string, key: Key): string | undefined {
  if (command || key.ctrl || key.meta || key.tab || input === '') return undefined;
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\u0000-\u001f\u007f]/g, '');
}
