// Key policies as data: a defensive reader of key-policy JSON (KMS.md §8) into normalized
// statements, and the matching helpers the findings use. Policies are untrusted input from AWS:
// every shape the policy grammar allows is accepted (one statement or a list, strings or lists,
// Principal "*", NotPrincipal, NotAction, NotResource, condition operators with IfExists and
// ForAnyValue:/ForAllValues:), and nothing here ever throws.

export type PrincipalType = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser' | '*';

export interface PolicyPrincipal {
  type: PrincipalType;
  /** As written ("*" for `Principal: "*"`). */
  value: string;
}

export type SetOperator = 'ForAnyValue' | 'ForAllValues';

export interface PolicyCondition {
  /** The operator as written, e.g. `ForAllValues:StringEqualsIfExists`. */
  operator: string;
  /** Without set prefix and IfExists, e.g. `StringEquals`. */
  baseOperator: string;
  ifExists: boolean;
  setOperator?: SetOperator;
  /** Condition keys compare case-insensitively: always lowercase here. */
  key: string;
  /** The key as written (for messages). */
  rawKey: string;
  values: string[];
}

export interface PolicyStatement {
  /** Position in the policy (0-based). */
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** `Principal`: undefined when absent. */
  principals?: PolicyPrincipal[];
  /** `NotPrincipal`: undefined when absent. */
  notPrincipals?: PolicyPrincipal[];
  /** `Action`, as written: undefined when absent. */
  actions?: string[];
  /** `NotAction`, as written: undefined when absent. */
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditions: PolicyCondition[];
}

export type ParsedPolicy =
  | {
      ok: true;
      version?: string;
      statements: PolicyStatement[];
      /** Parts that were not understood and left out (a statement without Effect …). */
      problems: string[];
    }
  | { ok: false; error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or a list of strings as a list; numbers and booleans become strings; anything else is dropped. */
function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number' || typeof item === 'boolean') out.push(String(item));
  }
  return out;
}

const PRINCIPAL_TYPES: Record<string, PrincipalType> = { aws: 'AWS', service: 'Service', federated: 'Federated', canonicaluser: 'CanonicalUser' };

function principalList(value: unknown, problems: string[], where: string): PolicyPrincipal[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    if (value === '*') return [{ type: '*', value: '*' }];
    problems.push(`${where}: principal "${value}" is neither "*" nor an object`);
    return [{ type: 'AWS', value }];
  }
  if (!isObject(value)) {
    problems.push(`${where}: principal is not an object`);
    return [];
  }
  const out: PolicyPrincipal[] = [];
  for (const [rawType, inner] of Object.entries(value)) {
    const type = PRINCIPAL_TYPES[rawType.toLowerCase()];
    if (!type) {
      problems.push(`${where}: unknown principal type "${rawType}"`);
      continue;
    }
    for (const v of stringList(inner) ?? []) out.push({ type, value: v });
  }
  return out;
}

/** Splits `ForAllValues:StringEqualsIfExists` into its parts. */
export function parseOperator(operator: string): Pick<PolicyCondition, 'operator' | 'baseOperator' | 'ifExists'> & { setOperator?: SetOperator } {
  let rest = operator.trim();
  let setOperator: SetOperator | undefined;
  const prefix = /^(ForAnyValue|ForAllValues):/i.exec(rest);
  if (prefix) {
    setOperator = prefix[1]!.toLowerCase() === 'foranyvalue' ? 'ForAnyValue' : 'ForAllValues';
    rest = rest.slice(prefix[0].length);
  }
  let ifExists = false;
  if (/IfExists$/i.test(rest)) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  return { operator, baseOperator: rest, ifExists, ...(setOperator ? { setOperator } : {}) };
}

function conditionList(value: unknown, problems: string[], where: string): PolicyCondition[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) {
    problems.push(`${where}: Condition is not an object`);
    return [];
  }
  const out: PolicyCondition[] = [];
  for (const [operator, block] of Object.entries(value)) {
    if (!isObject(block)) {
      problems.push(`${where}: condition ${operator} is not an object`);
      continue;
    }
    const parts = parseOperator(operator);
    for (const [rawKey, values] of Object.entries(block)) {
      out.push({ ...parts, key: rawKey.toLowerCase(), rawKey, values: stringList(values) ?? [] });
    }
  }
  return out;
}

/** Reads one key's policy. Accepts the JSON text or an already parsed object. Never throws. */
export function parsePolicy(input: unknown): ParsedPolicy {
  let raw: unknown = input;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (error) {
      return { ok: false, error: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
    }
  }
  if (!isObject(raw)) return { ok: false, error: 'the policy is not a JSON object' };
  const statementValue = raw['Statement'];
  if (statementValue === undefined) return { ok: false, error: 'the policy has no Statement' };
  const rawStatements = Array.isArray(statementValue) ? statementValue : [statementValue];
  const problems: string[] = [];
  const statements: PolicyStatement[] = [];
  rawStatements.forEach((item, index) => {
    const where = `statement ${index + 1}`;
    if (!isObject(item)) {
      problems.push(`${where} is not an object`);
      return;
    }
    const effectText = typeof item['Effect'] === 'string' ? item['Effect'] : '';
    const effect = effectText.toLowerCase() === 'allow' ? 'Allow' : effectText.toLowerCase() === 'deny' ? 'Deny' : undefined;
    if (!effect) {
      problems.push(`${where}: Effect is "${effectText}", neither Allow nor Deny`);
      return;
    }
    const statement: PolicyStatement = { index, effect, conditions: conditionList(item['Condition'], problems, where) };
    if (typeof item['Sid'] === 'string' && item['Sid'] !== '') statement.sid = item['Sid'];
    const principals = principalList(item['Principal'], problems, where);
    if (principals) statement.principals = principals;
    const notPrincipals = principalList(item['NotPrincipal'], problems, where);
    if (notPrincipals) statement.notPrincipals = notPrincipals;
    const actions = stringList(item['Action']);
    if (actions) statement.actions = actions;
    const notActions = stringList(item['NotAction']);
    if (notActions) statement.notActions = notActions;
    const resources = stringList(item['Resource']);
    if (resources) statement.resources = resources;
    const notResources = stringList(item['NotResource']);
    if (notResources) statement.notResources = notResources;
    statements.push(statement);
  });
  return { ok: true, ...(typeof raw['Version'] === 'string' ? { version: raw['Version'] } : {}), statements, problems };
}

// ---------------------------------------------------------------------------------------------
// Matching

/** IAM wildcard match (`*` any run, `?` one character), case-insensitive as IAM action names are. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'is');
  return regex.test(text);
}

/** Whether an action pattern (`kms:*`, `kms:Get*`, `*`) covers an action (`kms:Decrypt`). */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern.trim(), action);
}

/** Whether the statement's Action / NotAction covers `action` (e.g. `kms:Decrypt`). */
export function statementCoversAction(statement: PolicyStatement, action: string): boolean {
  if (statement.actions) return statement.actions.some((pattern) => actionMatches(pattern, action));
  if (statement.notActions) return !statement.notActions.some((pattern) => actionMatches(pattern, action));
  return false;
}

/** True when the statement covers every KMS action (`kms:*`, `*`, or a NotAction that leaves KMS untouched). */
export function coversAllKmsActions(statement: PolicyStatement): boolean {
  if (statement.actions) return statement.actions.some((p) => actionMatches(p, 'kms:*') && (p.trim() === '*' || /^kms:\*+$/i.test(p.trim())));
  if (statement.notActions) return !statement.notActions.some((p) => /^kms:/i.test(p.trim()) || p.trim() === '*');
  return false;
}

/** The statement's conditions on a key (lowercase), optionally by a key prefix (`kms:encryptioncontext:`). */
export function conditionsOn(statement: PolicyStatement, key: string, options: { prefix?: boolean } = {}): PolicyCondition[] {
  const wanted = key.toLowerCase();
  return statement.conditions.filter((c) => (options.prefix ? c.key.startsWith(wanted) : c.key === wanted));
}

const NEGATED = /^(StringNot|ArnNot|NotIpAddress|NumericNotEquals|DateNotEquals)/i;

/**
 * Whether a condition actually limits requests to the values it names: not `…IfExists` (which lets
 * requests without the key through), not a negation, not `Null`, not a bare `*`, and not
 * `ForAllValues:` (which also matches requests that have no value at all).
 */
export function isRestrictive(condition: PolicyCondition): boolean {
  if (condition.ifExists) return false;
  if (condition.setOperator === 'ForAllValues') return false;
  if (NEGATED.test(condition.baseOperator)) return false;
  if (/^Null$/i.test(condition.baseOperator)) return false;
  if (condition.values.length === 0) return false;
  if (/Like$/i.test(condition.baseOperator) && condition.values.some((v) => /^\*+$/.test(v))) return false;
  return true;
}

/** A 12-digit account id from an AWS principal: an ARN's account or a bare account id. */
export function principalAccount(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  const match = /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(value);
  return match ? match[1] : undefined;
}

/** Principal "*" or {"AWS": "*"}: every principal of every account. */
export function isAnyonePrincipal(principal: PolicyPrincipal): boolean {
  return principal.type === '*' || principal.value.trim() === '*';
}

/**
 * True for `*` and for any principal holding a wildcard or a policy variable. Only "*" itself
 * matches anyone (isAnyonePrincipal); IAM does not expand the others, so they match no one.
 */
export function isWildcardPrincipal(principal: PolicyPrincipal): boolean {
  return principal.type === '*' || principal.value.includes('*') || principal.value.includes('${');
}

/** IAM shows a deleted role or user in a policy as its unique id (AROA…, AIDA…) instead of an ARN. */
export function looksLikeDeletedPrincipal(value: string): boolean {
  return /^(AROA|AIDA|AGPA|ANPA|AIPA|ASIA)[A-Z0-9]{12,}$/.test(value.trim());
}

/** The account root (`arn:aws:iam::ACCOUNT:root` or the bare id) of `account`. */
export function isAccountRoot(value: string, account: string): boolean {
  return value === account || new RegExp(`^arn:aws[\\w-]*:iam::${account}:root$`).test(value);
}

/** The role or user name of an IAM ARN (path dropped) or of an assumed-role session's role. */
export function principalName(value: string): { kind: 'role' | 'user'; name: string } | undefined {
  const role = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(value);
  if (role) return { kind: 'role', name: role[1]! };
  const session = /^arn:aws[\w-]*:sts::\d{12}:assumed-role\/([^/]+)\/.+$/.exec(value);
  if (session) return { kind: 'role', name: session[1]! };
  const user = /^arn:aws[\w-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(value);
  if (user) return { kind: 'user', name: user[1]! };
  return undefined;
}

/**
 * Whether a role name matches an admin pattern: a pattern with `*` or `?` is a wildcard match of
 * the whole name; a plain word matches when the name contains it. Both case-insensitive.
 */
export function matchesAdminPattern(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (/[*?]/.test(pattern) ? wildcardMatch(pattern, name) : name.toLowerCase().includes(pattern.toLowerCase())));
}

/** The AWS service a service principal names: `logs.us-east-1.amazonaws.com` → `logs`. */
export function serviceOfPrincipal(value: string): string | undefined {
  const match = /^([a-z0-9-]+)(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/i.exec(value.trim());
  return match ? match[1]!.toLowerCase() : undefined;
}
