// Findings over every seeded key, read over HTTP from the sandbox exactly as the TUI and
// `keywarden report` read them (ListKeys → DescribeKey … → GetKeyPolicy, ListGrants). The expected
// findings are the seed's story: which keys are deliberately untidy, and which must stay clean.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/app/connect.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { collectReport } from '../../src/commands/report.js';
import { DEFAULT_THRESHOLDS, findingsForKey, rowFindings, type KeyFinding } from '../../src/domain/findings.js';
import { displayName, type KeyDetail, type KeyRow } from '../../src/domain/key.js';
import { renderMarkdown } from '../../src/domain/report.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const REGIONS = ['us-east-1', 'eu-west-1'];

describe.skipIf(externalEndpoint)('findings on the seeded estate', () => {
  let endpoint: TestEndpoint;
  let rows: KeyRow[] = [];
  const details = new Map<string, KeyDetail>();
  let previousHome: string | undefined;

  beforeAll(async () => {
    previousHome = process.env['KEYWARDEN_HOME'];
    process.env['KEYWARDEN_HOME'] = mkdtempSync(join(tmpdir(), 'kw-findings-'));
    endpoint = await openEndpoint();
    const source = new AwsKeySource(endpoint.clients(REGIONS));
    const byArn = new Map<string, KeyRow>();
    await source.loadInventory({ onRows: (batch) => batch.forEach((r) => byArn.set(r.arn, r)), onProgress: () => {} });
    rows = [...byArn.values()];
    await Promise.all(rows.map(async (row) => details.set(row.arn, await source.loadDetail(row))));
  });

  afterAll(async () => {
    await endpoint?.close();
    if (previousHome === undefined) delete process.env['KEYWARDEN_HOME'];
    else process.env['KEYWARDEN_HOME'] = previousHome;
  });

  const nameOf = (row: KeyRow) => `${row.region}:${displayName(row)}`;
  const now = () => endpoint.sandbox!.now();
  const full = (row: KeyRow): KeyFinding[] => findingsForKey({ key: details.get(row.arn)!, now: now(), thresholds: DEFAULT_THRESHOLDS, account: '111122223333' });

  it('the guard finding is on every customer-managed key but the one whose policy has the guard', () => {
    const guarded = rows.filter((row) => row.metadata?.keyManager === 'CUSTOMER' && !full(row).some((f) => f.id === 'policy-no-usage-guard')).map(nameOf);
    expect(guarded).toEqual(['us-east-1:cloudtrail/management-events']);
    const awsManaged = rows.filter((row) => row.metadata?.keyManager === 'AWS');
    expect(awsManaged.flatMap(full)).toEqual([]);
  });

  it('finds what the seed makes untidy, and nothing on the keys that are fine', () => {
    // The guard finding (on almost every key: the test above) is left out to show the rest.
    const found = Object.fromEntries(rows.map((row) => [nameOf(row), full(row).map((f) => f.id).filter((id) => id !== 'policy-no-usage-guard')]).sort(([a], [b]) => String(a).localeCompare(String(b))));
    expect(found).toEqual({
      // Console-style policies: KeyAdmins may ScheduleKeyDeletion with no guard condition.
      'us-east-1:ebs/default-prod': ['policy-no-deletion-guard'], // ebs-prod-data (its first alias)
      'us-east-1:ebs/staging-data': ['policy-no-deletion-guard'],
      'us-east-1:app/payments-db': ['policy-no-deletion-guard'],
      // No rotation, one old grant, never used since tracking began.
      'us-east-1:ebs/analytics-scratch': ['rotation-off', 'unused'],
      // The seed doc's Fargate policy: no aws:SourceArn, but the context names the account (low).
      'us-east-1:ecs/fargate-ephemeral': ['policy-service-no-source', 'policy-service-no-source'],
      // 95 days without use (medium), 730-day rotation (low).
      'us-east-1:imagebuilder/workflows': ['unused', 'rotation-period-long'],
      // SourceArn and the documented context: clean (DescribeKey for the service needs neither).
      'us-east-1:cloudtrail/management-events': [],
      // Asymmetric, 150 days old, never signed anything (honest: no rotation finding).
      'us-east-1:signing/release-artifacts': ['unused'],
      'us-east-1:hmac/webhook-tokens': [],
      'us-east-1:byok/payments-import': [],
      'us-east-1:global/customer-data': [],
      'eu-west-1:global/customer-data': [],
      'us-east-1:app/orders-queue': [],
      'us-east-1:legacy/reporting-2023': ['disabled-no-retirement'],
      'us-east-1:legacy/old-batch': [],
      // Created by CI 9 days ago: too young to be unused, but rotation is off.
      [`us-east-1:${rows.find((r) => r.metadata?.description.startsWith('Created by CI'))!.keyId}`]: ['rotation-off'],
      'us-east-1:dev/secrets': [],
      'eu-west-1:eu/gdpr-archive': [],
      'eu-west-1:eu/backup': ['rotation-off', 'unused'],
      // AWS managed keys are AWS's to manage: never flagged.
      'us-east-1:aws/ebs': [],
      'us-east-1:aws/s3': [],
      'us-east-1:aws/rds': [],
      'us-east-1:aws/secretsmanager': [],
      'eu-west-1:aws/ebs': [],
    });
  });

  it('the CloudTrail key has no confused-deputy finding; the Fargate key has a low one', () => {
    const byName = (name: string) => rows.find((r) => displayName(r) === name)!;
    expect(full(byName('cloudtrail/management-events')).filter((f) => f.id.startsWith('policy-service'))).toEqual([]);
    expect(full(byName('ecs/fargate-ephemeral')).filter((f) => f.id.startsWith('policy-service')).map((f) => f.severity)).toEqual(['low', 'low']);
  });

  it('the keys list (row findings) agrees with the full set on rotation and usage once last use is read', () => {
    for (const listed of rows) {
      // The list's rows come with last use pending; it says so until the background reader's value arrives.
      if (listed.metadata?.keyManager === 'CUSTOMER' && listed.metadata.state === 'Enabled') {
        expect(rowFindings(listed, DEFAULT_THRESHOLDS, now()).map((f) => f.id), nameOf(listed)).toContain('usage-pending');
      }
      const detail = details.get(listed.arn)!;
      const row = { ...listed, lastUsage: detail.row.lastUsage };
      const cheap = rowFindings(row, DEFAULT_THRESHOLDS, now()).map((f) => f.id);
      const fromFull = full(row).filter((f) => f.category === 'rotation' || f.category === 'usage').map((f) => f.id);
      // Until the policy and grants are read, the row says the policy checks are pending.
      expect(cheap.filter((id) => id !== 'policy-pending'), nameOf(row)).toEqual(fromFull);
      if (listed.metadata?.keyManager === 'CUSTOMER') expect(cheap, nameOf(row)).toContain('policy-pending');
      // Once they are read, FIND shows exactly what the Findings tab shows.
      const read = { ...row, access: { policy: detail.policy, grants: detail.grants } };
      expect(rowFindings(read, DEFAULT_THRESHOLDS, now()), nameOf(row)).toEqual(full(row));
    }
  });

  it('the evidence report for a seeded key, as JSON and as Markdown', async () => {
    const clients = endpoint.clients(REGIONS);
    const connection: Connection = {
      clients,
      session: { regions: REGIONS, sandbox: true, readOnly: true, endpoint: endpoint.url },
      now,
      close: async () => {},
    };
    const doc = await collectReport(connection, 'imagebuilder/workflows', { format: 'json', days: 7, resolvedThresholds: DEFAULT_THRESHOLDS });
    expect(doc.key.aliases).toEqual(['alias/imagebuilder/workflows']);
    expect(doc.findings.items.map((f) => f.id)).toEqual(['unused', 'policy-no-usage-guard', 'rotation-period-long']);
    expect(doc.policy.document).toContain('aws:imagebuilder:arn');
    expect(doc.usage.windowDays).toBe(7);
    expect(doc.usage.problem).toBeNull();
    expect(doc.retirement).toEqual({ record: null, problem: null });
    expect(doc.journal.operations).toEqual([]);
    const md = renderMarkdown(doc);
    expect(md).toContain('# Key evidence report: imagebuilder/workflows');
    expect(md).toContain('| low | rotation | rotation-period-long |');
    expect(md).toContain('```json');
  });
});
