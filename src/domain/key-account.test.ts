import { describe, expect, it } from 'vitest';
import { accountOfKeyRef, keyArnNeeded } from './key-account.js';

describe('accountOfKeyRef', () => {
  it.each([
    ['arn:aws:kms:us-east-1:222233334444:key/1234abcd-12ab-34cd-56ef-1234567890ab', '222233334444'],
    ['arn:aws:kms:eu-west-1:333344445555:alias/analytics/scratch', '333344445555'],
    ['arn:aws-us-gov:kms:us-gov-west-1:555566667777:key/mrk-0123456789abcdef0123456789abcdef', '555566667777'],
    ['  arn:aws:kms:us-east-1:222233334444:key/abc  ', '222233334444'],
  ])('%s is in account %s', (ref, account) => {
    expect(accountOfKeyRef(ref)).toBe(account);
  });

  it.each(['alias/payments/ledger', 'payments/ledger', '1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:us-east-1:2222:key/x', 'arn:aws:kms:us-east-1:222233334444:key/', 'arn:aws:iam::222233334444:role/KeywardenOperator', ''])('%s names no account', (ref) => {
    expect(accountOfKeyRef(ref)).toBeUndefined();
  });

  it('the refusal says how to name the key', () => {
    expect(keyArnNeeded('alias/x')).toBe('with several accounts, name the key by its ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): "alias/x" does not say which account it is in');
  });
});
