// What the App and its screens hand each other. The App keeps the one input handler and the
// navigation state; each screen derives what it shows, handles its own keys and draws its body.

import type { Key } from 'ink';
import type { ReactNode } from 'react';
import type { StatusMessage } from '../components/footer.js';
import type { Current } from '../hooks/use-sync-reducer.js';
import type { CommandId, Hint, Scope } from '../keymap.js';
import type { Navigation, NavigationEvent } from '../state/navigation.js';

/** A key press as the App routes it: the command it means in the focused scope, if any, and what was typed. */
export type KeyHandler = (command: CommandId | undefined, input: string, key: Key) => void;

/** A screen's part in the App: its keys, called synchronously from the App's input handler, and its body. */
export interface ScreenController {
  onKey: KeyHandler;
  body: () => ReactNode;
  /** Reads again what the screen shows from AWS (after the sandbox's time moved). */
  refresh?: () => void;
  /**
   * Which scope has the keyboard while the screen shows (no App dialog or help on top), as it is
   * now: the keys list's filter or column chooser, the wizard's own dialog. Its registry scope when absent.
   */
  focus?: () => Scope;
  /** The keys of the change dialog this screen opened (the App's dialog), while it is open. */
  onDialogKey?: KeyHandler;
  /** The footer while the screen has the keys: its tab's actions, actions the key rules out, or hints of its own. */
  footer?: { tab?: string; unavailable?: ReadonlySet<string>; hints?: readonly Hint[] | undefined };
}

/** What the App gives every screen. */
export interface Shell {
  /** Navigation as rendered: what the body shows. */
  nav: Navigation;
  /** Navigation as it is now, ahead of the render within one burst of keys: what keys act on. */
  navRef: Current<Navigation>;
  navNow: (event: NavigationEvent) => void;
  setStatus: (status: StatusMessage | undefined) => void;
  /** Puts a text on the clipboard (OSC 52, cleaned) and says so on the status line; `what` names it ("the ARN"). */
  copy: (text: string, what: string) => void;
  /** Moves on each time the inventory's rows change, so ages and countdowns stay honest. */
  now: Date;
  /** The body's size: the terminal less the header and the footer. */
  height: number;
  width: number;
}

/** A line or row down (+1) for a screen's down command, up (-1) for its up command, 0 for any other. */
export function stepOf(command: CommandId | undefined, down: CommandId, up: CommandId): -1 | 0 | 1 {
  return command === down ? 1 : command === up ? -1 : 0;
}
