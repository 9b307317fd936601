// The sandbox's Security Hub, through the real SecurityHubClient (no retries, so every error
// arrives as the sandbox sent it): BatchImportFindings as strict as AWS — enabled in us-east-1
// only, at most 100 findings a request, the caller's own account and default product only, each
// finding checked against the ASFF's required attributes, 10 requests/s with a burst of 30 — and
// GetFindings to read the imports back.

import { BatchImportFindingsCommand, GetFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT, SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});

const hub = (region = 'us-east-1') => new SecurityHubClient({ region, endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });

function finding(id: string, overrides: Record<string, unknown> = {}, region = 'us-east-1'): AwsSecurityFinding {
  const at = new Date().toISOString();
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: `arn:aws:securityhub:${region}:${SANDBOX_ACCOUNT}:product/${SANDBOX_ACCOUNT}/default`,
    GeneratorId: 'keywarden/test',
    AwsAccountId: SANDBOX_ACCOUNT,
    Types: ['Software and Configuration Checks/AWS Security Best Practices'],
    CreatedAt: at,
    UpdatedAt: at,
    Severity: { Label: 'LOW' },
    Title: 'a test finding',
    Description: 'evidence',
    Resources: [{ Type: 'AwsKmsKey', Id: `arn:aws:kms:${region}:${SANDBOX_ACCOUNT}:key/1234`, Region: region }],
    Workflow: { Status: 'NEW' },
    ...overrides,
  } as AwsSecurityFinding;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => `${error.$metadata?.httpStatusCode ?? '?'} ${error.name}: ${error.message}`,
  );

describe('Security Hub BatchImportFindings', () => {
  it('imports valid findings, lists the invalid ones in FailedFindings, and GetFindings reads them back; Workflow stays the customer\'s', async () => {
    const out = await hub().send(new BatchImportFindingsCommand({ Findings: [finding('a'), finding('b', { Title: 'x'.repeat(257) }), finding('c', { Severity: {} })] }));
    expect(out.SuccessCount).toBe(1);
    expect(out.FailedCount).toBe(2);
    expect(out.FailedFindings).toEqual([
      { Id: 'b', ErrorCode: 'InvalidInput', ErrorMessage: expect.stringMatching(/Title should NOT be longer than 256/) },
      { Id: 'c', ErrorCode: 'InvalidInput', ErrorMessage: expect.stringMatching(/Severity should have required property 'Label'/) },
    ]);
    await hub().send(new BatchImportFindingsCommand({ Findings: [finding('a', { Title: 'updated', Workflow: { Status: 'RESOLVED' } })] }));
    const read = await hub().send(new GetFindingsCommand({ Filters: { Id: [{ Value: 'a', Comparison: 'EQUALS' }] } }));
    expect(read.Findings?.map((f) => [f.Id, f.Title, f.Workflow?.Status])).toEqual([['a', 'updated', 'NEW']]);
  });

  it('refuses what AWS refuses: not enabled in the Region, more than 100 findings, another account\'s findings', async () => {
    expect(await failure(hub('us-west-2').send(new BatchImportFindingsCommand({ Findings: [finding('w', {}, 'us-west-2')] })))).toBe(
      `401 InvalidAccessException: Account ${SANDBOX_ACCOUNT} is not subscribed to AWS Security Hub`,
    );
    expect(await failure(hub().send(new BatchImportFindingsCommand({ Findings: Array.from({ length: 101 }, (_, i) => finding(`n${i}`)) })))).toMatch(/^400 InvalidInputException: .*at most 100 findings/);
    expect(await failure(hub().send(new BatchImportFindingsCommand({ Findings: [finding('o', { AwsAccountId: '444455556666' })] })))).toMatch(
      /^403 AccessDeniedException: User: .* is not authorized to perform: securityhub:BatchImportFindings/,
    );
    const read = await hub().send(new GetFindingsCommand({ Filters: { Id: [{ Value: 'o', Comparison: 'EQUALS' }] } }));
    expect(read.Findings).toEqual([]);
  });

  it('10 requests per second with a burst of 30: the 31st at once is TooManyRequestsException (429)', async () => {
    const results = await Promise.all(Array.from({ length: 34 }, (_, i) => failure(hub().send(new BatchImportFindingsCommand({ Findings: [finding(`t${i}`)] })))));
    const throttled = results.filter((r) => r !== 'ok');
    // Earlier tests took a few tokens: at least 25 of the burst are left.
    expect(results.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(25);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(new Set(throttled)).toEqual(new Set(['429 TooManyRequestsException: Too Many Requests']));
  });
});
