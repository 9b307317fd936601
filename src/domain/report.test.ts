import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from './findings.js';
import type { KeyDetail } from './key.js';
import { buildReport, mdCell, mdCodeBlock, renderMarkdown, REPORT_VERSION, type ReportInput } from './report.js';
import { applyEvent, startRetirement } from './retirement.js';
import { parseCloudTrailRecord, summarizeUsage, type UsageEvent } from './usage.js';

const ACCOUNT = '111122223333';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
const NOW = new Date('2026-11-23T12:00:00Z');
const HOSTILE = 'evil|pipe `tick` *star* <b>html</b>\nnew line \u001b[2J\u001b]52;c;ZXZpbA==\u0007\u202eRTL';

const detail: KeyDetail = {
  row: {
    keyId: KEY_ID,
    arn: ARN,
    region: 'us-east-1',
    aliases: ['alias/legacy/reporting-2023'],
    tags: [
      { key: 'Owner', value: 'bi-team' },
      { key: 'Note', value: HOSTILE },
    ],
    metadata: {
      keyId: KEY_ID,
      arn: ARN,
      accountId: ACCOUNT,
      region: 'us-east-1',
      description: `Reporting exports 2023 ${HOSTILE}`,
      state: 'Disabled',
      enabled: false,
      keyManager: 'CUSTOMER',
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      origin: 'AWS_KMS',
      creationDate: '2024-06-06T00:00:00Z',
      multiRegion: false,
    },
    rotation: { kind: 'enabled', periodDays: 365, nextRotationDate: '2027-06-06T00:00:00Z' },
    lastUsage: { kind: 'not-since-tracking', trackingStartDate: '2026-04-15T00:00:00Z' },
    problems: [],
  },
  policy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'x```\n# injected heading', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' },
    ],
  }),
  grants: [
    {
      grantId: 'a'.repeat(64),
      keyId: KEY_ID,
      granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/Reporting|Etl`,
      operations: ['Decrypt'],
      constraints: { encryptionContextSubset: { report: 'monthly' } },
      creationDate: '2025-01-01T00:00:00Z',
    },
  ],
  rotations: [{ keyMaterialId: 'b'.repeat(64), rotationDate: '2025-06-06T00:00:00Z', rotationType: 'AUTOMATIC', keyMaterialState: 'CURRENT' }],
  onDemandRotationsLeft: 25,
};

const failed: UsageEvent = parseCloudTrailRecord({
  eventTime: '2026-11-20T02:00:00Z',
  eventName: 'Decrypt',
  eventID: 'e1',
  eventSource: 'kms.amazonaws.com',
  userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReportingEtl/nightly`, sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${ACCOUNT}:role/ReportingEtl` } } },
  errorCode: 'DisabledException',
  errorMessage: `${ARN} is disabled.`,
  requestParameters: { encryptionContext: { report: 'monthly' } },
  resources: [{ type: 'AWS::KMS::Key', ARN }],
})!;

function input(extra: Partial<ReportInput> = {}): ReportInput {
  let record = startRetirement({ keyArn: ARN, region: 'us-east-1', account: ACCOUNT, name: 'legacy/reporting-2023', by: 'arn:aws:sts::111122223333:assumed-role/Admin/alice', now: new Date('2026-11-01T00:00:00Z'), evidence: { summary: 'no use in 30 days', findings: [] } });
  record = applyEvent(record, { type: 'disabled', requestId: 'req-1' }, new Date('2026-11-01T00:05:00Z'), 'alice');
  return {
    detail,
    account: ACCOUNT,
    caller: 'arn:aws:sts::111122223333:assumed-role/Admin/alice',
    now: NOW,
    thresholds: DEFAULT_THRESHOLDS,
    usage: { windowDays: 30, summary: summarizeUsage([failed], { days: 30 }, NOW, { keyArn: ARN }) },
    retirement: record,
    journal: {
      operations: [{ time: '2026-11-01T00:05:00Z', action: 'DisableKey', keyArn: ARN, region: 'us-east-1', caller: 'alice', params: { KeyId: ARN }, status: 'ok', requestId: 'req-1' }],
      problems: [],
    },
    ...extra,
  };
}

describe('buildReport', () => {
  it('has every documented field, always, in a stable order', () => {
    const doc = buildReport(input());
    expect(Object.keys(doc)).toEqual([
      'reportVersion', 'generatedAt', 'generatedBy', 'key', 'tags', 'rotation', 'lastUsage', 'grants', 'dependents', 'policy', 'findings', 'usage', 'retirement', 'journal', 'problems',
    ]);
    expect(doc.reportVersion).toBe(REPORT_VERSION);
    expect(doc.generatedAt).toBe(NOW.toISOString());
    expect(doc.key.name).toBe('legacy/reporting-2023');
    expect(doc.findings.items.map((f) => f.id)).toEqual(['policy-public', 'policy-no-usage-guard']);
    expect(doc.dependents.map((d) => d.description)).toEqual(['report=monthly']);
    expect(doc.retirement.record?.stage).toBe('disabled');
    // The same input gives the same JSON, byte for byte.
    expect(JSON.stringify(buildReport(input()))).toBe(JSON.stringify(doc));
  });

  it('absent parts are null with the reason, never missing', () => {
    const doc = buildReport(
      input({
        detail: { ...detail, policy: { what: 'GetKeyPolicy', message: 'access denied', code: 'AccessDeniedException' }, grants: { what: 'ListGrants', message: 'throttled', code: 'ThrottlingException' } },
        usage: { windowDays: 7, problem: 'LookupEvents refused' },
        retirement: undefined,
        journal: undefined,
      }),
    );
    expect(doc.policy).toEqual({ document: null, problem: 'access denied' });
    expect(doc.grants).toEqual({ items: [], problem: 'throttled' });
    expect(doc.usage).toEqual({ windowDays: 7, summary: null, problem: 'LookupEvents refused' });
    expect(doc.retirement).toEqual({ record: null, problem: null });
    expect(doc.journal).toEqual({ operations: [], problems: [] });
    // No retirement record: the key disabled and idle since tracking began is flagged.
    expect(doc.findings.items.map((f) => f.id)).toEqual(['disabled-no-retirement', 'policy-unreadable', 'grants-unreadable']);
  });

  it('JSON keeps the original strings (scripts get the bytes AWS returned)', () => {
    const doc = buildReport(input());
    expect(doc.tags[1]!.value).toBe(HOSTILE);
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(buildReport(input()));

  it('has the sections a change board expects', () => {
    for (const heading of ['# Key evidence report: legacy/reporting-2023', '## Key', '## Findings (2)', '## Tags', '## Rotation', '## Grants (1)', '## Depends on this key', '## Usage (CloudTrail, last 30 days)', '## Key policy', '## Retirement', '## Journal (1)']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('| Field | Value |');
    expect(md).toContain('| high | policy | policy-public |');
    expect(md).toContain('| Failed attempts | DisabledException ×1 |');
    expect(md).toContain('| 2026-11-01 00:05 UTC | DisableKey | ok | alice | req-1 | — |');
  });

  it('every table row has the same number of cells as its header', () => {
    const lines = md.split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      if (!/^\| --- /.test(lines[i]!)) continue;
      const cells = (line: string) => line.replace(/\\\|/g, '').split('|').length;
      const width = cells(lines[i - 1]!);
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith('|'); j += 1) expect(cells(lines[j]!)).toBe(width);
    }
  });

  it('AWS text cannot break the tables, the code block or the terminal', () => {
    expect(md).not.toMatch(/\u001b|\u0007|\u202e/);
    expect(md).toContain('evil\\|pipe \\`tick\\` \\*star\\* &lt;b&gt;html&lt;/b&gt;␤new line');
    expect(md).toContain('Reporting\\|Etl');
    // The policy's own ``` cannot close the fence: the fence is longer.
    const fence = md.split('\n').find((l) => /^`{3,}json$/.test(l));
    expect(fence).toBe('````json');
    const block = md.slice(md.indexOf('````json'), md.indexOf('````', md.indexOf('````json') + 8));
    expect(block).toContain('# injected heading');
  });

  it('escape helpers', () => {
    expect(mdCell(undefined)).toBe('—');
    expect(mdCell('a|b')).toBe('a\\|b');
    expect(mdCell('line1\nline2')).toBe('line1␤line2');
    expect(mdCodeBlock('x ````` y')).toMatch(/^`{6}\n/);
  });

  it('says so when there is no retirement, and when parts could not be read', () => {
    const text = renderMarkdown(buildReport(input({ retirement: undefined, usage: { windowDays: 30, problem: 'LookupEvents refused' } })));
    expect(text).toContain('No retirement recorded for this key.');
    expect(text).toContain('CloudTrail could not be read: LookupEvents refused.');
  });
});
