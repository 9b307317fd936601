import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../../test/helpers/source-files.js';
import { isReadOperation, READ_OPERATIONS } from './read-operations.js';

/** Every operation keywarden sends that changes something. Read-only mode refuses each of them. */
const CHANGES = new Set([
  'EnableKey',
  'DisableKey',
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
  'EnableKeyRotation',
  'DisableKeyRotation',
  'RotateKeyOnDemand',
  'RetireGrant',
  'RevokeGrant',
  'TagResource',
  'UntagResource',
  'PutKeyPolicy',
  'PutMetricFilter',
  'DeleteMetricFilter',
  'PutMetricAlarm',
  'DeleteAlarms',
  'BatchImportFindings',
]);


describe('read-only operations', () => {
  it('classifies every AWS command keywarden constructs as a read or a change (a new one must be added to one list)', () => {
    const used = new Set<string>();
    for (const file of sourceFiles('src/aws')) {
      for (const match of readFileSync(file, 'utf8').matchAll(/new ([A-Z][A-Za-z]+)Command\(/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(20);
    const unclassified = [...used].filter((op) => !READ_OPERATIONS.has(op) && !CHANGES.has(op));
    expect(unclassified).toEqual([]);
    const both = [...CHANGES].filter((op) => READ_OPERATIONS.has(op));
    expect(both).toEqual([]);
  });

  it('refuses operations by name, not by prefix: a Get/Describe/List it does not know is not a read', () => {
    for (const op of ['GetKeyPolicy', 'DescribeKey', 'LookupEvents', 'TestMetricFilter']) expect(isReadOperation(op)).toBe(true);
    for (const op of ['GetParametersForImport', 'GenerateDataKey', 'DescribeFutureThing', 'ListAndDeleteEverything', 'Get', 'PutKeyPolicy', 'DisableKey']) {
      expect(isReadOperation(op)).toBe(false);
    }
  });
});
