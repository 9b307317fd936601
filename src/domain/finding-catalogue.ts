// The finding catalogue: one entry per finding keywarden reports — its stable id, its usual
// severity, what it checks, why it matters, the fix, and the AWS documentation it rests on. The
// views, `list --json`, `keywarden findings` (table, JSON, SARIF rules, ASFF) and
// `keywarden findings --catalogue` all read it. Ids never change once released: scripts,
// suppressions in config.json and SARIF baselines refer to them.

import type { FindingCategory, KeyFinding, Severity } from './findings.js';

export interface CatalogueEntry {
  id: string;
  /** The severity the finding usually has; some findings are lower when a condition narrows them. */
  severity: Severity;
  category: FindingCategory;
  /** A short title (SARIF rule name, ASFF Title prefix, the table's heading). */
  title: string;
  /** What is checked, in one sentence. */
  checks: string;
  /** Why it matters. */
  why: string;
  /** What to do about it. */
  fix: string;
  /** The AWS documentation the check rests on. */
  docs: string;
}

const KMS_DG = 'https://docs.aws.amazon.com/kms/latest/developerguide';

export const FINDING_CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: 'policy-public',
    severity: 'high',
    category: 'policy',
    title: 'Key policy allows any principal',
    checks: 'An Allow statement whose principal is "*" (or {"AWS": "*"}) with no condition that limits the caller to known accounts, organizations or services.',
    why: 'Any AWS account that can reach the key can use it as far as the statement allows.',
    fix: 'Name the principals, or add kms:CallerAccount / aws:PrincipalOrgID (and kms:ViaService for a service-only key) to the statement.',
    docs: `${KMS_DG}/key-policy-overview.html`,
  },
  {
    id: 'policy-principal-pattern',
    severity: 'low',
    category: 'policy',
    title: 'Key policy principal with a wildcard or variable matches no one',
    checks: 'A principal ARN holding "*", "?" or a policy variable (arn:aws:iam::*:root, …).',
    why: 'IAM does not expand wildcards or policy variables in the Principal element: the statement matches no one, so the access it was meant to give is silently missing — and "fixing" it by writing "*" would make the key public.',
    fix: 'Name the principals exactly, or use Principal "*" with a restricting condition such as aws:PrincipalOrgID or aws:PrincipalArn (ArnLike).',
    docs: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html',
  },
  {
    id: 'policy-allow-not-principal',
    severity: 'high',
    category: 'policy',
    title: 'Key policy uses Allow with NotPrincipal',
    checks: 'An Allow statement with NotPrincipal.',
    why: 'It allows every principal in every account except the ones listed.',
    fix: 'Replace NotPrincipal with Principal naming who should have access.',
    docs: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html',
  },
  {
    id: 'policy-kms-star-non-admin',
    severity: 'high',
    category: 'policy',
    title: 'kms:* for a principal that is not a key administrator',
    checks: 'An Allow of every KMS action to a principal that is neither the account root nor a configured admin role.',
    why: 'kms:* includes PutKeyPolicy, CreateGrant and ScheduleKeyDeletion: the holder can give anyone any permission on the key, or destroy it.',
    fix: 'Give the principal only the actions it uses, or add its role to thresholds.adminRoles in config.json if it is a key administrator.',
    docs: `${KMS_DG}/least-privilege.html`,
  },
  {
    id: 'policy-admin-actions-non-admin',
    severity: 'high',
    category: 'policy',
    title: 'Administrative KMS actions for a principal that is not a key administrator',
    checks: 'PutKeyPolicy, ScheduleKeyDeletion, DeleteImportedKeyMaterial or an unconditioned CreateGrant allowed to a principal that is not an admin role.',
    why: 'These actions rewrite the policy, hand the key out or destroy it; together with decryption they defeat the separation of key administrators and users.',
    fix: 'Move them to a key-administrator statement; limit CreateGrant with kms:GrantIsForAWSResource.',
    docs: `${KMS_DG}/key-policy-default.html`,
  },
  {
    id: 'policy-cross-account',
    severity: 'medium',
    category: 'policy',
    title: 'Key policy allows another account',
    checks: 'An Allow statement naming a principal of another account.',
    why: 'With an IAM policy on their side, principals of that account can use the key (and pass it on through grants).',
    fix: 'Record why the sharing is intended and narrow it, or remove the principal.',
    docs: `${KMS_DG}/key-policy-modifying-external-accounts.html`,
  },
  {
    id: 'policy-service-no-source',
    severity: 'medium',
    category: 'policy',
    title: 'Service principal without aws:SourceArn or aws:SourceAccount',
    checks: 'A service principal allowed to use the key with no aws:SourceArn / aws:SourceAccount condition (low when an encryption-context condition already names the account).',
    why: 'The service acts for whoever asks it: without these conditions another account can have the service use your key (the confused deputy).',
    fix: 'Add "ArnLike": {"aws:SourceArn": …} or "StringEquals": {"aws:SourceAccount": …} to the statement.',
    docs: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html',
  },
  {
    id: 'policy-service-no-context',
    severity: 'low',
    category: 'policy',
    title: 'Service use without an encryption-context condition',
    checks: 'A statement letting a service use the key without a condition on the encryption-context key that service documents.',
    why: 'Without it the key can be used through the same service for any resource, not just the ones you meant.',
    fix: 'Add a kms:EncryptionContext:<key> condition naming your resources (only on operations that take a context).',
    docs: `${KMS_DG}/conditions-kms.html#conditions-kms-encryption-context`,
  },
  {
    id: 'policy-deleted-principal',
    severity: 'low',
    category: 'policy',
    title: 'Key policy names a deleted role or user',
    checks: 'A principal shown as a unique id (AROA…, AIDA…) instead of an ARN.',
    why: 'IAM replaces a deleted principal by its id; a new role with the same name does not get the access back, so whatever relied on it is already broken.',
    fix: 'Remove the id, or replace it with the ARN of the principal that should have access now.',
    docs: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles',
  },
  {
    id: 'policy-no-deletion-guard',
    severity: 'low',
    category: 'policy',
    title: 'Principals may schedule deletion with no guard condition',
    checks: 'The key policy itself allows kms:ScheduleKeyDeletion to principals other than the account root, with no waiting-period or trailing-use condition and no Deny that guards it.',
    why: 'Nothing slows a mistake or an attacker down before the key — and everything encrypted under it — is gone.',
    fix: 'Add a kms:ScheduleKeyDeletionPendingWindowInDays minimum and a kms:TrailingDaysWithoutKeyUsage guard to the statement, or an equivalent Deny.',
    docs: `${KMS_DG}/deleting-keys-adding-permission.html`,
  },
  {
    id: 'policy-no-usage-guard',
    severity: 'low',
    category: 'policy',
    title: 'No guard against disabling or deleting a key in use',
    checks: 'The key policy has neither a kms:TrailingDaysWithoutKeyUsage guard on DisableKey/ScheduleKeyDeletion nor a kms:ScheduleKeyDeletionPendingWindowInDays minimum.',
    why: 'Nothing in the policy stops anyone allowed to (an IAM administrator, an automation) from disabling or scheduling the deletion of a key that workloads used yesterday.',
    fix: 'keywarden guard add KEY: the Deny statement AWS recommends — deny kms:DisableKey and kms:ScheduleKeyDeletion while kms:TrailingDaysWithoutKeyUsage is at most N days (optionally exempting a break-glass role); it never denies kms:PutKeyPolicy.',
    docs: `${KMS_DG}/conditions-kms.html`,
  },
  {
    id: 'policy-unparseable',
    severity: 'medium',
    category: 'policy',
    title: 'Key policy cannot be parsed',
    checks: 'The policy text is not a JSON policy document.',
    why: 'None of the policy checks ran on it.',
    fix: 'Read the policy and check it by hand, or rewrite it with PutKeyPolicy.',
    docs: `${KMS_DG}/key-policy-overview.html`,
  },
  {
    id: 'policy-parts-ignored',
    severity: 'info',
    category: 'policy',
    title: 'Parts of the key policy not understood',
    checks: 'Statements or elements the policy reader could not interpret.',
    why: 'They were left out of the checks.',
    fix: 'Read the policy and check those parts by hand.',
    docs: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html',
  },
  {
    id: 'policy-unreadable',
    severity: 'info',
    category: 'policy',
    title: 'Key policy could not be read',
    checks: 'GetKeyPolicy failed for the key.',
    why: 'The policy checks did not run.',
    fix: 'Read it with a principal allowed kms:GetKeyPolicy.',
    docs: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html',
  },
  {
    id: 'policy-pending',
    severity: 'info',
    category: 'policy',
    title: 'Policy and grant checks pending',
    checks: 'The key policy and grants have not been read yet (GetKeyPolicy, ListGrants are read in the background within their quotas).',
    why: 'Until they are read the policy and grant findings cannot be known: this is not a clean bill of health.',
    fix: 'Wait for the reading to reach the key (select it to read it next).',
    docs: `${KMS_DG}/requests-per-second.html`,
  },
  {
    id: 'grant-deleted-grantee',
    severity: 'low',
    category: 'grants',
    title: 'Grant for a deleted role or user',
    checks: 'A grant whose grantee is a unique id (AROA…, AIDA…) instead of an ARN.',
    why: 'The principal it named was deleted; a new one with the same name does not inherit the grant.',
    fix: 'Revoke the grant (keywarden grants revoke KEY GRANT_ID).',
    docs: `${KMS_DG}/grant-manage.html`,
  },
  {
    id: 'grant-cross-account',
    severity: 'medium',
    category: 'grants',
    title: 'Grant to another account',
    checks: 'A grant whose grantee belongs to another account.',
    why: 'A grant gives access without any change to the key policy and is easily forgotten.',
    fix: 'Record why if intended; otherwise revoke it.',
    docs: `${KMS_DG}/grants.html`,
  },
  {
    id: 'grant-unconstrained',
    severity: 'medium',
    category: 'grants',
    title: 'Grant without an encryption-context constraint',
    checks: 'A grant of cryptographic operations to a principal that is not an AWS service, with no EncryptionContextSubset / EncryptionContextEquals constraint.',
    why: 'The grantee may use the key on any data for as long as the grant exists (grants do not expire).',
    fix: 'Revoke it and create it again with a constraint naming the resource it is for.',
    docs: `${KMS_DG}/grant-constraints.html`,
  },
  {
    id: 'grant-duplicate',
    severity: 'low',
    category: 'grants',
    title: 'Identical grants',
    checks: 'Two or more grants with the same grantee, retiring principal, operations and constraints (service grants excepted).',
    why: 'Extra copies add nothing but make a revocation easy to get wrong.',
    fix: 'Keep one and revoke the rest.',
    docs: `${KMS_DG}/grant-manage.html`,
  },
  {
    id: 'grants-unreadable',
    severity: 'info',
    category: 'grants',
    title: 'Grants could not be read',
    checks: 'ListGrants failed for the key.',
    why: 'The grant checks did not run.',
    fix: 'Read them with a principal allowed kms:ListGrants.',
    docs: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_ListGrants.html',
  },
  {
    id: 'rotation-off',
    severity: 'medium',
    category: 'rotation',
    title: 'Automatic rotation is off',
    checks: 'An enabled symmetric key with AWS_KMS material, not a replica, whose automatic rotation is off.',
    why: 'The same key material protects data for as long as the key lives.',
    fix: 'keywarden rotation enable KEY --period DAYS (old material is kept, existing ciphertext still decrypts).',
    docs: `${KMS_DG}/rotate-keys.html`,
  },
  {
    id: 'rotation-period-long',
    severity: 'low',
    category: 'rotation',
    title: 'Rotation period longer than the configured maximum',
    checks: 'Automatic rotation on with a period above thresholds.maxRotationDays.',
    why: 'The material is rotated less often than your standard asks.',
    fix: 'keywarden rotation enable KEY --period DAYS (90–2560).',
    docs: `${KMS_DG}/rotate-keys.html#rotation-period`,
  },
  {
    id: 'usage-pending',
    severity: 'info',
    category: 'usage',
    title: 'Usage checks pending',
    checks: 'The key\'s last use (GetKeyLastUsage, 5 requests per second) has not been read yet.',
    why: 'Until it is, "unused", "disabled long" and "pending deletion while used" cannot be known: this is not a clean bill of health.',
    fix: 'Wait for the reading to reach the key, or read it now (r).',
    docs: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html',
  },
  {
    id: 'unused',
    severity: 'medium',
    category: 'usage',
    title: 'Enabled key not used',
    checks: 'An enabled key whose last successful cryptographic use (GetKeyLastUsage, read against TrackingStartDate) is older than thresholds.unusedDays (low when use before tracking began is unknown).',
    why: 'An unused key costs money and widens what a leaked credential can reach.',
    fix: 'Confirm in CloudTrail that nothing depends on it, then retire it (keywarden retire start KEY).',
    docs: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html',
  },
  {
    id: 'disabled-no-retirement',
    severity: 'low',
    category: 'usage',
    title: 'Disabled long with no retirement in progress',
    checks: 'A key disabled (or idle while disabled) for more than thresholds.disabledDays with no retirement recorded.',
    why: 'A key in limbo still costs money, and nobody watches for a workload that still needs it.',
    fix: 'Enable it again, or finish the job with keywarden retire start KEY.',
    docs: `${KMS_DG}/deleting-keys.html`,
  },
  {
    id: 'pending-deletion-used-recently',
    severity: 'high',
    category: 'usage',
    title: 'Pending deletion but used recently',
    checks: 'A key pending deletion whose last successful use is within thresholds.recentUseDays.',
    why: 'Once the key is deleted, anything encrypted under it is lost for good.',
    fix: 'Cancel the deletion now (keywarden retire rollback KEY), find the caller, and retire only after a watch sees no use.',
    docs: `${KMS_DG}/deleting-keys-creating-cloudwatch-alarm.html`,
  },
];

const BY_ID = new Map(FINDING_CATALOGUE.map((entry) => [entry.id, entry]));

/** The catalogue entry of a finding id, if there is one. */
export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return BY_ID.get(id);
}

/** Every catalogued id. */
export function catalogueIds(): string[] {
  return FINDING_CATALOGUE.map((entry) => entry.id);
}

/** A finding as scripts see it (`list --json`, `keywarden findings --json`). */
export interface FindingRecord {
  id: string;
  severity: Severity;
  category: FindingCategory;
  title: string;
  /** What was found on this key (may quote AWS text). */
  evidence: string;
  /** What to do about it on this key. */
  fix: string;
  subject?: string;
  docs?: string;
  /** A statement to add to the key policy, when the fix is one (the guard finding). */
  statement?: unknown;
}

/** The "Fix: …" part of a finding's explanation (or the catalogue's fix). */
export function fixOf(finding: KeyFinding): string {
  const at = finding.explanation.lastIndexOf('Fix: ');
  if (at >= 0) return finding.explanation.slice(at + 'Fix: '.length).trim();
  return catalogueEntry(finding.id)?.fix ?? '';
}

export function toFindingRecord(finding: KeyFinding): FindingRecord {
  const entry = catalogueEntry(finding.id);
  return {
    id: finding.id,
    severity: finding.severity,
    category: finding.category,
    title: entry?.title ?? finding.id,
    evidence: finding.message,
    fix: fixOf(finding),
    ...(finding.subject !== undefined ? { subject: finding.subject } : {}),
    ...(entry ? { docs: entry.docs } : {}),
    ...(finding.statement !== undefined ? { statement: finding.statement } : {}),
  };
}
