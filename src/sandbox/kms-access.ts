// Authorization of KMS requests in the sandbox: the request context KMS supplies for each call
// (the condition keys of the KMS developer guide, "Condition keys for AWS KMS",
// docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html, and the global keys
// aws:PrincipalArn, aws:PrincipalAccount, aws:SourceArn, aws:SourceAccount), evaluated by
// policy-eval.ts against the key policy, the caller's identity policy (principals.ts) and the
// key's grants. A refusal is AWS's AccessDeniedException.

import { AwsError, type CallerIdentity, type RequestContext } from './protocol.js';
import { authorize, deniedMessage, mayRetire, principalArnOf, readPolicy, type EvalGrant, type EvalPrincipal, type RequestValues } from './policy-eval.js';
import { identityPolicyOf } from './principals.js';
import type { GrantRecord, KeyRecord } from './state.js';
import type { PolicyStatement } from '../domain/policy.js';

const DAY_MS = 86_400_000;

export function evalPrincipalOf(caller: CallerIdentity): EvalPrincipal {
  if (caller.service) return { arn: caller.arn, kind: 'service', account: caller.sourceAccount ?? caller.account };
  if (/:assumed-role\//.test(caller.arn)) return { arn: caller.arn, kind: 'session', account: caller.account };
  if (/:root$/.test(caller.arn)) return { arn: caller.arn, kind: 'root', account: caller.account };
  if (/:role\//.test(caller.arn)) return { arn: caller.arn, kind: 'role', account: caller.account };
  return { arn: caller.arn, kind: 'user', account: caller.account };
}

function stringMapOf(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The encryption context a request carries: its EncryptionContext, or a CreateGrant's constraint. */
export function requestEncryptionContext(operation: string, params: Record<string, unknown>): Record<string, string> | undefined {
  if (operation === 'CreateGrant') {
    const raw = params.Constraints;
    const constraints = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
    return stringMapOf(constraints?.EncryptionContextSubset) ?? stringMapOf(constraints?.EncryptionContextEquals);
  }
  return stringMapOf(params.EncryptionContext);
}

/**
 * `kms:TrailingDaysWithoutKeyUsage` (KMS.md §11): whole days since the key's last successful use
 * as GetKeyLastUsage tracks it. CHOICE: a key not used since tracking began counts from the later
 * of the tracking start and its creation.
 */
export function trailingDaysWithoutKeyUsage(key: KeyRecord, nowMs: number, trackingStartMs: number, lastUsage: KeyRecord['lastUsage'] = key.lastUsage): number {
  const used = lastUsage && lastUsage.timestamp >= trackingStartMs ? lastUsage.timestamp : Math.max(trackingStartMs, key.creationDate);
  return Math.max(0, Math.floor((nowMs - used) / DAY_MS));
}

export interface KeyFacts {
  key: KeyRecord;
  arn: string;
  /** The key policy text (the default policy when the key has none stored). */
  policy: string;
  trackingStartMs: number;
  /** The last use as GetKeyLastUsage reports it at a time (it lags the use by an hour). */
  reportedUsage?: (nowMs: number) => KeyRecord['lastUsage'];
}

/** The request context of one KMS request (condition keys lowercase). */
export function requestValues(ctx: RequestContext, params: Record<string, unknown>, facts?: KeyFacts): RequestValues {
  const caller = ctx.caller;
  const principal = evalPrincipalOf(caller);
  const values: Record<string, string | string[]> = { 'kms:calleraccount': principal.account };
  const principalArn = principalArnOf(principal);
  if (principalArn) {
    values['aws:principalarn'] = principalArn;
    values['aws:principalaccount'] = principal.account;
  }
  if (caller.viaService) values['kms:viaservice'] = caller.viaService;
  if (caller.sourceArn) values['aws:sourcearn'] = caller.sourceArn;
  if (caller.sourceAccount) values['aws:sourceaccount'] = caller.sourceAccount;
  const operation = ctx.operation;
  const context = requestEncryptionContext(operation, params);
  if (context && Object.keys(context).length > 0) {
    for (const [k, v] of Object.entries(context)) values[`kms:encryptioncontext:${k.toLowerCase()}`] = v;
    values['kms:encryptioncontextkeys'] = Object.keys(context);
  }
  if (operation === 'CreateGrant' || operation === 'ListGrants' || operation === 'RevokeGrant') {
    values['kms:grantisforawsresource'] = caller.viaService ? 'true' : 'false';
  }
  if (operation === 'CreateGrant') {
    if (Array.isArray(params.Operations)) values['kms:grantoperations'] = params.Operations.filter((o): o is string => typeof o === 'string');
    if (typeof params.GranteePrincipal === 'string') values['kms:granteeprincipal'] = params.GranteePrincipal;
    if (typeof params.RetiringPrincipal === 'string') values['kms:retiringprincipal'] = params.RetiringPrincipal;
    const constraints = params.Constraints as Record<string, unknown> | undefined;
    if (constraints && typeof constraints === 'object') {
      const types = ['EncryptionContextSubset', 'EncryptionContextEquals'].filter((t) => constraints[t] !== undefined && constraints[t] !== null);
      if (types.length > 0) values['kms:grantconstrainttype'] = types;
    }
  }
  if (operation === 'ScheduleKeyDeletion') {
    // CHOICE: without PendingWindowInDays the value is the default window, 30.
    values['kms:schedulekeydeletionpendingwindowindays'] = String(typeof params.PendingWindowInDays === 'number' ? params.PendingWindowInDays : 30);
  }
  if (operation === 'EnableKeyRotation') {
    // CHOICE: without RotationPeriodInDays the value is the default period, 365.
    values['kms:rotationperiodindays'] = String(typeof params.RotationPeriodInDays === 'number' ? params.RotationPeriodInDays : 365);
  }
  if (facts) {
    values['kms:keyspec'] = facts.key.keySpec;
    values['kms:keyusage'] = facts.key.keyUsage;
    values['kms:keyorigin'] = facts.key.origin;
    values['kms:multiregion'] = facts.key.multiRegionRole ? 'true' : 'false';
    if (operation === 'DisableKey' || operation === 'ScheduleKeyDeletion') {
      values['kms:trailingdayswithoutkeyusage'] = String(trailingDaysWithoutKeyUsage(facts.key, ctx.now().getTime(), facts.trackingStartMs, facts.reportedUsage?.(ctx.now().getTime()) ?? facts.key.lastUsage));
    }
  }
  if (operation === 'CreateKey') {
    for (const [param, key] of [['KeySpec', 'kms:keyspec'], ['KeyUsage', 'kms:keyusage'], ['Origin', 'kms:keyorigin']] as const) {
      if (typeof params[param] === 'string') values[key] = params[param];
    }
  }
  return values;
}

const policyCache = new Map<string, PolicyStatement[]>();

function statementsOf(policy: string): PolicyStatement[] {
  let statements = policyCache.get(policy);
  if (!statements) {
    if (policyCache.size > 2000) policyCache.clear();
    policyCache.set(policy, (statements = readPolicy(policy)));
  }
  return statements;
}

function grantsOf(key: KeyRecord): EvalGrant[] {
  return key.grants as EvalGrant[];
}

function refuse(ctx: RequestContext, resource: string | undefined, reason: Parameters<typeof deniedMessage>[3]): AwsError {
  return new AwsError('AccessDeniedException', deniedMessage(ctx.caller.arn, `kms:${ctx.operation}`, resource, reason));
}

/** A request naming a key: key policy, identity policy and grants decide. */
export function checkKeyAccess(ctx: RequestContext, params: Record<string, unknown>, facts: KeyFacts, grant?: GrantRecord): void {
  const principal = evalPrincipalOf(ctx.caller);
  if (grant && ctx.operation === 'RetireGrant' && mayRetire(grant as EvalGrant, principal)) return;
  const decision = authorize({
    principal,
    request: { action: `kms:${ctx.operation}`, resource: facts.arn, values: requestValues(ctx, params, facts) },
    keyPolicy: statementsOf(facts.policy),
    keyAccount: /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(facts.arn)?.[1],
    identityPolicy: ctx.caller.service ? undefined : identityPolicyOf(ctx.caller.arn),
    grants: grantsOf(facts.key),
    encryptionContext: requestEncryptionContext(ctx.operation, params),
  });
  if (!decision.allowed) throw refuse(ctx, facts.arn, decision.reason);
}

/** A request without a key (CreateKey, ListKeys, ListAliases): the caller's identity policy decides. */
export function checkAccountAccess(ctx: RequestContext, params: Record<string, unknown>): void {
  const decision = authorize({
    principal: evalPrincipalOf(ctx.caller),
    request: { action: `kms:${ctx.operation}`, resource: '*', values: requestValues(ctx, params) },
    identityPolicy: ctx.caller.service ? undefined : identityPolicyOf(ctx.caller.arn),
  });
  if (!decision.allowed) throw refuse(ctx, undefined, decision.reason);
}

/**
 * PutKeyPolicy's (and CreateKey's) policy lockout safety check: unless the request sets
 * BypassPolicyLockoutSafetyCheck, the new policy must still let the caller call PutKeyPolicy
 * (KMS API reference, PutKeyPolicy, BypassPolicyLockoutSafetyCheck). AWS's message:
 * "The new key policy will not allow you to update the key policy in the future."
 */
export function checkLockout(ctx: RequestContext, params: Record<string, unknown>, facts: KeyFacts): void {
  if (params.BypassPolicyLockoutSafetyCheck === true) return;
  const principal = evalPrincipalOf(ctx.caller);
  const request = { ...ctx, operation: 'PutKeyPolicy' };
  const decision = authorize({
    principal,
    request: { action: 'kms:PutKeyPolicy', resource: facts.arn, values: requestValues(request, {}, facts) },
    keyPolicy: statementsOf(facts.policy),
    keyAccount: /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(facts.arn)?.[1],
    identityPolicy: ctx.caller.service ? undefined : identityPolicyOf(ctx.caller.arn),
  });
  if (!decision.allowed) throw new AwsError('MalformedPolicyDocumentException', 'The new key policy will not allow you to update the key policy in the future.');
}
