// Text shown to operators names AWS documentation, never this project's internal notes (a finding
// once said "(KMS.md §11)"): the catalogue and the findings on real-shaped keys are checked.

import { describe, expect, it } from 'vitest';
import { ACCOUNT, NOW, ebsDetail, fargateDetail, signingDetail } from '../../test/helpers/kms-fixtures.js';
import { FINDING_CATALOGUE } from './finding-catalogue.js';
import { DEFAULT_THRESHOLDS, findingsForKey } from './findings.js';

const INTERNAL = /\b[\w-]+\.md\b|§/;

describe('text shown to users', () => {
  it.each(FINDING_CATALOGUE.map((e) => [e.id, e] as const))('catalogue entry %s references no internal file', (_id, entry) => {
    for (const text of [entry.title, entry.checks, entry.why, entry.fix]) expect(text).not.toMatch(INTERNAL);
    expect(entry.docs).toMatch(/^https:\/\//);
  });

  it('findings on keys with gaps reference no internal file', () => {
    const findings = [ebsDetail, fargateDetail, signingDetail].flatMap((key) => findingsForKey({ key, thresholds: DEFAULT_THRESHOLDS, now: NOW, account: ACCOUNT }));
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.message, f.id).not.toMatch(INTERNAL);
      expect(f.explanation, f.id).not.toMatch(INTERNAL);
    }
  });
});
