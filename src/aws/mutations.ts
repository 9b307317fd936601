// Every change keywarden makes to a key goes through here: refused in read-only mode before
// any request; the key re-read first (someone else may have changed it); the intent written
// to the audit journal (fsynced) before the request is sent, and the outcome after.

import {
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ACTIONS, actionBlockedReason, apiCall, confirmationWord, describeChange, type ActionRequest, type ChangePreview, type ChangeResult } from '../domain/actions.js';

export type { ChangePreview, ChangeResult } from '../domain/actions.js';
import { KeywardenError } from '../domain/errors.js';
import type { CallerIdentity, Grant, KeyRow } from '../domain/key.js';
import type { Journal } from '../journal/journal.js';
import type { Clients } from './clients.js';
import { toDomainError } from './errors.js';
import { journaledCall } from './journaled-call.js';
import { loadRow } from './inventory.js';
import { listAliases, listGrants } from './kms-reads.js';

function send(kms: KMSClient, request: ActionRequest, keyArn: string): Promise<{ $metadata: { requestId?: string } }> {
  switch (request.action) {
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

  /** Re-reads the key and says exactly what the change would do, or why it cannot be made. */
  async preview(request: ActionRequest, key: { arn: string; region: string }): Promise<ChangePreview> {
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
    const blocked = actionBlockedReason(request, row.metadata, grants);
    const preview: ChangePreview = {
      request,
      row,
      call: apiCall(request, key.arn),
      title: spec.title,
      explain: spec.explain,
      change: describeChange(request, row),
      confirm: spec.dangerous ? 'typed' : 'plain',
      word: confirmationWord(row),
      ...(blocked ? { blocked } : {}),
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
    const fresh = await this.preview(request, key);
    const before = preview.row.metadata?.state;
    const now = fresh.row.metadata?.state;
    if (before !== now) {
      throw new KeywardenError('conflict', `the key changed since the preview (state was ${before}, is now ${now}); nothing was sent — review it again`);
    }
    if (fresh.blocked) throw new KeywardenError('invalid-state', `${fresh.title} is not possible: ${fresh.blocked}`);

    const out = await journaledCall(
      this.journal,
      this.identity,
      { action: fresh.call.operation, region: key.region, keyArn: key.arn, params: fresh.call.params },
      () => send(this.clients.kms(key.region), request, key.arn),
    );
    const requestId = out.$metadata.requestId;
    const after = await this.readRow(key).catch(() => fresh.row);
    return { preview: fresh, after, ...(requestId ? { requestId } : {}) };
  }
}
