import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeTheView } from './early-keyboard.js';

describe('the keyboard before anything loads', () => {
  it('knows every command of cli.ts as "not the interactive view"', () => {
    const cli = readFileSync(join(import.meta.dirname, 'cli.ts'), 'utf8');
    const table = cli.slice(cli.indexOf('const COMMAND_TABLE'), cli.indexOf('const COMMANDS ='));
    const names = [...table.matchAll(/^ {4}name: '([a-z-]+)'/gm), ...table.matchAll(/^ {2}changeCommand\('([a-z-]+)'/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(looksLikeTheView([name]), name).toBe(false);
    expect(looksLikeTheView(['sandbox', 'serve'])).toBe(false);
  });

  it('takes flags alone as the interactive view, but not --help or --version', () => {
    expect(looksLikeTheView([])).toBe(true);
    expect(looksLikeTheView(['--sandbox', '--region', 'eu-west-1'])).toBe(true);
    expect(looksLikeTheView(['--help'])).toBe(false);
    expect(looksLikeTheView(['--version'])).toBe(false);
  });
});
