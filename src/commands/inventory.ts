// `keywarden list` and `keywarden show KEY`: the same data as the views, for scripts.

import type { Connection } from '../app/connect.js';
import { toFindingRecord, type FindingRecord } from '../domain/finding-catalogue.js';
import { rowFindings, type Thresholds } from '../domain/findings.js';
import { rotationPeriodWords, type CallerIdentity, type KeyDetail, type KeyRow } from '../domain/key.js';
import { cleanText } from '../domain/sanitize.js';
import { isReadingLastUse, lastUseProgressText } from '../domain/last-use.js';
import { columnsFor, headerCells, keyToCells } from '../domain/table.js';
import { printJson, printLine } from './output.js';

/** `list --json` document. Field names are stable (README, "JSON output"). */
export interface ListDocument {
  account: string;
  caller: string;
  regions: string[];
  /** Regions that could not be read, with the reason (with several accounts: each account × Region, `accountId` set). */
  regionErrors: Array<{ region: string; error: string; accountId?: string }>;
  /** Several accounts (--org): every account read or tried, with its name, OU and why it failed. */
  accounts?: Array<{ accountId: string; accountName?: string; ou?: string; error?: string }>;
  /** Every key carries `accountId` (and `accountName` when known). */
  keys: KeyRow[];
}

export interface CollectOptions {
  /** Read every key's last use (cached values younger than an hour, then fresh reads at 5/s); false leaves it "pending". */
  lastUse?: boolean;
  /** Read every customer-managed key's policy and grants (cached values younger than an hour, then ListGrants at 100/s) into `row.access`. */
  access?: boolean;
  /** Where progress goes (default: stderr). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function collectInventory(connection: Connection, options: CollectOptions = {}): Promise<{ identity: CallerIdentity; document: ListDocument }> {
  const [{ AwsKeySource }, { multiAccountCachingSource }] = await Promise.all([import('../aws/inventory.js'), import('../app/inventory-cache.js')]);
  const single = new AwsKeySource(connection.clients);
  // Several accounts: each account's inventory, last use and access are kept on disk per account and Region.
  const source = connection.accounts ? multiAccountCachingSource(connection.accounts, connection.session, single, connection.now) : single;
  const identity = await source.identity();
  const rows = new Map<string, KeyRow>();
  let regionErrors: ListDocument['regionErrors'] = [];
  await source.loadInventory({
    onRows(batch) {
      for (const row of batch) rows.set(row.arn, row);
    },
    onProgress(progress) {
      regionErrors = progress.filter((p) => p.error).map((p) => ({ region: p.region, error: p.error!, ...(p.accountId ? { accountId: p.accountId } : {}) }));
    },
  });
  const out = options.progress ?? process.stderr;
  // Last use (5/s) and policies and grants (100/s) are read side by side, each within its own quota.
  await Promise.all([
    options.lastUse !== false && identity.account ? fillLastUse(source, connection, identity.account, rows, out) : undefined,
    options.access && identity.account ? fillAccess(source, connection, identity.account, rows) : undefined,
  ]);
  // With one account every key is the caller's account's.
  const keys = [...rows.values()]
    .map((row) => (row.accountId ? row : { ...row, accountId: identity.account }))
    .sort((a, b) => (a.accountName ?? a.accountId ?? '').localeCompare(b.accountName ?? b.accountId ?? '') || a.region.localeCompare(b.region) || a.keyId.localeCompare(b.keyId));
  const accounts = connection.accounts?.map((a) => ({ accountId: a.id, ...(a.name ? { accountName: a.name } : {}), ...(a.ou ? { ou: a.ou } : {}), ...(a.error ? { error: a.error } : {}) }));
  return { identity, document: { account: identity.account, caller: identity.arn, regions: [...connection.session.regions], regionErrors, ...(accounts ? { accounts } : {}), keys } };
}

/**
 * Last use for every row: values kept on disk less than an hour ago, then fresh reads paced to
 * GetKeyLastUsage's 5 per second (src/aws/last-use-reader.ts), with the progress and the time left
 * on stderr. On a terminal the progress is one line rewritten in place; otherwise (a log, a CI
 * job) it is a line every 5 seconds, so a long read leaves a readable record instead of
 * hundreds of lines, and a quick one (everything cached) leaves none.
 */
async function fillLastUse(
  source: Pick<import('../aws/inventory.js').AwsKeySource, 'lastUseFeed'>,
  connection: Connection,
  account: string,
  rows: Map<string, KeyRow>,
  out: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<void> {
  const [{ DiskLastUseStore }, { cacheEndpointKey }] = await Promise.all([import('../app/last-use-cache.js'), import('../app/inventory-cache.js')]);
  const feed = source.lastUseFeed({ store: new DiskLastUseStore(async () => account, cacheEndpointKey(connection.session)) });
  const isTerminal = out.isTTY === true;
  let shown = false;
  const report = () => {
    const { progress } = feed.snapshot();
    if (!isReadingLastUse(progress)) return;
    const text = lastUseProgressText(progress);
    out.write(isTerminal ? `\r\u001b[2K${text}` : `keywarden: ${text}\n`);
    shown = true;
  };
  const timer = setInterval(report, isTerminal ? 250 : 5_000);
  try {
    feed.setRows([...rows.values()]);
    await feed.idle();
  } finally {
    clearInterval(timer);
    await feed.close();
    if (shown && isTerminal) out.write('\r\u001b[2K');
  }
  for (const [arn, usage] of feed.snapshot().values) {
    const row = rows.get(arn);
    if (row && row.lastUsage.kind === 'pending') rows.set(arn, { ...row, lastUsage: usage });
  }
}

/** Policy and grants for every customer-managed row (src/aws/access-reader.ts), values younger than an hour reused from disk. */
async function fillAccess(source: Pick<import('../aws/inventory.js').AwsKeySource, 'accessFeed'>, connection: Connection, account: string, rows: Map<string, KeyRow>): Promise<void> {
  const [{ DiskAccessStore }, { cacheEndpointKey }] = await Promise.all([import('../app/access-cache.js'), import('../app/inventory-cache.js')]);
  const feed = source.accessFeed({ store: new DiskAccessStore(async () => account, cacheEndpointKey(connection.session)) });
  try {
    feed.setRows([...rows.values()]);
    await feed.idle();
  } finally {
    await feed.close();
  }
  for (const [arn, access] of feed.snapshot().values) {
    const row = rows.get(arn);
    if (row) rows.set(arn, { ...row, access });
  }
}

/** A key of `list --json`: the row (without the policy text and grants it was checked against) and its findings. */
export type ListedKey = Omit<KeyRow, 'access'> & { findings: FindingRecord[] };

export function listedKey(row: KeyRow, thresholds: Thresholds, now: Date): ListedKey {
  const { access: _access, ...rest } = row;
  return { ...rest, findings: rowFindings(row, thresholds, now).map(toFindingRecord) };
}

export async function runList(connection: Connection, options: { json: boolean; all: boolean; lastUse?: boolean; thresholds?: Thresholds }): Promise<number> {
  // FIND and the JSON findings cover the policy and grants too: read them (ListGrants, 100/s).
  const { document } = await collectInventory(connection, { lastUse: options.lastUse ?? true, access: true });
  const keys = options.all ? document.keys : document.keys.filter((row) => row.metadata?.keyManager !== 'AWS');
  const thresholds = options.thresholds ?? (await (await import('../app/config.js')).loadThresholds());
  const now = connection.now();
  if (options.json) {
    printJson({ ...document, keys: keys.map((row) => listedKey(row, thresholds, now)) });
  } else {
    printTable(keys, { multiRegion: document.regions.length > 1, multiAccount: document.accounts !== undefined }, now, thresholds);
    const nameOf = (id: string | undefined) => document.accounts?.find((a) => a.accountId === id)?.accountName ?? id;
    for (const failure of document.regionErrors) printLine(`${failure.accountId ? `account ${nameOf(failure.accountId)} ` : ''}region ${failure.region}: ${cleanText(failure.error)}`);
  }
  return document.regionErrors.length > 0 ? 1 : 0;
}

/** `now` is the account's time (the sandbox's clock on a sandbox): ages and countdowns count from it. */
function printTable(rows: KeyRow[], scope: { multiRegion: boolean; multiAccount: boolean }, now: Date, thresholds: Thresholds): void {
  const columns = columnsFor(scope);
  const cells = rows.map((row) => keyToCells(row, now, rowFindings(row, thresholds, now)));
  const titles = headerCells();
  const widths = columns.map((column) => Math.max(titles[column.id].length, ...cells.map((c) => [...c[column.id]].length)));
  const line = (values: string[]) => values.map((value, i) => value + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...value].length))).join('  ').trimEnd();
  printLine(line(columns.map((column) => titles[column.id])));
  for (const c of cells) printLine(line(columns.map((column) => c[column.id])));
  printLine(`${rows.length} keys`);
}

export async function runShow(connection: Connection, keyRef: string, options: { json: boolean }): Promise<number> {
  const [{ AwsKeySource, resolveKey }, { accountForKey, readingConnection }] = await Promise.all([import('../aws/inventory.js'), import('../app/key-account.js')]);
  // Several accounts (--org, --profiles): the key is read in its own account (its ARN names it).
  const account = accountForKey(connection, keyRef);
  const clients = account ? readingConnection(connection, account).clients : connection.clients;
  const source = new AwsKeySource(clients);
  const identity = await source.identity();
  const key = await resolveKey(clients, keyRef);
  const detail = await source.loadDetail(key);
  if (options.json) {
    printJson({ account: identity.account, ...(account?.name ? { accountName: account.name } : {}), caller: identity.arn, ...detail });
  } else {
    if (account) printLine(`${'Account'.padEnd(16)}${cleanText(account.name ? `${account.name} (${account.id})` : account.id)}`);
    printDetail(detail);
  }
  return 0;
}

function printDetail(detail: KeyDetail): void {
  const { row } = detail;
  const meta = row.metadata;
  const field = (name: string, value: string | undefined) => printLine(`${name.padEnd(16)}${cleanText(value ?? '—')}`);
  field('Key', row.arn);
  field('Aliases', row.aliases.join(', ') || '—');
  if (meta) {
    field('State', meta.state);
    field('Description', meta.description || '—');
    field('Spec / usage', `${meta.keySpec} / ${meta.keyUsage}`);
    field('Origin', meta.origin);
    field('Manager', meta.keyManager);
    field('Created', meta.creationDate);
    if (meta.deletionDate) field('Deletion date', meta.deletionDate);
    if (meta.multiRegion) field('Multi-Region', `${meta.multiRegionRole ?? ''} ${meta.primaryKey ? `primary ${meta.primaryKey.arn}` : ''}`.trim());
  } else {
    field('State', 'no access');
  }
  const rotation = row.rotation;
  field(
    'Rotation',
    rotation.kind === 'enabled'
      ? `on, ${rotationPeriodWords(rotation.periodDays)}${rotation.nextRotationDate ? `, next ${rotation.nextRotationDate.slice(0, 10)}` : ''}`
      : rotation.kind === 'disabled'
        ? 'off'
        : rotation.kind === 'unsupported'
          ? `not possible: ${rotation.reason}`
          : `unknown: ${rotation.message}`,
  );
  const usage = row.lastUsage;
  field(
    'Last used',
    usage.kind === 'used'
      ? `${usage.timestamp} (${usage.operation})`
      : usage.kind === 'never'
        ? `never (tracked since ${usage.trackingStartDate.slice(0, 10)})`
        : usage.kind === 'not-since-tracking'
          ? `not since ${usage.trackingStartDate.slice(0, 10)}; earlier use unknown`
          : usage.kind === 'pending'
            ? 'not read (--no-last-use)'
            : `unknown: ${usage.message}`,
  );
  field('Tags', row.tags.map((tag) => `${tag.key}=${tag.value}`).join(', ') || '—');
  if (Array.isArray(detail.grants)) field('Grants', String(detail.grants.length));
  for (const p of row.problems) field('Cannot read', `${p.what}: ${p.message}`);
}
