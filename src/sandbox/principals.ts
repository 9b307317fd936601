// Who calls the sandbox, and what their account's IAM lets them do. A key policy that allows the
// account (`arn:aws:iam::<acct>:root`) leaves the decision to IAM; the sandbox models IAM as one
// small identity policy per seeded principal (docs/sandbox.md, "Callers"). Nothing else of IAM is
// modelled: no groups, managed-policy attachments, SCPs, permission boundaries or session policies.

import { SANDBOX_ACCOUNT, SANDBOX_CALLER_ARN, SANDBOX_CREDENTIALS } from './constants.js';
import { uuidFor } from './crypto.js';
import { readPolicy } from './policy-eval.js';
import { ANALYTICS_ACCOUNT, memberRole, PAYMENTS_ACCOUNT } from './organization.js';
import type { PolicyStatement } from '../domain/policy.js';

const ACCOUNT = SANDBOX_ACCOUNT;
/** The account of the seeded outside principal. */
export const OTHER_ACCOUNT = '444455556666';

/** A seeded key's ARN in us-east-1 (seed.ts names keys by a seed name). */
function seededKeyArn(name: string): string {
  return `arn:aws:kms:us-east-1:${ACCOUNT}:key/${uuidFor(name)}`;
}

function identity(statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

const READ_ONLY_KMS = ['kms:Describe*', 'kms:Get*', 'kms:List*'];
const USE_KMS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/** Identity policies by principal: role name (for its sessions) or IAM user ARN. */
const ROLE_POLICIES: Record<string, string> = {
  // The operator: administrator of the account (AdministratorAccess).
  KeywardenOperator: identity([{ Effect: 'Allow', Action: '*', Resource: '*' }]),
  // A read-only auditor (the KMS part of ReadOnlyAccess / SecurityAudit).
  KeywardenAuditor: identity([{ Effect: 'Allow', Action: READ_ONLY_KMS, Resource: '*' }]),
  // The payments application: uses its own key, nothing else.
  PaymentsApi: identity([{ Effect: 'Allow', Action: USE_KMS, Resource: seededKeyArn('payments-db') }]),
  // Workloads (src/sandbox/workloads.ts).
  AWSServiceRoleForAutoScaling: identity([
    { Effect: 'Allow', Action: USE_KMS, Resource: '*' },
    { Effect: 'Allow', Action: 'kms:CreateGrant', Resource: '*', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
  ]),
  OrdersService: identity([{ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: seededKeyArn('orders-queue') }]),
  FulfilmentWorker: identity([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: seededKeyArn('orders-queue') }]),
  ReportingEtl: identity([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: seededKeyArn('legacy-reporting') }]),
  BatchRunner: identity([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: seededKeyArn('legacy-batch') }]),
  // The Image Builder workflow role has no KMS permission of its own (the key policy names another role).
  ImageBuilderWorkflowRole: identity([{ Effect: 'Allow', Action: ['imagebuilder:*', 's3:GetObject'], Resource: '*' }]),
  KeyAdmins: identity([{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }]),
};

/** Identity policies of principals in the other account (their own account's IAM). */
const OTHER_ACCOUNT_ROLE_POLICIES: Record<string, string> = {
  // Allowed every KMS action on the sandbox account's keys by its own account: key policies decide.
  PartnerAnalytics: identity([{ Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:*:${ACCOUNT}:key/*` }]),
};

export interface SeededCaller {
  name: string;
  accessKeyId: string;
  arn: string;
  userId: string;
  account: string;
  description: string;
}

/** The callers a client can be: each has its own access key (the secret is not checked). */
export const SEEDED_CALLERS: readonly SeededCaller[] = [
  {
    name: 'operator',
    accessKeyId: SANDBOX_CREDENTIALS.accessKeyId,
    arn: SANDBOX_CALLER_ARN,
    userId: 'AROAKEYWARDENOPERATOR:operator',
    account: ACCOUNT,
    description: 'administrator: every action',
  },
  {
    // A second key administrator: "someone else" who changes keys while keywarden works.
    name: 'colleague',
    accessKeyId: 'AKIAKEYWARDENCOLLEAGUE',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/KeyAdmins/colleague`,
    userId: 'AROAKEYWARDENKEYADMINS:colleague',
    account: ACCOUNT,
    description: 'a colleague administering keys: kms:*',
  },
  {
    name: 'auditor',
    accessKeyId: 'AKIAKEYWARDENAUDITOR',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/KeywardenAuditor/auditor`,
    userId: 'AROAKEYWARDENAUDITOR:auditor',
    account: ACCOUNT,
    description: 'read-only: kms:Describe*, kms:Get*, kms:List*',
  },
  {
    name: 'application',
    accessKeyId: 'AKIAKEYWARDENAPPROLE',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/PaymentsApi/payments-api-local`,
    userId: 'AROAKEYWARDENPAYMENTS:payments-api-local',
    account: ACCOUNT,
    description: 'uses the payments-db key (Encrypt, Decrypt, GenerateDataKey*, DescribeKey) and nothing else',
  },
  {
    // A workload of a member account using keys of another member account (organization.ts).
    name: 'analytics-etl',
    accessKeyId: 'AKIAKEYWARDENANALYTICS',
    arn: `arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/AnalyticsEtl/etl-nightly`,
    userId: 'AROAKEYWARDENANALYTICSETL:etl-nightly',
    account: ANALYTICS_ACCOUNT,
    description: `analytics-prod's ETL role: its IAM allows Decrypt, DescribeKey and GenerateDataKey on payments-prod's (${PAYMENTS_ACCOUNT}) keys and its own`,
  },
  {
    name: 'reporting-batch',
    accessKeyId: 'AKIAKEYWARDENREPORTING',
    arn: `arn:aws:sts::${ANALYTICS_ACCOUNT}:assumed-role/ReportingBatch/reports`,
    userId: 'AROAKEYWARDENREPORTINGBATCH:reports',
    account: ANALYTICS_ACCOUNT,
    description: "analytics-prod's reporting role: its IAM allows use of its own account's keys only",
  },
  {
    name: 'other-account',
    accessKeyId: 'AKIAKEYWARDENPARTNER',
    arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/PartnerAnalytics/partner`,
    userId: 'AROAKEYWARDENPARTNER:partner',
    account: OTHER_ACCOUNT,
    description: `a role in account ${OTHER_ACCOUNT}; its account allows kms:* on this account's keys, so key policies decide`,
  },
];

export function seededCaller(accessKeyId: string): SeededCaller | undefined {
  return SEEDED_CALLERS.find((c) => c.accessKeyId === accessKeyId);
}

const parsed = new Map<string, PolicyStatement[]>();

function statementsOf(text: string): PolicyStatement[] {
  let statements = parsed.get(text);
  if (!statements) parsed.set(text, (statements = readPolicy(text)));
  return statements;
}

/**
 * The identity policy of a caller (an assumed-role session or role by its role name, within its
 * account); undefined for service principals, IAM users and unknown roles: no identity Allow.
 */
export function identityPolicyOf(arn: string): PolicyStatement[] | undefined {
  const role = /^arn:aws[\w-]*:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn) ?? /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!role) return undefined;
  const table = role[1] === ACCOUNT ? ROLE_POLICIES : role[1] === OTHER_ACCOUNT ? OTHER_ACCOUNT_ROLE_POLICIES : undefined;
  const text = table ? (Object.hasOwn(table, role[2]!) ? table[role[2]!] : undefined) : memberRole(role[1]!, role[2]!)?.identity;
  return text ? statementsOf(text) : undefined;
}

/**
 * A role of the management account or the outside account, for STS AssumeRole: each trusts its own
 * account (its IAM decides who may assume it). Member accounts' roles: organization.ts.
 */
export function ownAccountRole(account: string, name: string): { trust: string; identity: string } | undefined {
  const table = account === ACCOUNT ? ROLE_POLICIES : account === OTHER_ACCOUNT ? OTHER_ACCOUNT_ROLE_POLICIES : undefined;
  if (!table || !Object.hasOwn(table, name)) return undefined;
  return {
    trust: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] }] }),
    identity: table[name]!,
  };
}
