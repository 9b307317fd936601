// Retries with a time budget. A throttled call is retried as long as attempts remain (the
// request pacing makes throttles rare, and giving up on them loses data); an endpoint that keeps
// failing (HTTP 5xx, a proxy's error page, a reset connection) gets retries only for a few
// seconds in all, so a broken endpoint fails in seconds with a clear message instead of
// eight attempts with growing back-off (a 4-key list took 12 s).

import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import { networkErrorSentence } from './errors.js';

/** Default time spent retrying errors that are not throttling, per call. */
export const SERVER_ERROR_RETRY_BUDGET_MS = 4_000;

/** A retry of an error that is not throttling, as the operator is told about it. */
export interface RetryNotice {
  /** What happened, as a sentence: "the endpoint answered HTTP 500", "the host name could not be resolved (ENOTFOUND)". */
  reason: string;
  /** The attempt about to be made (2 = the first retry). */
  attempt: number;
  delayMs: number;
  budgetMs: number;
}

/** What went wrong, in the terms an operator can check: the HTTP status, else the error's name or code. */
export function retryReason(error: unknown): string {
  const e = error as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number }; code?: string; name?: string } | undefined;
  const status = e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode;
  if (typeof status === 'number' && status >= 400) return `the endpoint answered HTTP ${status}`;
  // No endpoint answered a request that could not be sent (a name that does not resolve, a refused connection).
  const network = networkErrorSentence(error);
  if (network) return network;
  if (e?.name === 'TimeoutError' || e?.code === 'TimeoutError') return 'the endpoint did not answer in time';
  return `the endpoint answered ${e?.code ?? e?.name ?? 'an error'}`;
}

export class BudgetedRetryStrategy extends ConfiguredRetryStrategy {
  private readonly started = new WeakMap<StandardRetryToken, number>();

  constructor(
    maxAttempts: number,
    backoff: (attempt: number) => number,
    private readonly budgetMs: number = SERVER_ERROR_RETRY_BUDGET_MS,
    private readonly clock: () => number = () => performance.now(),
    private readonly onRetry?: (notice: RetryNotice) => void,
  ) {
    super(maxAttempts, backoff);
  }

  override async acquireInitialRetryToken(scope: string): Promise<StandardRetryToken> {
    const token = await super.acquireInitialRetryToken(scope);
    this.started.set(token, this.clock());
    return token;
  }

  override async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    const start = this.started.get(token) ?? this.clock();
    const next = await super.refreshRetryTokenForRetry(token, errorInfo);
    // Throwing here makes the SDK give up and report the last error it got.
    if (errorInfo.errorType !== 'THROTTLING' && this.clock() - start + next.getRetryDelay() > this.budgetMs) {
      throw new Error('retry budget for server errors used up');
    }
    this.started.set(next, start);
    if (errorInfo.errorType !== 'THROTTLING') {
      this.onRetry?.({ reason: retryReason(errorInfo.error), attempt: next.getRetryCount() + 1, delayMs: next.getRetryDelay(), budgetMs: this.budgetMs });
    }
    return next;
  }
}

/** 100 ms doubling to 3 s, with jitter: requests are already paced to the quotas. */
export function shortBackoff(attempt: number): number {
  return Math.min(3_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
}
