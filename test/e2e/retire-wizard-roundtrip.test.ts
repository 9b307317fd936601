// The retirement wizard in a real terminal at 80×24, on --sandbox: from the start to "deletion
// scheduled" with :clock +15d for the watch, and all the way back by b — the deletion cancelled,
// then the key enabled with keywarden's alarm and filter removed under the same confirmation.
// The sandbox (reached over HTTP while the program runs) is checked afterwards: the key Enabled,
// no alarm (DescribeAlarms), no metric filter.

import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../src/aws/clients.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { presencePath } from '../../src/sandbox/presence.js';
import { Terminal } from './terminal.js';

const ALIAS = 'dev/secrets';
const TRAIL_GROUP = 'aws-cloudtrail-logs-111122223333-management';

/** The footer's key hints: the line above the status line (the last two rows of the screen). */
function footer(screen: string): string {
  const rows = screen.replace(/\n+$/, '').split('\n');
  return rows.find((row, i) => i >= rows.length - 3 && /^(Enter|Esc|[nbaslwr↓] |j\/k )/.test(row)) ?? '';
}

/** The screen as one line: the wizard wraps long lines, never cuts them. */
function flat(screen: string): string {
  return screen.replace(/\s+/g, ' ');
}

describe('the retirement wizard in a real 80×24 terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
  });

  it('walks to deletion scheduled with :clock +15d, then back by b to an Enabled key with the alarm and filter gone', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], columns: 80, rows: 24 });
    const t = terminal;
    const hint = (text: string, timeoutMs = 30_000) => t.waitFor((s) => footer(s).includes(text), timeoutMs);
    const shows = (text: string, timeoutMs = 30_000) => t.waitFor((s) => flat(s).includes(text), timeoutMs);
    await t.waitFor((s) => s.includes(ALIAS) && !s.includes('loading keys'), 30_000);

    await t.type(`/${ALIAS}`);
    await t.waitFor(/1 of \d+ keys/);
    await t.press('Enter');
    await t.press('Enter');
    await t.waitFor('Key spec');
    await t.type('R');
    await hint('s start: record the evidence');
    await t.type('s');
    await shows('retirement started');
    let screen = await t.waitFor((s) => /^(n disable the key|b abandon)/.test(footer(s)), 30_000);
    for (let i = 0; i < 5 && footer(screen).includes('a acknowledge a finding'); i++) {
      await t.type('a');
      screen = await t.waitFor((s) => flat(s).includes('acknowledged:') && !s.includes('acknowledging'), 30_000);
    }
    await hint('n disable the key');
    await t.type('n');
    await shows(`Type "${ALIAS}"`);
    await hint('Enter disable the key');
    await t.type(ALIAS);
    await t.press('Enter');
    await shows('the key is disabled', 30_000);

    await hint('n create the alarm and start the watch');
    await t.type('n');
    screen = await shows('SNS topic ARN to notify (optional)');
    expect(flat(screen)).toContain(`Log group: ${TRAIL_GROUP} (us-east-1)`);
    await t.press('Enter');
    await shows('alarm armed', 30_000);
    // Day 0 of 14: n has nothing to take, and says why in words.
    screen = await t.waitFor((s) => footer(s).startsWith('b enable the key again'), 30_000);
    expect(footer(screen)).not.toMatch(/^n /);

    // Fifteen days later in the sandbox's time.
    await t.type(':clock +15d');
    await t.press('Enter');
    await hint('n schedule the deletion', 60_000);
    await t.type('n');
    await shows('Waiting period before deletion');
    await t.press('BSpace', 'BSpace');
    await t.type('7');
    await t.press('Enter');
    screen = await shows(`Type "${ALIAS}"`);
    expect(flat(screen)).toMatch(/Deletion on \d{4}-\d\d-\d\d \(account time now plus 7 days\)/);
    await t.type(ALIAS);
    await t.press('Enter');
    await shows('deletion scheduled for', 30_000);

    // And back: the deletion cancelled (the key returns to Disabled) …
    await hint('b cancel the deletion');
    await t.type('b');
    await shows('Cancel the deletion');
    await hint('Enter cancel the deletion');
    await t.press('Enter');
    await shows('deletion cancelled', 30_000);
    // … then the key enabled, and keywarden's alarm and filter removed under the same confirmation.
    await hint('b enable the key again, remove the alarm');
    await t.type('b');
    screen = await shows('Enable the key again and end the retirement');
    let dialog = flat(screen);
    for (let i = 0; i < 20 && /↓ reads on/.test(screen); i++) {
      await t.press('Down');
      screen = await t.screen();
      dialog += ` ${flat(screen)}`;
    }
    expect(dialog).toContain('API calls: EnableKey');
    expect(dialog).toContain('DeleteAlarms keywarden-retire-');
    await t.press('Enter');
    screen = await shows('the retirement is rolled back and closed', 30_000);
    expect(flat(screen)).toMatch(/removed: alarm keywarden-retire-\S+ \(us-east-1\)/);

    // The sandbox this program runs, over HTTP: the key Enabled, no alarm, no filter.
    const { url } = JSON.parse(readFileSync(presencePath(join(t.home, 'sandbox-state.json')), 'utf8')) as { url: string };
    const clients = createClients({ regions: ['us-east-1'], endpoint: url, credentials: SANDBOX_CREDENTIALS });
    try {
      const meta = (await clients.kms('us-east-1').send(new DescribeKeyCommand({ KeyId: `alias/${ALIAS}` }))).KeyMetadata!;
      expect(meta.KeyState).toBe('Enabled');
      const alarms = await clients.cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${meta.KeyId}`] }));
      expect(alarms.MetricAlarms ?? []).toHaveLength(0);
      const filters = await clients.logs('us-east-1').send(new DescribeMetricFiltersCommand({ logGroupName: TRAIL_GROUP, filterNamePrefix: `keywarden-retire-${meta.KeyId}` }));
      expect(filters.metricFilters ?? []).toHaveLength(0);
    } finally {
      clients.destroy();
    }
    await t.type('q');
    expect(await t.exitCode()).toBe(0);
  }, 300_000);
});
