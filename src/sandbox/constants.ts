// Fixed identity of the built-in sandbox. Tiny on purpose: the CLI imports it to configure
// clients without loading the server.

import path from 'node:path';
import envPaths from 'env-paths';

export const SANDBOX_ACCOUNT = '111122223333';
export const SANDBOX_DEFAULT_REGION = 'us-east-1';
export const SANDBOX_CREDENTIALS = {
  accessKeyId: 'AKIAKEYWARDENSANDBOX',
  secretAccessKey: 'keywarden-sandbox-secret-key',
} as const;
export const SANDBOX_CALLER_ARN = 'arn:aws:sts::111122223333:assumed-role/KeywardenOperator/operator';

/** `<data dir>/sandbox-state.json`; the data dir is `$KEYWARDEN_HOME` when set. */
export function defaultSandboxStatePath(): string {
  const home = process.env.KEYWARDEN_HOME;
  const dir = home && home.length > 0 ? home : envPaths('keywarden', { suffix: '' }).data;
  return path.join(dir, 'sandbox-state.json');
}
