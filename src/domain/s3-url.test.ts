import { describe, expect, it } from 'vitest';
import { parseS3Url, s3Url } from './s3-url.js';

describe('parseS3Url', () => {
  it('reads the bucket and the prefix above AWSLogs/', () => {
    expect(parseS3Url('s3://trail-bucket')).toEqual({ bucket: 'trail-bucket', prefix: '' });
    expect(parseS3Url('s3://trail-bucket/')).toEqual({ bucket: 'trail-bucket', prefix: '' });
    expect(parseS3Url('s3://trail-bucket/org/trails/')).toEqual({ bucket: 'trail-bucket', prefix: 'org/trails' });
    expect(parseS3Url('s3://trail-bucket/management/AWSLogs/111122223333/CloudTrail/')).toEqual({ bucket: 'trail-bucket', prefix: 'management' });
    expect(parseS3Url('s3://trail-bucket/AWSLogs/')).toEqual({ bucket: 'trail-bucket', prefix: '' });
    expect(s3Url({ bucket: 'b.c-d', prefix: 'x/y' })).toBe('s3://b.c-d/x/y');
  });

  it('refuses what is not an S3 URL or bucket name, as a command-line error', () => {
    for (const bad of ['trail-bucket/x', 'https://trail-bucket.s3.amazonaws.com/x', 's3://', 's3://Upper', 's3://ab', 's3://a..b', 's3://192.168.1.1', 's3://under_score', `s3://${'a'.repeat(64)}`]) {
      expect(() => parseS3Url(bad), bad).toThrow(expect.objectContaining({ kind: 'usage' }));
    }
  });
});
