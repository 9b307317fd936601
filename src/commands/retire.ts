// `keywarden retire start|advance|rollback|status KEY` and `keywarden retirements`: the guided
// retirement for scripts. Same machine, same checks, same journal as the TUI; every change needs
// --yes when not interactive (and the alias or key id typed when it is).

import { confirm } from './confirm.js';
import type { ListedRetirement } from '../app/retirement-source.js';
import type { Connection } from '../app/connect.js';
import { confirmationMatches, confirmationWord } from '../domain/actions.js';
import { KeywardenError } from '../domain/errors.js';
import { toDomainError } from '../aws/errors.js';
import { parseDeletionWindow, parseWatchDays, unacknowledged, type Preflight, type RetirementRecord, type StepId } from '../domain/retirement.js';
import { followingStep, RETIREMENT_STEPS, stepCalls, stepToTake, stepWords } from '../domain/retirement-steps.js';
import { cleanText } from '../domain/sanitize.js';
import type { RetirementStatus, Retirements } from '../aws/retirement.js';
import { printError, printJson, printLine } from './output.js';
import { unknownSubcommand } from './suggest.js';

export interface RetireFlags {
  json: boolean;
  yes: boolean;
  watchDays?: string | undefined;
  windowDays?: string | undefined;
  deletionDays?: string | undefined;
  acknowledge?: string | undefined;
  logGroup?: string | undefined;
  logGroupRegion?: string | undefined;
  snsTopic?: string | undefined;
  weakerWatch: boolean;
}

export type RetireParse =
  | { ok: true; verb: 'start' | 'advance' | 'rollback' | 'status'; key: string; watchDays: number; windowDays: number; deletionDays: number; acknowledge: string[] }
  | { ok: false; message: string };

/** Validates everything local before any request. */
export function parseRetire(words: string[], flags: RetireFlags): RetireParse {
  const [, verb, key, extra] = words;
  if (verb !== 'start' && verb !== 'advance' && verb !== 'rollback' && verb !== 'status') {
    return { ok: false, message: unknownSubcommand('retire', verb, ['start', 'advance', 'rollback', 'status']) };
  }
  if (!key) return { ok: false, message: `retire ${verb} needs a key: an alias name, key id or key ARN` };
  if (extra) return { ok: false, message: `unexpected argument "${extra}"` };
  const watch = parseWatchDays(flags.watchDays);
  if (!watch.ok) return { ok: false, message: watch.message };
  const window = parseWatchDays(flags.windowDays ?? '30');
  if (!window.ok) return { ok: false, message: window.message.replace('observation window', 'usage window') };
  const deletion = parseDeletionWindow(flags.deletionDays);
  if (!deletion.ok) return { ok: false, message: deletion.message };
  const acknowledge = (flags.acknowledge ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { ok: true, verb, key, watchDays: watch.days, windowDays: window.days, deletionDays: deletion.days, acknowledge };
}

function describeStatus(status: RetirementStatus): void {
  const { record } = status;
  printLine(`Retirement of ${cleanText(record.name)} (${record.keyArn})`);
  printLine(`  stage:          ${record.stage}`);
  printLine(`  key state now:  ${status.reality.keyState}`);
  if (record.abandoned) printLine(`  closed without finishing on ${record.abandoned.at.slice(0, 10)}: ${cleanText(record.abandoned.reason)}`);
  if (record.watch?.kind === 'alarm') {
    printLine(`  watch:          alarm ${record.watch.alarmName} in ${record.watch.logGroupRegion} (${status.reality.alarm?.state ?? 'unknown'}) on ${record.watch.logGroupName}`);
  } else if (record.watch) {
    printLine(`  watch:          WEAKER — CloudTrail polled by keywarden (${cleanText(record.watch.reason)})`);
  }
  if (record.watchStartedAt) {
    const days = Math.floor((status.now.getTime() - new Date(record.watchStartedAt).getTime()) / 86_400_000);
    printLine(`  watched:        ${days} days (${record.watchDays} required)`);
  }
  if (record.deletionDate) printLine(`  deletion date:  ${record.deletionDate}`);
  if (status.reality.attemptsSinceDisabled.length > 0) printLine(`  USE DETECTED:   ${cleanText(status.reality.attemptsSinceDisabled.join(', '))}`);
  for (const drift of status.drift) printLine(`  CHANGED:        ${drift}`);
  for (const finding of status.findings) printLine(`  finding:        [${finding.severity}] ${finding.id}: ${finding.title}${record.acknowledged.includes(finding.id) ? ' (acknowledged)' : ''}`);
  for (const step of status.steps) printLine(`  ${step.allowed ? 'next:' : 'not yet:'}${' '.repeat(step.allowed ? 10 : 7)}${stepInWords(step.id)} — ${cleanText(step.why)}`);
}

/** A step for people: its words and the command that takes it (ids stay in --json). */
function stepInWords(id: StepId): string {
  const spec = RETIREMENT_STEPS[id];
  const how = spec.way === 'on' ? 'retire advance' : spec.way === 'back' ? 'retire rollback' : id === 'acknowledge' ? 'retire start --acknowledge ID' : '';
  return how ? `${spec.words} (${how})` : spec.words;
}

function statusJson(status: RetirementStatus) {
  return { record: status.record, keyState: status.reality.keyState, alarm: status.reality.alarm ?? null, attemptsSinceDisabled: status.reality.attemptsSinceDisabled, drift: status.drift, findings: status.findings, nextSteps: status.steps, now: status.now.toISOString() };
}

/**
 * Confirms a step as the catalogue says (the same rule as in the wizard and as `key enable` /
 * `key disable`): typed steps need the alias or key id, plain ones a yes on a terminal; --yes
 * confirms in scripts. The API calls are shown first.
 */
async function confirmStep(id: StepId, record: RetirementRecord, aliases: string[], what: string, flags: RetireFlags): Promise<boolean> {
  const spec = RETIREMENT_STEPS[id];
  if (spec.confirm === 'none' || flags.yes) return false;
  if (!flags.json) printLine(`${what}\n  API calls: ${stepCalls(id, record).join('; ')}`);
  const row = { aliases, keyId: record.keyId };
  await confirm(
    spec.confirm === 'typed' ? what : spec.words,
    spec.confirm === 'typed' ? { kind: 'typed', word: confirmationWord(row), hint: 'the alias or key id', matches: (answer) => confirmationMatches(answer, row) } : { kind: 'plain' },
    { yes: flags.yes },
  );
  return true;
}

/** The preflight evidence, printed before anything is asked or recorded. */
function describePreflight(preflight: Preflight, name: string, acknowledged: readonly string[]): void {
  const row = preflight.detail.row;
  printLine(`Preflight of ${cleanText(name)} (${row.metadata?.arn ?? row.keyId})`);
  const usage = row.lastUsage;
  printLine(`  last use:       ${usage.kind === 'used' ? `${usage.operation} on ${usage.timestamp}` : usage.kind === 'never' ? `never (tracked since ${usage.trackingStartDate.slice(0, 10)})` : usage.kind === 'not-since-tracking' ? `none since ${usage.trackingStartDate.slice(0, 10)}; earlier use unknown` : usage.kind === 'pending' ? 'not read yet' : `unknown (${cleanText(usage.message)})`}`);
  if ('error' in preflight.usage) printLine(`  CloudTrail:     cannot be read — ${cleanText(preflight.usage.error)}`);
  else printLine(`  CloudTrail:     ${preflight.usage.total} events in ${preflight.windowDays} days, ${preflight.usage.failed} failed`);
  const grants = preflight.detail.grants;
  printLine(`  grants:         ${Array.isArray(grants) ? grants.length : 'cannot be read'}`);
  if (preflight.findings.length === 0) printLine('  findings:       none');
  for (const finding of preflight.findings) {
    printLine(`  finding:        [${finding.severity}] ${finding.id}: ${cleanText(finding.title)}${acknowledged.includes(finding.id) ? ' (acknowledged)' : ''}`);
    printLine(`                  ${cleanText(finding.detail)}`);
  }
}

async function driver(connection: Connection): Promise<Retirements> {
  const [{ Retirements }, { AwsKeySource }, { Journal }, { RetirementStore }] = await Promise.all([
    import('../aws/retirement.js'),
    import('../aws/inventory.js'),
    import('../journal/journal.js'),
    import('../journal/retirements.js'),
  ]);
  const identity = await new AwsKeySource(connection.clients).identity();
  return new Retirements({ clients: connection.clients, journal: new Journal(undefined, { now: connection.now }), store: new RetirementStore(), identity, now: connection.now });
}

export async function runRetire(connection: Connection, parsed: Extract<RetireParse, { ok: true }>, flags: RetireFlags): Promise<number> {
  // Several accounts (--org, --profiles): the retirement is read in the key's own account, and its
  // steps taken there through --operator-role (the session the retirement wizard uses), which the
  // journal and the record name; without --operator-role a step is refused before anything is sent.
  const { accountForKey, changingConnection, readingConnection } = await import('../app/key-account.js');
  const account = accountForKey(connection, parsed.key);
  if (account) connection = parsed.verb === 'status' ? readingConnection(connection, account) : changingConnection(connection, account);
  if (parsed.verb !== 'status' && connection.session.readOnly) {
    throw new KeywardenError('read-only', 'read-only mode: a retirement changes the key; nothing was sent');
  }
  const { resolveKey } = await import('../aws/inventory.js');
  const retirements = await driver(connection);
  const key = await resolveKey(connection.clients, parsed.key).catch(async (error: unknown) => {
    // KMS deleted the key at the end of its waiting period: its retirement is still on disk and
    // must be able to finish (remove the watch).
    if (!(error instanceof KeywardenError) || error.kind !== 'not-found' || parsed.verb === 'start') throw error;
    const recorded = await retirements.recorded(parsed.key);
    if (!recorded) throw error;
    return { arn: recorded.keyArn, region: recorded.region };
  });
  const output = (status: RetirementStatus, done?: string) => {
    if (flags.json) printJson({ ...(done ? { done } : {}), ...statusJson(status) });
    else {
      if (done) printLine(done);
      describeStatus(status);
    }
  };

  if (parsed.verb === 'status') {
    const record = await retirements.find(key);
    if (!record) {
      if (flags.json) printJson({ record: null });
      else printLine(`no retirement of ${parsed.key} is in progress (start one with: keywarden retire start ${parsed.key})`);
      return 0;
    }
    output(await retirements.status(record));
    return 0;
  }

  if (parsed.verb === 'start') {
    const preflight = await retirements.preflight(key, parsed.windowDays);
    const aliases = preflight.detail.row.aliases;
    const name = aliases[0]?.replace(/^alias\//, '') ?? preflight.detail.row.keyId;
    const existing = await retirements.find(key);
    const resuming = existing && existing.stage !== 'closed' && existing.stage !== 'rolled-back' ? existing : undefined;
    // Everything is checked before anything is written: a refused or aborted start writes nothing
    // (an unknown acknowledgement, a key that cannot be retired, open findings, Ctrl-C at the prompt).
    const unknown = parsed.acknowledge.filter((id) => !preflight.findings.some((f) => f.id === id));
    if (unknown.length > 0) {
      throw new KeywardenError('confirmation', `"${unknown.join('", "')}" ${unknown.length === 1 ? 'is not a finding' : 'are not findings'} of this key (findings: ${preflight.findings.map((f) => f.id).join(', ') || 'none'}). Nothing was recorded or changed.`);
    }
    const acknowledged = [...new Set([...(resuming?.acknowledged ?? []), ...parsed.acknowledge])];
    if (!flags.json) describePreflight(preflight, name, acknowledged);
    if (resuming && resuming.stage !== 'preflight') {
      output(await retirements.status(resuming, preflight.findings), `a retirement of ${name} is already in progress (stage ${resuming.stage}): keywarden retire advance goes on`);
      return 0;
    }
    const stop = preflight.findings.find((f) => f.severity === 'stop');
    if (stop) throw new KeywardenError('invalid-state', `${name} cannot be retired: ${stop.title}. ${stop.detail} Nothing was recorded or changed.`);
    const open = unacknowledged(preflight.findings, acknowledged);
    if (open.length > 0) {
      if (flags.json) printJson({ record: null, findings: preflight.findings, unacknowledged: open.map((f) => f.id) });
      else printLine(`the key was NOT disabled and nothing was recorded: read the findings above, then acknowledge them: keywarden retire start ${parsed.key} --acknowledge ${open.map((f) => f.id).join(',')}`);
      return 1;
    }
    const probe = resuming ?? { keyArn: key.arn, keyId: preflight.detail.row.keyId, name, stage: 'preflight' } as RetirementRecord;
    await confirmStep('disable', probe, aliases, `Disable ${name}: every use of it fails until it is enabled again`, flags);
    let record = await retirements.start(key, { watchDays: parsed.watchDays, name, preflight });
    for (const id of parsed.acknowledge) record = await retirements.acknowledge(record, id);
    try {
      record = await retirements.disable(record, preflight.findings);
    } catch (error) {
      // AWS refused the DisableKey (the account's guard, access denied, the key's state): nothing
      // changed, so the start leaves no record behind (invariant 6); the journal keeps the refusal.
      // An unknown outcome (network, throttling that outlasted the retries) keeps the record, so
      // `retire status` can find out what happened.
      const refused = ['access-denied', 'invalid-state', 'disabled', 'unsupported', 'validation', 'limit-exceeded'].includes(toDomainError(error).kind);
      if (!resuming && refused) {
        await retirements.abandonAtPreflight(record).catch(() => undefined);
        const domain = toDomainError(error);
        throw new KeywardenError(domain.kind, `${domain.message.replace(/ Nothing else was changed; the retirement stays where it was\./, ' Nothing was changed and no retirement was recorded.')}`, { cause: error });
      }
      throw error;
    }
    const status = await retirements.status(record, preflight.findings);
    output(status, 'the key is disabled (DisableKey); next: the alarm (keywarden retire advance)');
    return 0;
  }

  const record = await retirements.find(key);
  if (!record) throw new KeywardenError('not-found', `no retirement of ${parsed.key} is in progress (start one with: keywarden retire start ${parsed.key})`);
  let status = await retirements.status(record);
  const aliases = [`alias/${record.name}`];
  // The catalogue's ways (src/domain/retirement-steps.ts), as the wizard's n and b: the first
  // allowed step of that way is taken through the driver's single entry point, confirmed by the
  // catalogue's rule.
  const step = stepToTake(status.steps, parsed.verb === 'advance' ? 'on' : 'back', status.record.stage)?.id;
  if (!step) {
    output(status, parsed.verb === 'advance' ? 'nothing to do now' : 'no step back is possible now');
    return 1;
  }
  const r = status.record;
  const why = status.steps.find((st) => st.id === step)?.why ?? '';
  // A detected use is said before the watch starts again, also with --yes: an operator who asked
  // to go on (say, to schedule the deletion) learns why the deletion is not being scheduled.
  const useNote = r.stage === 'use-detected' && r.useDetected ? `USE DETECTED since the key was disabled: ${cleanText(r.useDetected.summary)}. Deletion is not possible now. ` : '';
  if (useNote && flags.yes && !flags.json) printError(useNote.trim());
  const what: Record<StepId, string> = {
    acknowledge: '',
    disable: `Disable ${r.name}: every use of it fails until it is enabled again`,
    'arm-watch': `Create keywarden's alarm on any use of ${r.name} and start the ${r.watchDays}-day watch`,
    're-arm-watch': `${useNote}Start the ${r.watchDays}-day watch of ${r.name} again from now (the key stays Disabled)`,
    'schedule-deletion': `Schedule deletion of ${r.name} in ${parsed.deletionDays} days: after that the key and everything encrypted under it are gone`,
    'cancel-deletion': `Cancel the deletion of ${r.name} (the key returns to Disabled)`,
    're-enable': `Enable ${r.name} again and roll the retirement back; then keywarden's alarm and metric filter are removed and the retirement is closed`,
    'remove-watch': `Remove keywarden's alarm and metric filter of ${r.name} and finish the retirement`,
    close: cleanText(why),
    abandon: '',
  };
  const asked = await confirmStep(step, r, aliases, what[step], flags);
  // A prompt takes human time: read AWS again after it, so the step decides on what is true now.
  if (asked) status = await retirements.status(r);
  const weaker = flags.weakerWatch || (step === 're-arm-watch' && r.watch?.kind === 'cloudtrail-poll');
  const snsTopicArn = flags.snsTopic ?? (r.watch?.kind === 'alarm' ? r.watch.snsTopicArn : undefined);
  const next = await retirements.take(status, step, {
    pendingWindowDays: parsed.deletionDays,
    ...(flags.logGroup ? { logGroupName: flags.logGroup } : {}),
    ...(flags.logGroupRegion ? { logGroupRegion: flags.logGroupRegion } : {}),
    ...(snsTopicArn ? { snsTopicArn } : {}),
    ...(weaker
      ? { weakerWatch: step === 're-arm-watch' ? 'started again by the operator; keywarden polls CloudTrail when it runs' : 'chosen by the operator (--weaker-watch): no alarm; keywarden polls CloudTrail when it runs' }
      : {}),
  });
  if (step === 'abandon') {
    if (flags.json) printJson({ done: 'abandoned', record: null });
    else printLine(`the retirement of ${cleanText(r.name)} is abandoned at preflight: nothing had been changed in AWS, and its record is removed`);
    return 0;
  }
  // What the step's own calls answered: no second full read (src/domain/retirement-observation.ts).
  let after = await retirements.statusAfter(status, step, next);
  // The step that completes this one, under the same confirmation (re-enable → remove the alarm
  // and filter: a rollback leaves nothing of keywarden behind, invariant 3).
  const then = followingStep(step);
  let following = '';
  if (then && after.steps.some((st) => st.id === then && st.allowed)) {
    try {
      const final = await retirements.take(after, then, {});
      after = await retirements.statusAfter(after, then, final);
      following = `; ${cleanText(final.steps.filter((st) => st.ok).at(-1)?.step ?? '')} (confirmed by a read): the retirement is closed`;
    } catch (error) {
      const domain = toDomainError(error);
      throw new KeywardenError(domain.kind, `${cleanText(r.name)} is enabled again, but ${stepWords(then)} failed: ${domain.message}. Run keywarden retire rollback ${parsed.key} again to remove them`, { cause: error });
    }
  }
  const removed = cleanText(next.steps.filter((st) => st.ok).at(-1)?.step ?? '');
  const done: Record<StepId, string> = {
    acknowledge: '',
    disable: 'the key is disabled (DisableKey); next: the alarm (keywarden retire advance)',
    'arm-watch': next.watch?.kind === 'alarm' ? `alarm ${next.watch.alarmName} armed; the ${next.watchDays}-day watch starts now` : 'WEAKER watch recorded (CloudTrail polling, no alarm)',
    're-arm-watch':
      useNote +
      (next.watch?.kind === 'alarm'
        ? `alarm ${next.watch.alarmName} put back and self-tested; the ${next.watchDays}-day watch starts again now (the key stays Disabled; keywarden retire rollback enables it instead)`
        : `WEAKER watch started again from now: deletion is possible after ${next.watchDays} days without use; nothing changed on the key`),
    'schedule-deletion': `deletion scheduled for ${next.deletionDate ?? '(after the replicas are deleted)'}; keywarden retire rollback cancels it`,
    'cancel-deletion': 'deletion cancelled: the key is back to Disabled (not Enabled); run rollback again to enable it',
    're-enable': `the key is enabled again; the retirement is rolled back${following || ' (keywarden retire rollback removes the alarm and filter)'}`,
    'remove-watch': `${removed}; the retirement is closed`,
    close: `the retirement is closed without finishing (abandoned: ${cleanText(next.abandoned?.reason ?? 'closed')}). ${cleanText(next.steps.filter((st) => st.ok).at(-1)?.detail ?? '')}. keywarden removed its retirement tags; it did not enable, disable or delete the key, which is ${after.reality.keyState}. To retire the key later, start again: keywarden retire start ${parsed.key}`,
    abandon: '',
  };
  output(after, done[step]);
  return 0;
}

export async function runRetirementsList(connection: Connection, options: { json: boolean }): Promise<number> {
  // Several accounts (--org, --profiles): each record read in its own account, naming it.
  let all: ListedRetirement[];
  if (connection.accounts) {
    const { MultiAccountRetirementSource } = await import('../app/retirement-source.js');
    const { Journal } = await import('../journal/journal.js');
    all = await new MultiAccountRetirementSource(connection.accounts, connection.now, new Journal(undefined, { now: connection.now })).list();
  } else {
    all = await (await driver(connection)).list();
  }
  const several = connection.accounts !== undefined;
  const accountOf = (item: ListedRetirement) => ('record' in item ? { accountId: item.accountId ?? item.record.account, ...(item.accountName ? { accountName: item.accountName } : {}) } : item.accountId ? { accountId: item.accountId, ...(item.accountName ? { accountName: item.accountName } : {}) } : {});
  if (options.json) {
    printJson({ retirements: all.map((item) => ('problem' in item ? item : { ...accountOf(item), ...statusJson(item) })) });
    return 0;
  }
  if (all.length === 0) printLine('no retirements recorded');
  for (const item of all) {
    if ('problem' in item) {
      printError(`cannot read ${item.file}: ${cleanText(item.problem)}`);
      continue;
    }
    const next = item.steps.find((s) => s.allowed);
    const watch = item.record.watch?.kind === 'alarm' ? `alarm ${item.reality.alarm?.state ?? '?'}` : item.record.watch ? 'WEAKER watch' : 'no watch';
    const account = several ? `${cleanText(item.accountName ?? item.accountId ?? item.record.account).padEnd(16)} ` : '';
    printLine(`${account}${cleanText(item.record.name).padEnd(28)} ${item.record.stage.padEnd(19)} key ${String(item.reality.keyState).padEnd(16)} ${watch.padEnd(18)} next: ${next ? `${stepInWords(next.id)} — ${cleanText(next.why)}` : item.steps[0]?.why ?? '—'}`);
  }
  return 0;
}
