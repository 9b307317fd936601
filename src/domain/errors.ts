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
