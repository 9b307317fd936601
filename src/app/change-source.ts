// The ChangeSource the TUI uses: KeyChanger (src/aws) for previews and changes, the audit
// journal for the record. The caller's identity is read once, on the first change.

import type { ActionRequest, ChangePreview, ChangeResult } from '../domain/actions.js';
import type { CallerIdentity } from '../domain/key.js';
import type { ChangeSource, JournalOperationView } from '../domain/source.js';
import type { Clients } from '../aws/clients.js';
import { KeyChanger } from '../aws/mutations.js';
import { Journal, pairEntries } from '../journal/journal.js';

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

  async journal(keyArn?: string): Promise<{ operations: JournalOperationView[]; problems: string[] }> {
    const { entries, problems } = await this.journalFile.read(keyArn ? { keyArn } : {});
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
}
