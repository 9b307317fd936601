// The trail's log files in its S3 bucket, in AWS's layout (AWS CloudTrail User Guide, "Finding your
// CloudTrail log files" and "CloudTrail log file examples", docs.aws.amazon.com/awscloudtrail/
// latest/userguide/cloudtrail-log-file-examples.html):
//
//   <S3KeyPrefix>/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
//     <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<UniqueString>.json.gz
//
// "YYYY, MM, DD, HH, and mm are the digits of the year, month, day, hour, and minute when the log
// file was delivered … A log file delivered at a specific time can contain records written at any
// point before that time. The 16-character UniqueString … has no meaning." The body is gzipped
// JSON, `{"Records": [...]}`.
//
// The sandbox's trail delivers every five minutes of sandbox time: the file delivered at T (a
// multiple of five minutes) holds the events of one Region in [T − 5 min, T), and sits in the
// folder of T's day. Nothing is stored: the files are rendered from the trail's events (the
// seeded history, the seeded uses and the live events — exactly what LookupEvents reads), so the
// bucket and LookupEvents agree. A file is visible once its delivery time has come. Files of a day
// whose deliveries are all past are cached per trail; they do not change afterwards, except that
// live events the trail's cap (LIVE_EVENT_LIMIT) drops leave the files too, as they leave
// LookupEvents. Events the trail did not deliver (StopLogging, event selectors) are in no file.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { HISTORY_MS, TRAIL_HOME_REGION, TRAIL_KEY_PREFIX, type CloudTrailRecord, type TimedRecord, type Trail } from './cloudtrail.js';
import { historyEvents } from './workloads.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How often the trail delivers a file per Region ("about every 5 minutes"). */
export const DELIVERY_INTERVAL_MS = 5 * MINUTE;

/** One delivered log file. */
export interface LogFile {
  key: string;
  region: string;
  /** Delivery time (epoch ms): the file name's minute, and its LastModified. */
  deliveredAt: number;
  records: CloudTrailRecord[];
  body: Buffer;
  /** `"<md5 hex>"`, as S3 gives a single-part upload. */
  etag: string;
}

interface DayFiles {
  /** Every delivery of the day had happened when these were rendered. */
  complete: boolean;
  files: LogFile[];
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * `AWSLogs/<account>/CloudTrail/` under the trail's prefix; for an organization trail
 * `AWSLogs/<org-id>/<account>/CloudTrail/` (CloudTrail User Guide, "Creating a trail for an
 * organization").
 */
export function logsRoot(trail: Trail): string {
  const org = trail.organizationId ? `${trail.organizationId}/` : '';
  return `${TRAIL_KEY_PREFIX}/AWSLogs/${org}${trail.store.account}/CloudTrail/`;
}

function regionDir(trail: Trail, region: string): string {
  return `${logsRoot(trail)}${region}/`;
}

/** The folder of one Region's day: `…/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`. */
export function dayDir(trail: Trail, region: string, dayStart: number): string {
  const d = new Date(dayStart);
  return `${regionDir(trail, region)}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/`;
}

const UNIQUE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The 16-character UniqueString of a file: deterministic, meaningless. */
function uniqueString(seed: string): string {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < 16; i += 1) out += UNIQUE_ALPHABET[bytes[i]! % UNIQUE_ALPHABET.length];
  return out;
}

/** `<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<UniqueString>.json.gz` */
export function logFileName(account: string, region: string, deliveredAt: number, unique: string): string {
  const d = new Date(deliveredAt);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
  return `${account}_CloudTrail_${region}_${stamp}_${unique}.json.gz`;
}

/** The last delivery at or before `now`. */
export function lastDelivery(now: number): number {
  return Math.floor(now / DELIVERY_INTERVAL_MS) * DELIVERY_INTERVAL_MS;
}

/** Regions whose events may be in the bucket: every Region with keys, and every Region of a live event. */
function regionsOf(trail: Trail): string[] {
  const regions = new Set<string>([TRAIL_HOME_REGION]);
  for (const key of trail.store.state.keys) regions.add(key.region);
  for (const entry of trail.liveEvents()) regions.add(entry.record.awsRegion);
  // Folder order: `<region>/` compared as S3 compares keys (UTF-8 bytes; Region names are ASCII).
  return [...regions].sort((a, b) => (`${a}/` < `${b}/` ? -1 : `${a}/` > `${b}/` ? 1 : 0));
}

/** The first day that can hold a file: the history starts a year and a day before the seed time. */
function firstDay(trail: Trail): number {
  const oldestLive = trail.liveEvents()[0]?.time ?? Infinity;
  return Math.floor(Math.min(trail.seededAt - HISTORY_MS, oldestLive) / DAY) * DAY;
}

function byTimeThenId(a: TimedRecord, b: TimedRecord): number {
  if (a.time !== b.time) return a.time - b.time;
  if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
  if (a.seq !== undefined) return 1;
  if (b.seq !== undefined) return -1;
  return a.record.eventID < b.record.eventID ? -1 : a.record.eventID > b.record.eventID ? 1 : 0;
}

/** The files delivered for one Region into one day's folder, up to `now`. */
export function dayFiles(trail: Trail, region: string, dayStart: number, now: number): LogFile[] {
  const cacheKey = `${trail.seededAt}/${region}/${dayStart}`;
  const cached = trail.deliveryCache.get(cacheKey) as DayFiles | undefined;
  if (cached?.complete) return cached.files;
  const delivered = lastDelivery(now);
  // Deliveries in this folder: T in [dayStart + 5 min, dayStart + 1 day] would be wrong at midnight:
  // the file delivered at 00:00 belongs to the new day. So T in [dayStart, dayStart + 1 day).
  const from = dayStart - DELIVERY_INTERVAL_MS; // events of the delivery at dayStart
  const to = Math.min(dayStart + DAY - DELIVERY_INTERVAL_MS, delivered) - 1; // inclusive
  const slots = new Map<number, TimedRecord[]>();
  const take = (entry: TimedRecord) => {
    if (entry.time < from || entry.time > to || entry.record.awsRegion !== region || entry.delivered === false) return;
    const at = Math.floor(entry.time / DELIVERY_INTERVAL_MS) * DELIVERY_INTERVAL_MS + DELIVERY_INTERVAL_MS;
    let list = slots.get(at);
    if (!list) slots.set(at, (list = []));
    list.push(entry);
  };
  if (to >= from) {
    for (const entry of historyEvents(trail, { region, from, to })) take(entry);
    for (const entry of trail.liveEvents()) take(entry);
  }
  const files: LogFile[] = [...slots.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([deliveredAt, entries]) => {
      const records = entries.sort(byTimeThenId).map((e) => e.record);
      const body = gzipSync(Buffer.from(JSON.stringify({ Records: records })));
      const name = logFileName(trail.store.account, region, deliveredAt, uniqueString(`${trail.seededAt}/${region}/${deliveredAt}`));
      return { key: `${dayDir(trail, region, dayStart)}${name}`, region, deliveredAt, records, body, etag: `"${createHash('md5').update(body).digest('hex')}"` };
    });
  const complete = dayStart + DAY - DELIVERY_INTERVAL_MS <= delivered;
  if (trail.deliveryCache.size > 5_000) trail.deliveryCache.clear();
  trail.deliveryCache.set(cacheKey, { complete, files } satisfies DayFiles);
  return files;
}

/** Whether a folder may hold keys that start with `prefix` and come after `after`. */
function mayHold(dir: string, prefix: string, after: string): boolean {
  if (!(dir.startsWith(prefix) || prefix.startsWith(dir))) return false;
  // Every key under `dir` is at or before `after` when `after` sorts past the whole folder.
  if (after > dir && !after.startsWith(dir)) return false;
  return true;
}

/** The bucket's files in key order, those starting with `prefix` and after `after`. */
export function* listLogFiles(trail: Trail, now: number, prefix: string, after: string): Generator<LogFile> {
  const lastDay = Math.floor(now / DAY) * DAY;
  for (const region of regionsOf(trail)) {
    if (!mayHold(regionDir(trail, region), prefix, after)) continue;
    for (let day = firstDay(trail); day <= lastDay; day += DAY) {
      if (!mayHold(dayDir(trail, region, day), prefix, after)) continue;
      for (const file of dayFiles(trail, region, day, now)) {
        if (file.key > after && file.key.startsWith(prefix)) yield file;
      }
    }
  }
}

/** The file at `key`, when it has been delivered. */
export function logFileAt(trail: Trail, now: number, key: string): LogFile | undefined {
  const root = logsRoot(trail);
  if (!key.startsWith(root)) return undefined;
  const match = /^([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+$/.exec(key.slice(root.length));
  if (!match) return undefined;
  const dayStart = Date.UTC(Number(match[2]), Number(match[3]) - 1, Number(match[4]));
  if (!Number.isFinite(dayStart) || dayDir(trail, match[1]!, dayStart) !== key.slice(0, key.lastIndexOf('/') + 1)) return undefined;
  if (dayStart > now) return undefined;
  return dayFiles(trail, match[1]!, dayStart, now).find((file) => file.key === key);
}
