// Where the over-HTTP tests send their requests: the sandbox started on 127.0.0.1:0, or any
// AWS-compatible endpoint named by KEYWARDEN_TEST_ENDPOINT (then tests that need the sandbox's
// fault injection, seeded estate or request quotas are skipped, and mutating tests only touch keys
// they create). The built-in sandbox enforces AWS's request quotas (docs/sandbox.md); a test that
// deliberately drives more load than an account allows passes `quotaScale`.

import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { createClients, type Clients } from '../../src/aws/clients.js';

export const externalEndpoint = process.env.KEYWARDEN_TEST_ENDPOINT;

export interface TestEndpoint {
  url: string;
  /** Present when the tests run against the built-in sandbox. */
  sandbox?: Sandbox;
  clients(regions?: string[]): Clients;
  close(): Promise<void>;
}

export async function openEndpoint(options: SandboxOptions = {}): Promise<TestEndpoint> {
  const made: Clients[] = [];
  if (externalEndpoint) {
    return {
      url: externalEndpoint,
      clients(regions = [process.env.AWS_REGION ?? 'us-east-1']) {
        const clients = createClients({ regions, endpoint: externalEndpoint });
        made.push(clients);
        return clients;
      },
      async close() {
        for (const clients of made) clients.destroy();
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
    async close() {
      for (const clients of made) clients.destroy();
      await sandbox.close();
    },
  };
}
