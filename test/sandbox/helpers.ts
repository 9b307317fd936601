// Shared setup for the sandbox conformance tests: a sandbox on 127.0.0.1:0 and real SDK clients
// that do not retry, so every error the sandbox returns reaches the assertion unchanged.

import { CreateKeyCommand, DescribeKeyCommand, KMSClient, type CreateKeyCommandInput } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';

export interface Harness {
  sandbox: Sandbox;
  kms(region?: string): KMSClient;
  sts(): STSClient;
  /** Key ARN of an alias or id (seeded keys are addressed by alias in the tests). */
  arn(keyId: string, region?: string): Promise<string>;
  /** A fresh customer key for a mutating test. */
  createKey(input?: CreateKeyCommandInput, region?: string): Promise<string>;
  close(): Promise<void>;
}

export async function openHarness(options: SandboxOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox({ port: 0, ...options });
  const clients = new Map<string, KMSClient>();
  const made: Array<{ destroy(): void }> = [];
  const kms = (region = 'us-east-1'): KMSClient => {
    let client = clients.get(region);
    if (!client) {
      client = new KMSClient({ region, endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
      clients.set(region, client);
      made.push(client);
    }
    return client;
  };
  return {
    sandbox,
    kms,
    sts() {
      const client = new STSClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
      made.push(client);
      return client;
    },
    async arn(keyId, region) {
      const out = await kms(region).send(new DescribeKeyCommand({ KeyId: keyId }));
      return out.KeyMetadata!.Arn!;
    },
    async createKey(input = {}, region) {
      const out = await kms(region).send(new CreateKeyCommand({ Description: 'sandbox test key', ...input }));
      return out.KeyMetadata!.Arn!;
    },
    async close() {
      for (const client of made) client.destroy();
      await sandbox.close();
    },
  };
}

/** The error a call fails with, as `{name, message}`; fails the test if the call succeeds. */
export async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}) };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
