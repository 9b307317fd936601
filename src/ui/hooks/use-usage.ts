import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../../domain/errors.js';
import type { TabEngine } from '../../domain/insights.js';
import type { KeySource } from '../../domain/source.js';
import { windowDays, type UsageLoadState, type UsageWindow } from '../../domain/usage.js';

/**
 * The Usage tab's data. `loading` carries what has arrived so far (pages come at 2 per second);
 * `ready` is a complete window or one the operator stopped (loaded.progress.stopped).
 */
export type UsageState =
  | { status: 'idle' }
  | { status: 'unavailable' }
  | { status: 'loading'; loaded?: UsageLoadState }
  | { status: 'ready'; loaded: UsageLoadState }
  | { status: 'error'; error: string; loaded?: UsageLoadState };

export interface UseUsageResult {
  state: UsageState;
  /** Stops reading; what was read stays on screen. */
  stop: () => void;
  /** Reads the window again from the newest event. */
  reload: () => void;
}

/**
 * Loads a key's CloudTrail events for a window while `active` (the Usage tab is shown), with the
 * engine picked on the tab. Changing the key, the window or the engine starts over; leaving the
 * tab stops the reading.
 */
export function useUsage(
  source: KeySource,
  key: { arn: string; region: string } | undefined,
  window: UsageWindow,
  options: { active?: boolean; cloudtrailDir?: string; engine?: TabEngine } = {},
): UseUsageResult {
  const [state, setState] = useState<UsageState>({ status: 'idle' });
  const [generation, setGeneration] = useState(0);
  const controllerRef = useRef<AbortController | undefined>(undefined);
  const stoppedRef = useRef(false);
  const active = options.active ?? true;
  const arn = key?.arn;
  const region = key?.region;
  const windowKey = typeof window === 'object' ? `${windowDays(window)}d` : window;
  const { cloudtrailDir } = options;
  const engine = options.engine ?? 'auto';

  useEffect(() => {
    if (arn === undefined || region === undefined || !active) {
      setState((s) => (s.status === 'idle' ? s : { status: 'idle' }));
      return;
    }
    if (!source.loadUsage) {
      setState({ status: 'unavailable' });
      return;
    }
    const controller = new AbortController();
    controllerRef.current = controller;
    stoppedRef.current = false;
    setState({ status: 'loading' });
    source
      .loadUsage(
        { arn, region },
        {
          window,
          // auto: keywarden picks LookupEvents or Logs Insights for each window (and says which, and
          // why); or the engine the operator picked, the trail's bucket included.
          ...(cloudtrailDir ? { cloudtrailDir } : engine === 's3' ? { cloudtrailS3: {} } : { engine }),
          onProgress: (loaded) => {
            if (!controller.signal.aborted) setState({ status: 'loading', loaded });
          },
        },
        controller.signal,
      )
      .then(
        (loaded) => {
          if (!controller.signal.aborted || stoppedRef.current) setState({ status: 'ready', loaded });
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setState((s) => ({ status: 'error', error: describeError(error), ...('loaded' in s && s.loaded ? { loaded: s.loaded } : {}) }));
        },
      );
    return () => controller.abort();
    // `window` is represented by windowKey.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source, arn, region, windowKey, active, cloudtrailDir, engine, generation]);

  const stop = useCallback(() => {
    stoppedRef.current = true;
    controllerRef.current?.abort();
  }, []);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { state, stop, reload };
}
