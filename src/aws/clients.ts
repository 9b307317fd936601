// One factory owns region, credentials, endpoint and retry for every client.

import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { KeywardenError } from '../domain/errors.js';

/** Operations that only read. In read-only mode every other operation is refused before it is sent. */
const READ_OPERATION = /^(Describe|List|Get|Lookup|Filter|Test)[A-Za-z]*$/;

export function isReadOperation(operation: string): boolean {
  return READ_OPERATION.test(operation);
}

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/**
 * The read-only guard sits in the client itself, below every caller: a mutating command fails
 * here, before serialization, so no request leaves the process.
 */
function guardReadOnly<T>(client: T): T {
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      if (!isReadOperation(operation)) {
        throw new KeywardenError('read-only', `read-only mode: ${operation} was refused and not sent (run without --read-only to make changes)`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'keywardenReadOnlyGuard', priority: 'high' },
  );
  return client;
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ConnectOptions {
  /** Regions to work in; empty = the region from the environment or profile. */
  regions: readonly string[];
  profile?: string;
  endpoint?: string;
  credentials?: StaticCredentials;
  /** SDK attempts per call (standard retry mode backs off on throttling). */
  maxAttempts?: number;
  /** Sockets per client; the inventory's concurrency stays below it. */
  maxSockets?: number;
  /** Refuse every mutating call before it leaves the process. */
  readOnly?: boolean;
}

export interface Clients {
  readonly regions: readonly string[];
  readonly readOnly: boolean;
  kms(region: string): KMSClient;
  sts(): STSClient;
  destroy(): void;
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

export function isValidRegionName(region: string): boolean {
  return REGION_PATTERN.test(region);
}

/** Rejects a malformed endpoint URL before any client is built. */
export function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new KeywardenError('validation', `--endpoint-url "${endpoint}" is not a URL (expected e.g. http://127.0.0.1:4566)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KeywardenError('validation', `--endpoint-url "${endpoint}" must be http:// or https://`);
  }
  return url;
}

/** Works out the regions to use: flags, then AWS_REGION / AWS_DEFAULT_REGION, then the profile's region. */
export async function resolveRegions(options: Pick<ConnectOptions, 'regions' | 'profile'>): Promise<string[]> {
  const regions = [...new Set(options.regions)];
  for (const region of regions) {
    if (!isValidRegionName(region)) {
      throw new KeywardenError('validation', `"${region}" is not an AWS region name (expected e.g. us-east-1)`);
    }
  }
  if (regions.length > 0) return regions;
  const fromEnv = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return resolveRegions({ regions: [fromEnv] });
  const probe = new STSClient(options.profile ? { profile: options.profile } : {});
  try {
    const region = await probe.config.region();
    return resolveRegions({ regions: [region] });
  } catch {
    throw new KeywardenError(
      'validation',
      'no AWS region set: pass --region, set AWS_REGION, or set a region in your profile',
    );
  } finally {
    probe.destroy();
  }
}

export function createClients(options: ConnectOptions & { regions: readonly string[] }): Clients {
  const endpoint = options.endpoint ? parseEndpoint(options.endpoint).toString().replace(/\/$/, '') : undefined;
  const common = {
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? 8,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, httpAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 64 }, httpsAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 64 } },
  } as const;
  const kmsClients = new Map<string, KMSClient>();
  let stsClient: STSClient | undefined;
  const firstRegion = options.regions[0];
  if (!firstRegion) throw new KeywardenError('validation', 'no region to connect to');
  return {
    regions: options.regions,
    readOnly: options.readOnly ?? false,
    kms(region) {
      let client = kmsClients.get(region);
      if (!client) {
        client = new KMSClient({ ...common, region });
        if (options.readOnly) guardReadOnly(client);
        kmsClients.set(region, client);
      }
      return client;
    },
    sts() {
      stsClient ??= new STSClient({ ...common, region: firstRegion });
      if (options.readOnly) guardReadOnly(stsClient);
      return stsClient;
    },
    destroy() {
      for (const client of kmsClients.values()) client.destroy();
      stsClient?.destroy();
    },
  };
}
