// One measured client in its own process, so its peak RSS is its own. Prints one JSON line.
//   keywarden URL CONCURRENCY WINDOW_MS [QUOTA_SCALE]: the inventory (rows, last use "pending"),
//     then the background last-use reader (AwsKeySource.lastUseFeed) over all rows for WINDOW_MS.
//   bare URL CONCURRENCY: the same requests as the inventory from a plain SDK client, paced by
//     nothing but CONCURRENCY — what this machine can serve at all (no quota pacing, no rows).
//   sequential URL SAMPLE: what a shell loop of `aws kms …` does for SAMPLE keys — DescribeKey,
//     GetKeyRotationStatus, ListResourceTags, GetKeyLastUsage one after another per key, with a
//     plain SDK client (standard retry mode, 3 attempts: the AWS CLI v2 default).
import {
  DescribeKeyCommand,
  GetKeyLastUsageCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import pLimit from 'p-limit';
import { createClients } from '../dist/aws/clients.js';
import { AwsKeySource } from '../dist/aws/inventory.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { listKeys, now } from './lib.mjs';

const [mode, url, ...rest] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rss = () => process.resourceUsage().maxRSS / 1024;

if (mode === 'keywarden') {
  const [concurrency, windowMs, quotaScale = 1] = rest.map(Number);
  // quotaScale: the sandbox's quotas are AWS's × this, and keywarden is told so (as --sandbox
  // --quota-scale does), the way an account with adjusted quotas would be.
  const clients = createClients({ regions: ['us-east-1'], endpoint: url, credentials: SANDBOX_CREDENTIALS, quotaScale });
  const source = new AwsKeySource(clients, { concurrency });
  const rows = [];
  let firstRowMs;
  const start = now();
  await source.loadInventory({
    onRows(batch) {
      firstRowMs ??= now() - start;
      rows.push(...batch);
    },
    onProgress() {},
  });
  const rowsMs = now() - start;
  const rowsAt = Date.now();
  const rowsRssMB = rss();
  const problems = rows.filter((r) => r.problems.length > 0).length;
  let filled = 0;
  let lastUseErrors = 0;
  if (windowMs > 0) {
    // No store: nothing is reused from disk, every value is read in the window.
    const feed = source.lastUseFeed();
    feed.setRows(rows);
    await sleep(windowMs);
    const { values } = feed.snapshot();
    // The reader's pacing timers are unref'd (they never hold a program open): keep this one
    // alive until it has closed.
    const keepAlive = setInterval(() => {}, 1_000);
    for (const value of values.values()) {
      if (value.kind === 'error') lastUseErrors += 1;
      else filled += 1;
    }
    await feed.close();
    clearInterval(keepAlive);
  }
  clients.destroy();
  console.log(JSON.stringify({ mode, rows: rows.length, problems, firstRowMs, rowsMs, rowsAt, windowMs, filled, lastUseErrors, rowsRssMB, maxRssMB: rss() }));
} else if (mode === 'bare') {
  const [concurrency] = rest.map(Number);
  const kms = new KMSClient({ region: 'us-east-1', endpoint: url, credentials: SANDBOX_CREDENTIALS });
  const start = now();
  const keys = await listKeys(kms);
  let aliasMarker;
  do {
    const page = await kms.send(new ListAliasesCommand({ Limit: 100, ...(aliasMarker ? { Marker: aliasMarker } : {}) }));
    aliasMarker = page.Truncated ? page.NextMarker : undefined;
  } while (aliasMarker);
  const limit = pLimit(concurrency);
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        const meta = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyArn }))).KeyMetadata;
        const rotates = meta.KeySpec === 'SYMMETRIC_DEFAULT' && meta.Origin === 'AWS_KMS' && !meta.CustomKeyStoreId;
        await Promise.all([rotates ? kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyArn })) : undefined, kms.send(new ListResourceTagsCommand({ KeyId: key.KeyArn }))]);
      }),
    ),
  );
  const ms = now() - start;
  kms.destroy();
  console.log(JSON.stringify({ mode, keys: keys.length, ms, maxRssMB: rss() }));
} else if (mode === 'sequential') {
  const [sample] = rest.map(Number);
  const kms = new KMSClient({ region: 'us-east-1', endpoint: url, credentials: SANDBOX_CREDENTIALS, retryMode: 'standard', maxAttempts: 3 });
  const keys = (await listKeys(kms)).slice(0, sample);
  let failed = 0;
  const call = (command) => kms.send(command).catch(() => (failed += 1, undefined));
  const start = now();
  for (const key of keys) {
    const meta = (await call(new DescribeKeyCommand({ KeyId: key.KeyArn })))?.KeyMetadata;
    await call(new GetKeyRotationStatusCommand({ KeyId: key.KeyArn }));
    await call(new ListResourceTagsCommand({ KeyId: key.KeyArn }));
    if (meta) await call(new GetKeyLastUsageCommand({ KeyId: key.KeyArn }));
  }
  const ms = now() - start;
  kms.destroy();
  console.log(JSON.stringify({ mode, keys: keys.length, ms, failed, maxRssMB: rss() }));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
