import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyMetadata } from '../../test/helpers/kms-fixtures.js';
import {
  ASFF_BATCH_LIMIT,
  asffBatches,
  failOnExitCode,
  findingsTableLines,
  reportKeyFindings,
  suppressionActive,
  suppressionMatchesKey,
  toAsff,
  toSarif,
  type EstateFinding,
} from './estate-findings.js';
import { FINDING_CATALOGUE, catalogueEntry } from './finding-catalogue.js';
import { DEFAULT_THRESHOLDS, findingsForKey, type KeyFinding } from './findings.js';
import type { KeyRow } from './key.js';

const ACCOUNT = '111122223333';
const NOW = new Date('2026-12-07T12:00:00Z');

function row(n: number, alias = `app/k${n}`): KeyRow {
  const keyId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const meta = keyMetadata({ keyId, arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`, region: 'us-east-1', creationDate: '2025-01-01T00:00:00Z' });
  return { keyId, arn: meta.arn, region: 'us-east-1', aliases: [`alias/${alias}`], tags: [], metadata: meta, rotation: { kind: 'disabled' }, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: '2026-12-06T00:00:00Z' }, problems: [] };
}

const PUBLIC = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }] });
const withPolicy = (r: KeyRow, policy = PUBLIC): KeyRow => ({ ...r, access: { policy, grants: [] } });
const findingsOf = (r: KeyRow): KeyFinding[] => findingsForKey({ key: r, thresholds: DEFAULT_THRESHOLDS, now: NOW, account: ACCOUNT });
const estate = (rows: KeyRow[]): EstateFinding[] => rows.flatMap((r) => reportKeyFindings(r, ACCOUNT, findingsOf(r), { minSeverity: 'info' }, [], NOW));

describe('the catalogue', () => {
  it('has one entry per id, and every id the findings emit is in it', () => {
    const ids = FINDING_CATALOGUE.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const source = readFileSync(new URL('./findings.ts', import.meta.url), 'utf8');
    const emitted = new Set([...source.matchAll(/id: '([a-z-]+)'/g)].map((m) => m[1]!));
    for (const constant of source.matchAll(/export const \w+_PENDING = '([a-z-]+)'/g)) emitted.add(constant[1]!);
    expect(emitted.size).toBeGreaterThan(20);
    for (const id of emitted) expect(catalogueEntry(id), id).toBeDefined();
    for (const entry of FINDING_CATALOGUE) {
      expect(entry.docs).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      for (const field of [entry.title, entry.checks, entry.why, entry.fix]) expect(field.length).toBeGreaterThan(5);
    }
  });
});

describe('suppressions', () => {
  const r = row(1, 'legacy/old-batch');
  it.each([
    [undefined, true],
    ['*', true],
    ['legacy/old-batch', true],
    ['alias/legacy/old-batch', true],
    [r.keyId, true],
    [r.arn, true],
    ['legacy/other', false],
    [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${r.keyId}`, false],
  ])('key %s matches: %s', (key, matches) => {
    expect(suppressionMatchesKey({ id: 'x', reason: 'r', expires: '2099-01-01', ...(key !== undefined ? { key } : {}) }, r)).toBe(matches);
  });

  it('applies through its expiry day (UTC), not after', () => {
    const s = { id: 'x', reason: 'r', expires: '2026-12-07' };
    expect(suppressionActive(s, new Date('2026-12-07T23:59:59Z'))).toBe(true);
    expect(suppressionActive(s, new Date('2026-12-08T00:00:00Z'))).toBe(false);
  });

  it('a suppressed finding is reported, marked, and does not fail the run', () => {
    const r1 = withPolicy(row(1));
    const all = reportKeyFindings(r1, ACCOUNT, findingsOf(r1), { minSeverity: 'info' }, [{ id: 'policy-public', reason: 'a test bucket', expires: '2099-01-01' }], NOW);
    const pub = all.find((f) => f.id === 'policy-public')!;
    expect(pub.suppressed).toEqual({ reason: 'a test bucket', expires: '2099-01-01' });
    expect(failOnExitCode(all, 'high')).toBe(0);
    expect(failOnExitCode(all, 'medium')).toBe(1); // rotation-off is medium and not suppressed
    expect(findingsTableLines(all).join('\n')).toContain('policy-public  [suppressed until 2099-01-01: a test bucket]');
  });
});

describe('SARIF 2.1.0', () => {
  // The facts of the OASIS schema (sarif-schema-2.1.0.json) this document relies on.
  const LEVELS = ['none', 'note', 'warning', 'error'];
  it('one rule per catalogue entry, one result per finding, the key ARN as the location', () => {
    const findings = estate([withPolicy(row(1)), withPolicy(row(2), JSON.stringify({ Statement: [] }))]);
    findings[0] = { ...findings[0]!, suppressed: { reason: 'accepted', expires: '2099-01-01' } };
    const log = toSarif(findings, { version: '1.2.3' }) as any;
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'keywarden', version: '1.2.3' });
    const rules = run.tool.driver.rules as Array<{ id: string; shortDescription: { text: string }; helpUri: string; defaultConfiguration: { level: string } }>;
    expect(rules.map((r) => r.id)).toEqual(FINDING_CATALOGUE.map((e) => e.id));
    for (const rule of rules) {
      expect(rule.shortDescription.text).not.toBe('');
      expect(() => new URL(rule.helpUri)).not.toThrow();
      expect(LEVELS).toContain(rule.defaultConfiguration.level);
    }
    expect(run.results).toHaveLength(findings.length);
    for (const result of run.results) {
      expect(rules[result.ruleIndex]!.id).toBe(result.ruleId);
      expect(LEVELS).toContain(result.level);
      expect(result.message.text.length).toBeGreaterThan(0);
      const uri = result.locations[0].physicalLocation.artifactLocation.uri as string;
      expect(uri).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
      expect(new URL(uri).protocol).toBe('arn:'); // a URI reference, as the schema's "uri-reference" format asks
      expect(Object.values(result.partialFingerprints).every((v) => typeof v === 'string')).toBe(true);
      for (const s of result.suppressions ?? []) {
        expect(['inSource', 'external']).toContain(s.kind);
        expect(['accepted', 'underReview', 'rejected']).toContain(s.status);
      }
    }
    expect(run.results.filter((r: { suppressions?: unknown[] }) => r.suppressions).length).toBe(1);
    // Fingerprints are stable and distinct per finding.
    const again = toSarif(findings, { version: '1.2.3' }) as any;
    expect(again.runs[0].results.map((r: any) => r.partialFingerprints)).toEqual(run.results.map((r: any) => r.partialFingerprints));
    expect(new Set(run.results.map((r: any) => r.partialFingerprints['keywardenFinding/v1'])).size).toBe(findings.length);
  });
});

describe('ASFF', () => {
  it('has every required attribute, within its length limits, in batches of at most 100', () => {
    const rows = Array.from({ length: 90 }, (_, i) => withPolicy(row(i + 1)));
    const findings = estate(rows);
    expect(findings.length).toBeGreaterThan(200);
    const asff = toAsff(findings, NOW);
    const required = ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Types', 'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description', 'Resources'];
    for (const f of asff as any[]) {
      for (const field of required) expect(f[field], field).toBeDefined();
      expect(f.SchemaVersion).toBe('2018-10-08');
      expect(f.ProductArn).toBe(`arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`);
      expect(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']).toContain(f.Severity.Label);
      expect([...f.Title].length).toBeLessThanOrEqual(256);
      expect([...f.Description].length).toBeLessThanOrEqual(1024);
      expect(f.Types[0].split('/')).toHaveLength(2);
      expect(f.Resources[0]).toMatchObject({ Type: 'AwsKmsKey', Partition: 'aws', Region: 'us-east-1' });
      expect(f.AwsAccountId).toMatch(/^\d{12}$/);
    }
    expect(new Set((asff as any[]).map((f) => f.Id)).size).toBe(asff.length);
    const batches = asffBatches(asff);
    expect(batches.every((b) => b.Findings.length <= ASFF_BATCH_LIMIT)).toBe(true);
    expect(batches.flatMap((b) => b.Findings)).toEqual(asff);
    expect(batches.length).toBe(Math.ceil(asff.length / 100));
  });
});
