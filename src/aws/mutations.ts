// Every change keywarden makes to a key goes through here: refused in read-only mode before
// any request; the key re-read first (someone else may have changed it); the intent written
// to the audit journal (fsynced) before the request is sent, and the outcome after.

import {
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  PutKeyPolicyCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ACTIONS, actionBlockedReason, apiCall, confirmationWord, describeChange, type ActionRequest, type ChangePreview, type ChangeResult, type PolicyChange } from '../domain/actions.js';
import { planGuardAdd, planGuardRemove, replayGuard, replayWords } from '../domain/guard.js';

export type { ChangePreview, ChangeResult } from '../domain/actions.js';
import { KeywardenError } from '../domain/errors.js';
import type { CallerIdentity, Grant, KeyRow } from '../domain/key.js';
import type { Journal } from '../journal/journal.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { journaledCall } from './journaled-call.js';
import { loadRow } from './inventory.js';
import { listAliases, listGrants, readPolicy } from './kms-reads.js';
import { lookupKeyEvents } from './usage.js';

/** CloudTrail LookupEvents keeps 90 days: the window the guard is replayed on. */
export const GUARD_REPLAY_DAYS = 90;

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

function send(kms: KMSClient, request: ActionRequest, keyArn: string, call: ChangePreview['call']): Promise<{ $metadata: { requestId?: string } }> {
  switch (request.action) {
    case 'guard.add':
    case 'guard.remove':
      return kms.send(new PutKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default', Policy: String(call.params['Policy']) }));
    case 'rotation.enable':
      return kms.send(new EnableKeyRotationCommand({ KeyId: keyArn, RotationPeriodInDays: request.periodDays }));
    case 'rotation.disable':
      return kms.send(new DisableKeyRotationCommand({ KeyId: keyArn }));
    case 'rotation.rotate-now':
      return kms.send(new RotateKeyOnDemandCommand({ KeyId: keyArn }));
    case 'grant.retire':
      return kms.send(new RetireGrantCommand({ KeyId: keyArn, GrantId: request.grantId }));
    case 'grant.revoke':
      return kms.send(new RevokeGrantCommand({ KeyId: keyArn, GrantId: request.grantId }));
    case 'key.enable':
      return kms.send(new EnableKeyCommand({ KeyId: keyArn }));
    case 'key.disable':
      return kms.send(new DisableKeyCommand({ KeyId: keyArn }));
  }
}

export class KeyChanger {
  private readonly clients: Clients;
  private readonly journal: Journal;
  private readonly identity: CallerIdentity;

  constructor(options: { clients: Clients; journal: Journal; identity: CallerIdentity }) {
    this.clients = options.clients;
    this.journal = options.journal;
    this.identity = options.identity;
  }

  private refuseIfReadOnly(request: ActionRequest): void {
    if (this.clients.readOnly) {
      throw new KeywardenError('read-only', `read-only mode: ${ACTIONS[request.action].title.toLowerCase()} (${ACTIONS[request.action].operation}) was refused and not sent`);
    }
  }

  private async readRow(key: { arn: string; region: string }): Promise<KeyRow> {
    const keyId = key.arn.split('/').pop() ?? key.arn;
    const aliases = (await listAliases(this.clients.kms(key.region), { keyId: key.arn }).catch(() => new Map<string, string[]>())).get(keyId) ?? [];
    // A change never needs last use, and GetKeyLastUsage's 5 per second belong to the inventory's
    // background reader: the row comes back with last use "pending" (the list keeps the value it has).
    return loadRow(this.clients, key.region, { keyId, arn: key.arn }, aliases, undefined, false);
  }

  /**
   * A key policy change (the guard): the policy read now, the new one, their diff and — unless
   * `replay` is false — which DisableKey/ScheduleKeyDeletion calls of CloudTrail's 90 days the
   * guard would have refused (LookupEvents, 2 per second: not read again when the change is made).
   */
  private async policyChange(request: Extract<ActionRequest, { action: 'guard.add' | 'guard.remove' }>, key: { arn: string; region: string }, replay: boolean): Promise<{ change?: PolicyChange; blocked?: string }> {
    const before = await readPolicy(this.clients.kms(key.region), key.arn).catch((error: unknown) => {
      throw toDomainError(error, 'GetKeyPolicy');
    });
    const plan = request.action === 'guard.add' ? planGuardAdd(before, { days: request.days, exceptRole: request.exceptRole }) : planGuardRemove(before);
    if (!plan.ok) return { blocked: plan.reason };
    let words: string[] = [];
    if (request.action === 'guard.add' && replay) {
      const now = this.clients.now();
      const windowStartMs = now.getTime() - GUARD_REPLAY_DAYS * 86_400_000;
      try {
        const { events } = await lookupKeyEvents(this.clients.cloudtrail(key.region), key.arn, { window: { days: GUARD_REPLAY_DAYS }, now });
        words = replayWords(replayGuard(events, { days: request.days, exceptRole: request.exceptRole, windowStartMs }), undefined, request.days);
      } catch (error) {
        words = replayWords([], error instanceof Error ? error.message : String(error), request.days);
      }
    }
    return { change: { before, after: plan.after, diff: plan.diff, replay: words } };
  }

  /** Re-reads the key and says exactly what the change would do, or why it cannot be made. */
  async preview(request: ActionRequest, key: { arn: string; region: string }, options: { replay?: boolean } = {}): Promise<ChangePreview> {
    this.refuseIfReadOnly(request);
    const kms = this.clients.kms(key.region);
    const row = await this.readRow(key);
    const describeProblem = row.problems.find((p) => p.what === 'DescribeKey');
    if (describeProblem) throw new KeywardenError('not-found', `cannot read the key before changing it: ${describeProblem.message}`, { code: describeProblem.code });
    let grants: Grant[] | undefined;
    if (request.action === 'grant.retire' || request.action === 'grant.revoke') {
      grants = await listGrants(kms, key.arn).catch((error: unknown) => {
        throw toDomainError(error, 'ListGrants');
      });
    }
    const spec = ACTIONS[request.action];
    const policy = request.action === 'guard.add' || request.action === 'guard.remove' ? await this.policyChange(request, key, options.replay ?? true) : undefined;
    const blocked = actionBlockedReason(request, row.metadata, grants) ?? policy?.blocked;
    const call = apiCall(request, key.arn);
    const preview: ChangePreview = {
      request,
      row,
      call: policy?.change ? { ...call, params: { ...call.params, PolicyName: 'default', Policy: policy.change.after } } : call,
      title: spec.title,
      explain: spec.explain,
      change: describeChange(request, row),
      confirm: spec.dangerous ? 'typed' : 'plain',
      word: confirmationWord(row),
      ...(blocked ? { blocked } : {}),
      ...(policy?.change ? { policy: policy.change } : {}),
    };
    if (grants && 'grantId' in request) {
      const grant = grants.find((g) => g.grantId === request.grantId);
      if (grant) preview.grant = grant;
    }
    return preview;
  }

  /**
   * Makes the change shown in `preview`. Re-reads the key first: if its state changed since the
   * preview, or the change is no longer allowed, nothing is sent and the reason is thrown.
   */
  async apply(preview: ChangePreview): Promise<ChangeResult> {
    const { request } = preview;
    this.refuseIfReadOnly(request);
    if (preview.blocked) throw new KeywardenError('invalid-state', `${preview.title} is not possible: ${preview.blocked}`);
    const key = { arn: preview.row.arn, region: preview.row.region };
    const fresh = await this.preview(request, key, { replay: false });
    const before = preview.row.metadata?.state;
    const now = fresh.row.metadata?.state;
    if (before !== now) {
      throw new KeywardenError('conflict', `the key changed since the preview (state was ${before}, is now ${now}); nothing was sent — review it again`);
    }
    if (fresh.blocked) throw new KeywardenError('invalid-state', `${fresh.title} is not possible: ${fresh.blocked}`);
    // A policy is changed only from the one that was shown: someone else may have changed it since.
    if (preview.policy && (!fresh.policy || !sameJson(fresh.policy.before, preview.policy.before))) {
      throw new KeywardenError('conflict', 'the key policy changed since it was read for the preview; nothing was sent — review it again');
    }

    const out = await journaledCall(
      this.journal,
      this.identity,
      { action: fresh.call.operation, region: key.region, keyArn: key.arn, params: fresh.call.params },
      () => send(this.clients.kms(key.region), request, key.arn, fresh.call),
    );
    const requestId = out.$metadata.requestId;
    const after = await this.readRow(key).catch(() => fresh.row);
    const result: ChangeResult = { preview: { ...fresh, ...(preview.policy ? { policy: { ...fresh.policy!, replay: preview.policy.replay } } : {}) }, after, ...(requestId ? { requestId } : {}) };
    if (fresh.policy) {
      // Read back: the policy in force is the one sent (KMS may normalise whitespace, not content).
      const read = await readPolicy(this.clients.kms(key.region), key.arn).catch(() => '');
      result.readBack = sameJson(read, fresh.policy.after);
    }
    return result;
  }
}
