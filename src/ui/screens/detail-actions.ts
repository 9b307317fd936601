// The changes offered on the key detail (the keymap's dangerous detail commands) and the grant
// selection they act on. Each works only when changes are possible and on its own tab; a change
// the key's state rules out is refused at once, the rest open the change dialog.

import { actionBlockedReason, noChangeReason, type ActionRequest } from '../../domain/actions.js';
import { DEFAULT_GUARD_DAYS, GUARD_SID, type Thresholds } from '../../domain/findings.js';
import type { Grant, KeyDetail } from '../../domain/key.js';
import { isReadProblem } from '../../domain/key.js';
import { ROTATION_PERIOD_DEFAULT } from '../../domain/rotation.js';
import type { StatusMessage } from '../components/footer.js';
import type { KeyDetailState } from '../hooks/use-key-detail.js';
import { appliesOnTab, commandById, type Command, type CommandId } from '../keymap.js';
import type { DetailScreen, NavigationEvent } from '../state/navigation.js';
import type { ChangeDialog } from './change-dialog.js';

export interface DetailActionContext {
  /** The detail screen as it is now. */
  screen: DetailScreen;
  detail: KeyDetailState;
  grants: readonly Grant[];
  canChange: boolean;
  readOnly: boolean;
  dialog: ChangeDialog;
  navNow: (event: NavigationEvent) => void;
  setStatus: (status: StatusMessage | undefined) => void;
  /** The guard's days and break-glass role (config thresholds). */
  thresholds?: Pick<Thresholds, 'guardDays' | 'breakGlassRole'>;
}

/** Whether the key policy as last read has keywarden's guard statement; undefined when the policy is not known. */
function hasGuard(detail: KeyDetailState): boolean | undefined {
  if (detail.status !== 'ready' || isReadProblem(detail.detail.policy)) return undefined;
  return detail.detail.policy.includes(`"${GUARD_SID}"`);
}

/** What the key-level actions ask of KMS, checked against the key as last read before any dialog opens. */
const CHECKED_REQUESTS: Partial<Record<CommandId, ActionRequest>> = {
  'detail.keyEnable': { action: 'key.enable' },
  'detail.keyDisable': { action: 'key.disable' },
  'detail.rotationEnable': { action: 'rotation.enable', periodDays: ROTATION_PERIOD_DEFAULT },
  'detail.rotationDisable': { action: 'rotation.disable' },
  'detail.rotateNow': { action: 'rotation.rotate-now' },
};

/** The key actions the key as last read rules out (an enabled key cannot be enabled, an asymmetric key cannot rotate…): not offered in the footer. */
export function unavailableActions(detail: KeyDetail | undefined): ReadonlySet<CommandId> {
  const known = detail?.row.metadata;
  if (!known) return new Set();
  const ruledOut = Object.entries(CHECKED_REQUESTS).filter(([, request]) => request && actionBlockedReason(request, known) !== undefined);
  const ids = ruledOut.map(([id]) => id as CommandId);
  // Nothing about an AWS managed key can be changed, so it cannot be retired either.
  if (known.keyManager === 'AWS') ids.push('detail.retire', 'detail.grantSelect', 'detail.grantSelectGrantee', 'detail.grantRetire', 'detail.grantRevoke', 'detail.guardAdd', 'detail.guardRemove');
  return new Set(ids);
}

/** Why the action cannot be taken here and now, or undefined when it can. */
function refusal(command: CommandId, spec: Command, { screen, detail, canChange, readOnly }: DetailActionContext): string | undefined {
  if (!canChange) return readOnly ? 'read-only mode: changes are switched off' : 'changes are not available here';
  if (!appliesOnTab(command, screen.tab)) return `"${spec.description}" works on the ${spec.tabs?.[0] ?? ''} tab`;
  // Say at once why an action cannot be made (an asymmetric key cannot rotate, a disabled key
  // is already disabled…) instead of opening a dialog; the preview checks again on a fresh read.
  const request = CHECKED_REQUESTS[command];
  const known = detail.status === 'ready' ? detail.detail.row.metadata : undefined;
  const reason = request && known ? actionBlockedReason(request, known) : undefined;
  if (reason) return `${spec.description.replace(/ \(.*\)$/, '')}: not possible — ${reason}`;
  // Disabling rotation that is already off would be a real call for nothing.
  const same = command === 'detail.rotationDisable' && detail.status === 'ready' ? noChangeReason({ action: 'rotation.disable' }, detail.detail.row) : undefined;
  if (same) return `${same}: nothing to change, nothing sent`;
  // The preview reads the policy again and says the same; this only saves opening a dialog for nothing.
  if (command === 'detail.guardRemove' && hasGuard(detail) === false) return `the key policy has no keywarden guard (no statement with Sid ${GUARD_SID}): nothing to remove, nothing sent`;
  return undefined;
}

/** Retire or revoke the selected grants, or else the one under the cursor. */
function actOnGrants(command: 'detail.grantRetire' | 'detail.grantRevoke', { screen, grants, dialog, setStatus }: DetailActionContext) {
  const cursorGrant = grants[screen.grantCursor];
  const ids = screen.selectedGrants.length > 0 ? screen.selectedGrants : cursorGrant ? [cursorGrant.grantId] : [];
  if (ids.length === 0) return setStatus({ text: 'no grant to act on', tone: 'warning' });
  const action = command === 'detail.grantRetire' ? 'grant.retire' : 'grant.revoke';
  dialog.prepare(
    ids.map((grantId) => ({ action, grantId })),
    screen.key,
    command === 'detail.grantRetire' ? 'Retire grant' : 'Revoke grant',
  );
}

function act(command: CommandId, context: DetailActionContext) {
  const { screen, detail, grants, dialog, navNow } = context;
  const key = screen.key;
  const cursorGrant = grants[screen.grantCursor];
  switch (command) {
    case 'detail.keyEnable':
      return dialog.prepare([{ action: 'key.enable' }], key, 'Enable key');
    case 'detail.keyDisable':
      return dialog.prepare([{ action: 'key.disable' }], key, 'Disable key');
    case 'detail.rotationEnable': {
      const rotation = detail.status === 'ready' ? detail.detail.row.rotation : undefined;
      const current = rotation?.kind === 'enabled' ? rotation.periodDays : undefined;
      return dialog.askPeriod(key, current ?? ROTATION_PERIOD_DEFAULT, current);
    }
    case 'detail.rotationDisable':
      return dialog.prepare([{ action: 'rotation.disable' }], key, 'Disable automatic rotation');
    case 'detail.rotateNow':
      return dialog.prepare([{ action: 'rotation.rotate-now' }], key, 'Rotate now');
    case 'detail.grantSelect':
      if (cursorGrant) navNow({ type: 'grant-toggle', grantId: cursorGrant.grantId });
      return;
    case 'detail.grantSelectGrantee':
      if (cursorGrant) navNow({ type: 'grant-select', grantIds: grants.filter((g) => g.granteePrincipal === cursorGrant.granteePrincipal).map((g) => g.grantId) });
      return;
    case 'detail.grantRetire':
    case 'detail.grantRevoke':
      return actOnGrants(command, context);
    case 'detail.guardAdd': {
      const exceptRole = context.thresholds?.breakGlassRole;
      return dialog.prepare([{ action: 'guard.add', days: context.thresholds?.guardDays ?? DEFAULT_GUARD_DAYS, ...(exceptRole ? { exceptRole } : {}) }], key, 'Add the guard');
    }
    case 'detail.guardRemove':
      return dialog.prepare([{ action: 'guard.remove' }], key, 'Remove the guard');
    default:
      return;
  }
}

/** Takes a detail action, or refuses it with a reason on the status line; false when the command is not an action. */
export function detailAction(command: CommandId, context: DetailActionContext): boolean {
  const spec = commandById(command);
  if (!spec.dangerous) return false;
  const refused = refusal(command, spec, context);
  if (refused) context.setStatus({ text: refused, tone: 'warning' });
  else act(command, context);
  return true;
}
