// One CloudTrail log file (`{"Records":[…]}`, gzipped as a trail delivers it, or plain), read as a
// stream: the gunzipped bytes go through a splitter that finds each record's bytes without parsing
// the rest, and only records that mention the key are parsed. Memory is one decompressed chunk
// plus the record being read, however large the file. Runs in the worker threads of
// src/aws/log-objects.ts (and in-process when asked for no workers).

import { createGunzip } from 'node:zlib';
import { parseCloudTrailRecord, UsageAccumulator } from '../domain/usage.js';

/** What to count: one key by ARN, or every key whose ARN ends in `:key/<id>` (a key id given alone). */
export interface KeyMatch {
  keyArn?: string;
  keyId?: string;
  /** Window bounds (ms, inclusive); records outside are read but not counted. */
  start?: number;
  end?: number;
}

export type FileOutcome =
  | { ok: true; records: number; jsonBytes: number; firstMs: number; lastMs: number; accumulators: Map<string, UsageAccumulator> }
  | { ok: false; reason: string; jsonBytes: number };

class NotCloudTrail extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Splits `{"Records":[{…},{…}]}` into the bytes of each record, chunk by chunk. It tracks strings
 * and nesting only; each record is parsed (when it matters) by JSON.parse. Anything else at the
 * top level — another document, a digest file, a truncated array — is refused.
 */
export class RecordSplitter {
  private phase: 'prefix' | 'array' | 'record' | 'suffix' | 'done' = 'prefix';
  private prefix = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private carry: Buffer[] = [];
  private expectComma = false;

  constructor(private readonly onRecord: (bytes: Buffer) => void) {}

  feed(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    let recordStart = this.phase === 'record' ? 0 : -1;
    while (i < n) {
      if (this.phase === 'record') {
        // The hot loop: strings and nesting inside one record. Most bytes are inside strings,
        // which are skipped to their closing quote by indexOf (memchr) rather than byte by byte.
        let depth = this.depth;
        let inString = this.inString;
        let escaped = this.escaped;
        let ended = false;
        for (; i < n; i += 1) {
          if (inString) {
            let j = i;
            if (escaped) {
              escaped = false;
              j += 1;
            }
            for (;;) {
              if (j >= n) break;
              const c = chunk[j]!;
              if (c === QUOTE) break;
              j += c === BACKSLASH ? 2 : 1;
            }
            if (j >= n) {
              // The string goes on in the next chunk (its first byte escaped when j passed the end).
              escaped = j > n;
              i = n;
              break;
            }
            inString = false;
            i = j;
            continue;
          }
          const c = chunk[i]!;
          if (c === QUOTE) inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
          else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            depth -= 1;
            if (depth === 0) {
              ended = true;
              i += 1;
              break;
            }
          }
        }
        this.depth = depth;
        this.inString = inString;
        this.escaped = escaped;
        if (!ended) {
          this.carry.push(chunk.subarray(recordStart, n));
          return;
        }
        const tail = chunk.subarray(recordStart, i);
        const bytes = this.carry.length > 0 ? Buffer.concat([...this.carry, tail]) : tail;
        this.carry = [];
        this.phase = 'array';
        this.expectComma = true;
        this.onRecord(bytes);
        continue;
      }
      const c = chunk[i]!;
      if (this.phase === 'prefix') {
        if (c === OPEN_BRACKET) {
          if (!/^\s*\{\s*"Records"\s*:\s*$/.test(this.prefix)) throw new NotCloudTrail('not a CloudTrail log file (no "Records" array)');
          this.phase = 'array';
        } else {
          this.prefix += String.fromCharCode(c);
          if (this.prefix.length > 64) throw new NotCloudTrail('not a CloudTrail log file (no "Records" array)');
        }
      } else if (this.phase === 'array') {
        if (isSpace(c)) {
          // between records
        } else if (c === COMMA && this.expectComma) this.expectComma = false;
        else if (c === OPEN_BRACE && !this.expectComma) {
          this.phase = 'record';
          this.depth = 1;
          this.inString = false;
          this.escaped = false;
          recordStart = i;
        } else if (c === CLOSE_BRACKET) this.phase = 'suffix';
        else throw new NotCloudTrail(`bad JSON: unexpected "${String.fromCharCode(c)}" between records`);
      } else if (this.phase === 'suffix') {
        // CloudTrail writes no member after "Records"; anything but the closing brace is refused.
        if (c === CLOSE_BRACE) this.phase = 'done';
        else if (!isSpace(c)) throw new NotCloudTrail(`bad JSON: unexpected "${String.fromCharCode(c)}" after the records`);
      } else if (!isSpace(c)) throw new NotCloudTrail(`bad JSON: "${String.fromCharCode(c)}" after the end of the document`);
      i += 1;
    }
    // A record that opened on this chunk's last byte goes on in the next one.
    if (this.phase === 'record' && recordStart >= 0) this.carry.push(chunk.subarray(recordStart, n));
  }

  /** Throws unless the document ended where it should. */
  finish(): void {
    if (this.phase === 'prefix') throw new NotCloudTrail(this.prefix.trim() === '' ? 'empty file' : 'not a CloudTrail log file (no "Records" array)');
    if (this.phase !== 'done') throw new NotCloudTrail('bad JSON: the document ends before its records do (truncated)');
  }
}

const EVENT_TIME = Buffer.from('"eventTime":"');

/** The records of one log file counted into accumulators (one per matching key ARN). */
export async function readLogBytes(bytes: Uint8Array, match: KeyMatch): Promise<FileOutcome> {
  const needle = Buffer.from(match.keyArn ?? `:key/${match.keyId ?? ''}`);
  const accumulators = new Map<string, UsageAccumulator>();
  const accumulatorFor = (arn: string) => {
    let found = accumulators.get(arn);
    if (!found) accumulators.set(arn, (found = new UsageAccumulator({ keyArn: arn, ...(match.start !== undefined ? { start: match.start } : {}), ...(match.end !== undefined ? { end: match.end } : {}) })));
    return found;
  };
  const idSuffix = match.keyId ? `:key/${match.keyId}` : undefined;
  let records = 0;
  let jsonBytes = 0;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  const onRecord = (record: Buffer) => {
    records += 1;
    if (record.indexOf(needle) === -1) {
      // Not this key's: only its time is read (the span of the evidence).
      const at = record.indexOf(EVENT_TIME);
      if (at >= 0) {
        const ms = Date.parse(record.toString('latin1', at + EVENT_TIME.length, at + EVENT_TIME.length + 20));
        if (ms < firstMs) firstMs = ms;
        if (ms > lastMs) lastMs = ms;
      }
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(record.toString('utf8'));
    } catch (error) {
      throw new NotCloudTrail(`bad JSON in record ${records}: ${(error as Error).message}`);
    }
    const event = parseCloudTrailRecord(raw);
    if (!event) return;
    if (event.timeMs < firstMs) firstMs = event.timeMs;
    if (event.timeMs > lastMs) lastMs = event.timeMs;
    if (match.keyArn) accumulatorFor(match.keyArn).add(event);
    else for (const arn of event.keyArns) if (idSuffix && arn.endsWith(idSuffix)) accumulatorFor(arn).add(event);
  };
  const splitter = new RecordSplitter(onRecord);
  const feed = (chunk: Buffer) => {
    jsonBytes += chunk.length;
    splitter.feed(chunk);
  };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buffer[0] === 0x1f && buffer[1] === 0x8b) await gunzipInto(buffer, feed);
    else for (let at = 0; at < buffer.length; at += 256 * 1024) feed(buffer.subarray(at, Math.min(buffer.length, at + 256 * 1024)));
    splitter.finish();
  } catch (error) {
    return { ok: false, reason: error instanceof NotCloudTrail ? error.message : `truncated or corrupt gzip (${(error as Error).message})`, jsonBytes };
  }
  return { ok: true, records, jsonBytes, firstMs, lastMs, accumulators };
}

/** Gunzips `bytes` (every member, as gunzip does) into `feed`, a chunk at a time. */
function gunzipInto(bytes: Buffer, feed: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    let failed = false;
    gunzip.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        feed(chunk);
      } catch (error) {
        failed = true;
        gunzip.destroy();
        reject(error as Error);
      }
    });
    gunzip.on('error', (error) => {
      if (!failed) reject(error);
      failed = true;
    });
    gunzip.on('end', () => {
      if (!failed) resolve();
    });
    gunzip.end(bytes);
  });
}
