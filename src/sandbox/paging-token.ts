// Opaque paging tokens for the sandbox's CloudWatch and CloudWatch Logs handlers: the operation
// they belong to and where to resume, so a token from another operation (or a made-up one) is
// refused as AWS refuses it.

export function makeToken(operation: string, position: string | number): string {
  return Buffer.from(JSON.stringify({ o: operation, p: position })).toString('base64url');
}

/** Where `token` resumes `operation`; undefined when there is no token; `invalid()` is thrown for a bad one. */
export function readToken(operation: string, token: unknown, invalid: () => Error): string | number | undefined {
  if (token === undefined || token === null) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as { o?: unknown; p?: unknown };
    if (decoded.o === operation && (typeof decoded.p === 'string' || typeof decoded.p === 'number')) return decoded.p;
  } catch {
    // fall through
  }
  throw invalid();
}
