import { describe, expect, it } from 'vitest';
import { actionBlockedReason, apiCall, confirmationMatches, confirmationWord, describeChange, periodFromInput, type ActionRequest } from './actions.js';
import type { KeyMetadata } from './key.js';
import { keyMetadata } from '../../test/helpers/kms-fixtures.js';

const base: KeyMetadata = keyMetadata();
const meta = (patch: Partial<KeyMetadata>): KeyMetadata => ({ ...base, ...patch });

describe('actionBlockedReason', () => {
  const cases: Array<[string, ActionRequest, KeyMetadata | undefined, RegExp | undefined]> = [
    ['enable rotation on an enabled symmetric key', { action: 'rotation.enable', periodDays: 180 }, base, undefined],
    ['enable rotation on a disabled key', { action: 'rotation.enable', periodDays: 180 }, meta({ state: 'Disabled', enabled: false }), /disabled/],
    ['enable rotation on an asymmetric key', { action: 'rotation.enable', periodDays: 365 }, meta({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }), /asymmetric/],
    ['enable rotation on an HMAC key', { action: 'rotation.enable', periodDays: 365 }, meta({ keySpec: 'HMAC_256' }), /HMAC/],
    ['enable rotation on imported material', { action: 'rotation.enable', periodDays: 365 }, meta({ origin: 'EXTERNAL' }), /imported/],
    ['enable rotation in a custom key store', { action: 'rotation.enable', periodDays: 365 }, meta({ origin: 'AWS_CLOUDHSM', customKeyStoreId: 'cks-1' }), /custom key store/],
    ['enable rotation on a replica', { action: 'rotation.enable', periodDays: 365 }, meta({ multiRegion: true, multiRegionRole: 'REPLICA', primaryKey: { arn: 'x', region: 'us-east-1' } }), /primary in us-east-1/],
    ['rotate now while pending deletion', { action: 'rotation.rotate-now' }, meta({ state: 'PendingDeletion', enabled: false }), /pending deletion/],
    ['disable an enabled key', { action: 'key.disable' }, base, undefined],
    ['disable a disabled key', { action: 'key.disable' }, meta({ state: 'Disabled', enabled: false }), /already disabled/],
    ['enable a pending-deletion key', { action: 'key.enable' }, meta({ state: 'PendingDeletion', enabled: false }), /cancel the deletion/],
    ['enable a disabled key', { action: 'key.enable' }, meta({ state: 'Disabled', enabled: false }), undefined],
    ['enable an enabled key', { action: 'key.enable' }, base, /already enabled/],
    ['revoke on a key that cannot be described', { action: 'grant.revoke', grantId: 'g' }, undefined, /no access/],
    ['change an AWS managed key', { action: 'key.disable' }, meta({ keyManager: 'AWS' }), /AWS managed/],
  ];
  it.each(cases)('%s', (_name, request, metadata, expected) => {
    const reason = actionBlockedReason(request, metadata);
    if (expected) expect(reason).toMatch(expected);
    else expect(reason).toBeUndefined();
  });

  it('refuses an unknown grant id when the grants are known', () => {
    expect(actionBlockedReason({ action: 'grant.retire', grantId: 'nope' }, base, [{ grantId: 'g1', keyId: base.keyId, operations: ['Decrypt'] }])).toMatch(/no grant with id nope/);
    expect(actionBlockedReason({ action: 'grant.retire', grantId: 'g1' }, base, [{ grantId: 'g1', keyId: base.keyId, operations: ['Decrypt'] }])).toBeUndefined();
  });
});

describe('apiCall', () => {
  it('names the exact operation and parameters', () => {
    expect(apiCall({ action: 'rotation.enable', periodDays: 180 }, base.arn)).toEqual({ operation: 'EnableKeyRotation', params: { KeyId: base.arn, RotationPeriodInDays: 180 } });
    expect(apiCall({ action: 'grant.revoke', grantId: 'abc' }, base.arn)).toEqual({ operation: 'RevokeGrant', params: { KeyId: base.arn, GrantId: 'abc' } });
    expect(apiCall({ action: 'key.disable' }, base.arn)).toEqual({ operation: 'DisableKey', params: { KeyId: base.arn } });
  });
});

describe('typed confirmation', () => {
  const row = { aliases: ['alias/ebs/prod-data', 'alias/legacy'], keyId: base.keyId };
  it.each([
    ['ebs/prod-data', true],
    ['alias/ebs/prod-data', true],
    ['legacy', true],
    [base.keyId, true],
    ['  ebs/prod-data  ', true],
    ['ebs/prod', false],
    ['EBS/PROD-DATA', false],
    ['', false],
    [base.arn, false],
  ])('"%s" → %s', (typed, ok) => {
    expect(confirmationMatches(typed, row)).toBe(ok);
  });
  it('asks for the first alias, else the key id', () => {
    expect(confirmationWord(row)).toBe('ebs/prod-data');
    expect(confirmationWord({ aliases: [], keyId: base.keyId })).toBe(base.keyId);
  });
});

describe('rotation period input', () => {
  it.each([
    ['', { ok: true, days: 365 }],
    ['90', { ok: true, days: 90 }],
    ['2560', { ok: true, days: 2560 }],
    ['180', { ok: true, days: 180 }],
  ])('"%s" is accepted', (input, expected) => {
    expect(periodFromInput(input)).toEqual(expected);
  });
  it.each(['0', '89', '2561', 'abc', '-5', '1e3', '180.5'])('"%s" is refused with a reason', (input) => {
    const parsed = periodFromInput(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/rotation period/);
  });
});

describe('describeChange with what the endpoint did not report', () => {
  it('never states the 365-day default as the current rotation period', () => {
    const row = { keyId: 'k', arn: 'arn:aws:kms:us-east-1:111122223333:key/k', region: 'us-east-1', aliases: [], tags: [], problems: [], metadata: base, rotation: { kind: 'enabled' as const }, lastUsage: { kind: 'never' as const } };
    const words = describeChange({ action: 'rotation.enable', periodDays: 180 }, row as unknown as Parameters<typeof describeChange>[1]);
    expect(words).toBe('automatic rotation: on, period not reported → on, every 180 days');
  });
});
