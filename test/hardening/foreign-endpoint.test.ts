// A third-party endpoint, or a proxy in front of it, that answers something other than AWS's
// protocol: an HTML error page. keywarden says what came back, and a broken endpoint fails in a
// few seconds instead of eight attempts with growing back-off.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { createClients } from '../../src/aws/clients.js';
import { toDomainError } from '../../src/aws/errors.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { Terminal, runKeywarden } from '../e2e/terminal.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function htmlEndpoint(status: number): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits += 1;
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<html><head><title>${status} Bad Gateway</title></head><body><h1>${status} Bad Gateway</h1></body></html>`);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, hits: () => hits };
}

const credentials = { accessKeyId: 'AKIAKEYWARDENTEST', secretAccessKey: 'keywarden-test-secret' };

describe('an endpoint that answers HTML', () => {
  it('is reported as such, not as a JSON parse error', async () => {
    const endpoint = await htmlEndpoint(200);
    const clients = createClients({ regions: ['us-east-1'], endpoint: endpoint.url, credentials });
    try {
      const error = await clients.kms('us-east-1').send(new ListKeysCommand({})).catch((e: unknown) => e);
      const domain = toDomainError(error, 'ListKeys');
      expect(domain.message).toBe('ListKeys: the endpoint answered HTTP 200 with an HTML page, not an AWS answer — is the endpoint URL right, or is a proxy in the way?');
      expect(domain.message).not.toMatch(/Unexpected token|hidden field/);
    } finally {
      clients.destroy();
    }
  });

  it('a failing endpoint is retried only within the time budget, then reported', async () => {
    const endpoint = await htmlEndpoint(502);
    const clients = createClients({ regions: ['us-east-1'], endpoint: endpoint.url, credentials, serverErrorRetryBudgetMs: 300 });
    try {
      const error = await new AwsKeySource(clients).identity().catch((e: unknown) => e);
      expect(String((error as Error).message)).toMatch(/GetCallerIdentity: the endpoint answered HTTP 502 with an HTML page/);
      // Retried (a proxy may recover), but not the eight attempts the retry mode allows.
      expect(endpoint.hits()).toBeGreaterThan(1);
      expect(endpoint.hits()).toBeLessThan(8);
    } finally {
      clients.destroy();
    }
  });
  it('the command line says it is retrying, then fails with the reason (exit 1)', async () => {
    const endpoint = await htmlEndpoint(502);
    const out = await runKeywarden(['list', '--endpoint-url', endpoint.url, '--region', 'us-east-1'], { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/keywarden: the endpoint answered HTTP 502; retrying \(attempt 2, for up to 4 s in all\)/);
    expect(out.stderr).toMatch(/HTTP 502 with an HTML page/);
  });
  it('the TUI says in its footer that it is retrying', async () => {
    const endpoint = await htmlEndpoint(502);
    const terminal = await Terminal.start({
      args: ['--endpoint-url', endpoint.url, '--region', 'us-east-1'],
      env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    });
    try {
      await terminal.waitFor(/the endpoint answered HTTP 502; retrying \(attempt \d\)/, 20_000);
      // Once the retries are spent the failure replaces the notice, and the keys are unknown, not "none".
      const failed = await terminal.waitFor(/Could not list the keys/, 20_000);
      expect(failed).toMatch(/us-east-1: the endpoint answered HTTP 502 with an HTML page/);
      expect(failed).not.toMatch(/No customer-managed keys/);
      await terminal.type('q');
      expect(await terminal.exitCode()).toBe(0);
    } finally {
      await terminal.close();
    }
  });
});
