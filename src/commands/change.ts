// Scripted changes: `keywarden rotation|grants|key …`. Same rules as the TUI: the key is
// re-read and the exact call shown first, dangerous changes need the alias or key id typed
// (or --yes when not interactive), read-only mode refuses before any request.

import type { Connection } from '../app/connect.js';
import type { ActionRequest } from '../domain/actions.js';
import { periodFromInput } from '../domain/actions.js';
import { KeywardenError } from '../domain/errors.js';
import { rotationPeriodWords } from '../domain/key.js';
import { cleanText } from '../domain/sanitize.js';
import type { ChangePreview } from '../aws/mutations.js';
import { printError, printJson, printLine } from './output.js';
import { unknownSubcommand } from './suggest.js';

export type ChangeParse = { ok: true; request: ActionRequest; key: string } | { ok: false; message: string };

/** Turns `rotation enable KEY --period N` (etc.) into a request, validating everything local first. */
export function parseChange(words: string[], flags: { period?: string | undefined }): ChangeParse {
  const [group, verb, ...rest] = words;
  const usage = (text: string): ChangeParse => ({ ok: false, message: text });
  const needArgs = (count: number, names: string) =>
    rest.length === count ? undefined : usage(`${group} ${verb} needs ${names}${rest.length > count ? ` (unexpected "${rest[count]}")` : ''}`);
  if (flags.period !== undefined && !(group === 'rotation' && verb === 'enable')) return usage('--period only goes with "rotation enable"');
  switch (group) {
    case 'rotation': {
      if (verb === 'enable') {
        const bad = needArgs(1, 'a key');
        if (bad) return bad;
        const period = periodFromInput(flags.period);
        if (!period.ok) return usage(period.message);
        return { ok: true, key: rest[0]!, request: { action: 'rotation.enable', periodDays: period.days } };
      }
      if (verb === 'disable' || verb === 'rotate-now') {
        const bad = needArgs(1, 'a key');
        if (bad) return bad;
        return { ok: true, key: rest[0]!, request: { action: verb === 'disable' ? 'rotation.disable' : 'rotation.rotate-now' } };
      }
      return usage(unknownSubcommand('rotation', verb, ['enable', 'disable', 'rotate-now']));
    }
    case 'grants': {
      if (verb === 'retire' || verb === 'revoke') {
        const bad = needArgs(2, 'a key and a grant id');
        if (bad) return bad;
        const grantId = rest[1]!;
        if (!/^[A-Za-z0-9]{1,128}$/.test(grantId)) return usage(`"${grantId}" is not a grant id (letters and digits, up to 128)`);
        return { ok: true, key: rest[0]!, request: { action: verb === 'retire' ? 'grant.retire' : 'grant.revoke', grantId } };
      }
      return usage(unknownSubcommand('grants', verb, ['retire', 'revoke']));
    }
    case 'key': {
      if (verb === 'enable' || verb === 'disable') {
        const bad = needArgs(1, 'a key');
        if (bad) return bad;
        return { ok: true, key: rest[0]!, request: { action: verb === 'enable' ? 'key.enable' : 'key.disable' } };
      }
      return usage(unknownSubcommand('key', verb, ['enable', 'disable']));
    }
    default:
      return usage(`unknown command "${group ?? ''}"`);
  }
}

function printPreview(preview: ChangePreview): void {
  const name = cleanText(preview.row.aliases[0] ?? preview.row.keyId);
  printLine(`${preview.title}: ${name} (${preview.row.arn})`);
  printLine(`  state now: ${preview.row.metadata?.state ?? 'unknown'}`);
  if (preview.grant) {
    printLine(`  grant ${preview.grant.grantId}: grantee ${cleanText(preview.grant.granteePrincipal ?? '—')}, operations ${preview.grant.operations.join(', ')}`);
  }
  printLine(`  ${preview.explain}`);
  printLine(`  change: ${cleanText(preview.change)}`);
  if (preview.policy) {
    if (preview.request.action === 'guard.add') {
      printLine('  Calls of the last 90 days it would have refused:');
      for (const line of preview.policy.replay) printLine(`    ${line}`);
    }
    printLine('  The policy, before → after:');
    for (const line of preview.policy.diff) printLine(`  ${line}`);
    // The whole new policy is in the diff above: the call names it instead of repeating it.
    printLine(`  API call: ${preview.call.operation} ${JSON.stringify({ ...preview.call.params, Policy: '(the policy after, as above)' })}`);
    return;
  }
  printLine(`  API call: ${preview.call.operation} ${JSON.stringify(preview.call.params)}`);
}

export async function runChange(connection: Connection, parsed: { request: ActionRequest; key: string }, options: { json: boolean; yes: boolean }): Promise<number> {
  // Several accounts (--org, --profiles): the change goes to the key's own account, through
  // --operator-role assumed there (as the interactive view's changes do), and is journalled with
  // that session as the caller; without --operator-role it is refused before anything is sent.
  const { accountForKey, changingConnection } = await import('../app/key-account.js');
  const account = accountForKey(connection, parsed.key);
  if (account) connection = changingConnection(connection, account);
  if (connection.session.readOnly) {
    throw new KeywardenError('read-only', 'read-only mode: no change was made and no request was sent (run without --read-only to make changes)');
  }
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !options.json;
  if (!options.yes && !interactive) {
    printError('this change needs confirmation: run it in a terminal, or pass --yes. Nothing was changed.');
    return 2;
  }
  const [{ KeyChanger }, { AwsKeySource, resolveKey }, { Journal }] = await Promise.all([
    import('../aws/mutations.js'),
    import('../aws/inventory.js'),
    import('../journal/journal.js'),
  ]);
  const identity = await new AwsKeySource(connection.clients).identity();
  const key = await resolveKey(connection.clients, parsed.key);
  const changer = new KeyChanger({ clients: connection.clients, journal: new Journal(undefined, { now: connection.now }), identity });
  const preview = await changer.preview(parsed.request, key);
  if (!options.json) printPreview(preview);
  if (preview.blocked) {
    const message = `${preview.title} is not possible: ${preview.blocked}. Nothing was changed.`;
    if (options.json) printJson({ ok: false, action: parsed.request.action, key: key.arn, call: preview.call, error: { kind: 'invalid-state', message } });
    else printError(message);
    return 1;
  }
  // The key already is as asked (rotation already off, the same period): nothing to confirm or send.
  const { confirmationMatches, noChangeReason } = await import('../domain/actions.js');
  const same = noChangeReason(parsed.request, preview.row);
  if (same) {
    if (options.json) printJson({ ok: true, action: parsed.request.action, key: key.arn, call: null, unchanged: same });
    else printLine(`nothing to change: ${same}; nothing was sent`);
    return 0;
  }
  const { confirm } = await import('./confirm.js');
  await confirm(
    preview.title,
    preview.confirm === 'typed' ? { kind: 'typed', word: preview.word, hint: 'the alias or key id', matches: (answer) => confirmationMatches(answer, preview.row) } : { kind: 'plain' },
    { yes: options.yes },
  );
  const result = await changer.apply(preview);
  if (parsed.request.action === 'grant.revoke' || parsed.request.action === 'grant.retire' || result.preview.policy) {
    // The grants or the policy kept on disk for the findings are out of date now: the next run reads them again.
    const [{ forgetAccess }, { cacheEndpointKey }] = await Promise.all([import('../app/access-cache.js'), import('../app/inventory-cache.js')]);
    await forgetAccess(cacheEndpointKey(connection.session), identity.account, key);
  }
  if (options.json) {
    const policy = result.preview.policy ? { policy: JSON.parse(result.preview.policy.after) as unknown, diff: result.preview.policy.diff, replay: result.preview.policy.replay, readBack: result.readBack ?? false } : {};
    printJson({ ok: result.readBack !== false, action: parsed.request.action, key: key.arn, call: result.preview.call, requestId: result.requestId ?? null, after: result.after, ...policy });
  } else if (result.readBack !== undefined) {
    printLine(`done${result.requestId ? ` (request id ${result.requestId})` : ''}; ${result.readBack ? 'the policy read back is the new one' : 'WARNING: the policy read back differs from the one sent — check it with keywarden show KEY'}`);
  } else {
    printLine(`done${result.requestId ? ` (request id ${result.requestId})` : ''}; state now: ${result.after.metadata?.state ?? 'unknown'}`);
    const rotation = result.after.rotation;
    if (rotation.kind === 'enabled') printLine(`rotation: on, ${rotationPeriodWords(rotation.periodDays)}${rotation.nextRotationDate ? `, next ${rotation.nextRotationDate.slice(0, 10)}` : ''}`);
    if (rotation.kind === 'disabled') printLine('rotation: off');
  }
  return result.readBack === false ? 1 : 0;
}
