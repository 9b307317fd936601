// Last use, read in the background by the source's LastUseFeed, merged into the inventory's rows.
// The feed is made once per source and closed (its values saved) when the view goes away. Rows
// keep their identity until their value changes, so the keys list re-renders only those rows.
//
// Not a loader (useAsyncResource): nothing is loaded here. The feed in the source reads last use on
// its own schedule and keeps it; this hook subscribes to it (useSyncExternalStore) and merges it.

import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { KeyRow, LastUsage } from '../../domain/key.js';
import type { LastUseProgress } from '../../domain/last-use.js';
import type { KeySource, LastUseFeed, LastUseSnapshot } from '../../domain/source.js';

export interface LastUse {
  /** The inventory's rows with every known last use filled in (the rest stay "pending"). */
  rows: KeyRow[];
  /** How far the reading is; undefined without a feed. */
  progress: LastUseProgress | undefined;
  /** Tells the reader what the operator looks at (selected key first, then the rows on screen). */
  focus: (selected: string | undefined, visible: readonly string[]) => void;
  /** Reads this key's last use again now. */
  reread: (arn: string) => void;
}

const EMPTY: LastUseSnapshot = { values: new Map(), progress: { done: 0, total: 0, perSecond: 0, secondsLeft: 0 } };
const noSubscribe = () => () => undefined;

export function useLastUse(source: KeySource, rows: KeyRow[]): LastUse {
  // The keys view fills LAST USED from the trail's log group first (one Logs Insights query) when it can.
  const feed = useMemo<LastUseFeed | undefined>(() => source.lastUseFeed?.({ trail: true }), [source]);
  useEffect(() => () => void feed?.close(), [feed]);
  useEffect(() => feed?.setRows(rows), [feed, rows]);
  const subscribe = useCallback((listener: () => void) => (feed ? feed.subscribe(listener) : noSubscribe()), [feed]);
  const getSnapshot = useCallback(() => (feed ? feed.snapshot() : EMPTY), [feed]);
  const snapshot = useSyncExternalStore(subscribe, getSnapshot);
  const merged = useRef(new WeakMap<KeyRow, { usage: LastUsage; row: KeyRow }>());
  const withValues = useMemo(
    () =>
      rows.map((row) => {
        const usage = snapshot.values.get(row.arn);
        if (!usage || row.lastUsage.kind !== 'pending') return row;
        const last = merged.current.get(row);
        if (last && last.usage === usage) return last.row;
        const next = { ...row, lastUsage: usage };
        merged.current.set(row, { usage, row: next });
        return next;
      }),
    [rows, snapshot],
  );
  return {
    rows: withValues,
    progress: feed ? snapshot.progress : undefined,
    focus: useMemo(() => (selected: string | undefined, visible: readonly string[]) => feed?.focus(selected, visible), [feed]),
    reread: useMemo(() => (arn: string) => feed?.reread(arn), [feed]),
  };
}
