// `keywarden guard add|remove` against AWS: reads the key (its policy, and CloudTrail's 90 days of
// events to replay the guard on), and writes the new policy with PutKeyPolicy — journalled like
// every change, refused when the policy changed since the preview, and read back afterwards.

import { GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { KeywardenError } from '../domain/errors.js';
import type { CallerIdentity, KeyDetail } from '../domain/key.js';
import { isReadProblem } from '../domain/key.js';
import type { UsageEvent } from '../domain/usage.js';
import type { Journal } from '../journal/journal.js';
import type { Clients } from './clients.js';
import { AwsKeySource, resolveKey } from './inventory.js';
import { journaledCall } from './journaled-call.js';
import { lookupKeyEvents } from './usage.js';

/** CloudTrail LookupEvents keeps 90 days: the window the guard is replayed on. */
export const GUARD_REPLAY_DAYS = 90;

export interface GuardContext {
  detail: KeyDetail;
  policy: string;
  events: UsageEvent[];
  /** Why the events could not be read, if they could not (the replay is then skipped, not guessed). */
  eventsProblem?: string;
  windowStartMs: number;
}

export async function readGuardContext(clients: Clients, keyRef: string): Promise<GuardContext> {
  const key = await resolveKey(clients, keyRef);
  const detail = await new AwsKeySource(clients).loadDetail(key);
  if (isReadProblem(detail.policy)) throw new KeywardenError('access-denied', `the key policy cannot be read: ${detail.policy.message}; nothing was changed`);
  const now = clients.now();
  const windowStartMs = now.getTime() - GUARD_REPLAY_DAYS * 86_400_000;
  try {
    const state = await lookupKeyEvents(clients.cloudtrail(key.region), key.arn, { window: { days: GUARD_REPLAY_DAYS }, now });
    return { detail, policy: detail.policy, events: state.events, windowStartMs };
  } catch (error) {
    return { detail, policy: detail.policy, events: [], eventsProblem: error instanceof Error ? error.message : String(error), windowStartMs };
  }
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/**
 * Puts `after` as the key policy, if the policy is still `before` (someone else may have changed
 * it since the preview). Journalled; the policy is read back and compared.
 */
export async function putGuardPolicy(
  clients: Clients,
  journal: Journal,
  identity: CallerIdentity,
  key: { arn: string; region: string },
  before: string,
  after: string,
): Promise<{ requestId?: string; readBack: boolean }> {
  const kms = clients.kms(key.region);
  const current = (await kms.send(new GetKeyPolicyCommand({ KeyId: key.arn, PolicyName: 'default' }))).Policy ?? '';
  if (!sameJson(current, before)) throw new KeywardenError('conflict', 'the key policy changed since it was read for the preview; nothing was changed (run the command again to see the new one)');
  const params = { KeyId: key.arn, PolicyName: 'default', Policy: after };
  const out = await journaledCall(journal, identity, { action: 'PutKeyPolicy', region: key.region, keyArn: key.arn, params }, () => kms.send(new PutKeyPolicyCommand(params)));
  const read = (await kms.send(new GetKeyPolicyCommand({ KeyId: key.arn, PolicyName: 'default' }))).Policy ?? '';
  return { ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}), readBack: sameJson(read, after) };
}
