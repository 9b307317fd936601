import { describe, expect, it } from 'vitest';
import { STSClient } from '@aws-sdk/client-sts';
import { makeClient } from './endpoint-guard.js';

describe('makeClient', () => {
  it('refuses a client of a service whose endpoint is not checked before start', () => {
    class LambdaClient {
      config = { serviceId: 'Lambda' };
      middlewareStack = { add() {} };
      constructor(_config: object) {}
    }
    expect(() => makeClient(LambdaClient, {})).toThrow(/Lambda is not in KEYWARDEN_SERVICES/);
  });

  it('a client given a profile takes that profile\'s configured endpoint, not AWS_PROFILE\'s', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'kw-guard-')), 'config');
    writeFileSync(file, '[default]\nendpoint_url = https://default.example\n[profile p1]\nendpoint_url = https://p1.example\n');
    const saved = { ...process.env };
    try {
      process.env.AWS_CONFIG_FILE = file;
      delete process.env.AWS_PROFILE;
      delete process.env.AWS_ENDPOINT_URL;
      delete process.env.AWS_ENDPOINT_URL_STS;
      const client = makeClient(STSClient, { profile: 'p1', region: 'us-east-1' });
      const config = client.config as unknown as { serviceConfiguredEndpoint(): Promise<string | undefined> };
      expect(await config.serviceConfiguredEndpoint()).toBe('https://p1.example');
      client.destroy();
    } finally {
      process.env = saved;
    }
  });
});
