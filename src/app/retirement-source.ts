// The RetirementSource the TUI uses: the retirement driver (src/aws/retirement.ts), built on
// first use once the caller's identity is known, over the audit journal and the record store.
// With several accounts, each key's retirement goes through a driver of its own account.

import type { CallerIdentity } from '../domain/key.js';
import type { RetirementSource } from '../domain/source.js';
import type { RetirementStatus, TrailCheck } from '../domain/retirement.js';
import type { Clients } from '../aws/clients.js';
import { KeywardenError } from '../domain/errors.js';
import { Retirements } from '../aws/retirement.js';
import { accountOfArn } from '../aws/multi-account.js';
import { callerIdentityOf, type AccountHandle } from '../aws/org.js';
import { Journal } from '../journal/journal.js';
import { RetirementStore } from '../journal/retirements.js';

/** A record (or an unreadable record file) of `list()`, with the account it belongs to when several are read. */
export type ListedRetirement = (RetirementStatus | { file: string; problem: string }) & { accountId?: string; accountName?: string };

function lazyDriver(make: () => Promise<Retirements>): () => Promise<Retirements> {
  let driver: Promise<Retirements> | undefined;
  return () => {
    driver ??= make();
    // A failed identity read is not kept: the next call asks again.
    driver.catch(() => {
      driver = undefined;
    });
    return driver;
  };
}

export function retirementSource(clients: Clients, identity: () => Promise<CallerIdentity>, now: () => Date): RetirementSource {
  const get = lazyDriver(async () => new Retirements({ clients, journal: new Journal(undefined, { now }), store: new RetirementStore(), identity: await identity(), now }));
  return {
    preflight: async (key, windowDays) => (await get()).preflight(key, windowDays),
    find: async (key) => (await get()).find(key),
    start: async (key, options) => (await get()).start(key, options),
    status: async (record, findings) => (await get()).status(record, findings),
    findTrail: async (region) => (await get()).findTrail(region),
    list: async () => (await get()).list(),
    take: async (status, step, input) => (await get()).take(status, step, input),
    statusAfter: async (before, step, next) => (await get()).statusAfter(before, step, next),
  };
}

/**
 * Retirements over several accounts (--org, --profiles): each key's retirement is read and
 * changed in the key's own account — through --operator-role's session there when it was given
 * (its assumed-role ARN is the journal's and the record's caller), else through the reading
 * session, whose clients refuse every change (read-only). The record store and the journal are
 * the same files for every account: a record is one key's (its ARN names the account), and every
 * journal entry carries the key ARN and the caller. `list()` reads each record's status in its
 * own account and names the account; a record of an account this run does not read is listed
 * with that reason, never read with another account's credentials.
 */
export class MultiAccountRetirementSource implements RetirementSource {
  private readonly drivers = new Map<string, () => Promise<Retirements>>();

  constructor(
    private readonly accounts: readonly AccountHandle[],
    private readonly now: () => Date,
    private readonly journal: Journal = new Journal(undefined, { now }),
    private readonly store: RetirementStore = new RetirementStore(),
  ) {}

  private account(arn: string): AccountHandle | undefined {
    const id = accountOfArn(arn);
    return id ? this.accounts.find((a) => a.id === id && a.clients) : undefined;
  }

  private driver(arn: string): Promise<Retirements> {
    const account = this.account(arn);
    if (!account) return Promise.reject(new KeywardenError('not-found', `${arn} is not in an account keywarden reads`));
    return this.driverOf(account);
  }

  private driverOf(account: AccountHandle): Promise<Retirements> {
    let get = this.drivers.get(account.id);
    if (!get) {
      get = lazyDriver(async () => {
        const clients = account.operatorClients?.() ?? account.clients!;
        return new Retirements({ clients, journal: this.journal, store: this.store, identity: await callerIdentityOf(clients), now: this.now });
      });
      this.drivers.set(account.id, get);
    }
    return get();
  }

  preflight: RetirementSource['preflight'] = async (key, windowDays) => (await this.driver(key.arn)).preflight(key, windowDays);
  find: RetirementSource['find'] = async (key) => (await this.driver(key.arn)).find(key);
  start: RetirementSource['start'] = async (key, options) => (await this.driver(key.arn)).start(key, options);
  status: RetirementSource['status'] = async (record, findings) => (await this.driver(record.keyArn)).status(record, findings);
  take: RetirementSource['take'] = async (status, step, input) => (await this.driver(status.record.keyArn)).take(status, step, input);
  statusAfter: RetirementSource['statusAfter'] = async (before, step, next) => (await this.driver(before.record.keyArn)).statusAfter(before, step, next);

  /** The trails of the key's account (`keyArn`), else of the first account read. */
  async findTrail(region: string, keyArn?: string): Promise<TrailCheck> {
    const account = keyArn ? this.account(keyArn) : this.accounts.find((a) => a.clients);
    if (!account) throw new KeywardenError('not-found', `${keyArn ?? 'the key'} is not in an account keywarden reads`);
    return (await this.driverOf(account)).findTrail(region);
  }

  async list(): Promise<ListedRetirement[]> {
    const out: ListedRetirement[] = [];
    for (const loaded of await this.store.list()) {
      if (!loaded.ok) {
        out.push({ file: loaded.file, problem: loaded.problem });
        continue;
      }
      const id = accountOfArn(loaded.record.keyArn) ?? loaded.record.account;
      const known = this.accounts.find((a) => a.id === id);
      const named = { accountId: id, ...(known?.name ? { accountName: known.name } : {}) };
      if (!known?.clients) {
        const why = known?.error ? `account ${known.name || id} cannot be read: ${known.error}` : `account ${id} is not among the accounts keywarden reads in this run`;
        out.push({ file: loaded.file, problem: `the retirement of ${loaded.record.name} (${loaded.record.keyArn}) was not read: ${why}`, ...named });
        continue;
      }
      try {
        out.push({ ...(await (await this.driver(loaded.record.keyArn)).status(loaded.record)), ...named });
      } catch (error) {
        out.push({ file: loaded.file, problem: `the retirement of ${loaded.record.name} could not be read in ${known.name || id}: ${error instanceof Error ? error.message : String(error)}`, ...named });
      }
    }
    return out;
  }
}
