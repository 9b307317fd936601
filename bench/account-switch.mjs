// `:account` switch time with several accounts: the keys view holding 5 accounts × 3 Regions ×
// 1,000 keys (15,000 rows), Ink's real terminal path (as bench/render-child.mjs), 160 × 50 with
// colours. Measured: Enter of `:account NAME` (or `:account all`) → the first frame drawn after it,
// and whether that frame already shows the new scope (target: the switch is that one frame).
//
//   node bench/account-switch.mjs          (after npm run build)
import { PassThrough } from 'node:stream';
import { FakeTerminal, keyboard, median, now, percentile, printTable, saveResult } from './lib.mjs';

process.env.NODE_ENV = 'production';
process.env.FORCE_COLOR = '3';
process.env.CI = 'false';

const PER_PAIR = Number(process.env.BENCH_KEYS ?? 1000);
const COLUMNS = 160;
const ROWS = 50;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const ACCOUNTS = [
  { id: '111122223333', name: 'keywarden-management' },
  { id: '222233334444', name: 'payments-prod', ou: 'Production' },
  { id: '333344445555', name: 'analytics-prod', ou: 'Production' },
  { id: '555566667777', name: 'dev-sandbox', ou: 'Sandbox' },
  { id: '888899990000', name: 'research', ou: 'Sandbox' },
];

function rowsOf() {
  const out = [];
  for (const account of ACCOUNTS) {
    for (const region of REGIONS) {
      for (let i = 0; i < PER_PAIR; i += 1) {
        const keyId = `00000000-0000-4000-8000-${(out.length).toString(16).padStart(12, '0')}`;
        const arn = `arn:aws:kms:${region}:${account.id}:key/${keyId}`;
        out.push({
          keyId, arn, region, accountId: account.id, accountName: account.name, ...(account.ou ? { accountOu: account.ou } : {}),
          aliases: i % 5 === 0 ? [`alias/${account.name}/service-${String(i).padStart(5, '0')}`] : [],
          tags: [{ key: 'team', value: `team-${i % 37}` }],
          metadata: {
            keyId, arn, accountId: account.id, region, description: `generated key ${i}`, state: i % 7 ? 'Enabled' : 'Disabled', enabled: i % 7 !== 0,
            keyManager: 'CUSTOMER', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS',
            creationDate: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(), multiRegion: false,
          },
          rotation: i % 4 ? { kind: 'enabled', periodDays: 365, nextRotationDate: '2027-03-01T00:00:00.000Z' } : { kind: 'disabled' },
          lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-20T08:01:44.000Z', trackingStartDate: '2026-04-15T00:00:00.000Z' },
          problems: [],
        });
      }
    }
  }
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const plain = (text) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');



const [{ render }, { default: React }, { App }, { installFastOutput }] = await Promise.all([import('ink'), import('react'), import('../dist/ui/app.js'), import('../dist/ui/fast-output.js')]);
await installFastOutput();

const rows = rowsOf();
const session = { regions: REGIONS, sandbox: true, readOnly: true, accounts: ACCOUNTS };
let loads = 0;
const source = {
  regions: REGIONS,
  identity: async () => ({ account: ACCOUNTS[0].id, arn: `arn:aws:sts::${ACCOUNTS[0].id}:assumed-role/Operator/bench`, userId: 'AROA:bench' }),
  async loadInventory(handlers) {
    loads += 1;
    for (let i = 0; i < rows.length; i += 1000) handlers.onRows(rows.slice(i, i + 1000));
    handlers.onProgress(ACCOUNTS.flatMap((a) => REGIONS.map((region) => ({ region, account: a.name, accountId: a.id, listed: PER_PAIR, loaded: PER_PAIR, done: true }))));
  },
  loadDetail: async () => {
    throw new Error('not used');
  },
};
const stdout = new FakeTerminal(COLUMNS, ROWS);
const stdin = keyboard();
const app = render(React.createElement(App, { source, session }), { stdout, stdin, stderr: new PassThrough(), exitOnCtrlC: false, patchConsole: false });

const deadline = Date.now() + 120_000;
while (!plain(stdout.screen).includes(`${rows.length} of ${rows.length} keys`)) {
  if (Date.now() > deadline) throw new Error(`keys never loaded; last frame:\n${plain(stdout.screen)}`);
  await sleep(20);
}
await sleep(300);

/** Types a command line, then measures Enter → the next frame; `shows` says whether that frame has the new scope. */
async function switchTo(name, shows) {
  for (const ch of `:account ${name}`) {
    stdin.write(ch);
    await sleep(15);
  }
  await sleep(150);
  const before = stdout.frames;
  const frame = new Promise((resolve) => {
    stdout.onFrame = resolve;
  });
  const start = now();
  stdin.write('\r');
  await frame;
  const ms = now() - start;
  const first = plain(stdout.screen);
  const inOneFrame = shows(first);
  // The scope may take more frames only if the first one did not show it.
  const until = Date.now() + 5_000;
  while (!shows(plain(stdout.screen)) && Date.now() < until) await sleep(5);
  const framesToScope = stdout.frames - before;
  await sleep(120);
  return { ms, inOneFrame, framesToScope };
}

const samples = [];
for (let round = 0; round < 6; round += 1) {
  for (const account of ACCOUNTS.slice(1, 4)) {
    samples.push({ to: account.name, ...(await switchTo(account.name, (s) => s.includes(`account ${account.name} (${account.id}) of ${ACCOUNTS.length}`))) });
    samples.push({ to: 'all', ...(await switchTo('all', (s) => s.includes(`accounts ${ACCOUNTS.length}/${ACCOUNTS.length}`))) });
  }
}
app.unmount();

const times = samples.map((s) => s.ms);
const row = {
  rows: rows.length,
  switches: samples.length,
  'median ms': median(times).toFixed(1),
  'p95 ms': percentile(times, 95).toFixed(1),
  'max ms': Math.max(...times).toFixed(1),
  'in one frame': `${samples.filter((s) => s.inOneFrame).length}/${samples.length}`,
  'inventory reads': loads,
};
printTable(`:account switch (${ACCOUNTS.length} accounts × ${REGIONS.length} Regions × ${PER_PAIR} keys, 160×50, colours; Enter → first frame; target: the new scope in that one frame)`, [row]);
saveResult('account-switch', { rows: [row] });
process.exit(0);
