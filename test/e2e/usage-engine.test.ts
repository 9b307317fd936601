// The Usage tab's engines end to end: the built program in a real terminal (tmux) steps with `m`
// through keywarden's choice, Logs Insights, LookupEvents and the trail's S3 bucket, each named on
// the tab with its progress, each offering the windows it serves (a year, LookupEvents 90 days).

import { afterEach, describe, expect, it } from 'vitest';
import { Terminal } from './terminal.js';

describe('the Usage tab picks its engine', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('m steps through Logs Insights (a year), LookupEvents (90 days at most) and the trail\'s bucket, then back to keywarden\'s choice', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], rows: 40, columns: 140 });
    await terminal.waitFor((s) => s.includes('legacy/reporting-2023') && !s.includes('loading keys'), 30_000);
    await terminal.type('/');
    await terminal.type('reporting-2023');
    await terminal.waitFor(/1 of \d+ keys/);
    await terminal.press('Enter');
    await terminal.press('Enter');
    await terminal.waitFor('Overview');
    await terminal.type('5');
    await terminal.waitFor((s) => /Engine\s+LookupEvents: a 7-day window/.test(s), 30_000);

    await terminal.type('m');
    await terminal.waitFor((s) => s.includes('usage engine: Logs Insights') && /Engine\s+Logs Insights, picked with m/.test(s) && /records scanned\s*$/m.test(s), 60_000);
    for (const window of ['30 d', '90 d', '365 d']) {
      await terminal.type('w');
      await terminal.waitFor((s) => s.includes(`usage window: ${window}`) && /Engine\s+Logs Insights, picked with m/.test(s), 60_000);
    }
    const year = await terminal.waitFor((s) => /Logs Insights · [\d,]+ records scanned\s*$/m.test(s) && /Failed\s+DisabledException ×\d+/.test(s), 60_000);
    expect(year).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d\s+365 d/);

    // LookupEvents keeps 90 days: the window comes down to 90 d, and a year is no longer offered.
    await terminal.type('m');
    const lookup = await terminal.waitFor((s) => s.includes('usage engine: LookupEvents (it keeps 90 days: window 90 d)') && /Engine\s+LookupEvents, picked with m/.test(s), 60_000);
    expect(lookup).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d\s/);
    expect(lookup).not.toContain('365 d');
    await terminal.type('w');
    await terminal.waitFor((s) => s.includes('usage window: 24 h') && /Engine\s+LookupEvents, picked with m/.test(s), 30_000);

    // The trail's bucket: objects and bytes as they are read, then the summary from its files.
    await terminal.type('m');
    const bucket = await terminal.waitFor(
      (s) => s.includes("usage engine: the trail's S3 bucket") && /Engine\s+the trail's S3 bucket s3:\/\/aws-cloudtrail-logs-111122223333-3f1c9a2b\/management, picked with m/.test(s),
      60_000,
    );
    expect(bucket).toMatch(/\d+ events? loaded \(\d+ objects?, [\d.]+ (KB|MB)\)/);
    expect(bucket).toMatch(/Window\s+24 h\s+7 d\s+30 d\s+90 d\s+365 d/);
    expect(bucket).toMatch(/Failed\s+DisabledException ×\d+/);

    await terminal.type('m');
    await terminal.waitFor((s) => s.includes("usage engine: keywarden's choice") && /Engine\s+LookupEvents: a 1-day window/.test(s), 30_000);
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
  }, 300_000);
});
