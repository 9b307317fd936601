// The RetirementSource the TUI uses: the retirement driver (src/aws/retirement.ts), built on
// first use once the caller's identity is known, over the audit journal and the record store.

import type { CallerIdentity } from '../domain/key.js';
import type { RetirementSource } from '../domain/source.js';
import type { Clients } from '../aws/clients.js';
import { Retirements } from '../aws/retirement.js';
import { Journal } from '../journal/journal.js';
import { RetirementStore } from '../journal/retirements.js';

export function retirementSource(clients: Clients, identity: () => Promise<CallerIdentity>, now: () => Date): RetirementSource {
  let driver: Promise<Retirements> | undefined;
  const get = (): Promise<Retirements> => {
    driver ??= identity().then((id) => new Retirements({ clients, journal: new Journal(undefined, { now }), store: new RetirementStore(), identity: id, now }));
    driver.catch(() => {
      driver = undefined;
    });
    return driver;
  };
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
