// Copying to the clipboard through the terminal: OSC 52 ("Manipulate Selection Data", xterm's
// control sequences: https://invisible-island.net/xterm/ctlseqs/ctlseqs.html, `OSC 52 ; Pc ; Pd BEL`
// with Pc = c for the clipboard and Pd the text in base64), which xterm, iTerm2,
// kitty, WezTerm, Windows Terminal, Alacritty and tmux (with `set-clipboard on`) understand, also over
// SSH. The text is cleaned first (no control characters, one line), so nothing copied can carry an
// escape sequence into the shell it is pasted into.

import { cleanText } from '../domain/sanitize.js';

/** What the clipboard receives for `text`: the text cleaned to one line without control characters. */
export function clipboardText(text: string): string {
  return cleanText(text, { singleLine: true });
}

/** The OSC 52 sequence that puts `text` (cleaned) on the clipboard: ESC ] 52 ; c ; base64 BEL. */
export function osc52(text: string): string {
  return `\u001b]52;c;${Buffer.from(clipboardText(text), 'utf8').toString('base64')}\u0007`;
}
