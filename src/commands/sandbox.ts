// `keywarden sandbox serve` and `keywarden sandbox reset`.

import { rename, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { printError, printLine } from './output.js';

export async function runSandboxServe(options: { port?: number; state?: string; largeEstate?: number; quotaScale?: number }): Promise<number> {
  const [{ startSandbox }, constants] = await Promise.all([import('../sandbox/index.js'), import('../sandbox/constants.js')]);
  const statePath = options.state ?? constants.defaultSandboxStatePath();
  const sandbox = await startSandbox({
    statePath,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.largeEstate ? { largeEstate: options.largeEstate } : {}),
    ...(options.quotaScale !== undefined ? { quotaScale: options.quotaScale } : {}),
  });
  printLine(`keywarden sandbox listening on ${sandbox.url}`);
  printLine(`state file: ${statePath}`);
  const scale = options.quotaScale ?? 1;
  const rate = (perSecond: number) => Number((perSecond * scale).toPrecision(6));
  printLine(`request quotas: AWS's${scale !== 1 ? ` × ${scale}` : ''} (GetKeyLastUsage ${rate(5)}/s, LookupEvents ${rate(2)}/s)`);
  printLine('');
  printLine('Point any AWS SDK or the AWS CLI at it:');
  printLine(`  export AWS_ENDPOINT_URL=${sandbox.url}`);
  printLine(`  export AWS_ACCESS_KEY_ID=${constants.SANDBOX_CREDENTIALS.accessKeyId}`);
  printLine(`  export AWS_SECRET_ACCESS_KEY=${constants.SANDBOX_CREDENTIALS.secretAccessKey}`);
  printLine(`  export AWS_REGION=${constants.SANDBOX_DEFAULT_REGION}`);
  printLine(`  keywarden --endpoint-url ${sandbox.url}`);
  printLine('');
  printLine('Ctrl-C stops it.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sandbox.close();
  return 0;
}

/**
 * Puts the sandbox back to its seeded estate. The old state file is kept beside the new one
 * (`….bak-<time>`), so even a reset loses nothing.
 */
export async function runSandboxReset(options: { state?: string; yes: boolean }): Promise<number> {
  const constants = await import('../sandbox/constants.js');
  const statePath = options.state ?? constants.defaultSandboxStatePath();
  if (!options.yes) {
    if (!process.stdin.isTTY) {
      printError('sandbox reset needs confirmation: run it in a terminal, or pass --yes');
      return 2;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Reset the sandbox at ${statePath} to the seeded estate? Type "reset" to confirm: `);
    rl.close();
    if (answer.trim() !== 'reset') {
      printError('not confirmed; nothing changed');
      return 1;
    }
  }
  const exists = await stat(statePath).then(() => true, () => false);
  let backup: string | undefined;
  if (exists) {
    backup = `${statePath}.bak-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(statePath, backup);
  }
  const { startSandbox } = await import('../sandbox/index.js');
  const sandbox = await startSandbox({ statePath });
  await sandbox.close();
  printLine(`sandbox reset to the seeded estate: ${statePath}`);
  if (backup) printLine(`previous state kept at ${backup}`);
  return 0;
}
