// One factory owns region, credentials, endpoint and retry for every client.

import { KMSClient } from '@aws-sdk/client-kms';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { STSClient } from '@aws-sdk/client-sts';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { KeywardenError } from '../domain/errors.js';
import { isThrottle } from './errors.js';
import { KMS_QUOTAS, OperationLimiter } from './rate-limit.js';
import { abortError, limiterFor, LOOKUP_EVENTS_PER_SECOND } from './usage.js';
import { assertEndpointIsSafe, makeClient } from './endpoint-guard.js';
import { isReadOperation } from './read-operations.js';
import { BudgetedRetryStrategy, shortBackoff, type RetryNotice } from './retry-budget.js';
import { AccountClock, SANDBOX_TIME_HEADER } from '../domain/clock.js';

export { isReadOperation } from './read-operations.js';

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/**
 * The read-only guard sits in the client itself, below every caller: a mutating command fails
 * here, before serialization, so no request leaves the process.
 */
function guardReadOnly<T>(client: T): T {
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      if (!isReadOperation(operation)) {
        throw new KeywardenError('read-only', `read-only mode: ${operation} was refused and not sent (run without --read-only to make changes)`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'keywardenReadOnlyGuard', priority: 'high' },
  );
  return client;
}

/**
 * Paces every attempt (retries included: the middleware sits inside the retry loop) to the
 * per-operation KMS quotas, and tells the limiter which attempts were throttled, so the pace
 * follows what other clients of the account leave. One limiter per client = per account and region.
 */
function paceToQuotas<T>(client: T, limiter: OperationLimiter): T {
  (client as unknown as { middlewareStack: { add(m: unknown, o: unknown): void } }).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const signal = callSignal(args);
      const sentAt = await limiter.takeAt(operation);
      // A call given up while it waited for its turn is not sent.
      if (signal?.aborted) throw abortError();
      try {
        const out = await (signal ? untilAborted(next(args), signal) : next(args));
        limiter.answered(operation);
        return out;
      } catch (error) {
        if (isThrottle(error)) limiter.throttled(operation, sentAt);
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'keywardenQuotaPacing', priority: 'low' },
  );
  return client;
}

/**
 * The abort signals of calls made through a client whose middleware is resolved once
 * (`cacheMiddleware`), by the command's input: such a call is sent without per-call options.
 */
const callSignals = new WeakMap<object, AbortSignal>();

function callSignal(args: unknown): AbortSignal | undefined {
  const input = (args as { input?: unknown }).input;
  return typeof input === 'object' && input !== null ? callSignals.get(input) : undefined;
}

/** `work`, or an AbortError as soon as `signal` aborts (the request itself then ends on its own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * KMS reads are many small calls (three or four per key, tens of thousands over an organization):
 * the client resolves its middleware once per command (the SDK's `cacheMiddleware`, made for
 * high-volume callers: aws/aws-sdk-js-v3#6423) instead of on every call. That cache is skipped by
 * a call given per-call options, so the only one keywarden gives, `abortSignal`, travels beside
 * the input instead: the pacing middleware stops a call that was given up before it is sent, and
 * gives up waiting for one in flight. Measured on 15,000 keys (bench/org.mjs): a quarter less CPU
 * and a quarter less peak memory.
 *
 * The calls of one command type then share one handler context, which the SDK's middleware writes
 * as a call goes. What it writes there for KMS (@smithy/core 3.41) is the same for every call of a
 * client: the endpoint and its auth schemes, the signing Region and service, feature flags, and the
 * identity chosen for signing — from the client's one memoized credential provider, which renews
 * credentials minutes before they expire, so a call that signs with the identity another call just
 * chose signs with valid credentials of the same session. The one write that grows (the retry
 * mode appended to the user agent) is made only by the SDK's older retry strategies, not by
 * keywarden's (a RetryStrategyV2). Commands with middleware of their own are never cached (below).
 */
function resolveMiddlewareOnce(client: KMSClient): KMSClient {
  type AnyCommand = { input: object; middlewareStack?: { identify?(): string[] } };
  const send = client.send.bind(client) as (command: AnyCommand, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
  const sendCached = (command: AnyCommand, options?: { abortSignal?: AbortSignal }) => {
    const { abortSignal, ...others } = options ?? {};
    // The cache is one handler per command class: a command with middleware of its own (a
    // change sent once, src/aws/retirement-send-once.ts) would get another command's. Changes,
    // such commands and calls with other options go through the SDK's per-call path (options given).
    const operation = command.constructor.name.replace(/Command$/, '');
    const ownMiddleware = (command.middlewareStack?.identify?.() ?? []).length > 0;
    if (Object.keys(others).length > 0 || ownMiddleware || !isReadOperation(operation)) return send(command, options ?? {});
    if (abortSignal) {
      if (abortSignal.aborted) return Promise.reject(abortError());
      callSignals.set(command.input, abortSignal);
    }
    return send(command);
  };
  (client as unknown as { send: typeof sendCached }).send = sendCached;
  return client;
}

/**
 * Keeps the account's clock current from every answer: a keywarden sandbox stamps each one with
 * its time (SANDBOX_TIME_HEADER). Innermost in the stack, so it sees the raw answer of every
 * attempt, errors included, before it is parsed.
 */
function followSandboxTime<T>(client: T, clock: AccountClock): T {
  (client as unknown as { middlewareStack: { add(m: unknown, o: unknown): void } }).middlewareStack.add(
    (next: (args: unknown) => Promise<{ response?: { headers?: Record<string, string | undefined> } }>) => async (args: unknown) => {
      const result = await next(args);
      const stamp = result.response?.headers?.[SANDBOX_TIME_HEADER];
      if (typeof stamp === 'string') clock.observe(stamp);
      return result;
    },
    { step: 'deserialize', name: 'keywardenSandboxTime', priority: 'low' },
  );
  return client;
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Credentials that expire: the SDK calls the provider again before `expiration` (its identity memoization). */
export type CredentialProvider = () => Promise<StaticCredentials & { expiration?: Date }>;

/**
 * A bound on requests in flight shared by many clients (several accounts × Regions): each attempt
 * waits for a slot before it is sent and gives it back when answered, so the sockets and requests
 * of the whole program stay under `max` however many accounts are read.
 */
export class InFlightCap {
  private active = 0;
  private waiting: Array<() => void> = [];
  constructor(readonly max: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
  get inFlight(): number {
    return this.active;
  }
}

function capInFlight<T>(client: T, cap: InFlightCap): T {
  (client as unknown as { middlewareStack: { add(m: unknown, o: unknown): void } }).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      await cap.acquire();
      try {
        return await next(args);
      } finally {
        cap.release();
      }
    },
    { step: 'finalizeRequest', name: 'keywardenInFlightCap', priority: 'low' },
  );
  return client;
}

export interface ConnectOptions {
  /** Regions to work in; empty = the region from the environment or profile. */
  regions: readonly string[];
  profile?: string;
  endpoint?: string;
  credentials?: StaticCredentials | CredentialProvider;
  /** Shared by every client of several accounts: a bound on requests in flight over all of them. */
  inFlight?: InFlightCap;
  /** SDK attempts per call (standard retry mode backs off on throttling). */
  maxAttempts?: number;
  /** Sockets per client; the inventory's concurrency stays below it. */
  maxSockets?: number;
  /** Per-attempt time limit for an answer (default 30 s); a hung request fails with TimeoutError and is retried. */
  requestTimeoutMs?: number;
  /** Allow signed requests over plain http:// to a non-loopback endpoint (--allow-insecure-endpoint). */
  allowInsecureEndpoint?: boolean;
  /** Refuse every mutating call before it leaves the process. */
  readOnly?: boolean;
  /** Time spent retrying errors other than throttling, per call (default SERVER_ERROR_RETRY_BUDGET_MS). */
  serverErrorRetryBudgetMs?: number;
  /**
   * The account's clock, kept current from the sandbox time every answer of a keywarden sandbox
   * carries. Only used with `endpoint`: against AWS's own endpoints the account's time is this
   * machine's. Default: a clock of its own.
   */
  accountClock?: AccountClock;
  /**
   * The endpoint's request quotas are AWS's × this (a keywarden sandbox started with the same
   * `quotaScale`, for tests that drive more load than an account allows): keywarden's own pacing
   * (KMS per operation, CloudTrail LookupEvents) follows. Default 1: AWS's quotas.
   */
  quotaScale?: number;
}

export interface Clients {
  readonly regions: readonly string[];
  readonly readOnly: boolean;
  kms(region: string): KMSClient;
  sts(): STSClient;
  /** CloudTrail, adaptive retry (LookupEvents allows 2 requests/s; aws/usage.ts paces to it). */
  cloudtrail(region: string): CloudTrailClient;
  /** CloudWatch Logs (metric filters on the trail's log group) and CloudWatch (alarms). */
  logs(region: string): CloudWatchLogsClient;
  cloudwatch(region: string): CloudWatchClient;
  /** Security Hub (`findings --import`: BatchImportFindings, 10 requests/s with a burst of 30). */
  securityHub(region: string): SecurityHubClient;
  /** S3 (a trail's bucket), following the bucket's Region when it is not `region`; path-style against --endpoint-url. */
  s3(region: string): S3Client;
  /** The account's time: the sandbox's clock when the endpoint is a keywarden sandbox, else this machine's. */
  now(): Date;
  /** Calls `listener` whenever a call is retried after an error that is not throttling; returns the unsubscribe. */
  onRetry(listener: (notice: RetryNotice) => void): () => void;
  /**
   * Requests per second this KMS operation is paced at now in `region`: its quota, lower while
   * the account's other clients leave less (src/aws/rate-limit.ts OperationLimiter); undefined
   * when the operation is not paced.
   */
  kmsPace?(region: string, operation: string): number | undefined;
  destroy(): void;
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

export function isValidRegionName(region: string): boolean {
  return REGION_PATTERN.test(region);
}

/**
 * Rejects a malformed endpoint URL before any client is built, and plain http:// to a host other
 * than this machine unless `allowInsecure` (src/aws/endpoint-guard.ts).
 */
export function parseEndpoint(endpoint: string, options: { allowInsecure?: boolean } = {}): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new KeywardenError('usage', `--endpoint-url "${endpoint}" is not a URL (expected e.g. http://127.0.0.1:4566)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KeywardenError('usage', `--endpoint-url "${endpoint}" must be http:// or https://`);
  }
  assertEndpointIsSafe(url, options);
  return url;
}

/** Works out the regions to use: flags, then AWS_REGION / AWS_DEFAULT_REGION, then the profile's region. */
export async function resolveRegions(options: Pick<ConnectOptions, 'regions' | 'profile'>): Promise<string[]> {
  const regions = [...new Set(options.regions)];
  for (const region of regions) {
    if (!isValidRegionName(region)) {
      throw new KeywardenError('usage', `"${region}" is not an AWS region name (expected e.g. us-east-1)`);
    }
  }
  if (regions.length > 0) return regions;
  const fromEnv = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return resolveRegions({ regions: [fromEnv] });
  const probe = makeClient(STSClient, options.profile ? { profile: options.profile } : {});
  try {
    const region = await probe.config.region();
    return resolveRegions({ regions: [region] });
  } catch {
    throw new KeywardenError(
      'usage',
      'no AWS region set: pass --region, set AWS_REGION, or set a region in your profile',
    );
  } finally {
    probe.destroy();
  }
}

/**
 * What every AWS client keywarden makes shares, whatever its service: the profile, the endpoint
 * (checked: see parseEndpoint), credentials, standard retries, timeouts and sockets.
 */
export function sharedClientConfig(options: Omit<ConnectOptions, 'regions' | 'readOnly' | 'inFlight'>) {
  const endpoint = options.endpoint ? parseEndpoint(options.endpoint, { allowInsecure: options.allowInsecureEndpoint ?? false }).toString().replace(/\/$/, '') : undefined;
  const agent = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  return {
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? 8,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: options.requestTimeoutMs ?? 30_000, throwOnRequestTimeout: true, httpAgent: agent, httpsAgent: agent },
  } as const;
}

export function createClients(options: ConnectOptions & { regions: readonly string[] }): Clients {
  const common = sharedClientConfig(options);
  const made: Array<{ destroy(): void }> = [];
  const clock = options.accountClock ?? new AccountClock();
  const build: typeof makeClient = (Client, config) => makeClient(Client, config, { allowInsecure: options.allowInsecureEndpoint ?? false });
  /** One client per region, built on first use (makeClient: endpoint guarded) with the read-only guard when asked for. */
  const perRegion = <T extends { destroy(): void }>(make: (region: string) => T): ((region: string) => T) => {
    const byRegion = new Map<string, T>();
    return (region) => {
      let client = byRegion.get(region);
      if (!client) {
        client = make(region);
        if (options.readOnly) guardReadOnly(client);
        if (options.endpoint) followSandboxTime(client, clock);
        if (options.inFlight) capInFlight(client, options.inFlight);
        byRegion.set(region, client);
        made.push(client);
      }
      return client;
    };
  };
  const firstRegion = options.regions[0];
  if (!firstRegion) throw new KeywardenError('validation', 'no region to connect to');
  // KMS: requests are already paced to the per-operation quotas, so a throttled call backs off
  // briefly (100 ms doubling to 3 s, with jitter) instead of the SDK's 0.5–20 s throttling curve.
  // Server errors (5xx, an unreadable answer, a reset) are retried for a few seconds in all, not
  // eight times over half a minute (src/aws/retry-budget.ts).
  const retryListeners = new Set<(notice: RetryNotice) => void>();
  const notify = (notice: RetryNotice) => {
    for (const listener of retryListeners) listener(notice);
  };
  const retry = () => new BudgetedRetryStrategy(options.maxAttempts ?? 8, shortBackoff, options.serverErrorRetryBudgetMs, undefined, notify);
  const scale = options.quotaScale ?? 1;
  const quotas = scale === 1 ? KMS_QUOTAS : Object.fromEntries(Object.entries(KMS_QUOTAS).map(([op, rate]) => [op, rate * scale]));
  const limiters = new Map<string, OperationLimiter>();
  const kms = perRegion((region) => {
    const limiter = new OperationLimiter(quotas);
    limiters.set(region, limiter);
    return resolveMiddlewareOnce(paceToQuotas(build(KMSClient, { ...common, region, retryStrategy: retry(), cacheMiddleware: true }), limiter));
  });
  const cloudtrail = perRegion((region) => {
    const client = build(CloudTrailClient, { ...common, region, retryMode: 'adaptive', maxAttempts: options.maxAttempts ?? 5 });
    if (scale !== 1) limiterFor(client, LOOKUP_EVENTS_PER_SECOND * scale);
    return client;
  });
  const logs = perRegion((region) => build(CloudWatchLogsClient, { ...common, region, retryStrategy: retry() }));
  const cloudwatch = perRegion((region) => build(CloudWatchClient, { ...common, region, retryStrategy: retry() }));
  const sts = perRegion((region) => build(STSClient, { ...common, region, retryStrategy: retry() }));
  const securityHub = perRegion((region) => build(SecurityHubClient, { ...common, region, retryStrategy: retry() }));
  // A custom endpoint has no `<bucket>.<host>` names to resolve: address buckets in the path there.
  const s3 = perRegion((region) => build(S3Client, { ...common, region, forcePathStyle: common.endpoint !== undefined, followRegionRedirects: true, retryStrategy: retry() }));
  return {
    regions: options.regions,
    readOnly: options.readOnly ?? false,
    kms,
    cloudtrail,
    logs,
    cloudwatch,
    securityHub,
    s3,
    sts: () => sts(firstRegion),
    now: () => clock.now(),
    onRetry(listener) {
      retryListeners.add(listener);
      return () => retryListeners.delete(listener);
    },
    kmsPace(region, operation) {
      kms(region);
      return limiters.get(region)?.rate(operation);
    },
    destroy() {
      for (const client of made) client.destroy();
    },
  };
}
