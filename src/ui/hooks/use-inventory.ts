// Streams the inventory from the KeySource port. Rows arrive in many small batches; they are
// merged by ARN into a map and handed to React at most once per `flushMs`, so a 10,000-key
// account causes a few dozen renders, not 10,000.
//
// Not on useAsyncResource (src/ui/hooks/use-async-resource.ts), on purpose: its result is not one
// value that lands at the end but rows merged by ARN as they stream, flushed on a timer, shown
// over the last saved inventory (marked stale) and over the previous rows while a refresh runs,
// and patched in place by update() after a change. The rules it shares with the other loaders —
// abort on unmount and refresh, nothing from an aborted load lands, errors in words — are kept
// here by the same AbortController checks.

import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../../domain/errors.js';
import type { KeyRow } from '../../domain/key.js';
import type { KeySource, RegionProgress } from '../../domain/source.js';

export type InventoryStatus = 'loading' | 'ready' | 'error';

/** What the inventory shows now. */
interface Snapshot {
  rows: KeyRow[];
  progress: RegionProgress[];
  status: InventoryStatus;
  error?: string;
  /** Set while cached rows (from the last run) are on screen: when that inventory was saved. */
  staleSince?: string;
  /** Something about the cache the operator should know (a corrupt file that was ignored). */
  notice?: string;
}

export interface Inventory extends Snapshot {
  refresh: () => void;
  /** Replaces rows (by ARN) with fresher ones, e.g. a key re-read after a change. */
  update: (rows: KeyRow[]) => void;
}

export function useInventory(source: KeySource, options: { flushMs?: number } = {}): Inventory {
  const flushMs = options.flushMs ?? 50;
  const [generation, setGeneration] = useState(0);
  const [snapshot, setSnapshot] = useState<Snapshot>({ rows: [], progress: [], status: 'loading' });
  const rowsRef = useRef<KeyRow[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    // While refreshing, keep showing what we had; keys that are gone drop out when the load completes.
    const previous = new Map(rowsRef.current.map((r) => [r.arn, r]));
    const fresh = new Map<string, KeyRow>();
    let progress: RegionProgress[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let dirty = false;
    let staleSince: string | undefined;
    let notice: string | undefined;
    let stale = new Set<string>();
    let finished = false;

    const merged = (): KeyRow[] => {
      const out = new Map(previous);
      for (const [arn, row] of fresh) out.set(arn, row);
      return [...out.values()];
    };
    const flush = () => {
      timer = undefined;
      if (!dirty || controller.signal.aborted) return;
      dirty = false;
      const rows = merged();
      rowsRef.current = rows;
      const staleLeft = [...stale].some((arn) => !fresh.has(arn));
      setSnapshot((s) => ({ ...s, rows, progress, ...(staleSince && staleLeft ? { staleSince } : { staleSince: undefined }), ...(notice ? { notice } : {}) }));
    };
    const schedule = () => {
      dirty = true;
      timer ??= setTimeout(flush, flushMs);
    };

    setSnapshot((s) => ({ rows: s.rows, progress: [], status: 'loading' }));
    // Nothing on screen yet: show the last saved inventory (marked stale) until fresh rows replace it.
    if (previous.size === 0 && source.cachedInventory) {
      source.cachedInventory().then(
        (cached) => {
          // A cache that answers after the fresh load has finished has nothing left to show.
          if (!cached || controller.signal.aborted || finished) return;
          for (const row of cached.rows) {
            if (fresh.has(row.arn) || previous.has(row.arn)) continue;
            previous.set(row.arn, row);
            stale.add(row.arn);
          }
          if (cached.rows.length > 0) staleSince = cached.savedAt;
          if (cached.notices.length > 0) notice = cached.notices.join('; ');
          schedule();
        },
        () => undefined, // no identity, no cache: the fresh load says what is wrong
      );
    }
    source
      .loadInventory(
        {
          onRows(rows) {
            for (const row of rows) fresh.set(row.arn, row);
            schedule();
          },
          onProgress(next) {
            progress = next.map((p) => ({ ...p }));
            schedule();
          },
        },
        controller.signal,
      )
      .then(
        () => {
          finished = true;
          if (controller.signal.aborted) return;
          if (timer) clearTimeout(timer);
          timer = undefined;
          const rows = [...fresh.values()];
          rowsRef.current = rows;
          stale = new Set();
          setSnapshot({ rows, progress, status: 'ready', ...(notice ? { notice } : {}) });
        },
        (error: unknown) => {
          finished = true;
          if (controller.signal.aborted) return;
          if (timer) clearTimeout(timer);
          timer = undefined;
          const rows = merged();
          rowsRef.current = rows;
          setSnapshot({ rows, progress, status: 'error', error: describeError(error), ...(staleSince && stale.size > 0 ? { staleSince } : {}), ...(notice ? { notice } : {}) });
        },
      );
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [source, generation, flushMs]);

  const refresh = useCallback(() => setGeneration((g) => g + 1), []);
  const update = useCallback((fresher: KeyRow[]) => {
    const byArn = new Map(fresher.map((row) => [row.arn, row]));
    const rows = rowsRef.current.map((row) => byArn.get(row.arn) ?? row);
    rowsRef.current = rows;
    setSnapshot((s) => ({ ...s, rows }));
  }, []);
  return { ...snapshot, refresh, update };
}
