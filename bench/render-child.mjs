// One render measurement in its own process: the keys view with many keys, drawn by Ink's real
// terminal path (throttled frames, log-update, colours) into a terminal-like stream of 160 × 50.
// argv: MODE (keywarden | ink) — keywarden installs its faster styled-line step as the program
// does (src/ui/fast-output.ts); ink leaves Ink as it ships. Prints one JSON line.
import { PassThrough } from 'node:stream';
import { FakeTerminal, keyboard, median, now, percentile } from './lib.mjs';

// As the CLI does (src/cli.ts): React's production build, chosen before React loads. The
// operator's terminal has colours; Ink must not think it runs in CI (it would draw only the last frame).
process.env.NODE_ENV = 'production';
process.env.FORCE_COLOR = '3';
process.env.CI = 'false';

const [mode = 'keywarden'] = process.argv.slice(2);
const KEYS = Number(process.env.BENCH_RENDER_KEYS ?? 10000);
const COLUMNS = 160;
const ROWS = 50;
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
/** Between keystrokes: a fast typist, or a held key's auto-repeat. */
const SPACING_MS = 40;
const PAGE_DOWN = '\u001b[6~';

function rowsOf(count) {
  const states = ['Enabled', 'Enabled', 'Enabled', 'Disabled', 'PendingDeletion'];
  return Array.from({ length: count }, (_, i) => {
    const keyId = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
    return {
      keyId,
      arn,
      region: REGION,
      aliases: i % 5 === 0 ? [`alias/team-${i % 37}/service-${String(i).padStart(5, '0')}`] : [],
      tags: [{ key: 'team', value: `team-${i % 37}` }, { key: 'env', value: i % 3 ? 'prod' : 'dev' }],
      metadata: {
        keyId, arn, accountId: ACCOUNT, region: REGION, description: `generated key ${i}`, state: states[i % 5], enabled: i % 5 < 3,
        keyManager: 'CUSTOMER', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS',
        creationDate: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(), multiRegion: false,
      },
      rotation: i % 4 ? { kind: 'enabled', periodDays: 365, nextRotationDate: '2027-03-01T00:00:00.000Z' } : { kind: 'disabled' },
      lastUsage: i % 3 ? { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-20T08:01:44.000Z', trackingStartDate: '2026-04-15T00:00:00.000Z' } : { kind: 'never', trackingStartDate: '2026-04-15T00:00:00.000Z' },
      problems: [],
    };
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));



const [{ render }, { default: React }, { App }, { installFastOutput }] = await Promise.all([
  import('ink'),
  import('react'),
  import('../dist/ui/app.js'),
  import('../dist/ui/fast-output.js'),
]);
if (mode === 'keywarden' && !(await installFastOutput())) throw new Error('the faster styled-line step did not install');

const rows = rowsOf(KEYS);
const source = {
  regions: [REGION],
  identity: async () => ({ account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Operator/bench`, userId: 'AROA:bench' }),
  async loadInventory(handlers) {
    for (let i = 0; i < rows.length; i += 1000) handlers.onRows(rows.slice(i, i + 1000));
    handlers.onProgress([{ region: REGION, listed: rows.length, loaded: rows.length, done: true }]);
  },
  loadDetail: async () => {
    throw new Error('not used');
  },
};
const stdout = new FakeTerminal(COLUMNS, ROWS);
const stdin = keyboard();
const app = render(React.createElement(App, { source, session: { regions: [REGION], sandbox: true, readOnly: true } }), {
  stdout,
  stdin,
  stderr: new PassThrough(),
  exitOnCtrlC: false,
  patchConsole: false,
});

const press = async (input) => {
  const frame = new Promise((resolve) => {
    stdout.onFrame = resolve;
  });
  const start = now();
  stdin.write(input);
  await frame;
  const ms = now() - start;
  await sleep(SPACING_MS);
  return ms;
};

const deadline = Date.now() + 60_000;
const plain = (text) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
while (!plain(stdout.screen).includes(`${KEYS} of ${KEYS} keys`)) {
  if (Date.now() > deadline) throw new Error(`keys never loaded; last frame:\n${plain(stdout.screen)}`);
  await sleep(20);
}
await sleep(200);

const typing = [];
await press('/');
for (let round = 0; round < 3; round++) {
  for (const ch of 'team-1') typing.push(await press(ch));
  for (let i = 0; i < 6; i++) typing.push(await press('\u007f')); // backspace
}
await press('\r'); // accept the (empty) filter, back to the list
await sleep(100);
const scrolling = [];
for (let i = 0; i < 40; i++) scrolling.push(await press(PAGE_DOWN));
app.unmount();

const stats = (values) => ({ samples: values.length, medianMs: median(values), p95Ms: percentile(values, 95), maxMs: Math.max(...values) });
console.log(JSON.stringify({ mode, typing: stats(typing), scrolling: stats(scrolling) }));
process.exit(0);
