// What is unsafe or untidy about a key, as findings an operator can act on: each has an id, a
// severity, a one-line message and an explanation that ends with the fix. Pure: the key, its
// policy and grants, the retirement record and the clock in; findings out.
//
// Named `KeyFinding` to keep them apart from the retirement preflight's `Finding`
// (src/domain/retirement.ts), which blocks a retirement step rather than describing a key.

import { formatDate } from './format.js';
import { isReadProblem, type Grant, type KeyDetail, type KeyRow, type ReadProblem } from './key.js';
import {
  conditionsOn,
  coversAllKmsActions,
  isAccountRoot,
  isRestrictive,
  isAnyonePrincipal,
  isWildcardPrincipal,
  looksLikeDeletedPrincipal,
  matchesAdminPattern,
  parsePolicy,
  principalAccount,
  principalName,
  serviceOfPrincipal,
  statementCoversAction,
  type PolicyPrincipal,
  type PolicyStatement,
} from './policy.js';
import { TAG_STAGE, type RetirementRecord, type RetirementStage } from './retirement.js';
import { rotationManagedElsewhere, rotationUnsupportedReason } from './rotation.js';
import { isServicePrincipal } from './services.js';

export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const FINDING_CATEGORIES = ['policy', 'rotation', 'usage', 'grants'] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

export interface KeyFinding {
  /** Stable id, e.g. `policy-public`; with `subject` it identifies one finding on one key. */
  id: string;
  severity: Severity;
  category: FindingCategory;
  /** One line. May quote AWS text (principals, Sids): clean it before showing it. */
  message: string;
  /** Why it matters, and the fix. */
  explanation: string;
  /** What the finding is about: a statement (`statement 2 "Sid"`), a grant id, a principal … */
  subject?: string;
  /** A key-policy statement the fix adds (the guard finding), as an object ready for JSON. */
  statement?: unknown;
}

export interface Thresholds {
  /** An enabled key not used for this many days is flagged. */
  unusedDays: number;
  /** A disabled key, idle this long with no retirement in progress, is flagged. */
  disabledDays: number;
  /** A key pending deletion that was used within this many days is flagged. */
  recentUseDays: number;
  /** A rotation period longer than this is flagged. */
  maxRotationDays: number;
  /** Role-name patterns treated as key administrators (plain word: contained in the name; `*`/`?`: wildcard). */
  adminRoles: string[];
  /** The guard statement denies DisableKey/ScheduleKeyDeletion while the key was used within this many days (default 365). */
  guardDays?: number;
  /** A break-glass role ARN the guard statement exempts (none by default). */
  breakGlassRole?: string;
}

/** The guard's window when none is configured: AWS's own example denies while the key was used within 365 days (KMS.md §11). */
export const DEFAULT_GUARD_DAYS = 365;

export const DEFAULT_THRESHOLDS: Thresholds = {
  unusedDays: 90,
  disabledDays: 30,
  recentUseDays: 30,
  maxRotationDays: 365,
  adminRoles: ['Admin', 'KeyAdmin', 'OrganizationAccountAccessRole'],
  guardDays: DEFAULT_GUARD_DAYS,
};

const DAY = 86_400_000;
const SEVERITY_RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };
const CATEGORY_RANK: Record<FindingCategory, number> = { policy: 0, grants: 1, rotation: 2, usage: 3 };

/** Most severe first; then policy, grants, rotation, usage; then id and subject. */
export function sortFindings(findings: readonly KeyFinding[]): KeyFinding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      CATEGORY_RANK[a.category] - CATEGORY_RANK[b.category] ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      ((a.subject ?? '') < (b.subject ?? '') ? -1 : (a.subject ?? '') > (b.subject ?? '') ? 1 : 0),
  );
}

/** Counts per severity. */
export function countBySeverity(findings: readonly KeyFinding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** The most severe finding's severity, or undefined when there are none. */
export function worstSeverity(findings: readonly KeyFinding[]): Severity | undefined {
  return SEVERITIES.find((s) => findings.some((f) => f.severity === s));
}

/** Findings that call for action (info findings are notes, not problems). */
export function actionable(findings: readonly KeyFinding[]): KeyFinding[] {
  return findings.filter((f) => f.severity !== 'info');
}

/** The id of the note that says the usage findings wait for the key's last use to be read. */
export const USAGE_PENDING = 'usage-pending';

/** The id of the note that says the policy and grant findings wait for the key's policy and grants to be read. */
export const POLICY_PENDING = 'policy-pending';

/** Whether some findings cannot be known yet because the key's last use, or its policy and grants, have not been read. */
export function isUsagePending(findings: readonly KeyFinding[]): boolean {
  return findings.some((f) => f.id === USAGE_PENDING || f.id === POLICY_PENDING);
}

/**
 * The keys-list marker: `!N` when any finding is high or medium, `·N` when only low ones, '' when
 * there is nothing to act on (info findings are notes). N counts the findings to act on. A
 * trailing `…` (alone: `…`) says some findings are pending: last use, or the policy and grants,
 * are not read yet.
 */
export function findingsMarker(findings: readonly KeyFinding[]): string {
  const acting = actionable(findings);
  const pending = isUsagePending(findings) ? '…' : '';
  if (acting.length === 0) return pending;
  const worst = worstSeverity(acting);
  return `${worst === 'high' || worst === 'medium' ? '!' : '·'}${acting.length}${pending}`;
}

/** Keys the `f` filter keeps: findings to act on, or usage findings not known yet (never silently "fine"). */
export function needsAttention(findings: readonly KeyFinding[]): boolean {
  return actionable(findings).length > 0 || isUsagePending(findings);
}

// ---------------------------------------------------------------------------------------------
// Rotation and usage (what an inventory row has)

function daysSince(iso: string | undefined, now: Date): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor((now.getTime() - ms) / DAY) : undefined;
}

function rotationFindings(row: KeyRow, thresholds: Thresholds): KeyFinding[] {
  const meta = row.metadata;
  if (!meta || meta.keyManager === 'AWS') return [];
  // Keys that cannot rotate, replicas (rotation is set on the primary) and keys whose rotation status
  // means nothing in their state (PendingDeletion reads false, PendingImport has no material) are never flagged.
  if (rotationUnsupportedReason(meta) || rotationManagedElsewhere(meta)) return [];
  if (meta.state !== 'Enabled') return [];
  const rotation = row.rotation;
  if (rotation.kind === 'disabled') {
    return [
      {
        id: 'rotation-off',
        severity: 'medium',
        category: 'rotation',
        message: 'automatic rotation is off',
        explanation:
          'This symmetric key with AWS_KMS material can rotate automatically, but rotation is off: the same key material protects data for as long as the key lives. ' +
          `Fix: turn automatic rotation on (keywarden rotation enable KEY --period ${Math.min(365, thresholds.maxRotationDays)}); old material is kept, so existing ciphertext still decrypts.`,
      },
    ];
  }
  if (rotation.kind === 'enabled' && rotation.periodDays !== undefined && rotation.periodDays > thresholds.maxRotationDays) {
    return [
      {
        id: 'rotation-period-long',
        severity: 'low',
        category: 'rotation',
        message: `rotation period ${rotation.periodDays} days is longer than ${thresholds.maxRotationDays}`,
        explanation:
          `Automatic rotation is on, but every ${rotation.periodDays} days — longer than the configured maximum of ${thresholds.maxRotationDays} days. ` +
          `Fix: keywarden rotation enable KEY --period ${thresholds.maxRotationDays} (90–2560 days); the change applies from the next rotation.`,
      },
    ];
  }
  return [];
}

/** Stages in which a retirement is still under way (a rolled-back or closed one is not). */
const ACTIVE_RETIREMENT: readonly RetirementStage[] = ['preflight', 'disabled', 'watching', 'use-detected', 'deletion-scheduled'];

function retirementInProgress(row: KeyRow, retirement: RetirementRecord | undefined): boolean {
  if (retirement) return ACTIVE_RETIREMENT.includes(retirement.stage);
  // A colleague's keywarden mirrors the stage on the key itself.
  const tag = row.tags.find((t) => t.key === TAG_STAGE)?.value;
  return tag !== undefined && (ACTIVE_RETIREMENT as readonly string[]).includes(tag);
}

function usageFindings(row: KeyRow, thresholds: Thresholds, now: Date, retirement: RetirementRecord | undefined, disabledSince: string | undefined): KeyFinding[] {
  const meta = row.metadata;
  if (!meta || meta.keyManager === 'AWS') return [];
  const usage = row.lastUsage;
  const out: KeyFinding[] = [];
  const asymmetricNote =
    meta.keySpec !== 'SYMMETRIC_DEFAULT' && !meta.keySpec.startsWith('HMAC_')
      ? ' Note: this is an asymmetric key — its public key can be used outside KMS (verifying, encrypting), which no KMS record shows.'
      : '';
  if (usage.kind === 'pending' && (meta.state === 'Enabled' || meta.state === 'PendingDeletion' || (meta.state === 'Disabled' && !retirementInProgress(row, retirement)))) {
    out.push({
      id: USAGE_PENDING,
      severity: 'info',
      category: 'usage',
      message: 'pending: last use not read yet (unused, disabled-long and pending-deletion-used checks wait for it)',
      explanation:
        'GetKeyLastUsage allows 5 requests per second per account and Region, so keywarden reads it in the background, the keys on screen first. ' +
        'Until this key\'s value arrives, the findings that depend on it cannot be known: this is not a clean bill of health. ' +
        'Fix: wait for the reading to reach the key (select it to read it next), or press r on the keys list to read it now.',
    });
  }
  if (meta.state === 'Enabled') {
    const age = daysSince(meta.creationDate, now);
    if (usage.kind === 'used') {
      const idle = daysSince(usage.timestamp, now);
      if (idle !== undefined && idle > thresholds.unusedDays) {
        out.push({
          id: 'unused',
          severity: 'medium',
          category: 'usage',
          message: `enabled but not used for ${idle} days (last ${usage.operation} on ${formatDate(usage.timestamp)})`,
          explanation:
            `GetKeyLastUsage reports the last successful cryptographic operation on ${formatDate(usage.timestamp)}, more than ${thresholds.unusedDays} days ago. ` +
            `An enabled key nobody uses still costs money and widens what a leaked credential can reach.${asymmetricNote} ` +
            'Fix: confirm in CloudTrail (keywarden usage KEY --days 90) that nothing depends on it, then retire it (keywarden retire start KEY: disable, alarm on any use, watch, delete).',
        });
      }
    } else if (usage.kind === 'never' && age !== undefined && age > thresholds.unusedDays) {
      out.push({
        id: 'unused',
        severity: 'medium',
        category: 'usage',
        message: `enabled but never used in its ${age} days`,
        explanation:
          `GetKeyLastUsage has tracked this key since ${formatDate(usage.trackingStartDate)}, its whole life, and saw no successful cryptographic operation.${asymmetricNote} ` +
          'Fix: find out who asked for it (tags, CloudTrail CreateKey), then retire it with keywarden retire start KEY.',
      });
    } else if (usage.kind === 'not-since-tracking') {
      const tracked = daysSince(usage.trackingStartDate, now);
      if (tracked !== undefined && tracked > thresholds.unusedDays) {
        out.push({
          id: 'unused',
          severity: 'low',
          category: 'usage',
          message: `no use since tracking began ${formatDate(usage.trackingStartDate)} (${tracked} days); earlier use unknown`,
          explanation:
            `KMS began tracking last use on ${formatDate(usage.trackingStartDate)}, after this key was created, and has seen no use since. Use before that date is unknown: only CloudTrail (90 days, or the trail's log files) can tell.${asymmetricNote} ` +
            'Fix: check older evidence (keywarden usage KEY --cloudtrail-dir DIR); if nothing depends on the key, retire it with keywarden retire start KEY.',
        });
      }
    }
  }
  if (meta.state === 'Disabled' && !retirementInProgress(row, retirement)) {
    const since = disabledSince ?? retirement?.disabledAt;
    const disabledDays = daysSince(since, now);
    const idleDays =
      usage.kind === 'used' ? daysSince(usage.timestamp, now) : usage.kind === 'never' || usage.kind === 'not-since-tracking' ? daysSince(usage.trackingStartDate, now) : undefined;
    const overdue = disabledDays !== undefined ? disabledDays > thresholds.disabledDays : idleDays !== undefined && idleDays > thresholds.disabledDays;
    if (overdue) {
      const how =
        disabledDays !== undefined
          ? `disabled for ${disabledDays} days (since ${formatDate(since)})`
          : usage.kind === 'used'
            ? `disabled, last used ${idleDays} days ago`
            : `disabled, no use seen since ${formatDate(usage.kind === 'never' || usage.kind === 'not-since-tracking' ? usage.trackingStartDate : undefined)}`;
      out.push({
        id: 'disabled-no-retirement',
        severity: 'low',
        category: 'usage',
        message: `${how}, no retirement in progress`,
        explanation:
          `The key has been disabled (or idle while disabled) for more than ${thresholds.disabledDays} days and no retirement is recorded for it. A disabled key in limbo still costs money, and nobody is watching for a workload that still needs it. ` +
          'Fix: either enable it again, or finish the job with keywarden retire start KEY (the retirement records the evidence, arms an alarm on any use and schedules deletion after the watch).',
      });
    }
  }
  if (meta.state === 'PendingDeletion' && usage.kind === 'used') {
    const idle = daysSince(usage.timestamp, now);
    if (idle !== undefined && idle <= thresholds.recentUseDays) {
      out.push({
        id: 'pending-deletion-used-recently',
        severity: 'high',
        category: 'usage',
        message: `pending deletion${meta.deletionDate ? ` on ${formatDate(meta.deletionDate)}` : ''} but used ${idle} day${idle === 1 ? '' : 's'} ago`,
        explanation:
          `GetKeyLastUsage shows a successful ${usage.operation} on ${formatDate(usage.timestamp)}, within ${thresholds.recentUseDays} days. Once the key is deleted, anything encrypted under it is lost for good. ` +
          'Fix: cancel the deletion now (keywarden retire rollback KEY, or CancelKeyDeletion), find the caller with keywarden usage KEY, and retire the key only after a watch with an alarm sees no use.',
      });
    }
  }
  return out;
}

/**
 * The findings for the keys list: what an inventory row carries (rotation and usage) and, once
 * the background reader has read them (`row.access`), the key's policy and grants — until then a
 * `policy-pending` note says those checks wait. A retirement in progress is read from the key's
 * retirement tag. The same function as findingsForKey, so FIND and the Findings tab agree.
 */
export function rowFindings(row: KeyRow, thresholds: Thresholds, now: Date): KeyFinding[] {
  return findingsForKey({ key: row, thresholds, now, account: '' });
}

function policyPendingFinding(): KeyFinding {
  return {
    id: POLICY_PENDING,
    severity: 'info',
    category: 'policy',
    message: 'pending: key policy and grants not read yet (policy and grant checks wait for them)',
    explanation:
      'keywarden reads each key\'s policy (GetKeyPolicy) and grants (ListGrants, 100 requests per second) in the background, the keys on screen first. ' +
      'Until this key\'s arrive, the policy and grant findings cannot be known: this is not a clean bill of health. ' +
      'Fix: wait for the reading to reach the key (select it to read it next), or open it (Enter) to read everything now.',
  };
}

// ---------------------------------------------------------------------------------------------
// Policy

/** Condition keys that keep a wildcard principal from being public (KMS.md §8.3, 1). */
const PUBLIC_RESTRICTING_KEYS = [
  'kms:calleraccount',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceowner',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:userid',
  'kms:viaservice',
];

/** Operations that use the key (or hand it out). */
const USE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:Sign',
  'kms:Verify',
  'kms:GenerateMac',
  'kms:VerifyMac',
  'kms:DeriveSharedSecret',
  'kms:CreateGrant',
];
/** Operations that take an encryption context (where an encryption-context condition applies). */
const CONTEXT_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant'];
const DESTRUCTIVE_ACTIONS = ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DeleteImportedKeyMaterial'];

/**
 * Encryption-context keys the services document for their calls (KMS.md §4.3, §8.1). A statement
 * letting the service use the key should pin at least one of them.
 */
export const SERVICE_CONTEXT_KEYS: Readonly<Record<string, readonly string[]>> = {
  imagebuilder: ['aws:imagebuilder:arn'],
  cloudtrail: ['aws:cloudtrail:arn'],
  ec2: ['aws:ebs:id'],
  ebs: ['aws:ebs:id'],
  fargate: ['aws:ecs:clusterAccount', 'aws:ecs:clusterName'],
  ecs: ['aws:ecs:clusterAccount', 'aws:ecs:clusterName'],
  s3: ['aws:s3:arn'],
  rds: ['aws:rds:db-id'],
  logs: ['aws:logs:arn'],
  secretsmanager: ['aws:secretsmanager:arn'],
  lambda: ['aws:lambda:FunctionArn'],
  sqs: ['aws:sqs:arn'],
  sns: ['aws:sns:topicArn'],
  dynamodb: ['aws:dynamodb:tableName'],
  geo: ['aws:geo:arn'],
};

function statementLabel(statement: PolicyStatement): string {
  return `statement ${statement.index + 1}${statement.sid ? ` "${statement.sid}"` : ''}`;
}

function coversAny(statement: PolicyStatement, actions: readonly string[]): string[] {
  return actions.filter((action) => statementCoversAction(statement, action));
}

function hasRestrictingCondition(statement: PolicyStatement, keys: readonly string[]): boolean {
  return statement.conditions.some((c) => keys.includes(c.key) && isRestrictive(c));
}

function principalText(p: PolicyPrincipal): string {
  return p.type === '*' ? '"*"' : `${p.type}:${p.value}`;
}

interface PolicyContext {
  account: string;
  thresholds: Thresholds;
}

function isAdminPrincipal(value: string, ctx: PolicyContext): boolean {
  if (isAccountRoot(value, ctx.account)) return true;
  const named = principalName(value);
  return named !== undefined && named.kind === 'role' && principalAccount(value) === ctx.account && matchesAdminPattern(named.name, ctx.thresholds.adminRoles);
}

function publicFindings(statement: PolicyStatement): KeyFinding[] {
  if (statement.effect !== 'Allow') return [];
  const out: KeyFinding[] = [];
  const label = statementLabel(statement);
  // Only "*" itself is anyone: IAM does not expand wildcards or policy variables inside a principal
  // ARN ("arn:aws:iam::*:root" matches no one; IAM User Guide, "AWS JSON policy elements:
  // Principal"), and the sandbox's evaluator (src/sandbox/policy-eval.ts) agrees.
  const anyone = (statement.principals ?? []).filter((p) => (p.type === '*' || p.type === 'AWS') && isAnyonePrincipal(p));
  if (anyone.length > 0 && !hasRestrictingCondition(statement, PUBLIC_RESTRICTING_KEYS)) {
    const all = coversAllKmsActions(statement);
    out.push({
      id: 'policy-public',
      severity: 'high',
      category: 'policy',
      subject: label,
      message: `${label} allows ${anyone.map(principalText).join(', ')} with no restricting condition${all ? ' — every KMS action' : ''}`,
      explanation:
        `A "*" principal without a condition such as kms:CallerAccount, aws:PrincipalOrgID, aws:SourceAccount or kms:ViaService lets any AWS account that can reach this key use it as far as the statement allows. ` +
        'Conditions with …IfExists or ForAllValues: do not count: they let requests without the key through. ' +
        'Fix: name the principals (role ARNs) instead of "*", or add "StringEquals": {"kms:CallerAccount": "<your account>"} (and kms:ViaService for a service-only key) to the statement.',
    });
  }
  const patterns = (statement.principals ?? []).filter((p) => p.type === 'AWS' && !isAnyonePrincipal(p) && isWildcardPrincipal(p));
  if (patterns.length > 0) {
    out.push({
      id: 'policy-principal-pattern',
      severity: 'low',
      category: 'policy',
      subject: label,
      message: `${label} names ${patterns.map(principalText).join(', ')}: a wildcard or variable in a principal matches no one`,
      explanation:
        'IAM does not expand wildcards or policy variables in the Principal element (IAM User Guide, "AWS JSON policy elements: Principal"), so this principal matches no caller: the access the statement was meant to give is missing, and replacing it with "*" would make the key public. ' +
        'Fix: name the principals exactly, or use Principal "*" with a restricting condition such as "StringEquals": {"aws:PrincipalOrgID": "<your organization>"} or "ArnLike": {"aws:PrincipalArn": "<pattern>"}.',
    });
  }
  if (statement.notPrincipals && statement.notPrincipals.length > 0) {
    out.push({
      id: 'policy-allow-not-principal',
      severity: 'high',
      category: 'policy',
      subject: label,
      message: `${label} uses Allow with NotPrincipal: everyone except ${statement.notPrincipals.map(principalText).join(', ')}`,
      explanation:
        'Allow together with NotPrincipal grants the actions to every principal in every account except the ones listed — almost never what was meant. ' +
        'Fix: replace NotPrincipal with Principal naming who should have access.',
    });
  }
  return out;
}

function privilegeFindings(statement: PolicyStatement, ctx: PolicyContext): KeyFinding[] {
  if (statement.effect !== 'Allow') return [];
  const out: KeyFinding[] = [];
  const label = statementLabel(statement);
  const principals = (statement.principals ?? []).filter((p) => p.type === 'AWS' && !isWildcardPrincipal(p) && !isAdminPrincipal(p.value, ctx));
  if (principals.length === 0) return out;
  const names = principals.map((p) => p.value).join(', ');
  if (coversAllKmsActions(statement)) {
    out.push({
      id: 'policy-kms-star-non-admin',
      severity: 'high',
      category: 'policy',
      subject: label,
      message: `${label} grants ${statement.notActions ? 'everything but a few actions (NotAction)' : 'kms:*'} to ${names}`,
      explanation:
        'kms:* lets the principal rewrite the key policy, create grants and schedule the key for deletion — in effect it can give itself or anyone else any permission on this key. ' +
        `Only the account root (which hands control to IAM) and admin roles (configured: ${ctx.thresholds.adminRoles.join(', ')}) should hold it. ` +
        'Fix: give this principal only the actions it uses (key users: kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey), or add its role to adminRoles in the keywarden config if it really is a key administrator.',
    });
    return out;
  }
  const destructive = coversAny(statement, DESTRUCTIVE_ACTIONS);
  const grantsUnguarded =
    statementCoversAction(statement, 'kms:CreateGrant') && !statement.conditions.some((c) => c.key === 'kms:grantisforawsresource' && isRestrictive(c) && c.values.includes('true'));
  const risky = [...destructive, ...(grantsUnguarded ? ['kms:CreateGrant'] : [])];
  if (risky.length > 0) {
    const crypto = coversAny(statement, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
    out.push({
      id: 'policy-admin-actions-non-admin',
      severity: crypto.length > 0 || destructive.includes('kms:PutKeyPolicy') ? 'high' : 'medium',
      category: 'policy',
      subject: label,
      message: `${label} grants ${risky.join(', ')}${crypto.length > 0 ? ` together with ${crypto.join(', ')}` : ''} to ${names}, not an admin role`,
      explanation:
        'These actions let the holder rewrite the policy, hand the key out through grants (CreateGrant without kms:GrantIsForAWSResource) or destroy it (ScheduleKeyDeletion). ' +
        `The principal is neither the account root nor a role matching the configured admin patterns (${ctx.thresholds.adminRoles.join(', ')}). ${crypto.length > 0 ? 'Holding them together with decryption defeats the separation between key administrators and key users. ' : ''}` +
        'Fix: move these actions to a key-administrator statement for an admin role; limit CreateGrant with "Bool": {"kms:GrantIsForAWSResource": "true"}; or add the role to adminRoles in the keywarden config if it is an administrator.',
    });
  }
  return out;
}

function crossAccountFindings(statement: PolicyStatement, ctx: PolicyContext): KeyFinding[] {
  if (statement.effect !== 'Allow') return [];
  const foreign = (statement.principals ?? []).filter((p) => p.type === 'AWS' && !isWildcardPrincipal(p)).filter((p) => {
    const account = principalAccount(p.value);
    return account !== undefined && account !== ctx.account;
  });
  if (foreign.length === 0) return [];
  const label = statementLabel(statement);
  const uses = coversAny(statement, USE_ACTIONS);
  const accounts = [...new Set(foreign.map((p) => principalAccount(p.value)!))];
  return [
    {
      id: 'policy-cross-account',
      severity: uses.length > 0 ? 'medium' : 'low',
      category: 'policy',
      subject: label,
      message: `${label} allows account${accounts.length === 1 ? '' : 's'} ${accounts.join(', ')}${uses.length > 0 ? ` to use the key (${uses.slice(0, 3).join(', ')}${uses.length > 3 ? ' …' : ''})` : ''}`,
      explanation:
        `Principals of another account (${foreign.map((p) => p.value).join(', ')}) are allowed by this key's policy; with an IAM policy on their side they can use the key${uses.includes('kms:CreateGrant') ? ' and create grants that pass it on' : ''}. IAM Access Analyzer reports the same as an AWS::KMS::Key finding. ` +
        'Fix: if the sharing is intended, record why (a tag or the statement Sid) and narrow it to the actions needed with an encryption-context or kms:ViaService condition; otherwise remove the principal.',
    },
  ];
}

function serviceFindings(statement: PolicyStatement, ctx: PolicyContext): KeyFinding[] {
  if (statement.effect !== 'Allow') return [];
  const services = (statement.principals ?? []).filter((p) => p.type === 'Service' || (p.type === 'AWS' && isServicePrincipal(p.value)));
  const label = statementLabel(statement);
  const out: KeyFinding[] = [];
  const uses = coversAny(statement, USE_ACTIONS);
  if (services.length > 0 && uses.length > 0 && !hasRestrictingCondition(statement, ['aws:sourcearn', 'aws:sourceaccount'])) {
    // An encryption-context condition naming our account (Fargate's aws:ecs:clusterAccount) narrows
    // the deputy to this account: still worth a note, not an alarm.
    const pinsAccount = statement.conditions.some((c) => c.key.startsWith('kms:encryptioncontext:') && isRestrictive(c) && c.values.some((v) => v.includes(ctx.account)));
    out.push({
      id: 'policy-service-no-source',
      severity: pinsAccount ? 'low' : 'medium',
      category: 'policy',
      subject: label,
      message: `${label} lets ${services.map((p) => p.value).join(', ')} use the key without aws:SourceArn or aws:SourceAccount`,
      explanation:
        'When a service principal is allowed to use a key, the service acts for whoever asks it to — including other accounts (the confused-deputy problem). ' +
        `aws:SourceArn / aws:SourceAccount tie the permission to your own resources.${pinsAccount ? ' Here an encryption-context condition already names this account, which narrows it.' : ''} ` +
        'Fix: add "ArnLike": {"aws:SourceArn": "<your resource ARN pattern>"} or "StringEquals": {"aws:SourceAccount": "<your account>"} to the statement, if the service supports them.',
    });
  }
  // The services behind this statement: service principals, and kms:ViaService values.
  const named = new Set<string>();
  for (const p of services) {
    const service = serviceOfPrincipal(p.value);
    if (service) named.add(service);
  }
  for (const c of conditionsOn(statement, 'kms:viaservice')) {
    if (!isRestrictive(c)) continue;
    for (const v of c.values) {
      const service = serviceOfPrincipal(v);
      if (service) named.add(service);
    }
  }
  const contextUses = coversAny(statement, CONTEXT_ACTIONS);
  if (contextUses.length === 0) return out;
  for (const service of [...named].sort()) {
    const documented = SERVICE_CONTEXT_KEYS[service];
    if (!documented) continue;
    const pinned = documented.some((key) => {
      const lower = key.toLowerCase();
      const exact = conditionsOn(statement, `kms:encryptioncontext:${lower}`).some((c) => isRestrictive(c));
      const keys = conditionsOn(statement, 'kms:encryptioncontextkeys').some(
        (c) => !c.ifExists && c.setOperator === 'ForAnyValue' && c.values.some((v) => v.toLowerCase() === lower),
      );
      return exact || keys;
    });
    if (pinned) continue;
    out.push({
      id: 'policy-service-no-context',
      severity: 'low',
      category: 'policy',
      subject: `${label} ${service}`,
      message: `${label} lets ${service} use the key without an encryption-context condition (${documented.join(' / ')})`,
      explanation:
        `${service} writes ${documented.map((k) => `"${k}"`).join(' and ')} into the encryption context of its calls. A condition on it binds the permission to the resources you mean, so the key cannot be used for anything else through the same service. ` +
        'Avoid ForAllValues: with kms:EncryptionContext:… (it also lets requests with no context through). ' +
        `Fix: add e.g. "StringLike": {"kms:EncryptionContext:${documented[0]}": "<your resource pattern>"} to the statement (only on the operations that take a context: putting it on DescribeKey would deny that).`,
    });
  }
  return out;
}

function deletedPrincipalFindings(statement: PolicyStatement): KeyFinding[] {
  const ids = [...(statement.principals ?? []), ...(statement.notPrincipals ?? [])].filter((p) => p.type === 'AWS' && looksLikeDeletedPrincipal(p.value));
  if (ids.length === 0) return [];
  const label = statementLabel(statement);
  return [
    {
      id: 'policy-deleted-principal',
      severity: 'low',
      category: 'policy',
      subject: label,
      message: `${label} names ${ids.map((p) => p.value).join(', ')}: a role or user that was deleted`,
      explanation:
        'IAM replaces a deleted role or user in a policy with its unique id (AROA…, AIDA…). A new role with the same name does NOT get this access back, so whatever relied on it is already broken. ' +
        'Fix: remove the id from the statement, or replace it with the ARN of the role that should have access now.',
    },
  ];
}

const DELETION_GUARD_KEYS = ['kms:schedulekeydeletionpendingwindowindays', 'kms:trailingdayswithoutkeyusage'];

function deletionGuardFinding(statements: readonly PolicyStatement[], ctx: PolicyContext): KeyFinding[] {
  const guardedByDeny = statements.some(
    (s) => s.effect === 'Deny' && statementCoversAction(s, 'kms:ScheduleKeyDeletion') && s.conditions.some((c) => DELETION_GUARD_KEYS.includes(c.key)),
  );
  if (guardedByDeny) return [];
  // Only where the key policy itself hands out deletion: the account root alone delegates to IAM,
  // where a guard belongs in the IAM policy (the AWS default key policy is not flagged).
  const unguarded = statements.filter(
    (s) =>
      s.effect === 'Allow' &&
      statementCoversAction(s, 'kms:ScheduleKeyDeletion') &&
      !s.conditions.some((c) => DELETION_GUARD_KEYS.includes(c.key)) &&
      (s.principals ?? []).some((p) => !(p.type === 'AWS' && isAccountRoot(p.value, ctx.account))),
  );
  if (unguarded.length === 0) return [];
  const who = [...new Set(unguarded.flatMap((s) => (s.principals ?? []).filter((p) => !(p.type === 'AWS' && isAccountRoot(p.value, ctx.account))).map(principalText)))];
  return [
    {
      id: 'policy-no-deletion-guard',
      severity: 'low',
      category: 'policy',
      subject: unguarded.map(statementLabel).join(', '),
      message: `${who.join(', ')} may schedule deletion with no guard condition`,
      explanation:
        'The key policy allows kms:ScheduleKeyDeletion with nothing that slows a mistake or an attacker down. ' +
        'Fix: add to the statement "NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"} (the longest waiting period), and "NumericGreaterThanEquals": {"kms:TrailingDaysWithoutKeyUsage": "30"} so a key used in the last 30 days cannot be scheduled for deletion (kms:TrailingDaysWithoutKeyUsage, added by AWS in April 2026) — or an equivalent Deny statement.',
    },
  ];
}

/** The Sid of the guard statement keywarden recommends (and `guard add` would write). */
export const GUARD_SID = 'KeywardenDenyDisableOrDeleteWhileInUse';

/**
 * The statement AWS recommends against disabling or deleting a key in use (KMS.md §11; AWS
 * Security Blog, 2026-06-02, "Identify unused AWS KMS keys and prevent accidental key deletions";
 * KMS Developer Guide, "Condition keys for AWS KMS", kms:TrailingDaysWithoutKeyUsage): deny
 * kms:DisableKey and kms:ScheduleKeyDeletion to everyone while the key was used within `days`
 * days, except a named break-glass role. It never denies kms:PutKeyPolicy, so whoever may change
 * the policy keeps the right to change it back.
 */
export function guardStatement(days: number, breakGlassRole?: string): Record<string, unknown> {
  return {
    Sid: GUARD_SID,
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
    Resource: '*',
    Condition: {
      NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': String(days) },
      ...(breakGlassRole ? { ArnNotEquals: { 'aws:PrincipalArn': breakGlassRole } } : {}),
    },
  };
}

const GUARDED_ACTIONS = ['kms:DisableKey', 'kms:ScheduleKeyDeletion'];

/**
 * Whether the policy guards `action` with condition `key`: a Deny covering the action that
 * carries it, or — every Allow covering the action carries it (an Allow without it, such as the
 * account root's kms:*, lets IAM policies allow the action unguarded).
 */
function guardedBy(statements: readonly PolicyStatement[], action: string, key: string): boolean {
  const covering = statements.filter((s) => statementCoversAction(s, action));
  if (covering.some((s) => s.effect === 'Deny' && s.conditions.some((c) => c.key === key))) return true;
  const allows = covering.filter((s) => s.effect === 'Allow');
  return allows.length > 0 && allows.every((s) => s.conditions.some((c) => c.key === key));
}

/** Whether a key policy has a kms:TrailingDaysWithoutKeyUsage guard or a kms:ScheduleKeyDeletionPendingWindowInDays minimum. */
export function hasUsageGuard(statements: readonly PolicyStatement[]): boolean {
  return (
    GUARDED_ACTIONS.some((action) => guardedBy(statements, action, 'kms:trailingdayswithoutkeyusage')) ||
    guardedBy(statements, 'kms:ScheduleKeyDeletion', 'kms:schedulekeydeletionpendingwindowindays')
  );
}

function usageGuardFinding(statements: readonly PolicyStatement[], ctx: PolicyContext): KeyFinding[] {
  if (hasUsageGuard(statements)) return [];
  const days = ctx.thresholds.guardDays ?? DEFAULT_GUARD_DAYS;
  const statement = guardStatement(days, ctx.thresholds.breakGlassRole);
  return [
    {
      id: 'policy-no-usage-guard',
      severity: 'low',
      category: 'policy',
      message: 'no guard against disabling or deleting the key while it is in use (kms:TrailingDaysWithoutKeyUsage, kms:ScheduleKeyDeletionPendingWindowInDays)',
      explanation:
        'The key policy has neither a kms:TrailingDaysWithoutKeyUsage condition on DisableKey/ScheduleKeyDeletion nor a kms:ScheduleKeyDeletionPendingWindowInDays minimum: anyone IAM allows can disable or schedule the deletion of this key the day after a workload used it. ' +
        '(A guard in an Organizations SCP is not visible from the key: if yours carries one, suppress this finding in config.json with that reason.) ' +
        `Fix: keywarden guard add KEY${ctx.thresholds.guardDays !== undefined && ctx.thresholds.guardDays !== DEFAULT_GUARD_DAYS ? ` --days ${days}` : ''} (previews the diff, asks, journals), which adds this statement to the key policy (it denies both while the key was used within ${days} days${ctx.thresholds.breakGlassRole ? `, except ${ctx.thresholds.breakGlassRole}` : ''}; it never denies kms:PutKeyPolicy): ${JSON.stringify(statement)}`,
      statement,
    },
  ];
}

/** Findings on one key policy (JSON text or object). A policy that cannot be parsed is itself a finding. */
export function policyFindings(policy: unknown, account: string, thresholds: Thresholds = DEFAULT_THRESHOLDS): KeyFinding[] {
  const parsed = parsePolicy(policy);
  if (!parsed.ok) {
    return [
      {
        id: 'policy-unparseable',
        severity: 'medium',
        category: 'policy',
        message: `the key policy cannot be parsed: ${parsed.error}`,
        explanation: 'keywarden could not read the policy, so none of its checks ran on it. Fix: read it (keywarden show KEY --json) and check it by hand, or rewrite it with PutKeyPolicy.',
      },
    ];
  }
  const ctx: PolicyContext = { account, thresholds };
  const out: KeyFinding[] = [];
  for (const statement of parsed.statements) {
    out.push(...publicFindings(statement), ...privilegeFindings(statement, ctx), ...crossAccountFindings(statement, ctx), ...serviceFindings(statement, ctx), ...deletedPrincipalFindings(statement));
  }
  out.push(...deletionGuardFinding(parsed.statements, ctx), ...usageGuardFinding(parsed.statements, ctx));
  if (parsed.problems.length > 0) {
    out.push({
      id: 'policy-parts-ignored',
      severity: 'info',
      category: 'policy',
      message: `${parsed.problems.length} part${parsed.problems.length === 1 ? '' : 's'} of the policy not understood: ${parsed.problems.slice(0, 2).join('; ')}${parsed.problems.length > 2 ? ' …' : ''}`,
      explanation: 'These parts were left out of the checks. Fix: read the policy and check them by hand.',
    });
  }
  return sortFindings(out);
}

// ---------------------------------------------------------------------------------------------
// Grants

const SERVICE_GRANTEE = /:assumed-role\/aws:ec2-infrastructure\/|^\d{12}:aws:ec2-infrastructure/;

function isServiceGrantee(principal: string | undefined): boolean {
  return principal !== undefined && (isServicePrincipal(principal) || SERVICE_GRANTEE.test(principal));
}

function grantSignature(grant: Grant): string {
  const sortObject = (o: Record<string, string> | undefined) => (o ? Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)) : null);
  return JSON.stringify([
    grant.granteePrincipal ?? '',
    grant.retiringPrincipal ?? '',
    [...grant.operations].sort(),
    sortObject(grant.constraints?.encryptionContextSubset),
    sortObject(grant.constraints?.encryptionContextEquals),
    grant.constraints?.sourceArn ?? null,
  ]);
}

const CONTEXT_OPERATIONS = new Set(['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'CreateGrant']);

/** Findings on a key's grants. */
export function grantFindings(grants: readonly Grant[], account: string): KeyFinding[] {
  const out: KeyFinding[] = [];
  for (const grant of grants) {
    const grantee = grant.granteePrincipal;
    if (grantee && !isServiceGrantee(grantee)) {
      if (looksLikeDeletedPrincipal(grantee)) {
        out.push({
          id: 'grant-deleted-grantee',
          severity: 'low',
          category: 'grants',
          subject: grant.grantId,
          message: `grant ${grant.grantId.slice(0, 12)}… is for ${grantee}, which looks like a deleted role or user`,
          explanation:
            'The grantee is shown as a unique id (AROA…, AIDA…) rather than an ARN: the principal it named was deleted, and a new one with the same name does not inherit the grant. ' +
            'Fix: revoke the grant (keywarden grants revoke KEY GRANT_ID).',
        });
      } else {
        const grantAccount = principalAccount(grantee);
        if (grantAccount !== undefined && grantAccount !== account) {
          out.push({
            id: 'grant-cross-account',
            severity: 'medium',
            category: 'grants',
            subject: grant.grantId,
            message: `grant ${grant.grantId.slice(0, 12)}… gives ${grant.operations.join(', ') || 'nothing'} to account ${grantAccount}`,
            explanation:
              `The grantee ${grantee} belongs to another account; a grant lets it use the key without any change to the key policy, and it is easy to forget. ` +
              'Fix: if the sharing is intended, record why; otherwise revoke the grant (keywarden grants revoke KEY GRANT_ID).',
          });
        }
      }
      const constrained = grant.constraints && (grant.constraints.encryptionContextSubset || grant.constraints.encryptionContextEquals || grant.constraints.sourceArn);
      if (!constrained && grant.operations.some((op) => CONTEXT_OPERATIONS.has(op))) {
        out.push({
          id: 'grant-unconstrained',
          severity: 'medium',
          category: 'grants',
          subject: grant.grantId,
          message: `grant ${grant.grantId.slice(0, 12)}… gives ${grant.operations.join(', ')} to ${grantee} with no constraints`,
          explanation:
            'A grant without an encryption-context constraint lets the grantee use the key on any data, for as long as the grant exists (grants do not expire). ' +
            'Fix: revoke it and create it again with EncryptionContextSubset naming the resource it is for (keywarden grants revoke KEY GRANT_ID).',
        });
      }
    }
  }
  // Duplicates: the same grantee, retiring principal, operations and constraints. Services create one
  // grant per resource or task on purpose, so only grants to other principals are compared.
  const groups = new Map<string, Grant[]>();
  for (const grant of grants) {
    if (isServiceGrantee(grant.granteePrincipal) || isServiceGrantee(grant.retiringPrincipal)) continue;
    const signature = grantSignature(grant);
    groups.set(signature, [...(groups.get(signature) ?? []), grant]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const first = group[0]!;
    out.push({
      id: 'grant-duplicate',
      severity: 'low',
      category: 'grants',
      subject: group.map((g) => g.grantId).join(','),
      message: `${group.length} identical grants to ${first.granteePrincipal ?? 'an unknown grantee'} (${first.operations.join(', ')})`,
      explanation:
        `Grants ${group.map((g) => g.grantId.slice(0, 12)).join(', ')} give the same operations with the same constraints to the same principal. Extra copies add nothing but make an audit or a revocation easy to get wrong (revoking one leaves the others). ` +
        'Fix: keep one and revoke the rest (keywarden grants revoke KEY GRANT_ID).',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Everything about one key

export interface KeyFindingsInput {
  /** The key: its detail (policy and grants included) or just its inventory row. */
  key: KeyDetail | KeyRow;
  /** The policy, when `key` is a row (overrides the detail's). */
  policy?: string | ReadProblem;
  /** The grants, when `key` is a row (overrides the detail's). */
  grants?: Grant[] | ReadProblem;
  /** The key's retirement record, if it has one. */
  retirement?: RetirementRecord;
  /** When the key was disabled (CloudTrail DisableKey), if known. */
  disabledSince?: string;
  now: Date;
  thresholds: Thresholds;
  /** The caller's account; the key's own account when empty. */
  account: string;
}

function isKeyDetail(key: KeyDetail | KeyRow): key is KeyDetail {
  return 'row' in key && typeof (key as KeyDetail).row === 'object';
}

/**
 * Every finding on one key: rotation and usage from its row, and — when known — its policy and
 * grants. AWS managed keys get none: their policy, rotation and grants are AWS's to manage.
 */
export function findingsForKey(input: KeyFindingsInput): KeyFinding[] {
  const detail = isKeyDetail(input.key) ? input.key : undefined;
  const row = detail ? detail.row : (input.key as KeyRow);
  const meta = row.metadata;
  if (!meta || meta.keyManager === 'AWS') return [];
  const account = meta.accountId || input.account;
  const out: KeyFinding[] = [...rotationFindings(row, input.thresholds), ...usageFindings(row, input.thresholds, input.now, input.retirement, input.disabledSince)];
  const policy = input.policy ?? detail?.policy ?? row.access?.policy;
  if (policy === undefined) out.push(policyPendingFinding());
  if (typeof policy === 'string') out.push(...policyFindings(policy, account, input.thresholds));
  else if (policy && isReadProblem(policy)) {
    out.push({
      id: 'policy-unreadable',
      severity: 'info',
      category: 'policy',
      message: `the key policy could not be read: ${policy.message}`,
      explanation: 'The policy checks did not run. Fix: read it with a principal allowed kms:GetKeyPolicy.',
    });
  }
  const grants = input.grants ?? detail?.grants ?? row.access?.grants;
  if (Array.isArray(grants)) out.push(...grantFindings(grants, account));
  else if (grants && isReadProblem(grants)) {
    out.push({
      id: 'grants-unreadable',
      severity: 'info',
      category: 'grants',
      message: `the grants could not be read: ${grants.message}`,
      explanation: 'The grant checks did not run. Fix: read them with a principal allowed kms:ListGrants.',
    });
  }
  return sortFindings(out);
}
