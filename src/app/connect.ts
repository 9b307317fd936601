// Wiring: from command-line options to clients pointed at AWS or at the built-in sandbox.
// The sandbox is just another endpoint; everything after this file takes the same path.

import type { SessionInfo } from '../domain/source.js';
import type { Clients } from '../aws/clients.js';

export interface ConnectFlags {
  profile?: string;
  regions: string[];
  endpointUrl?: string;
  sandbox: boolean;
  readOnly: boolean;
  /** State file of the in-process sandbox (default: the user's data dir). */
  sandboxState?: string;
}

export interface Connection {
  clients: Clients;
  session: SessionInfo;
  close(): Promise<void>;
}

export async function connect(flags: ConnectFlags): Promise<Connection> {
  const { createClients, resolveRegions, parseEndpoint } = await import('../aws/clients.js');
  if (flags.endpointUrl) parseEndpoint(flags.endpointUrl);
  if (flags.sandbox) {
    if (flags.endpointUrl) {
      const { KeywardenError } = await import('../domain/errors.js');
      throw new KeywardenError('validation', '--sandbox and --endpoint-url cannot be used together: --sandbox starts its own endpoint');
    }
    const [{ startSandbox }, constants] = await Promise.all([import('../sandbox/index.js'), import('../sandbox/constants.js')]);
    const regions = await resolveRegions({ regions: flags.regions.length > 0 ? flags.regions : [constants.SANDBOX_DEFAULT_REGION] });
    const sandbox = await startSandbox({ statePath: flags.sandboxState ?? constants.defaultSandboxStatePath() });
    const clients = createClients({ regions, endpoint: sandbox.url, credentials: constants.SANDBOX_CREDENTIALS, readOnly: flags.readOnly });
    return {
      clients,
      session: { regions, sandbox: true, readOnly: flags.readOnly, endpoint: sandbox.url },
      async close() {
        clients.destroy();
        await sandbox.close();
      },
    };
  }
  const regions = await resolveRegions({ regions: flags.regions, ...(flags.profile ? { profile: flags.profile } : {}) });
  const clients = createClients({
    regions,
    readOnly: flags.readOnly,
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}),
  });
  return {
    clients,
    session: {
      regions,
      sandbox: false,
      readOnly: flags.readOnly,
      ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}),
      ...(flags.profile ? { profile: flags.profile } : {}),
    },
    async close() {
      clients.destroy();
    },
  };
}
