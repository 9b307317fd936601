// `keywarden findings --import`: the ASFF findings sent to Security Hub with BatchImportFindings,
// within its limits (Security Hub partner guide, "Guidelines for using the BatchImportFindings
// API"): at most 100 findings per request, each finding sent to the Region of its key (the
// default product ARN names it), paced to 10 requests per second per Region with a burst of 30,
// a throttled request retried by the client. The findings Security Hub refuses one by one
// (FailedFindings) are reported with their code and message; a Region that refuses the whole call
// (Security Hub not enabled, access denied) is reported and the others go on.

import { BatchImportFindingsCommand, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { asffBatches } from '../domain/estate-findings.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { TokenBucket } from './rate-limit.js';

export const IMPORT_REQUESTS_PER_SECOND = 10;
export const IMPORT_BURST = 30;

export interface ImportResult {
  imported: number;
  /** Findings Security Hub refused one by one. */
  failed: Array<{ id: string; code: string; message: string }>;
  /** Regions (or requests) refused as a whole: every finding of the request was not imported. */
  refused: Array<{ region: string; findings: number; code: string; message: string }>;
  requests: number;
}

/** The Region a finding is imported into: its key's (the Resources entry, else the product ARN). */
function regionOf(finding: Record<string, unknown>): string {
  const resource = (finding['Resources'] as Array<{ Region?: string }> | undefined)?.[0];
  return resource?.Region ?? String(finding['ProductArn'] ?? '').split(':')[3] ?? '';
}

export async function importFindings(clients: Clients, findings: ReadonlyArray<Record<string, unknown>>, onProgress?: (sent: number, total: number) => void): Promise<ImportResult> {
  const byRegion = new Map<string, Array<Record<string, unknown>>>();
  for (const finding of findings) {
    const region = regionOf(finding);
    byRegion.set(region, [...(byRegion.get(region) ?? []), finding]);
  }
  const result: ImportResult = { imported: 0, failed: [], refused: [], requests: 0 };
  let sent = 0;
  await Promise.all(
    [...byRegion].map(async ([region, regionFindings]) => {
      const bucket = new TokenBucket(IMPORT_REQUESTS_PER_SECOND, IMPORT_BURST, () => performance.now());
      for (const batch of asffBatches(regionFindings)) {
        await bucket.take();
        result.requests += 1;
        try {
          const out = await clients.securityHub(region).send(new BatchImportFindingsCommand({ Findings: batch.Findings as unknown as AwsSecurityFinding[] }));
          result.imported += out.SuccessCount ?? 0;
          for (const f of out.FailedFindings ?? []) result.failed.push({ id: f.Id ?? '?', code: f.ErrorCode ?? '?', message: f.ErrorMessage ?? '' });
        } catch (error) {
          const domain = toDomainError(error, 'BatchImportFindings');
          result.refused.push({ region, findings: batch.Findings.length, code: domain.code ?? domain.kind, message: domain.message });
          // Security Hub is not enabled here, or the caller may not import: the rest would be refused too.
          if (domain.kind === 'access-denied' || domain.code === 'InvalidAccessException') {
            const left = regionFindings.length - (regionFindings.indexOf(batch.Findings[0]!) + batch.Findings.length);
            if (left > 0) result.refused.push({ region, findings: left, code: domain.code ?? domain.kind, message: 'not sent: the Region refused the first request' });
            sent += batch.Findings.length + left;
            onProgress?.(sent, findings.length);
            return;
          }
        }
        sent += batch.Findings.length;
        onProgress?.(sent, findings.length);
      }
    }),
  );
  return result;
}
