import type { ChangeSource, JournalOperationView } from '../../domain/source.js';
import { useAsyncResource } from './use-async-resource.js';

export type JournalState =
  | { status: 'loading' }
  | { status: 'error'; error: string }
  | { status: 'ready'; operations: JournalOperationView[]; problems: string[] };

/** Reads the audit journal (all of it, or one key's) while `active`. */
export function useJournal(changes: ChangeSource | undefined, active: boolean, keyArn?: string): JournalState & { reload(): void } {
  const state = useAsyncResource(
    () => (!active ? undefined : changes ? changes.journal(keyArn) : Promise.reject(new Error('no journal in this session'))),
    [changes, active, keyArn],
  );
  const { reload } = state;
  if (state.status === 'ready') return { status: 'ready', operations: state.value.operations, problems: state.value.problems, reload };
  if (state.status === 'error') return { status: 'error', error: state.error, reload };
  return { status: 'loading', reload };
}
