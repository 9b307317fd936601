// Credentials never appear in the journal, reports, logs or error messages; the journal, the
// retirement records, the sandbox state and the inventory cache are created 0600 in 0700
// directories; a signed request never goes over plain HTTP to another host unless allowed.

import { statSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeInventoryCache, inventoryCacheFile } from '../../src/app/inventory-cache.js';
import { createClients, parseEndpoint } from '../../src/aws/clients.js';
import { isLoopbackHost } from '../../src/aws/endpoint-guard.js';
import { toDomainError } from '../../src/aws/errors.js';
import { printError } from '../../src/commands/output.js';
import { redactSecrets } from '../../src/domain/sanitize.js';
import { Journal } from '../../src/journal/journal.js';
import { driver, newKey, prepare, RestartableSandbox, tempDir } from './helpers.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION = `IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD${'A1b2C3d4'.repeat(30)}`;
const mode = (path: string) => statSync(path).mode & 0o777;

let s: RestartableSandbox;
beforeAll(async () => {
  s = await RestartableSandbox.start(join(tempDir(), 'deeper', 'sandbox'));
});
afterAll(async () => {
  await s.close();
});

describe('secrets never leak', () => {
  it('the journal masks secret-looking parameters and binary payloads', async () => {
    const dir = join(tempDir(), 'new-home');
    const journal = new Journal(join(dir, 'journal.jsonl'));
    const intent = await journal.recordIntent({
      action: 'Test',
      account: '111122223333',
      region: 'us-east-1',
      caller: 'arn:aws:iam::111122223333:user/x',
      keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
      params: { SecretAccessKey: SECRET, SessionToken: SESSION, nested: [{ password: 'hunter2hunter2' }], Plaintext: new Uint8Array([1, 2, 3]), CiphertextBlob: new Uint8Array(8) },
    });
    await journal.recordResult(intent, { ok: true, response: { Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: SESSION } } });
    const text = readFileSync(journal.path, 'utf8');
    for (const secret of [SECRET, SESSION, 'hunter2hunter2']) expect(text).not.toContain(secret);
    expect(JSON.parse(text.split('\n')[0]!).params).toMatchObject({ Plaintext: '[redacted]', CiphertextBlob: '[redacted]' });
  });

  it('an SDK error echoing the configured secret or a session token is redacted before it is journalled or printed', () => {
    const previous = { secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    process.env.AWS_SECRET_ACCESS_KEY = 'configuredSecret1234567890';
    process.env.AWS_SESSION_TOKEN = 'configuredToken-abcdefgh';
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const sdk = Object.assign(new Error(`The request signature we calculated does not match. Canonical: x-amz-security-token:${SESSION} secret=${SECRET} configuredSecret1234567890 url ?X-Amz-Security-Token=configuredToken-abcdefgh&X-Amz-Signature=abcdef0123`), { name: 'InvalidSignatureException', $metadata: {} });
      const domain = toDomainError(sdk, 'DisableKey');
      for (const secret of [SECRET, SESSION, 'configuredSecret1234567890', 'configuredToken-abcdefgh', 'abcdef0123']) expect(domain.message).not.toContain(secret);
      expect(domain.message).toContain('The request signature we calculated does not match');
      printError(`raw: ${SECRET} ${SESSION} configuredToken-abcdefgh`);
      expect(writes.join('')).not.toMatch(/wJalrXUtnFEMI|IQoJb3JpZ2lu|configuredToken/);
    } finally {
      spy.mockRestore();
      if (previous.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = previous.secret;
      if (previous.token === undefined) delete process.env.AWS_SESSION_TOKEN;
      else process.env.AWS_SESSION_TOKEN = previous.token;
    }
  });

  it('keeps what is not a secret: key ARNs, request ids, access key ids, hex digests, aliases', () => {
    const text = 'arn:aws:kms:us-east-1:111122223333:key/d4766243-a700-48b1-b441-b3d9cb3198f9 req 9f1c2a4e-1b2c-4d5e-8f90-123456789abc AKIAIOSFODNN7EXAMPLE 3f786850e387550fdab836ed7e6dc881de23001b alias/ApplicationKeyForProductionUseOnlyXyz';
    expect(redactSecrets(text)).toBe(text);
  });

  it('a retirement run leaves no credential in the journal, the records or the sandbox request log', async () => {
    const d = await driver(s);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    await d.retirements.armAlarm(await d.retirements.disable(record, preflight.findings));
    const files = [join(d.dir, 'journal.jsonl'), ...readdirSync(join(d.dir, 'retirements')).map((f) => join(d.dir, 'retirements', f))];
    const { SANDBOX_CREDENTIALS } = await import('../../src/sandbox/constants.js');
    for (const file of files) expect(readFileSync(file, 'utf8')).not.toContain(SANDBOX_CREDENTIALS.secretAccessKey);
    expect(JSON.stringify(s.sandbox.requests())).not.toContain(SANDBOX_CREDENTIALS.secretAccessKey);
  });
});

describe('private files', () => {
  it('journal, retirement records, sandbox state and inventory cache are 0600 in 0700 directories', async () => {
    const home = join(tempDir(), 'fresh', 'home');
    const d = await driver(s, home);
    const k = await newKey(s);
    const { record, preflight } = await prepare(d, k);
    await d.retirements.disable(record, preflight.findings);
    expect(mode(home)).toBe(0o700);
    expect(mode(join(home, 'journal.jsonl'))).toBe(0o600);
    expect(mode(join(home, 'retirements'))).toBe(0o700);
    for (const f of readdirSync(join(home, 'retirements'))) expect(mode(join(home, 'retirements', f))).toBe(0o600);

    expect(mode(s.statePath)).toBe(0o600);
    expect(mode(join(s.statePath, '..'))).toBe(0o700);

    const previous = process.env.KEYWARDEN_HOME;
    process.env.KEYWARDEN_HOME = join(tempDir(), 'cache-home');
    try {
      const scope = { account: '111122223333', endpoint: 'sandbox', region: 'us-east-1' };
      await writeInventoryCache(scope, []);
      expect(mode(inventoryCacheFile(scope))).toBe(0o600);
      expect(mode(join(inventoryCacheFile(scope), '..'))).toBe(0o700);
    } finally {
      if (previous === undefined) delete process.env.KEYWARDEN_HOME;
      else process.env.KEYWARDEN_HOME = previous;
    }
  });
});

describe('signed requests over plain HTTP', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'api.localhost', '[::1]', '::1', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.0.0.5', '128.0.0.1', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io', '[::2]', '0.0.0.0', '::ffff:10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses http:// to another host unless explicitly allowed; https and loopback are fine', () => {
    expect(() => parseEndpoint('http://10.0.0.5:4566')).toThrow(/plain HTTP to a host that is not this machine.*--allow-insecure-endpoint/);
    expect(() => parseEndpoint('http://localstack.internal:4566')).toThrow(/plain HTTP/);
    expect(parseEndpoint('http://10.0.0.5:4566', { allowInsecure: true }).host).toBe('10.0.0.5:4566');
    expect(parseEndpoint('https://kms.example.com').protocol).toBe('https:');
    expect(parseEndpoint('http://127.0.0.1:4566').port).toBe('4566');
    expect(parseEndpoint('http://[::1]:4566').hostname).toBe('[::1]');
    expect(() => createClients({ regions: ['us-east-1'], endpoint: 'http://kms.example.com' })).toThrow(/plain HTTP/);
    const allowed = createClients({ regions: ['us-east-1'], endpoint: 'http://kms.example.com', allowInsecureEndpoint: true });
    allowed.destroy();
  });
});
