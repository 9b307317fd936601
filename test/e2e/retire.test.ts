// The retirement wizard driven by keystrokes in a real terminal, from preflight to "deletion
// scheduled", on the in-process sandbox (its clock is moved forward through its control API to
// pass the 14-day watch). Afterwards the sandbox's state and the journal are checked.

import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClients } from '../../src/aws/clients.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { Terminal } from './terminal.js';

const ALIAS = 'dev/secrets';

describe('the retirement wizard in a real terminal', () => {
  let terminal: Terminal | undefined;
  afterEach(async () => {
    await terminal?.close();
  });

  it('goes from preflight to deletion scheduled by keystrokes', async () => {
    terminal = await Terminal.start({ args: ['--sandbox'], rows: 50, columns: 170 });
    const first = await terminal.waitFor((s) => s.includes(ALIAS) && !s.includes('loading keys'), 20_000);
    const url = /via (http:\/\/127\.0\.0\.1:\d+)/.exec(first)![1]!;
    const home = terminal.home;

    await terminal.type(`/${ALIAS}`);
    await terminal.waitFor(/1 of \d+ keys/);
    await terminal.press('Enter');
    await terminal.press('Enter');
    await terminal.waitFor('Key spec');
    await terminal.type('R');
    await terminal.waitFor('s ▶ start', 20_000);
    await terminal.type('s');
    await terminal.waitFor('retirement started');
    // Acknowledge every blocking finding, one at a time.
    for (let i = 0; i < 5; i++) {
      const screen = await terminal.screen();
      if (!screen.includes('! must acknowledge')) break;
      await terminal.type('a');
      await terminal.waitFor('acknowledged:');
    }
    await terminal.waitFor('n ▶ disable the key');
    await terminal.type('n');
    await terminal.waitFor(`Type "${ALIAS}"`);
    await terminal.type('wrong');
    await terminal.press('Enter');
    await terminal.waitFor(`"wrong" is not "${ALIAS}": nothing was changed`);
    await terminal.press('BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace');
    await terminal.type(ALIAS);
    await terminal.press('Enter');
    await terminal.waitFor('the key is disabled', 20_000);
    await terminal.waitFor('n ▶ create the alarm and start the watch', 20_000);
    await terminal.type('n');
    await terminal.waitFor('API calls: PutMetricFilter keywarden-retire-');
    // The alarm dialog names the log group it will watch and offers an SNS topic (optional).
    await terminal.waitFor('Log group: aws-cloudtrail-logs-111122223333-management (us-east-1)');
    await terminal.waitFor('SNS topic ARN to notify (optional)');
    await terminal.press('Enter');
    await terminal.waitFor('alarm armed', 20_000);
    await terminal.waitFor('watched 0 days (14 required)', 20_000);

    // Fifteen days later (sandbox time), nothing has used the key.
    const moved = await fetch(`${url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 15 * 86_400 }) });
    expect(moved.ok).toBe(true);
    await terminal.type('r');
    await terminal.waitFor('n ▶ schedule the deletion', 30_000);
    await terminal.type('n');
    await terminal.waitFor('Waiting period before deletion');
    await terminal.press('BSpace', 'BSpace');
    await terminal.type('6');
    await terminal.press('Enter');
    await terminal.waitFor('between 7 and 30 days, not 6: nothing was changed');
    await terminal.press('BSpace');
    await terminal.type('7');
    await terminal.press('Enter');
    await terminal.waitFor('ScheduleKeyDeletion {');
    await terminal.type(ALIAS);
    await terminal.press('Enter');
    const done = await terminal.waitFor('deletion scheduled for', 20_000);
    expect(done).toContain('b ▶ cancel the deletion');

    const clients = createClients({ regions: ['us-east-1'], endpoint: url, credentials: SANDBOX_CREDENTIALS });
    try {
      const meta = (await clients.kms('us-east-1').send(new DescribeKeyCommand({ KeyId: `alias/${ALIAS}` }))).KeyMetadata!;
      expect(meta.KeyState).toBe('PendingDeletion');
      const alarms = await clients.cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${meta.KeyId}`] }));
      expect(alarms.MetricAlarms).toHaveLength(1);
      const filters = await clients.logs('us-east-1').send(new DescribeMetricFiltersCommand({ logGroupName: 'aws-cloudtrail-logs-111122223333-management', filterNamePrefix: `keywarden-retire-${meta.KeyId}` }));
      expect(filters.metricFilters).toHaveLength(1);
      const journal = readFileSync(join(home, 'journal.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { phase: string; action: string; outcome?: { ok: boolean } });
      const done = journal.filter((e) => e.phase === 'result' && e.outcome?.ok).map((e) => e.action);
      for (const action of ['DisableKey', 'PutMetricFilter', 'PutMetricAlarm', 'ScheduleKeyDeletion']) expect(done).toContain(action);
    } finally {
      clients.destroy();
    }
    await terminal.type('q');
    expect(await terminal.exitCode()).toBe(0);
  });
});
