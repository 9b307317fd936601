// AWS Organizations (awsJson1_1, `AWSOrganizationsV20161128.<Op>`, SigV4 service `organizations`):
// the read calls keywarden's `--org` makes — DescribeOrganization, ListAccounts, ListRoots,
// ListOrganizationalUnitsForParent, ListAccountsForParent — over the organization of
// organization.ts, with AWS's pagination (MaxResults 1–20, opaque NextToken) and errors
// (Organizations API reference, each operation's "Errors"):
//
// - AWSOrganizationsNotInUseException "Your account is not a member of an organization." for an
//   account outside the organization;
// - AccessDeniedException "You don't have permissions to access this resource." when a member
//   account (not the management account, no delegated administrator in the sandbox) calls the
//   List operations (DescribeOrganization is allowed to every member), and when the caller's IAM
//   does not allow the organizations: action;
// - ParentNotFoundException "We can't find a root or OU with the ParentId that you specified.";
// - InvalidInputException (Reason INVALID_PAGINATION_TOKEN / MAX_VALUE_EXCEEDED / MIN_VALUE_EXCEEDED /
//   INVALID_PATTERN) for a bad token, MaxResults or id.

import { authorize } from './policy-eval.js';
import { evalPrincipalOf } from './kms-access.js';
import { identityPolicyOf } from './principals.js';
import { AwsError, type Handler, type JsonService, type RequestContext } from './protocol.js';
import { makeToken, readToken } from './paging-token.js';
import { MANAGEMENT_ACCOUNT, MANAGEMENT_EMAIL, ORG_ACCOUNTS, ORG_UNITS, ORGANIZATION_ID, orgAccount, ROOT_ID, type OrgAccount } from './organization.js';

const DAY = 86_400_000;
const ORG_ARN = `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:organization/${ORGANIZATION_ID}`;

function invalidInput(reason: string, message: string): AwsError {
  return Object.assign(new AwsError('InvalidInputException', message), { fields: { Reason: reason } });
}

/** Who may call: a member of the organization whose IAM allows the action; List* only from the management account. */
function authorizeCall(ctx: RequestContext, managementOnly: boolean): void {
  const account = orgAccount(ctx.caller.account);
  if (!account) throw new AwsError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
  const action = `organizations:${ctx.operation}`;
  const identityPolicy = ctx.caller.service ? undefined : identityPolicyOf(ctx.caller.arn);
  const decision = authorize({ principal: evalPrincipalOf(ctx.caller), request: { action, resource: '*', values: {} }, ...(identityPolicy ? { identityPolicy } : {}) });
  if (!decision.allowed || (managementOnly && account.id !== MANAGEMENT_ACCOUNT)) {
    throw new AwsError('AccessDeniedException', "You don't have permissions to access this resource.");
  }
}

function pageOf<T>(ctx: RequestContext, params: Record<string, unknown>, items: readonly T[], max = 20): { page: T[]; NextToken?: string } {
  const limit = params.MaxResults === undefined || params.MaxResults === null ? max : params.MaxResults;
  if (typeof limit !== 'number' || !Number.isInteger(limit)) throw invalidInput('INVALID_INPUT', 'You provided a value that does not match the required pattern.');
  if (limit < 1) throw invalidInput('MIN_VALUE_EXCEEDED', 'You provided a value that is lower than the minimum allowed value.');
  if (limit > max) throw invalidInput('MAX_VALUE_EXCEEDED', 'You provided a value that exceeds the maximum allowed value.');
  const start = readToken(`${ctx.operation}/${String(params.ParentId ?? '')}`, params.NextToken, () => invalidInput('INVALID_PAGINATION_TOKEN', 'You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.'));
  const from = typeof start === 'number' ? start : 0;
  const page = items.slice(from, from + limit);
  const next = from + limit < items.length ? makeToken(`${ctx.operation}/${String(params.ParentId ?? '')}`, from + limit) : undefined;
  return { page, ...(next ? { NextToken: next } : {}) };
}

function accountOut(ctx: RequestContext, account: OrgAccount): Record<string, unknown> {
  const store = ctx.accounts?.management ?? ctx.store;
  return {
    Id: account.id,
    Arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:account/${ORGANIZATION_ID}/${account.id}`,
    Email: account.email,
    Name: account.name,
    Status: account.status,
    State: account.status,
    JoinedMethod: account.joinedMethod,
    JoinedTimestamp: (store.state.seededAt - account.joinedDaysBeforeSeed * DAY) / 1000,
  };
}

function requireParent(value: unknown): string {
  if (typeof value !== 'string') throw invalidInput('INVALID_INPUT', "1 validation error detected: Value null at 'parentId' failed to satisfy constraint: Member must not be null");
  if (!/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/.test(value)) throw invalidInput('INVALID_PATTERN', 'You provided a value that does not match the required pattern.');
  if (value !== ROOT_ID && !ORG_UNITS.some((ou) => ou.id === value)) {
    throw new AwsError('ParentNotFoundException', "We can't find a root or OU with the ParentId that you specified.");
  }
  return value;
}

const describeOrganization: Handler = (ctx) => {
  authorizeCall(ctx, false);
  return {
    Organization: {
      Id: ORGANIZATION_ID,
      Arn: ORG_ARN,
      FeatureSet: 'ALL',
      MasterAccountArn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:account/${ORGANIZATION_ID}/${MANAGEMENT_ACCOUNT}`,
      MasterAccountId: MANAGEMENT_ACCOUNT,
      MasterAccountEmail: MANAGEMENT_EMAIL,
      AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    },
  };
};

const listAccounts: Handler = (ctx, params) => {
  authorizeCall(ctx, true);
  const { page, NextToken } = pageOf(ctx, params, ORG_ACCOUNTS);
  return { Accounts: page.map((a) => accountOut(ctx, a)), ...(NextToken ? { NextToken } : {}) };
};

const listRoots: Handler = (ctx, params) => {
  authorizeCall(ctx, true);
  const { page, NextToken } = pageOf(ctx, params, [ROOT_ID]);
  return {
    Roots: page.map((id) => ({ Id: id, Arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:root/${ORGANIZATION_ID}/${id}`, Name: 'Root', PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] })),
    ...(NextToken ? { NextToken } : {}),
  };
};

const listOrganizationalUnitsForParent: Handler = (ctx, params) => {
  authorizeCall(ctx, true);
  const parent = requireParent(params.ParentId);
  const { page, NextToken } = pageOf(ctx, params, ORG_UNITS.filter((ou) => ou.parentId === parent));
  return {
    OrganizationalUnits: page.map((ou) => ({ Id: ou.id, Arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:ou/${ORGANIZATION_ID}/${ou.id}`, Name: ou.name })),
    ...(NextToken ? { NextToken } : {}),
  };
};

const listAccountsForParent: Handler = (ctx, params) => {
  authorizeCall(ctx, true);
  const parent = requireParent(params.ParentId);
  const { page, NextToken } = pageOf(ctx, params, ORG_ACCOUNTS.filter((a) => a.parentId === parent));
  return { Accounts: page.map((a) => accountOut(ctx, a)), ...(NextToken ? { NextToken } : {}) };
};

export const organizationsService: JsonService = {
  name: 'organizations',
  targetPrefix: 'AWSOrganizationsV20161128.',
  contentType: 'application/x-amz-json-1.1',
  operations: {
    DescribeOrganization: describeOrganization,
    ListAccounts: listAccounts,
    ListRoots: listRoots,
    ListOrganizationalUnitsForParent: listOrganizationalUnitsForParent,
    ListAccountsForParent: listAccountsForParent,
  },
};
