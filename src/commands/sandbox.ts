// `keywarden sandbox serve` and `keywarden sandbox reset`.

import { rename, stat } from 'node:fs/promises';
import { printError, printJson, printLine } from './output.js';

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
  // A running server would write its own copy over the fresh estate: it is reset over HTTP instead.
  const running = await (await import('../sandbox/presence.js')).findRunningSandbox(statePath);
  if (running.kind === 'running' || running.kind === 'unreachable') {
    printError(`a sandbox is running on ${statePath} (pid ${running.pid}, ${running.url}): stop it first, or reset it while it runs with POST ${running.url}/_sandbox/reset; nothing changed`);
    return 1;
  }
  const { confirm } = await import('./confirm.js');
  await confirm(`Reset the sandbox at ${statePath} to the seeded estate`, { kind: 'typed', word: 'reset' }, { yes: options.yes });
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

export interface SandboxClockOptions {
  /** How far to move the time (already checked by parseClockAmount); absent = only print it. */
  advanceSeconds?: number;
  /** A running `sandbox serve` to reach. */
  endpointUrl?: string;
  /** The state file of the sandbox to reach (default: the one --sandbox and `npm start` use). */
  state?: string;
  json: boolean;
}

/**
 * `keywarden sandbox clock [+AMOUNT]`: prints the sandbox's time, or moves it forward and runs
 * what falls due (deletions at the end of their window, rotations, workloads, alarms).
 *
 * A running sandbox is always reached over HTTP while it runs — by `--endpoint-url`, or by the
 * presence record it keeps next to its state file — never by editing a state file it would
 * overwrite. With no server on the state file, the sandbox is started here on that file for the
 * move and stopped again, so the same code moves the time and the state is saved atomically.
 */
export async function runSandboxClock(options: SandboxClockOptions): Promise<number> {
  const [{ readSandboxClock, advanceSandboxClock }, { describeAmount, describeOffset }] = await Promise.all([
    import('../sandbox/clock-client.js'),
    import('../domain/clock.js'),
  ]);
  const report = (now: Date, via: string, movedSeconds?: number) => {
    const offsetMs = now.getTime() - Date.now();
    if (options.json) {
      printJson({ now: now.toISOString(), offsetSeconds: Math.round(offsetMs / 1000), via, ...(movedSeconds !== undefined ? { movedSeconds } : {}) });
      return 0;
    }
    if (movedSeconds !== undefined) printLine(`moved the sandbox's time forward ${describeAmount(movedSeconds)} (${via})`);
    printLine(`sandbox time: ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')} (${describeOffset(offsetMs)})`);
    if (movedSeconds === undefined) printLine(`(${via})`);
    return 0;
  };

  const atUrl = async (url: string, via: string): Promise<number> => {
    if (options.advanceSeconds === undefined) {
      const answer = await readSandboxClock(url);
      if (!answer) {
        printError(`no keywarden sandbox answers at ${url}: start one with "keywarden sandbox serve"`);
        return 1;
      }
      return report(new Date(answer.now), via);
    }
    return report(await advanceSandboxClock(url, options.advanceSeconds), via, options.advanceSeconds);
  };

  if (options.endpointUrl) {
    let url: URL;
    try {
      url = new URL(options.endpointUrl);
    } catch {
      printError(`--endpoint-url "${options.endpointUrl}" is not a URL (expected e.g. http://127.0.0.1:4566)`);
      return 2;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      printError(`--endpoint-url "${options.endpointUrl}" must be http:// or https://`);
      return 2;
    }
    if (!(await readSandboxClock(options.endpointUrl))) {
      printError(`no keywarden sandbox answers at ${options.endpointUrl} (GET /_sandbox/clock): the clock can only be moved on a keywarden sandbox; nothing changed`);
      return 1;
    }
    return atUrl(options.endpointUrl, `the sandbox at ${options.endpointUrl}`);
  }

  const [{ findRunningSandbox }, constants, { readStateFile }] = await Promise.all([
    import('../sandbox/presence.js'),
    import('../sandbox/constants.js'),
    import('../sandbox/state.js'),
  ]);
  const statePath = options.state ?? constants.defaultSandboxStatePath();
  const running = await findRunningSandbox(statePath);
  if (running.kind === 'running') return atUrl(running.url, `the running sandbox at ${running.url}, pid ${running.pid}`);
  if (running.kind === 'unreachable') {
    printError(
      `a sandbox on ${statePath} is recorded as running (pid ${running.pid}) but ${running.reason}; nothing changed. ` +
        `Stop that process, or if no sandbox runs on this state file, remove ${running.file}`,
    );
    return 1;
  }
  const staleNote = running.kind === 'stale' ? `; a record left by process ${running.pid}, which is gone, was removed` : '';
  if (options.advanceSeconds === undefined) {
    const state = await readStateFile(statePath);
    if (!state) return report(new Date(), `no sandbox state at ${statePath} yet: its time starts as this machine's${staleNote}`);
    return report(new Date(Date.now() + state.clockOffsetSeconds * 1000), `state file ${statePath}; no sandbox is running on it${staleNote}`);
  }
  const { startSandbox } = await import('../sandbox/index.js');
  const sandbox = await startSandbox({ statePath });
  try {
    return await atUrl(sandbox.url, `state file ${statePath}; no sandbox was running on it${staleNote}`);
  } finally {
    await sandbox.close();
  }
}
