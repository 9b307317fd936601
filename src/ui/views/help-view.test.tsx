import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { plain } from '../../../test/helpers/ink.js';
import { COMMANDS } from '../keymap.js';
import { HelpView, helpLines } from './help-view.js';

describe('HelpView', () => {
  it('shows every binding from the keymap', () => {
    const lines = helpLines();
    const { lastFrame } = render(<HelpView height={lines.length + 1} scroll={0} />);
    const frame = plain(lastFrame());
    for (const command of COMMANDS) expect(frame, command.id).toContain(command.description);
    for (const text of ['Ctrl-C', 'PgDn', 'Ctrl-F', 'Shift-Tab', 'Esc', 'Enter', 'G', '/']) expect(frame).toContain(text);
    expect(frame).toContain('Keys list');
    expect(frame).toContain('Key detail');
  });

  it.each([80, 140])('wraps long descriptions under themselves at %i columns, cutting nothing', (width) => {
    const lines = helpLines({ width });
    for (const line of lines) expect([...line.text].length).toBeLessThanOrEqual(width);
    const words = (text: string) => text.split(/\s+/).filter(Boolean);
    const all = words(lines.map((l) => l.text).join(' ')).join(' ');
    for (const command of COMMANDS) expect(all, command.id).toContain(words(command.description).join(' '));
    if (width === 80) expect(lines.length).toBeGreaterThan(helpLines().length);
  });

  it('scrolls when it does not fit', () => {
    const frame = plain(render(<HelpView height={6} scroll={2} />).lastFrame());
    expect(frame).toMatch(/Help {2}\(3–7 of \d+\)/);
    expect(frame).not.toContain('Everywhere');
  });
});
