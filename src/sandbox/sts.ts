// STS (awsQuery): GetCallerIdentity, and AssumeRole with the checks AWS makes (IAM User Guide,
// "AssumeRole" in the STS API reference; "Monitor and control actions taken with assumed roles",
// docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html):
//
// - the role's trust policy must allow the caller `sts:AssumeRole` (and `sts:SetSourceIdentity`
//   when the request sets a SourceIdentity), and across accounts the caller's own IAM must allow
//   it too (policy-eval.ts, the same evaluation as a key policy with the account principal). A role
//   that does not exist is refused with the same AccessDenied message: AWS does not tell them apart.
// - DurationSeconds 900 … the role's MaxSessionDuration (default 3600); a session that assumes a
//   role (role chaining) is limited to one hour.
// - RoleSessionName 2–64 and SourceIdentity 2–64 characters of [\w+=,.@-]; a SourceIdentity set on
//   the calling session is kept and cannot be changed.
//
// The credentials are stateless: the session token carries the session (account, role, session
// name, source identity, expiry) and an HMAC over it with the sandbox's secret, so they survive a
// restart of the sandbox and cannot be forged by changing the token. They expire in sandbox time:
// after `advanceClock` past the expiry every call with them fails with ExpiredTokenException.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError, xmlEscape, type CallerIdentity, type QueryService } from './protocol.js';
import { authorize, readPolicy } from './policy-eval.js';
import { evalPrincipalOf } from './kms-access.js';
import { identityPolicyOf, ownAccountRole } from './principals.js';
import { memberRole } from './organization.js';

const TOKEN_PREFIX = 'KWS1';
const NAME_PATTERN = /^[\w+=,.@-]*$/;
const ROLE_ARN_PATTERN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;

interface SessionPayload {
  /** Account, role name, session name. */
  a: string;
  r: string;
  s: string;
  /** SourceIdentity. */
  i?: string;
  /** Expiry, epoch ms (sandbox time). */
  x: number;
  /** Access key id. */
  k: string;
}

function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

function roleIdOf(account: string, role: string): string {
  return `AROA${createHash('sha256').update(`${account}/${role}`).digest('hex').slice(0, 17).toUpperCase()}`;
}

export function issueSession(secret: string, payload: Omit<SessionPayload, 'k'>): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  const accessKeyId = `ASIA${createHmac('sha256', secret).update(`key/${JSON.stringify(payload)}`).digest('hex').slice(0, 16).toUpperCase()}`;
  const body = Buffer.from(JSON.stringify({ ...payload, k: accessKeyId })).toString('base64url');
  return {
    accessKeyId,
    secretAccessKey: createHmac('sha256', secret).update(`secret/${accessKeyId}`).digest('base64').slice(0, 40),
    sessionToken: `${TOKEN_PREFIX}.${body}.${sign(secret, body)}`,
  };
}

export function isSessionToken(token: string | undefined): token is string {
  return typeof token === 'string' && token.startsWith(`${TOKEN_PREFIX}.`);
}

/** Tokens whose signature was checked, with their payload (by the secret that signed them); the oldest go first. */
const verifiedTokens = new Map<string, { secret: string; payload: SessionPayload; roleId: string }>();
const VERIFIED_TOKENS_KEPT = 1_000;

/** Which error a bad or expired token gets: per protocol (KMS and Organizations: JSON; STS: query). */
export type TokenErrorStyle = 'json' | 'query';

/**
 * The caller a session token stands for. An expired session: ExpiredTokenException (query:
 * ExpiredToken) "The security token included in the request is expired"; a token that is not one
 * this sandbox issued, or used with another access key: UnrecognizedClientException (query:
 * InvalidClientTokenId) "The security token included in the request is invalid."
 */
export function sessionCaller(token: string, accessKeyId: string, secret: string, nowMs: number, style: TokenErrorStyle): CallerIdentity & { sourceIdentity?: string; expiresAt: number } {
  const invalid = () =>
    style === 'json'
      ? new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.')
      : new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  // A token checked once (its signature, its payload) is remembered: every request of a session
  // carries the same token, and the check is the sandbox's largest per-request cost after the call.
  let verified = verifiedTokens.get(token);
  if (!verified || verified.secret !== secret) {
    const [, body, mac] = token.split('.');
    if (!body || !mac) throw invalid();
    const expected = Buffer.from(sign(secret, body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    let payload: SessionPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionPayload;
    } catch {
      throw invalid();
    }
    if (verifiedTokens.size >= VERIFIED_TOKENS_KEPT) verifiedTokens.delete(verifiedTokens.keys().next().value!);
    verified = { secret, payload, roleId: roleIdOf(payload.a, payload.r) };
    verifiedTokens.set(token, verified);
  }
  const { payload, roleId } = verified;
  if (payload.k !== accessKeyId) throw invalid();
  if (nowMs >= payload.x) {
    throw style === 'json'
      ? new AwsError('ExpiredTokenException', 'The security token included in the request is expired')
      : new AwsError('ExpiredToken', 'The security token included in the request is expired', 400);
  }
  return {
    accessKeyId,
    arn: `arn:aws:sts::${payload.a}:assumed-role/${payload.r}/${payload.s}`,
    userId: `${roleId}:${payload.s}`,
    account: payload.a,
    ...(payload.i ? { sourceIdentity: payload.i } : {}),
    expiresAt: payload.x,
  };
}

/** A role by account and name: the management and outside accounts' (principals.ts) or a member's (organization.ts). */
function roleOf(account: string, name: string): { trust: string; maxSessionSeconds?: number } | undefined {
  return memberRole(account, name) ?? ownAccountRole(account, name);
}

/** A trust policy's statements: they name no Resource (the role is the resource), which the evaluator reads as every resource. */
function trustStatements(trust: string): ReturnType<typeof readPolicy> {
  const parsed = JSON.parse(trust) as { Statement: Array<Record<string, unknown>> };
  return readPolicy(JSON.stringify({ ...parsed, Statement: parsed.Statement.map((st) => ('Resource' in st || 'NotResource' in st ? st : { ...st, Resource: '*' })) }));
}

function validateName(value: string | undefined, field: string, required: boolean): void {
  if (value === undefined) {
    if (required) throw new AwsError('ValidationError', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return;
  }
  if (value.length < 2 || value.length > 64) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have length ${value.length < 2 ? 'greater than or equal to 2' : 'less than or equal to 64'}`);
  }
  if (!NAME_PATTERN.test(value)) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
}

export const stsService: QueryService = {
  name: 'sts',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  operations: {
    GetCallerIdentity: (ctx) =>
      `<Arn>${xmlEscape(ctx.caller.arn)}</Arn><UserId>${xmlEscape(ctx.caller.userId)}</UserId><Account>${xmlEscape(ctx.caller.account)}</Account>`,
    AssumeRole: (ctx, params) => {
      const roleArn = params.RoleArn;
      if (roleArn === undefined) throw new AwsError('ValidationError', "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
      if (roleArn.length < 20 || roleArn.length > 2048) {
        throw new AwsError('ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length ${roleArn.length < 20 ? 'greater than or equal to 20' : 'less than or equal to 2048'}`);
      }
      const sessionName = params.RoleSessionName;
      validateName(sessionName, 'roleSessionName', true);
      const sourceIdentity = params.SourceIdentity;
      validateName(sourceIdentity, 'sourceIdentity', false);
      if (sourceIdentity?.toLowerCase().startsWith('aws:')) throw new AwsError('ValidationError', 'SourceIdentity cannot start with the prefix "aws:"');
      const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);
      if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
        throw new AwsError('ValidationError', `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${duration < 900 ? 'greater than or equal to 900' : 'less than or equal to 43200'}`);
      }
      const caller = ctx.caller as CallerIdentity & { sourceIdentity?: string };
      // A source identity, once set, persists through role chaining and cannot be changed.
      if (caller.sourceIdentity !== undefined && sourceIdentity !== undefined && sourceIdentity !== caller.sourceIdentity) {
        throw new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:SetSourceIdentity on resource: ${roleArn}`, 403);
      }
      const effectiveSource = caller.sourceIdentity ?? sourceIdentity;
      const denied = (action: string) => new AwsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`, 403);
      const match = ROLE_ARN_PATTERN.exec(roleArn);
      if (!match) throw new AwsError('ValidationError', `${roleArn} is invalid`);
      const [, account, roleName] = match;
      const role = roleOf(account!, roleName!);
      if (!role) throw denied('sts:AssumeRole');
      const principal = evalPrincipalOf(caller);
      const identityPolicy = caller.service ? undefined : identityPolicyOf(caller.arn);
      const values = { 'aws:principalarn': caller.arn, 'aws:principalaccount': caller.account, ...(effectiveSource ? { 'sts:sourceidentity': effectiveSource } : {}) };
      for (const action of ['sts:AssumeRole', ...(sourceIdentity !== undefined ? ['sts:SetSourceIdentity'] : [])]) {
        const decision = authorize({
          principal,
          request: { action, resource: roleArn, values },
          keyPolicy: trustStatements(role.trust),
          keyAccount: account!,
          ...(identityPolicy ? { identityPolicy } : {}),
        });
        if (!decision.allowed) throw denied(action);
      }
      // Role chaining: a role session that assumes a role gets one hour at most.
      const chained = /:assumed-role\//.test(caller.arn);
      if (chained && duration > 3600) throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
      if (duration > (role.maxSessionSeconds ?? 3600)) throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
      const expiresAt = ctx.now().getTime() + duration * 1000;
      const secret = ctx.accounts?.management.state.secret ?? ctx.store.state.secret;
      const credentials = issueSession(secret, { a: account!, r: roleName!, s: sessionName!, ...(effectiveSource ? { i: effectiveSource } : {}), x: expiresAt });
      const expiration = new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return (
        (effectiveSource ? `<SourceIdentity>${xmlEscape(effectiveSource)}</SourceIdentity>` : '') +
        `<AssumedRoleUser><AssumedRoleId>${roleIdOf(account!, roleName!)}:${xmlEscape(sessionName!)}</AssumedRoleId><Arn>arn:aws:sts::${account}:assumed-role/${xmlEscape(roleName!)}/${xmlEscape(sessionName!)}</Arn></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(credentials.secretAccessKey)}</SecretAccessKey><SessionToken>${xmlEscape(credentials.sessionToken)}</SessionToken><Expiration>${expiration}</Expiration></Credentials>`
      );
    },
  },
};
