import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../../domain/errors.js';
import type { ChangeSource, JournalOperationView } from '../../domain/source.js';

export type JournalState =
  | { status: 'loading' }
  | { status: 'error'; error: string }
  | { status: 'ready'; operations: JournalOperationView[]; problems: string[] };

/** Reads the audit journal (all of it, or one key's) while `active`. */
export function useJournal(changes: ChangeSource | undefined, active: boolean, keyArn?: string): JournalState & { reload(): void } {
  const [state, setState] = useState<JournalState>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (!active) return;
    if (!changes) {
      setState({ status: 'error', error: 'no journal in this session' });
      return;
    }
    let live = true;
    setState({ status: 'loading' });
    changes.journal(keyArn).then(
      ({ operations, problems }) => live && setState({ status: 'ready', operations, problems }),
      (error: unknown) => live && setState({ status: 'error', error: describeError(error) }),
    );
    return () => {
      live = false;
    };
  }, [changes, active, keyArn, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
