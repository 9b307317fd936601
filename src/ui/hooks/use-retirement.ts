// One key's retirement in the TUI: the preflight evidence, the record (if any) and what AWS
// shows now, reloaded after every step (loaded through useAsyncResource). Steps run through the
// RetirementSource port.

import { useCallback, useRef, useState } from 'react';
import { describeError } from '../../domain/errors.js';
import type { Preflight, RetirementRecord, RetirementStatus } from '../../domain/retirement.js';
import type { RetirementSource } from '../../domain/source.js';
import { useAsyncResource } from './use-async-resource.js';

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

/** What one load brings: the evidence, the record (if any) and what AWS shows now. */
interface Loaded {
  preflight: Preflight;
  record?: RetirementRecord;
  status?: RetirementStatus;
}

/** What a step adds over the last load, until the next load lands: busy, and the record the step returned. */
interface StepOverlay {
  /** The load the step ran over: busy and record apply while it is the one shown. */
  on?: Loaded;
  busy?: string;
  record?: RetirementRecord;
  /** The last word to the operator; kept across loads. */
  message?: { text: string; tone: 'success' | 'danger' | 'warning' };
}

export function useRetirement(source: RetirementSource | undefined, key: { arn: string; region: string } | undefined): RetirementControl {
  const keyArn = key?.arn;
  const keyRegion = key?.region;
  // The evidence is gathered once per key: reloads after a step read only the record and AWS's state.
  const last = useRef<{ source: RetirementSource; arn: string; loaded: Loaded } | undefined>(undefined);
  const resource = useAsyncResource<Loaded>(
    () => {
      if (!source || !keyArn || !keyRegion) return undefined;
      const ref = { arn: keyArn, region: keyRegion };
      const previous = last.current?.source === source && last.current.arn === keyArn ? last.current.loaded : undefined;
      return (async () => {
        const preflight = previous ? previous.preflight : await source.preflight(ref, PREFLIGHT_WINDOW_DAYS);
        const record = await source.find(ref);
        const status = record ? await source.status(record, preflight.findings) : undefined;
        const loaded: Loaded = { preflight, ...(status ? { record: status.record, status } : {}) };
        last.current = { source, arn: keyArn, loaded };
        return loaded;
      })();
    },
    [source, keyArn, keyRegion],
    // A reload (after a step, r) keeps the wizard on screen until the fresh state arrives.
    { keepWhileReloading: true },
  );
  const { reload } = resource;
  const [overlay, setOverlay] = useState<StepOverlay>({});

  let view: RetirementView;
  if (resource.status === 'ready') {
    const loaded = resource.value;
    const applies = overlay.on === loaded;
    const record = applies && overlay.record ? overlay.record : loaded.record;
    view = {
      phase: 'ready',
      preflight: loaded.preflight,
      ...(record ? { record } : {}),
      ...(loaded.status ? { status: loaded.status } : {}),
      ...(applies && overlay.busy ? { busy: overlay.busy } : {}),
      ...(overlay.message ? { message: overlay.message } : {}),
    };
  } else if (resource.status === 'error') view = { phase: 'error', error: resource.error };
  else view = { phase: 'loading', what: resource.status === 'idle' ? 'gathering evidence…' : 'gathering evidence: the key, its grants, CloudTrail over 30 days…' };
  const viewRef = useRef(view);
  viewRef.current = view;
  const loadedRef = useRef<Loaded | undefined>(undefined);
  loadedRef.current = resource.status === 'ready' ? resource.value : undefined;

  const run = useCallback<RetirementControl['run']>(
    (label, step, done) => {
      const current = viewRef.current;
      const on = loadedRef.current;
      if (current.phase !== 'ready' || current.busy || !on) return;
      setOverlay((o) => ({ ...o, on, busy: label, record: undefined }));
      step({ ...(current.record ? { record: current.record } : {}), preflight: current.preflight }).then(
        (record) => {
          // Busy until the reload lands; the step's record shows at once.
          setOverlay((o) => ({ ...o, record, message: { text: done(record), tone: 'success' } }));
          reload();
        },
        (error: unknown) => {
          setOverlay((o) => ({ on: o.on, message: { text: `${label}: ${describeError(error)}`, tone: 'danger' } }));
          reload();
        },
      );
    },
    [reload],
  );

  const say = useCallback((text: string, tone: 'success' | 'danger' | 'warning') => {
    if (viewRef.current.phase === 'ready') setOverlay((o) => ({ ...o, message: { text, tone } }));
  }, []);

  return { view, reload, run, say };
}
