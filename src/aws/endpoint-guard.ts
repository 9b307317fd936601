// A signed request carries the access key id, a signature over the request and (for temporary
// credentials) the session token in clear headers. Over plain HTTP anyone on the path can read
// and replay them, so http:// is allowed only where the traffic never leaves this machine
// (loopback), unless the operator explicitly accepts the risk (--allow-insecure-endpoint).

import { isIP } from 'node:net';
import { KeywardenError } from '../domain/errors.js';

/** 127.0.0.0/8, ::1 (and ::ffff:127.x), `localhost` and `*.localhost` (RFC 6761). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const version = isIP(host);
  if (version === 4) return host.split('.')[0] === '127';
  if (version === 6) {
    if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return mapped[1]!.split('.')[0] === '127';
    const mappedHex = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
    if (mappedHex) return parseInt(mappedHex[1]!, 16) >> 8 === 127;
  }
  return false;
}

/**
 * Throws unless signed requests may go to `url`: https anywhere, http only to loopback, or http
 * anywhere when `allowInsecure` (the operator said so).
 */
export function assertEndpointIsSafe(url: URL, options: { allowInsecure?: boolean; source?: string } = {}): void {
  if (url.protocol === 'https:' || options.allowInsecure) return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  throw new KeywardenError(
    'usage',
    `${options.source ?? '--endpoint-url'} ${url.protocol}//${url.host} is plain HTTP to a host that is not this machine: signed requests (and any session token) would cross the network unencrypted. Use https://, or pass --allow-insecure-endpoint if you accept that.`,
  );
}

/** Where an endpoint the SDK resolved by itself came from, in the words of the setting. */
function endpointSource(serviceEnvSuffix: string): string {
  const perService = `AWS_ENDPOINT_URL_${serviceEnvSuffix}`;
  if (process.env[perService]) return `the endpoint from ${perService}`;
  if (process.env.AWS_ENDPOINT_URL) return 'the endpoint from AWS_ENDPOINT_URL';
  return 'the endpoint (endpoint_url in your AWS config, or --endpoint-url)';
}

interface GuardableClient {
  config: { serviceId?: string };
  middlewareStack: {
    add(
      middleware: (next: (args: { request?: unknown }) => Promise<unknown>) => (args: { request?: unknown }) => Promise<unknown>,
      options: { step: 'build'; name: string; priority: 'low' },
    ): void;
  };
}

/**
 * The same rule for every way an endpoint can be chosen — `--endpoint-url`, AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_<SERVICE>, `endpoint_url` in the shared config (profile or services
 * section): the check runs on the request the SDK has built, after it resolved the endpoint and
 * before it is signed and sent.
 */
export function guardEndpoint<T>(client: T, options: { allowInsecure?: boolean } = {}): T {
  const guardable = client as unknown as GuardableClient;
  const suffix = (guardable.config.serviceId ?? '').toUpperCase().replace(/\s+/g, '_');
  // The endpoint last found safe: a client sends every request to the same place, so the URL is
  // parsed and checked once, not on every request (a different one is checked again).
  let safe: { protocol: string; hostname: string; port: number | undefined } | undefined;
  guardable.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
      if (request?.protocol && request.hostname && !(safe && safe.protocol === request.protocol && safe.hostname === request.hostname && safe.port === request.port)) {
        const host = request.hostname.includes(':') ? `[${request.hostname}]` : request.hostname;
        const url = new URL(`${request.protocol.replace(/:?$/, ':')}//${host}${request.port ? `:${request.port}` : ''}`);
        assertEndpointIsSafe(url, { allowInsecure: options.allowInsecure ?? false, source: endpointSource(suffix) });
        safe = { protocol: request.protocol, hostname: request.hostname, port: request.port };
      }
      return next(args);
    },
    { step: 'build', name: 'keywardenEndpointGuard', priority: 'low' },
  );
  return client;
}
