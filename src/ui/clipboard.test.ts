import { describe, expect, it } from 'vitest';
import { clipboardText, osc52 } from './clipboard.js';

describe('copying with OSC 52', () => {
  it('wraps the text in base64 between ESC ] 52 ; c ; and BEL', () => {
    expect(osc52('arn:aws:kms:us-east-1:111122223333:key/1')).toBe(`\u001b]52;c;${Buffer.from('arn:aws:kms:us-east-1:111122223333:key/1').toString('base64')}\u0007`);
  });

  it('never carries a control sequence, a line break or a bidi override into the clipboard', () => {
    const hostile = 'grant\u001b]52;c;ZXZpbA==\u0007id\nrm -rf /\u202e\u0085';
    const sequence = osc52(hostile);
    const payload = /^\u001b\]52;c;([A-Za-z0-9+/=]*)\u0007$/.exec(sequence);
    expect(payload).not.toBeNull();
    const copied = Buffer.from(payload![1]!, 'base64').toString('utf8');
    expect(copied).toBe(clipboardText(hostile));
    expect(copied).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\n]/);
    expect(copied).toContain('rm -rf /');
  });
});
