// Where the over-HTTP tests send their requests: the sandbox started on 127.0.0.1:0, or any
// AWS-compatible endpoint named by KEYWARDEN_TEST_ENDPOINT (then tests that need the sandbox's
// fault injection, seeded estate, clock or request quotas are skipped, and mutating tests only
// touch keys they create). The built-in sandbox enforces AWS's request quotas (docs/sandbox.md); a
// test that deliberately drives more load than an account allows passes `quotaScale`.
//
// A third-party endpoint is reached through a recording proxy (test/helpers/recording-proxy.ts),
// so `requests()` lists what keywarden sent there as it does for the sandbox. Such an endpoint may
// serve only some services: KEYWARDEN_TEST_ENDPOINT_SERVICES lists them (default "kms,sts": a
// KMS emulator; keywarden reads the account from the keys when STS is missing), and `serves()`
// skips the tests that need another.

import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { createClients, type Clients } from '../../src/aws/clients.js';
import { startRecordingProxy, type ProxiedRequest } from './recording-proxy.js';

export const externalEndpoint = process.env.KEYWARDEN_TEST_ENDPOINT || undefined;

const externalServices = new Set((process.env.KEYWARDEN_TEST_ENDPOINT_SERVICES ?? 'kms,sts').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));

/** Whether the endpoint under test serves every one of `services` (the sandbox serves them all). */
export function serves(...services: Array<'kms' | 'sts' | 'cloudtrail' | 'logs' | 'monitoring' | 'securityhub' | 's3' | 'organizations'>): boolean {
  return !externalEndpoint || services.every((service) => externalServices.has(service));
}

/** The services the retirement needs besides KMS: CloudTrail, CloudWatch Logs and CloudWatch alarms. */
export const servesRetirement = () => serves('kms', 'cloudtrail', 'logs', 'monitoring');

export interface TestEndpoint {
  url: string;
  /** Present when the tests run against the built-in sandbox. */
  sandbox?: Sandbox;
  clients(regions?: string[]): Clients;
  /** Every request the endpoint was sent, in order (through the recording proxy for a third-party endpoint). */
  requests(): Array<Pick<ProxiedRequest, 'service' | 'operation' | 'region' | 'params' | 'status' | 'errorCode' | 'receivedAt'>>;
  clearRequests(): void;
  close(): Promise<void>;
}

export async function openEndpoint(options: SandboxOptions = {}): Promise<TestEndpoint> {
  const made: Clients[] = [];
  if (externalEndpoint) {
    const proxy = await startRecordingProxy(externalEndpoint);
    return {
      url: proxy.url,
      clients(regions = [process.env.AWS_REGION ?? 'us-east-1']) {
        const clients = createClients({ regions, endpoint: proxy.url });
        made.push(clients);
        return clients;
      },
      requests: () => proxy.requests(),
      clearRequests: () => proxy.clearRequests(),
      async close() {
        for (const clients of made) clients.destroy();
        await proxy.close();
      },
    };
  }
  const sandbox = await startSandbox({ port: 0, ...options });
  return {
    url: sandbox.url,
    sandbox,
    clients(regions = ['us-east-1']) {
      const clients = createClients({ regions, endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
      made.push(clients);
      return clients;
    },
    requests: () => sandbox.requests(),
    clearRequests: () => sandbox.clearRequests(),
    async close() {
      for (const clients of made) clients.destroy();
      await sandbox.close();
    },
  };
}

const servedOperations = new Map<string, Promise<boolean>>();

/**
 * Whether the endpoint serves every one of these KMS operations. The sandbox serves all that
 * keywarden calls; a third-party emulator may lack the newer ones (GetKeyLastUsage,
 * RotateKeyOnDemand, ListKeyRotations …). Probed once each by sending the operation with no
 * parameters: HTTP 501 or UnknownOperationException means "not served"; a validation error means
 * it is.
 */
export async function servesKms(...operations: string[]): Promise<boolean> {
  if (!externalEndpoint) return true;
  const answers = operations.map((operation) => {
    let probe = servedOperations.get(operation);
    if (!probe) {
      probe = fetch(externalEndpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
        body: '{}',
      }).then(async (answer) => answer.status !== 501 && !/UnknownOperation/.test(await answer.text()));
      servedOperations.set(operation, probe);
    }
    return probe;
  });
  return (await Promise.all(answers)).every(Boolean);
}

let rotationPeriods: Promise<boolean> | undefined;

/**
 * Whether the endpoint keeps a key's rotation period (RotationPeriodInDays, added to KMS in 2024):
 * probed once with a key of its own, which is then scheduled for deletion.
 */
export function reportsRotationPeriod(): Promise<boolean> {
  if (!externalEndpoint) return Promise.resolve(true);
  rotationPeriods ??= (async () => {
    const { CreateKeyCommand, EnableKeyRotationCommand, GetKeyRotationStatusCommand, ScheduleKeyDeletionCommand } = await import('@aws-sdk/client-kms');
    const clients = createClients({ regions: [process.env.AWS_REGION ?? 'us-east-1'], endpoint: externalEndpoint! });
    try {
      const kms = clients.kms(clients.regions[0]!);
      const key = await kms.send(new CreateKeyCommand({ Description: 'keywarden contract probe: rotation period' }));
      const keyId = key.KeyMetadata!.KeyId!;
      await kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 180 }));
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      return status.RotationPeriodInDays === 180;
    } finally {
      clients.destroy();
    }
  })();
  return rotationPeriods;
}
