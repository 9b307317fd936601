import { describe, expect, it } from 'vitest';
import type { JournalOperationView } from '../../domain/source.js';
import { plain, renderSized, unwrapped, widestRow } from '../../../test/helpers/ink.js';
import { JournalView, journalLines } from './journal-view.js';

const op = (patch: Partial<JournalOperationView>): JournalOperationView => ({
  time: '2026-11-23T10:00:00.000Z',
  action: 'DisableKey',
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  region: 'us-east-1',
  caller: 'arn:aws:sts::111122223333:assumed-role/Operator/alice',
  params: { KeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
  status: 'ok',
  ...patch,
});

describe('journalLines', () => {
  it('leads each change with its outcome, newest first, so a narrow terminal never hides it', () => {
    const lines = journalLines([op({ requestId: 'req-1' }), op({ time: '2026-11-23T11:00:00.000Z', action: 'EnableKey', status: 'failed', error: 'access denied' }), op({ time: '2026-11-23T12:00:00.000Z', status: 'unknown' })], []);
    const firsts = lines.filter((_, i) => i % 4 === 0).map((l) => l.text);
    expect(firsts[0]).toMatch(/DisableKey → OUTCOME UNKNOWN/);
    expect(firsts[1]).toMatch(/EnableKey → FAILED · access denied/);
    expect(firsts[2]).toMatch(/DisableKey → ok · request req-1$/);
    for (const first of firsts) expect(first.indexOf('→')).toBeLessThan(40);
    expect(lines[1]?.text).toContain('key arn:aws:kms:us-east-1:111122223333:key/');
  });

  it('cleans every field read from the journal file: a hand-edited entry cannot write escapes to the terminal', () => {
    const hostile = '\u001b]52;c;ZXZpbA==\u0007\u0007\u200b';
    const lines = journalLines([op({ action: `DisableKey${hostile}`, region: `us-east-1${hostile}`, time: `2026-11-23T10:00:00.000Z${hostile}`, caller: `x${hostile}`, status: 'failed', error: hostile })], []);
    for (const line of lines) {
      expect(line.text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b]/);
      expect(line.text).not.toContain(']52;');
    }
    expect(lines[0]?.text).toContain('DisableKey');
  });
});

describe('JournalView', () => {
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/b16d2fc9-c506-44e6-a1c9-c9119bb9a001';
  const caller = 'arn:aws:sts::111122223333:assumed-role/KeywardenOperatorRole/alice@example.com';
  const requestId = '59d8d8a1-6f0e-4c44-9f3a-0c2b7e9d1a55';
  for (const [columns, rows] of [[80, 24], [140, 40]] as const) {
    it(`at ${columns}×${rows} shows the key's ARN, the request id and the caller whole (wrapped, never cut)`, () => {
      const ops = [op({ keyArn: arn, caller, requestId, params: { KeyId: arn, PendingWindowInDays: 30 } })];
      const { lastFrame } = renderSized(<JournalView state={{ status: 'ready', operations: ops, problems: [] }} keyArn={arn} scroll={0} height={rows - 4} width={columns} />, columns);
      const frame = lastFrame();
      expect(widestRow(frame)).toBeLessThanOrEqual(columns);
      expect(plain(frame)).not.toContain('…');
      for (const whole of [arn, caller, requestId, `by ${caller} in us-east-1`]) expect(unwrapped(frame)).toContain(unwrapped(whole));
      expect(plain(frame)).toContain('DisableKey → ok');
    });
  }
});
