// One key's retirement in the TUI: the preflight evidence, the record (if any) and what AWS
// shows now, reloaded after every step. Steps run through the RetirementSource port.

import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../../domain/errors.js';
import type { Preflight, RetirementRecord, RetirementStatus } from '../../domain/retirement.js';
import type { RetirementSource } from '../../domain/source.js';

export const PREFLIGHT_WINDOW_DAYS = 30;

export type RetirementView =
  | { phase: 'loading'; what: string }
  | { phase: 'error'; error: string }
  | { phase: 'ready'; preflight: Preflight; record?: RetirementRecord; status?: RetirementStatus; busy?: string; message?: { text: string; tone: 'success' | 'danger' | 'warning' } };

export interface RetirementControl {
  view: RetirementView;
  reload(): void;
  /** Runs one step; the view shows it as busy, then reloads the record and AWS's state. */
  run(label: string, step: (current: { record?: RetirementRecord; preflight: Preflight }) => Promise<RetirementRecord>, done: (record: RetirementRecord) => string): void;
  /** Shows a message on the wizard (why a key did nothing). */
  say(text: string, tone: 'success' | 'danger' | 'warning'): void;
}

export function useRetirement(source: RetirementSource | undefined, key: { arn: string; region: string } | undefined): RetirementControl {
  const [view, setView] = useState<RetirementView>({ phase: 'loading', what: 'gathering evidence…' });
  const [generation, setGeneration] = useState(0);
  const viewRef = useRef(view);
  viewRef.current = view;
  const keyArn = key?.arn;
  const keyRegion = key?.region;

  useEffect(() => {
    if (!source || !keyArn || !keyRegion) return;
    let live = true;
    const ref = { arn: keyArn, region: keyRegion };
    const previous = viewRef.current;
    if (previous.phase !== 'ready') setView({ phase: 'loading', what: 'gathering evidence: the key, its grants, CloudTrail over 30 days…' });
    (async () => {
      const preflight = previous.phase === 'ready' && previous.preflight.detail.row.arn === keyArn && generation > 0 ? previous.preflight : await source.preflight(ref, PREFLIGHT_WINDOW_DAYS);
      const record = await source.find(ref);
      const status = record ? await source.status(record, preflight.findings) : undefined;
      if (!live) return;
      const message = previous.phase === 'ready' ? previous.message : undefined;
      setView({ phase: 'ready', preflight, ...(status ? { record: status.record, status } : {}), ...(message ? { message } : {}) });
    })().catch((error: unknown) => {
      if (live) setView({ phase: 'error', error: describeError(error) });
    });
    return () => {
      live = false;
    };
  }, [source, keyArn, keyRegion, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  const run = useCallback<RetirementControl['run']>(
    (label, step, done) => {
      const current = viewRef.current;
      if (current.phase !== 'ready' || current.busy) return;
      setView({ ...current, busy: label });
      step({ ...(current.record ? { record: current.record } : {}), preflight: current.preflight }).then(
        (record) => {
          const latest = viewRef.current;
          if (latest.phase === 'ready') setView({ ...latest, record, message: { text: done(record), tone: 'success' } });
          reload();
        },
        (error: unknown) => {
          const latest = viewRef.current;
          if (latest.phase === 'ready') {
            const { busy: _busy, ...rest } = latest;
            setView({ ...rest, message: { text: `${label}: ${describeError(error)}`, tone: 'danger' } });
          }
          reload();
        },
      );
    },
    [reload],
  );

  const say = useCallback((text: string, tone: 'success' | 'danger' | 'warning') => {
    setView((latest) => (latest.phase === 'ready' ? { ...latest, message: { text, tone } } : latest));
  }, []);

  return { view, reload, run, say };
}
