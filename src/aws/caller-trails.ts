// With several accounts, the other accounts' trails for one key: LookupEvents with ResourceName =
// the key ARN in the key's Region, through each account's read clients, side by side (each account
// and Region has its own 2-requests-per-second quota, KMS.md §6.2, and lookupKeyEvents paces each
// client to it), over the usage window capped to LookupEvents' 90 days. AWS logs a cross-account
// call refused for access only in the caller's account (KMS developer guide, "Logging AWS KMS API
// calls with AWS CloudTrail"); src/domain/caller-trails.ts adds those calls to the outside groups.
// An account whose trail cannot be read (no role, suspended, CloudTrail refused) is reported with
// the reason; the others are read.

import { callerTrailWindow, type CallerTrailRead, type CallerTrails } from '../domain/caller-trails.js';
import { describeError } from '../domain/errors.js';
import { windowDays, type UsageWindow } from '../domain/usage.js';
import type { AccountHandle } from './org.js';

export interface CallerTrailOptions {
  window: UsageWindow;
  now: Date;
  /** Told as each account's trail is read. */
  onAccount?: (read: CallerTrailRead) => void;
}

/** Reads every account of `accounts` other than the key's for the key's records. */
export async function readCallerTrails(accounts: readonly AccountHandle[], key: { arn: string; region: string }, options: CallerTrailOptions, signal?: AbortSignal): Promise<CallerTrails> {
  const owner = /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(key.arn)?.[1];
  const { window, range, capped } = callerTrailWindow(options.window, options.now);
  const { lookupKeyEvents } = await import('./usage.js');
  const others = accounts.filter((account) => account.id !== owner);
  const reads = await Promise.all(
    others.map(async (account): Promise<CallerTrailRead> => {
      const label = { accountId: account.id, ...(account.name ? { accountName: account.name } : {}) };
      let read: CallerTrailRead;
      if (!account.clients || account.error) {
        read = { ...label, status: 'unreadable', reason: account.error ?? 'no credentials for this account', pages: 0 };
      } else {
        let pages = 0;
        try {
          const loaded = await lookupKeyEvents(
            account.clients.cloudtrail(key.region),
            key.arn,
            {
              window,
              now: options.now,
              onProgress: (state) => {
                pages = state.progress.pages;
              },
            },
            signal,
          );
          read = { ...label, status: 'read', events: loaded.events, pages: loaded.progress.pages, ...(loaded.progress.stopped ? { stopped: true } : {}) };
        } catch (error) {
          read = { ...label, status: 'unreadable', reason: describeError(error), pages };
        }
      }
      options.onAccount?.(read);
      return read;
    }),
  );
  return { window: { days: windowDays(window), start: range.start.toISOString(), end: range.end.toISOString() }, ...(capped ? { capped } : {}), accounts: reads };
}
