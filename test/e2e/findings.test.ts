// `keywarden findings --sandbox …`: the built program scans every customer-managed key of the
// seeded estate and writes the table, JSON, SARIF 2.1.0 or ASFF; --min-severity, --only, --skip
// choose findings, --fail-on sets the exit code for CI, suppressions in config.json are shown as
// suppressed (never dropped) until they expire, and bad flag values exit 2 changing nothing.
// `list --json` carries the same findings per key.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { openEndpoint, serves } from '../helpers/endpoint.js';
import { runKeywarden } from './terminal.js';

/** The SARIF Multitool's binary for this platform (its package resolves it). */
const multitool = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;

function home(config?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'kw-findings-home-'));
  if (config) {
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify(config));
  }
  return dir;
}

// One home for the runs that only differ in flags and config: the sandbox's state and the values
// read (last use, policies and grants, reused for an hour) carry over, so each run after the
// first reads little. The config file is written (or removed) before each run.
const shared = home();
function run(args: string[], config?: object) {
  const file = join(shared, 'config', 'config.json');
  if (config) {
    mkdirSync(join(shared, 'config'), { recursive: true });
    writeFileSync(file, JSON.stringify(config));
  } else rmSync(file, { force: true });
  return runKeywarden(args, { KEYWARDEN_HOME: shared }, 60_000);
}

interface Doc {
  keysChecked: number;
  counts: Record<string, number>;
  findings: Array<{ id: string; severity: string; title: string; evidence: string; fix: string; key: { arn: string; name: string; region: string }; suppressed?: { reason: string; expires: string } }>;
}

describe('keywarden findings', { timeout: 120_000 }, () => {
  it('a table grouped by severity, then key, with each fix; --json has the same findings', async () => {
    const table = await run(['findings', '--sandbox']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const headings = table.stdout.split('\n').filter((line) => /^(HIGH|MEDIUM|LOW|INFO) \(\d+\)$/.test(line));
    expect(headings.map((h) => h.split(' ')[0])).toEqual(['MEDIUM', 'LOW']);
    expect(table.stdout).toMatch(/^  ecs\/fargate-ephemeral  us-east-1  arn:aws:kms:us-east-1:111122223333:key\/\S+$/m);
    expect(table.stdout).toMatch(/^    policy-no-usage-guard$/m);
    expect(table.stdout).toMatch(/^      Fix: keywarden guard add KEY \(previews the diff, asks, journals\), which adds this statement to the key policy .*"kms:TrailingDaysWithoutKeyUsage":"365"/m);
    expect(table.stdout).toMatch(/^16 customer-managed keys checked in us-east-1$/m);

    const json = await run(['findings', '--sandbox', '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as Doc;
    expect(doc.keysChecked).toBe(16);
    expect(doc.findings.length).toBe(doc.counts['medium']! + doc.counts['low']!);
    expect(table.stdout).toContain(`${doc.findings.length} findings: 0 high · ${doc.counts['medium']} medium · ${doc.counts['low']} low · 0 info`);
    for (const f of doc.findings) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['id', 'severity', 'title', 'evidence', 'fix', 'key']));
      expect(f.fix).not.toBe('');
    }
    // The cloudtrail key's policy has the guard AWS recommends: no guard finding there.
    expect(doc.findings.filter((f) => f.id === 'policy-no-usage-guard').map((f) => f.key.name)).not.toContain('cloudtrail/management-events');
  });

  it('--sarif and --asff over the seeded estate: one result / one ASFF finding per finding, the key ARN as location', async () => {
    const doc = JSON.parse((await run(['findings', '--sandbox', '--json'])).stdout) as Doc;
    const sarif = await run(['findings', '--sandbox', '--sarif']);
    expect(sarif.code).toBe(0);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.map((r) => `${r.ruleId} ${r.locations[0]!.physicalLocation.artifactLocation.uri}`).sort()).toEqual(doc.findings.map((f) => `${f.id} ${f.key.arn}`).sort());
    const asff = await run(['findings', '--sandbox', '--asff']);
    expect(asff.code).toBe(0);
    const batches = asff.stdout.trim().split('\n').map((line) => JSON.parse(line) as { Findings: Array<{ GeneratorId: string; Resources: Array<{ Id: string }> }> });
    expect(batches.every((b) => b.Findings.length <= 100)).toBe(true);
    expect(batches.flatMap((b) => b.Findings).map((f) => `${f.GeneratorId.replace('keywarden/', '')} ${f.Resources[0]!.Id}`).sort()).toEqual(doc.findings.map((f) => `${f.id} ${f.key.arn}`).sort());
  });

  it('--sarif validates with the SARIF Multitool (the published 2.1.0 schema and its rules): no error, with suppressions too', async () => {
    // Microsoft's validator (npm @microsoft/sarif-multitool, a self-contained binary): the OASIS
    // SARIF 2.1.0 JSON schema plus the SARIF rules (SARIF1xxx errors, SARIF2xxx advice); its verdicts
    // are written as SARIF to -o. It exits 0 either way, so the output is what is checked.
    const dir = mkdtempSync(join(tmpdir(), 'kw-sarif-'));
    const suppressed = { suppressions: [{ id: 'rotation-off', reason: 'rotation set by the platform team', expires: '2099-12-31' }] };
    for (const [name, config] of [['plain', undefined], ['suppressed', suppressed]] as const) {
      const sarif = await run(['findings', '--sandbox', '--sarif'], config);
      expect(sarif.code).toBe(0);
      const file = join(dir, `${name}.sarif`);
      writeFileSync(file, sarif.stdout);
      const out = join(dir, `${name}.validation.sarif`);
      const result = spawnSync(multitool, ['validate', file, '-o', out, '--log', 'ForceOverwrite'], { encoding: 'utf8', timeout: 60_000 });
      expect(result.status, result.stderr).toBe(0);
      const verdicts = JSON.parse(readFileSync(out, 'utf8')) as { runs: Array<{ results?: Array<{ ruleId: string; level?: string; message: { text?: string } }> }> };
      const verdict = (verdicts.runs[0]!.results ?? []).map((r) => ({ rule: r.ruleId, level: r.level ?? 'warning', text: r.message.text ?? '' }));
      expect(verdict.filter((r) => r.level === 'error')).toEqual([]);
      // Rule names are friendly names, not the ids again (SARIF §3.49.7).
      expect(verdict.filter((r) => r.rule === 'SARIF1001')).toEqual([]);
      expect(result.stdout).toMatch(/1 files scanned/);
    }
    // The validator does refuse what the schema does not allow: a message that is not an object.
    const broken = JSON.parse(readFileSync(join(dir, 'plain.sarif'), 'utf8')) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    broken.runs[0]!.results[0]!['message'] = 5;
    writeFileSync(join(dir, 'broken.sarif'), JSON.stringify(broken));
    spawnSync(multitool, ['validate', join(dir, 'broken.sarif'), '-o', join(dir, 'broken.validation.sarif'), '--log', 'ForceOverwrite'], { encoding: 'utf8', timeout: 60_000 });
    const refused = JSON.parse(readFileSync(join(dir, 'broken.validation.sarif'), 'utf8')) as { runs: Array<{ results?: Array<{ level?: string }> }> };
    expect((refused.runs[0]!.results ?? []).some((r) => r.level === 'error')).toBe(true);
  });

  it.skipIf(!serves('securityhub'))('--import sends every finding to Security Hub (BatchImportFindings, ≤ 100 a request) and says what it took; read back with GetFindings', async () => {
    const endpoint = await openEndpoint();
    try {
      const env = { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', KEYWARDEN_HOME: home() };
      const doc = JSON.parse((await runKeywarden(['findings', '--json', '--endpoint-url', endpoint.url], env, 60_000)).stdout) as Doc;
      const sent = await runKeywarden(['findings', '--import', '--endpoint-url', endpoint.url], env, 60_000);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toContain(`Security Hub took ${doc.findings.length} of ${doc.findings.length} findings (1 BatchImportFindings request)`);
      const hub = new SecurityHubClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: SANDBOX_CREDENTIALS });
      const read = await hub.send(new GetFindingsCommand({ MaxResults: 100 }));
      hub.destroy();
      expect((read.Findings ?? []).map((f) => `${f.GeneratorId!.replace('keywarden/', '')} ${f.Resources![0]!.Id}`).sort()).toEqual(doc.findings.map((f) => `${f.id} ${f.key.arn}`).sort());
      const json = JSON.parse((await runKeywarden(['findings', '--import', '--json', '--endpoint-url', endpoint.url], env, 60_000)).stdout) as { imported: number; failed: unknown[]; refused: unknown[] };
      expect(json).toMatchObject({ imported: doc.findings.length, failed: [], refused: [] });
      // Read-only mode sends nothing to Security Hub either.
      const before = endpoint.requests().filter((r) => r.operation === 'BatchImportFindings').length;
      const readOnly = await runKeywarden(['findings', '--import', '--read-only', '--endpoint-url', endpoint.url], env, 60_000);
      expect(readOnly.code).toBe(1);
      expect(readOnly.stderr).toMatch(/read-only mode: --import sends BatchImportFindings/);
      expect(endpoint.requests().filter((r) => r.operation === 'BatchImportFindings').length).toBe(before);
    } finally {
      await endpoint.close();
    }
  });

  it('--min-severity, --only and --skip choose findings; --fail-on sets the exit code', async () => {
    const medium = JSON.parse((await run(['findings', '--sandbox', '--json', '--min-severity', 'medium'])).stdout) as Doc;
    expect(medium.findings.length).toBeGreaterThan(0);
    expect(new Set(medium.findings.map((f) => f.severity))).toEqual(new Set(['medium']));
    const only = JSON.parse((await run(['findings', '--sandbox', '--json', '--only', 'rotation-off,unused'])).stdout) as Doc;
    expect(new Set(only.findings.map((f) => f.id))).toEqual(new Set(['rotation-off', 'unused']));
    const skip = JSON.parse((await run(['findings', '--sandbox', '--json', '--skip', 'policy-no-usage-guard'])).stdout) as Doc;
    expect(skip.findings.some((f) => f.id === 'policy-no-usage-guard')).toBe(false);

    expect((await run(['findings', '--sandbox', '--fail-on', 'high'])).code).toBe(0); // the seed has no high finding
    expect((await run(['findings', '--sandbox', '--fail-on', 'medium'])).code).toBe(1);
    expect((await run(['findings', '--sandbox', '--fail-on', 'medium', '--skip', 'rotation-off,unused'])).code).toBe(0);
  });

  it('suppressions are shown as suppressed, do not fail the run, and stop when they expire', async () => {
    const suppressed = { suppressions: [{ id: 'rotation-off', reason: 'rotation set by the platform team', expires: '2099-12-31' }, { id: 'unused', key: 'imagebuilder/workflows', reason: 'seasonal builds', expires: '2099-12-31' }] };
    const onlyThose = ['findings', '--sandbox', '--only', 'rotation-off,unused', '--fail-on', 'medium'];
    const table = await run(onlyThose, suppressed);
    expect(table.stdout).toMatch(/^    rotation-off  \[suppressed until 2099-12-31: rotation set by the platform team\]$/m);
    expect(table.stdout).toMatch(/^    unused  \[suppressed until 2099-12-31: seasonal builds\]$/m);
    // signing/release-artifacts is unused too (medium), and not covered: still failing.
    expect(table.code).toBe(1);
    const doc = JSON.parse((await run([...onlyThose, '--json'], suppressed)).stdout) as Doc;
    const unsuppressed = doc.findings.filter((f) => !f.suppressed);
    // ebs/analytics-scratch: no use since tracking began, earlier use unknown (low, not covered by the suppression of imagebuilder's).
    expect(unsuppressed.map((f) => `${f.id} ${f.key.name}`)).toEqual(['unused signing/release-artifacts', 'unused ebs/analytics-scratch']);
    expect(doc.counts['suppressed']).toBe(doc.findings.length - 2);
    const withThat = { suppressions: [...suppressed.suppressions, { id: 'unused', key: 'alias/signing/release-artifacts', reason: 'kept for audits', expires: '2099-01-01' }] };
    expect((await run(onlyThose, withThat)).code).toBe(0);
    // Expired yesterday or long ago: it applies no more.
    const expired = { suppressions: withThat.suppressions.map((s) => ({ ...s, expires: '2020-01-01' })) };
    const after = JSON.parse((await run([...onlyThose, '--json'], expired)).stdout) as Doc;
    expect(after.findings.every((f) => !f.suppressed)).toBe(true);
  });

  it('bad flag values and a bad suppression exit 2 with a clear message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--min-severity', 'urgent'], /--min-severity must be one of high, medium, low, info, not "urgent"/],
      [['--fail-on', 'critical'], /--fail-on must be one of high, medium, low, info, not "critical"/],
      [['--only', 'policy-publik'], /--only: unknown finding id "policy-publik"/],
      [['--skip', ','], /--skip needs at least one finding id/],
      [['--json', '--sarif'], /choose one output format: --json and --sarif cannot be used together/],
      [['--only', 'unused', '--skip', 'unused'], /--only and --skip both name "unused"/],
      [['--catalogue', '--sarif'], /--catalogue only goes with --json/],
      [['--import', '--sarif'], /--import prints what Security Hub took, not the findings: it goes with --json, not --sarif/],
      [['some-key'], /unexpected argument "some-key"/],
    ];
    for (const [flags, message] of cases) {
      const out = await run(['findings', '--sandbox', ...flags]);
      expect(out.code, flags.join(' ')).toBe(2);
      expect(out.stderr, flags.join(' ')).toMatch(message);
      expect(out.stdout).toBe('');
    }
    const misplaced = await run(['list', '--sandbox', '--fail-on', 'high']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/--fail-on only goes with "findings"/);
    const badConfig = await run(['findings', '--sandbox'], { suppressions: [{ id: 'unused', reason: '', expires: 'soon' }] });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/config\.json is not valid: suppressions\.0\.reason: a suppression needs a reason; suppressions\.0\.expires: must be a date, YYYY-MM-DD/);
  });

  it('--catalogue lists every finding with its docs, without connecting', async () => {
    const text = await runKeywarden(['findings', '--catalogue'], { KEYWARDEN_HOME: home() });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^policy-no-usage-guard  \(low, policy\)  No guard against disabling or deleting a key in use$/m);
    const json = JSON.parse((await runKeywarden(['findings', '--catalogue', '--json'], { KEYWARDEN_HOME: home() })).stdout) as { findings: Array<{ id: string; docs: string }> };
    expect(json.findings.length).toBeGreaterThan(20);
    for (const entry of json.findings) expect(entry.docs).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  it('list --json carries each key\'s findings, the same as keywarden findings', async () => {
    const list = await run(['list', '--sandbox', '--json']);
    expect(list.code).toBe(0);
    const keys = (JSON.parse(list.stdout) as { keys: Array<{ arn: string; access?: unknown; findings: Array<{ id: string; severity: string; title: string; evidence: string; fix: string }> }> }).keys;
    const doc = JSON.parse((await run(['findings', '--sandbox', '--json'])).stdout) as Doc;
    for (const key of keys) {
      expect(key.access).toBeUndefined();
      expect(key.findings.map((f) => f.id).sort(), key.arn).toEqual(doc.findings.filter((f) => f.key.arn === key.arn).map((f) => f.id).sort());
      for (const f of key.findings) expect(Object.keys(f)).toEqual(expect.arrayContaining(['id', 'severity', 'title', 'evidence', 'fix']));
    }
  });
});
