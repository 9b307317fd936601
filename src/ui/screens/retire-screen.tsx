// The retirement wizard screen: the view (retire-view.tsx) plus its own small dialog for what
// the steps need typed (the alias or key id, a deletion waiting period, a log group name).
// Every step goes through the port's one entry point, `take`, confirmed as the step catalogue
// says (src/domain/retirement-steps.ts); n and b take the catalogue's first allowed step forward
// or back, as `retire advance` and `retire rollback` do. Keys reach it through the App's single
// input handler: the screen registers its handler and says whether its dialog is taking text.

import { Box, Text, type Key } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { confirmationMatches, confirmationWord } from '../../domain/actions.js';
import { describeError, KeywardenError } from '../../domain/errors.js';
import { displayName } from '../../domain/key.js';
import { parseDeletionWindow, unacknowledged, type RetirementRecord, type StepId } from '../../domain/retirement.js';
import { followingStep, RETIREMENT_STEPS, stepCalls, stepToTake, stepWords, watchCalls, type RetirementStepInput } from '../../domain/retirement-steps.js';
import { cleanText } from '../../domain/sanitize.js';
import type { RetirementSource } from '../../domain/source.js';
import { useRetirement } from '../hooks/use-retirement.js';
import { hintsFor, type Hint, type Scope } from '../keymap.js';
import { applyEdit, textEditFor } from '../text-field.js';
import { useTheme } from '../theme.js';
import { askLayout, removedWords, retireHints } from '../views/retire-dialog.js';
import { RetireView, retireLayout } from '../views/retire-view.js';
import type { ScreenController, Shell } from './screen.js';

/**
 * What the dialog asks for, and what happens with the answer. A step's confirmation follows the
 * catalogue (RETIREMENT_STEPS[step].confirm): 'typed' asks for the alias or key id, 'plain' for
 * Enter (or y), 'none' opens no dialog at all.
 */
export type Ask =
  | { kind: 'none' }
  | { kind: 'confirm'; rule: 'typed' | 'plain'; step: StepId; title: string; lines: string[]; input: string; error?: string; scroll: number; run: () => void }
  /** schedule-deletion: the waiting period first, then the typed confirmation with the date. */
  | { kind: 'deletion-days'; input: string; error?: string; scroll: number; /** The default is selected: the first key typed replaces it. */ selected?: boolean }
  /** arm-watch on a log group the operator names. */
  | { kind: 'log-group'; input: string; error?: string; scroll: number }
  /** arm-watch: names the log group it will watch; the input is an optional SNS topic ARN to notify. */
  | { kind: 'alarm'; lines: string[]; input: string; error?: string; scroll: number };

export type RetireKeyHandler = (command: string | undefined, input: string, key: Key) => void;

export interface RetireScreenProps {
  source: RetirementSource;
  keyRef: { arn: string; region: string };
  readOnly: boolean;
  height: number;
  /** Columns: long lines are wrapped to them, never cut. */
  width?: number;
  /** The App routes keys here while this screen is shown. */
  register: (handler: RetireKeyHandler, focus: () => Scope) => void;
  /** The keys that do something now, in words, for the footer (they follow the stage and any open dialog). */
  onHints?: (hints: Hint[]) => void;
  onBack: () => void;
}

const WEAKER_REASON = 'chosen by the operator: no alarm; keywarden polls CloudTrail';
const WEAKER_AGAIN_REASON = 'started again by the operator: the earlier weaker watch aged out of CloudTrail; keywarden polls CloudTrail';

export function RetireScreen({ source, keyRef, readOnly, height, width = 80, register, onHints, onBack }: RetireScreenProps) {
  const theme = useTheme();
  const retirement = useRetirement(source, keyRef);
  const [ask, setAskState] = useState<Ask>({ kind: 'none' });
  const askRef = useRef(ask);
  const setAsk = (next: Ask) => {
    askRef.current = next;
    setAskState(next);
  };
  const [scroll, setScroll] = useState(0);
  const view = retirement.view;
  const ready = view.phase === 'ready' ? view : undefined;
  const row = ready?.preflight.detail.row;
  const word = row ? confirmationWord(row) : '';
  const layout = ready ? retireLayout(ready, width, height, keyRef.arn) : undefined;
  const maxScroll = layout ? layout.maxScroll : 0;

  const record = ready?.record;
  const status = ready?.status;
  const steps = status?.steps ?? [];
  const onStep = record ? stepToTake(steps, 'on', record.stage) : undefined;
  const backStep = record ? stepToTake(steps, 'back', record.stage) : undefined;
  /** The step's API calls from the catalogue (tags included; with the step that completes it), for its preview. */
  const calls = (id: StepId, r: RetirementRecord) => `API calls: ${stepCalls(id, r).join('; ') || 'none'}`;

  const startIfNeeded = async (current: { record?: RetirementRecord; preflight: NonNullable<typeof ready>['preflight'] }) =>
    current.record ?? (await source.start(keyRef, { watchDays: 14, name: row ? displayName(row) : keyRef.arn, preflight: current.preflight }));

  /**
   * Takes `step` through the port's one entry point, from a status read again now (a dialog takes
   * human time; someone else may have changed the key meanwhile): a step the fresh status does
   * not allow is not taken, and says why in words. The step that completes it (re-enable → remove
   * the alarm and filter) follows under the same confirmation.
   */
  const take = (step: StepId, input: RetirementStepInput, label: string, done: (record: RetirementRecord) => string) =>
    retirement.run(
      label,
      async (c) => {
        const current = await startIfNeeded(c);
        const fresh = await source.status(current, c.preflight.findings);
        const decision = fresh.steps.find((s) => s.id === step);
        if (!decision?.allowed) throw new KeywardenError('invalid-state', `not now: ${stepWords(step)} — ${decision?.why ?? `not a step of the ${fresh.record.stage} stage`}. Nothing was changed`);
        const taken = await source.take(fresh, step, input);
        const then = followingStep(step);
        if (!then) return taken;
        try {
          const after = await source.statusAfter(fresh, step, taken);
          if (!after.steps.some((s) => s.id === then && s.allowed)) return taken;
          return await source.take(after, then, {});
        } catch (error) {
          throw new KeywardenError('invalid-state', `${stepWords(step)}: done, but ${stepWords(then)} failed: ${describeError(error)} (b tries again)`, { cause: error });
        }
      },
      done,
    );

  /** Asks as the catalogue says for `step`, then runs it; a step that needs nothing confirmed runs at once. */
  const confirm = (step: StepId, title: string, lines: string[], run: () => void) => {
    const rule = RETIREMENT_STEPS[step].confirm;
    if (rule === 'none') return run();
    setAsk({ kind: 'confirm', rule, step, title, lines, input: '', scroll: 0, run });
  };

  /** After a dialog that asked for input (and whose Enter is a yes): a typed step still asks for the alias. */
  const confirmAfterInput = (step: StepId, title: string, lines: string[], run: () => void) => {
    if (RETIREMENT_STEPS[step].confirm === 'typed') return confirm(step, title, lines, run);
    setAsk({ kind: 'none' });
    run();
  };

  const armAlarmDone = (topic: string | undefined) => (r: RetirementRecord) =>
    `alarm armed${r.watch?.kind === 'alarm' ? ` (${r.watch.alarmName}${topic ? `, notifying ${topic}` : ''})` : ''}; the ${r.watchDays}-day watch starts now`;

  const next = () => {
    if (!ready) return;
    if (!record) {
      retirement.run('recording the preflight', (c) => startIfNeeded(c), () => 'retirement started: the evidence is recorded; nothing changed in AWS');
      return;
    }
    if (!onStep) {
      const waiting = steps.find((s) => !s.allowed && RETIREMENT_STEPS[s.id].way === 'on');
      retirement.say(waiting ? `not yet: ${stepWords(waiting.id)} — ${cleanText(waiting.why)}` : 'nothing to do now', 'warning');
      return;
    }
    switch (onStep.id) {
      case 'disable':
        return confirm(
          'disable',
          `Disable ${cleanText(word)}`,
          [
            'Every cryptographic use of the key fails with DisabledException from now on: anything still using it stops working.',
            'Nothing is deleted; the way back is to enable it again (b).',
            calls('disable', record),
          ],
          () => take('disable', { findings: ready.preflight.findings }, 'disabling the key', () => 'the key is disabled; next: the alarm (n)'),
        );
      case 'arm-watch': {
        const explain = [
          'A metric filter matches failed uses of THIS key (its ARN in "… is disabled." / "… is pending deletion."),',
          'self-tested with TestMetricFilter on synthetic failed uses, then a CloudWatch alarm: ≥ 1 in 5 minutes, missing data not breaching.',
          calls('arm-watch', record),
        ];
        // Name the log group before anything is created: the trail that can see this key's use (KMS.md §12).
        source.findTrail(record.region, record.keyArn).then(
          (check) =>
            setAsk({
              kind: 'alarm',
              lines: [
                check.trail
                  ? `Log group: ${cleanText(check.trail.logGroupName)} (${check.trail.logGroupRegion}), where the trail ${cleanText(check.trail.name)} delivers this region's KMS events.`
                  : `No trail can show a use of this key: ${cleanText(check.problems.join('; '))}. Esc, then l names a log group or w the weaker watch.`,
                ...explain,
              ],
              input: '',
              scroll: 0,
            }),
          (error: unknown) => retirement.say(`the trails cannot be read: ${cleanText(error instanceof Error ? error.message : String(error))}`, 'danger'),
        );
        return;
      }
      case 're-arm-watch': {
        const watch = record.watch;
        if (watch?.kind === 'alarm') {
          return confirm(
            're-arm-watch',
            'Put the alarm back and start the watch again',
            [
              `keywarden's metric filter and alarm on ${cleanText(watch.logGroupName)} (${watch.logGroupRegion}) are made again as keywarden makes them and self-tested.`,
              `The ${record.watchDays}-day watch starts again now; the key stays Disabled.`,
              calls('re-arm-watch', record),
            ],
            () => take('re-arm-watch', watch.snsTopicArn ? { snsTopicArn: watch.snsTopicArn } : {}, 'putting the alarm back', (r) => `alarm armed again; the ${r.watchDays}-day watch starts now`),
          );
        }
        return confirm(
          're-arm-watch',
          'Start the WEAKER watch again from now',
          [
            'CloudTrail keeps 90 days: the earlier weaker watch started before that, so keywarden cannot see its first days.',
            `The watch starts again now and runs ${record.watchDays} days. Nothing changes on the key.`,
            calls('re-arm-watch', record),
          ],
          () => take('re-arm-watch', { weakerWatch: WEAKER_AGAIN_REASON }, 'starting the watch again', (r) => `WEAKER watch started again; ${r.watchDays} days from now`),
        );
      }
      case 'schedule-deletion':
        return setAsk({ kind: 'deletion-days', input: '30', scroll: 0, selected: true });
      case 'remove-watch':
        return confirm('remove-watch', 'Remove the alarm and the metric filter', ['The retirement is closed afterwards.', calls('remove-watch', record)], () =>
          take('remove-watch', {}, 'removing the alarm and filter', (r) => `${removedWords(r)}: the retirement is closed`),
        );
      default:
        return;
    }
  };

  const back = () => {
    if (!record) return;
    if (!backStep) {
      retirement.say('no step back is possible now', 'warning');
      return;
    }
    switch (backStep.id) {
      case 'abandon':
        return confirm(
          'abandon',
          'Abandon this retirement',
          ['Nothing was changed in AWS yet: the record of this retirement is removed (the journal keeps that it was abandoned).', 'The key is left exactly as it is.'],
          () => take('abandon', {}, 'abandoning the retirement', () => 'abandoned: nothing was changed; the record is removed'),
        );
      case 'cancel-deletion':
        return confirm('cancel-deletion', 'Cancel the deletion', ['The key returns to Disabled — not Enabled. Press b again afterwards to enable it.', calls('cancel-deletion', record)], () =>
          take('cancel-deletion', {}, 'cancelling the deletion', () => 'deletion cancelled: the key is Disabled again (b enables it)'),
        );
      case 're-enable':
        return confirm(
          're-enable',
          'Enable the key again and end the retirement',
          ["The retirement is rolled back: the key is enabled, then keywarden's alarm and metric filter are removed and the retirement is closed.", calls('re-enable', record)],
          () =>
            take('re-enable', {}, 'enabling the key', (r) =>
              r.stage === 'closed' ? `the key is enabled again; ${removedWords(r)}: the retirement is rolled back and closed` : 'the key is enabled again: the retirement is rolled back',
            ),
        );
      case 'remove-watch':
        return confirm('remove-watch', 'Remove the alarm and the metric filter', ['The key is enabled again; the retirement is closed afterwards.', calls('remove-watch', record)], () =>
          take('remove-watch', {}, 'removing the alarm and filter', (r) => `${removedWords(r)}: the retirement is closed`),
        );
      case 'close':
        return confirm(
          'close',
          'Close this retirement without finishing it',
          [cleanText(backStep.why), `${calls('close', record)}. No EnableKey, DisableKey, ScheduleKeyDeletion or CancelKeyDeletion.`],
          () => take('close', {}, 'closing the retirement', () => 'the retirement is closed (abandoned); the key was left as it is'),
        );
      default:
        return;
    }
  };

  /** The date KMS will delete the key when scheduled now, in the account's time. */
  const deletionDate = (days: number) => new Date((status?.now ?? new Date()).getTime() + days * 86_400_000).toISOString().slice(0, 10);

  const submit = () => {
    const current = askRef.current;
    if (current.kind !== 'none' && current.kind !== 'deletion-days') {
      const shape = askLayout(current, { word, arn: keyRef.arn, width, height });
      if (current.scroll < shape.maxScroll) {
        setAsk({ ...current, scroll: shape.maxScroll, error: 'read the rest first (shown now): nothing was changed' });
        return;
      }
    }
    switch (current.kind) {
      case 'confirm':
        if (current.rule === 'typed' && (!row || !confirmationMatches(current.input, row))) {
          setAsk({ ...current, error: current.input.trim() ? `"${current.input.trim()}" is not "${word}": nothing was changed` : `type "${word}" to confirm` });
          return;
        }
        if (current.rule === 'plain' && current.input.trim() !== '' && !/^y(es)?$/i.test(current.input.trim())) {
          setAsk({ ...current, error: `"${current.input.trim()}" is not a yes: Enter confirms, Esc cancels` });
          return;
        }
        setAsk({ kind: 'none' });
        current.run();
        return;
      case 'deletion-days': {
        const days = parseDeletionWindow(current.input);
        if (!days.ok) {
          setAsk({ ...current, error: `${days.message}: nothing was changed` });
          return;
        }
        confirmAfterInput(
          'schedule-deletion',
          `Schedule deletion of ${cleanText(word)} in ${days.days} days`,
          [
            `After ${days.days} days KMS deletes the key material and everything encrypted under it can never be decrypted again.`,
            `Deletion on ${deletionDate(days.days)} (account time now plus ${days.days} days). Until then CancelKeyDeletion (b) brings it back, Disabled.`,
            'The alarm now also catches "pending deletion" failures.',
            calls('schedule-deletion', record!),
            `ScheduleKeyDeletion {"KeyId":"${keyRef.arn}","PendingWindowInDays":${days.days}}`,
          ],
          () =>
            take('schedule-deletion', { pendingWindowDays: days.days }, 'scheduling the deletion', (r) => `deletion scheduled for ${r.deletionDate?.slice(0, 10) ?? '(after the replicas are deleted)'}; b cancels it`),
        );
        return;
      }
      case 'alarm': {
        const topic = current.input.trim();
        if (topic && !/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topic)) {
          setAsk({ ...current, error: `"${topic}" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): nothing was created` });
          return;
        }
        confirmAfterInput('arm-watch', 'Create the alarm', current.lines, () => take('arm-watch', topic ? { snsTopicArn: topic } : {}, 'creating the alarm', armAlarmDone(topic || undefined)));
        return;
      }
      case 'log-group': {
        const name = current.input.trim();
        if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) {
          setAsk({ ...current, error: 'a log group name has letters, digits and . - _ / # only' });
          return;
        }
        confirmAfterInput('arm-watch', `Create the alarm on ${name}`, [calls('arm-watch', record!)], () =>
          take('arm-watch', { logGroupName: name }, `creating the alarm on ${name}`, (r) => `alarm armed on ${name}; the ${r.watchDays}-day watch starts now`),
        );
        return;
      }
      case 'none':
        return;
    }
  };

  const handler: RetireKeyHandler = (command, input, key) => {
    const current = askRef.current;
    if (current.kind !== 'none') {
      if (command === 'dialog.cancel') return setAsk({ kind: 'none' });
      if (command === 'dialog.confirm') return submit();
      if (command === 'dialog.down' || command === 'dialog.up' || command === 'dialog.pageDown' || command === 'dialog.pageUp') {
        const shape = askLayout(current, { word, arn: keyRef.arn, width, height });
        const by = command === 'dialog.down' ? 1 : command === 'dialog.up' ? -1 : command === 'dialog.pageDown' ? shape.bodyRows : -shape.bodyRows;
        return setAsk({ ...current, scroll: Math.max(0, Math.min(shape.maxScroll, current.scroll + by)) });
      }
      // The same editing keys as every text field: Backspace, Ctrl-W, Ctrl-U, a selected default replaced.
      const edit = textEditFor(command, input, key);
      if (edit) {
        const { error: _e, ...rest } = current;
        const field = applyEdit({ value: current.input, selected: current.kind === 'deletion-days' && current.selected === true }, edit, 512);
        setAsk({ ...rest, input: field.value, ...(current.kind === 'deletion-days' ? { selected: false } : {}) } as Ask);
      }
      return;
    }
    switch (command) {
      case 'retire.back':
        return onBack();
      case 'retire.down':
        return setScroll((s) => Math.min(maxScroll, s + 1));
      case 'retire.up':
        return setScroll((s) => Math.max(0, s - 1));
      case 'retire.refresh':
        return retirement.reload();
      default:
        break;
    }
    if (!ready) return;
    if (readOnly) {
      if (command?.startsWith('retire.')) retirement.say('read-only mode: the retirement can be read, not changed (start keywarden without --read-only to act)', 'warning');
      return;
    }
    switch (command) {
      case 'retire.start':
        if (!record) retirement.run('recording the preflight', (c) => startIfNeeded(c), () => 'retirement started: the evidence is recorded; nothing changed in AWS');
        return;
      case 'retire.acknowledge': {
        const open = unacknowledged(ready.preflight.findings, record?.acknowledged ?? []);
        const first = open[0];
        if (!first || (record && record.stage !== 'preflight')) return;
        return confirm('acknowledge', `Acknowledge "${cleanText(first.title)}"`, [cleanText(first.detail)], () =>
          take('acknowledge', { findingId: first.id }, `acknowledging "${cleanText(first.title)}"`, () => `acknowledged: ${cleanText(first.title)}`),
        );
      }
      case 'retire.next':
        return next();
      case 'retire.back-step':
        return back();
      case 'retire.logGroup':
        if (onStep?.id === 'arm-watch') setAsk({ kind: 'log-group', input: '', scroll: 0 });
        return;
      case 'retire.weaker':
        if (onStep?.id === 'arm-watch') {
          confirm(
            'arm-watch',
            'Continue with the WEAKER watch',
            [
              'No alarm: nothing notifies anyone when the key is used. keywarden reads CloudTrail for failed uses each time it looks at this retirement.',
              'This is recorded as weaker in the journal, the record and the key tags.',
              `API calls: ${watchCalls(record!, true).join('; ')}`,
            ],
            () => take('arm-watch', { weakerWatch: WEAKER_REASON }, 'recording the weaker watch', () => 'WEAKER watch recorded'),
          );
        }
        return;
      default:
        return;
    }
  };

  // The footer: the keys that do something now, in words.
  const askMore = ask.kind !== 'none' && ask.scroll < askLayout(ask, { word, arn: keyRef.arn, width, height }).maxScroll;
  const openFindings = ready !== undefined && (!record || record.stage === 'preflight') && unacknowledged(ready.preflight.findings, record?.acknowledged ?? []).length > 0;
  const hints = retireHints({
    ask,
    askMore,
    ready: ready !== undefined,
    readOnly,
    busy: ready?.busy !== undefined,
    hasRecord: record !== undefined,
    openFindings,
    onStep: onStep?.id,
    backStep: backStep?.id,
    scrollable: maxScroll > 0,
    word,
    global: hintsFor('global', { readOnly }),
  });
  const hintsKey = JSON.stringify(hints);
  useEffect(() => {
    onHints?.(hints);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hintsKey, onHints]);

  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  useEffect(() => {
    register(
      (command, input, key) => handlerRef.current(command, input, key),
      () => (askRef.current.kind === 'none' ? 'retire' : 'dialog'),
    );
  }, [register]);

  if (ask.kind !== 'none') {
    const shape = askLayout(ask, { word, arn: keyRef.arn, width, height });
    return (
      <Box flexDirection="column" height={height} borderStyle="round" borderColor={shape.typed ? 'red' : 'yellow'} paddingX={1}>
        <Text {...(shape.typed ? theme.danger : theme.warning)} bold wrap="truncate-end">
          {shape.title}
        </Text>
        {shape.arn.map((line, i) => (
          <Text key={`a${i}`} {...theme.muted}>
            {line}
          </Text>
        ))}
        {shape.body.map((line, i) => (
          <Text key={`${ask.scroll}-${i}`} wrap="truncate-end">
            {line || ' '}
          </Text>
        ))}
        {shape.more ? (
          <Text {...theme.accent} wrap="truncate-end">
            {shape.more}
          </Text>
        ) : null}
        <Text wrap="truncate-start">
          {shape.label} <Text {...theme.accent}>{cleanText(ask.input)}</Text>
          <Text inverse> </Text>
        </Text>
        {shape.error.map((line, i) => (
          <Text key={`e${i}`} {...theme.danger} wrap="truncate-end">
            {line}
          </Text>
        ))}
      </Box>
    );
  }
  return <RetireView view={view} title={keyRef.arn} height={height} width={width} scroll={Math.min(scroll, maxScroll)} />;
}

export interface RetireScreenDeps {
  retirements: RetirementSource | undefined;
  /** Changes can be offered (a change source, not read-only). */
  canChange: boolean;
  /** Moves on when the sandbox's time moved: the wizard reads its key again. */
  clockEpoch: number;
}

/**
 * The wizard as a screen of the registry: it draws RetireScreen, and the App's one input handler
 * reaches the handler the screen registers; the footer shows the wizard's own hints.
 */
export function useRetireScreen({ nav, navNow, height, width }: Shell, { retirements, canChange, clockEpoch }: RetireScreenDeps): ScreenController {
  const handler = useRef<RetireKeyHandler | undefined>(undefined);
  const focus = useRef<() => Scope>(() => 'retire');
  const register = useCallback((next: RetireKeyHandler, nextFocus: () => Scope) => {
    handler.current = next;
    focus.current = nextFocus;
  }, []);
  // The keys that do something at the wizard's stage and in its open dialog, in words.
  const [hints, setHints] = useState<Hint[] | undefined>();
  const screen = nav.screen.kind === 'retire' ? nav.screen : undefined;
  return {
    onKey: (command, input, key) => handler.current?.(command, input, key),
    focus: () => focus.current(),
    footer: { hints: retirements ? hints : undefined },
    body: () =>
      screen && retirements ? (
        <RetireScreen
          key={`${screen.key.arn}@${clockEpoch}`}
          source={retirements}
          keyRef={screen.key}
          readOnly={!canChange}
          height={height}
          width={width}
          register={register}
          onHints={setHints}
          onBack={() => navNow({ type: 'back' })}
        />
      ) : undefined,
  };
}
