// The interactive program: renders <App/> on a TTY.
//
// Start-up order: the keyboard is raw from the first instant (src/early-keyboard.ts); the first
// frame (header and a loading line) is written as plain text at once and its spinner turns in a
// worker thread (src/ui/splash.ts) while Ink, the app, the AWS SDK and the sandbox load; then the
// spinner stops and Ink draws <BootView/> over the same lines in place, and the app replaces it.
// Against real AWS the connection and the credentials check come first, so a missing-credentials
// message is printed instead of a screen, never over one.

import { constants as osConstants } from 'node:os';
import { takeEarlyKeyboard } from '../early-keyboard.js';
import type { ThresholdOverrides } from '../app/config.js';
import type { ConnectFlags, Connection, ConnectionChange } from '../app/connect.js';
import type { Thresholds } from '../domain/findings.js';
import type { SessionInfo } from '../domain/source.js';
import type { Splash } from '../ui/splash.js';

export interface TuiOptions {
  /** Copy to the clipboard with OSC 52 (c, y); false with --no-clipboard. Default true. */
  clipboard?: boolean;
}

export async function runTui(flags: ConnectFlags, thresholdOverrides: ThresholdOverrides = {}, options: TuiOptions = {}): Promise<number> {
  // From the first instant the keyboard is read raw (src/early-keyboard.ts): nothing typed is
  // echoed, and q or Ctrl-C end the program at once, exit 0, as they do once the keys are shown,
  // also while the connection to real AWS is being made. Until the splash is on the screen there
  // is nothing to give back.
  const stopper: Stopper = { stop: (code) => process.exit(code) };
  takeEarlyKeyboard();
  let releaseKeys = quitKeysBeforeInk(process.stdin, () => stopper.stop(0));
  try {
    return await runTuiWithKeys(flags, thresholdOverrides, options, stopper, (release) => {
      releaseKeys();
      releaseKeys = release;
    });
  } finally {
    releaseKeys();
  }
}

async function runTuiWithKeys(
  flags: ConnectFlags,
  thresholdOverrides: ThresholdOverrides,
  options: TuiOptions,
  stopper: Stopper,
  handOverKeys: (release: () => void) => void,
): Promise<number> {
  // A corrupt config file is reported before any screen is drawn.
  const { loadThresholds } = await import('../app/config.js');
  const thresholds = await loadThresholds(thresholdOverrides);
  const { connect, assertConnectFlags } = await import('../app/connect.js');
  await assertConnectFlags(flags);
  let connection: Connection | undefined;
  let initial: SessionInfo;
  if (flags.sandbox) {
    const { SANDBOX_DEFAULT_REGION } = await import('../sandbox/constants.js');
    initial = {
      regions: flags.allRegions ? [] : flags.regions.length > 0 ? [...new Set(flags.regions)] : [SANDBOX_DEFAULT_REGION],
      sandbox: true,
      readOnly: flags.readOnly,
    };
  } else {
    connection = await connect(flags);
    try {
      // Fail early, in words, when there are no credentials (before any screen is drawn).
      await connection.clients.sts().config.credentials();
    } catch (error) {
      await connection.close();
      throw error;
    }
    initial = connection.session;
  }

  // The splash is on screen within milliseconds of the flags being read; Ink (slow to load) then
  // draws the same header and loading line in its place. Both on the alternate screen: the
  // operator's shell and scrollback come back untouched at exit.
  const [{ showSplash }, { enterAlternateScreen }, { redactSecrets }] = await Promise.all([
    import('../ui/splash.js'),
    import('../ui/alternate-screen.js'),
    import('../domain/sanitize.js'),
  ]);
  const leaveAlternateScreen = enterAlternateScreen(process.stdout);
  let splash: Splash | undefined;
  // The splash's spinner stops before anything else is written: nothing is drawn after the screen is left.
  const leaveScreen = () => {
    splash?.stop();
    leaveAlternateScreen();
  };
  // A signal (kill, a closed terminal) ends the program as q does, with 128 + the signal's number
  // as shells report it. Until Ink draws there is only the screen to give back; afterwards Ink is
  // unmounted and the run ends normally.
  stopper.stop = (code) => {
    leaveScreen();
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => stopper.stop(128 + (osConstants.signals[signal] ?? 0));
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const signal of signals) process.on(signal, onSignal);
  // A fault nothing caught would be printed on the alternate screen and vanish with it: leave the
  // screen first, then say what happened (secrets masked), exit 1.
  const onCrash = (error: unknown) => {
    leaveScreen();
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`keywarden stopped on an unexpected error (please report it):\n${redactSecrets(text)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    // The splash's worker reads q and Ctrl-C from here until Ink takes the keyboard.
    handOverKeys(() => undefined);
    splash = showSplash(process.stdout, initial, process.env, () => stopper.stop(0));
    return await runOnScreen({ initial, connection, flags, thresholds, splash, connect, stopper, clipboard: options.clipboard ?? true });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    leaveScreen();
  }
}

/**
 * Reads q and Ctrl-C in raw mode until the splash takes the keyboard (other keys are dropped, as
 * the loading screen drops them). Returns the function that stops reading (the terminal stays raw).
 */
function quitKeysBeforeInk(stdin: NodeJS.ReadStream, quit: () => void): () => void {
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  const onReadable = () => {
    let chunk: Buffer | string | null;
    while ((chunk = stdin.read() as Buffer | string | null) !== null) {
      const text = chunk.toString();
      if (text.includes('q') || text.includes('\u0003')) quit();
    }
  };
  stdin.on('readable', onReadable);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    stdin.off('readable', onReadable);
    stdin.pause(); // stops reading the terminal: the next reader (the splash, then Ink) gets every key
  };
}

/** How the program is ended from outside the app (a signal) or before the app is up (q while loading). */
interface Stopper {
  stop: (exitCode: number) => void;
}

interface ScreenRun {
  initial: SessionInfo;
  /** Already open against real AWS (credentials checked); opened behind the first frame for the sandbox. */
  connection: Connection | undefined;
  flags: ConnectFlags;
  thresholds: Thresholds;
  /** Turning, and reading q and Ctrl-C, until it is stopped right before Ink's first frame. */
  splash: Splash;
  connect: (flags: ConnectFlags) => Promise<Connection>;
  stopper: Stopper;
  /** Copy to the clipboard (OSC 52 written to the terminal). */
  clipboard: boolean;
}

async function runOnScreen(run: ScreenRun): Promise<number> {
  let connection = run.connection;
  // Ink draws only the last frame when it believes it runs in CI (any CI value but "false"/"0",
  // read once when Ink loads). The TUI runs only on a terminal, where an operator's CI variable
  // must not freeze the screen.
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) if (process.env[name] !== undefined) process.env[name] = 'false';
  // Everything the first screens need loads behind the turning splash (its worker draws while
  // this thread is busy evaluating modules): Ink, the app, the AWS SDK, and the connection (the
  // sandbox starts here).
  const [
    { render },
    { BootView },
    { installFastOutput },
    { drawableSize },
    { default: chalk },
    { tuiColourLevel },
    live,
    { App },
    { AwsKeySource },
    { AwsChangeSource, MultiAccountChangeSource },
    { CachingKeySource, cacheEndpointKey, multiAccountCachingSource },
    { retirementSource, MultiAccountRetirementSource },
    { loadUiPreferences, saveUiPreferences },
  ] = await Promise.all([
    import('ink'),
    import('../ui/boot-view.js'),
    import('../ui/fast-output.js'),
    import('../ui/hooks/use-terminal-size.js'),
    import('chalk'),
    import('../ui/colour-level.js'),
    connection ?? run.connect(run.flags),
    import('../ui/app.js'),
    import('../aws/inventory.js'),
    import('../app/change-source.js'),
    import('../app/inventory-cache.js'),
    import('../app/retirement-source.js'),
    import('../app/ui-preferences.js'),
  ]);
  connection = live;
  // Ink styles through chalk's shared instance: a `CI` variable must not take the selection away.
  chalk.level = tuiColourLevel(process.env, chalk.level, process.stdout.isTTY === true);
  await installFastOutput();
  // Ink's first frame is drawn over the splash in place (the same header and loading line), never
  // after a cleared screen: a terminal that ignores synchronized updates (tmux 3.3) would show
  // the blank screen in between. The spinner stops first, so no frame of it lands in Ink's.
  run.splash.stop();
  // Ink's incrementalRendering (rewrite only changed lines) is not used: in Ink 6.8 it draws one
  // line too low after a frame that ends in a newline, which every frame of ours does.
  let exitCode = 0;
  let stopped = false;
  let appShown = false;
  // Leaves the screen and ends the process (the stopper's first form).
  const exitNow = run.stopper.stop;
  const stop = (code: number) => {
    exitCode = code;
    stopped = true;
    instance.unmount();
    // While loading nothing is being written that an exit could cut short: end now rather than
    // after the loading finishes, which can take seconds.
    if (!appShown) exitNow(code);
  };
  const instance = render(<BootView session={run.initial} {...drawableSize(process.stdout)} onQuit={() => stop(0)} />, { exitOnCtrlC: false });
  // Waited on from the start, so an unmount during loading (q, a signal) ends the wait too.
  const exited = instance.waitUntilExit();
  exited.catch(() => undefined); // awaited below; not an unhandled rejection while loading
  run.stopper.stop = stop;
  let keySource: { close(): Promise<void> } | undefined;
  try {
    try {
      // The columns chosen at the last start; a preferences file that cannot be used is left as it is.
      const preferences = await loadUiPreferences();
      if (stopped) return exitCode;
      let generation = 0;
      // Kept across a :region / :profile switch (a fresh app), and for the next start.
      let hiddenColumns = preferences.preferences.hiddenColumns;
      const { newCommandHistory } = await import('../ui/command-line.js');
      const commandHistory = newCommandHistory();
      /** Draws the app over a connection (a switch of Region or profile draws a fresh one). */
      const show = (over: Connection) => {
        // Several accounts (--org, --profiles): one source per account, each with its own disk caches (per account and Region).
        const single = new AwsKeySource(over.clients);
        const source = over.accounts ? multiAccountCachingSource(over.accounts, over.session, single, over.now) : new CachingKeySource(single, cacheEndpointKey(over.session), over.now);
        keySource = source;
        const changes = over.accounts ? new MultiAccountChangeSource(over.accounts, over.now) : new AwsChangeSource(over.clients, () => source.identity());
        // Several accounts: each key's retirement in its own account (through --operator-role for changes).
        const retirements = over.accounts ? new MultiAccountRetirementSource(over.accounts, over.now) : retirementSource(over.clients, () => source.identity(), over.now);
        appShown = true;
        generation += 1;
        instance.rerender(
          <App
            key={generation}
            source={source}
            session={over.session}
            changes={changes}
            retirements={retirements}
            thresholds={run.thresholds}
            {...(over.sandboxClock ? { sandboxClock: over.sandboxClock } : {})}
            onRetry={(listener) => over.clients.onRetry(listener)}
            {...(over.switchTo ? { onSwitch: switchTo } : {})}
            commandHistory={commandHistory}
            writeClipboard={run.clipboard ? (sequence) => process.stdout.write(sequence) : undefined}
            hiddenColumns={hiddenColumns}
            onHiddenColumnsChange={
              preferences.canSave
                ? (hidden) => {
                    hiddenColumns = [...hidden];
                    // A preference that cannot be written costs nothing but the next start's columns.
                    saveUiPreferences({ hiddenColumns: [...hidden] }).catch(() => undefined);
                  }
                : undefined
            }
            onExit={(code) => {
              exitCode = code;
            }}
          />,
        );
      };
      /** `:region` / `:profile`: connect anew; the old connection closes only once the new one is up. */
      const switchTo = async (change: ConnectionChange): Promise<void> => {
        const current = connection!;
        const next = await current.switchTo!(change);
        const previousSource = keySource;
        connection = next;
        show(next);
        await previousSource?.close();
        await current.close();
      };
      show(live);
    } catch (error) {
      instance.clear();
      instance.unmount();
      throw error;
    }
    await exited;
    return exitCode;
  } finally {
    // The last-use values read since the last save reach the disk before the clients go.
    await keySource?.close();
    await connection?.close();
  }
}
