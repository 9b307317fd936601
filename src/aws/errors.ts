// SDK errors become domain errors here, at the boundary, with a message a person understands.

import { KeywardenError, NETWORK_ERRORS, SYSTEM_ERRORS, type ErrorKind } from '../domain/errors.js';
import { redactSecrets } from '../domain/sanitize.js';

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { requestId?: string; httpStatusCode?: number };
  $fault?: 'client' | 'server';
  /** The raw answer, kept by the SDK when it could not read it (a proxy's HTML page …). */
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

/**
 * An answer the SDK could not read as AWS's protocol (a proxy error page, a captive portal, a
 * load balancer's HTML): say what came back instead of the parser's "Unexpected token '<'…
 * inspect the hidden field" text.
 */
function unreadableAnswer(sdk: SdkErrorLike, raw: string): string | undefined {
  const type = (sdk.$response?.headers?.['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const parseFailed = /Deserialization error/i.test(raw) || (sdk.name === 'SyntaxError' && sdk.$response !== undefined);
  // A query-protocol client (STS) reading an HTML error page names the error "Unknown".
  const unknownHtml = sdk.name === 'Unknown' && type === 'text/html';
  // An error answer without an AWS error in it (an empty 404 …): the SDK names it only "UnknownError".
  const noAwsError = sdk.$response !== undefined && /^Unknown(Error)?$/.test(sdk.name ?? '') && /^Unknown(Error)?$/.test(raw.trim());
  if (!parseFailed && !unknownHtml && !noAwsError) return undefined;
  const status = sdk.$response?.statusCode ?? sdk.$metadata?.httpStatusCode;
  const what = type === 'text/html' || /Unexpected token '<'/.test(raw) ? 'an HTML page' : emptyAnswer(sdk) ? 'an empty body' : type ? `a ${type} body` : 'a body';
  return `the endpoint answered${status ? ` HTTP ${status}` : ''} with ${what}, not an AWS answer — is the endpoint URL right, or is a proxy in the way?`;
}

function emptyAnswer(sdk: SdkErrorLike): boolean {
  const headers = sdk.$response?.headers ?? {};
  return headers['content-length'] === '0' || (headers['content-length'] === undefined && headers['content-type'] === undefined && headers['transfer-encoding'] === undefined);
}

/**
 * The endpoint does not serve this operation at all, as a KMS-only emulator answers for STS or
 * CloudTrail: HTTP 501 Not Implemented whatever the body, a 404/405/415 whose body is not an AWS
 * answer, or the protocols' own "no such operation" codes (UnknownOperationException for the JSON
 * protocols, InvalidAction for the query protocol — AWS's common errors).
 */
function notServedStatus(sdk: SdkErrorLike, code: string, unreadable: boolean): number | 'code' | undefined {
  const status = sdk.$response?.statusCode ?? sdk.$metadata?.httpStatusCode;
  if (code === 'UnknownOperationException' || code === 'InvalidAction') return 'code';
  if (status === 501) return status;
  if (unreadable && (status === 404 || status === 405 || status === 415)) return status;
  return undefined;
}

const KIND_BY_CODE: Record<string, ErrorKind> = {
  NotFoundException: 'not-found',
  DisabledException: 'disabled',
  KMSInvalidStateException: 'invalid-state',
  AccessDeniedException: 'access-denied',
  AccessDenied: 'access-denied',
  UnauthorizedOperation: 'access-denied',
  ThrottlingException: 'throttled',
  Throttling: 'throttled',
  TooManyRequestsException: 'throttled',
  ValidationException: 'validation',
  InvalidArnException: 'validation',
  InvalidMarkerException: 'validation',
  InvalidGrantIdException: 'not-found',
  UnsupportedOperationException: 'unsupported',
  LimitExceededException: 'limit-exceeded',
  ConflictException: 'conflict',
  CredentialsProviderError: 'no-credentials',
  ExpiredTokenException: 'no-credentials',
  InvalidClientTokenId: 'no-credentials',
  UnrecognizedClientException: 'no-credentials',
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'TimeoutError', 'RequestTimeout']);

const LEAD: Partial<Record<ErrorKind, string>> = {
  'not-found': 'not found',
  disabled: 'the key is disabled',
  'invalid-state': 'not allowed in the key\'s current state',
  'access-denied': 'access denied',
  throttled: 'AWS is throttling requests (retried, still throttled)',
  validation: 'rejected by AWS as invalid',
  unsupported: 'not supported for this key',
  'limit-exceeded': 'a limit was reached',
  conflict: 'conflicts with an operation in progress',
};

/** The hint for a file-system error while KEYWARDEN_HOME is set: where keywarden writes. */
export function keywardenHomeHint(): string {
  return process.env.KEYWARDEN_HOME ? ` (KEYWARDEN_HOME is ${process.env.KEYWARDEN_HOME}: it must be a directory keywarden may write to)` : '';
}

/** A network error's sentence ("the host name could not be resolved (ENOTFOUND)"), or undefined. */
export function networkErrorSentence(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const meaning = typeof code === 'string' ? NETWORK_ERRORS[code] : undefined;
  return meaning ? `${meaning} (${code as string})` : undefined;
}

function systemErrorSentence(error: unknown): string | undefined {
  const node = error as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof node.code !== 'string') return undefined;
  const meaning = SYSTEM_ERRORS[node.code];
  if (!meaning) return undefined;
  const verb = typeof node.syscall === 'string' ? node.syscall : 'use';
  // Some calls on an open file carry no path (`read` of a directory): the code is still said in words.
  if (typeof node.path !== 'string') return `cannot ${verb} a file: ${meaning} (${node.code})${keywardenHomeHint()}`;
  return `cannot ${verb} ${node.path}: ${meaning}${keywardenHomeHint()}`;
}

/** Turns anything the SDK throws into a KeywardenError. `what` names the call ("DescribeKey on alias/x"). */
export function toDomainError(error: unknown, what?: string): KeywardenError {
  if (error instanceof KeywardenError) return error;
  const system = systemErrorSentence(error);
  if (system) return new KeywardenError('aws', what ? `${what}: ${system}` : system, { code: (error as { code: string }).code, cause: error });
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorLike;
  const code = sdk.name && sdk.name !== 'Error' ? sdk.name : sdk.code ?? 'Error';
  const raw = sdk.message ?? String(error);
  const requestId = sdk.$metadata?.requestId;
  let kind: ErrorKind = KIND_BY_CODE[code] ?? 'aws';
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(sdk.code ?? '')) kind = 'network';
  if (code === 'Error' && /Could not load credentials|credential/i.test(raw)) kind = 'no-credentials';
  if (/Region is missing/i.test(raw)) kind = 'validation';

  let message: string;
  const unreadable = unreadableAnswer(sdk, raw);
  if (unreadable) kind = 'aws';
  const notServed = notServedStatus(sdk, code, unreadable !== undefined);
  if (notServed !== undefined) kind = 'not-served';
  switch (unreadable && !notServed ? 'unreadable' : kind) {
    case 'unreadable':
      message = unreadable!;
      break;
    case 'not-served':
      message = `the endpoint does not serve this operation (${notServed === 'code' ? code : `HTTP ${notServed}${emptyAnswer(sdk) ? ' with an empty body, not an AWS error' : ''}`})`;
      break;
    case 'no-credentials':
      message = `no usable AWS credentials (${raw}). Use --profile or AWS_PROFILE, set AWS credentials in the environment, or try the built-in sandbox with --sandbox`;
      break;
    case 'network': {
      const meaning = NETWORK_ERRORS[(error as { code?: string } | undefined)?.code ?? ''];
      message = `cannot reach AWS: ${meaning ? `${meaning} (${raw})` : raw}`;
      break;
    }
    default: {
      const lead = LEAD[kind];
      message = lead ? `${lead}: ${raw}` : raw;
    }
  }
  if (what) message = `${what}: ${message}`;
  // An error may echo credentials back (a signed URL, a header, a credentials file line).
  message = redactSecrets(message, [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]);
  return new KeywardenError(kind, message, { code, ...(requestId ? { requestId } : {}), cause: error });
}

export function errorCode(error: unknown): string | undefined {
  if (error instanceof KeywardenError) return error.code;
  if (typeof error === 'object' && error !== null && 'name' in error) return String((error as { name: unknown }).name);
  return undefined;
}

export function isThrottle(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ThrottlingException' || code === 'Throttling' || code === 'TooManyRequestsException';
}
