// Real symmetric encryption for the sandbox: AES-256-GCM with per-key material derived on demand
// (HMAC of the state's secret, the key id and the material id), so 10,000 keys cost nothing until
// used. The ciphertext blob names the key and the material, so Decrypt needs no KeyId.

import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';

const MAGIC = Buffer.from('KWS1');

/** Deterministic 64-hex material id (KMS.md §2.1 KeyMaterialId). */
export function materialIdFor(seed: string): string {
  return createHash('sha256').update(`material:${seed}`).digest('hex');
}

/** Deterministic lower-case UUID-shaped id from a name. */
export function uuidFor(seed: string): string {
  const hex = createHash('sha256').update(`key:${seed}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function mrkIdFor(seed: string): string {
  return `mrk-${createHash('sha256').update(`mrk:${seed}`).digest('hex').slice(0, 32)}`;
}

export function randomKeyId(): string {
  return randomUUID();
}

export function randomMrkId(): string {
  return `mrk-${randomBytes(16).toString('hex')}`;
}

function material(secret: string, keyId: string, materialId: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'hex')).update(`${keyId}/${materialId}`).digest();
}

/** Encryption context as AAD: sorted, so the order of keys does not matter. */
function contextBytes(context: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries));
}

export interface CiphertextHeader {
  /** Key ARN. */
  arn: string;
  keyId: string;
  region: string;
  materialId: string;
}

export function seal(secret: string, header: CiphertextHeader, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const head = Buffer.from(JSON.stringify({ a: header.arn, k: header.keyId, r: header.region, m: header.materialId }));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', material(secret, header.keyId, header.materialId), iv);
  cipher.setAAD(Buffer.concat([head, contextBytes(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(head.length);
  return Buffer.concat([MAGIC, length, head, iv, cipher.getAuthTag(), body]);
}

/** Reads the header without decrypting; undefined when the blob is not ours. */
export function peekHeader(blob: Buffer): CiphertextHeader | undefined {
  if (blob.length < MAGIC.length + 2 + 28 || !blob.subarray(0, 4).equals(MAGIC)) return undefined;
  const length = blob.readUInt16BE(4);
  if (blob.length < 6 + length + 28) return undefined;
  try {
    const raw = JSON.parse(blob.subarray(6, 6 + length).toString('utf8')) as { a?: unknown; k?: unknown; r?: unknown; m?: unknown };
    if (typeof raw.a !== 'string' || typeof raw.k !== 'string' || typeof raw.r !== 'string' || typeof raw.m !== 'string') return undefined;
    return { arn: raw.a, keyId: raw.k, region: raw.r, materialId: raw.m };
  } catch {
    return undefined;
  }
}

/** Undefined when the tag does not verify (wrong context, tampered blob). */
export function open(secret: string, blob: Buffer, context: Record<string, string> | undefined): Buffer | undefined {
  const header = peekHeader(blob);
  if (!header) return undefined;
  const length = blob.readUInt16BE(4);
  const head = blob.subarray(6, 6 + length);
  const iv = blob.subarray(6 + length, 18 + length);
  const tag = blob.subarray(18 + length, 34 + length);
  const body = blob.subarray(34 + length);
  try {
    const decipher = createDecipheriv('aes-256-gcm', material(secret, header.keyId, header.materialId), iv);
    decipher.setAAD(Buffer.concat([head, contextBytes(context)]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}
