// Secrets never enter the journal. Anything we record (request parameters, SDK responses) goes
// through `redact` first: values under secret-looking keys are masked, binary blobs (ciphertext,
// plaintext, key material arrive as Uint8Array) are replaced by their size, and the result is
// plain JSON so it survives a round trip through the file unchanged.

/** Keys whose values are masked, at any depth. */
export const SECRET_KEY_PATTERN = /secret|token|password|credential|plaintext|ciphertextblob|sessiontoken|accesskey|keymaterial|privatekey/i;
export const REDACTED = '[redacted]';

export function redact(value: Record<string, unknown>): Record<string, unknown>;
export function redact(value: unknown): unknown;
export function redact(value: unknown): unknown {
  const result = clean(value, []);
  return result === undefined ? null : result;
}

function clean(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (ArrayBuffer.isView(object)) return `[binary ${object.byteLength} bytes]`;
  if (object instanceof ArrayBuffer) return `[binary ${object.byteLength} bytes]`;
  if (ancestors.includes(object)) return '[circular]';
  const inside = [...ancestors, object];
  if (object instanceof Error) return { name: object.name, message: object.message };
  if (Array.isArray(object)) return object.map((item) => clean(item, inside) ?? null);
  if (object instanceof Set) return [...object].map((item) => clean(item, inside) ?? null);
  const entries: Array<[string, unknown]> =
    object instanceof Map ? [...object].map(([key, item]) => [String(key), item]) : Object.entries(object);
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    if (SECRET_KEY_PATTERN.test(key)) {
      out[key] = REDACTED;
      continue;
    }
    const cleaned = clean(item, inside);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  return out;
}
