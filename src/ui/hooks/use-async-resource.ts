// The one way a view loads something through a port: loading → ready | error, a load that is
// out of date (its inputs changed, the view went away) never lands, an AbortSignal for the
// load to stop its requests, and reload() to read it again. A long load can report what has
// arrived so far (`partial`, shown while it loads and kept beside an error), and stop(): the
// load is aborted and what it then returns (what it had read) is kept. The views' hooks
// (identity, journal, key detail, usage, retirement, retirements) are this with their own names
// for the states.

import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';
import { describeError } from '../../domain/errors.js';

export type AsyncResource<T, P = never> =
  | { status: 'idle' }
  | { status: 'loading'; partial?: P }
  | { status: 'ready'; value: T }
  | { status: 'error'; error: string; partial?: P };

export interface AsyncResourceOptions {
  /** While a reload runs, keep showing the last value (when there is one) instead of "loading". */
  keepWhileReloading?: boolean;
  /** The state before the first load starts: 'loading' (default) or 'idle' (for a load that waits to be asked for). */
  initial?: 'loading' | 'idle';
}

/** What a load is given besides its AbortSignal. */
export interface LoadContext<P> {
  /** What has arrived so far: shown as `partial` while loading (ignored once the load is out of date). */
  progress: (partial: P) => void;
}

/**
 * Runs `load` whenever `deps` change (and on reload()); `load` returning undefined means there
 * is nothing to load (status idle).
 */
export function useAsyncResource<T, P = never>(
  load: (signal: AbortSignal, context: LoadContext<P>) => Promise<T> | undefined,
  deps: DependencyList,
  options: AsyncResourceOptions = {},
): AsyncResource<T, P> & { reload: () => void; stop: () => void; settled: () => boolean } {
  const [state, setState] = useState<AsyncResource<T, P>>({ status: options.initial ?? 'loading' });
  const [generation, setGeneration] = useState(0);
  // Whether the state is the answer to the last load asked for. A key handler runs with the state
  // of the last render: right after reload() (or a change that calls it) that state is the one
  // before, and still says 'ready' until React renders again; this says so at once.
  const settledRef = useRef(false);
  // The load running now, and whether the operator stopped it (then its answer is kept).
  const current = useRef<{ controller: AbortController; stopped: boolean } | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    const run = { controller, stopped: false };
    settledRef.current = false;
    current.current = run;
    // An answer lands only from the load running now; a stopped load's answer is what it had read.
    const lands = () => !controller.signal.aborted || (run.stopped && current.current === run);
    // What the load reported while it was starting (before it returned its promise).
    let early: { partial: P } | undefined;
    const pending = load(controller.signal, {
      progress: (partial) => {
        if (controller.signal.aborted) return;
        early ??= { partial };
        early.partial = partial;
        setState({ status: 'loading', partial });
      },
    });
    if (!pending) {
      settledRef.current = true;
      setState((s) => (s.status === 'idle' ? s : { status: 'idle' }));
      return () => controller.abort();
    }
    if (early) setState({ status: 'loading', partial: early.partial });
    else setState((s) => (options.keepWhileReloading && s.status === 'ready' ? s : { status: 'loading' }));
    pending.then(
      (value) => {
        if (!lands()) return;
        settledRef.current = true;
        setState({ status: 'ready', value });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        settledRef.current = true;
        setState((s) => ({ status: 'error', error: describeError(error), ...('partial' in s && s.partial !== undefined ? { partial: s.partial } : {}) }));
      },
    );
    return () => {
      controller.abort();
      if (current.current === run) current.current = undefined;
    };
    // The caller's deps decide when to load again (as with useEffect); `load` itself changes every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(() => {
    settledRef.current = false;
    setGeneration((g) => g + 1);
  }, []);
  const settled = useCallback(() => settledRef.current, []);
  const stop = useCallback(() => {
    const run = current.current;
    if (!run) return;
    run.stopped = true;
    run.controller.abort();
  }, []);
  return { ...state, reload, stop, settled };
}
