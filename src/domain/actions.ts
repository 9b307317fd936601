// Changes keywarden can make, as data: what each does, which API call it makes, whether it is
// dangerous (needs the alias or key id typed) and whether the key's current state allows it.
// The UI, the subcommands and src/aws/mutations.ts all read this one table.

import { rotationPeriodWords, type Grant, type KeyMetadata, type KeyRow } from './key.js';
import { parseRotationPeriod, rotationManagedElsewhere, rotationUnsupportedReason, ROTATION_PERIOD_DEFAULT } from './rotation.js';

export type ActionId =
  | 'rotation.enable'
  | 'rotation.disable'
  | 'rotation.rotate-now'
  | 'grant.retire'
  | 'grant.revoke'
  | 'key.enable'
  | 'key.disable'
  | 'guard.add'
  | 'guard.remove';

export type ActionRequest =
  | { action: 'rotation.enable'; periodDays: number }
  | { action: 'rotation.disable' }
  | { action: 'rotation.rotate-now' }
  | { action: 'grant.retire'; grantId: string }
  | { action: 'grant.revoke'; grantId: string }
  | { action: 'key.enable' }
  | { action: 'key.disable' }
  | { action: 'guard.add'; days: number; exceptRole?: string }
  | { action: 'guard.remove' };

export interface ActionSpec {
  id: ActionId;
  title: string;
  /** The AWS API operation it calls. */
  operation: string;
  /** Destructive or availability-affecting: the alias or key id must be typed to confirm. */
  dangerous: boolean;
  /** What will happen, in words, for the confirmation dialog. */
  explain: string;
}

export const ACTIONS: Record<ActionId, ActionSpec> = {
  'rotation.enable': {
    id: 'rotation.enable',
    title: 'Enable automatic rotation',
    operation: 'EnableKeyRotation',
    dangerous: false,
    explain: 'KMS will create new key material every period. Old material is kept, so existing ciphertext still decrypts. Calling it again with another period changes the period.',
  },
  'rotation.disable': {
    id: 'rotation.disable',
    title: 'Disable automatic rotation',
    operation: 'DisableKeyRotation',
    dangerous: true,
    explain: 'KMS stops creating new key material for this key. Existing material is kept; compliance rules that require rotation will flag the key.',
  },
  'rotation.rotate-now': {
    id: 'rotation.rotate-now',
    title: 'Rotate now (on demand)',
    operation: 'RotateKeyOnDemand',
    dangerous: false,
    explain: 'KMS creates new key material now. The automatic schedule does not move. Each key allows 25 on-demand rotations in its lifetime.',
  },
  'grant.retire': {
    id: 'grant.retire',
    title: 'Retire grant',
    operation: 'RetireGrant',
    dangerous: true,
    explain:
      'Retiring is how the grant\'s own user (its retiring principal, or the grantee when the grant allows RetireGrant) says it is done with it — the clean-up a service does after itself. The grantee loses the access the grant gave, at once.',
  },
  'grant.revoke': {
    id: 'grant.revoke',
    title: 'Revoke grant',
    operation: 'RevokeGrant',
    dangerous: true,
    explain:
      'Revoking is how a key administrator takes the grant away, whatever its grantee thinks. The grantee loses the access at once; a service that still relies on it (an attached EBS volume, a running task) will start failing.',
  },
  'key.enable': {
    id: 'key.enable',
    title: 'Enable key',
    operation: 'EnableKey',
    dangerous: false,
    explain: 'The key can be used for cryptographic operations again; paused rotation resumes.',
  },
  'key.disable': {
    id: 'key.disable',
    title: 'Disable key',
    operation: 'DisableKey',
    dangerous: true,
    explain:
      'Every cryptographic operation with this key fails with DisabledException until it is enabled again: anything still using it (volumes, services, applications) stops working. Nothing is deleted; EnableKey undoes it.',
  },
  'guard.add': {
    id: 'guard.add',
    title: 'Add the guard to the key policy',
    operation: 'PutKeyPolicy',
    dangerous: true,
    explain:
      "Adds the statement AWS recommends (the kms:TrailingDaysWithoutKeyUsage example in the AWS KMS Developer Guide): DisableKey and ScheduleKeyDeletion are denied while the key was used within the guard's days (kms:TrailingDaysWithoutKeyUsage), except for the break-glass role if one is named. It never denies kms:PutKeyPolicy, so it can always be taken out again (U here, keywarden guard remove).",
  },
  'guard.remove': {
    id: 'guard.remove',
    title: 'Remove the guard from the key policy',
    operation: 'PutKeyPolicy',
    dangerous: true,
    explain: "Takes keywarden's guard statement out of the key policy: DisableKey and ScheduleKeyDeletion are then allowed whatever the key's recent use, as the rest of the policy says.",
  },
};

/** The exact API call an action makes, for the preview and the journal (a policy change carries the new policy: see KeyChanger.preview). */
export function apiCall(request: ActionRequest, keyArn: string): { operation: string; params: Record<string, unknown> } {
  const operation = ACTIONS[request.action].operation;
  switch (request.action) {
    case 'rotation.enable':
      return { operation, params: { KeyId: keyArn, RotationPeriodInDays: request.periodDays } };
    case 'grant.retire':
    case 'grant.revoke':
      return { operation, params: { KeyId: keyArn, GrantId: request.grantId } };
    default:
      return { operation, params: { KeyId: keyArn } };
  }
}

function rotationWords(rotation: KeyRow['rotation']): string {
  switch (rotation.kind) {
    case 'enabled':
      return `on, ${rotationPeriodWords(rotation.periodDays)}`;
    case 'disabled':
      return 'off';
    case 'unsupported':
      return 'not possible';
    case 'error':
      return 'unknown';
  }
}

/** What will change, before → after, in words. */
export function describeChange(request: ActionRequest, row: KeyRow): string {
  const state = row.metadata?.state ?? 'unknown';
  switch (request.action) {
    case 'rotation.enable':
      return `automatic rotation: ${rotationWords(row.rotation)} → on, every ${request.periodDays} days`;
    case 'rotation.disable':
      return `automatic rotation: ${rotationWords(row.rotation)} → off`;
    case 'rotation.rotate-now':
      return 'new key material is created now; the automatic schedule stays as it is';
    case 'key.enable':
      return `key state: ${state} → Enabled`;
    case 'key.disable':
      return `key state: ${state} → Disabled`;
    case 'grant.retire':
      return `grant ${request.grantId}: retired (gone)`;
    case 'grant.revoke':
      return `grant ${request.grantId}: revoked (gone)`;
    case 'guard.add':
      return `key policy: + the guard (deny DisableKey and ScheduleKeyDeletion while the key was used within ${request.days} days${request.exceptRole ? `, except ${request.exceptRole}` : ''})`;
    case 'guard.remove':
      return "key policy: − keywarden's guard statement";
  }
}

/** Why the key's current state does not allow the action, or undefined when it does. */
export function actionBlockedReason(request: ActionRequest, meta: KeyMetadata | undefined, grants?: Grant[]): string | undefined {
  if (!meta) return 'the key cannot be described (no access), so its state is unknown';
  if (meta.keyManager === 'AWS') return 'AWS managed keys are managed by AWS and cannot be changed';
  const pending = meta.state === 'PendingDeletion' || meta.state === 'PendingReplicaDeletion';
  switch (request.action) {
    case 'rotation.enable':
    case 'rotation.disable':
    case 'rotation.rotate-now': {
      const unsupported = rotationUnsupportedReason(meta) ?? rotationManagedElsewhere(meta);
      if (unsupported) return unsupported;
      if (pending) return 'the key is pending deletion: rotation cannot change (cancel the deletion first)';
      if (meta.state === 'Disabled') return 'the key is disabled: enable it before changing rotation';
      if (meta.state !== 'Enabled') return `the key is ${meta.state}: rotation cannot change now`;
      return undefined;
    }
    case 'grant.retire':
    case 'grant.revoke':
      if (grants && !grants.some((grant) => grant.grantId === request.grantId)) {
        return `no grant with id ${request.grantId} on this key`;
      }
      return undefined;
    case 'key.enable':
      if (pending) return 'the key is pending deletion: cancel the deletion first (it then stays disabled until enabled)';
      if (meta.state === 'Enabled') return 'the key is already enabled';
      if (meta.state !== 'Disabled') return `the key is ${meta.state} and cannot be enabled now`;
      return undefined;
    case 'key.disable':
      if (pending) return 'the key is pending deletion, so it is already unusable';
      if (meta.state === 'Disabled') return 'the key is already disabled';
      if (meta.state !== 'Enabled') return `the key is ${meta.state} and cannot be disabled now`;
      return undefined;
    case 'guard.add':
    case 'guard.remove':
      // The policy decides (read for the preview: src/domain/guard.ts); KMS decides the key state.
      return undefined;
  }
}

/**
 * Why the action would change nothing on this key as read (rotation already off, or already on
 * with the same period), or undefined when it would change something. Sending it anyway would be
 * a real call (journalled, CloudTrail-logged) for nothing.
 */
export function noChangeReason(request: ActionRequest, row: Pick<KeyRow, 'rotation'>): string | undefined {
  const rotation = row.rotation;
  if (request.action === 'rotation.disable' && rotation.kind === 'disabled') return 'automatic rotation is already off';
  if (request.action === 'rotation.enable' && rotation.kind === 'enabled' && rotation.periodDays === request.periodDays) {
    return `automatic rotation is already on every ${request.periodDays} days`;
  }
  return undefined;
}

/** Accepts the alias (with or without `alias/`) or the key id, exactly. */
export function confirmationMatches(typed: string, row: Pick<KeyRow, 'aliases' | 'keyId'>): boolean {
  const text = typed.trim();
  if (!text) return false;
  if (text === row.keyId) return true;
  return row.aliases.some((alias) => text === alias || `alias/${text}` === alias);
}

/** What the operator should type: the first alias without its prefix, else the key id. */
export function confirmationWord(row: Pick<KeyRow, 'aliases' | 'keyId'>): string {
  const alias = row.aliases[0];
  return alias ? alias.replace(/^alias\//, '') : row.keyId;
}

export type ParsedPeriod = { ok: true; days: number } | { ok: false; message: string };

/** A rotation period from a flag or a field; empty means the default (365). */
export function periodFromInput(input: string | undefined): ParsedPeriod {
  if (input === undefined || input.trim() === '') return { ok: true, days: ROTATION_PERIOD_DEFAULT };
  return parseRotationPeriod(input);
}

/** What a change would do, shown before it is made (src/aws/mutations.ts builds it from a fresh read). */
export interface ChangePreview {
  request: ActionRequest;
  /** The key as it is now (re-read for this preview). */
  row: KeyRow;
  /** The exact API call. */
  call: { operation: string; params: Record<string, unknown> };
  title: string;
  explain: string;
  /** What will change, before → after. */
  change: string;
  /** 'typed' = the alias or key id must be typed; 'plain' = a yes is enough. */
  confirm: 'typed' | 'plain';
  /** What to type for a typed confirmation. */
  word: string;
  /** Set when the action cannot be made now; nothing will be sent. */
  blocked?: string;
  /** The grant concerned (retire / revoke), as listed now. */
  grant?: Grant;
  /** A key policy change (the guard): the policy as read and as it will be, their diff, and the past calls it would have refused. */
  policy?: PolicyChange;
}

export interface PolicyChange {
  /** The policy as read for this preview (the change is refused if it is not the same when made). */
  before: string;
  after: string;
  /** Line diff, `  ` same, `- ` removed, `+ ` added. */
  diff: string[];
  /** The guard replayed on CloudTrail's 90 days, in words (add only). */
  replay: string[];
}

export interface ChangeResult {
  preview: ChangePreview;
  requestId?: string;
  /** A policy change: whether the policy read back after it is the one sent. */
  readBack?: boolean;
  /** The key re-read after the change. */
  after: KeyRow;
}
