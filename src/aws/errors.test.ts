import { describe, expect, it } from 'vitest';
import { toDomainError } from './errors.js';

describe('toDomainError on file-system errors', () => {
  it('turns a Node system error into a sentence naming the path', () => {
    const error = Object.assign(new Error("EEXIST: file already exists, mkdir '/data/keywarden'"), { code: 'EEXIST', path: '/data/keywarden', syscall: 'mkdir' });
    const domain = toDomainError(error, 'writing the journal');
    expect(domain.message).toMatch(/^writing the journal: cannot mkdir \/data\/keywarden: a file is in the way where a directory is needed/);
    expect(domain.code).toBe('EEXIST');
  });

  it('leaves other errors to the AWS mapping', () => {
    expect(toDomainError(Object.assign(new Error('nope'), { name: 'NotFoundException' })).kind).toBe('not-found');
  });
});

describe('toDomainError on an operation the endpoint does not serve', () => {
  // What the SDK throws when a KMS-only emulator answers an operation it lacks (nsmithuk/local-kms):
  // a JSON parse failure over its plain sentence, with the HTTP status kept in $metadata.
  const unreadable = (status: number, type: string, name = 'SyntaxError') =>
    Object.assign(new Error(`Unexpected token 'P', "Passed X-A"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.`), {
      name,
      $metadata: { httpStatusCode: status },
      $response: { statusCode: status, headers: { 'content-type': type } },
    });

  it('HTTP 501 is "not served", whatever the body', () => {
    const domain = toDomainError(unreadable(501, 'application/x-amz-json-1.1'), 'GetKeyLastUsage');
    expect(domain.kind).toBe('not-served');
    expect(domain.message).toBe('GetKeyLastUsage: the endpoint does not serve this operation (HTTP 501)');
  });

  it('a 415 that is not an AWS answer (STS asked of a JSON-only emulator) is "not served"', () => {
    expect(toDomainError(unreadable(415, 'text/plain', 'Error'), 'GetCallerIdentity').kind).toBe('not-served');
  });

  it("AWS's own codes for an unknown operation are \"not served\"", () => {
    expect(toDomainError(Object.assign(new Error('x'), { name: 'UnknownOperationException' })).kind).toBe('not-served');
    expect(toDomainError(Object.assign(new Error('x'), { name: 'InvalidAction' })).message).toMatch(/does not serve this operation \(InvalidAction\)/);
  });

  it('a 500 HTML page stays "not an AWS answer" (a proxy in the way), not "not served"', () => {
    const domain = toDomainError(unreadable(500, 'text/html'));
    expect(domain.kind).toBe('aws');
    expect(domain.message).toMatch(/HTTP 500 with an HTML page, not an AWS answer/);
  });

  // What the SDK throws for an error answer with no AWS error in it: only the name "Unknown".
  const bare = (status: number, headers: Record<string, string>) =>
    Object.assign(new Error('UnknownError'), { name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: status }, $response: { statusCode: status, headers } });

  it('an empty 404 says what the endpoint answered, not "UnknownError"', () => {
    const domain = toDomainError(bare(404, { 'content-length': '0' }), 'Organizations');
    expect(domain.message).toBe('Organizations: the endpoint does not serve this operation (HTTP 404 with an empty body, not an AWS error)');
  });

  it('an empty 403 or 500 is "not an AWS answer", with its status', () => {
    expect(toDomainError(bare(403, { 'content-length': '0' })).message).toMatch(/^the endpoint answered HTTP 403 with an empty body, not an AWS answer/);
    expect(toDomainError(bare(500, { 'content-type': 'text/plain' })).message).toMatch(/^the endpoint answered HTTP 500 with a text\/plain body, not an AWS answer/);
  });
});

describe('system errors in words', () => {
  it('a read of a directory (no path in the error) is said in words, not EISDIR: illegal operation', () => {
    const error = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read', errno: -21 });
    expect(toDomainError(error).message).toMatch(/^cannot read a file: it is a directory, not a file \(EISDIR\)/);
  });

  it('no network: says the name could not be resolved or the connection was refused, not that an endpoint answered', async () => {
    const { retryReason } = await import('./retry-budget.js');
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND kms.us-east-1.amazonaws.com'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
    expect(retryReason(notFound)).toBe('the host name could not be resolved (ENOTFOUND)');
    expect(toDomainError(notFound, 'ListKeys').message).toBe('ListKeys: cannot reach AWS: the host name could not be resolved (getaddrinfo ENOTFOUND kms.us-east-1.amazonaws.com)');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(retryReason(refused)).toBe('could not connect: the connection was refused (ECONNREFUSED)');
    expect(retryReason(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }))).toBe('could not connect: the connection timed out (ETIMEDOUT)');
    expect(retryReason({ $metadata: { httpStatusCode: 502 } })).toBe('the endpoint answered HTTP 502');
  });
});
