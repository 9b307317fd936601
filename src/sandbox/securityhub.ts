// Security Hub (restJson1), the part `keywarden findings --import` uses: BatchImportFindings
// (POST /findings/import) and GetFindings (POST /findings) to read them back. As strict as AWS:
//
// - Security Hub must be enabled in the Region: the sandbox's account has it in us-east-1 only;
//   elsewhere every call is InvalidAccessException (401) "Account … is not subscribed to AWS
//   Security Hub" (the message AWS returns; e.g. joshlarsen/aws-recon#65).
// - At most 100 findings per request, 240 KB per finding, 6 MB per request; 10 requests per
//   second with a burst of 30 per account and Region (Security Hub partner guide, "Guidelines for
//   using the BatchImportFindings API"); a throttled call is TooManyRequestsException (429).
// - The call must come from the account the findings name (AwsAccountId), with the default
//   product ARN arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default; anything else is
//   refused as a whole with AccessDeniedException (BatchImportFindings API reference; confirmed by
//   AWS support in prowler-cloud/prowler#867).
// - Each finding is checked against the ASFF's required attributes and limits (AWS Security
//   Hub User Guide, "ASFF required top-level attributes": SchemaVersion, Id, ProductArn,
//   GeneratorId, AwsAccountId, Types, CreatedAt, UpdatedAt, Severity, Title, Description,
//   Resources; Title ≤ 256, Description ≤ 1,024 characters, Resources ≤ 32). A finding that fails
//   is listed in FailedFindings (ErrorCode InvalidInput) and the rest are imported.
//   CHOICE: the wording of the per-finding messages is the sandbox's; AWS documents the codes.
// - Importing an Id again updates the finding, except Workflow and Note, which belong to the
//   customer after the first import (BatchImportFindings API reference).

import { AwsError, type JsonService, type RequestContext } from './protocol.js';
import type { Store } from './state.js';

/** Regions where the sandbox account has Security Hub enabled. */
export const SECURITY_HUB_REGIONS: readonly string[] = ['us-east-1'];

export const SECURITY_HUB_LIMITS = { findingsPerRequest: 100, findingBytes: 240 * 1024, requestBytes: 6 * 1024 * 1024, perSecond: 10, burst: 30 } as const;

const REQUIRED = ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Types', 'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description', 'Resources'] as const;

type Finding = Record<string, unknown>;

/** The imported findings of each sandbox (by its store), per Region: in memory, gone with a restart. */
const hubs = new WeakMap<Store, Map<string, Map<string, Finding>>>();

function hubOf(ctx: RequestContext): Map<string, Finding> {
  if (!SECURITY_HUB_REGIONS.includes(ctx.region)) throw new AwsError('InvalidAccessException', `Account ${ctx.caller.account} is not subscribed to AWS Security Hub`, 401);
  let regions = hubs.get(ctx.store);
  if (!regions) hubs.set(ctx.store, (regions = new Map()));
  let findings = regions.get(ctx.region);
  if (!findings) regions.set(ctx.region, (findings = new Map()));
  return findings;
}

function problemOf(finding: Finding): string | undefined {
  for (const name of REQUIRED) if (finding[name] === undefined || finding[name] === null || finding[name] === '') return `data should have required property '${name}'`;
  if (finding['SchemaVersion'] !== '2018-10-08') return 'data.SchemaVersion should be equal to one of the allowed values: 2018-10-08';
  for (const name of ['CreatedAt', 'UpdatedAt'] as const) if (Number.isNaN(Date.parse(String(finding[name])))) return `data.${name} should match format "date-time"`;
  if (!Array.isArray(finding['Types']) || finding['Types'].length === 0) return 'data.Types should NOT have fewer than 1 items';
  if (!Array.isArray(finding['Resources']) || finding['Resources'].length === 0) return 'data.Resources should NOT have fewer than 1 items';
  if (finding['Resources'].length > 32) return 'data.Resources should NOT have more than 32 items';
  for (const [i, resource] of (finding['Resources'] as unknown[]).entries()) {
    const r = resource as Record<string, unknown> | null;
    if (!r || typeof r['Type'] !== 'string' || typeof r['Id'] !== 'string') return `data.Resources[${i}] should have required properties 'Type' and 'Id'`;
  }
  const severity = finding['Severity'] as Record<string, unknown>;
  if (typeof severity !== 'object' || (severity['Label'] === undefined && severity['Normalized'] === undefined)) return "data.Severity should have required property 'Label'";
  if (severity['Label'] !== undefined && !['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].includes(String(severity['Label']))) return 'data.Severity.Label should be equal to one of the allowed values';
  if (String(finding['Title']).length > 256) return 'data.Title should NOT be longer than 256 characters';
  if (String(finding['Description']).length > 1024) return 'data.Description should NOT be longer than 1024 characters';
  if (Buffer.byteLength(JSON.stringify(finding)) > SECURITY_HUB_LIMITS.findingBytes) return 'the finding is larger than 240 KB';
  return undefined;
}

function batchImportFindings(ctx: RequestContext, params: Record<string, unknown>): unknown {
  const findings = params['Findings'];
  if (!Array.isArray(findings) || findings.length === 0) throw new AwsError('InvalidInputException', "Invalid parameter 'Findings'. At least one finding is required.");
  if (findings.length > SECURITY_HUB_LIMITS.findingsPerRequest) throw new AwsError('InvalidInputException', `Invalid parameter 'Findings'. The request can contain at most ${SECURITY_HUB_LIMITS.findingsPerRequest} findings.`);
  if (Buffer.byteLength(JSON.stringify(params)) > SECURITY_HUB_LIMITS.requestBytes) throw new AwsError('InvalidInputException', 'The request is larger than 6 MB.');
  const hub = hubOf(ctx);
  const account = ctx.caller.account;
  const product = `arn:aws:securityhub:${ctx.region}:${account}:product/${account}/default`;
  for (const item of findings as Finding[]) {
    // Another account's findings, or another product's: the whole call is refused.
    const foreign = typeof item === 'object' && item !== null && ((item['AwsAccountId'] !== undefined && item['AwsAccountId'] !== account) || (item['ProductArn'] !== undefined && item['ProductArn'] !== product));
    if (foreign) {
      throw new AwsError('AccessDeniedException', `User: ${ctx.caller.arn} is not authorized to perform: securityhub:BatchImportFindings on resource: ${String(item['ProductArn'] ?? product)}`, 403);
    }
  }
  const failed: Array<{ Id: string; ErrorCode: string; ErrorMessage: string }> = [];
  let imported = 0;
  for (const item of findings as unknown[]) {
    const finding = (typeof item === 'object' && item !== null ? item : {}) as Finding;
    const id = typeof finding['Id'] === 'string' ? finding['Id'] : '';
    const problem = problemOf(finding);
    if (problem) {
      failed.push({ Id: id || '(no Id)', ErrorCode: 'InvalidInput', ErrorMessage: `Finding does not adhere to Amazon Finding Format. ${problem}.` });
      continue;
    }
    const earlier = hub.get(id);
    // Workflow and Note are the customer's once the finding exists.
    const kept = earlier ? { ...(earlier['Workflow'] ? { Workflow: earlier['Workflow'] } : {}), ...(earlier['Note'] ? { Note: earlier['Note'] } : {}) } : {};
    hub.set(id, { ...finding, ...kept, FirstObservedAt: earlier?.['FirstObservedAt'] ?? finding['CreatedAt'], LastObservedAt: finding['UpdatedAt'] });
    imported += 1;
  }
  return { FailedCount: failed.length, SuccessCount: imported, FailedFindings: failed };
}

/** GetFindings with no filters but Id (EQUALS), for reading imports back; MaxResults ≤ 100, NextToken = an offset. */
function getFindings(ctx: RequestContext, params: Record<string, unknown>): unknown {
  const hub = hubOf(ctx);
  const max = params['MaxResults'] === undefined ? 100 : Number(params['MaxResults']);
  if (!Number.isInteger(max) || max < 1 || max > 100) throw new AwsError('InvalidInputException', "Invalid parameter 'MaxResults'. It must be between 1 and 100.");
  const start = params['NextToken'] === undefined ? 0 : Number(params['NextToken']);
  if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidInputException', "Invalid parameter 'NextToken'.");
  const ids = ((params['Filters'] as Record<string, unknown> | undefined)?.['Id'] as Array<{ Value?: string }> | undefined)?.map((f) => f.Value);
  const all = [...hub.values()].filter((f) => !ids || ids.includes(f['Id'] as string));
  const page = all.slice(start, start + max);
  return { Findings: page, ...(start + max < all.length ? { NextToken: String(start + max) } : {}) };
}

export const securityHubService: JsonService & { routes: Record<string, string> } = {
  name: 'securityhub',
  // Security Hub is restJson1 (no X-Amz-Target): requests are found by method and path (`routes`).
  targetPrefix: 'SecurityHubAPIService.',
  contentType: 'application/json',
  routes: { 'POST /findings/import': 'BatchImportFindings', 'POST /findings': 'GetFindings' },
  operations: { BatchImportFindings: batchImportFindings, GetFindings: getFindings },
  throttled: () => new AwsError('TooManyRequestsException', 'Too Many Requests', 429),
};
