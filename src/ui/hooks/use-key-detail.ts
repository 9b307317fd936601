import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../../domain/errors.js';
import type { KeyDetail } from '../../domain/key.js';
import type { KeySource } from '../../domain/source.js';

export type KeyDetailState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; detail: KeyDetail }
  | { status: 'error'; error: string };

/** Loads everything the detail view shows for one key; reloads when the key changes or on reload(). */
export function useKeyDetail(
  source: KeySource,
  key: { arn: string; region: string } | undefined,
): KeyDetailState & { reload: () => void } {
  const [state, setState] = useState<KeyDetailState>({ status: 'idle' });
  const [generation, setGeneration] = useState(0);
  const arn = key?.arn;
  const region = key?.region;

  useEffect(() => {
    if (arn === undefined || region === undefined) {
      setState({ status: 'idle' });
      return;
    }
    const controller = new AbortController();
    setState({ status: 'loading' });
    source.loadDetail({ arn, region }, controller.signal).then(
      (detail) => {
        if (!controller.signal.aborted) setState({ status: 'ready', detail });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', error: describeError(error) });
      },
    );
    return () => controller.abort();
  }, [source, arn, region, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
