// Render: the keys view with 10,000 keys, keystroke → frame, for typing in the filter and for
// scrolling a page; median and p95. Ink renders to a fake terminal (ink-testing-library, which
// writes every frame at once: no frame-rate cap), keys are written to its stdin one at a time,
// spaced like typing, and the time is taken when Ink writes the next frame.
import { median, now, percentile, printTable, saveResult } from './lib.mjs';

const KEYS = Number(process.env.BENCH_RENDER_KEYS ?? 10000);
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const SPACING_MS = 30;
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

export async function run() {
  // As the CLI does (src/cli.ts): React's production build, chosen before React loads.
  process.env.NODE_ENV ??= 'production';
  const [{ render }, { default: React }, { App }] = await Promise.all([import('ink-testing-library'), import('react'), import('../dist/ui/app.js')]);
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
  const app = render(React.createElement(App, { source, session: { regions: [REGION], sandbox: true, readOnly: true }, size: { columns: 160, rows: 50 } }));
  // Resolve on the next frame Ink writes.
  let waiter;
  const write = app.stdout.write.bind(app.stdout);
  app.stdout.write = (frame) => {
    write(frame);
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const press = async (input) => {
    const frame = new Promise((resolve) => {
      waiter = resolve;
    });
    const start = now();
    app.stdin.write(input);
    await frame;
    const ms = now() - start;
    await sleep(SPACING_MS);
    return ms;
  };
  const deadline = Date.now() + 60_000;
  while (!(app.lastFrame() ?? '').includes(`${KEYS} of ${KEYS} keys`)) {
    if (Date.now() > deadline) throw new Error(`keys never loaded; last frame:\n${app.lastFrame()}`);
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

  const stats = (name, values) => ({
    action: name,
    samples: values.length,
    medianMs: median(values).toFixed(1),
    p95Ms: percentile(values, 95).toFixed(1),
    maxMs: Math.max(...values).toFixed(1),
  });
  const table = [stats('filter typing (keystroke → frame)', typing), stats('page down (keystroke → frame)', scrolling)];
  printTable(`render (keys view, ${KEYS} keys, 160×50; targets: median ≤ 16 ms, p95 ≤ 50 ms)`, table);
  saveResult('render', { keys: KEYS, columns: 160, rows: 50, results: table });
}
