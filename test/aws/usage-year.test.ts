// A year of evidence, read four ways against the sandbox, must tell one story: the trail's bucket
// over HTTP (ListObjectsV2 + GetObject, src/aws/cloudtrail-s3.ts), a local copy of the files the
// trail delivered there (src/aws/cloudtrail-files.ts) and Logs Insights over the trail's log group
// (src/aws/insights.ts) give the same summary of the year; LookupEvents (src/aws/usage.ts), which
// keeps 90 days, gives the same summary as the others for the last 90 days and nothing older.
//
// The real src/aws functions, with the window's end given, on a sandbox whose clock stands still on
// a delivery time: the window ends just before it, so every event of the window is in a delivered
// file, in the log group and in the event history alike, the reads' own calls (at that time) are in
// none of the windows, and LookupEvents' 90 days reach back exactly as far as the others' 90. The bucket is read
// over S3 once (a year is some 33,000 objects: a minute and more of GetObject); the local copy is
// written from the sandbox's delivery (what `aws s3 sync` would write).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCloudTrailFiles } from '../../src/aws/cloudtrail-files.js';
import { readTrailBucket } from '../../src/aws/cloudtrail-s3.js';
import { findInsightsTarget, insightsKeyUsage } from '../../src/aws/insights.js';
import { resolveKey } from '../../src/aws/inventory.js';
import { lookupKeyEvents, RateLimiter } from '../../src/aws/usage.js';
import type { InsightsTarget } from '../../src/domain/insights.js';
import { summarizeUsage } from '../../src/domain/usage.js';
import { externalEndpoint, openEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { comparable } from '../helpers/usage-summary.js';

const DELIVERY = 5 * 60_000;
const REGION_FOLDER = 'management/AWSLogs/111122223333/CloudTrail/us-east-1/';
const NOW = Math.floor(Date.now() / DELIVERY) * DELIVERY;

/** The trail's delivered files of one Region, written under `dir` at their keys. */
function copyBucket(endpoint: TestEndpoint, dir: string): number {
  let count = 0;
  for (const file of endpoint.sandbox!.trailLogFiles(REGION_FOLDER)) {
    const path = join(dir, file.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.body);
    count += 1;
  }
  return count;
}

describe.skipIf(externalEndpoint)('a year of evidence from every engine (sandbox)', () => {
  let endpoint: TestEndpoint;
  let target: InsightsTarget;
  let dir: string;
  let copied = 0;
  let end: Date;
  beforeAll(async () => {
    // LookupEvents at 50× its quota so that 90 days of a busy key are read in seconds.
    endpoint = await openEndpoint({ quotaScale: 50, now: () => new Date(NOW) });
    const clients = endpoint.clients();
    const found = await findInsightsTarget(clients.cloudtrail('us-east-1'), (r) => clients.logs(r), 'us-east-1');
    target = found.target!;
    // Just before the delivery time: the files up to it are in the bucket.
    end = new Date(NOW - 1);
    dir = mkdtempSync(join(tmpdir(), 'kw-year-'));
    copied = copyBucket(endpoint, dir);
  }, 300_000);
  afterAll(async () => {
    await endpoint?.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("a busy key's year: the bucket, a copy of it and Logs Insights agree; LookupEvents agrees on the last 90 days and keeps nothing older", async () => {
    const clients = endpoint.clients();
    const key = await resolveKey(clients, 'alias/app/payments-db');
    const year = { days: 365 };
    const filesYear = await readCloudTrailFiles(dir, key.arn, { window: year, now: end });
    expect(filesYear.evidence.unreadable).toEqual([]);
    expect(filesYear.evidence.filesRead).toBeGreaterThan(20_000);
    // The bucket holds a year and a day; files outside the window are left unread by their names.
    expect(copied).toBeGreaterThan(filesYear.evidence.filesRead);
    const fromFiles = filesYear.summary!;
    // A year, not 90 days: every day of the window but the first has evidence.
    expect(fromFiles.timeline.counts).toHaveLength(366);
    expect(fromFiles.timeline.counts.slice(1).every((n) => n > 0)).toBe(true);
    const insightsYear = await insightsKeyUsage(clients.logs('us-east-1'), target, key.arn, { window: year, now: end });
    expect(insightsYear.progress.truncated).toBeUndefined();
    // More than 10,000 callers rows: the window was asked in parts.
    expect(insightsYear.progress.queryParts).toBeGreaterThan(7);
    expect(comparable(insightsYear.summary!)).toEqual(comparable(fromFiles));
    const s3Year = await readTrailBucket(clients, key, { window: year, now: end, cloudtrailS3: {} });
    expect(s3Year.unreadable).toEqual([]);
    expect(comparable(s3Year.summary!)).toEqual(comparable(fromFiles));

    // The last 90 days: LookupEvents agrees with the files and Logs Insights…
    const ninety = { days: 90 };
    const lookup = await lookupKeyEvents(clients.cloudtrail('us-east-1'), key.arn, { window: ninety, now: end, limiter: new RateLimiter(100) });
    expect(lookup.progress.done).toBe(true);
    const fromLookup = summarizeUsage(lookup.events, ninety, end, { keyArn: key.arn });
    expect(fromLookup.total).toBeGreaterThan(1000);
    const filesNinety = await readCloudTrailFiles(dir, key.arn, { window: ninety, now: end });
    const insightsNinety = await insightsKeyUsage(clients.logs('us-east-1'), target, key.arn, { window: ninety, now: end });
    expect(comparable(filesNinety.summary!)).toEqual(comparable(fromLookup));
    expect(comparable(insightsNinety.summary!)).toEqual(comparable(fromLookup));
    // …and keeps nothing older: asked for a year, it answers with the same 90 days.
    const lookupYear = await lookupKeyEvents(clients.cloudtrail('us-east-1'), key.arn, { window: year, now: end, limiter: new RateLimiter(100) });
    expect(lookupYear.events.length).toBe(lookup.events.length);
    expect(fromFiles.total).toBeGreaterThan(3 * fromLookup.total);
  }, 600_000);

  it('a key refused all year: every failed attempt counted alike, the newest 500 and the oldest listed', async () => {
    const clients = endpoint.clients();
    const key = await resolveKey(clients, 'alias/imagebuilder/workflows');
    const year = { days: 365 };
    const fromFiles = (await readCloudTrailFiles(dir, key.arn, { window: year, now: end })).summary!;
    const fromInsights = (await insightsKeyUsage(clients.logs('us-east-1'), target, key.arn, { window: year, now: end })).summary!;
    expect(fromFiles.failed).toBeGreaterThan(500);
    expect(fromFiles.failures).toHaveLength(500);
    expect(fromFiles.failuresOmitted).toBe(fromFiles.failed - 500);
    expect(comparable(fromInsights)).toEqual(comparable(fromFiles));
  }, 300_000);
});
