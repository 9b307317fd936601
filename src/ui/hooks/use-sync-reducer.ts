// A reducer whose state can be read at once after a dispatch, before React re-renders. The App
// routes a burst of keys (one chunk from the terminal) key by key: a key typed right after `/`
// must already go to the filter, so the input handler reads the state from the ref.

import { useCallback, useReducer, useRef } from 'react';

/** Read-only view of a ref: the state as it is now, which may be ahead of the last render. */
export interface Current<T> {
  readonly current: T;
}

export function useSyncReducer<S, E>(reducer: (state: S, event: E) => S, initial: S): [S, Current<S>, (event: E) => void] {
  const [state, dispatch] = useReducer<S, [E]>(reducer, initial);
  const ref = useRef(state);
  ref.current = state;
  const dispatchNow = useCallback(
    (event: E) => {
      ref.current = reducer(ref.current, event);
      dispatch(event);
    },
    [reducer],
  );
  return [state, ref, dispatchNow];
}
