import type { CallerIdentity } from '../../domain/key.js';
import type { KeySource } from '../../domain/source.js';
import { useAsyncResource } from './use-async-resource.js';

export type IdentityState =
  | { status: 'loading' }
  | { status: 'ready'; identity: CallerIdentity }
  | { status: 'error'; error: string };

/** The caller (STS GetCallerIdentity through the port), for the header. */
export function useIdentity(source: KeySource): IdentityState {
  const state = useAsyncResource(() => source.identity(), [source]);
  if (state.status === 'ready') return { status: 'ready', identity: state.value };
  if (state.status === 'error') return { status: 'error', error: state.error };
  return { status: 'loading' };
}
