// Plain HTTP to another machine is refused the same way however the endpoint was chosen —
// --endpoint-url, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> (KMS, Organizations …), the shared
// config's endpoint_url or [services] section, through AWS_PROFILE or --profile: exit 2 before
// anything is printed, and nothing at all reaches that host. The "other machine" is a recorder
// listening on this machine's own non-loopback address; the rest goes to the sandbox.
// Needs `npm run build` first.

import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { externalEndpoint } from '../helpers/endpoint.js';
import { runKeywarden } from './terminal.js';

/** This machine's first non-loopback IPv4 address: the guard takes it for another machine. */
const farAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)?.address;

/** A server that records every request and answers 404 with no body. */
async function startRecorder(host: string): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url} ${request.headers['x-amz-target'] ?? ''}`);
    request.resume();
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address() as { port: number };
  return { url: `http://${host}:${address.port}`, hits, server };
}

describe.skipIf(externalEndpoint || !farAddress)('an insecure endpoint, however chosen', () => {
  let sandbox: Sandbox;
  let far: Awaited<ReturnType<typeof startRecorder>>;
  let near: Awaited<ReturnType<typeof startRecorder>>;
  let dir: string;
  const env = (more: Record<string, string>) => ({
    KEYWARDEN_HOME: mkdtempSync(join(dir, 'home-')),
    AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: 'keywarden-test-session-token',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    ...more,
  });
  const config = (text: string) => {
    const file = join(mkdtempSync(join(dir, 'aws-')), 'config');
    writeFileSync(file, text);
    return file;
  };
  const refused = (run: { code: number; stdout: string; stderr: string }, source: RegExp) => {
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(source);
    expect(run.stderr).toMatch(/is plain HTTP to a host that is not this machine/);
    expect(run.code).toBe(2);
    expect(far.hits).toEqual([]);
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    far = await startRecorder(farAddress!);
    near = await startRecorder('127.0.0.1');
    dir = mkdtempSync(join(tmpdir(), 'kw-insecure-'));
  });
  afterAll(async () => {
    far.server.close();
    near.server.close();
    await sandbox.close();
  });
  beforeEach(() => {
    far.hits.length = 0;
  });

  it('AWS_ENDPOINT_URL_ORGANIZATIONS: --org is refused before DescribeOrganization is sent', async () => {
    const run = await runKeywarden(['list', '--org', '--no-last-use'], env({ AWS_ENDPOINT_URL: sandbox.url, AWS_ENDPOINT_URL_ORGANIZATIONS: far.url }));
    refused(run, /AWS_ENDPOINT_URL_ORGANIZATIONS/);
  });

  it('organizations in the [services] section of AWS_PROFILE is refused the same way', async () => {
    const file = config(`[profile p1]\nendpoint_url = ${sandbox.url}\nservices = mixed\n[services mixed]\norganizations =\n  endpoint_url = ${far.url}\n`);
    const run = await runKeywarden(['list', '--org', '--no-last-use'], env({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'p1' }));
    refused(run, /endpoint_url of organizations in the services section "mixed" of profile p1/);
  });

  it('AWS_ENDPOINT_URL_KMS is refused as AWS_ENDPOINT_URL is: exit 2, no empty table, no clock probe', async () => {
    refused(await runKeywarden(['list', '--no-last-use'], env({ AWS_ENDPOINT_URL: sandbox.url, AWS_ENDPOINT_URL_KMS: far.url })), /AWS_ENDPOINT_URL_KMS/);
    refused(await runKeywarden(['list', '--no-last-use'], env({ AWS_ENDPOINT_URL: far.url })), /AWS_ENDPOINT_URL/);
    refused(await runKeywarden(['list', '--no-last-use'], env({ AWS_ENDPOINT_URL: sandbox.url, AWS_ENDPOINT_URL_STS: far.url })), /AWS_ENDPOINT_URL_STS/);
    const file = config(`[default]\nendpoint_url = ${sandbox.url}\nservices = mixed\n[services mixed]\nkms =\n  endpoint_url = ${far.url}\n`);
    refused(await runKeywarden(['list', '--no-last-use'], env({ AWS_CONFIG_FILE: file })), /endpoint_url of kms in the services section "mixed" of profile default/);
  });

  it('--profile takes the endpoint_url of the profile it names, as AWS_PROFILE does', async () => {
    const file = config(
      `[profile far]\nendpoint_url = ${far.url}\n` +
        `[profile near]\nendpoint_url = ${sandbox.url}\naws_access_key_id = ${SANDBOX_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${SANDBOX_CREDENTIALS.secretAccessKey}\n`,
    );
    refused(await runKeywarden(['list', '--no-last-use', '--profile', 'far'], env({ AWS_CONFIG_FILE: file })), /endpoint_url of profile far/);
    refused(await runKeywarden(['list', '--no-last-use'], env({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'far' })), /endpoint_url of profile far/);
    // A safe endpoint_url of the named profile is the one used: the sandbox's keys, not AWS's.
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, AWS_SESSION_TOKEN: _t, ...noKeys } = env({ AWS_CONFIG_FILE: file });
    const near = await runKeywarden(['list', '--no-last-use', '--json', '--profile', 'near'], noKeys);
    expect(near.stderr).toBe('');
    expect(near.code).toBe(0);
    expect((JSON.parse(near.stdout) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
  });

  it('accepted with --allow-insecure-endpoint', async () => {
    const run = await runKeywarden(['list', '--org', '--no-last-use', '--allow-insecure-endpoint'], env({ AWS_ENDPOINT_URL: sandbox.url, AWS_ENDPOINT_URL_ORGANIZATIONS: far.url }));
    expect(run.stderr).not.toMatch(/plain HTTP/);
    expect(far.hits.some((hit) => hit.includes('DescribeOrganization'))).toBe(true);
  });

  it('an Organizations endpoint that answers 404 with no body is named by what it answered', async () => {
    const run = await runKeywarden(['list', '--org', '--no-last-use'], env({ AWS_ENDPOINT_URL: sandbox.url, AWS_ENDPOINT_URL_ORGANIZATIONS: near.url }));
    expect(run.stderr).toMatch(/Organizations: the endpoint does not serve this operation \(HTTP 404 with an empty body, not an AWS error\)/);
    expect(run.stderr).not.toMatch(/UnknownError/);
    expect(run.code).toBe(1);
  });
});
