// Send once, adopt the lost answer. A state-changing KMS call whose resend is not harmless
// (DisableKey, EnableKey, ScheduleKeyDeletion, CancelKeyDeletion) is sent once: the SDK resends when an answer is lost,
// and before each resend the key is read again — when it already is in the state the call
// produces, the resend is not made (the first attempt reached AWS; a resend would only fail with
// "… is pending deletion", a failed call on this key that the alarm and CloudTrail would take for a
// use). After a failure the caller reads the key once more and adopts what AWS shows
// (src/domain/retirement-observation.ts `reachedAws`), never sending the call again.

import type { KMSClient } from '@aws-sdk/client-kms';
import { KeywardenError } from '../domain/errors.js';
import type { KeyMetadata } from '../domain/key.js';
import { toDomainError } from './errors.js';
import { describeKey } from './kms-reads.js';

/** Thrown inside the SDK's retry loop to stop a resend: not retryable, unwrapped by `sendOnce`. */
class AlreadyApplied extends Error {
  constructor(
    readonly state: string,
    readonly firstError: unknown,
  ) {
    super(`the key is already ${state}: an earlier attempt of this request reached AWS; not sent again`);
    this.name = 'KeywardenAlreadyApplied';
  }
}

/**
 * Sends `command` on `kms` for the key `key`; before a resend, reads the key and stops when
 * `done(state)` says the first attempt already did it. The caller sees why the first attempt got
 * no answer.
 */
export async function sendOnce<O>(
  kms: KMSClient,
  key: { arn: string; region: string },
  command: { middlewareStack: { add: (...args: never[]) => void } },
  done: (state: string) => boolean,
): Promise<O> {
  let attempts = 0;
  let lastError: unknown;
  const guard =
    (next: (args: unknown) => Promise<unknown>) =>
    async (args: unknown): Promise<unknown> => {
      attempts += 1;
      if (attempts > 1) {
        const meta = await describeKey(kms, key.arn, key.region).catch(() => undefined);
        if (meta && done(meta.state)) throw new AlreadyApplied(meta.state, lastError);
      }
      try {
        return await next(args);
      } catch (error) {
        lastError = error;
        throw error;
      }
    };
  (command.middlewareStack.add as (mw: unknown, options: unknown) => void)(guard, { step: 'deserialize', priority: 'high', name: 'keywardenRereadBeforeResend' });
  try {
    return (await kms.send(command as never)) as O;
  } catch (error) {
    // The caller sees why the first attempt got no answer; the re-read after the failure adopts it.
    if (error instanceof AlreadyApplied) throw error.firstError ?? error;
    throw error;
  }
}

/** The key as it is now, after a failed step; undefined when it cannot be read either. */
export async function rereadAfterFailure(kms: KMSClient, key: { arn: string; region: string }): Promise<KeyMetadata | undefined> {
  return describeKey(kms, key.arn, key.region).catch(() => undefined);
}

/** The failure of a call whose outcome was adopted (or could not be learnt), with what keywarden did about it. */
export function adoptedError(error: unknown, note: string): KeywardenError {
  const domain = toDomainError(error);
  return new KeywardenError(domain.kind, `${domain.message}. ${note}`, { ...(domain.code ? { code: domain.code } : {}), ...(domain.requestId ? { requestId: domain.requestId } : {}), cause: error });
}

/** What keywarden says when it could not re-read the key to learn whether the call reached AWS. */
export const UNKNOWN_OUTCOME = 'keywarden could not re-read the key to see whether the request reached AWS: run keywarden retire status before trying again';
