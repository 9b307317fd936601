// Amazon S3 (REST-XML, SigV4 service `s3`): the read side keywarden uses on a trail's bucket —
// ListObjectsV2, GetObject, HeadObject and HeadBucket — over the one bucket the sandbox has, the
// trail's (its log files are rendered by trail-delivery.ts). Writes are not served
// (NotImplemented): only the trail writes there.
//
// Sources (Amazon S3 API Reference): ListObjectsV2, GetObject, HeadObject, HeadBucket
// (docs.aws.amazon.com/AmazonS3/latest/API/API_<Op>.html) and "Error responses"
// (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): an error is
// `<Error><Code/><Message/>…<RequestId/><HostId/></Error>` with `Content-Type: application/xml`;
// HEAD errors carry no body. Access denied messages for same-account requests name the caller, the
// action and the resource (Amazon S3 User Guide, "Troubleshoot access denied (403 Forbidden)
// errors"); across accounts they stay "Access Denied". Request rates: "at least 3,500
// PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned Amazon S3 prefix"
// (User Guide, "Best practices design patterns: optimizing Amazon S3 performance"), beyond which
// S3 answers 503 SlowDown — quotas.ts.

import { createHash } from 'node:crypto';
import { TRAIL_HOME_REGION, trailFor, trailIdentity, type Trail, type TrailIdentity } from './cloudtrail.js';
import { evalPrincipalOf } from './kms-access.js';
import { evaluatePolicy, readPolicy } from './policy-eval.js';
import { identityPolicyOf } from './principals.js';
import type { CallerIdentity } from './protocol.js';
import { xmlEscape } from './protocol.js';
import type { Store } from './state.js';
import { listLogFiles, logFileAt, type LogFile } from './trail-delivery.js';
import type { PolicyStatement } from '../domain/policy.js';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** ListObjectsV2 returns at most 1,000 keys a page, whatever max-keys asks for. */
export const LIST_PAGE_LIMIT = 1000;

/** The bucket policy CloudTrail's console writes for a trail's bucket: the trail may write, nobody else gets anything. */
const trailBucketPolicy = (id: TrailIdentity): string => JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AWSCloudTrailAclCheck',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl',
      Resource: `arn:aws:s3:::${id.bucket}`,
    },
    {
      Sid: 'AWSCloudTrailWrite',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${id.bucket}/*/AWSLogs/${id.account}/*`,
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    },
  ],
});

const bucketPolicies = new Map<string, readonly PolicyStatement[]>();

interface SandboxBucket {
  name: string;
  trail: TrailIdentity;
  region: string;
  account: string;
  policy: readonly PolicyStatement[];
  list(prefix: string, after: string): Iterable<LogFile>;
  get(key: string): LogFile | undefined;
}

/** The account's own trail bucket (each account's trail writes to its own; bucket names are global). */
function bucketNamed(name: string, trail: Trail, now: number): SandboxBucket | undefined {
  const id = trailIdentity(trail.store.account);
  if (name !== id.bucket) return undefined;
  let policy = bucketPolicies.get(id.bucket);
  if (!policy) bucketPolicies.set(id.bucket, (policy = readPolicy(trailBucketPolicy(id))));
  return {
    name,
    trail: id,
    region: TRAIL_HOME_REGION,
    account: id.account,
    policy,
    list: (prefix, after) => listLogFiles(trail, now, prefix, after),
    get: (key) => logFileAt(trail, now, key),
  };
}

/** What the dispatcher needs to answer and log one S3 request. */
export interface S3Answer {
  operation: string;
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
  errorCode?: string;
  params: Record<string, unknown>;
}

export interface S3Request {
  method: string;
  /** The Host header. */
  host: string;
  /** Path and query as sent (`/bucket/key?x=y` or `/key?x=y`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The SigV4 signing Region. */
  region: string;
  caller: CallerIdentity;
  requestId: string;
  now: () => Date;
  store: Store;
  /** Takes one request from the bucket's request-rate quota (false: answer SlowDown). */
  takeQuota: (bucket: string, operation: string) => boolean;
  /** Fault settings for this operation: throttled, denied outright, or a server error to answer. */
  fault: (operation: string) => { throttle?: boolean; denied?: boolean; serverError?: 500 | 503 } | undefined;
  /** The kms:Decrypt S3 makes for the caller on an SSE-KMS object: undefined when allowed, else KMS's error. */
  kmsDecrypt: (keyArn: string, encryptionContext: Record<string, string>) => { code: string; message: string } | undefined;
  /** Faults on one object: GetObject denied (an accessDenied rule naming the object key), or its body cut off. */
  objectFault: (key: string) => { denied?: boolean; truncated?: boolean };
}

/** The bucket named by a virtual-hosted Host header: `<bucket>.s3[.-]<region>.amazonaws.com`, `<bucket>.s3.amazonaws.com` or `<bucket>.localhost`. */
export function virtualHostBucket(host: string): string | undefined {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  const aws = /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.exec(name);
  if (aws && !/^s3(?:[.-]|$)/.test(aws[1]!)) return aws[1];
  const local = /^(.+)\.localhost$/.exec(name);
  return local ? local[1] : undefined;
}

/** Whether a request without X-Amz-Target is one for S3 (signed for `s3`, or addressed to a bucket's host). */
export function isS3Request(signingService: string | undefined, host: string | undefined): boolean {
  return signingService === 's3' || (host !== undefined && virtualHostBucket(host) !== undefined);
}

class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly extra: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function s3RequestId(requestId: string): string {
  return requestId.replace(/-/g, '').slice(0, 16).toUpperCase();
}

function hostId(requestId: string): string {
  return createHash('sha256').update(`host/${requestId}`).digest('base64');
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function accessDenied(req: S3Request, bucket: SandboxBucket, action: string, resource: string, explicit: 'identity' | 'resource' | undefined): S3Error {
  if (req.caller.account !== bucket.account) return new S3Error('AccessDenied', 'Access Denied', 403);
  const why =
    explicit === 'identity'
      ? 'with an explicit deny in an identity-based policy'
      : explicit === 'resource'
        ? 'with an explicit deny in a resource-based policy'
        : `because no identity-based policy allows the ${action} action`;
  return new S3Error('AccessDenied', `User: ${req.caller.arn} is not authorized to perform: ${action} on resource: "${resource}" ${why}`, 403);
}

/**
 * IAM's decision for S3 (IAM User Guide, "Policy evaluation logic"): an explicit Deny in the
 * bucket policy or the identity policy refuses; in the bucket's own account an Allow in either
 * suffices; from another account both must allow.
 */
function allowed(req: S3Request, bucket: SandboxBucket, action: string, resource: string): { ok: true } | { ok: false; explicit?: 'identity' | 'resource' } {
  const principal = evalPrincipalOf(req.caller);
  const request = { action, resource, values: { 'aws:PrincipalAccount': req.caller.account } };
  const identityPolicy = req.caller.service ? undefined : identityPolicyOf(req.caller.arn);
  const identity = identityPolicy ? evaluatePolicy(identityPolicy, principal, request, { identity: true }) : {};
  const resourceOutcome = evaluatePolicy(bucket.policy, principal, request);
  if (resourceOutcome.deny) return { ok: false, explicit: 'resource' };
  if (identity.deny) return { ok: false, explicit: 'identity' };
  const sameAccount = req.caller.account === bucket.account;
  if (sameAccount ? identity.allow || resourceOutcome.allow : identity.allow && resourceOutcome.allow) return { ok: true };
  return { ok: false };
}

function requireAllowed(req: S3Request, bucket: SandboxBucket, action: string, resource: string): void {
  const decision = allowed(req, bucket, action, resource);
  if (!decision.ok) throw accessDenied(req, bucket, action, resource, decision.explicit);
}

// ---------------------------------------------------------------------------------------------
// ListObjectsV2

/** Continuation tokens: opaque to the caller, the key (or common prefix) to resume after. */
function continuationToken(bucket: string, after: string, isPrefix: boolean): string {
  return Buffer.from(JSON.stringify({ b: bucket, a: after, p: isPrefix ? 1 : 0 })).toString('base64');
}

function readContinuationToken(bucket: string, token: string): { after: string; isPrefix: boolean } {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { b?: unknown; a?: unknown; p?: unknown };
    if (raw.b === bucket && typeof raw.a === 'string') return { after: raw.a, isPrefix: raw.p === 1 };
  } catch {
    // fall through
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token', ArgumentValue: token });
}

/**
 * max-keys: "Sets the maximum number of keys returned in the response. By default, the action
 * returns up to 1,000 key names. The response might contain fewer keys but will never contain
 * more." The two InvalidArgument messages are the ones S3 answers (the reference names none).
 */
function readMaxKeys(value: string | null): number {
  if (value === null) return LIST_PAGE_LIMIT;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) > 2_147_483_647) {
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400, { ArgumentName: 'max-keys', ArgumentValue: value });
  }
  const n = Number(value);
  if (n < 0) throw new S3Error('InvalidArgument', 'Argument maxKeys must be an integer between 0 and 2147483647', 400, { ArgumentName: 'maxKeys', ArgumentValue: value });
  return n;
}

function listObjectsV2(req: S3Request, bucket: SandboxBucket, query: URLSearchParams): { xml: string; params: Record<string, unknown> } {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const startAfter = query.get('start-after') ?? '';
  const token = query.get('continuation-token');
  const encodingType = query.get('encoding-type');
  if (encodingType !== null && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  const maxKeys = readMaxKeys(query.get('max-keys'));
  if (token === '') throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token', ArgumentValue: '' });
  const resume = token !== null ? readContinuationToken(bucket.name, token) : undefined;
  // StartAfter "can be any key in the bucket"; with a continuation token the token wins.
  const after = resume ? resume.after : startAfter;
  const limit = Math.min(maxKeys, LIST_PAGE_LIMIT);
  const contents: LogFile[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: { value: string; isPrefix: boolean } | undefined;
  // Past a common prefix: after every key under it (keys never hold U+FFFF).
  const past = (value: string, isPrefix: boolean) => (isPrefix ? `${value}\uffff` : value);
  let cursor = resume ? past(resume.after, resume.isPrefix) : after;
  for (let restart = limit > 0; restart && !truncated; ) {
    // max-keys=0 answers an empty page that is not truncated.
    restart = false;
    for (const file of bucket.list(prefix, cursor)) {
      let common: string | undefined;
      if (delimiter !== '') {
        const at = file.key.indexOf(delimiter, prefix.length);
        if (at >= 0) common = file.key.slice(0, at + delimiter.length);
      }
      if (contents.length + prefixes.length >= limit) {
        truncated = true;
        break;
      }
      if (common !== undefined) {
        prefixes.push(common);
        last = { value: common, isPrefix: true };
        cursor = past(common, true);
        restart = true; // list again from past the common prefix, without reading what is under it
        break;
      }
      contents.push(file);
      last = { value: file.key, isPrefix: false };
      cursor = file.key;
    }
  }
  const enc = (text: string) => xmlEscape(encodingType === 'url' ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
  const parts = [
    `<Name>${xmlEscape(bucket.name)}</Name>`,
    `<Prefix>${enc(prefix)}</Prefix>`,
    ...(startAfter !== '' ? [`<StartAfter>${enc(startAfter)}</StartAfter>`] : []),
    ...(token !== null ? [`<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`] : []),
    ...(truncated && last ? [`<NextContinuationToken>${xmlEscape(continuationToken(bucket.name, last.value, last.isPrefix))}</NextContinuationToken>`] : []),
    `<KeyCount>${contents.length + prefixes.length}</KeyCount>`,
    `<MaxKeys>${maxKeys}</MaxKeys>`,
    ...(delimiter !== '' ? [`<Delimiter>${enc(delimiter)}</Delimiter>`] : []),
    ...(encodingType ? [`<EncodingType>url</EncodingType>`] : []),
    `<IsTruncated>${truncated}</IsTruncated>`,
    ...contents.map(
      (file) =>
        `<Contents><Key>${enc(file.key)}</Key><LastModified>${isoMillis(file.deliveredAt)}</LastModified><ETag>${xmlEscape(file.etag)}</ETag><Size>${file.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    ),
    ...prefixes.map((p) => `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`),
  ];
  return {
    xml: `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${S3_NAMESPACE}">${parts.join('')}</ListBucketResult>`,
    params: { Bucket: bucket.name, Prefix: prefix, Delimiter: delimiter || undefined, StartAfter: startAfter || undefined, ContinuationToken: token ?? undefined, MaxKeys: maxKeys },
  };
}

// ---------------------------------------------------------------------------------------------
// GetObject / HeadObject

/** `Range: bytes=a-b | a- | -n` (one range); undefined when absent or not a byte range (S3 then sends the whole object). */
function readRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function objectHeaders(file: LogFile, trail: TrailIdentity): Record<string, string> {
  return {
    'Last-Modified': httpDate(file.deliveredAt),
    ETag: file.etag,
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/x-gzip',
    // The trail encrypts its log files with its KMS key (DescribeTrails KmsKeyId).
    ...(trail.kmsKeyArn
      ? { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': trail.kmsKeyArn }
      : { 'x-amz-server-side-encryption': 'AES256' }),
  };
}

// ---------------------------------------------------------------------------------------------
// The dispatcher's entry

function errorAnswer(req: S3Request, operation: string, error: S3Error, head: boolean, params: Record<string, unknown>): S3Answer {
  const id = s3RequestId(req.requestId);
  const headers: Record<string, string> = { 'x-amz-request-id': id, 'x-amz-id-2': hostId(req.requestId), ...error.headers };
  if (head) return { operation, status: error.status, headers, errorCode: error.code, params };
  const extra = Object.entries(error.extra)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${extra}<RequestId>${id}</RequestId><HostId>${xmlEscape(hostId(req.requestId))}</HostId></Error>`;
  return { operation, status: error.status, headers: { ...headers, 'Content-Type': 'application/xml' }, body, errorCode: error.code, params };
}

/** Answers one S3 request. Runs after the workloads have caught up, so every delivered file is complete. */
export function serveS3(req: S3Request): S3Answer {
  const url = new URL(req.url, 'http://s3.local');
  const query = url.searchParams;
  const virtual = virtualHostBucket(req.host);
  let bucketName: string;
  let key: string;
  if (virtual !== undefined) {
    bucketName = virtual;
    key = decodePath(url.pathname.slice(1));
  } else {
    const [first = '', ...rest] = url.pathname.slice(1).split('/');
    bucketName = decodePath(first);
    key = rest.map(decodePath).join('/');
  }
  const method = req.method.toUpperCase();
  const head = method === 'HEAD';
  const operation =
    bucketName === ''
      ? 'ListBuckets'
      : key === ''
        ? method === 'GET'
          ? query.get('list-type') === '2'
            ? 'ListObjectsV2'
            : 'ListObjects'
          : head
            ? 'HeadBucket'
            : `${method}Bucket`
        : method === 'GET'
          ? 'GetObject'
          : head
            ? 'HeadObject'
            : `${method}Object`;
  const params: Record<string, unknown> = { Bucket: bucketName || undefined, ...(key ? { Key: key } : {}) };
  const id = s3RequestId(req.requestId);
  try {
    if (!['ListObjectsV2', 'GetObject', 'HeadObject', 'HeadBucket'].includes(operation)) {
      throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501);
    }
    const fault = req.fault(operation);
    if (fault?.throttle) throw new S3Error('SlowDown', 'Please reduce your request rate.', 503);
    if (fault?.serverError === 503) throw new S3Error('ServiceUnavailable', 'Please reduce your request rate.', 503);
    if (fault?.serverError === 500) throw new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500);
    // Every request counts toward the bucket's rate before it is looked at.
    if (!req.takeQuota(bucketName, operation)) throw new S3Error('SlowDown', 'Please reduce your request rate.', 503);
    const trail = trailFor(req.store);
    const nowMs = req.now().getTime();
    const bucket = trail ? bucketNamed(bucketName, trail, nowMs) : undefined;
    if (!bucket) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucketName });
    if (req.region !== bucket.region) {
      // Sent to (signed for) another Region's endpoint: S3 answers 301 PermanentRedirect and names
      // the bucket's Region in x-amz-bucket-region, which the SDK follows with followRegionRedirects.
      const endpoint = bucket.region === 'us-east-1' ? `${bucket.name}.s3.amazonaws.com` : `${bucket.name}.s3.${bucket.region}.amazonaws.com`;
      throw new S3Error(
        'PermanentRedirect',
        'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
        301,
        { Endpoint: endpoint, Bucket: bucket.name },
        { 'x-amz-bucket-region': bucket.region },
      );
    }
    const bucketArn = `arn:aws:s3:::${bucket.name}`;
    if (fault?.denied) throw accessDenied(req, bucket, operation === 'ListObjectsV2' || operation === 'HeadBucket' ? 's3:ListBucket' : 's3:GetObject', operation === 'ListObjectsV2' || operation === 'HeadBucket' ? bucketArn : `${bucketArn}/${key}`, undefined);
    const base = { 'x-amz-request-id': id, 'x-amz-id-2': hostId(req.requestId) };
    if (operation === 'HeadBucket') {
      requireAllowed(req, bucket, 's3:ListBucket', bucketArn);
      return { operation, status: 200, headers: { ...base, 'x-amz-bucket-region': bucket.region }, params };
    }
    if (operation === 'ListObjectsV2') {
      requireAllowed(req, bucket, 's3:ListBucket', bucketArn);
      const { xml, params: listed } = listObjectsV2(req, bucket, query);
      return { operation, status: 200, headers: { ...base, 'Content-Type': 'application/xml' }, body: xml, params: listed };
    }
    // GetObject / HeadObject: s3:GetObject on the object. A missing key is NoSuchKey (404) only to a
    // caller that may list the bucket; to others it is AccessDenied (403) (API_GetObject, "Permissions").
    const objectArn = `${bucketArn}/${key}`;
    const objectFault = req.objectFault(key);
    if (objectFault.denied) throw accessDenied(req, bucket, 's3:GetObject', objectArn, undefined);
    requireAllowed(req, bucket, 's3:GetObject', objectArn);
    const found = bucket.get(key);
    // A truncated object: the same name, ETag and time, half the bytes (as an interrupted upload left it).
    const file = found && objectFault.truncated ? { ...found, body: found.body.subarray(0, Math.floor(found.body.length / 2)) } : found;
    if (!file) {
      if (!allowed(req, bucket, 's3:ListBucket', bucketArn).ok) throw accessDenied(req, bucket, 's3:ListBucket', bucketArn, undefined);
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    }
    // Reading the bytes of an SSE-KMS object takes kms:Decrypt on its key (HEAD does not decrypt).
    // CHOICE: a refusal is S3's 403 AccessDenied with KMS's message; a key that cannot be used
    // (disabled, pending deletion) is 400 `KMS.<KMS code>` with KMS's message.
    if (!head && bucket.trail.kmsKeyArn) {
      const refused = req.kmsDecrypt(bucket.trail.kmsKeyArn, { 'aws:cloudtrail:arn': bucket.trail.arn, 'aws:s3:arn': objectArn });
      if (refused?.code === 'AccessDeniedException') throw new S3Error('AccessDenied', refused.message, 403);
      if (refused) throw new S3Error(refused.code.startsWith('KMS.') ? refused.code : `KMS.${refused.code}`, refused.message, 400);
    }
    const headers = { ...base, ...objectHeaders(file, bucket.trail) };
    const range = readRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, file.body.length);
    if (range === 'unsatisfiable') {
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: String(req.headers.range), ActualObjectSize: String(file.body.length) }, { 'Content-Range': `bytes */${file.body.length}` });
    }
    if (range) {
      const part = file.body.subarray(range.start, range.end + 1);
      return {
        operation,
        status: 206,
        headers: { ...headers, 'Content-Length': String(part.length), 'Content-Range': `bytes ${range.start}-${range.end}/${file.body.length}` },
        ...(head ? {} : { body: part }),
        params,
      };
    }
    return { operation, status: 200, headers: { ...headers, 'Content-Length': String(file.body.length) }, ...(head ? {} : { body: file.body }), params };
  } catch (error) {
    if (error instanceof S3Error) return errorAnswer(req, operation, error, head, params);
    throw error;
  }
}
