// The interactive program: renders <App/> on a TTY.
//
// Start-up order: the first frame (header and a loading line) is written as plain text at once
// (src/ui/splash.ts), Ink redraws it as <BootView/> as soon as it is loaded, and the AWS SDK, the
// sandbox and the rest of the app load behind it and replace it. Against real AWS the connection and the credentials check come first, so a
// missing-credentials message is printed instead of a screen, never over one.

import type { ThresholdOverrides } from '../app/config.js';
import type { ConnectFlags, Connection } from '../app/connect.js';
import type { SessionInfo } from '../domain/source.js';

export async function runTui(flags: ConnectFlags, thresholdOverrides: ThresholdOverrides = {}): Promise<number> {
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
  // draws the same header and loading line in its place.
  const { showSplash } = await import('../ui/splash.js');
  const eraseSplash = showSplash(process.stdout, initial, process.env);
  const [{ render }, { BootView }] = await Promise.all([import('ink'), import('../ui/boot-view.js')]);
  const size = { columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
  eraseSplash();
  const instance = render(<BootView session={initial} {...size} />, { exitOnCtrlC: false });
  let exitCode = 0;
  try {
    const [live, { App }, { AwsKeySource }, { AwsChangeSource }, { CachingKeySource, cacheEndpointKey }, { retirementSource }] = await Promise.all([
      connection ?? connect(flags),
      import('../ui/app.js'),
      import('../aws/inventory.js'),
      import('../app/change-source.js'),
      import('../app/inventory-cache.js'),
      import('../app/retirement-source.js'),
    ]);
    connection = live;
    const source = new CachingKeySource(new AwsKeySource(live.clients), cacheEndpointKey(live.session));
    const changes = new AwsChangeSource(live.clients, () => source.identity());
    const retirements = retirementSource(live.clients, () => source.identity(), live.now);
    instance.rerender(
      <App
        source={source}
        session={live.session}
        changes={changes}
        retirements={retirements}
        thresholds={thresholds}
        onExit={(code) => {
          exitCode = code;
        }}
      />,
    );
  } catch (error) {
    instance.clear();
    instance.unmount();
    await connection?.close();
    throw error;
  }
  try {
    await instance.waitUntilExit();
    return exitCode;
  } finally {
    await connection.close();
  }
}
