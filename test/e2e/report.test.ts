// `keywarden report KEY --sandbox --format md|json`: the built program writes the evidence a change
// board files.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from './terminal.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function home(): string {
  return mkdtempSync(join(tmpdir(), 'kw-report-home-'));
}

function keywarden(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', KEYWARDEN_HOME: env.KEYWARDEN_HOME ?? home(), AWS_EC2_METADATA_DISABLED: 'true', ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

describe('keywarden report', () => {
  it('writes Markdown with tables for a seeded key', async () => {
    const run = await keywarden(['report', 'imagebuilder/workflows', '--sandbox', '--format', 'md', '--days', '7']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const md = run.stdout;
    expect(md).toMatch(/^# Key evidence report: imagebuilder\/workflows$/m);
    for (const heading of ['## Key', '## Findings (3)', '## Tags', '## Rotation', '## Grants (0)', '## Depends on this key', '## Usage (CloudTrail, last 7 days)', '## Key policy', '## Retirement', '## Journal (0)']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('| medium | usage | unused |');
    expect(md).toContain('| low | rotation | rotation-period-long |');
    expect(md).toContain('| Owner | platform-images |');
    expect(md).toContain('kms:EncryptionContext:aws:imagebuilder:arn');
    expect(md).not.toMatch(/\u001b/);
  });

  it('writes stable JSON (same fields, a version) — and --json means the same', async () => {
    const run = await keywarden(['report', 'alias/legacy/reporting-2023', '--sandbox', '--format', 'json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(Object.keys(doc)).toEqual([
      'reportVersion', 'generatedAt', 'generatedBy', 'key', 'tags', 'rotation', 'lastUsage', 'grants', 'dependents', 'policy', 'findings', 'usage', 'retirement', 'journal', 'problems',
    ]);
    expect(doc.reportVersion).toBe(1);
    expect(doc.key.metadata.state).toBe('Disabled');
    expect(doc.findings.items.map((f: { id: string }) => f.id)).toEqual(['policy-no-usage-guard', 'disabled-no-retirement']);
    expect(doc.usage.windowDays).toBe(30);
    const again = await keywarden(['report', 'alias/legacy/reporting-2023', '--sandbox', '--json']);
    expect(Object.keys(JSON.parse(again.stdout))).toEqual(Object.keys(doc));
  });

  it('takes its thresholds from the config file and the flags', async () => {
    const dir = home();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({ thresholds: { maxRotationDays: 800 } }));
    const run = await keywarden(['report', 'imagebuilder/workflows', '--sandbox', '--json'], { KEYWARDEN_HOME: dir });
    expect(JSON.parse(run.stdout).findings.items.map((f: { id: string }) => f.id)).toEqual(['unused', 'policy-no-usage-guard']);
    const flagged = await keywarden(['report', 'imagebuilder/workflows', '--sandbox', '--json', '--unused-days', '200'], { KEYWARDEN_HOME: dir });
    expect(JSON.parse(flagged.stdout).findings.items.map((f: { id: string }) => f.id)).toEqual(['policy-no-usage-guard']);
  });

  it('a corrupt config file is an error naming it', async () => {
    const dir = home();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'config.json'), '{"thresholds": ');
    const run = await keywarden(['report', 'imagebuilder/workflows', '--sandbox'], { KEYWARDEN_HOME: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(join(dir, 'config', 'config.json'));
  });

  it('refuses bad flags with exit code 2', async () => {
    for (const args of [['--format', 'pdf'], ['--days', '91'], ['--days', 'x']]) {
      const run = await keywarden(['report', 'imagebuilder/workflows', '--sandbox', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
    }
    const none = await keywarden(['report', '--sandbox']);
    expect(none.code).toBe(2);
  });
});
