import { useEffect, useState } from 'react';
import { describeError } from '../../domain/errors.js';
import type { CallerIdentity } from '../../domain/key.js';
import type { KeySource } from '../../domain/source.js';

export type IdentityState =
  | { status: 'loading' }
  | { status: 'ready'; identity: CallerIdentity }
  | { status: 'error'; error: string };

/** The caller (STS GetCallerIdentity through the port), for the header. */
export function useIdentity(source: KeySource): IdentityState {
  const [state, setState] = useState<IdentityState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    source.identity().then(
      (identity) => live && setState({ status: 'ready', identity }),
      (error: unknown) => live && setState({ status: 'error', error: describeError(error) }),
    );
    return () => {
      live = false;
    };
  }, [source]);
  return state;
}
