// A key's CloudTrail events: LookupEvents by ResourceName = key ARN, newest first, paced to the
// 2-requests-per-second quota (KMS.md §6.2) by a limiter shared per client, slowing down when AWS
// still answers ThrottlingException (the client itself retries in adaptive mode), reported page by
// page, stoppable. Events become domain UsageEvents here; nothing above sees an SDK type.

import { LookupEventsCommand, type CloudTrailClient, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { parseCloudTrailRecord, windowRange, type UsageEvent, type UsageLoadState, type UsageProgress, type UsageRequest } from '../domain/usage.js';
import { toDomainError } from './errors.js';

/** LookupEvents quota per account per Region. */
export const LOOKUP_EVENTS_PER_SECOND = 2;
const PAGE_SIZE = 50;
/** Extra tries after the SDK's own retries gave up on ThrottlingException. */
const THROTTLE_TRIES = 6;

export function abortError(): Error {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** Waits `ms`, or rejects with an AbortError when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Spaces calls evenly at `perSecond` (no bursts, so a second reader in the same process shares
 * the quota instead of doubling it); `slowDown()` stretches the interval after a throttle and
 * each success wins a little of it back.
 */
export class RateLimiter {
  private next = 0;
  private factor = 1;
  constructor(readonly perSecond: number) {}

  get interval(): number {
    return (1000 / this.perSecond) * this.factor;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + this.interval;
    if (at > now) await sleep(at - now, signal);
  }

  slowDown(): void {
    this.factor = Math.min(8, this.factor * 2);
    this.next = Math.max(this.next, performance.now() + this.interval);
  }

  succeeded(): void {
    this.factor = Math.max(1, this.factor * 0.8);
  }
}

const limiters = new WeakMap<CloudTrailClient, RateLimiter>();

/** The limiter of one CloudTrail client (one account and region). */
export function limiterFor(client: CloudTrailClient, perSecond = LOOKUP_EVENTS_PER_SECOND): RateLimiter {
  let limiter = limiters.get(client);
  if (!limiter) limiters.set(client, (limiter = new RateLimiter(perSecond)));
  return limiter;
}

function isThrottle(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'ThrottlingException' || name === 'Throttling' || name === 'TooManyRequestsException';
}

export interface LookupOptions extends UsageRequest {
  /** The window ends here (default: now). */
  now?: Date;
  /** Default: the client's shared limiter at 2 per second. */
  limiter?: RateLimiter;
}

/**
 * Reads every event of the key in the window, newest first, calling `onProgress` after each page.
 * When `signal` aborts, resolves with what was read (`progress.stopped`). Other failures throw
 * domain errors.
 */
export async function lookupKeyEvents(client: CloudTrailClient, keyArn: string, options: LookupOptions, signal?: AbortSignal): Promise<UsageLoadState> {
  const limiter = options.limiter ?? limiterFor(client);
  const { start, end } = windowRange(options.window, options.now ?? new Date());
  const events: UsageEvent[] = [];
  const seen = new Set<string>();
  const progress: UsageProgress = { source: 'cloudtrail', pages: 0, events: 0, throttled: 0, requestsPerSecond: limiter.perSecond, done: false, stopped: false };
  const state = (): UsageLoadState => ({ keyArn, window: options.window, events: [...events], progress: { ...progress } });
  let token: string | undefined;
  try {
    do {
      let page: LookupEventsCommandOutput | undefined;
      for (let attempt = 0; page === undefined; attempt += 1) {
        await limiter.acquire(signal);
        try {
          page = await client.send(
            new LookupEventsCommand({
              LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }],
              StartTime: start,
              EndTime: end,
              MaxResults: PAGE_SIZE,
              ...(token ? { NextToken: token } : {}),
            }),
            { abortSignal: signal },
          );
          limiter.succeeded();
        } catch (error) {
          if (signal?.aborted) throw abortError();
          if (!isThrottle(error) || attempt >= THROTTLE_TRIES) throw error;
          progress.throttled += 1;
          limiter.slowDown();
          // Back off by whole quota intervals: whatever the limiter thought, AWS's bucket is empty.
          await sleep(Math.min(4000, (1000 / LOOKUP_EVENTS_PER_SECOND) * 2 ** attempt), signal);
        }
      }
      for (const item of page.Events ?? []) {
        const event = parseCloudTrailRecord(item.CloudTrailEvent);
        if (!event || seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        events.push(event);
      }
      progress.pages += 1;
      progress.events = events.length;
      const oldest = events.at(-1)?.time;
      if (oldest) progress.oldest = oldest;
      token = page.NextToken;
      progress.done = !token;
      options.onProgress?.(state());
    } while (token);
  } catch (error) {
    if (signal?.aborted || (error as Error).name === 'AbortError') {
      progress.stopped = true;
      return state();
    }
    throw toDomainError(error, `LookupEvents for ${keyArn}`);
  }
  return state();
}
