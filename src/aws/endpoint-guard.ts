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

/**
 * Every AWS service keywarden talks to, by the SDK's service id (the name AWS_ENDPOINT_URL_<ID>
 * and the shared config's `[services]` section use). A client of another service is refused by
 * makeClient, so a new one cannot be added without being checked before start.
 */
export const KEYWARDEN_SERVICES = ['KMS', 'STS', 'CloudTrail', 'CloudWatch Logs', 'CloudWatch', 'S3', 'SecurityHub', 'Organizations', 'EC2'] as const;

export interface ConfiguredEndpoint {
  url: string;
  /** The setting it came from, in its own words ("AWS_ENDPOINT_URL_KMS", "endpoint_url of profile p1" …). */
  source: string;
}

/**
 * The endpoint the AWS SDK takes for `serviceId` from the environment or the shared config when
 * no endpoint is given in code — AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 * `[services]` section, the profile's `endpoint_url`; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
 * or the profile's `ignore_configured_endpoint_urls` says so — read from `profile` (--profile)
 * when one is given, else from AWS_PROFILE or `default`, as the SDK does.
 */
export async function configuredEndpoint(serviceId: string, profile?: string): Promise<ConfiguredEndpoint | undefined> {
  const { loadConfig, booleanSelector, SelectorType, CONFIG_PREFIX_SEPARATOR } = await import('@smithy/core/config');
  const init = profile ? { profile } : {};
  const ignore = await loadConfig(
    {
      environmentVariableSelector: (env) => booleanSelector(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', SelectorType.ENV),
      configFileSelector: (section) => booleanSelector(section, 'ignore_configured_endpoint_urls', SelectorType.CONFIG),
      default: false,
    },
    init,
  )();
  if (ignore) return undefined;
  const profileName = profile ?? process.env.AWS_PROFILE ?? 'default';
  return loadConfig<ConfiguredEndpoint | undefined>(
    {
      environmentVariableSelector: (env) => {
        const perService = ['AWS_ENDPOINT_URL', ...serviceId.split(' ').map((w) => w.toUpperCase())].join('_');
        if (env[perService]) return { url: env[perService]!, source: perService };
        if (env.AWS_ENDPOINT_URL) return { url: env.AWS_ENDPOINT_URL, source: 'AWS_ENDPOINT_URL' };
        return undefined;
      },
      configFileSelector: (section, file) => {
        if (section.services) {
          const services = file?.[['services', section.services].join(CONFIG_PREFIX_SEPARATOR)];
          const key = serviceId.split(' ').map((w) => w.toLowerCase()).join('_');
          const url = services?.[[key, 'endpoint_url'].join(CONFIG_PREFIX_SEPARATOR)];
          if (url) return { url, source: `endpoint_url of ${key} in the services section "${section.services}" of profile ${profileName}` };
        }
        if (section.endpoint_url) return { url: section.endpoint_url, source: `endpoint_url of profile ${profileName}` };
        return undefined;
      },
      default: undefined,
    },
    init,
  )();
}

/**
 * Refuses, before anything is sent, every endpoint keywarden would send signed requests to that is
 * plain HTTP to another machine: `explicit` (--endpoint-url), else each service's configured one.
 * A services section that is named but missing is left to the SDK to report.
 */
export async function assertEndpointsAreSafe(options: { profile?: string; explicit?: string; allowInsecure?: boolean }): Promise<void> {
  if (options.allowInsecure) return;
  if (options.explicit) {
    assertEndpointIsSafe(new URL(options.explicit), { source: '--endpoint-url' });
    return;
  }
  for (const serviceId of KEYWARDEN_SERVICES) {
    const found = await configuredEndpoint(serviceId, options.profile).catch(() => undefined);
    if (!found) continue;
    let url: URL;
    try {
      url = new URL(found.url);
    } catch {
      throw new KeywardenError('usage', `the endpoint from ${found.source} "${found.url}" is not a URL (expected e.g. https://kms.us-east-1.amazonaws.com)`);
    }
    assertEndpointIsSafe(url, { source: `the endpoint from ${found.source}` });
  }
}

/** Where an endpoint the SDK resolved by itself came from, in the words of the setting. */
function endpointSource(serviceEnvSuffix: string, profile: string | undefined): string {
  const perService = `AWS_ENDPOINT_URL_${serviceEnvSuffix}`;
  if (process.env[perService]) return `the endpoint from ${perService}`;
  if (process.env.AWS_ENDPOINT_URL) return 'the endpoint from AWS_ENDPOINT_URL';
  return `the endpoint (endpoint_url in your AWS config${profile ? `, profile ${profile}` : ''}, or --endpoint-url)`;
}

interface GuardableClient {
  config: { serviceId?: string; serviceConfiguredEndpoint?: () => Promise<string | undefined> };
  middlewareStack: {
    add(
      middleware: (next: (args: { request?: unknown }) => Promise<unknown>) => (args: { request?: unknown }) => Promise<unknown>,
      options: { step: 'build'; name: string; priority: 'low' },
    ): void;
  };
}

/**
 * The one way keywarden builds an AWS client (an ESLint rule refuses `new …Client(` elsewhere):
 * of a service it knows (KEYWARDEN_SERVICES), guarded (guardEndpoint), and taking the endpoint
 * configured for the profile it is given. The SDK reads `endpoint_url` and the `[services]`
 * section from AWS_PROFILE or `default` only, whatever `profile` the client was made with: here a
 * client given a profile reads them from that profile, as it reads its credentials and Region.
 */
export function makeClient<T extends new (config: never) => object>(
  Client: T,
  config: ConstructorParameters<T>[0],
  options: { allowInsecure?: boolean } = {},
): InstanceType<T> {
  const client = new Client(config as never) as InstanceType<T>;
  const guardable = client as unknown as GuardableClient;
  const serviceId = guardable.config.serviceId ?? '';
  if (!(KEYWARDEN_SERVICES as readonly string[]).includes(serviceId)) {
    throw new Error(`makeClient: ${serviceId || 'a client'} is not in KEYWARDEN_SERVICES: its endpoint would not be checked before start`);
  }
  const profile = (config as { profile?: string } | undefined)?.profile;
  if (profile && guardable.config.serviceConfiguredEndpoint) {
    let found: Promise<string | undefined> | undefined;
    guardable.config.serviceConfiguredEndpoint = () => (found ??= configuredEndpoint(serviceId, profile).then((e) => e?.url));
  }
  return guardEndpoint(client, { ...options, ...(profile ? { profile } : {}) });
}

/**
 * The same rule for every way an endpoint can be chosen — `--endpoint-url`, AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_<SERVICE>, `endpoint_url` in the shared config (profile or services
 * section): the check runs on the request the SDK has built, after it resolved the endpoint and
 * before it is signed and sent. (assertEndpointsAreSafe refuses the same endpoints at start,
 * before anything is sent; this is the last line, for every request.)
 */
function guardEndpoint<T>(client: T, options: { allowInsecure?: boolean; profile?: string } = {}): T {
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
        assertEndpointIsSafe(url, { allowInsecure: options.allowInsecure ?? false, source: endpointSource(suffix, options.profile) });
        safe = { protocol: request.protocol, hostname: request.hostname, port: request.port };
      }
      return next(args);
    },
    { step: 'build', name: 'keywardenEndpointGuard', priority: 'low' },
  );
  return client;
}
