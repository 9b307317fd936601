// Read-only KMS calls, paginated inside, returning domain types.

import {
  DescribeKeyCommand,
  GetKeyLastUsageCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  type GrantListEntry,
  type KeyMetadata as SdkKeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { Grant, KeyMetadata, KeyOrigin, KeyState, LastUsage, RotationEntry, RotationStatus, Tag } from '../domain/key.js';
import { rotationUnsupportedReason } from '../domain/rotation.js';
import { isThrottle, toDomainError } from './errors.js';

const iso = (date: Date | undefined): string | undefined => (date ? date.toISOString() : undefined);

/**
 * Retries a read that stays throttled after the SDK's own retries, so a throttling storm slows
 * the inventory instead of losing rows. Gives up after `attempts` rounds.
 */
export async function retryThrottled<T>(call: () => Promise<T>, attempts = 6, signal?: AbortSignal): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottle(error) || round >= attempts - 1 || signal?.aborted) throw error;
      const delay = Math.min(4_000, 200 * 2 ** round) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Pages through a KMS List* call (Limit/Marker in, NextMarker/Truncated out — a page may hold
 * fewer than Limit items, so keep going while Truncated), retrying throttled pages.
 */
async function eachPage<P extends { Truncated?: boolean | undefined; NextMarker?: string | undefined }>(
  fetch: (marker: { Marker?: string }) => Promise<P>,
  onPage: (page: P) => void,
  options: { signal?: AbortSignal | undefined; attempts?: number } = {},
): Promise<void> {
  let marker: string | undefined;
  do {
    const current = marker;
    const page = await retryThrottled(() => fetch(current ? { Marker: current } : {}), options.attempts ?? 6, options.signal);
    onPage(page);
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker && !options.signal?.aborted);
}

export function toKeyMetadata(meta: SdkKeyMetadata, region: string): KeyMetadata {
  const mr = meta.MultiRegionConfiguration;
  const out: KeyMetadata = {
    keyId: meta.KeyId ?? '',
    arn: meta.Arn ?? '',
    accountId: meta.AWSAccountId ?? '',
    region,
    description: meta.Description ?? '',
    state: (meta.KeyState ?? 'Enabled') as KeyState,
    enabled: meta.Enabled ?? false,
    keyManager: meta.KeyManager === 'AWS' ? 'AWS' : 'CUSTOMER',
    keySpec: meta.KeySpec ?? meta.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT',
    keyUsage: meta.KeyUsage ?? 'ENCRYPT_DECRYPT',
    origin: (meta.Origin ?? 'AWS_KMS') as KeyOrigin,
    creationDate: iso(meta.CreationDate) ?? '',
    multiRegion: meta.MultiRegion ?? false,
  };
  if (meta.DeletionDate) out.deletionDate = meta.DeletionDate.toISOString();
  if (meta.PendingDeletionWindowInDays !== undefined) out.pendingDeletionWindowInDays = meta.PendingDeletionWindowInDays;
  if (meta.ValidTo) out.validTo = meta.ValidTo.toISOString();
  if (meta.CustomKeyStoreId) out.customKeyStoreId = meta.CustomKeyStoreId;
  if (meta.CurrentKeyMaterialId) out.currentKeyMaterialId = meta.CurrentKeyMaterialId;
  if (meta.EncryptionAlgorithms?.length) out.encryptionAlgorithms = [...meta.EncryptionAlgorithms];
  if (meta.SigningAlgorithms?.length) out.signingAlgorithms = [...meta.SigningAlgorithms];
  if (meta.MacAlgorithms?.length) out.macAlgorithms = [...meta.MacAlgorithms];
  if (mr) {
    if (mr.MultiRegionKeyType) out.multiRegionRole = mr.MultiRegionKeyType;
    if (mr.PrimaryKey?.Arn) out.primaryKey = { arn: mr.PrimaryKey.Arn, region: mr.PrimaryKey.Region ?? '' };
    out.replicaKeys = (mr.ReplicaKeys ?? []).map((replica) => ({ arn: replica.Arn ?? '', region: replica.Region ?? '' }));
  }
  return out;
}

export async function describeKey(kms: KMSClient, keyId: string, region: string, signal?: AbortSignal): Promise<KeyMetadata> {
  const out = await retryThrottled(() => kms.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal: signal }), 6, signal);
  if (!out.KeyMetadata) throw toDomainError(new Error('DescribeKey returned no KeyMetadata'), `DescribeKey ${keyId}`);
  return toKeyMetadata(out.KeyMetadata, region);
}

/** Pages through ListKeys, handing each page over as it arrives. */
export async function listKeyPages(
  kms: KMSClient,
  onPage: (keys: Array<{ keyId: string; arn: string }>) => void,
  signal?: AbortSignal,
  pageSize = 1000,
): Promise<void> {
  await eachPage(
    (marker) => kms.send(new ListKeysCommand({ Limit: pageSize, ...marker }), { abortSignal: signal }),
    (page) => onPage((page.Keys ?? []).map((key) => ({ keyId: key.KeyId ?? '', arn: key.KeyArn ?? '' }))),
    { signal, attempts: 8 },
  );
}

/** All aliases of a region (or of one key), as key id → alias names. */
export async function listAliases(kms: KMSClient, options: { keyId?: string; signal?: AbortSignal } = {}): Promise<Map<string, string[]>> {
  const byKey = new Map<string, string[]>();
  await eachPage(
    (marker) => kms.send(new ListAliasesCommand({ Limit: 100, ...(options.keyId ? { KeyId: options.keyId } : {}), ...marker }), { abortSignal: options.signal }),
    (page) => {
      for (const alias of page.Aliases ?? []) {
        if (!alias.TargetKeyId || !alias.AliasName) continue;
        const list = byKey.get(alias.TargetKeyId) ?? [];
        list.push(alias.AliasName);
        byKey.set(alias.TargetKeyId, list);
      }
    },
    { signal: options.signal, attempts: 8 },
  );
  for (const list of byKey.values()) list.sort();
  return byKey;
}

export async function listTags(kms: KMSClient, keyId: string, signal?: AbortSignal): Promise<Tag[]> {
  const tags: Tag[] = [];
  await eachPage(
    (marker) => kms.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 50, ...marker }), { abortSignal: signal }),
    (page) => {
      for (const tag of page.Tags ?? []) tags.push({ key: tag.TagKey ?? '', value: tag.TagValue ?? '' });
    },
    { signal },
  );
  return tags;
}

/** Rotation status; keys that cannot rotate are answered without a call. */
export async function readRotation(kms: KMSClient, meta: KeyMetadata, signal?: AbortSignal): Promise<RotationStatus> {
  const reason = rotationUnsupportedReason(meta);
  if (reason && meta.keyManager !== 'AWS') return { kind: 'unsupported', reason };
  const out = await retryThrottled(() => kms.send(new GetKeyRotationStatusCommand({ KeyId: meta.arn }), { abortSignal: signal }), 6, signal);
  if (!out.KeyRotationEnabled) return { kind: 'disabled' };
  // An endpoint that does not report the period (older emulators) leaves it unknown: showing the
  // 365-day default would state as fact what nobody said.
  const status: RotationStatus = { kind: 'enabled', ...(out.RotationPeriodInDays !== undefined ? { periodDays: out.RotationPeriodInDays } : {}) };
  if (out.NextRotationDate) status.nextRotationDate = out.NextRotationDate.toISOString();
  if (out.OnDemandRotationStartDate) status.onDemandRotationStartDate = out.OnDemandRotationStartDate.toISOString();
  return status;
}

/**
 * GetKeyLastUsage read against TrackingStartDate (KMS.md §11), stamped with the time it was read.
 * `retry: false` leaves a throttled read to the caller (the background reader re-queues it
 * instead of holding a slot of the 5-per-second quota).
 */
export async function readLastUsage(
  kms: KMSClient,
  meta: Pick<KeyMetadata, 'arn' | 'creationDate'>,
  signal?: AbortSignal,
  options: { retry?: boolean; now?: () => Date } = {},
): Promise<Exclude<LastUsage, { kind: 'pending' }>> {
  const send = () => kms.send(new GetKeyLastUsageCommand({ KeyId: meta.arn }), { abortSignal: signal });
  const out = options.retry === false ? await send() : await retryThrottled(send, 6, signal);
  const readAt = (options.now ?? (() => new Date()))().toISOString();
  const usage = out.KeyLastUsage;
  const tracking = iso(out.TrackingStartDate);
  if (usage?.Timestamp) {
    return {
      kind: 'used',
      operation: usage.Operation ?? 'unknown',
      timestamp: usage.Timestamp.toISOString(),
      ...(tracking ? { trackingStartDate: tracking } : {}),
      ...(usage.CloudTrailEventId ? { cloudTrailEventId: usage.CloudTrailEventId } : {}),
      readAt,
    };
  }
  const created = out.KeyCreationDate ?? (meta.creationDate ? new Date(meta.creationDate) : undefined);
  if (!tracking) return { kind: 'error', message: 'GetKeyLastUsage returned no TrackingStartDate', readAt };
  if (created && created.getTime() >= new Date(tracking).getTime()) return { kind: 'never', trackingStartDate: tracking, readAt };
  return { kind: 'not-since-tracking', trackingStartDate: tracking, readAt };
}

export async function readPolicy(kms: KMSClient, keyId: string, signal?: AbortSignal): Promise<string> {
  const out = await retryThrottled(() => kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }), { abortSignal: signal }), 6, signal);
  return out.Policy ?? '';
}

function toGrant(entry: GrantListEntry): Grant {
  const grant: Grant = { grantId: entry.GrantId ?? '', keyId: entry.KeyId ?? '', operations: [...(entry.Operations ?? [])] };
  if (entry.Name) grant.name = entry.Name;
  if (entry.CreationDate) grant.creationDate = entry.CreationDate.toISOString();
  if (entry.GranteePrincipal) grant.granteePrincipal = entry.GranteePrincipal;
  if (entry.RetiringPrincipal) grant.retiringPrincipal = entry.RetiringPrincipal;
  if (entry.IssuingAccount) grant.issuingAccount = entry.IssuingAccount;
  const c = entry.Constraints;
  if (c && (c.EncryptionContextSubset || c.EncryptionContextEquals)) {
    grant.constraints = {
      ...(c.EncryptionContextSubset ? { encryptionContextSubset: { ...c.EncryptionContextSubset } } : {}),
      ...(c.EncryptionContextEquals ? { encryptionContextEquals: { ...c.EncryptionContextEquals } } : {}),
    };
  }
  return grant;
}

export async function listGrants(kms: KMSClient, keyId: string, signal?: AbortSignal): Promise<Grant[]> {
  const grants: Grant[] = [];
  await eachPage(
    (marker) => kms.send(new ListGrantsCommand({ KeyId: keyId, Limit: 100, ...marker }), { abortSignal: signal }),
    (page) => {
      for (const entry of page.Grants ?? []) grants.push(toGrant(entry));
    },
    { signal },
  );
  return grants;
}

export async function listRotations(kms: KMSClient, keyId: string, signal?: AbortSignal): Promise<RotationEntry[]> {
  const rotations: RotationEntry[] = [];
  await eachPage(
    (marker) => kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Limit: 1000, ...marker }), { abortSignal: signal }),
    (page) => {
      for (const entry of page.Rotations ?? []) {
        const rotation: RotationEntry = {};
        if (entry.KeyMaterialId) rotation.keyMaterialId = entry.KeyMaterialId;
        if (entry.RotationDate) rotation.rotationDate = entry.RotationDate.toISOString();
        if (entry.RotationType) rotation.rotationType = entry.RotationType as 'AUTOMATIC' | 'ON_DEMAND';
        if (entry.KeyMaterialState) rotation.keyMaterialState = entry.KeyMaterialState;
        rotations.push(rotation);
      }
    },
    { signal },
  );
  return rotations;
}
