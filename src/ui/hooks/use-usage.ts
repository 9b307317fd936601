import { useMemo } from 'react';
import type { TabEngine } from '../../domain/insights.js';
import type { KeySource } from '../../domain/source.js';
import { windowDays, type UsageLoadState, type UsageWindow } from '../../domain/usage.js';
import { useAsyncResource } from './use-async-resource.js';

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
  const active = options.active ?? true;
  const arn = key?.arn;
  const region = key?.region;
  const windowKey = typeof window === 'object' ? `${windowDays(window)}d` : window;
  const { cloudtrailDir } = options;
  const engine = options.engine ?? 'auto';
  const wanted = arn !== undefined && region !== undefined && active;
  // Pages arrive as progress (what was read so far); stop() keeps what the reading returns then.
  const resource = useAsyncResource<UsageLoadState, UsageLoadState>(
    (signal, { progress }) =>
      !wanted || !source.loadUsage
        ? undefined
        : source.loadUsage(
            { arn, region },
            {
              window,
              // auto: keywarden picks LookupEvents or Logs Insights for each window (and says which, and
              // why); or the engine the operator picked, the trail's bucket included.
              ...(cloudtrailDir ? { cloudtrailDir } : engine === 's3' ? { cloudtrailS3: {} } : { engine }),
              onProgress: progress,
            },
            signal,
          ),
    // `window` is represented by windowKey.
    [source, arn, region, windowKey, active, cloudtrailDir, engine],
    { initial: 'idle' },
  );
  const { stop, reload, status } = resource;
  const value = resource.status === 'ready' ? resource.value : undefined;
  const partial = 'partial' in resource ? resource.partial : undefined;
  const error = resource.status === 'error' ? resource.error : undefined;
  const unavailable = wanted && !source.loadUsage;
  // One object per change of state (not per render): the view's memos follow it.
  const state = useMemo((): UsageState => {
    if (unavailable) return { status: 'unavailable' };
    if (status === 'ready' && value) return { status: 'ready', loaded: value };
    if (status === 'error') return { status: 'error', error: error ?? 'unknown error', ...(partial ? { loaded: partial } : {}) };
    if (status === 'loading') return partial ? { status: 'loading', loaded: partial } : { status: 'loading' };
    return { status: 'idle' };
  }, [unavailable, status, value, partial, error]);
  return { state, stop, reload };
}
