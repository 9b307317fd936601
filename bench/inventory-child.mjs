// One measured inventory in its own process, so its peak RSS is the inventory's alone.
// argv: MODE (keywarden | floor) URL CONCURRENCY. Prints one JSON line.
import {
  DescribeKeyCommand,
  GetKeyLastUsageCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import pLimit from 'p-limit';
import { createClients } from '../dist/aws/clients.js';
import { AwsKeySource } from '../dist/aws/inventory.js';
import { SANDBOX_CREDENTIALS } from '../dist/sandbox/constants.js';
import { listKeys, now } from './lib.mjs';

const [mode, url, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const clients = createClients({ regions: ['us-east-1'], endpoint: url, credentials: SANDBOX_CREDENTIALS });

async function listAll(kms) {
  const keys = await listKeys(kms);
  let aliasMarker;
  do {
    const page = await kms.send(new ListAliasesCommand({ Limit: 100, ...(aliasMarker ? { Marker: aliasMarker } : {}) }));
    aliasMarker = page.Truncated ? page.NextMarker : undefined;
  } while (aliasMarker);
  return keys;
}

/** The same per-key requests keywarden makes, with nothing else around them. */
async function bareKey(kms, key) {
  const meta = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyArn }))).KeyMetadata;
  const rotates = meta.KeySpec === 'SYMMETRIC_DEFAULT' && meta.Origin === 'AWS_KMS';
  await Promise.all([
    rotates ? kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyArn })) : undefined,
    kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyArn })),
    kms.send(new ListResourceTagsCommand({ KeyId: key.KeyArn })),
  ]);
}

const start = now();
let firstRow;
let loaded = 0;
if (mode === 'floor') {
  const kms = clients.kms('us-east-1');
  const keys = await listAll(kms);
  const limit = pLimit(concurrency);
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        await bareKey(kms, key);
        firstRow ??= now() - start;
        loaded += 1;
      }),
    ),
  );
} else {
  await new AwsKeySource(clients, { concurrency }).loadInventory({
    onRows(batch) {
      firstRow ??= now() - start;
      loaded += batch.length;
    },
    onProgress() {},
  });
}
const fullMs = now() - start;
clients.destroy();
console.log(JSON.stringify({ mode, loaded, firstRowMs: firstRow, fullMs, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
