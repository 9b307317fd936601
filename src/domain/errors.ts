// Domain errors: what went wrong, in words an operator understands. src/aws/ maps SDK
// errors to these at the boundary; nothing above it sees an SDK exception.

export type ErrorKind =
  | 'not-found'
  | 'disabled'
  | 'invalid-state'
  | 'access-denied'
  | 'throttled'
  | 'validation'
  | 'unsupported'
  /**
   * The endpoint does not serve the operation at all (HTTP 501, or an answer that is not AWS's to a
   * service it lacks): a KMS-only emulator behind --endpoint-url asked for STS or CloudTrail.
   */
  | 'not-served'
  | 'limit-exceeded'
  | 'no-credentials'
  | 'network'
  | 'read-only'
  /** A change was asked for without its confirmation (not on a terminal and no --yes): exit code 2. */
  | 'confirmation'
  /** The command line or the configuration is wrong (a bad region, endpoint, flag value); nothing was sent: exit code 2. */
  | 'usage'
  | 'conflict'
  | 'aws';

export class KeywardenError extends Error {
  readonly kind: ErrorKind;
  /** The AWS error code (`NotFoundException` …) when the error came from AWS. */
  readonly code: string | undefined;
  readonly requestId: string | undefined;

  constructor(kind: ErrorKind, message: string, options: { code?: string; requestId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeywardenError';
    this.kind = kind;
    this.code = options.code;
    this.requestId = options.requestId;
  }
}

export function isKeywardenError(error: unknown): error is KeywardenError {
  return error instanceof KeywardenError;
}

/** A one-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** What a file-system error means, in words (Node's own text is `EEXIST: file already exists, mkdir '…'`). */
export const SYSTEM_ERRORS: Record<string, string> = {
  EEXIST: 'a file is in the way where a directory is needed',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory, not a file',
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'the path has a loop of symbolic links',
  EMFILE: 'too many files are open',
  EBUSY: 'the file is busy',
};

/** What a network error means, in words (src/aws/errors.ts uses them): no endpoint answered (Node's text is `getaddrinfo ENOTFOUND host`). */
export const NETWORK_ERRORS: Record<string, string> = {
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved (no DNS answer)',
  ECONNREFUSED: 'could not connect: the connection was refused',
  ETIMEDOUT: 'could not connect: the connection timed out',
  ECONNRESET: 'the connection was reset before an answer came',
  EHOSTUNREACH: 'could not connect: the host is unreachable',
  ENETUNREACH: 'could not connect: the network is unreachable',
  EPIPE: 'the connection was closed while sending',
};

/** The words for a Node system error code (file system or network), or undefined for another code. */
export function systemErrorMeaning(code: unknown): string | undefined {
  return typeof code === 'string' ? (SYSTEM_ERRORS[code] ?? NETWORK_ERRORS[code]) : undefined;
}
