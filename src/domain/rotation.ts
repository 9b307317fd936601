import type { KeyMetadata } from './key.js';

export const ROTATION_PERIOD_MIN = 90;
export const ROTATION_PERIOD_MAX = 2560;
export const ROTATION_PERIOD_DEFAULT = 365;

/**
 * Why a key cannot have automatic rotation, or undefined when it can (KMS.md §2.2):
 * only symmetric encryption keys with AWS_KMS key material in the default key store rotate;
 * multi-Region replicas follow their primary.
 */
export function rotationUnsupportedReason(meta: KeyMetadata): string | undefined {
  if (meta.keyManager === 'AWS') return 'AWS managed key: AWS rotates it every year; it cannot be changed';
  if (meta.keySpec !== 'SYMMETRIC_DEFAULT') {
    if (meta.keySpec.startsWith('HMAC_')) return 'HMAC keys cannot rotate automatically';
    return 'asymmetric keys cannot rotate automatically';
  }
  if (meta.origin === 'EXTERNAL') return 'imported key material cannot rotate automatically';
  if (meta.origin === 'AWS_CLOUDHSM' || meta.origin === 'EXTERNAL_KEY_STORE' || meta.customKeyStoreId) {
    return 'keys in a custom key store cannot rotate automatically';
  }
  return undefined;
}

/** Rotation is set on the primary of a multi-Region key; replicas follow it. */
export function rotationManagedElsewhere(meta: KeyMetadata): string | undefined {
  if (meta.multiRegion && meta.multiRegionRole === 'REPLICA') {
    return `multi-Region replica: rotation is set on the primary${meta.primaryKey ? ` in ${meta.primaryKey.region}` : ''}`;
  }
  return undefined;
}

export type PeriodParse = { ok: true; days: number } | { ok: false; message: string };

/** Parses an operator-typed rotation period; whole days 90–2560. */
export function parseRotationPeriod(input: string): PeriodParse {
  const text = input.trim();
  if (!/^\d+$/.test(text)) return { ok: false, message: `rotation period must be a whole number of days (${ROTATION_PERIOD_MIN}–${ROTATION_PERIOD_MAX}), not "${text}"` };
  const days = Number(text);
  if (days < ROTATION_PERIOD_MIN || days > ROTATION_PERIOD_MAX) {
    return { ok: false, message: `rotation period must be between ${ROTATION_PERIOD_MIN} and ${ROTATION_PERIOD_MAX} days, not ${days}` };
  }
  return { ok: true, days };
}
