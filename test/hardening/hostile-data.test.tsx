// Hostile text from AWS: descriptions, tag keys and values, policy text, principals and
// encryption-context values carrying terminal control sequences (CSI, OSC including an OSC 52
// clipboard write, BEL, backspace and carriage-return overwrite, bidi overrides, 8-bit C1).
// Rendered inert in the TUI, in the scripted text output and in Markdown reports; preserved
// exactly in --json.

import { CreateAliasCommand, CreateKeyCommand, EncryptCommand, PutKeyPolicyCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { lookupKeyEvents } from '../../src/aws/usage.js';
import { DEFAULT_THRESHOLDS } from '../../src/domain/findings.js';
import type { KeyDetail, KeyRow } from '../../src/domain/key.js';
import { buildReport, renderMarkdown } from '../../src/domain/report.js';
import { keyToCells } from '../../src/domain/table.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { KeyDetailView } from '../../src/ui/views/key-detail-view.js';
import { UsageView } from '../../src/ui/views/usage-view.js';
import { CLI } from '../e2e/terminal.js';
import { RestartableSandbox, tempDir } from './helpers.js';

/** Everything a terminal would act on: ESC, C0 (but newline), DEL, C1, bidi controls. */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const INK_COLOURS = /\u001b\[[0-9;]*m/g;

const HOSTILE = 'ok\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2J\u001b[1;1H\u001b]0;owned\u001b\\\u0007bell\b\b\bXX\rOVERWRITE\u202egnp.exe\u2066iso\u2069\u009b31mC1\u009d8;;http://evil\u009c';
const HOSTILE_ARN = `arn:aws:iam::111122223333:role/${'x'}\u001b[31mevil`;

let s: RestartableSandbox;
let k: { arn: string; keyId: string; name: string; key: { arn: string; region: string } };
let detail: KeyDetail;
const context = { purpose: HOSTILE };
beforeAll(async () => {
  s = await RestartableSandbox.start();
  const kms = s.clients().kms('us-east-1');
  const created = (await kms.send(new CreateKeyCommand({ Description: HOSTILE }))).KeyMetadata!;
  k = { arn: created.Arn!, keyId: created.KeyId!, name: `kw-hostile-${process.pid}`, key: { arn: created.Arn!, region: 'us-east-1' } };
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${k.name}`, TargetKeyId: k.keyId }));
  await kms.send(new TagResourceCommand({ KeyId: k.keyId, Tags: [{ TagKey: `team${HOSTILE.slice(0, 12)}`, TagValue: HOSTILE }] }));
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: `Root${HOSTILE}`, Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
      { Sid: 'Other', Effect: 'Allow', Principal: { AWS: HOSTILE_ARN }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContext:purpose': HOSTILE } } },
    ],
  };
  await kms.send(new PutKeyPolicyCommand({ KeyId: k.keyId, PolicyName: 'default', Policy: JSON.stringify(policy) }));
  await kms.send(new EncryptCommand({ KeyId: k.keyId, Plaintext: new TextEncoder().encode('x'), EncryptionContext: context }));
  detail = await new AwsKeySource(s.clients()).loadDetail(k.key);
});
afterAll(async () => {
  await s.close();
});

function keywarden(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args, '--endpoint-url', s.sandbox.url],
      { env: { PATH: process.env.PATH ?? '', AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', KEYWARDEN_HOME: tempDir() }, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe('hostile text from AWS', () => {
  it('arrives intact from the sandbox (the test really carries the sequences)', () => {
    expect(detail.row.metadata?.description).toBe(HOSTILE);
    expect(detail.row.tags.find((t) => t.value === HOSTILE)).toBeDefined();
    expect(typeof detail.policy === 'string' && detail.policy.includes('\\u001b]52;')).toBe(true);
  });

  it('is inert in the TUI: key list cells, detail tabs and the usage view', async () => {
    const hostileRow: KeyRow = { ...detail.row, aliases: [`alias/${HOSTILE}`] };
    for (const cell of Object.values(keyToCells(hostileRow, new Date()))) expect(cell).not.toMatch(ACTIVE);
    for (const tab of ['overview', 'rotation', 'grants', 'policy'] as const) {
      const { lastFrame, unmount } = render(<KeyDetailView row={hostileRow} state={{ status: 'ready', detail: { ...detail, row: hostileRow } }} tab={tab} scroll={0} height={60} width={160} now={new Date()} />);
      const frame = (lastFrame() ?? '').replace(INK_COLOURS, '');
      expect(frame, tab).not.toMatch(ACTIVE);
      // Policy text is shown as JSON: the sequence appears only as the inert escape `\u001b]52;`.
      expect(frame.replace(/\\u001b\]52;/g, '')).not.toContain(']52;');
      unmount();
    }
    const loaded = await lookupKeyEvents(s.clients().cloudtrail('us-east-1'), k.arn, { window: { days: 1 }, now: s.sandbox.now() });
    expect(JSON.stringify(loaded.events)).toContain('\\u001b]52;'); // the context value came back in CloudTrail
    const { lastFrame, unmount } = render(<UsageView state={{ status: 'ready', loaded }} window={{ days: 1 }} keyArn={k.arn} now={s.sandbox.now()} height={60} width={160} />);
    const frame = (lastFrame() ?? '').replace(INK_COLOURS, '');
    expect(frame).not.toMatch(ACTIVE);
    unmount();
  });

  it('is inert in a Markdown report and cannot break out of its code block or table', () => {
    const doc = buildReport({ detail, account: '111122223333', caller: 'arn:aws:sts::111122223333:assumed-role/KeywardenOperator/operator', now: new Date(), thresholds: DEFAULT_THRESHOLDS, usage: { windowDays: 30 } });
    const md = renderMarkdown(doc);
    expect(md).not.toMatch(ACTIVE);
    expect(md.replace(/\\u001b\]52;/g, '')).not.toContain(']52;');
    // every table row keeps its column count: no unescaped | from the data
    for (const line of md.split('\n').filter((l) => l.startsWith('|'))) expect(line.replace(/\\\|/g, '').endsWith('|')).toBe(true);
  });

  it('is inert in the scripted text output (show, usage) and preserved exactly in --json', async () => {
    const text = await keywarden(['show', k.name]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(ACTIVE);
    expect(text.stdout).toContain('OVERWRITE'); // shown, made inert — not dropped
    const json = await keywarden(['show', k.name, '--json']);
    const doc = JSON.parse(json.stdout) as { row: KeyRow; policy: string };
    expect(doc.row.metadata?.description).toBe(HOSTILE);
    expect(doc.row.tags).toContainEqual({ key: `team${HOSTILE.slice(0, 12)}`, value: HOSTILE });
    expect(JSON.parse(doc.policy).Statement[1].Principal.AWS).toBe(HOSTILE_ARN);

    const usage = await keywarden(['usage', k.name, '--days', '1']);
    expect(usage.code).toBe(0);
    expect(usage.stdout).not.toMatch(ACTIVE);
    const usageJson = await keywarden(['usage', k.name, '--days', '1', '--json']);
    expect(usageJson.stdout).toContain(JSON.stringify(HOSTILE));
  });
});
