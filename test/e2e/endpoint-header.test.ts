// The header names the endpoint whenever it is not AWS, however it was chosen: --endpoint-url, or
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_KMS, which the SDK reads by itself. Needs `npm run build` first.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { Terminal, runKeywarden } from './terminal.js';

describe('the endpoint in the header', () => {
  const terminals: Terminal[] = [];
  afterEach(async () => {
    for (const t of terminals.splice(0)) await t.close();
  });

  it.each(['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KMS'])('names an endpoint set with %s, and reads its sandbox clock', async (variable) => {
    const serverHome = mkdtempSync(join(tmpdir(), 'kw-endpoint-serve-'));
    const server = await Terminal.start({ args: ['sandbox', 'serve', '--state', join(serverHome, 'state.json')], env: { KEYWARDEN_HOME: serverHome } });
    terminals.push(server);
    const url = /listening on (http:\/\/[0-9.:]+)/.exec(await server.waitFor(/listening on http:\/\/[0-9.:]+/))![1]!;
    // The sandbox three days ahead: the header shows its date, read through the endpoint the SDK found.
    const moved = await runKeywarden(['sandbox', 'clock', '+3d', '--endpoint-url', url], { KEYWARDEN_HOME: serverHome });
    expect(moved.code, moved.stderr).toBe(0);
    const tui = await Terminal.start({
      args: [],
      columns: 160,
      env: {
        [variable]: url,
        AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
      },
    });
    terminals.push(tui);
    const screen = await tui.waitFor((s) => s.includes('app/orders-queue'), 30_000);
    expect(screen.split('\n').slice(0, 2).join('\n')).toContain(`via ${url}`);
    expect(screen).toContain(`SANDBOX TIME ${new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)}`);
    await tui.type('q');
    expect(await tui.exitCode()).toBe(0);
  });
});
