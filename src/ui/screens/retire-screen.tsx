// The retirement wizard screen: the view (retire-view.tsx) plus its own small dialog for what
// the steps need typed (the alias or key id, a deletion waiting period, a log group name).
// Keys reach it through the App's single input handler: the screen registers its handler and
// says whether its dialog is taking text.

import { Box, Text, type Key } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { confirmationMatches, confirmationWord } from '../../domain/actions.js';
import { displayName } from '../../domain/key.js';
import { parseDeletionWindow, unacknowledged, type RetirementRecord, type StepId } from '../../domain/retirement.js';
import { RETIREMENT_STEPS } from '../../domain/retirement-steps.js';
import { cleanText } from '../../domain/sanitize.js';
import type { RetirementSource } from '../../domain/source.js';
import { useRetirement } from '../hooks/use-retirement.js';
import type { Scope } from '../keymap.js';
import { useTheme } from '../theme.js';
import { RetireView, retireLines } from '../views/retire-view.js';

/** What the dialog asks for, and what happens with the answer. */
type Ask =
  | { kind: 'none' }
  | { kind: 'typed'; title: string; lines: string[]; input: string; error?: string; run: () => void }
  | { kind: 'plain'; title: string; lines: string[]; input: string; error?: string; run: () => void }
  | { kind: 'deletion-days'; input: string; error?: string }
  | { kind: 'log-group'; input: string; error?: string }
  /** Creating the alarm: names the log group it will watch; the input is an optional SNS topic ARN to notify. */
  | { kind: 'alarm'; lines: string[]; input: string; error?: string };

export type RetireKeyHandler = (command: string | undefined, input: string, key: Key) => void;

export interface RetireScreenProps {
  source: RetirementSource;
  keyRef: { arn: string; region: string };
  readOnly: boolean;
  height: number;
  /** The App routes keys here while this screen is shown. */
  register: (handler: RetireKeyHandler, focus: () => Scope) => void;
  onBack: () => void;
}

export function RetireScreen({ source, keyRef, readOnly, height, register, onBack }: RetireScreenProps) {
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
  const lineCount = ready ? retireLines(ready).length : 0;
  const maxScroll = Math.max(0, lineCount - (height - 2));

  const record = ready?.record;
  const steps = ready?.status?.steps ?? [];
  const allowed = (id: string) => steps.find((s) => s.id === id && s.allowed);
  /** The step's API calls from the catalogue (tags included), for its preview. */
  const calls = (id: StepId, r: RetirementRecord) => `API calls: ${RETIREMENT_STEPS[id].calls(r).join('; ') || 'none'}`;

  const startIfNeeded = async (current: { record?: RetirementRecord; preflight: NonNullable<typeof ready>['preflight'] }) =>
    current.record ?? (await source.start(keyRef, { watchDays: 14, name: row ? displayName(row) : keyRef.arn, preflight: current.preflight }));

  const next = () => {
    if (!ready) return;
    if (!record) {
      retirement.run('recording the preflight', (c) => startIfNeeded(c), () => 'retirement started: the evidence is recorded; nothing changed in AWS');
      return;
    }
    if (allowed('disable')) {
      setAsk({
        kind: 'typed',
        title: `Disable ${cleanText(word)}`,
        lines: [
          'Every cryptographic use of the key fails with DisabledException from now on: anything still using it stops working.',
          'Nothing is deleted; the way back is to enable it again (b).',
          calls('disable', record),
        ],
        input: '',
        run: () => retirement.run('disabling the key', (c) => source.disable(c.record!, c.preflight.findings), () => 'the key is disabled; next: the alarm (n)'),
      });
      return;
    }
    if (allowed('arm-watch')) {
      const explain = [
        'A metric filter matches failed uses of THIS key (its ARN in "… is disabled." / "… is pending deletion."),',
        'self-tested with TestMetricFilter on synthetic failed uses, then a CloudWatch alarm: ≥ 1 in 5 minutes, missing data not breaching.',
        calls('arm-watch', record),
      ];
      // Name the log group before anything is created: the trail that can see this key's use (KMS.md §12).
      source.findTrail(record.region).then(
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
          }),
        (error: unknown) => retirement.say(`the trails cannot be read: ${cleanText(error instanceof Error ? error.message : String(error))}`, 'danger'),
      );
      return;
    }
    if (allowed('re-arm-watch') && record.watch?.kind === 'alarm') {
      setAsk({
        kind: 'plain',
        title: 'Put the alarm back and start the watch again',
        lines: [
          `keywarden's metric filter and alarm on ${cleanText(record.watch.logGroupName)} (${record.watch.logGroupRegion}) are made again as keywarden makes them and self-tested.`,
          `The ${record.watchDays}-day watch starts again now; the key stays Disabled.`,
          calls('re-arm-watch', record),
        ],
        input: '',
        run: () => retirement.run('putting the alarm back', (c) => source.armAlarm(c.record!), (r) => `alarm armed again; the ${r.watchDays}-day watch starts now`),
      });
      return;
    }
    if (allowed('re-arm-watch')) {
      setAsk({
        kind: 'plain',
        title: 'Start the WEAKER watch again from now',
        lines: [
          "CloudTrail keeps 90 days: the earlier weaker watch started before that, so keywarden cannot see its first days.",
          `The watch starts again now and runs ${record.watchDays} days. Nothing changes on the key.`,
          calls('re-arm-watch', record),
        ],
        input: '',
        run: () =>
          retirement.run(
            'starting the watch again',
            (c) => source.armWeakerWatch(c.record!, 'started again by the operator: the earlier weaker watch aged out of CloudTrail; keywarden polls CloudTrail'),
            (r) => `WEAKER watch started again; ${r.watchDays} days from now`,
          ),
      });
      return;
    }
    if (allowed('schedule-deletion')) {
      setAsk({ kind: 'deletion-days', input: '30' });
      return;
    }
    if (allowed('remove-watch')) {
      setAsk({
        kind: 'plain',
        title: 'Remove the alarm and the metric filter',
        lines: ['The retirement is closed afterwards.', calls('remove-watch', record)],
        input: '',
        run: () => retirement.run('removing the alarm and filter', (c) => source.removeWatch(c.record!), () => 'alarm and filter removed: the retirement is closed'),
      });
      return;
    }
    const blocked = steps.find((s) => !s.allowed);
    retirement.run('checking', async (c) => c.record!, () => (blocked ? `not yet: ${blocked.why}` : 'nothing to do now'));
  };

  const back = () => {
    if (!record) return;
    if (allowed('abandon')) {
      setAsk({
        kind: 'plain',
        title: 'Abandon this retirement',
        lines: ['Nothing was changed in AWS yet: the record of this retirement is removed (the journal keeps that it was abandoned).', 'The key is left exactly as it is.'],
        input: '',
        run: () => retirement.run('abandoning the retirement', async (c) => source.abandonAtPreflight(c.record!), () => 'abandoned: nothing was changed; the record is removed'),
      });
      return;
    }
    if (allowed('cancel-deletion')) {
      setAsk({
        kind: 'plain',
        title: 'Cancel the deletion',
        lines: ['The key returns to Disabled — not Enabled. Press b again afterwards to enable it.', calls('cancel-deletion', record)],
        input: '',
        run: () => retirement.run('cancelling the deletion', (c) => source.cancelDeletion(c.record!), () => 'deletion cancelled: the key is Disabled again (b enables it)'),
      });
    } else if (allowed('re-enable')) {
      setAsk({
        kind: 'plain',
        title: 'Enable the key again',
        lines: ['The retirement is rolled back; the alarm stays until you remove it (n).', calls('re-enable', record)],
        input: '',
        run: () => retirement.run('enabling the key', (c) => source.reEnable(c.record!), () => 'the key is enabled again: the retirement is rolled back'),
      });
    } else {
      const close = allowed('close');
      if (!close) return;
      setAsk({
        kind: 'plain',
        title: 'Close this retirement without finishing it',
        lines: [
          cleanText(close.why),
          `${calls('close', record)}. No EnableKey, DisableKey, ScheduleKeyDeletion or CancelKeyDeletion.`,
        ],
        input: '',
        run: () => retirement.run('closing the retirement', (c) => source.close(c.record!), () => 'the retirement is closed (abandoned); the key was left as it is'),
      });
    }
  };

  /** The date KMS will delete the key when scheduled now, in the account's time. */
  const deletionDate = (days: number) => new Date((ready?.status?.now ?? new Date()).getTime() + days * 86_400_000).toISOString().slice(0, 10);

  const submit = () => {
    const current = askRef.current;
    switch (current.kind) {
      case 'typed':
        if (!row || !confirmationMatches(current.input, row)) {
          setAsk({ ...current, error: current.input.trim() ? `"${current.input.trim()}" is not "${word}": nothing was changed` : `type "${word}" to confirm` });
          return;
        }
        setAsk({ kind: 'none' });
        current.run();
        return;
      case 'plain':
        if (current.input.trim() !== '' && !/^y(es)?$/i.test(current.input.trim())) {
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
        setAsk({
          kind: 'typed',
          title: `Schedule deletion of ${cleanText(word)} in ${days.days} days`,
          lines: [
            `After ${days.days} days KMS deletes the key material and everything encrypted under it can never be decrypted again.`,
            `Deletion on ${deletionDate(days.days)} (account time now plus ${days.days} days). Until then CancelKeyDeletion (b) brings it back, Disabled.`,
            'The alarm now also catches "pending deletion" failures.',
            calls('schedule-deletion', record!),
            `ScheduleKeyDeletion {"KeyId":"${keyRef.arn}","PendingWindowInDays":${days.days}}`,
          ],
          input: '',
          run: () => retirement.run('scheduling the deletion', (c) => source.scheduleDeletion(c.record!, days.days), (r) => `deletion scheduled for ${r.deletionDate?.slice(0, 10) ?? '(after the replicas are deleted)'}; b cancels it`),
        });
        return;
      }
      case 'alarm': {
        const topic = current.input.trim();
        if (topic && !/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topic)) {
          setAsk({ ...current, error: `"${topic}" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): nothing was created` });
          return;
        }
        setAsk({ kind: 'none' });
        retirement.run(
          'creating the alarm',
          (c) => source.armAlarm(c.record!, topic ? { snsTopicArn: topic } : {}),
          (r) => `alarm armed${r.watch?.kind === 'alarm' ? ` (${r.watch.alarmName}${topic ? `, notifying ${topic}` : ''})` : ''}; the ${r.watchDays}-day watch starts now`,
        );
        return;
      }
      case 'log-group': {
        const name = current.input.trim();
        if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) {
          setAsk({ ...current, error: 'a log group name has letters, digits and . - _ / # only' });
          return;
        }
        setAsk({ kind: 'none' });
        retirement.run(`creating the alarm on ${name}`, (c) => source.armAlarm(c.record!, { logGroupName: name }), (r) => `alarm armed on ${name}; the ${r.watchDays}-day watch starts now`);
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
      if (command === 'dialog.erase') {
        const { error: _e, ...rest } = current as Ask & { input: string; error?: string };
        return setAsk({ ...rest, input: [...current.input].slice(0, -1).join('') } as Ask);
      }
      if (!command && !key.ctrl && !key.meta && input !== '') {
        const { error: _e, ...rest } = current as Ask & { input: string; error?: string };
        // eslint-disable-next-line no-control-regex
        setAsk({ ...rest, input: (current.input + input.replace(/[\u0000-\u001f\u007f]/g, '')).slice(0, 512) } as Ask);
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
        if (!first) return;
        retirement.run(`acknowledging "${first.title}"`, async (c) => source.acknowledge(await startIfNeeded(c), first.id), () => `acknowledged: ${first.title}`);
        return;
      }
      case 'retire.next':
        return next();
      case 'retire.back-step':
        return back();
      case 'retire.logGroup':
        if (allowed('arm-watch')) setAsk({ kind: 'log-group', input: '' });
        return;
      case 'retire.weaker':
        if (allowed('arm-watch')) {
          setAsk({
            kind: 'plain',
            title: 'Continue with the WEAKER watch',
            lines: [
              'No alarm: nothing notifies anyone when the key is used. keywarden reads CloudTrail for failed uses each time it looks at this retirement.',
              'This is recorded as weaker in the journal, the record and the key tags.',
            ],
            input: '',
            run: () => retirement.run('recording the weaker watch', (c) => source.armWeakerWatch(c.record!, 'chosen by the operator: no alarm; keywarden polls CloudTrail'), () => 'WEAKER watch recorded'),
          });
        }
        return;
      default:
        return;
    }
  };

  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  useEffect(() => {
    register(
      (command, input, key) => handlerRef.current(command, input, key),
      () => (askRef.current.kind === 'none' ? 'retire' : 'dialog'),
    );
  }, [register]);

  if (ask.kind !== 'none') {
    const typed = ask.kind === 'typed';
    const label =
      ask.kind === 'typed'
        ? `Type "${cleanText(word)}" (the alias or key id) and press Enter:`
        : ask.kind === 'deletion-days'
          ? `Waiting period before deletion, in days (7–30):`
          : ask.kind === 'log-group'
            ? `Log group that receives this region's CloudTrail events:`
            : ask.kind === 'alarm'
              ? 'SNS topic ARN to notify (optional), then Enter:'
              : 'Press Enter (or type y) to confirm:';
    const title = ask.kind === 'typed' || ask.kind === 'plain' ? ask.title : ask.kind === 'deletion-days' ? 'Schedule deletion' : ask.kind === 'alarm' ? 'Create the alarm' : 'Alarm on a log group you name';
    const lines = ask.kind === 'typed' || ask.kind === 'plain' || ask.kind === 'alarm' ? ask.lines : [];
    return (
      <Box flexDirection="column" height={height} borderStyle="round" borderColor={typed ? 'red' : 'yellow'} paddingX={1}>
        <Text {...(typed ? theme.danger : theme.warning)} bold>
          {title}
        </Text>
        <Text {...theme.muted}>{cleanText(keyRef.arn)}</Text>
        {lines.map((line, i) => (
          <Text key={i}>{line}</Text>
        ))}
        <Box marginTop={1}>
          <Text>
            {label} <Text {...theme.accent}>{cleanText(ask.input)}</Text>
            <Text inverse> </Text>
          </Text>
        </Box>
        <Text {...theme.danger}>{ask.error ?? ' '}</Text>
        <Text {...theme.muted}>Enter: confirm · Esc: cancel, nothing is changed</Text>
      </Box>
    );
  }
  return <RetireView view={view} title={keyRef.arn} height={height} scroll={Math.min(scroll, maxScroll)} />;
}

