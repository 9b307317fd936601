// Every account's store: the management account's (which owns the state file) and one per member
// account of the organization, living inside it (state.ts `members`). A request runs against the
// store of the account it addresses (index.ts): the caller's own, or the account in a key ARN.

import { seedMembers } from './organization.js';
import { Store, type SandboxState } from './state.js';

export class AccountStores {
  readonly management: Store;
  private members = new Map<string, Store>();

  constructor(file: string | undefined) {
    this.management = new Store(file);
  }

  /** Loads a state; member accounts missing from it (a file from before the organization) are seeded. Returns whether any was. */
  load(state: SandboxState): boolean {
    const added = seedMembers(state.members, state.seededAt);
    this.management.load(state);
    // The same Store objects across a reset: each account's trail is found through its store.
    for (const [account, member] of Object.entries(state.members)) {
      let store = this.members.get(account);
      if (!store) this.members.set(account, (store = new Store(undefined, account, this.management)));
      store.load(member);
    }
    if (added) this.management.touch();
    return added;
  }

  /** The store of an account of the sandbox; undefined for any other account. */
  of(account: string): Store | undefined {
    return account === this.management.account ? this.management : this.members.get(account);
  }

  all(): Store[] {
    return [this.management, ...this.members.values()];
  }
}
