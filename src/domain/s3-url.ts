// `--cloudtrail-s3 s3://BUCKET[/PREFIX]`: where a trail's log files are. Pure: checked before
// anything is sent (a bad URL is a command-line error, exit 2).

import { KeywardenError } from './errors.js';

/** A bucket and the key prefix its `AWSLogs/` folder is under ('' for none). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** General purpose bucket names (Amazon S3 User Guide, "General purpose bucket naming rules"): 3–63 of a-z 0-9 . -, starting and ending with a letter or digit, not an IP address. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `s3://bucket[/prefix]`. The prefix is the trail's S3KeyPrefix; a deeper folder of the layout
 * (`…/AWSLogs/<account>/…`) is cut back to what is above `AWSLogs`.
 */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url.trim());
  if (!match) throw new KeywardenError('usage', `--cloudtrail-s3 "${url}" is not an S3 URL (expected s3://BUCKET or s3://BUCKET/PREFIX)`);
  const bucket = match[1]!;
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new KeywardenError('usage', `--cloudtrail-s3 "${url}": "${bucket}" is not an S3 bucket name (3–63 lowercase letters, digits, dots and hyphens)`);
  }
  const segments = (match[2] ?? '').split('/').filter((segment) => segment !== '');
  const logs = segments.indexOf('AWSLogs');
  return { bucket, prefix: (logs >= 0 ? segments.slice(0, logs) : segments).join('/') };
}

export function s3Url(location: S3Location): string {
  return `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
}
