// Key policies and grants, read in the background by the source's AccessFeed, merged into the
// inventory's rows so FIND and `f` show the policy and grant findings too (until a key's arrive,
// its row says those checks are pending). Made once per source and closed (its values saved)
// when the view goes away; rows keep their identity until their value changes.
//
// Not a loader (useAsyncResource): nothing is loaded here. The feed in the source reads policies and grants on
// its own schedule and keeps it; this hook subscribes to it (useSyncExternalStore) and merges it.

import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { KeyAccess, KeyRow } from '../../domain/key.js';
import type { AccessFeed, AccessSnapshot, KeySource } from '../../domain/source.js';

export interface Access {
  /** The rows with every known policy and grants filled in. */
  rows: KeyRow[];
  /** Tells the reader what the operator looks at (selected key first, then the rows on screen). */
  focus: (selected: string | undefined, visible: readonly string[]) => void;
  /** Reads this key's policy and grants again now. */
  reread: (arn: string) => void;
}

const EMPTY: AccessSnapshot = { values: new Map(), progress: { done: 0, total: 0, perSecond: 0, secondsLeft: 0 } };
const noSubscribe = () => () => undefined;

export function useAccess(source: KeySource, rows: KeyRow[]): Access {
  const feed = useMemo<AccessFeed | undefined>(() => source.accessFeed?.(), [source]);
  useEffect(() => () => void feed?.close(), [feed]);
  useEffect(() => feed?.setRows(rows), [feed, rows]);
  const subscribe = useCallback((listener: () => void) => (feed ? feed.subscribe(listener) : noSubscribe()), [feed]);
  const getSnapshot = useCallback(() => (feed ? feed.snapshot() : EMPTY), [feed]);
  const snapshot = useSyncExternalStore(subscribe, getSnapshot);
  const merged = useRef(new WeakMap<KeyRow, { access: KeyAccess; row: KeyRow }>());
  const withValues = useMemo(
    () =>
      rows.map((row) => {
        const access = snapshot.values.get(row.arn);
        if (!access || row.access === access) return row;
        const last = merged.current.get(row);
        if (last && last.access === access) return last.row;
        const next = { ...row, access };
        merged.current.set(row, { access, row: next });
        return next;
      }),
    [rows, snapshot],
  );
  return {
    rows: withValues,
    focus: useMemo(() => (selected: string | undefined, visible: readonly string[]) => feed?.focus(selected, visible), [feed]),
    reread: useMemo(() => (arn: string) => feed?.reread(arn), [feed]),
  };
}
