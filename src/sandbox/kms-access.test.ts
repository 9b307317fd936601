import { describe, expect, it } from 'vitest';
import { trailingDaysWithoutKeyUsage } from './kms-access.js';
import type { KeyRecord } from './state.js';

const DAY = 86_400_000;
const TRACKING = Date.parse('2026-04-15T00:00:00Z');
const NOW = TRACKING + 400 * DAY + 5 * 3_600_000;

function key(created: number, lastUsed?: number): KeyRecord {
  return {
    keyId: 'k',
    region: 'us-east-1',
    creationDate: created,
    description: '',
    state: 'Enabled',
    keyUsage: 'ENCRYPT_DECRYPT',
    keySpec: 'SYMMETRIC_DEFAULT',
    origin: 'AWS_KMS',
    keyManager: 'CUSTOMER',
    tags: [],
    rotationEnabled: false,
    rotations: [],
    grants: [],
    ...(lastUsed !== undefined ? { lastUsage: { operation: 'Decrypt', timestamp: lastUsed, cloudTrailEventId: 'e', kmsRequestId: 'r' } } : {}),
  } as KeyRecord;
}

describe('kms:TrailingDaysWithoutKeyUsage', () => {
  const cases: Array<[string, KeyRecord, number]> = [
    ['used an hour ago: 0', key(TRACKING - 900 * DAY, NOW - 3_600_000), 0],
    ['used 3 days and a few hours ago: 3 whole days', key(TRACKING - 900 * DAY, NOW - 3 * DAY - 2 * 3_600_000), 3],
    ['used exactly 365 days ago: 365', key(TRACKING - 900 * DAY, NOW - 365 * DAY), 365],
    ['never used, created before tracking began: days since tracking began', key(TRACKING - 900 * DAY), 400],
    ['never used, created after tracking began: days since creation', key(NOW - 10 * DAY), 10],
    ['last used before tracking began: not seen, days since tracking began', key(TRACKING - 900 * DAY, TRACKING - 30 * DAY), 400],
  ];
  it.each(cases)('%s', (_name, record, days) => {
    expect(trailingDaysWithoutKeyUsage(record, NOW, TRACKING)).toBe(days);
  });
});
