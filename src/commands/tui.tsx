// The interactive program: renders <App/> on a TTY.

import type { Connection } from '../app/connect.js';

export async function runTui(connection: Connection): Promise<number> {
  const [{ render }, { App }, { AwsKeySource }] = await Promise.all([
    import('ink'),
    import('../ui/app.js'),
    import('../aws/inventory.js'),
  ]);
  const source = new AwsKeySource(connection.clients);
  let exitCode = 0;
  const instance = render(
    <App
      source={source}
      session={connection.session}
      onExit={(code) => {
        exitCode = code;
      }}
    />,
    { exitOnCtrlC: false },
  );
  await instance.waitUntilExit();
  return exitCode;
}
