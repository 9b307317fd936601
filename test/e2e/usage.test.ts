// Usage end to end: the built program in a real terminal opens a busy key's Usage tab and sees its
// callers; `keywarden usage KEY --json` gives the same evidence to scripts.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { CLI, Terminal, runKeywarden } from './terminal.js';

describe('the Usage tab in a terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it("opens the Fargate key's Usage tab and sees its callers, loading page by page", async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], rows: 50 });
    await terminal.waitFor((s) => s.includes('ecs/fargate-ephemeral') && !s.includes('loading keys'));
    await terminal.type('/');
    await terminal.type('fargate');
    await terminal.waitFor(/1 of \d+ keys/);
    await terminal.press('Enter');
    await terminal.press('Enter');
    await terminal.waitFor('Overview');
    await terminal.type('5'); // the Usage tab (the fifth tab)
    const loading = await terminal.waitFor(/\d+ events? loaded \(page \d+\)/, 20_000);
    expect(loading).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d/);
    const screen = await terminal.waitFor((s) => s.includes('AWS service ec2-frontend-api') && s.includes('AWS service fargate'), 20_000);
    expect(screen).toContain('ECS cluster (Fargate ephemeral storage) 111122223333/payments-prod');
    expect(screen).toMatch(/Last use\s+\d{4}-\d\d-\d\d/);
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
  }, 60_000);
});

describe('the Usage tab with Logs Insights', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('the keys view fills LAST USED from one Logs Insights query, labelled (trail)', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], rows: 50, columns: 180 });
    // Rows read from GetKeyLastUsage before the query answered keep that value; the rest come from the trail.
    const screen = await terminal.waitFor((s) => !s.includes('pending') && /\d{4}-\d\d-\d\d \w+ \(trail\)/.test(s), 30_000);
    expect(screen).toMatch(/LAST USED/);
    expect(screen).toMatch(/ebs\/default-prod.*\d{4}-\d\d-\d\d \w+ \(trail\)/);
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
  }, 60_000);

  it('w goes past 90 days to a year once Logs Insights serves the key; the engine and its scan are shown', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], rows: 50, columns: 160 });
    await terminal.waitFor((s) => s.includes('legacy/reporting-2023') && !s.includes('loading keys'));
    await terminal.type('/');
    await terminal.type('reporting-2023');
    await terminal.waitFor(/1 of \d+ keys/);
    await terminal.press('Enter');
    await terminal.press('Enter');
    await terminal.waitFor('Overview');
    await terminal.type('5');
    // 7 days: LookupEvents, and the windows Logs Insights adds are offered.
    const week = await terminal.waitFor((s) => /Engine\s+LookupEvents: a 7-day window/.test(s), 30_000);
    expect(week).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d\s+365 d/);
    for (const days of [30, 90]) {
      await terminal.type('w');
      await terminal.waitFor((s) => s.includes(`usage window: ${days} d`) && s.includes(`a ${days}-day window is longer`) && /records scanned\s*$/m.test(s), 60_000);
    }
    await terminal.type('w');
    const year = await terminal.waitFor((s) => s.includes('usage window: 365 d') && /Engine\s+Logs Insights: trail management-events/.test(s), 60_000);
    expect(year).toMatch(/Logs Insights · [\d,]+ records scanned/);
    expect(year).toMatch(/Events\s+\d+ · \d+ failed attempts/);
    expect(year).toMatch(/Failed\s+DisabledException ×\d+/);
    await terminal.type('w');
    await terminal.waitFor('usage window: 24 h');
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
  }, 180_000);
});

describe('keywarden usage', () => {
  function keywarden(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const env = { PATH: process.env.PATH ?? '', KEYWARDEN_HOME: mkdtempSync(join(tmpdir(), 'kw-usage-home-')), AWS_EC2_METADATA_DISABLED: 'true' };
      const child = execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
      child.stdin?.end();
    });
  }

  it('prints the summary of a busy key as JSON', async () => {
    const out = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--days', '3', '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { key: { arn: string }; summary: { total: number; principals: Array<{ description: string }> }; dependents: Array<{ sources: string[] }>; progress: { done: boolean } };
    expect(doc.progress.done).toBe(true);
    expect(doc.summary.total).toBeGreaterThan(50);
    expect(doc.summary.principals.map((p) => p.description)).toEqual(expect.arrayContaining(['AWS service ec2-frontend-api', 'AWS service fargate']));
    expect(doc.dependents.some((d) => d.sources.includes('grant') && d.sources.includes('usage'))).toBe(true);
  }, 60_000);

  it('refuses more than 90 days from LookupEvents, more than 365 without log files, and an unknown engine (exit 2)', async () => {
    const lookup = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--days', '120', '--engine', 'lookup']);
    expect(lookup.code).toBe(2);
    expect(lookup.stderr).toContain('--engine insights');
    expect(lookup.stderr).toContain('--cloudtrail-dir');
    const year = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--days', '400']);
    expect(year.code).toBe(2);
    expect(year.stderr).toContain('--cloudtrail-dir');
    const bogus = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--engine', 'athena']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('--engine must be insights, lookup or files, not "athena"');
    const files = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--engine', 'files']);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain('--cloudtrail-dir');
  });

  it('without --engine, a long window goes to Logs Insights (the trail delivers to CloudWatch Logs), a short one to LookupEvents; the choice is shown', async () => {
    const long = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--days', '120', '--json']);
    expect(long.code).toBe(0);
    const doc = JSON.parse(long.stdout) as { source: string; engine: { engine: string; reason: string }; summary: { total: number; window: { days: number } }; progress: { recordsScanned: number } };
    expect(doc.source).toBe('insights');
    expect(doc.engine.engine).toBe('insights');
    expect(doc.engine.reason).toContain('aws-cloudtrail-logs-111122223333-management');
    // The group keeps 365 days: nothing to say about the window's older days.
    expect(doc.engine.reason).not.toContain('the log group keeps');
    expect(doc.summary.window.days).toBe(120);
    expect(doc.summary.total).toBeGreaterThan(1000);
    expect(doc.progress.recordsScanned).toBeGreaterThan(doc.summary.total);
    const text = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--days', '30']);
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/^keywarden: usage from Logs Insights: trail management-events delivers to log group/m);
    expect(text.stdout).toMatch(/Window\s+30 days .*from Logs Insights/);
    const short = await keywarden(['usage', 'alias/ecs/fargate-ephemeral', '--sandbox', '--days', '2']);
    expect(short.code).toBe(0);
    expect(short.stderr).toMatch(/^keywarden: usage from LookupEvents: a 2-day window is read quickly/m);
    expect(short.stdout).toMatch(/Window\s+2 days .*from LookupEvents/);
  }, 120_000);

  it('when Logs Insights is refused, keywarden falls back to LookupEvents and says so; asked for with --engine, it is unknown (exit 1)', async () => {
    const sandbox = await startSandbox();
    try {
      sandbox.faults.accessDenied = [{ operations: ['StartQuery'] }];
      const env = { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', KEYWARDEN_HOME: mkdtempSync(join(tmpdir(), 'kw-usage-home-')) };
      const out = await runKeywarden(['usage', 'alias/legacy/reporting-2023', '--days', '30', '--json', '--endpoint-url', sandbox.url], env, 60_000);
      expect(out.code).toBe(0);
      const doc = JSON.parse(out.stdout) as { source: string; engine: { engine: string; reason: string }; summary: { total: number } };
      expect(doc.source).toBe('cloudtrail');
      expect(doc.engine.engine).toBe('lookup');
      expect(doc.engine.reason).toMatch(/^LookupEvents: Logs Insights was refused \(.*access denied/i);
      expect(doc.summary.total).toBeGreaterThan(0);
      const asked = await runKeywarden(['usage', 'alias/legacy/reporting-2023', '--days', '30', '--engine', 'insights', '--json', '--endpoint-url', sandbox.url], env, 60_000);
      expect(asked.code).toBe(1);
      const unknown = JSON.parse(asked.stdout) as { summary: unknown; unavailable: string };
      expect(unknown.summary).toBeNull();
      expect(unknown.unavailable).toMatch(/access denied/i);
      // Chosen by keywarden for a window LookupEvents does not keep: not read at all, and why (the Usage tab's rule too).
      const long = await runKeywarden(['usage', 'alias/legacy/reporting-2023', '--days', '120', '--json', '--endpoint-url', sandbox.url], env, 60_000);
      expect(long.code).toBe(1);
      const refused = JSON.parse(long.stdout) as { summary: unknown; unavailable: string; engine: { engine: string } };
      expect(refused.summary).toBeNull();
      expect(refused.engine.engine).toBe('insights');
      expect(refused.unavailable).toMatch(/^Logs Insights was refused \(.*access denied.*\), and LookupEvents keeps only 90 days: for 120 days read the trail's log files/i);
    } finally {
      await sandbox.close();
    }
  }, 120_000);

  it('prints JSON saying the usage is unknown (exit 1) when CloudTrail refuses, never nothing or "no use"', async () => {
    const sandbox = await startSandbox();
    try {
      sandbox.faults.accessDenied = [{ operations: ['LookupEvents'] }];
      const env = { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', KEYWARDEN_HOME: mkdtempSync(join(tmpdir(), 'kw-usage-home-')) };
      const out = await runKeywarden(['usage', 'alias/ecs/fargate-ephemeral', '--json', '--endpoint-url', sandbox.url], env, 60_000);
      expect(out.code).toBe(1);
      const doc = JSON.parse(out.stdout) as { summary: unknown; unavailable: string; key: { arn: string } };
      expect(doc.summary).toBeNull();
      expect(doc.key.arn).toMatch(/^arn:aws:kms:us-east-1:/);
      expect(doc.unavailable).toMatch(/access denied/i);
      const text = await runKeywarden(['usage', 'alias/ecs/fargate-ephemeral', '--endpoint-url', sandbox.url], env, 60_000);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/Usage\s+unknown: .*access denied/i);
    } finally {
      await sandbox.close();
    }
  }, 90_000);
});
