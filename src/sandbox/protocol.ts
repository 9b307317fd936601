// Wire-level helpers shared by every emulated service: the AWS error type, SigV4 credential-scope
// parsing (region, service, access key), caller mapping, and the service tables the dispatcher
// walks. Later services (CloudTrail, CloudWatch Logs, CloudWatch) add themselves as JsonService /
// QueryService entries in their own files.

import { SANDBOX_ACCOUNT, SANDBOX_CREDENTIALS, SANDBOX_DEFAULT_REGION } from './constants.js';
import { seededCaller } from './principals.js';
import type { LogSink } from './log-sink.js';
import type { FaultSettings } from './faults.js';
import type { Store } from './state.js';
import type { AccountStores } from './accounts.js';

/** An error AWS would return: `__type` code, message and HTTP status. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** `1 validation error detected: Value '<v>' at '<field>' failed to satisfy constraint: <constraint>` */
export function validationError(value: unknown, field: string, constraint: string): AwsError {
  const shown = value === null || value === undefined ? 'null' : `'${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}'`;
  return new AwsError('ValidationException', `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`);
}

export function requireMin(value: number, field: string, min: number): void {
  if (value < min) throw validationError(value, field, `Member must have value greater than or equal to ${min}`);
}

export function requireMax(value: number, field: string, max: number): void {
  if (value > max) throw validationError(value, field, `Member must have value less than or equal to ${max}`);
}

export function requireRange(value: number, field: string, min: number, max: number): void {
  requireMin(value, field, min);
  requireMax(value, field, max);
}

export interface CallerIdentity {
  accessKeyId: string;
  arn: string;
  userId: string;
  account: string;
  /** A service principal (`arn` is its name, e.g. `fargate.amazonaws.com`), not an IAM identity. */
  service?: boolean;
  /** The AWS service the call comes through (`kms:ViaService`), e.g. `ec2.us-east-1.amazonaws.com`. */
  viaService?: string;
  /** A service principal's call made for a resource: `aws:SourceArn` and `aws:SourceAccount`. */
  sourceArn?: string;
  sourceAccount?: string;
}

export interface SigningScope {
  accessKeyId: string;
  region: string;
  service: string;
}

/**
 * `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261123/<region>/<service>/aws4_request, …`.
 * Signatures are not verified. An unsigned request counts as the sandbox operator in the
 * default region (documented in docs/sandbox.md).
 */
export function parseAuthorization(header: string | undefined, fallbackService: string): SigningScope {
  const match = header ? /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(header) : null;
  if (!match) return { accessKeyId: SANDBOX_CREDENTIALS.accessKeyId, region: SANDBOX_DEFAULT_REGION, service: fallbackService };
  return { accessKeyId: match[1]!, region: match[3]!, service: match[4]! };
}

/**
 * The seeded callers (src/sandbox/principals.ts: the operator — the sandbox credentials — an
 * auditor, an application role, a role of another account) by access key; any other access key is
 * an IAM user of the sandbox account without an identity policy.
 */
export function callerFor(accessKeyId: string): CallerIdentity {
  const seeded = seededCaller(accessKeyId);
  if (seeded) return { accessKeyId, arn: seeded.arn, userId: seeded.userId, account: seeded.account };
  return { accessKeyId, arn: `arn:aws:iam::${SANDBOX_ACCOUNT}:user/${accessKeyId}`, userId: `AIDA${accessKeyId.replace(/^AKIA/, '')}`, account: SANDBOX_ACCOUNT };
}

/** What every operation handler gets. */
export interface RequestContext {
  region: string;
  caller: CallerIdentity;
  requestId: string;
  /** The id of this call's CloudTrail record (absent: derived from the request id, cloudtrail.ts). */
  eventId?: string;
  operation: string;
  /** Sandbox time (base clock + advanced offset). */
  now(): Date;
  /** The store of the account the request addresses (the caller's, or the account in a key ARN). */
  store: Store;
  /** Every account's store (absent in unit tests that build a context for one store). */
  accounts?: AccountStores;
  faults: FaultSettings;
  /** Where a trail delivers its records (CloudWatch Logs). */
  deliverLogs: LogSink;
  /** Where another account's trail delivers (absent in unit tests). */
  deliverLogsFor?: (account: string) => LogSink | undefined;
}

export type Handler = (ctx: RequestContext, params: Record<string, unknown>) => unknown;

/** awsJson services, found by their `X-Amz-Target` prefix. */
export interface JsonService {
  /** Name in the request log and the SigV4 scope, e.g. 'kms'. */
  name: string;
  targetPrefix: string;
  contentType: 'application/x-amz-json-1.1' | 'application/x-amz-json-1.0' | 'application/json';
  operations: Record<string, Handler>;
  /** The error a call over its quota gets (default ThrottlingException). */
  throttled?: () => AwsError;
}

/** awsQuery services (form body, XML answer), found by SigV4 service name. */
export interface QueryService {
  name: string;
  xmlNamespace: string;
  /** EC2's dialect: `<OpResponse><requestId>…` without an `<OpResult>` wrapper, errors as `<Response><Errors>…`. */
  ec2Protocol?: boolean;
  /** Returns the XML inside `<OpResult>` (inside `<OpResponse>` for EC2). */
  operations: Record<string, (ctx: RequestContext, params: Record<string, string>) => string>;
}

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
