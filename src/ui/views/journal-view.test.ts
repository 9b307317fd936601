import { describe, expect, it } from 'vitest';
import type { JournalOperationView } from '../../domain/source.js';
import { journalLines } from './journal-view.js';

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
