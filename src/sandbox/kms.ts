// AWS KMS (awsJson1_1, `TrentService.<Op>`): the operations keywarden uses, with AWS's
// validation, key-state rules and error messages (KMS.md §1.3/§1.4). Every choice where AWS's
// behaviour is unconfirmed is marked "CHOICE" here and listed in docs/sandbox.md.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SANDBOX_ACCOUNT } from './constants.js';
import { materialIdFor, open, peekHeader, randomKeyId, randomMrkId, seal } from './crypto.js';
import { isDenied } from './faults.js';
import { checkAccountAccess, checkKeyAccess, checkLockout, type KeyFacts } from './kms-access.js';
import { AwsError, requireRange, validationError, type Handler, type JsonService, type RequestContext } from './protocol.js';
import { aliasArn, isPendingDeletionState, keyArn, type AliasRecord, type GrantRecord, type KeyRecord, type Store } from './state.js';

const DAY_MS = 86_400_000;
/** CHOICE (KMS.md §11): the account's GetKeyLastUsage tracking began on this day. */
export const TRACKING_START_MS = Date.parse('2026-04-15T00:00:00Z');
export const ON_DEMAND_ROTATION_LIMIT = 25;

export const KEY_SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87',
  'ECC_NIST_EDWARDS25519',
] as const;
const KEY_USAGES = ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;
const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
export const GRANT_OPERATIONS = [
  'Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'Sign',
  'Verify', 'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey', 'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret',
] as const;

const USAGES_FOR_SPEC: Record<string, readonly string[]> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  ECC_NIST_EDWARDS25519: ['SIGN_VERIFY'],
  HMAC_224: ['GENERATE_VERIFY_MAC'],
  HMAC_256: ['GENERATE_VERIFY_MAC'],
  HMAC_384: ['GENERATE_VERIFY_MAC'],
  HMAC_512: ['GENERATE_VERIFY_MAC'],
  SM2: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'],
  ML_DSA_44: ['SIGN_VERIFY'],
  ML_DSA_65: ['SIGN_VERIFY'],
  ML_DSA_87: ['SIGN_VERIFY'],
};

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MRK_PATTERN = /^mrk-[0-9a-f]{32}$/;
const ARN_PATTERN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;
const ALIAS_NAME_PATTERN = /^[a-zA-Z0-9:/_-]+$/;
const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

export function defaultKeyPolicy(account = SANDBOX_ACCOUNT): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM policies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
    },
    null,
    2,
  );
}

// ---------------------------------------------------------------------------------------------
// Parameter readers

function param<T>(params: Record<string, unknown>, name: string): T | undefined {
  const value = params[name];
  return value === null ? undefined : (value as T | undefined);
}

function camel(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

function requiredString(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (value === undefined || value === null) throw validationError(null, camel(name), 'Member must not be null');
  if (typeof value !== 'string') throw new AwsError('SerializationException', `Expected a string for ${name}`);
  if (value.length === 0) throw validationError(value, camel(name), 'Member must have length greater than or equal to 1');
  return value;
}

function optionalString(params: Record<string, unknown>, name: string): string | undefined {
  const value = param<unknown>(params, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new AwsError('SerializationException', `Expected a string for ${name}`);
  return value;
}

function optionalNumber(params: Record<string, unknown>, name: string): number | undefined {
  const value = param<unknown>(params, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError('SerializationException', `Expected an integer for ${name}`);
  return value;
}

function optionalEnum(params: Record<string, unknown>, name: string, values: readonly string[]): string | undefined {
  const value = optionalString(params, name);
  if (value !== undefined && !values.includes(value)) {
    throw validationError(value, camel(name), `Member must satisfy enum value set: [${values.join(', ')}]`);
  }
  return value;
}

function stringMap(params: Record<string, unknown>, name: string): Record<string, string> | undefined {
  const value = param<unknown>(params, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value as object).some((v) => typeof v !== 'string')) {
    throw new AwsError('SerializationException', `Expected a map of strings for ${name}`);
  }
  return value as Record<string, string>;
}

function blob(params: Record<string, unknown>, name: string, min: number, max: number): Buffer {
  const value = params[name];
  if (value === undefined || value === null) throw validationError(null, camel(name), 'Member must not be null');
  if (typeof value !== 'string') throw new AwsError('SerializationException', `Expected a base64 blob for ${name}`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < min) throw validationError('java.nio.HeapByteBuffer', camel(name), `Member must have length greater than or equal to ${min}`);
  if (bytes.length > max) throw validationError('java.nio.HeapByteBuffer', camel(name), `Member must have length less than or equal to ${max}`);
  return bytes;
}

function readTags(params: Record<string, unknown>): Array<{ TagKey: string; TagValue: string }> | undefined {
  const value = param<unknown>(params, 'Tags');
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new AwsError('SerializationException', 'Expected a list for Tags');
  const tags = value.map((tag: { TagKey?: unknown; TagValue?: unknown }) => {
    if (typeof tag?.TagKey !== 'string' || typeof tag.TagValue !== 'string') {
      throw validationError(null, 'tags.member.tagKey', 'Member must not be null');
    }
    if (tag.TagKey.length < 1 || tag.TagKey.length > 128) throw validationError(tag.TagKey, 'tags.member.tagKey', 'Member must have length less than or equal to 128');
    if (tag.TagValue.length > 256) throw validationError(tag.TagValue, 'tags.member.tagValue', 'Member must have length less than or equal to 256');
    return { TagKey: tag.TagKey, TagValue: tag.TagValue };
  });
  if (tags.some((t) => t.TagKey.toLowerCase().startsWith('aws:'))) throw new AwsError('TagException', 'Tags beginning with aws: are reserved');
  if (new Set(tags.map((t) => t.TagKey)).size !== tags.length) throw new AwsError('TagException', 'Duplicate tag keys');
  return tags;
}

function checkPolicy(policy: string): void {
  if (policy.length > 32768) throw new AwsError('LimitExceededException', 'Policy document exceeds the maximum size of 32768 bytes');
  let parsed: unknown;
  try {
    parsed = JSON.parse(policy);
  } catch {
    throw new AwsError('MalformedPolicyDocumentException', 'The policy is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) {
    throw new AwsError('MalformedPolicyDocumentException', 'Policy contains a statement with no Statement element.');
  }
}

// ---------------------------------------------------------------------------------------------
// Keys: resolution, state rules, derived fields

export function arnOf(key: KeyRecord): string {
  return keyArn(accountOf(key), key.region, key.keyId);
}

/** The account that owns a key (absent in the state = the management account). */
export function accountOf(key: KeyRecord): string {
  return key.account ?? SANDBOX_ACCOUNT;
}

/**
 * The account whose keys a KMS request addresses: the account in a key or alias ARN, the account
 * named by a ciphertext's key ARN (Decrypt without KeyId), else the caller's own (key ids and
 * alias names are looked up in the caller's account). The dispatcher runs the request against
 * that account's store (index.ts).
 */
export function addressedAccount(callerAccount: string, operation: string, params: Record<string, unknown>): string {
  const keyId = params.KeyId;
  if (typeof keyId === 'string') {
    const match = ARN_PATTERN.exec(keyId);
    return match ? match[2]! : callerAccount;
  }
  if (operation === 'Decrypt' && typeof params.CiphertextBlob === 'string') {
    const header = peekHeader(Buffer.from(params.CiphertextBlob, 'base64'));
    const match = header ? ARN_PATTERN.exec(header.arn) : null;
    if (match) return match[2]!;
  }
  return callerAccount;
}

interface ResolveOptions {
  /** Accept alias names and alias ARNs (DescribeKey, Encrypt, GenerateDataKey*, Decrypt). */
  alias?: boolean;
  field?: string;
}

/**
 * Finds the key a KeyId parameter names, in the request's region, and applies the access-denied
 * faults. Error messages per KMS.md §1.4.
 */
function resolveKey(ctx: RequestContext, value: string, options: ResolveOptions = {}): KeyRecord {
  const key = lookupKey(ctx, value, options);
  noteKey(ctx, key);
  authorize(ctx, key);
  catchUpRotation(ctx.store, key, ctx.now().getTime());
  return key;
}

/** The key each request resolved (even when it then failed), for its CloudTrail record's `resources`. */
const resolvedKeys = new WeakMap<RequestContext, KeyRecord>();

function noteKey(ctx: RequestContext, key: KeyRecord): void {
  resolvedKeys.set(ctx, key);
}

/** The ARN of the key this request named, once resolved (CloudTrail `resources`). */
export function resolvedKeyArn(ctx: RequestContext): string | undefined {
  const key = resolvedKeys.get(ctx);
  return key ? arnOf(key) : undefined;
}

function lookupKey(ctx: RequestContext, value: string, options: ResolveOptions): KeyRecord {
  const { store, region } = ctx;
  const arnMatch = ARN_PATTERN.exec(value);
  if (value.startsWith('arn:')) {
    if (!arnMatch) throw new AwsError('NotFoundException', `Invalid arn ${value}`);
    const [, arnRegion, account, kind, rest] = arnMatch;
    if (arnRegion !== region) throw new AwsError('NotFoundException', `Invalid arn ${arnRegion}`);
    if (kind === 'alias') {
      if (!options.alias) throw new AwsError('NotFoundException', `Invalid keyId '${value}'`);
      if (account !== store.account) throw new AwsError('NotFoundException', `Alias ${value} is not found.`);
      return aliasTarget(ctx, `alias/${rest}`);
    }
    if (!UUID_PATTERN.test(rest!) && !MRK_PATTERN.test(rest!)) throw new AwsError('NotFoundException', `Invalid keyId '${value}'`);
    const key = account === store.account ? store.key(region, rest!) : undefined;
    if (!key) throw new AwsError('NotFoundException', `Key '${value}' does not exist`);
    return key;
  }
  // A key id or alias name is looked up in the caller's own account.
  const home = ctx.caller.account === store.account;
  if (value.startsWith('alias/')) {
    if (!options.alias) throw new AwsError('NotFoundException', `Invalid keyId '${value}'`);
    if (!home) throw new AwsError('NotFoundException', `Alias ${aliasArn(ctx.caller.account, region, value)} is not found.`);
    return aliasTarget(ctx, value);
  }
  if (!UUID_PATTERN.test(value) && !MRK_PATTERN.test(value)) throw new AwsError('NotFoundException', `Invalid keyId '${value}'`);
  const key = home ? store.key(region, value) : undefined;
  if (!key) throw new AwsError('NotFoundException', `Key '${keyArn(ctx.caller.account, region, value)}' does not exist`);
  return key;
}

function aliasTarget(ctx: RequestContext, name: string): KeyRecord {
  const alias = ctx.store.alias(ctx.region, name);
  // CHOICE: a predefined AWS alias with no TargetKeyId is "not found" (AWS would create the
  // AWS managed key on first use; the sandbox does not).
  const key = alias?.targetKeyId ? ctx.store.key(ctx.region, alias.targetKeyId) : undefined;
  if (!key) throw new AwsError('NotFoundException', `Alias ${aliasArn(ctx.store.account, ctx.region, name)} is not found.`);
  return key;
}

function accessDenied(ctx: RequestContext, key: KeyRecord, operation = ctx.operation): AwsError {
  return new AwsError(
    'AccessDeniedException',
    `User: ${ctx.caller.arn} is not authorized to perform: kms:${operation} on resource: ${arnOf(key)} because no resource-based policy allows the kms:${operation} action`,
  );
}

/** The parameters of each request, for the policy evaluation's request context. */
const requestParams = new WeakMap<RequestContext, Record<string, unknown>>();

/** The default key policy's text, made once (keys without a stored policy are evaluated against it). */
let defaultPolicyText: string | undefined;

function keyFacts(key: KeyRecord, policy = key.policy ?? (key.account ? defaultKeyPolicy(key.account) : (defaultPolicyText ??= defaultKeyPolicy()))): KeyFacts {
  return { key, arn: arnOf(key), policy, trackingStartMs: TRACKING_START_MS, reportedUsage: (nowMs) => reportedLastUsage(key, nowMs) };
}

/**
 * The access-denied faults, then the key policy, the caller's identity policy and the key's grants
 * (src/sandbox/kms-access.ts). AWS managed keys refuse management calls (disable, deletion,
 * rotation changes, policy, tags, aliases) because their policy allows none of them.
 */
function authorize(ctx: RequestContext, key: KeyRecord, grant?: GrantRecord): void {
  if (isDenied(ctx.faults, key.keyId, arnOf(key), ctx.operation)) throw accessDenied(ctx, key);
  checkKeyAccess(ctx, requestParams.get(ctx) ?? {}, keyFacts(key), grant);
}

function stateError(key: KeyRecord): AwsError | undefined {
  const arn = arnOf(key);
  switch (key.state) {
    case 'PendingDeletion':
      return new AwsError('KMSInvalidStateException', `${arn} is pending deletion.`);
    case 'PendingReplicaDeletion':
      return new AwsError('KMSInvalidStateException', `${arn} is pending replica deletion.`);
    case 'PendingImport':
      return new AwsError('KMSInvalidStateException', `${arn} is pending import.`);
    case 'Unavailable':
      return new AwsError('KMSInvalidStateException', `${arn} is unavailable.`);
    case 'Creating':
      return new AwsError('KMSInvalidStateException', `${arn} is creating.`);
    case 'Updating':
      return new AwsError('KMSInvalidStateException', `${arn} is updating.`);
    default:
      return undefined;
  }
}

/**
 * The kms:Decrypt that S3 makes for a caller reading an SSE-KMS object (Amazon S3 User Guide,
 * "Using server-side encryption with AWS KMS keys": the reader needs kms:Decrypt on the key). The
 * caller's identity and key policy decide, with kms:ViaService s3.<region>.amazonaws.com and the
 * object's encryption context. Returns why it is refused, or undefined. Not recorded in CloudTrail
 * (docs/sandbox.md, S3).
 */
export function decryptRefusalForS3(ctx: RequestContext, keyArnValue: string, encryptionContext: Record<string, string>): AwsError | undefined {
  const match = /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(keyArnValue);
  const key = match && match[2] === SANDBOX_ACCOUNT ? ctx.store.key(match[1]!, match[3]!) : undefined;
  if (!key) return new AwsError('KMS.NotFoundException', `Key '${keyArnValue}' does not exist`);
  const decrypt: RequestContext = { ...ctx, region: key.region, operation: 'Decrypt', caller: { ...ctx.caller, viaService: `s3.${key.region}.amazonaws.com` } };
  const params = { KeyId: keyArnValue, EncryptionContext: encryptionContext };
  try {
    requestParams.set(decrypt, params);
    authorize(decrypt, key);
    requireUsable(key);
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  return undefined;
}

/** Crypto and CreateGrant (KMS.md §1.3): only Enabled keys. CHOICE: pending deletion → KMSInvalidStateException. */
function requireUsable(key: KeyRecord): void {
  if (key.state === 'Enabled') return;
  if (key.state === 'Disabled') throw new AwsError('DisabledException', `${arnOf(key)} is disabled.`);
  throw stateError(key)!;
}

/** Tags, aliases and similar: everything but pending deletion. */
function requireNotPendingDeletion(key: KeyRecord): void {
  if (isPendingDeletionState(key.state)) throw stateError(key)!;
}

function isSymmetric(key: KeyRecord): boolean {
  return key.keySpec === 'SYMMETRIC_DEFAULT';
}

/** The key that owns rotation and material: the primary for a multi-Region replica. */
function materialOwner(store: Store, key: KeyRecord): KeyRecord {
  if (key.multiRegionRole === 'REPLICA' && key.primaryRegion) return store.key(key.primaryRegion, key.keyId) ?? key;
  return key;
}

export function originalMaterialId(key: KeyRecord): string {
  return key.originalMaterialId ?? materialIdFor(`${key.keyId}/original`);
}

function currentMaterialId(store: Store, key: KeyRecord): string {
  const owner = materialOwner(store, key);
  return owner.rotations.at(-1)?.materialId ?? originalMaterialId(owner);
}

/** Automatic rotations that fell due (sandbox time moved on) are added when the key is next touched. */
export function catchUpRotation(store: Store, key: KeyRecord, nowMs: number): void {
  const owner = materialOwner(store, key);
  if (!owner.rotationEnabled || owner.state !== 'Enabled' || !owner.nextRotationDate || !owner.rotationPeriodInDays) return;
  const period = owner.rotationPeriodInDays * DAY_MS;
  for (let date: number = owner.nextRotationDate; date <= nowMs; date += period) {
    owner.rotations.push({ materialId: materialIdFor(`${owner.keyId}/${owner.rotations.length + 1}/${date}`), date, type: 'AUTOMATIC' });
    owner.nextRotationDate = date + period;
    store.touch(owner);
  }
}

/** Removes keys whose waiting period has ended (KMS.md §1.2); called before every request. */
export function sweepDeletions(store: Store, nowMs: number): void {
  for (const key of store.pendingKeys()) {
    if (key.state !== 'PendingDeletion' || key.deletionDate === undefined || key.deletionDate > nowMs) continue;
    store.removeKey(key);
    if (key.multiRegionRole === 'REPLICA' && key.primaryRegion) {
      const primary = store.key(key.primaryRegion, key.keyId);
      if (primary?.replicaRegions) {
        primary.replicaRegions = primary.replicaRegions.filter((r) => r !== key.region);
        store.touch(primary);
        if (primary.state === 'PendingReplicaDeletion' && primary.replicaRegions.length === 0) {
          // The primary's own waiting period starts when its last replica is gone.
          primary.state = 'PendingDeletion';
          primary.deletionDate = key.deletionDate + (primary.pendingWindowInDays ?? 30) * DAY_MS;
          store.stateChanged(primary);
        }
      }
    }
  }
}

function algorithms(key: KeyRecord): Record<string, string[]> {
  const spec = key.keySpec;
  if (spec === 'SYMMETRIC_DEFAULT') return { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] };
  if (spec.startsWith('HMAC_')) return { MacAlgorithms: [`HMAC_SHA_${spec.slice(5)}`] };
  if (key.keyUsage === 'KEY_AGREEMENT') return { KeyAgreementAlgorithms: ['ECDH'] };
  if (spec.startsWith('RSA_')) {
    return key.keyUsage === 'ENCRYPT_DECRYPT'
      ? { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }
      : { SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512'] };
  }
  if (spec === 'SM2') return key.keyUsage === 'ENCRYPT_DECRYPT' ? { EncryptionAlgorithms: ['SM2PKE'] } : { SigningAlgorithms: ['SM2DSA'] };
  if (spec.startsWith('ML_DSA')) return { SigningAlgorithms: ['ML_DSA_SHAKE_256'] };
  if (spec === 'ECC_NIST_EDWARDS25519') return { SigningAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] };
  const sha = spec === 'ECC_NIST_P384' ? '384' : spec === 'ECC_NIST_P521' ? '512' : '256';
  return { SigningAlgorithms: [`ECDSA_SHA_${sha}`] };
}

export function keyMetadata(store: Store, key: KeyRecord): Record<string, unknown> {
  const arn = arnOf(key);
  const meta: Record<string, unknown> = {
    AWSAccountId: accountOf(key),
    KeyId: key.keyId,
    Arn: arn,
    CreationDate: key.creationDate / 1000,
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.state,
    Origin: key.origin,
    KeyManager: key.keyManager,
    KeySpec: key.keySpec,
    ...algorithms(key),
    MultiRegion: key.multiRegionRole !== undefined,
  };
  if (!key.keySpec.startsWith('ML_DSA') && key.keySpec !== 'ECC_NIST_EDWARDS25519') meta.CustomerMasterKeySpec = key.keySpec;
  if (key.state === 'PendingDeletion' && key.deletionDate !== undefined) meta.DeletionDate = key.deletionDate / 1000;
  if (key.state === 'PendingReplicaDeletion') meta.PendingDeletionWindowInDays = key.pendingWindowInDays;
  if (isSymmetric(key) && key.origin === 'AWS_KMS') meta.CurrentKeyMaterialId = currentMaterialId(store, key);
  if (key.multiRegionRole) {
    const primary = materialOwner(store, key);
    meta.MultiRegionConfiguration = {
      MultiRegionKeyType: key.multiRegionRole,
      PrimaryKey: { Arn: keyArn(accountOf(key), primary.region, key.keyId), Region: primary.region },
      ReplicaKeys: (primary.replicaRegions ?? []).map((r) => ({ Arn: keyArn(accountOf(key), r, key.keyId), Region: r })),
    };
  }
  return meta;
}

// ---------------------------------------------------------------------------------------------
// Pagination: opaque markers that carry the next index and the last item's id, so a page costs
// O(page) and a list that changed between pages still resumes after the right item.

interface Page<T> {
  items: T[];
  Truncated: boolean;
  NextMarker?: string;
}

function paginate<T>(
  ctx: RequestContext,
  params: Record<string, unknown>,
  all: readonly T[],
  idOf: (item: T) => string,
  limits: { max: number; default: number },
): Page<T> {
  const limit = optionalNumber(params, 'Limit') ?? limits.default;
  requireRange(limit, 'limit', 1, limits.max);
  const marker = optionalString(params, 'Marker');
  let start = 0;
  if (marker !== undefined) {
    const decoded = decodeMarker(marker, ctx.operation);
    if (!decoded) throw new AwsError('InvalidMarkerException', `Invalid marker: ${marker}`);
    if (decoded.index > 0 && decoded.index <= all.length && idOf(all[decoded.index - 1]!) === decoded.last) start = decoded.index;
    else {
      const at = all.findIndex((item) => idOf(item) === decoded.last);
      start = at >= 0 ? at + 1 : Math.min(decoded.index, all.length);
    }
  }
  const items = all.slice(start, start + limit);
  const end = start + items.length;
  if (end >= all.length || items.length === 0) return { items, Truncated: false };
  return { items, Truncated: true, NextMarker: encodeMarker(ctx.operation, end, idOf(items.at(-1)!)) };
}

function encodeMarker(operation: string, index: number, last: string): string {
  const body = JSON.stringify({ o: operation, i: index, l: last });
  const check = createHash('sha256').update(body).digest('hex').slice(0, 8);
  return Buffer.from(`${check}${body}`).toString('base64url');
}

function decodeMarker(marker: string, operation: string): { index: number; last: string } | undefined {
  try {
    const text = Buffer.from(marker, 'base64url').toString('utf8');
    const body = text.slice(8);
    if (createHash('sha256').update(body).digest('hex').slice(0, 8) !== text.slice(0, 8)) return undefined;
    const raw = JSON.parse(body) as { o?: unknown; i?: unknown; l?: unknown };
    if (raw.o !== operation || typeof raw.i !== 'number' || !Number.isInteger(raw.i) || raw.i < 0 || typeof raw.l !== 'string') return undefined;
    return { index: raw.i, last: raw.l };
  } catch {
    return undefined;
  }
}

function pageOut<T>(page: Page<T>, field: string, map: (item: T) => unknown): Record<string, unknown> {
  return { [field]: page.items.map(map), Truncated: page.Truncated, ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Operations

function dryRun(params: Record<string, unknown>): void {
  if (params.DryRun === true) throw new AwsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
}

/**
 * CHOICE (KMS.md §11: the data "can lag by up to one hour"): the strict end. A use reaches
 * GetKeyLastUsage exactly one hour after it happened, in sandbox time; until then the previous
 * use is reported.
 */
export const LAST_USAGE_LAG_MS = 3_600_000;

/** A successful crypto call: reported by GetKeyLastUsage once LAST_USAGE_LAG_MS has passed. */
function recordUse(ctx: RequestContext, key: KeyRecord, operation: string): void {
  const nowMs = ctx.now().getTime();
  settleUsage(key, nowMs);
  const use = { operation, timestamp: nowMs, cloudTrailEventId: ctx.eventId ?? eventIdForRequest(ctx.requestId), kmsRequestId: ctx.requestId };
  const recent = (key.recentUsage ??= []);
  // At most one waiting use a minute: a newer one replaces it, so a busy key stays small on
  // disk; the replaced use is never reported, and the report still lags by an hour or more.
  const last = recent.at(-1);
  if (last && use.timestamp >= last.timestamp && use.timestamp - last.timestamp < 60_000) recent[recent.length - 1] = use;
  else recent.push(use);
  ctx.store.touch(key);
}

/** How many of the waiting uses are old enough to be reported at `nowMs`. */
function visibleCount(key: KeyRecord, nowMs: number): number {
  const recent = key.recentUsage ?? [];
  let visible = 0;
  while (visible < recent.length && recent[visible]!.timestamp <= nowMs - LAST_USAGE_LAG_MS) visible += 1;
  return visible;
}

/** Moves the uses that have become reportable into `lastUsage`. */
function settleUsage(key: KeyRecord, nowMs: number): void {
  const visible = visibleCount(key, nowMs);
  if (visible === 0) return;
  key.lastUsage = key.recentUsage![visible - 1]!;
  if (visible === key.recentUsage!.length) delete key.recentUsage;
  else key.recentUsage = key.recentUsage!.slice(visible);
}

/**
 * The last use GetKeyLastUsage reports at `nowMs` (sandbox time): the newest use at least
 * LAST_USAGE_LAG_MS old. Anything else that reads "the key's last use" the way KMS tracks it
 * (the kms:TrailingDaysWithoutKeyUsage condition key) should read it here.
 */
export function reportedLastUsage(key: KeyRecord, nowMs: number): KeyRecord['lastUsage'] {
  const visible = visibleCount(key, nowMs);
  return visible > 0 ? key.recentUsage![visible - 1] : key.lastUsage;
}

/** The CloudTrail event id of a call served over HTTP (the same derivation as recordKmsCall's). */
export function eventIdForRequest(requestId: string): string {
  const hex = createHash('sha256').update(`event/${requestId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const createKey: Handler = (ctx, params) => {
  const description = optionalString(params, 'Description') ?? '';
  if (description.length > 8192) throw validationError(description, 'description', 'Member must have length less than or equal to 8192');
  const spec = optionalEnum(params, 'KeySpec', KEY_SPECS) ?? optionalEnum(params, 'CustomerMasterKeySpec', KEY_SPECS) ?? 'SYMMETRIC_DEFAULT';
  const usage = optionalEnum(params, 'KeyUsage', KEY_USAGES) ?? 'ENCRYPT_DECRYPT';
  const origin = optionalEnum(params, 'Origin', ORIGINS) ?? 'AWS_KMS';
  const policy = optionalString(params, 'Policy');
  if (policy !== undefined) checkPolicy(policy);
  const tags = readTags(params) ?? [];
  if (tags.length > 50) throw new AwsError('TagException', 'Too many tags');
  // CHOICE: message wording for an incompatible spec/usage pair.
  if (!USAGES_FOR_SPEC[spec]!.includes(usage)) throw new AwsError('ValidationException', `KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
  if (origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE' || optionalString(params, 'CustomKeyStoreId') !== undefined) {
    // CHOICE: custom key stores are not emulated.
    throw new AwsError('CustomKeyStoreNotFoundException', 'Custom key stores are not available in the keywarden sandbox.');
  }
  checkAccountAccess(ctx, params);
  const multiRegion = params.MultiRegion === true;
  const keyId = multiRegion ? randomMrkId() : randomKeyId();
  const now = ctx.now().getTime();
  const key: KeyRecord = {
    keyId,
    ...(ctx.store.account !== SANDBOX_ACCOUNT ? { account: ctx.store.account } : {}),
    region: ctx.region,
    creationDate: now,
    description,
    state: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled',
    keyUsage: usage,
    keySpec: spec,
    origin,
    keyManager: 'CUSTOMER',
    ...(multiRegion ? { multiRegionRole: 'PRIMARY' as const, replicaRegions: [] } : {}),
    ...(policy !== undefined ? { policy } : {}),
    tags,
    rotationEnabled: false,
    originalMaterialId: materialIdFor(`${keyId}/0/${now}`),
    rotations: [],
    grants: [],
  };
  if (policy !== undefined) checkLockout(ctx, params, keyFacts(key, policy));
  ctx.store.addKey(key);
  noteKey(ctx, key);
  return { KeyMetadata: keyMetadata(ctx.store, key) };
};

const describeKey: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'), { alias: true });
  return { KeyMetadata: keyMetadata(ctx.store, key) };
};

const listKeys: Handler = (ctx, params) => {
  checkAccountAccess(ctx, params);
  const page = paginate(ctx, params, ctx.store.keysOf(ctx.region), (k) => k.keyId, { max: 1000, default: 100 });
  return pageOut(page, 'Keys', (k) => ({ KeyId: k.keyId, KeyArn: arnOf(k) }));
};

function aliasEntry(account: string, alias: AliasRecord): Record<string, unknown> {
  return {
    AliasName: alias.name,
    AliasArn: aliasArn(account, alias.region, alias.name),
    ...(alias.targetKeyId ? { TargetKeyId: alias.targetKeyId } : {}),
    ...(alias.creationDate !== undefined ? { CreationDate: alias.creationDate / 1000 } : {}),
    ...(alias.lastUpdatedDate !== undefined ? { LastUpdatedDate: alias.lastUpdatedDate / 1000 } : {}),
  };
}

const listAliases: Handler = (ctx, params) => {
  const keyId = optionalString(params, 'KeyId');
  let aliases = ctx.store.aliasesOf(ctx.region);
  if (keyId !== undefined) {
    const key = resolveKey(ctx, keyId);
    aliases = aliases.filter((a) => a.targetKeyId === key.keyId);
  } else {
    checkAccountAccess(ctx, params);
    if (ctx.caller.account !== ctx.store.account) aliases = [];
  }
  aliases.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = paginate(ctx, params, aliases, (a) => a.name, { max: 100, default: 50 });
  return pageOut(page, 'Aliases', (alias) => aliasEntry(ctx.store.account, alias));
};

function checkAliasName(name: string): void {
  if (name.length > 256) throw validationError(name, 'aliasName', 'Member must have length less than or equal to 256');
  if (!ALIAS_NAME_PATTERN.test(name)) throw validationError(name, 'aliasName', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$');
  if (!name.startsWith('alias/') || name === 'alias/') throw new AwsError('InvalidAliasNameException', 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  // CHOICE: the reserved prefix is refused with InvalidAliasNameException.
  if (name.startsWith('alias/aws/')) throw new AwsError('InvalidAliasNameException', `Alias names that begin with alias/aws/ are reserved for AWS managed keys: ${name}`);
}

const createAlias: Handler = (ctx, params) => {
  const name = requiredString(params, 'AliasName');
  const target = requiredString(params, 'TargetKeyId');
  checkAliasName(name);
  const key = resolveKey(ctx, target);
  requireNotPendingDeletion(key);
  if (ctx.store.alias(ctx.region, name)) {
    throw new AwsError('AlreadyExistsException', `An alias with the name ${aliasArn(ctx.store.account, ctx.region, name)} already exists`);
  }
  if (ctx.store.aliasesOf(ctx.region).filter((a) => a.targetKeyId === key.keyId).length >= 50) {
    throw new AwsError('LimitExceededException', `Key ${arnOf(key)} already has the maximum of 50 aliases`);
  }
  const now = ctx.now().getTime();
  ctx.store.addAlias({ name, region: ctx.region, targetKeyId: key.keyId, creationDate: now, lastUpdatedDate: now });
  return {};
};

const deleteAlias: Handler = (ctx, params) => {
  const name = requiredString(params, 'AliasName');
  if (name.startsWith('alias/aws/')) checkAliasName(name);
  const alias = ctx.store.alias(ctx.region, name);
  if (!alias) throw new AwsError('NotFoundException', `Alias ${aliasArn(ctx.store.account, ctx.region, name)} is not found.`);
  if (alias.targetKeyId) {
    const key = ctx.store.key(ctx.region, alias.targetKeyId);
    if (key) authorize(ctx, key);
  }
  ctx.store.removeAlias(alias);
  return {};
};

const listResourceTags: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const tags = [...key.tags].sort((a, b) => (a.TagKey < b.TagKey ? -1 : a.TagKey > b.TagKey ? 1 : 0));
  const page = paginate(ctx, params, tags, (t) => t.TagKey, { max: 50, default: 50 });
  return pageOut(page, 'Tags', (t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }));
};

const tagResource: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const tags = readTags(params);
  if (!tags) throw validationError(null, 'tags', 'Member must not be null');
  const key = resolveKey(ctx, keyId);
  requireNotPendingDeletion(key);
  const merged = new Map(key.tags.map((t) => [t.TagKey, t.TagValue]));
  for (const tag of tags) merged.set(tag.TagKey, tag.TagValue);
  if (merged.size > 50) throw new AwsError('TagException', 'Too many tags');
  key.tags = [...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
  ctx.store.touch(key);
  return {};
};

const untagResource: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const tagKeys = param<unknown>(params, 'TagKeys');
  if (!Array.isArray(tagKeys)) throw validationError(null, 'tagKeys', 'Member must not be null');
  const key = resolveKey(ctx, keyId);
  requireNotPendingDeletion(key);
  key.tags = key.tags.filter((t) => !tagKeys.includes(t.TagKey));
  ctx.store.touch(key);
  return {};
};

function policyName(params: Record<string, unknown>): string {
  const name = optionalString(params, 'PolicyName') ?? 'default';
  if (!/^[\w]+$/.test(name)) throw validationError(name, 'policyName', 'Member must satisfy regular expression pattern: [\\w]+');
  // CHOICE: any name but "default" is NotFoundException.
  if (name !== 'default') throw new AwsError('NotFoundException', `No such policy exists: ${name}`);
  return name;
}

const getKeyPolicy: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const name = policyName(params);
  return { Policy: key.policy ?? defaultKeyPolicy(accountOf(key)), PolicyName: name };
};

const putKeyPolicy: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const policy = requiredString(params, 'Policy');
  checkPolicy(policy);
  const key = resolveKey(ctx, keyId);
  policyName(params);
  checkLockout(ctx, params, keyFacts(key, policy));
  key.policy = policy;
  ctx.store.touch(key);
  return {};
};

/** Rotation calls on keys that cannot rotate (KMS.md §2.2); `forStatus` = GetKeyRotationStatus. */
function rotationRefusal(ctx: RequestContext, key: KeyRecord): AwsError | undefined {
  const arn = arnOf(key);
  if (key.origin === 'EXTERNAL') return new AwsError('UnsupportedOperationException', `${arn} origin is EXTERNAL which is not valid for this operation.`);
  if (key.origin === 'AWS_CLOUDHSM' || key.origin === 'EXTERNAL_KEY_STORE') {
    return new AwsError('UnsupportedOperationException', `${arn} origin is ${key.origin} which is not valid for this operation.`);
  }
  if (!isSymmetric(key)) {
    // RotateKeyOnDemand answers with an empty message ([LS]; the SDK shows it as "UnknownError").
    // CHOICE: Enable/DisableKeyRotation and ListKeyRotations name the key spec instead.
    if (ctx.operation === 'RotateKeyOnDemand') return new AwsError('UnsupportedOperationException', '');
    return new AwsError('UnsupportedOperationException', `${arn} has key spec ${key.keySpec}, which does not support key rotation.`);
  }
  // CHOICE (KMS.md §10 item 9): rotation calls on a replica.
  if (key.multiRegionRole === 'REPLICA') return new AwsError('UnsupportedOperationException', `${arn} is not a multi-region primary key.`);
  return undefined;
}

const getKeyRotationStatus: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const arn = arnOf(key);
  if (key.origin === 'EXTERNAL') throw new AwsError('UnsupportedOperationException', `${arn} origin is EXTERNAL which is not valid for this operation.`);
  if (key.keyManager === 'AWS') {
    return { KeyId: arn, KeyRotationEnabled: true, RotationPeriodInDays: 365, NextRotationDate: nextYearlyRotation(key, ctx.now().getTime()) / 1000 };
  }
  // CHOICE: asymmetric and HMAC keys answer {KeyRotationEnabled:false} without KeyId (ansible evidence, KMS.md §2.2).
  if (!isSymmetric(key)) return { KeyRotationEnabled: false };
  if (isPendingDeletionState(key.state)) return { KeyId: arn, KeyRotationEnabled: false };
  const owner = materialOwner(ctx.store, key);
  if (!owner.rotationEnabled) return { KeyId: arn, KeyRotationEnabled: false };
  return {
    KeyId: arn,
    KeyRotationEnabled: true,
    RotationPeriodInDays: owner.rotationPeriodInDays ?? 365,
    ...(owner.nextRotationDate !== undefined ? { NextRotationDate: owner.nextRotationDate / 1000 } : {}),
  };
};

function nextYearlyRotation(key: KeyRecord, nowMs: number): number {
  const period = 365 * DAY_MS;
  const elapsed = Math.max(0, nowMs - key.creationDate);
  return key.creationDate + (Math.floor(elapsed / period) + 1) * period;
}

/** Shared checks of Enable/DisableKeyRotation (KMS.md §1.3 footnotes 1, 3, 6, 7). */
function rotationChangeTarget(ctx: RequestContext, params: Record<string, unknown>): KeyRecord {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const refusal = rotationRefusal(ctx, key);
  if (refusal) throw refusal;
  if (key.state === 'Disabled') throw new AwsError('DisabledException', `${arnOf(key)} is disabled.`);
  const error = stateError(key);
  if (error) throw error;
  return key;
}

const enableKeyRotation: Handler = (ctx, params) => {
  const period = optionalNumber(params, 'RotationPeriodInDays');
  if (period !== undefined) requireRange(period, 'rotationPeriodInDays', 90, 2560);
  const key = rotationChangeTarget(ctx, params);
  const days = period ?? (key.rotationEnabled ? key.rotationPeriodInDays ?? 365 : 365);
  const now = ctx.now().getTime();
  if (!key.rotationEnabled || key.rotationPeriodInDays !== days || key.nextRotationDate === undefined) {
    key.rotationEnabled = true;
    key.rotationPeriodInDays = days;
    key.nextRotationDate = now + days * DAY_MS;
    ctx.store.touch(key);
  }
  return {};
};

const disableKeyRotation: Handler = (ctx, params) => {
  const key = rotationChangeTarget(ctx, params);
  key.rotationEnabled = false;
  delete key.nextRotationDate;
  ctx.store.touch(key);
  return {};
};

const rotateKeyOnDemand: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const arn = arnOf(key);
  if (key.origin === 'EXTERNAL' && key.state === 'PendingImport') throw new AwsError('KMSInvalidStateException', `${arn} is pending import.`);
  const refusal = rotationRefusal(ctx, key);
  if (refusal) throw refusal;
  if (key.state === 'Disabled') throw new AwsError('DisabledException', `${arn} is disabled.`);
  // CHOICE (KMS.md §10 item 1): pending deletion → KMSInvalidStateException "… is pending deletion.".
  const error = stateError(key);
  if (error) throw error;
  const onDemand = key.rotations.filter((r) => r.type === 'ON_DEMAND').length;
  if (onDemand >= ON_DEMAND_ROTATION_LIMIT) {
    throw new AwsError(
      'LimitExceededException',
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${arn}`,
    );
  }
  const now = ctx.now().getTime();
  // CHOICE: on-demand rotation completes at once (no OnDemandRotationStartDate, no ConflictException).
  key.rotations.push({ materialId: materialIdFor(`${key.keyId}/${key.rotations.length + 1}/${now}/${randomUUID()}`), date: now, type: 'ON_DEMAND' });
  ctx.store.touch(key);
  return { KeyId: arn };
};

const listKeyRotations: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const include = optionalEnum(params, 'IncludeKeyMaterial', ['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY']) ?? 'ROTATIONS_ONLY';
  const arn = arnOf(key);
  // CHOICE (KMS.md §10 item 1): ListKeyRotations works in every key state; keys that cannot
  // rotate refuse it like the rotation calls do.
  if (key.keyManager === 'CUSTOMER') {
    const refusal = rotationRefusal(ctx, key);
    if (refusal && key.multiRegionRole !== 'REPLICA') throw refusal;
  }
  const owner = materialOwner(ctx.store, key);
  const current = currentMaterialId(ctx.store, key);
  type Entry = { id: string; rotation?: { date: number; type: string } };
  const entries: Entry[] = [
    ...(include === 'ALL_KEY_MATERIAL' ? [{ id: originalMaterialId(owner) }] : []),
    ...owner.rotations.map((r) => ({ id: r.materialId, rotation: { date: r.date, type: r.type } })),
  ];
  const page = paginate(ctx, params, entries, (e) => e.id, { max: 1000, default: 100 });
  return pageOut(page, 'Rotations', (e) => ({
    KeyId: arn,
    KeyMaterialId: e.id,
    KeyMaterialState: e.id === current ? 'CURRENT' : 'NON_CURRENT',
    ...(e.rotation ? { RotationDate: e.rotation.date / 1000, RotationType: e.rotation.type } : {}),
  }));
};

const getKeyLastUsage: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const usage = reportedLastUsage(key, ctx.now().getTime());
  return {
    KeyId: arnOf(key),
    KeyCreationDate: key.creationDate / 1000,
    TrackingStartDate: Math.max(TRACKING_START_MS, key.creationDate) / 1000,
    KeyLastUsage:
      usage && usage.timestamp >= TRACKING_START_MS
        ? { Operation: usage.operation, Timestamp: usage.timestamp / 1000, CloudTrailEventId: usage.cloudTrailEventId, KmsRequestId: usage.kmsRequestId }
        : {},
  };
};

// --- Grants (KMS.md §4)

function grantEntry(key: KeyRecord, grant: GrantRecord): Record<string, unknown> {
  return {
    KeyId: arnOf(key),
    GrantId: grant.grantId,
    ...(grant.name !== undefined ? { Name: grant.name } : {}),
    CreationDate: grant.creationDate / 1000,
    ...(grant.granteePrincipal ? { GranteePrincipal: grant.granteePrincipal } : {}),
    ...(grant.granteeServicePrincipal ? { GranteeServicePrincipal: grant.granteeServicePrincipal } : {}),
    ...(grant.retiringPrincipal ? { RetiringPrincipal: grant.retiringPrincipal } : {}),
    ...(grant.retiringServicePrincipal ? { RetiringServicePrincipal: grant.retiringServicePrincipal } : {}),
    IssuingAccount: `arn:aws:iam::${accountOf(key)}:root`,
    Operations: grant.operations,
    ...(grant.constraints ? { Constraints: constraintsOut(grant.constraints) } : {}),
  };
}

function constraintsOut(c: NonNullable<GrantRecord['constraints']>): Record<string, unknown> {
  return {
    ...(c.encryptionContextSubset ? { EncryptionContextSubset: c.encryptionContextSubset } : {}),
    ...(c.encryptionContextEquals ? { EncryptionContextEquals: c.encryptionContextEquals } : {}),
  };
}

export function newGrantToken(): string {
  return randomBytes(96).toString('base64url');
}

export function newGrantId(): string {
  return randomBytes(32).toString('hex');
}

const createGrant: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const grantee = optionalString(params, 'GranteePrincipal');
  const granteeService = optionalString(params, 'GranteeServicePrincipal');
  if (grantee === undefined && granteeService === undefined) throw validationError(null, 'granteePrincipal', 'Member must not be null');
  if (grantee !== undefined && granteeService !== undefined) {
    throw new AwsError('ValidationException', 'Specify either GranteePrincipal or GranteeServicePrincipal, not both.');
  }
  const operations = param<unknown>(params, 'Operations');
  if (!Array.isArray(operations)) throw validationError(null, 'operations', 'Member must not be null');
  if (operations.length === 0) throw validationError('[]', 'operations', 'Member must have length greater than or equal to 1');
  for (const [i, op] of operations.entries()) {
    if (typeof op !== 'string' || !(GRANT_OPERATIONS as readonly string[]).includes(op)) {
      throw validationError(op, `operations.${i + 1}.member`, `Member must satisfy enum value set: [${GRANT_OPERATIONS.join(', ')}]`);
    }
  }
  const name = optionalString(params, 'Name');
  if (name !== undefined && (name.length < 1 || name.length > 256 || !/^[a-zA-Z0-9:/_-]+$/.test(name))) {
    throw validationError(name, 'name', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$');
  }
  const retiring = optionalString(params, 'RetiringPrincipal');
  const retiringService = optionalString(params, 'RetiringServicePrincipal');
  const rawConstraints = param<Record<string, unknown>>(params, 'Constraints');
  const subset = rawConstraints ? stringMap(rawConstraints, 'EncryptionContextSubset') : undefined;
  const equals = rawConstraints ? stringMap(rawConstraints, 'EncryptionContextEquals') : undefined;
  const key = resolveKey(ctx, keyId);
  requireUsable(key);
  dryRun(params);
  const constraints = subset || equals ? { ...(subset ? { encryptionContextSubset: subset } : {}), ...(equals ? { encryptionContextEquals: equals } : {}) } : undefined;
  const candidate = {
    granteePrincipal: grantee,
    granteeServicePrincipal: granteeService,
    retiringPrincipal: retiring,
    retiringServicePrincipal: retiringService,
    operations: [...(operations as string[])],
    constraints,
  };
  if (name !== undefined) {
    const same = key.grants.find(
      (g) =>
        g.name === name &&
        JSON.stringify([g.granteePrincipal, g.granteeServicePrincipal, g.retiringPrincipal, g.retiringServicePrincipal, [...g.operations].sort(), g.constraints]) ===
          JSON.stringify([grantee, granteeService, retiring, retiringService, [...candidate.operations].sort(), constraints]),
    );
    if (same) return { GrantToken: same.token, GrantId: same.grantId };
  }
  if (key.grants.length >= 50_000) throw new AwsError('LimitExceededException', `Key ${arnOf(key)} already has the maximum of 50000 grants`);
  const grant: GrantRecord = {
    grantId: newGrantId(),
    token: newGrantToken(),
    creationDate: ctx.now().getTime(),
    operations: candidate.operations,
    ...(name !== undefined ? { name } : {}),
    ...(grantee !== undefined ? { granteePrincipal: grantee } : {}),
    ...(granteeService !== undefined ? { granteeServicePrincipal: granteeService } : {}),
    ...(retiring !== undefined ? { retiringPrincipal: retiring } : {}),
    ...(retiringService !== undefined ? { retiringServicePrincipal: retiringService } : {}),
    ...(constraints ? { constraints } : {}),
  };
  ctx.store.addGrant(key, grant);
  return { GrantToken: grant.token, GrantId: grant.grantId };
};

const listGrants: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const grantId = optionalString(params, 'GrantId');
  const grantee = optionalString(params, 'GranteePrincipal');
  let grants = key.grants;
  if (grantId !== undefined) grants = grants.filter((g) => g.grantId === grantId);
  if (grantee !== undefined) grants = grants.filter((g) => g.granteePrincipal === grantee);
  const page = paginate(ctx, params, grants, (g) => g.grantId, { max: 100, default: 50 });
  return pageOut(page, 'Grants', (g) => grantEntry(key, g));
};

/** CHOICE (KMS.md §4.2): an unknown grant id is NotFoundException "Grant ID <id> not found" for Retire and Revoke. */
function findGrant(key: KeyRecord, grantId: string): GrantRecord {
  const grant = key.grants.find((g) => g.grantId === grantId);
  if (!grant) throw new AwsError('NotFoundException', `Grant ID ${grantId} not found`);
  return grant;
}

const retireGrant: Handler = (ctx, params) => {
  const token = optionalString(params, 'GrantToken');
  const keyId = optionalString(params, 'KeyId');
  const grantId = optionalString(params, 'GrantId');
  if (token !== undefined) {
    const found = ctx.store.grantByTokenValue(token);
    // CHOICE: an unknown token is InvalidGrantTokenException.
    if (!found || found.key.region !== ctx.region) throw new AwsError('InvalidGrantTokenException', 'Invalid grant token');
    noteKey(ctx, found.key);
    authorize(ctx, found.key, found.grant);
    dryRun(params);
    ctx.store.removeGrant(found.key, found.grant);
    return {};
  }
  if (keyId === undefined || grantId === undefined) {
    // CHOICE: wording when neither a token nor KeyId + GrantId is given.
    throw new AwsError('ValidationException', 'Either GrantToken, or both KeyId and GrantId, must be specified');
  }
  // The grant decides who may retire it (its retiring principal, or its grantee when it includes
  // RetireGrant); anyone else needs kms:RetireGrant from the key policy.
  const key = lookupKey(ctx, keyId, {});
  noteKey(ctx, key);
  authorize(ctx, key, key.grants.find((g) => g.grantId === grantId));
  const grant = findGrant(key, grantId);
  dryRun(params);
  ctx.store.removeGrant(key, grant);
  return {};
};

const revokeGrant: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const grantId = requiredString(params, 'GrantId');
  const key = resolveKey(ctx, keyId);
  const grant = findGrant(key, grantId);
  dryRun(params);
  ctx.store.removeGrant(key, grant);
  return {};
};

// --- State changes (KMS.md §1.2, §5)

const enableKey: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const error = key.state === 'Enabled' || key.state === 'Disabled' || key.state === 'Unavailable' ? undefined : stateError(key);
  if (error) throw error;
  if (key.state === 'Disabled') {
    key.state = 'Enabled';
    ctx.store.stateChanged(key);
  }
  return {};
};

const disableKey: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const error = key.state === 'Enabled' || key.state === 'Disabled' || key.state === 'Unavailable' ? undefined : stateError(key);
  if (error) throw error;
  if (key.state === 'Enabled') {
    key.state = 'Disabled';
    ctx.store.stateChanged(key);
  }
  return {};
};

const scheduleKeyDeletion: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const window = optionalNumber(params, 'PendingWindowInDays');
  // CHOICE (KMS.md §10 item 2): AWS's usual validation wording for 7–30.
  if (window !== undefined) requireRange(window, 'pendingWindowInDays', 7, 30);
  const days = window ?? 30;
  const key = resolveKey(ctx, keyId);
  if (isPendingDeletionState(key.state) || key.state === 'Updating') throw stateError(key)!;
  const arn = arnOf(key);
  key.pendingWindowInDays = days;
  if (key.multiRegionRole === 'PRIMARY' && (key.replicaRegions ?? []).length > 0) {
    key.state = 'PendingReplicaDeletion';
    delete key.deletionDate;
    ctx.store.stateChanged(key);
    return { KeyId: arn, KeyState: key.state, PendingWindowInDays: days };
  }
  key.state = 'PendingDeletion';
  key.deletionDate = ctx.now().getTime() + days * DAY_MS;
  ctx.store.stateChanged(key);
  return { KeyId: arn, DeletionDate: key.deletionDate / 1000, KeyState: key.state, PendingWindowInDays: days };
};

const cancelKeyDeletion: Handler = (ctx, params) => {
  const key = resolveKey(ctx, requiredString(params, 'KeyId'));
  const arn = arnOf(key);
  if (!isPendingDeletionState(key.state)) throw new AwsError('KMSInvalidStateException', `${arn} is not pending deletion.`);
  key.state = 'Disabled';
  delete key.deletionDate;
  delete key.pendingWindowInDays;
  ctx.store.stateChanged(key);
  return { KeyId: arn };
};

// --- Crypto (symmetric keys only; KMS.md §1.3 row "Encrypt, Decrypt, …")

function requireSymmetricEncryption(key: KeyRecord, operation: string): void {
  if (key.keyUsage !== 'ENCRYPT_DECRYPT') {
    // CHOICE: wording of InvalidKeyUsageException.
    throw new AwsError('InvalidKeyUsageException', `${arnOf(key)} key usage is ${key.keyUsage} which is not valid for ${operation}.`);
  }
  if (!isSymmetric(key)) {
    // CHOICE: asymmetric encryption is not emulated.
    throw new AwsError('UnsupportedOperationException', `${arnOf(key)} is asymmetric; the keywarden sandbox emulates symmetric encryption only.`);
  }
}

function encryptionAlgorithm(params: Record<string, unknown>): void {
  const algorithm = optionalEnum(params, 'EncryptionAlgorithm', ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE']);
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw new AwsError('InvalidKeyUsageException', `The encryption algorithm ${algorithm} is not valid for a symmetric encryption KMS key.`);
  }
}

function sealFor(ctx: RequestContext, key: KeyRecord, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  return seal(ctx.store.state.secret, { arn: arnOf(key), keyId: key.keyId, region: key.region, materialId: currentMaterialId(ctx.store, key) }, plaintext, context);
}

const encrypt: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const plaintext = blob(params, 'Plaintext', 1, 4096);
  const context = stringMap(params, 'EncryptionContext');
  encryptionAlgorithm(params);
  const key = resolveKey(ctx, keyId, { alias: true });
  requireUsable(key);
  requireSymmetricEncryption(key, 'Encrypt');
  dryRun(params);
  const ciphertext = sealFor(ctx, key, plaintext, context);
  recordUse(ctx, key, 'Encrypt');
  return { CiphertextBlob: ciphertext.toString('base64'), KeyId: arnOf(key), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
};

const decrypt: Handler = (ctx, params) => {
  const ciphertext = blob(params, 'CiphertextBlob', 1, 6144);
  const context = stringMap(params, 'EncryptionContext');
  const keyId = optionalString(params, 'KeyId');
  encryptionAlgorithm(params);
  const header = peekHeader(ciphertext);
  // CHOICE: InvalidCiphertextException carries an empty message, as in AWS responses seen in [LS].
  if (!header) throw new AwsError('InvalidCiphertextException', '');
  const isMrk = MRK_PATTERN.test(header.keyId);
  if (header.region !== ctx.region && !isMrk) throw new AwsError('InvalidCiphertextException', '');
  let key: KeyRecord;
  if (keyId !== undefined) {
    key = resolveKey(ctx, keyId, { alias: true });
    if (key.keyId !== header.keyId) {
      throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
    }
  } else {
    key = resolveKey(ctx, header.region === ctx.region ? header.arn : keyArn(ARN_PATTERN.exec(header.arn)?.[2] ?? ctx.store.account, ctx.region, header.keyId));
  }
  requireUsable(key);
  requireSymmetricEncryption(key, 'Decrypt');
  dryRun(params);
  const plaintext = open(ctx.store.state.secret, ciphertext, context);
  if (!plaintext) throw new AwsError('InvalidCiphertextException', '');
  recordUse(ctx, key, 'Decrypt');
  return { KeyId: arnOf(key), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
};

function dataKeyLength(params: Record<string, unknown>): number {
  const bytes = optionalNumber(params, 'NumberOfBytes');
  const spec = optionalEnum(params, 'KeySpec', ['AES_256', 'AES_128']);
  if (bytes !== undefined) requireRange(bytes, 'numberOfBytes', 1, 1024);
  // CHOICE: same message when both or neither are given.
  if ((bytes === undefined) === (spec === undefined)) throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
  return bytes ?? (spec === 'AES_128' ? 16 : 32);
}

function generateDataKeyWith(operation: 'GenerateDataKey' | 'GenerateDataKeyWithoutPlaintext'): Handler {
  return (ctx, params) => {
    const keyId = requiredString(params, 'KeyId');
    const length = dataKeyLength(params);
    const context = stringMap(params, 'EncryptionContext');
    const key = resolveKey(ctx, keyId, { alias: true });
    requireUsable(key);
    requireSymmetricEncryption(key, operation);
    dryRun(params);
    const dataKey = randomBytes(length);
    const ciphertext = sealFor(ctx, key, dataKey, context);
    recordUse(ctx, key, operation);
    return {
      CiphertextBlob: ciphertext.toString('base64'),
      ...(operation === 'GenerateDataKey' ? { Plaintext: dataKey.toString('base64') } : {}),
      KeyId: arnOf(key),
      KeyMaterialId: currentMaterialId(ctx.store, key),
    };
  };
}

// --- Multi-Region

const replicateKey: Handler = (ctx, params) => {
  const keyId = requiredString(params, 'KeyId');
  const replicaRegion = requiredString(params, 'ReplicaRegion');
  if (!REGION_PATTERN.test(replicaRegion)) throw validationError(replicaRegion, 'replicaRegion', 'Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$');
  const policy = optionalString(params, 'Policy');
  if (policy !== undefined) checkPolicy(policy);
  const description = optionalString(params, 'Description');
  const tags = readTags(params);
  const primary = resolveKey(ctx, keyId);
  const arn = arnOf(primary);
  // CHOICE: the same message for a single-Region key as for a replica ([LS] has it for replicas).
  if (primary.multiRegionRole !== 'PRIMARY') throw new AwsError('UnsupportedOperationException', `${arn} is not a multi-region primary key.`);
  requireNotPendingDeletion(primary);
  // CHOICE: replicating into the primary's own Region or an occupied Region.
  if (replicaRegion === primary.region) throw new AwsError('ValidationException', `The replica Region ${replicaRegion} must differ from the primary key's Region.`);
  if (ctx.store.key(replicaRegion, primary.keyId)) {
    throw new AwsError('AlreadyExistsException', `Replica key ${keyArn(accountOf(primary), replicaRegion, primary.keyId)} already exists.`);
  }
  const replica: KeyRecord = {
    keyId: primary.keyId,
    region: replicaRegion,
    creationDate: ctx.now().getTime(),
    description: description ?? primary.description,
    state: primary.origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled',
    keyUsage: primary.keyUsage,
    keySpec: primary.keySpec,
    origin: primary.origin,
    keyManager: 'CUSTOMER',
    multiRegionRole: 'REPLICA',
    primaryRegion: primary.region,
    ...(policy !== undefined ? { policy } : primary.policy !== undefined ? { policy: primary.policy } : {}),
    tags: tags ?? [],
    rotationEnabled: false,
    originalMaterialId: originalMaterialId(primary),
    rotations: [],
    grants: [],
  };
  primary.replicaRegions = [...(primary.replicaRegions ?? []), replicaRegion];
  ctx.store.touch(primary);
  ctx.store.addKey(replica);
  return {
    ReplicaKeyMetadata: keyMetadata(ctx.store, replica),
    ReplicaPolicy: replica.policy ?? defaultKeyPolicy(accountOf(replica)),
    ReplicaTags: replica.tags,
  };
};

/** Every handler keeps its request's parameters for the policy evaluation. */
function withRequestParams(handlers: Record<string, Handler>): Record<string, Handler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      (ctx: RequestContext, params: Record<string, unknown>) => {
        requestParams.set(ctx, params);
        return handler(ctx, params);
      },
    ]),
  );
}

export const kmsService: JsonService = {
  name: 'kms',
  targetPrefix: 'TrentService.',
  contentType: 'application/x-amz-json-1.1',
  operations: withRequestParams({
    CreateKey: createKey,
    DescribeKey: describeKey,
    ListKeys: listKeys,
    ListAliases: listAliases,
    CreateAlias: createAlias,
    DeleteAlias: deleteAlias,
    ListResourceTags: listResourceTags,
    TagResource: tagResource,
    UntagResource: untagResource,
    GetKeyPolicy: getKeyPolicy,
    PutKeyPolicy: putKeyPolicy,
    GetKeyRotationStatus: getKeyRotationStatus,
    EnableKeyRotation: enableKeyRotation,
    DisableKeyRotation: disableKeyRotation,
    RotateKeyOnDemand: rotateKeyOnDemand,
    ListKeyRotations: listKeyRotations,
    GetKeyLastUsage: getKeyLastUsage,
    CreateGrant: createGrant,
    ListGrants: listGrants,
    RetireGrant: retireGrant,
    RevokeGrant: revokeGrant,
    EnableKey: enableKey,
    DisableKey: disableKey,
    ScheduleKeyDeletion: scheduleKeyDeletion,
    CancelKeyDeletion: cancelKeyDeletion,
    Encrypt: encrypt,
    Decrypt: decrypt,
    GenerateDataKey: generateDataKeyWith('GenerateDataKey'),
    GenerateDataKeyWithoutPlaintext: generateDataKeyWith('GenerateDataKeyWithoutPlaintext'),
    ReplicateKey: replicateKey,
  }),
};
