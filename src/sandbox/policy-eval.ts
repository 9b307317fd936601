// Key-policy evaluation for the sandbox: decides whether a KMS request is allowed for a calling
// principal, from the key policy, the caller's identity policy and the key's grants — the logic of
// AWS's policy evaluation reduced to what a KMS request involves. Pure: no sandbox state, no I/O.
//
// Sources (docs/sandbox.md, "Key policies are evaluated", lists what is and is not modelled):
// - IAM policy evaluation logic, "Determining whether a request is allowed or denied within an
//   account" and "Cross-account policy evaluation logic" (docs.aws.amazon.com/IAM/latest/UserGuide/
//   reference_policies_evaluation-logic.html): explicit Deny wins; no Allow is an implicit deny;
//   within one account a resource-based Allow naming the principal suffices; across accounts both
//   the key policy and the caller's identity policy must allow.
// - KMS key policies, "Allows access to the AWS account and enables IAM policies"
//   (docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): a statement whose
//   principal is the account (`arn:aws:iam::<acct>:root` or the bare id) lets the account's IAM
//   policies decide; it does not by itself allow any principal.
// - Condition operators (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
//   a key missing from the request context makes a condition false, except for negated operators
//   (true), `…IfExists` (true) and `Null`; several values of one key are ORed (NORed for negated
//   operators); several keys and operators are ANDed
//   (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html);
//   ForAnyValue / ForAllValues over multivalued keys (ForAllValues is true for an absent key).
// - Denial messages (docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html):
//   "User: <arn> is not authorized to perform: <action> on resource: <arn> because no
//   resource-based policy allows the <action> action" / "… because no identity-based policy allows
//   …" for implicit denies, "… with an explicit deny in a resource-based policy" / "… in an
//   identity-based policy" for explicit ones.

import { parsePolicy, type ParsedPolicy, type PolicyCondition, type PolicyPrincipal, type PolicyStatement } from '../domain/policy.js';

/** Who is calling, as the evaluator sees it. */
export interface EvalPrincipal {
  /** `arn:aws:sts::<acct>:assumed-role/<Role>/<session>`, `arn:aws:iam::<acct>:user/<name>`, or a service principal (`fargate.amazonaws.com`). */
  arn: string;
  kind: 'session' | 'user' | 'role' | 'root' | 'service';
  /** The caller's account (for a service principal: the account its call is made for). */
  account: string;
}

/** A request-context value: one string, or a list for multivalued keys. */
export type ContextValue = string | readonly string[];

/** Condition keys (lowercase) → values. A key that is absent is not in the request context. */
export type RequestValues = Readonly<Record<string, ContextValue | undefined>>;

export interface EvalRequest {
  /** `kms:Decrypt`. */
  action: string;
  /** The key ARN, or `*` for operations without a key (CreateKey, ListKeys …). */
  resource: string;
  values: RequestValues;
}

/** A grant, as far as authorization goes (KMS.md §4.1). */
export interface EvalGrant {
  granteePrincipal?: string;
  granteeServicePrincipal?: string;
  retiringPrincipal?: string;
  retiringServicePrincipal?: string;
  operations: readonly string[];
  constraints?: { encryptionContextSubset?: Readonly<Record<string, string>>; encryptionContextEquals?: Readonly<Record<string, string>> };
}

export type PolicyOutcome = {
  /** An Allow statement matched; `viaAccount` when it matched only through the account principal. */
  allow?: { statement: PolicyStatement; viaAccount: boolean };
  /** A Deny statement matched. */
  deny?: PolicyStatement;
};

export type DenyReason = 'explicit-resource' | 'explicit-identity' | 'no-resource' | 'no-identity';

export type Decision =
  | { allowed: true; by: 'key-policy' | 'identity-policy' | 'grant' }
  | { allowed: false; reason: DenyReason; statement?: PolicyStatement };

// ---------------------------------------------------------------------------------------------
// Principals

function serviceName(value: string): string {
  // `ec2.us-east-1.amazonaws.com` and `ec2.amazonaws.com` name the same service.
  const match = /^([a-z0-9-]+)(?:\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/i.exec(value.trim());
  return match ? match[1]!.toLowerCase() : value.trim().toLowerCase();
}

/** The role ARN (`arn:aws:iam::<acct>:role/<Role>`) behind an assumed-role session ARN. */
export function roleArnOfSession(arn: string): string | undefined {
  const match = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return match ? `arn:${match[1]}:iam::${match[2]}:role/${match[3]}` : undefined;
}

/**
 * `aws:PrincipalArn`: the role ARN for an assumed-role session, the ARN itself for users, roles
 * and root; absent for service principals.
 */
export function principalArnOf(principal: EvalPrincipal): string | undefined {
  if (principal.kind === 'service') return undefined;
  if (principal.kind === 'session') return roleArnOfSession(principal.arn) ?? principal.arn;
  return principal.arn;
}

/** How a policy principal matches the caller: by name, through the caller's account, or not. */
export function principalMatch(p: PolicyPrincipal, principal: EvalPrincipal): 'direct' | 'account' | undefined {
  if (p.type === '*') return 'direct';
  if (p.type === 'Service') return principal.kind === 'service' && serviceName(p.value) === serviceName(principal.arn) ? 'direct' : undefined;
  if (p.type !== 'AWS') return undefined;
  const value = p.value.trim();
  if (value === '*') return 'direct';
  if (principal.kind === 'service') return undefined;
  const root = /^(?:arn:aws[\w-]*:iam::)?(\d{12})(?::root)?$/.exec(value);
  if (root) {
    if (root[1] !== principal.account) return undefined;
    return principal.kind === 'root' ? 'direct' : 'account';
  }
  if (value === principal.arn) return 'direct';
  // A role ARN (any path) matches the role's sessions.
  const role = /^arn:(aws[\w-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(value);
  if (role && principal.kind === 'session') {
    const session = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(principal.arn);
    if (session && session[2] === role[2] && session[3] === role[3]) return 'direct';
  }
  if (role && principal.kind === 'role' && principal.arn.endsWith(`:role/${role[3]}`) && principal.arn.includes(`::${role[2]}:`)) return 'direct';
  return undefined;
}

function statementPrincipal(statement: PolicyStatement, principal: EvalPrincipal, identity: boolean): 'direct' | 'account' | undefined {
  if (identity) return 'direct'; // an identity policy applies to the principal it is attached to
  if (statement.principals) {
    let best: 'direct' | 'account' | undefined;
    for (const p of statement.principals) {
      const match = principalMatch(p, principal);
      if (match === 'direct') return 'direct';
      if (match === 'account') best = 'account';
    }
    return best;
  }
  if (statement.notPrincipals) {
    // Only a principal NotPrincipal names is left out: an account's root ARN there leaves out the
    // account's root user, not everyone in the account (IAM User Guide, "AWS JSON policy elements:
    // NotPrincipal": Bob and the account's root listed → denied to all principals except Bob).
    return statement.notPrincipals.some((p) => principalMatch(p, principal) === 'direct') ? undefined : 'direct';
  }
  return undefined; // a key-policy statement without Principal applies to no one
}

// ---------------------------------------------------------------------------------------------
// Resources

/** ARN matching, segment by segment, `*` and `?` within a segment (ArnLike semantics). */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.split(':');
  const a = arn.split(':');
  if (p.length < 6 || a.length < 6) return false;
  const pParts = [...p.slice(0, 5), p.slice(5).join(':')];
  const aParts = [...a.slice(0, 5), a.slice(5).join(':')];
  return pParts.every((segment, i) => caseSensitiveWildcard(segment, aParts[i]!));
}

/** Compiled wildcard patterns (`*` any run, `?` one character), by flags, then pattern. */
const patterns = { s: new Map<string, RegExp>(), is: new Map<string, RegExp>() };

function wildcard(pattern: string, text: string, flags: 's' | 'is'): boolean {
  const cache = patterns[flags];
  let regex = cache.get(pattern);
  if (!regex) {
    if (cache.size > 5000) cache.clear();
    regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
    cache.set(pattern, regex);
  }
  return regex.test(text);
}

function caseSensitiveWildcard(pattern: string, text: string): boolean {
  return wildcard(pattern, text, 's');
}

/** Action / NotAction: IAM action names compare case-insensitively. */
function coversAction(statement: PolicyStatement, action: string): boolean {
  if (statement.actions) return statement.actions.some((p) => wildcard(p.trim(), action, 'is'));
  if (statement.notActions) return !statement.notActions.some((p) => wildcard(p.trim(), action, 'is'));
  return false;
}

function statementCoversResource(statement: PolicyStatement, resource: string): boolean {
  if (statement.resources) return statement.resources.some((r) => r.trim() === '*' || (resource !== '*' && arnMatches(r.trim(), resource)));
  if (statement.notResources) return !statement.notResources.some((r) => r.trim() === '*' || (resource !== '*' && arnMatches(r.trim(), resource)));
  return false;
}

// ---------------------------------------------------------------------------------------------
// Conditions

const NEGATED = new Set(['stringnotequals', 'stringnotequalsignorecase', 'stringnotlike', 'arnnotequals', 'arnnotlike', 'numericnotequals']);

/** One request value against the condition's values (ORed; the caller negates). */
function valueMatches(base: string, requestValue: string, policyValues: readonly string[]): boolean | undefined {
  switch (base) {
    case 'stringequals':
    case 'stringnotequals':
      return policyValues.includes(requestValue);
    case 'stringequalsignorecase':
    case 'stringnotequalsignorecase':
      return policyValues.some((v) => v.toLowerCase() === requestValue.toLowerCase());
    case 'stringlike':
    case 'stringnotlike':
      return policyValues.some((v) => caseSensitiveWildcard(v, requestValue));
    case 'arnequals':
    case 'arnlike':
    case 'arnnotequals':
    case 'arnnotlike':
      return policyValues.some((v) => arnMatches(v, requestValue));
    case 'numericequals':
    case 'numericnotequals':
    case 'numericlessthan':
    case 'numericlessthanequals':
    case 'numericgreaterthan':
    case 'numericgreaterthanequals': {
      const n = Number(requestValue);
      if (requestValue.trim() === '' || !Number.isFinite(n)) return false;
      return policyValues.some((v) => {
        const limit = Number(v);
        if (v.trim() === '' || !Number.isFinite(limit)) return false;
        if (base === 'numericequals' || base === 'numericnotequals') return n === limit;
        if (base === 'numericlessthan') return n < limit;
        if (base === 'numericlessthanequals') return n <= limit;
        if (base === 'numericgreaterthan') return n > limit;
        return n >= limit;
      });
    }
    case 'bool':
      return policyValues.some((v) => v.toLowerCase() === requestValue.toLowerCase());
    default:
      return undefined; // an operator KMS keys are never compared with (Date*, IpAddress …)
  }
}

/** Whether one condition (one operator, one key) holds for the request. */
export function conditionHolds(condition: PolicyCondition, values: RequestValues): boolean {
  const base = condition.baseOperator.toLowerCase();
  const raw = values[condition.key];
  const present = raw !== undefined && !(Array.isArray(raw) && raw.length === 0);
  if (base === 'null') {
    // "Null": "true" holds when the key is absent, "false" when it is present.
    return condition.values.some((v) => (v.toLowerCase() === 'true' ? !present : v.toLowerCase() === 'false' ? present : false));
  }
  const negated = NEGATED.has(base);
  const list: readonly string[] = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  const one = (value: string): boolean => {
    const matched = valueMatches(base, value, condition.values);
    if (matched === undefined) return false;
    return negated ? !matched : matched;
  };
  if (condition.setOperator === 'ForAllValues') {
    // True when every request value matches; vacuously true for an absent key.
    return list.every(one);
  }
  if (condition.setOperator === 'ForAnyValue') {
    return list.some(one);
  }
  if (!present) return condition.ifExists || negated;
  // A single-valued operator on a multivalued key: any value counts (CHOICE, docs/sandbox.md).
  return list.some(one);
}

function conditionsHold(statement: PolicyStatement, values: RequestValues): boolean {
  return statement.conditions.every((c) => conditionHolds(c, values));
}

// ---------------------------------------------------------------------------------------------
// Policies

/** Reads a policy for evaluation; an unreadable policy allows and denies nothing. */
export function readPolicy(policy: string | ParsedPolicy): PolicyStatement[] {
  const parsed = typeof policy === 'string' ? parsePolicy(policy) : policy;
  return parsed.ok ? parsed.statements : [];
}

/** The statements of one policy that apply to this principal and request. */
export function evaluatePolicy(statements: readonly PolicyStatement[], principal: EvalPrincipal, request: EvalRequest, options: { identity?: boolean } = {}): PolicyOutcome {
  const outcome: PolicyOutcome = {};
  for (const statement of statements) {
    const match = statementPrincipal(statement, principal, options.identity === true);
    if (!match) continue;
    if (!coversAction(statement, request.action)) continue;
    if (!statementCoversResource(statement, request.resource)) continue;
    if (!conditionsHold(statement, request.values)) continue;
    if (statement.effect === 'Deny') {
      outcome.deny ??= statement;
    } else if (!outcome.allow || (outcome.allow.viaAccount && match === 'direct')) {
      outcome.allow = { statement, viaAccount: match === 'account' };
    }
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Grants (KMS developer guide, "Grants in AWS KMS" and "Using grant constraints")

function granteeMatches(value: string | undefined, principal: EvalPrincipal): boolean {
  if (!value) return false;
  if (principal.kind === 'service') return /amazonaws\.com(\.cn)?$/i.test(value) && serviceName(value) === serviceName(principal.arn);
  if (value === principal.arn) return true;
  // A role ARN as grantee covers the role's sessions.
  return principal.kind === 'session' && roleArnOfSession(principal.arn) === value.replace(/:role\/(?:.*\/)?([^/]+)$/, ':role/$1');
}

/** Whether a grant's encryption-context constraints hold for the request's encryption context. */
export function grantConstraintsHold(grant: EvalGrant, context: Readonly<Record<string, string>> | undefined): boolean {
  const subset = grant.constraints?.encryptionContextSubset;
  const equals = grant.constraints?.encryptionContextEquals;
  const actual = context ?? {};
  if (subset && !Object.entries(subset).every(([k, v]) => actual[k] === v)) return false;
  if (equals) {
    const a = Object.keys(actual);
    if (a.length !== Object.keys(equals).length || !Object.entries(equals).every(([k, v]) => actual[k] === v)) return false;
  }
  return true;
}

/** Operations that take an encryption context: the only ones a constrained grant can allow. */
const CONTEXT_OPERATIONS = new Set(['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'CreateGrant']);

/** Whether a grant lets this principal perform `operation` (e.g. `Decrypt`) with this context. */
export function grantAllows(grant: EvalGrant, principal: EvalPrincipal, operation: string, context: Readonly<Record<string, string>> | undefined): boolean {
  if (!grant.operations.includes(operation)) return false;
  if (!granteeMatches(grant.granteePrincipal, principal) && !granteeMatches(grant.granteeServicePrincipal, principal)) return false;
  if (grant.constraints && !CONTEXT_OPERATIONS.has(operation)) return false;
  return grantConstraintsHold(grant, context);
}

/** RetireGrant: the grant's retiring principal, or its grantee when the grant includes RetireGrant. */
export function mayRetire(grant: EvalGrant, principal: EvalPrincipal): boolean {
  if (granteeMatches(grant.retiringPrincipal, principal) || granteeMatches(grant.retiringServicePrincipal, principal)) return true;
  return grant.operations.includes('RetireGrant') && (granteeMatches(grant.granteePrincipal, principal) || granteeMatches(grant.granteeServicePrincipal, principal));
}

// ---------------------------------------------------------------------------------------------
// The decision

export interface AuthorizeInput {
  principal: EvalPrincipal;
  request: EvalRequest;
  /** The key policy's statements; undefined for an operation without a key. */
  keyPolicy?: readonly PolicyStatement[];
  /** The account that owns the key. */
  keyAccount?: string;
  /** The caller's identity policy; undefined = none (a service principal, an unknown user). */
  identityPolicy?: readonly PolicyStatement[];
  grants?: readonly EvalGrant[];
  /** The request's encryption context (for grant constraints). */
  encryptionContext?: Readonly<Record<string, string>>;
}

/**
 * The KMS authorization decision. With a key: explicit Deny in the key policy or the identity
 * policy wins; then a key-policy Allow naming the caller (same account), a key-policy Allow for
 * the account together with an identity Allow ("the account's IAM decides"; across accounts the
 * identity Allow is always needed), or a grant. Without a key: the identity policy alone.
 */
export function authorize(input: AuthorizeInput): Decision {
  const { principal, request } = input;
  const identity = input.identityPolicy ? evaluatePolicy(input.identityPolicy, principal, request, { identity: true }) : {};
  if (!input.keyPolicy) {
    if (identity.deny) return { allowed: false, reason: 'explicit-identity', statement: identity.deny };
    return identity.allow ? { allowed: true, by: 'identity-policy' } : { allowed: false, reason: 'no-identity' };
  }
  const resource = evaluatePolicy(input.keyPolicy, principal, request);
  if (resource.deny) return { allowed: false, reason: 'explicit-resource', statement: resource.deny };
  if (identity.deny) return { allowed: false, reason: 'explicit-identity', statement: identity.deny };
  const sameAccount = input.keyAccount === undefined || input.keyAccount === principal.account;
  if (resource.allow) {
    const needsIdentity = resource.allow.viaAccount || (!sameAccount && principal.kind !== 'service');
    if (!needsIdentity || identity.allow) return { allowed: true, by: 'key-policy' };
  }
  const operation = request.action.replace(/^kms:/i, '');
  if ((input.grants ?? []).some((g) => grantAllows(g, principal, operation, input.encryptionContext))) return { allowed: true, by: 'grant' };
  return { allowed: false, reason: resource.allow ? 'no-identity' : 'no-resource' };
}

/** AWS's AccessDeniedException message for a denial (see the sources above). */
export function deniedMessage(callerArn: string, action: string, resource: string | undefined, reason: DenyReason): string {
  const on = resource && resource !== '*' ? ` on resource: ${resource}` : '';
  switch (reason) {
    case 'explicit-resource':
      return `User: ${callerArn} is not authorized to perform: ${action}${on} with an explicit deny in a resource-based policy`;
    case 'explicit-identity':
      return `User: ${callerArn} is not authorized to perform: ${action}${on} with an explicit deny in an identity-based policy`;
    case 'no-identity':
      return `User: ${callerArn} is not authorized to perform: ${action}${on} because no identity-based policy allows the ${action} action`;
    case 'no-resource':
      return `User: ${callerArn} is not authorized to perform: ${action}${on} because no resource-based policy allows the ${action} action`;
  }
}
