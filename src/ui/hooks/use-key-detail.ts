import type { KeyDetail } from '../../domain/key.js';
import type { KeySource } from '../../domain/source.js';
import { useAsyncResource } from './use-async-resource.js';

export type KeyDetailState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; detail: KeyDetail }
  | { status: 'error'; error: string };

/** Loads everything the detail view shows for one key; reloads when the key changes or on reload(). */
export function useKeyDetail(
  source: KeySource,
  key: { arn: string; region: string } | undefined,
): KeyDetailState & { reload: () => void; settled: () => boolean } {
  const arn = key?.arn;
  const region = key?.region;
  const state = useAsyncResource((signal) => (arn === undefined || region === undefined ? undefined : source.loadDetail({ arn, region }, signal)), [source, arn, region]);
  const { reload, settled } = state;
  if (state.status === 'ready') return { status: 'ready', detail: state.value, reload, settled };
  if (state.status === 'error') return { status: 'error', error: state.error, reload, settled };
  return { status: state.status, reload, settled };
}
