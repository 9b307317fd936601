// The retirement wizard in the TUI against the real sandbox over HTTP, at 80×24 and 140×40: its
// footer follows the stage and any open dialog (in words, never step ids), its dialogs fit the
// screen and wrap their lines, the stage list follows what AWS shows now, long refusals are
// readable in full, the way back leaves nothing of keywarden behind, and :retirements is fresh.
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CancelKeyDeletionCommand, CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsChangeSource } from '../../src/app/change-source.js';
import { retirementSource } from '../../src/app/retirement-source.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import type { RetirementRecord, StepId } from '../../src/domain/retirement.js';
import type { RetirementStepInput } from '../../src/domain/retirement-steps.js';
import type { RetirementSource } from '../../src/domain/source.js';
import { Journal } from '../../src/journal/journal.js';
import { App } from '../../src/ui/app.js';
import { openEndpoint, servesRetirement, type TestEndpoint } from '../helpers/endpoint.js';
import { plain, press, unwrapped, waitForFrame, widestRow } from '../helpers/ink.js';

const SMALL = { columns: 80, rows: 24 };
const LARGE = { columns: 140, rows: 40 };
const SIZES = [SMALL, LARGE];
const DAY = 86_400;
const STEP_IDS = /\b(arm-watch|re-arm-watch|schedule-deletion|cancel-deletion|re-enable|remove-watch)\b/;

let endpoint: TestEndpoint;
beforeAll(async () => {
  endpoint = await openEndpoint();
});
afterAll(async () => {
  await endpoint.close();
});
let unmount: (() => void) | undefined;
beforeEach(() => {
  process.env.KEYWARDEN_HOME = mkdtempSync(join(tmpdir(), 'kw-wizard-home-'));
});
afterEach(() => {
  unmount?.();
  unmount = undefined;
});

let counter = 0;
async function newKey(): Promise<{ arn: string; alias: string; keyId: string }> {
  const kms = endpoint.clients().kms('us-east-1');
  const out = await kms.send(new CreateKeyCommand({ Description: 'keywarden wizard test' }));
  const alias = `kw-wiz-${process.pid}-${++counter}`;
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: out.KeyMetadata!.KeyId! }));
  return { arn: out.KeyMetadata!.Arn!, alias, keyId: out.KeyMetadata!.KeyId! };
}

/** The port the TUI uses, on the sandbox's clock. */
function port(): RetirementSource {
  const clients = endpoint.clients(['us-east-1']);
  const keys = new AwsKeySource(clients);
  return retirementSource(clients, () => keys.identity(), () => endpoint.sandbox!.now());
}

/** Walks a retirement through the port (as the CLI would) up to `until`, for the wizard to open on. */
async function walk(key: { arn: string; alias: string }, until: 'watching' | 'deletion-scheduled'): Promise<RetirementRecord> {
  const source = port();
  const ref = { arn: key.arn, region: 'us-east-1' };
  const preflight = await source.preflight(ref, 30);
  let record = await source.start(ref, { watchDays: 14, name: key.alias, preflight });
  const step = async (id: StepId, input: RetirementStepInput = {}) => {
    record = await source.take(await source.status(record, preflight.findings), id, input);
  };
  for (const f of preflight.findings.filter((x) => x.severity === 'blocking')) await step('acknowledge', { findingId: f.id });
  await step('disable');
  await step('arm-watch');
  if (until === 'deletion-scheduled') {
    endpoint.sandbox!.advanceClock(15 * DAY);
    await step('schedule-deletion', { pendingWindowDays: 7 });
  }
  return record;
}

async function openApp(size: { columns: number; rows: number }) {
  const clients = endpoint.clients(['us-east-1']);
  const source = new AwsKeySource(clients);
  const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'kw-wizard-journal-')), 'journal.jsonl'));
  const changes = new AwsChangeSource(clients, () => source.identity(), journal);
  const retirements = retirementSource(clients, () => source.identity(), () => endpoint.sandbox!.now());
  const app = render(<App source={source} changes={changes} retirements={retirements} session={{ regions: ['us-east-1'], sandbox: true, readOnly: false }} size={size} />);
  unmount = app.unmount;
  await waitForFrame(app.lastFrame, (f) => !f.includes('loading keys') && /\d+ keys/.test(f), { timeoutMs: 15_000 });
  return app;
}

async function openWizard(alias: string, size: { columns: number; rows: number }) {
  const app = await openApp(size);
  await press(app.stdin, '/');
  await press(app.stdin, alias);
  await seen(app, '1 of');
  await press(app.stdin, 'enter');
  await press(app.stdin, 'enter');
  await seen(app, 'Key spec', 10_000);
  await press(app.stdin, 'R');
  await waitForFrame(app.lastFrame, (f) => f.includes(`Retire ${alias}`) && !f.includes('gathering evidence') && /\br read again/.test(f), { timeoutMs: 20_000 });
  return app;
}

/** The footer's key hints (the line above the status line). */
function footer(frame: string): string {
  const lines = frame.split('\n');
  return lines[lines.length - 2] ?? '';
}

/** A bordered dialog's text as one line: borders and wrapping undone. */
function dialogText(frame: string): string {
  return frame
    .split('\n')
    .map((line) => line.replace(/^\s*[│╭╰]/, '').replace(/[│╮╯]\s*$/, '').trim())
    .join(' ')
    .replace(/\s+/g, ' ');
}

/** The wizard's text as one line (wrapping undone). */
function flat(frame: string): string {
  return frame.replace(/\s+/g, ' ');
}

/** Waits until the footer offers `text` (a key and its words). */
function hint(app: { lastFrame: () => string | undefined }, text: string, timeoutMs = 15_000): Promise<string> {
  return waitForFrame(app.lastFrame, (f) => footer(f).includes(text), { timeoutMs });
}

/** Waits until the wizard shows `text` (wrapped or not). */
function seen(app: { lastFrame: () => string | undefined }, text: string | RegExp, timeoutMs = 15_000): Promise<string> {
  return waitForFrame(app.lastFrame, (f) => (typeof text === 'string' ? flat(f).includes(text) : text.test(flat(f))), { timeoutMs });
}

/** Everything the wizard shows, scrolled through with j to its end, as one line. */
async function readAll(app: { lastFrame: () => string | undefined; stdin: { write(data: string): void } }): Promise<string> {
  let frame = plain(app.lastFrame());
  let text = flat(frame);
  for (let i = 0; i < 60; i++) {
    await press(app.stdin, 'j');
    const next = await waitForFrame(app.lastFrame, (f) => f !== plain(frame), { timeoutMs: 400 }).catch(() => plain(frame));
    if (next === frame) break;
    frame = next;
    text += ` ${flat(frame)}`;
  }
  for (let i = 0; i < 60; i++) await press(app.stdin, 'k');
  return text;
}

function rowsOf(frame: string): string[] {
  return frame.split('\n');
}

describe.skipIf(!servesRetirement()).each(SIZES)('the retirement wizard at $columns×$rows', (size) => {
  it("the title names the key and shows its ARN whole (on rows of its own when it does not fit beside the name)", async () => {
    const key = await newKey();
    const app = await openWizard(key.alias, size);
    const rows = plain(app.lastFrame()).split('\n');
    const at = rows.findIndex((row) => row.startsWith(`Retire ${key.alias}`));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(unwrapped(rows.slice(at, at + 3).join('\n'))).toContain(unwrapped(`Retire ${key.alias}${key.arn}`));
    expect(rows.slice(at, at + 3).join('')).not.toContain('…');
    expect(widestRow(app.lastFrame())).toBeLessThanOrEqual(size.columns);
    expect(footer(plain(app.lastFrame()))).toContain('?');
  }, 60_000);

  it('the footer shows the keys that do something now, in words, and follows the open dialog', async () => {
    const key = await newKey();
    const app = await openWizard(key.alias, size);
    let frame = await hint(app, 's start');
    expect(footer(frame)).toMatch(/^s start: record the evidence/);
    expect(footer(frame)).not.toMatch(/next step|way back/);

    await press(app.stdin, 's');
    frame = await waitForFrame(app.lastFrame, (f) => /^n disable the key|a acknowledge a finding/.test(footer(f)), { timeoutMs: 15_000 });
    while (footer(frame).includes('a acknowledge a finding')) {
      expect(footer(frame)).toContain('a acknowledge a finding');
      await press(app.stdin, 'a');
      await seen(app, 'acknowledged:', 10_000);
      frame = await waitForFrame(app.lastFrame, (f) => !f.includes('acknowledging'), { timeoutMs: 10_000 });
    }
    frame = await hint(app, 'n disable the key', 10_000);
    expect(footer(frame)).toMatch(/^n disable the key\s+b abandon the retirement/);

    await press(app.stdin, 'n');
    await seen(app, `Type "${key.alias}"`);
    frame = await hint(app, 'Enter disable the key');
    expect(footer(frame)).toMatch(/^Enter disable the key \(type the alias or key id first\)\s+Esc cancel/);
    expect(footer(frame)).not.toMatch(/q quit|\? help/); // typed into the field here, so not offered
    await press(app.stdin, 'escape');
    frame = await waitForFrame(app.lastFrame, (f) => footer(f).startsWith('n disable the key') && !f.includes('Type "'));
    expect(footer(frame)).toMatch(/^n disable the key/);
    expect(frame).not.toMatch(STEP_IDS);

    // Abandoning at preflight changes nothing in AWS: the catalogue asks nothing for it, so b does it at once.
    await press(app.stdin, 'b');
    frame = await seen(app, 'abandoned: nothing was changed; the record is removed', 15_000);
    frame = await hint(app, 's start: record the evidence');
    expect(frame).not.toContain('Abandon');
  }, 60_000);

  it('after someone else cancels the scheduled deletion, the stage list does not keep "✓ Deletion scheduled"; the watch reads "15 days (14 required)"', async () => {
    const key = await newKey();
    await walk(key, 'deletion-scheduled');
    const app = await openWizard(key.alias, size);
    let frame = await hint(app, 'b cancel the deletion', 20_000);
    expect(flat(frame)).toContain('✓ Deletion scheduled');
    expect(footer(frame)).toMatch(/^b cancel the deletion/);
    const all = await readAll(app);
    expect(all).toContain('watched 15 days (14 required)');
    // The key is PendingDeletion because of this retirement: not a reason it "cannot retire".
    expect(all).not.toContain('cannot retire');

    // A colleague cancels the deletion outside this retirement (the key returns to Disabled).
    await endpoint.clients().kms('us-east-1').send(new CancelKeyDeletionCommand({ KeyId: key.arn }));
    await press(app.stdin, 'r');
    frame = await waitForFrame(app.lastFrame, (f) => flat(f).includes('key state: Disabled') && footer(f).startsWith('b close'), { timeoutMs: 20_000 });
    expect(flat(frame)).toContain('· Deletion scheduled');
    expect(flat(frame)).not.toContain('✓ Deletion scheduled');
    expect(frame).not.toMatch(STEP_IDS);
  }, 60_000);

  it('the close dialog fits the screen, its long lines wrapped, and is read to its end before Enter closes', async () => {
    const key = await newKey();
    await walk(key, 'watching');
    // Someone else enables the key: the retirement can go neither on nor back, close is offered.
    await endpoint.clients().kms('us-east-1').send(new EnableKeyCommand({ KeyId: key.arn }));
    const app = await openWizard(key.alias, size);
    await hint(app, 'b close the retirement without finishing', 20_000);
    await press(app.stdin, 'b');
    await seen(app, 'Close this retirement without finishing it');
    let frame = await hint(app, 'Enter close');
    const rows = rowsOf(frame);
    expect(rows).toHaveLength(size.rows);
    // The dialog is whole: its top and bottom border, the question, then the footer.
    expect(rows.filter((r) => r.includes('╭'))).toHaveLength(1);
    expect(rows.filter((r) => r.includes('╰'))).toHaveLength(1);
    for (const row of rows.filter((r) => r.includes('│'))) expect(row.trimEnd().endsWith('│')).toBe(true);
    expect(frame).toContain('Press Enter (or type y) to close the retirement without finishing:');
    expect(footer(frame)).toMatch(/Enter close the retirement without finishing\s+Esc cancel/);

    // Every line of it is readable in full, scrolling when the screen is small.
    let text = dialogText(frame);
    for (let i = 0; i < 20 && /↓ reads on/.test(frame); i++) {
      await press(app.stdin, 'down');
      frame = await waitForFrame(app.lastFrame, (f) => f !== frame);
      text += ` ${dialogText(frame)}`;
    }
    expect(text).toContain('It does NOT enable, disable, delete or cancel the deletion of the key');
    expect(text).toContain('UntagResource (keywarden:retirement-* tags');
    expect(text).toContain('No EnableKey, DisableKey, ScheduleKeyDeletion or CancelKeyDeletion.');
    if (text.includes('↓ reads on')) {
      // Enter before the end was read shows the rest instead of closing.
      await press(app.stdin, 'up');
      await seen(app, '↓ reads on');
      await press(app.stdin, 'enter');
      frame = await seen(app, 'read the rest first (shown now): nothing was changed');
      expect(frame).toContain('Close this retirement without finishing it');
    }

    await press(app.stdin, 'enter');
    frame = await seen(app, 'the retirement is closed (abandoned)', 20_000);
    const alarms = await endpoint.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${key.keyId}`] }));
    expect(alarms.MetricAlarms ?? []).toHaveLength(0);
  }, 60_000);

  it('b from the watch enables the key and removes the alarm and filter under one confirmation; "removed" only after they are gone', async () => {
    const key = await newKey();
    await walk(key, 'watching');
    const app = await openWizard(key.alias, size);
    let frame = await hint(app, 'b enable the key again', 20_000);
    expect(footer(frame)).toContain('b enable the key again, remove the alarm');
    await press(app.stdin, 'b');
    frame = await seen(app, 'Enable the key again and end the retirement');
    let text = dialogText(frame);
    for (let i = 0; i < 20 && /↓ reads on/.test(frame); i++) {
      await press(app.stdin, 'down');
      frame = await waitForFrame(app.lastFrame, (f) => f !== frame);
      text += ` ${dialogText(frame)}`;
    }
    expect(text).toContain('API calls: EnableKey');
    expect(text).toContain(`DeleteAlarms keywarden-retire-${key.keyId}`);
    await press(app.stdin, 'enter');
    frame = await seen(app, 'the retirement is rolled back and closed', 20_000);
    expect(flat(frame)).toContain(`removed: alarm keywarden-retire-${key.keyId} (us-east-1)`);

    const clients = endpoint.clients();
    expect((await clients.kms('us-east-1').send(new DescribeKeyCommand({ KeyId: key.arn }))).KeyMetadata!.KeyState).toBe('Enabled');
    const alarms = await clients.cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${key.keyId}`] }));
    expect(alarms.MetricAlarms ?? []).toHaveLength(0);
    const filters = await clients.logs('us-east-1').send(new DescribeMetricFiltersCommand({ filterNamePrefix: `keywarden-retire-${key.keyId}`, logGroupName: 'aws-cloudtrail-logs-111122223333-management' }));
    expect(filters.metricFilters ?? []).toHaveLength(0);
    frame = await waitForFrame(app.lastFrame, (f) => f.includes('stage: closed') && !f.includes('enabling the key…'), { timeoutMs: 20_000 });
    expect(await readAll(app)).toContain(`alarm keywarden-retire-${key.keyId} and its metric filter: removed`);
    expect(flat(frame)).toMatch(/✓ Preflight → · Disabled → · Alarm \+ watch → · Deletion scheduled → · Deleted/);
  }, 60_000);

  it("the schedule dialog shows the deletion date in the account's time; the alarm dialog names the log group and offers an SNS topic", async () => {
    const key = await newKey();
    const source = port();
    const ref = { arn: key.arn, region: 'us-east-1' };
    const preflight = await source.preflight(ref, 30);
    let record = await source.start(ref, { watchDays: 14, name: key.alias, preflight });
    for (const f of preflight.findings.filter((x) => x.severity === 'blocking')) record = await source.take(await source.status(record), 'acknowledge', { findingId: f.id });
    record = await source.take(await source.status(record), 'disable');
    const app = await openWizard(key.alias, size);
    await hint(app, 'n create the alarm and start the watch', 20_000);
    await press(app.stdin, 'n');
    let frame = await seen(app, 'SNS topic ARN to notify (optional)', 15_000);
    expect(dialogText(frame)).toContain("Log group: aws-cloudtrail-logs-111122223333-management (us-east-1), where the trail");
    frame = await hint(app, 'Enter create the alarm and start the watch');
    expect(footer(frame)).toMatch(/^Enter create the alarm and start the watch\s+Esc cancel/);
    await press(app.stdin, 'enter');
    frame = await seen(app, 'alarm armed', 20_000);

    endpoint.sandbox!.advanceClock(15 * DAY);
    await press(app.stdin, 'r');
    await hint(app, 'n schedule the deletion', 20_000);
    await press(app.stdin, 'n');
    await seen(app, 'Waiting period before deletion');
    // The default (30) is selected: typing replaces it, as in every other text field.
    await press(app.stdin, '9');
    await press(app.stdin, 'enter');
    await seen(app, `Type "${key.alias}"`);
    frame = await hint(app, 'Enter schedule the deletion');
    const date = new Date(endpoint.sandbox!.now().getTime() + 9 * DAY * 1000).toISOString().slice(0, 10);
    let text = dialogText(frame);
    for (let i = 0; i < 20 && /↓ reads on/.test(frame); i++) {
      await press(app.stdin, 'down');
      frame = await waitForFrame(app.lastFrame, (f) => f !== frame);
      text += ` ${dialogText(frame)}`;
    }
    expect(text).toContain(`Deletion on ${date} (account time now plus 9 days)`);
    expect(footer(frame)).toMatch(/^(↓ read the rest\s+)?Enter schedule the deletion \(type the alias or key id first\)/);
    await press(app.stdin, 'escape');
  }, 60_000);
});

describe.skipIf(!servesRetirement())('the retirement wizard at 140×40: a way back that fails half way', () => {
  it('the key enabled but the alarm not removed (DeleteAlarms denied): said so, never "removed"; b then removes it', async () => {
    const key = await newKey();
    await walk(key, 'watching');
    const app = await openWizard(key.alias, LARGE);
    await hint(app, 'b enable the key again, remove the alarm', 20_000);
    endpoint.sandbox!.faults.accessDenied = [{ operations: ['DeleteAlarms'] }];
    try {
      await press(app.stdin, 'b');
      await hint(app, 'Enter enable the key again');
      await press(app.stdin, 'enter');
      let frame = await seen(app, 'enable the key again: done, but remove the alarm and filter and finish failed:', 20_000);
      expect(flat(frame)).toMatch(/cloudwatch:DeleteAlarms.*\(b tries again\)/);
      expect(flat(frame)).not.toContain('removed:');
      frame = await hint(app, 'b remove the alarm and filter and finish', 20_000);
      expect(flat(frame)).toContain('stage: rolled back');
      const clients = endpoint.clients();
      expect((await clients.kms('us-east-1').send(new DescribeKeyCommand({ KeyId: key.arn }))).KeyMetadata!.KeyState).toBe('Enabled');
      expect((await clients.cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${key.keyId}`] }))).MetricAlarms).toHaveLength(1);
    } finally {
      endpoint.sandbox!.faults.accessDenied = [];
    }
    await press(app.stdin, 'b');
    await seen(app, 'Remove the alarm and the metric filter');
    await press(app.stdin, 'enter');
    const frame = await seen(app, 'the retirement is closed', 20_000);
    expect(flat(frame)).toContain(`removed: alarm keywarden-retire-${key.keyId} (us-east-1)`);
    expect((await endpoint.clients().cloudwatch('us-east-1').send(new DescribeAlarmsCommand({ AlarmNames: [`keywarden-retire-${key.keyId}`] }))).MetricAlarms ?? []).toHaveLength(0);
  }, 60_000);
});

describe.skipIf(!servesRetirement())('the retirement wizard at 80×24: what to do next stays on screen', () => {
  it('with more evidence and findings than fit, "Next" stays below the part that scrolls, which says how much more there is', async () => {
    // A seeded key with a note and a blocking finding (a grant held by an AWS service): more than 24 rows.
    const app = await openWizard('ebs/analytics-scratch', SMALL);
    let frame = plain(app.lastFrame());
    expect(rowsOf(frame)).toHaveLength(SMALL.rows);
    expect(frame).toMatch(/^Next$/m);
    expect(frame).toContain('s ▶ start: record the evidence');
    expect(frame).toMatch(/↓ \d+ more \(j\/k scroll\)/);
    for (let i = 0; i < 20; i++) await press(app.stdin, 'j');
    frame = await waitForFrame(app.lastFrame, (f) => /↑ \d+ more \(j\/k scroll\)/.test(f) && !f.includes('↓'), { timeoutMs: 5_000 });
    expect(frame).toContain('s ▶ start: record the evidence');
    expect(flat(frame)).toContain('must acknowledge');
  }, 60_000);
});

describe.skipIf(!servesRetirement())('the retirement wizard at 80×24: long refusals', () => {
  it("the account's guard refusal is readable in full (wrapped, not cut), and nothing changed", async () => {
    // The seeded key whose policy carries AWS's kms:TrailingDaysWithoutKeyUsage guard (docs/sandbox.md).
    const alias = 'cloudtrail/management-events';
    const app = await openWizard(alias, SMALL);
    await press(app.stdin, 's');
    let frame = await waitForFrame(app.lastFrame, (f) => /^n disable the key|a acknowledge/.test(footer(f)), { timeoutMs: 15_000 });
    for (let i = 0; i < 6 && !footer(frame).startsWith('n disable the key'); i++) {
      await press(app.stdin, 'a');
      frame = await waitForFrame(app.lastFrame, (f) => flat(f).includes('acknowledged:') && !f.includes('acknowledging'), { timeoutMs: 10_000 });
    }
    await hint(app, 'n disable the key', 10_000);
    await press(app.stdin, 'n');
    await seen(app, `Type "${alias}"`);
    await press(app.stdin, alias);
    await press(app.stdin, 'enter');
    frame = await seen(app, "the account's guard refuses this", 20_000);
    frame = await waitForFrame(app.lastFrame, (f) => !f.includes('disabling the key…') && flat(f).includes('Retire the key once'), { timeoutMs: 20_000 });
    expect(rowsOf(frame)).toHaveLength(SMALL.rows);
    expect(flat(frame)).toMatch(
      /disabling the key: the account's guard refuses this: .*The key policy denies kms:DisableKey .*while .*kms:TrailingDaysWithoutKeyUsage .*Nothing else was changed; the retirement stays where it was\. Retire the key once it has gone unused for that long, or ask whoever owns the guard/,
    );
    const state = (await endpoint.clients().kms('us-east-1').send(new DescribeKeyCommand({ KeyId: `alias/${alias}` }))).KeyMetadata!.KeyState;
    expect(state).toBe('Enabled');
  }, 60_000);
});

describe.skipIf(!servesRetirement())(':retirements', () => {
  it('is read again each time it opens: a retirement started meanwhile is listed', async () => {
    const key = await newKey();
    const app = await openApp(LARGE);
    await press(app.stdin, ':');
    await press(app.stdin, 'retirements');
    await press(app.stdin, 'enter');
    await seen(app, 'no retirement recorded yet', 15_000);
    await press(app.stdin, 'escape');
    await waitForFrame(app.lastFrame, (f) => !f.includes('Retirements ('));
    // Started elsewhere (the CLI, a second window) while the list was closed.
    const source = port();
    const ref = { arn: key.arn, region: 'us-east-1' };
    await source.start(ref, { watchDays: 14, name: key.alias, preflight: await source.preflight(ref, 30) });
    await press(app.stdin, ':');
    await press(app.stdin, 'retirements');
    await press(app.stdin, 'enter');
    // Never the list as it was: it reads again (loading…) before it shows anything.
    const stale: string[] = [];
    const frame = await waitForFrame(
      app.lastFrame,
      (f) => {
        if (f.includes('no retirement recorded yet')) stale.push(f);
        return f.includes(key.alias);
      },
      { timeoutMs: 15_000, intervalMs: 1 },
    );
    expect(stale).toEqual([]);
    expect(frame).toContain('Retirements (1)');
  }, 60_000);
});
