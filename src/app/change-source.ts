// The ChangeSource the TUI uses: KeyChanger (src/aws) for previews and changes, the audit
// journal for the record. The caller's identity is read once, on the first change.

import type { ActionRequest, ChangePreview, ChangeResult } from '../domain/actions.js';
import type { CallerIdentity } from '../domain/key.js';
import type { ChangeSource, JournalOperationView } from '../domain/source.js';
import type { Clients } from '../aws/clients.js';
import { KeyChanger } from '../aws/mutations.js';
import { Journal, pairEntries } from '../journal/journal.js';
import { KeywardenError } from '../domain/errors.js';
import { callerIdentityOf, type AccountHandle } from '../aws/org.js';

export class AwsChangeSource implements ChangeSource {
  private changer: Promise<KeyChanger> | undefined;
  private readonly journalFile: Journal;

  constructor(
    private readonly clients: Clients,
    private readonly identity: () => Promise<CallerIdentity>,
    // Entries are stamped with the account's time (the sandbox's clock on a sandbox), like the retirement records they are compared with.
    journal: Journal = new Journal(undefined, { now: () => clients.now() }),
  ) {
    this.journalFile = journal;
  }

  private keyChanger(): Promise<KeyChanger> {
    this.changer ??= this.identity().then((identity) => new KeyChanger({ clients: this.clients, journal: this.journalFile, identity }));
    // A failed identity read is not cached: the next attempt asks again.
    this.changer.catch(() => {
      this.changer = undefined;
    });
    return this.changer;
  }

  async preview(request: ActionRequest, key: { arn: string; region: string }): Promise<ChangePreview> {
    return (await this.keyChanger()).preview(request, key);
  }

  async apply(preview: ChangePreview): Promise<ChangeResult> {
    return (await this.keyChanger()).apply(preview);
  }

  journal(keyArn?: string): Promise<{ operations: JournalOperationView[]; problems: string[] }> {
    return journalView(this.journalFile, keyArn);
  }
}

/** The journal's operations (intent and result paired) as the journal view shows them. */
async function journalView(journalFile: Journal, keyArn?: string): Promise<{ operations: JournalOperationView[]; problems: string[] }> {
  const { entries, problems } = await journalFile.read(keyArn ? { keyArn } : {});
  const operations = pairEntries(entries).map(({ intent, result, status }): JournalOperationView => {
    const outcome = result?.outcome;
    const view: JournalOperationView = {
      time: intent.time,
      action: intent.action,
      keyArn: intent.keyArn,
      region: intent.region,
      caller: intent.caller,
      params: intent.params,
      status,
    };
    if (outcome?.requestId) view.requestId = outcome.requestId;
    if (outcome && !outcome.ok) view.error = `${outcome.code}: ${outcome.message}`;
    return view;
  });
  return { operations, problems: problems.map((p) => `line ${p.line}: ${p.reason}`) };
}

/**
 * Why a key of `account` cannot be changed: --org reads through --org-role only, and a change asks
 * for --operator-role. The interactive view and the one-key commands refuse with these words.
 */
export function operatorRoleRefusal(account: Pick<AccountHandle, 'id' | 'name'>): KeywardenError {
  return new KeywardenError('read-only', `read-only: with --org keywarden changes a key only through a role in its own account; start it with --operator-role NAME to change keys in ${account.name || account.id} (${account.id})`);
}

/**
 * Changes with several accounts (--org): each goes to the key's own account, through the session
 * of --operator-role assumed there (its GetCallerIdentity is the journal's caller: the assumed-role
 * ARN in that account). Without --operator-role nothing is changed: the accounts are read through
 * --org-role only.
 */
export class MultiAccountChangeSource implements ChangeSource {
  private readonly perAccount = new Map<string, AwsChangeSource>();
  private readonly journalFile: Journal;

  constructor(
    private readonly accounts: readonly AccountHandle[],
    now: () => Date,
    journal: Journal = new Journal(undefined, { now }),
  ) {
    this.journalFile = journal;
  }

  private sourceFor(arn: string): AwsChangeSource {
    const id = /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(arn)?.[1];
    const account = this.accounts.find((a) => a.id === id);
    if (!account) throw new KeywardenError('not-found', `${arn} is not in an account keywarden reads`);
    if (!account.operatorClients) throw operatorRoleRefusal(account);
    let source = this.perAccount.get(account.id);
    if (!source) {
      const clients = account.operatorClients();
      source = new AwsChangeSource(
        clients,
        () => callerIdentityOf(clients),
        this.journalFile,
      );
      this.perAccount.set(account.id, source);
    }
    return source;
  }

  async preview(request: ActionRequest, key: { arn: string; region: string }): Promise<ChangePreview> {
    return this.sourceFor(key.arn).preview(request, key);
  }

  async apply(preview: ChangePreview): Promise<ChangeResult> {
    return this.sourceFor(preview.row.arn).apply(preview);
  }

  journal(keyArn?: string): ReturnType<ChangeSource['journal']> {
    return journalView(this.journalFile, keyArn);
  }
}
