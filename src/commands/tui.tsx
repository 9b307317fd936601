// The interactive program: renders <App/> on a TTY.

import type { Connection } from '../app/connect.js';

export async function runTui(connection: Connection): Promise<number> {
  const [{ render }, { App }, { AwsKeySource }, { AwsChangeSource }] = await Promise.all([
    import('ink'),
    import('../ui/app.js'),
    import('../aws/inventory.js'),
    import('../app/change-source.js'),
  ]);
  const source = new AwsKeySource(connection.clients);
  const changes = new AwsChangeSource(connection.clients, () => source.identity());
  let exitCode = 0;
  const instance = render(
    <App
      source={source}
      session={connection.session}
      changes={changes}
      onExit={(code) => {
        exitCode = code;
      }}
    />,
    { exitOnCtrlC: false },
  );
  await instance.waitUntilExit();
  return exitCode;
}
