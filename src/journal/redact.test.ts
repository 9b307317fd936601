import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from './redact.js';

describe('redact', () => {
  it.each([
    ['SecretAccessKey'],
    ['SessionToken'],
    ['GrantTokens'],
    ['password'],
    ['Credentials'],
    ['Plaintext'],
    ['CiphertextBlob'],
    ['AccessKeyId'],
    ['EncryptedKeyMaterial'],
    ['PrivateKeyPlaintext'],
  ])('masks %s', (key) => {
    expect(redact({ [key]: 'value', KeyId: 'k' })).toEqual({ [key]: REDACTED, KeyId: 'k' });
  });

  it('masks at any depth, inside objects and arrays', () => {
    const input = {
      KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234',
      Nested: { Deeper: { SessionToken: 'tok', Keep: 1 }, List: [{ Password: 'p', Name: 'n' }, 'plain'] },
    };
    expect(redact(input)).toEqual({
      KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234',
      Nested: { Deeper: { SessionToken: REDACTED, Keep: 1 }, List: [{ Password: REDACTED, Name: 'n' }, 'plain'] },
    });
  });

  it('does not change its input', () => {
    const input = { Secret: 's', Inner: { Token: 't' } };
    redact(input);
    expect(input).toEqual({ Secret: 's', Inner: { Token: 't' } });
  });

  it('returns plain JSON: binary as a size, dates as ISO, no undefined, no cycles', () => {
    const cyclic: Record<string, unknown> = { Name: 'c' };
    cyclic['Self'] = cyclic;
    const shared = { X: 1 };
    const out = redact({
      Blob: new Uint8Array([1, 2, 3]),
      When: new Date('2025-01-02T03:04:05.000Z'),
      Missing: undefined,
      Big: 10n,
      Infinite: Number.POSITIVE_INFINITY,
      Cyclic: cyclic,
      A: shared,
      B: shared,
      Failure: new Error('boom'),
    });
    expect(out).toEqual({
      Blob: '[binary 3 bytes]',
      When: '2025-01-02T03:04:05.000Z',
      Big: '10',
      Infinite: 'Infinity',
      Cyclic: { Name: 'c', Self: '[circular]' },
      A: { X: 1 },
      B: { X: 1 },
      Failure: { name: 'Error', message: 'boom' },
    });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });
});
