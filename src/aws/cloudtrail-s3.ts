// A key's CloudTrail evidence read straight from a trail's S3 bucket (`usage --cloudtrail-s3`):
// only the day folders of the window are listed (ListObjectsV2 per day, for the key's account and
// Region), the log files are fetched (GetObject) with bounded concurrency and summarised like a
// local copy. Layout (AWS CloudTrail User Guide, "Finding your CloudTrail log files"):
//   <prefix>/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<unique>.json.gz
// and, for an organization trail, `<prefix>/AWSLogs/<org-id>/<account>/CloudTrail/…`. The minute in
// a file's name is its delivery time; a file holds only records from before it.

import { DescribeTrailsCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { KeywardenError } from '../domain/errors.js';
import { parseS3Url, s3Url, type S3Location } from '../domain/s3-url.js';
import { windowRange, type UsageLoadState, type UsageProgress, type UsageRequest, type UsageSummary } from '../domain/usage.js';
import { unreadableLine } from './cloudtrail-files.js';
import { toDomainError } from './errors.js';
import { summarizeLogObjects, type LogObject } from './log-objects.js';

export { parseS3Url, s3Url };

const DAY = 86_400_000;
/** Files delivered this long after the window's end may still hold its last records (CloudTrail delivers within minutes). */
const LATE_DELIVERY_MS = 3_600_000;
/** GetObject requests in flight at once (the pipeline keeps twice as many objects in flight). */
export const S3_READ_CONCURRENCY = 8;

export type { LogObject };

/** Where a trail's files are: a bucket and the key prefix its `AWSLogs/` folder is under ('' for none). */
export interface TrailBucket extends S3Location {
  /** The trail it came from (DescribeTrails), when not given as a URL. */
  trail?: string;
  /** The Region to ask first (the trail's home Region); S3 redirects to the bucket's own. */
  region?: string;
}

/** The trail that logs the key's Region and delivers to S3 (DescribeTrails in that Region, shadow trails included). */
export async function trailBucketFor(cloudtrail: CloudTrailClient, region: string, signal?: AbortSignal): Promise<TrailBucket> {
  let trails;
  try {
    trails = (await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }), { abortSignal: signal })).trailList ?? [];
  } catch (error) {
    throw toDomainError(error, 'DescribeTrails');
  }
  const covering = trails.filter((t) => t.S3BucketName && (t.IsMultiRegionTrail || t.HomeRegion === region));
  const trail = covering[0];
  if (!trail) {
    throw new KeywardenError('not-found', `no trail delivers ${region}'s events to S3 (DescribeTrails in ${region}); name the bucket with --cloudtrail-s3 s3://BUCKET/PREFIX`);
  }
  return { bucket: trail.S3BucketName!, prefix: (trail.S3KeyPrefix ?? '').replace(/^\/+|\/+$/g, ''), ...(trail.Name ? { trail: trail.Name } : {}), ...(trail.HomeRegion ? { region: trail.HomeRegion } : {}) };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}

/** An S3 refusal in words: the bucket and the permission it takes. */
function s3Failure(error: unknown, location: TrailBucket, permission: 's3:ListBucket' | 's3:GetObject', what: string): KeywardenError {
  const name = errorName(error);
  if (name === 'AccessDenied' || name === 'Forbidden' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403) {
    const resource = permission === 's3:ListBucket' ? `arn:aws:s3:::${location.bucket}` : `arn:aws:s3:::${location.bucket}/*`;
    const extra = permission === 's3:GetObject' ? " (and kms:Decrypt on the trail's KMS key when its files are encrypted with one)" : '';
    // AWS's own words when they say more than "Access Denied" (which policy, or that KMS refused).
    const told = (error as { message?: string }).message ?? '';
    const detail = told && !/^(Access Denied|Forbidden|UnknownError)$/i.test(told.trim()) ? ` (AWS: ${told})` : '';
    return new KeywardenError('access-denied', `access denied to s3://${location.bucket}: ${what} needs ${permission} on ${resource}${extra}${detail}`, { code: 'AccessDenied', cause: error });
  }
  if (name === 'NoSuchBucket') return new KeywardenError('not-found', `s3://${location.bucket}: no such bucket`, { code: name, cause: error });
  return toDomainError(error, `${what} in s3://${location.bucket}`);
}

export interface ListOptions {
  account: string;
  region: string;
  start: Date;
  end: Date;
}

/** The `AWSLogs/<account>/` folders to read: the account's own, and its folder under each organization trail. */
async function accountRoots(s3: S3Client, location: TrailBucket, account: string, signal?: AbortSignal): Promise<string[]> {
  const base = `${location.prefix ? `${location.prefix}/` : ''}AWSLogs/`;
  const roots: string[] = [];
  const seen: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: base, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal });
    } catch (error) {
      throw s3Failure(error, location, 's3:ListBucket', `listing ${base}`);
    }
    for (const common of page.CommonPrefixes ?? []) {
      const folder = common.Prefix?.slice(base.length) ?? '';
      seen.push(folder);
      if (folder === `${account}/`) roots.push(`${base}${account}/`);
      else if (/^o-[a-z0-9]{10,32}\/$/.test(folder)) roots.push(`${base}${folder}${account}/`);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // No folder of the account: the wrong bucket or prefix, which must not read as "no use".
  if (roots.length === 0) {
    const found = seen.length > 0 ? `; it has ${seen.slice(0, 5).map((f) => f.replace(/\/$/, '')).join(', ')}${seen.length > 5 ? ', …' : ''}` : '';
    throw new KeywardenError('not-found', `no CloudTrail log files of account ${account} in s3://${location.bucket}/${base} (is the prefix the trail's S3KeyPrefix?)${found}`);
  }
  return roots;
}

/** The delivery time a log file's name gives (`_<yyyymmddThhmmZ>_`), when it has one. */
export function deliveryTime(key: string): number | undefined {
  const match = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  return match ? Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!) : undefined;
}

/**
 * The log files that can hold the window's records of one account and Region: the day folders
 * from the window's first day to the day after its end (late deliveries), listed page by page;
 * a file delivered before the window started, or long after it ended, is not read.
 */
export async function* listTrailObjects(s3: S3Client, location: TrailBucket, options: ListOptions, signal?: AbortSignal): AsyncGenerator<LogObject> {
  const start = options.start.getTime();
  const end = options.end.getTime();
  for (const root of await accountRoots(s3, location, options.account, signal)) {
    for (let day = Math.floor(start / DAY) * DAY; day <= end + LATE_DELIVERY_MS; day += DAY) {
      const d = new Date(day);
      const prefix = `${root}CloudTrail/${options.region}/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/`;
      let token: string | undefined;
      do {
        let page;
        try {
          page = await s3.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal });
        } catch (error) {
          throw s3Failure(error, location, 's3:ListBucket', `listing ${prefix}`);
        }
        for (const item of page.Contents ?? []) {
          const key = item.Key;
          if (!key || key.endsWith('/')) continue;
          const delivered = deliveryTime(key);
          if (delivered !== undefined && (delivered < start || delivered > end + LATE_DELIVERY_MS)) continue;
          yield {
            name: `s3://${location.bucket}/${key}`,
            ...(item.Size !== undefined ? { size: item.Size } : {}),
            read: async (readSignal?: AbortSignal) => {
              try {
                const answer = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), { abortSignal: readSignal ?? signal });
                if (!answer.Body) return new Uint8Array();
                return await answer.Body.transformToByteArray();
              } catch (error) {
                throw s3Failure(error, location, 's3:GetObject', `reading ${key}`);
              }
            },
          };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
  }
}

export interface BucketReadState extends UsageLoadState {
  location: string;
  unreadable: Array<{ name: string; reason: string }>;
}

/**
 * The key's events in the window from a trail's bucket: `location` given (`--cloudtrail-s3 URL`)
 * or the bucket of the trail that covers the key's Region. Progress reports objects and bytes.
 */
export async function readTrailBucket(
  clients: { s3(region: string): S3Client; cloudtrail(region: string): CloudTrailClient },
  key: { arn: string; region: string },
  request: Pick<UsageRequest, 'window' | 'onProgress'> & { now?: Date; cloudtrailS3: { url?: string } },
  signal?: AbortSignal,
): Promise<BucketReadState> {
  const location: TrailBucket = request.cloudtrailS3.url ? parseS3Url(request.cloudtrailS3.url) : await trailBucketFor(clients.cloudtrail(key.region), key.region, signal);
  const account = /^arn:aws[\w-]*:kms:[^:]+:(\d{12}):/.exec(key.arn)?.[1];
  if (!account) throw new KeywardenError('validation', `${key.arn} is not a KMS key ARN`);
  const { start, end } = windowRange(request.window, request.now ?? new Date());
  const s3 = clients.s3(location.region ?? key.region);
  const progress: UsageProgress = { source: 's3', pages: 0, events: 0, throttled: 0, requestsPerSecond: 0, done: false, stopped: false, bytes: 0 };
  const where = s3Url(location);
  const state = (unreadable: Array<{ name: string; reason: string }>, summary?: UsageSummary): BucketReadState => ({
    keyArn: key.arn,
    window: request.window,
    events: [],
    progress: { ...progress },
    location: where,
    unreadable,
    ...(summary ? { summary } : {}),
    ...(unreadable.length > 0 ? { incomplete: unreadableLine(unreadable) } : {}),
  });
  const objects = listTrailObjects(s3, location, { account, region: key.region, start, end }, signal);
  // The same pipeline as local files (src/aws/log-objects.ts): gunzip and parse in worker threads,
  // memory flat in the input; more objects in flight to cover S3's round trips.
  const result = await summarizeLogObjects(
    objects,
    {
      keyArn: key.arn,
      start,
      end,
      inFlight: S3_READ_CONCURRENCY * 2,
      onProgress: (p) => {
        progress.pages = p.filesRead;
        progress.bytes = p.bytes;
        progress.events = p.records;
        request.onProgress?.(state([]));
      },
    },
    signal,
  );
  // Objects whose GetObject failed are not among the files read; those read but unreadable are.
  const refused = result.unreadable.filter((u) => u.reason.startsWith('cannot be read: ')).length;
  progress.pages = result.filesRead + refused;
  progress.bytes = result.bytes;
  progress.events = result.summary?.total ?? 0;
  progress.stopped = result.stopped;
  progress.done = !result.stopped;
  // Every object refused or unreadable: the bucket is not readable, which is not "no use".
  if (result.records === 0 && result.unreadable.length > 0 && result.unreadable.length >= result.filesRead) {
    throw new KeywardenError('aws', `none of the ${progress.pages} log files in ${where} could be read: ${result.unreadable[0]!.reason.replace(/^cannot be read: /, '')}`);
  }
  return state(result.unreadable, result.summary);
}
