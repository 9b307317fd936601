// The one way a view loads something through a port: loading → ready | error, a load that is
// out of date (its inputs changed, the view went away) never lands, an AbortSignal for the
// load to stop its requests, and reload() to read it again. The views' hooks (identity,
// journal, key detail, …) are this with their own names for the states.

import { useCallback, useEffect, useState, type DependencyList } from 'react';
import { describeError } from '../../domain/errors.js';

export type AsyncResource<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; value: T }
  | { status: 'error'; error: string };

/**
 * Runs `load` whenever `deps` change (and on reload()); `load` returning undefined means there
 * is nothing to load (status idle). The last state is kept while a reload runs when `keepWhileReloading`.
 */
export function useAsyncResource<T>(
  load: (signal: AbortSignal) => Promise<T> | undefined,
  deps: DependencyList,
  options: { keepWhileReloading?: boolean } = {},
): AsyncResource<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncResource<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    const pending = load(controller.signal);
    if (!pending) {
      setState({ status: 'idle' });
      return () => controller.abort();
    }
    if (!options.keepWhileReloading) setState({ status: 'loading' });
    pending.then(
      (value) => {
        if (!controller.signal.aborted) setState({ status: 'ready', value });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', error: describeError(error) });
      },
    );
    return () => controller.abort();
    // The caller's deps decide when to load again (as with useEffect); `load` itself changes every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
