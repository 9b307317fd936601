// --all-regions end to end: the regions come from EC2 DescribeRegions (served by the sandbox);
// the sandbox's opt-in region refuses KMS calls and is reported, the others are listed; in the
// terminal the failed region is marked while the keys of the others are on screen.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, Terminal } from './terminal.js';

function keywarden(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', KEYWARDEN_HOME: mkdtempSync(join(tmpdir(), 'kw-cli-home-')), AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 30_000 },
      (error, stdout) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout }),
    );
  });
}

let terminal: Terminal | undefined;
afterEach(async () => {
  await terminal?.close();
  terminal = undefined;
});

describe('--all-regions', () => {
  it('lists every enabled region and reports the one that fails', async () => {
    const run = await keywarden(['list', '--json', '--sandbox', '--all-regions', '--no-last-use']);
    const doc = JSON.parse(run.stdout);
    expect(doc.regions).toEqual(['ap-southeast-2', 'eu-central-1', 'eu-west-1', 'me-south-1', 'us-east-1', 'us-west-2']);
    expect(doc.regionErrors).toEqual([{ region: 'me-south-1', error: expect.stringMatching(/not enabled for this account/) }]);
    expect(new Set(doc.keys.map((k: { region: string }) => k.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
  });

  it('marks the failed region in the terminal while the other regions load', async () => {
    terminal = await Terminal.start({ args: ['--sandbox', '--all-regions'] });
    const screen = await terminal.waitFor((s) => s.includes('app/orders-queue') && s.includes('me-south-1: not enabled'));
    expect(screen).toMatch(/regions ap-southeast-2, eu-central-1, eu-west-1, me-south-1, us-east-1, us-west-2/);
    expect(screen).toContain('eu/gdpr-archive');
    await terminal.type('q');
    await terminal.waitFor('[exit:0]');
  });

  it.each([
    [80, 24],
    [140, 40],
  ])('at %i×%i shows the failed region\'s error whole (wrapped), the hints keeping ?', async (columns, rows) => {
    const run = await keywarden(['list', '--json', '--sandbox', '--all-regions', '--no-last-use']);
    const error = (JSON.parse(run.stdout).regionErrors as Array<{ region: string; error: string }>)[0]!;
    terminal = await Terminal.start({ args: ['--sandbox', '--all-regions'], columns, rows });
    const squeeze = (text: string) => text.replace(/\s+/g, '');
    const screen = await terminal.waitFor((s) => s.includes('app/orders-queue') && squeeze(s).includes(squeeze(`${error.region}: ${error.error}`)), 30_000);
    expect(screen).not.toMatch(/me-south-1: [^\n]*…/);
    expect(screen.split('\n').some((line) => line.includes('? help'))).toBe(true);
    await terminal.type('q');
    await terminal.waitFor('[exit:0]');
  });
});
