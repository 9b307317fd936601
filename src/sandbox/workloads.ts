// Simulated workloads: the AWS services and applications that keep using the seeded keys, the way
// the seed documents show them (EBS through ec2-infrastructure, Fargate ephemeral storage, Image
// Builder workflows, CloudTrail log encryption, SQS, an application role with its own encryption
// context, and jobs still trying a disabled or pending-deletion key).
//
// Each workload has a deterministic plan per UTC day (seeded by the sandbox's seed time, the
// workload and the day). Calls planned before the seed time are history: rendered lazily as
// CloudTrail records, never stored. Calls planned after it are live: when sandbox time passes
// them (checked before every request), they run through the real KMS handlers — so they fail with
// DisabledException / KMSInvalidStateException once a key is disabled or pending deletion, and a
// success updates GetKeyLastUsage — and their records are stored and delivered like any other.

import { createHash } from 'node:crypto';
import { SANDBOX_ACCOUNT } from './constants.js';
import { materialIdFor, seal, uuidFor } from './crypto.js';
import { arnOf, kmsService, LAST_USAGE_LAG_MS, originalMaterialId, sweepDeletions } from './kms.js';
import { AwsError, type CallerIdentity, type RequestContext } from './protocol.js';
import { callerCopyEventId, deliverRecords, HISTORY_MS, idFor, kmsRecord, sharedEventIdFor, trailOfStore, type Actor, type CloudTrailRecord, type TimedRecord, type Trail } from './cloudtrail.js';
import { ANALYTICS_ACCOUNT, memberKeyName, PAYMENTS_ACCOUNT } from './organization.js';
import { keyArn, type KeyRecord } from './state.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const REGION = 'us-east-1';
const ACCOUNT = SANDBOX_ACCOUNT;
/**
 * CHOICE: a big jump of sandbox time (advanceClock by months, a state file untouched for weeks)
 * runs only the workload calls of the last 14 days before now, at most 5,000 — enough for the
 * alarm and the usage view, and a 90-day jump stays well under a second.
 */
const CATCH_UP_WINDOW = 14 * DAY;
const CATCH_UP_LIMIT = 5_000;

type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

interface PlannedCall {
  time: number;
  id: string;
  operation: string;
  actor: Actor;
  /** KMS request parameters without KeyId (added from `keyRef`). */
  params: Record<string, unknown>;
  /** How the caller names the key: its ARN (default) or an alias ARN. */
  keyRef?: string;
  /** History only: the seeded policies refuse this caller (live calls are evaluated; the results agree). */
  deny?: boolean;
  /** RetireGrant: the grant whose constraint names this EBS volume. */
  retireVolume?: string;
}

interface Workload {
  name: string;
  /** Seed name of the key (its id is uuidFor(name)). */
  seedKey: string;
  /** The account that owns the key (default: the management account). */
  keyAccount?: string;
  /** The account whose roles make the calls, when it is not the key's (a cross-account workload). */
  callerAccount?: string;
  /** The key's state in the seed, for history outcomes. */
  historyState: KeyState;
  /** No history in the last N hours before the seed time (agrees with the seeded last use). */
  quietHours: number;
  plan(day: DayPlanner): void;
}

const ROLE_IDS: Record<string, string> = {};
function roleId(role: string): string {
  ROLE_IDS[role] ??= `AROA${createHash('sha256').update(role).digest('hex').slice(0, 17).toUpperCase()}`;
  return ROLE_IDS[role];
}

function role(name: string, session: string, extra: { via?: string; sourceIp?: string; userAgent?: string; account?: string } = {}): Actor {
  return { kind: 'role', role: name, session, roleId: roleId(name), ...extra };
}

const service = (invokedBy: string): Actor => ({ kind: 'service', invokedBy });
const AWS_INTERNAL = service('AWS Internal');
const FARGATE = service('fargate.amazonaws.com');
const EC2_FRONTEND = service('ec2-frontend-api.amazonaws.com');
const CLOUDTRAIL = service('cloudtrail.amazonaws.com');
const EBS_CREATOR = role('AWSServiceRoleForAutoScaling', 'AutoScaling', { via: 'ec2.amazonaws.com' });
const ec2Infrastructure = (instance: string) => role('aws:ec2-infrastructure', instance, { sourceIp: 'ec2.amazonaws.com', userAgent: 'ec2.amazonaws.com' });
const CI_DEPLOYER: Actor = { kind: 'user', user: 'ci-deployer', userId: 'AIDACIDEPLOYER7EXAMPLE', accessKeyId: 'AKIACIDEPLOYEREXAMPLE' };
const IMAGE_BUILDER = role('ImageBuilderWorkflowRole', 'workflow-build', { via: 'imagebuilder.amazonaws.com' });
const REPORTING = role('ReportingEtl', 'etl-nightly', { sourceIp: '10.0.41.7', userAgent: 'aws-sdk-python/1.34.120 Python/3.12.3 Linux/6.1 Botocore/1.34.120' });
const BATCH = role('BatchRunner', 'batch-weekly', { sourceIp: '10.0.77.19', userAgent: 'aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0 os/linux#6.1 lang/python#3.11.9' });
const ORDERS = role('OrdersService', 'orders-api', { via: 'sqs.amazonaws.com' });
const FULFILMENT = role('FulfilmentWorker', 'fulfilment', { via: 'sqs.amazonaws.com' });
const paymentsApi = (task: string) => role('PaymentsApi', `payments-api-${task}`, { sourceIp: '10.0.23.45', userAgent: 'aws-sdk-js/3.1164.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.19.0 api/kms#3.1164.0' });

/** Collects one day's calls of one workload, with a deterministic random source. */
class DayPlanner {
  readonly calls: PlannedCall[] = [];
  private state: number;
  private n = 0;
  constructor(
    readonly dayStart: number,
    private readonly salt: string,
  ) {
    this.state = parseInt(createHash('sha256').update(salt).digest('hex').slice(0, 8), 16) >>> 0;
  }
  /** mulberry32 */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  hex(length: number): string {
    return createHash('sha256').update(`${this.salt}/hex/${this.n++}`).digest('hex').slice(0, length);
  }
  /** Weekday 0 = Sunday. */
  get weekday(): number {
    return new Date(this.dayStart).getUTCDay();
  }
  at(offsetMs: number, call: Omit<PlannedCall, 'time' | 'id'>): void {
    const time = this.dayStart + Math.max(0, Math.min(DAY - 1000, Math.round(offsetMs / 1000) * 1000));
    this.calls.push({ time, id: idFor(`${this.salt}/${this.calls.length}`), ...call });
  }
}

const ebsContext = (volume: string) => ({ 'aws:ebs:id': volume });

/** `instances[i]` holds a seeded grant for `volumes[i % volumes.length]` (seed.ts). */
function ebsVolumes(day: DayPlanner, volumesPerDay: [number, number], instances: string[], volumes: readonly string[], decryptsPerDay: [number, number], deniedWeekday?: number): void {
  const count = day.int(...volumesPerDay);
  for (let i = 0; i < count; i += 1) {
    const start = day.int(0, 20 * 60) * MINUTE;
    const volume = `vol-0${day.hex(16)}`;
    const instance = instances[day.int(0, instances.length - 1)]!;
    day.at(start, {
      operation: 'CreateGrant',
      actor: EBS_CREATOR,
      params: {
        GranteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/${instance}`,
        RetiringPrincipal: `ec2.${REGION}.amazonaws.com`,
        Operations: ['Decrypt'],
        Constraints: { EncryptionContextSubset: ebsContext(volume) },
      },
    });
    day.at(start + 1000, { operation: 'GenerateDataKeyWithoutPlaintext', actor: EBS_CREATOR, params: { NumberOfBytes: 64, EncryptionContext: ebsContext(volume) } });
    day.at(start + day.int(20, 90) * 1000, { operation: 'Decrypt', actor: ec2Infrastructure(instance), params: { EncryptionContext: ebsContext(volume), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } });
    day.at(start + day.int(2, 3) * HOUR, { operation: 'RetireGrant', actor: AWS_INTERNAL, params: {}, retireVolume: volume });
  }
  const attaches = day.int(...decryptsPerDay);
  for (let i = 0; i < attaches; i += 1) {
    const which = day.int(0, instances.length - 1);
    day.at(day.int(0, 24 * 60 - 1) * MINUTE, {
      operation: 'Decrypt',
      actor: ec2Infrastructure(instances[which]!),
      params: { EncryptionContext: ebsContext(volumes[which % volumes.length]!), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    });
  }
  if (deniedWeekday !== undefined && day.weekday === deniedWeekday) {
    day.at(day.int(9 * 60, 17 * 60) * MINUTE, { operation: 'Decrypt', actor: CI_DEPLOYER, params: { EncryptionContext: ebsContext(volumes[0]!) }, deny: true });
  }
}

/** The volumes behind the seeded EBS grants (seed.ts), per key. */
const PERSISTENT_VOLUMES = ['vol-0a1b2c3d4e5f60718', 'vol-0b2c3d4e5f6071829'];
const STAGING_VOLUMES = ['vol-0c3d4e5f607182930'];

/** analytics-prod's roles (organization.ts), calling payments-prod's ledger key across accounts. */
const ANALYTICS_ETL = role('AnalyticsEtl', 'etl-nightly', { account: ANALYTICS_ACCOUNT, sourceIp: '10.20.4.18', userAgent: 'aws-sdk-python/1.34.120 Python/3.12.3 Linux/6.1 Botocore/1.34.120' });
const ANALYTICS_REPORTS = role('ReportingBatch', 'reports', { account: ANALYTICS_ACCOUNT, sourceIp: '10.20.4.52', userAgent: 'aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0 os/linux#6.1 lang/python#3.11.9' });

export const WORKLOADS: readonly Workload[] = [
  {
    // A workload in one account using a key of another: analytics-prod reads payments-prod's ledger
    // exports (the key policy shares Decrypt with analytics-prod; AnalyticsEtl's IAM allows it). Its
    // reporting role tries too on Mondays and is refused by its own IAM.
    name: 'analytics-ledger-exports',
    seedKey: memberKeyName(PAYMENTS_ACCOUNT, 'ledger'),
    keyAccount: PAYMENTS_ACCOUNT,
    callerAccount: ANALYTICS_ACCOUNT,
    historyState: 'Enabled',
    quietHours: 3,
    plan: (day) => {
      const exports = day.int(3, 6);
      for (let i = 0; i < exports; i += 1) {
        day.at(day.int(0, 24 * 60 - 1) * MINUTE, { operation: 'Decrypt', actor: ANALYTICS_ETL, params: { EncryptionContext: { export: 'ledger-daily' }, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } });
      }
      if (day.weekday === 1) {
        day.at(6 * HOUR + day.int(0, 30) * MINUTE, { operation: 'Decrypt', actor: ANALYTICS_REPORTS, params: { EncryptionContext: { export: 'ledger-daily' } }, deny: true });
      }
    },
  },
  {
    name: 'ebs-prod',
    seedKey: 'ebs-prod-data',
    historyState: 'Enabled',
    quietHours: 2,
    plan: (day) => ebsVolumes(day, [3, 6], ['i-0f3e2d1c0b9a87654', 'i-0a9b8c7d6e5f43210'], PERSISTENT_VOLUMES, [6, 10], 2),
  },
  {
    name: 'ebs-staging',
    seedKey: 'ebs-staging-data',
    historyState: 'Enabled',
    quietHours: 20 * 24,
    plan: (day) => ebsVolumes(day, [0, 2], ['i-0123456789abcdef0'], STAGING_VOLUMES, [1, 3]),
  },
  {
    name: 'fargate',
    seedKey: 'fargate-ephemeral',
    historyState: 'Enabled',
    quietHours: 26,
    plan: (day) => {
      const cluster = { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod' };
      const tasks = day.int(8, 14);
      for (let i = 0; i < tasks; i += 1) {
        const start = day.int(0, 22 * 60) * MINUTE;
        const volume = `vol-0${day.hex(16)}`;
        const withVolume = { ...cluster, 'aws:ebs:id': volume };
        day.at(start, { operation: 'GenerateDataKeyWithoutPlaintext', actor: FARGATE, params: { DryRun: true, NumberOfBytes: 64, EncryptionContext: cluster } });
        day.at(start, {
          operation: 'CreateGrant',
          actor: FARGATE,
          params: { GranteePrincipal: `fargate.${REGION}.amazonaws.com`, DryRun: true, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: cluster } },
        });
        day.at(start + 2000, { operation: 'GenerateDataKeyWithoutPlaintext', actor: EC2_FRONTEND, params: { NumberOfBytes: 64, EncryptionContext: withVolume } });
        day.at(start + 2000, {
          operation: 'CreateGrant',
          actor: EC2_FRONTEND,
          params: {
            GranteePrincipal: `fargate.${REGION}.amazonaws.com`,
            Operations: ['Decrypt'],
            Constraints: { EncryptionContextSubset: withVolume },
            RetiringPrincipal: `ec2.${REGION}.amazonaws.com`,
          },
        });
        day.at(start + day.int(1, 90) * MINUTE, { operation: 'RetireGrant', actor: AWS_INTERNAL, params: {}, retireVolume: volume });
      }
    },
  },
  {
    // The workflow runs as a role the key policy does not name (it names ImageBuilderExecutionRole):
    // every attempt since the last good build ~3 months ago is denied.
    name: 'imagebuilder',
    seedKey: 'imagebuilder-workflows',
    historyState: 'Enabled',
    quietHours: 0,
    plan: (day) => {
      const builds = day.int(0, 2);
      for (let i = 0; i < builds; i += 1) {
        const start = day.int(1 * 60, 5 * 60) * MINUTE;
        const context = {
          'aws:imagebuilder:arn': `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:workflow/build/golden-ami-hardening/1.2.0/*`,
          'aws-crypto-public-key': `A${day.hex(40)}==`,
        };
        day.at(start, { operation: 'GenerateDataKey', actor: IMAGE_BUILDER, params: { EncryptionContext: context, NumberOfBytes: 32 }, keyRef: 'alias', deny: true });
        day.at(start + 3 * MINUTE, { operation: 'Decrypt', actor: IMAGE_BUILDER, params: { EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', EncryptionContext: context }, deny: true });
      }
    },
  },
  {
    name: 'cloudtrail',
    seedKey: 'cloudtrail-logs',
    historyState: 'Enabled',
    quietHours: 0.1,
    plan: (day) => {
      for (let hour = 0; hour < 24; hour += 1) {
        day.at(hour * HOUR + day.int(0, 59) * MINUTE, {
          operation: 'GenerateDataKey',
          actor: CLOUDTRAIL,
          params: { KeySpec: 'AES_256', EncryptionContext: { 'aws:cloudtrail:arn': `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/management-events` } },
        });
      }
    },
  },
  {
    name: 'payments-api',
    seedKey: 'payments-db',
    historyState: 'Enabled',
    quietHours: 0.5,
    plan: (day) => {
      const context = { app: 'payments-api', table: 'payment_methods' };
      const decrypts = day.int(24, 40);
      for (let i = 0; i < decrypts; i += 1) {
        day.at(day.int(0, 24 * 60 - 1) * MINUTE, { operation: 'Decrypt', actor: paymentsApi(day.hex(8)), params: { EncryptionContext: context, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } });
      }
      const writes = day.int(4, 8);
      for (let i = 0; i < writes; i += 1) {
        day.at(day.int(0, 24 * 60 - 1) * MINUTE, { operation: 'GenerateDataKey', actor: paymentsApi(day.hex(8)), params: { KeySpec: 'AES_256', EncryptionContext: context } });
      }
      if (day.weekday === 1) {
        day.at(2 * HOUR + day.int(0, 30) * MINUTE, { operation: 'Decrypt', actor: REPORTING, params: { EncryptionContext: context }, deny: true });
      }
    },
  },
  {
    name: 'orders-queue',
    seedKey: 'orders-queue',
    historyState: 'Enabled',
    quietHours: 5,
    plan: (day) => {
      const context = { 'aws:sqs:arn': `arn:aws:sqs:${REGION}:${ACCOUNT}:order-events` };
      const batches = day.int(8, 14);
      for (let i = 0; i < batches; i += 1) {
        const start = day.int(0, 23 * 60) * MINUTE;
        day.at(start, { operation: 'GenerateDataKey', actor: ORDERS, params: { KeySpec: 'AES_256', EncryptionContext: context } });
        day.at(start + day.int(1, 20) * 1000, { operation: 'Decrypt', actor: FULFILMENT, params: { EncryptionContext: context, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } });
      }
    },
  },
  {
    // Nobody told the nightly report job that its key was retired.
    name: 'reporting-etl',
    seedKey: 'legacy-reporting',
    historyState: 'Disabled',
    quietHours: 0,
    plan: (day) => {
      day.at(2 * HOUR + day.int(0, 20) * MINUTE, { operation: 'Decrypt', actor: REPORTING, params: { EncryptionContext: { report: 'monthly-exports-2023' }, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } });
    },
  },
  {
    name: 'batch-runner',
    seedKey: 'legacy-batch',
    historyState: 'PendingDeletion',
    quietHours: 0,
    plan: (day) => {
      if (day.weekday === 0 || day.weekday === 3) {
        day.at(4 * HOUR + day.int(0, 60) * MINUTE, { operation: 'Decrypt', actor: BATCH, params: { EncryptionContext: { job: 'weekly-batch' }, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } });
      }
    },
  },
];

export function workloadKeyArn(workload: Workload): string {
  return keyArn(workload.keyAccount ?? ACCOUNT, REGION, uuidFor(workload.seedKey));
}

/** The workloads a trail sees: those using its account's keys, and its account's roles using another account's keys. */
function workloadsOf(trail: Trail): Workload[] {
  const account = trail.store.account;
  return WORKLOADS.filter((w) => (w.keyAccount ?? ACCOUNT) === account || w.callerAccount === account);
}

/** The workloads whose keys live in the trail's account (they run live there). */
function ownWorkloads(trail: Trail): Workload[] {
  return WORKLOADS.filter((w) => (w.keyAccount ?? ACCOUNT) === trail.store.account);
}

const planCache = new WeakMap<Trail, Map<string, PlannedCall[]>>();

function planFor(trail: Trail, workload: Workload, dayIndex: number): PlannedCall[] {
  let cache = planCache.get(trail);
  if (!cache) planCache.set(trail, (cache = new Map()));
  const cacheKey = `${trail.seededAt}/${workload.name}/${dayIndex}`;
  let calls = cache.get(cacheKey);
  if (!calls) {
    const day = new DayPlanner(dayIndex * DAY, `${trail.seededAt}/${workload.name}/${dayIndex}`);
    workload.plan(day);
    calls = day.calls.sort((a, b) => a.time - b.time);
    if (cache.size > 4000) cache.clear();
    cache.set(cacheKey, calls);
  }
  return calls;
}

function keyIdParam(workload: Workload, call: PlannedCall): string {
  return call.keyRef === 'alias' ? aliasRefFor(workload) : workloadKeyArn(workload);
}

function aliasRefFor(workload: Workload): string {
  const alias = workload.seedKey === 'imagebuilder-workflows' ? 'alias/imagebuilder/workflows' : `alias/${workload.seedKey}`;
  return `arn:aws:kms:${REGION}:${workload.keyAccount ?? ACCOUNT}:${alias}`;
}

function deniedMessage(actor: Actor, operation: string, arn: string): string {
  return `User: ${actorArn(actor)} is not authorized to perform: kms:${operation} on resource: ${arn} because no identity-based policy allows the kms:${operation} action`;
}

function actorArn(actor: Actor): string {
  if (actor.kind === 'role') return `arn:aws:sts::${actor.account ?? ACCOUNT}:assumed-role/${actor.role}/${actor.session}`;
  if (actor.kind === 'user') return `arn:aws:iam::${ACCOUNT}:user/${actor.user}`;
  return actor.invokedBy;
}

/**
 * The principal a service actor's calls are authorized as, and the resource it calls for
 * (`aws:SourceArn` / `aws:SourceAccount`). Fargate's calls through EC2's front end are authorized
 * as the fargate service principal (the key policy AWS documents for Fargate ephemeral storage
 * names only fargate.amazonaws.com); AWS Internal retires EBS and Fargate grants as their retiring
 * principal, EC2.
 */
const SERVICE_CALLERS: Record<string, { principal: string; sourceArn?: string }> = {
  'fargate.amazonaws.com': { principal: 'fargate.amazonaws.com', sourceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments-prod` },
  'ec2-frontend-api.amazonaws.com': { principal: 'fargate.amazonaws.com', sourceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments-prod` },
  'cloudtrail.amazonaws.com': { principal: 'cloudtrail.amazonaws.com', sourceArn: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/management-events` },
  'AWS Internal': { principal: 'ec2.amazonaws.com' },
};

/** `ec2.amazonaws.com` → `ec2.us-east-1.amazonaws.com` (the form kms:ViaService takes). */
function viaService(via: string): string {
  return via.replace(/\.amazonaws\.com$/, `.${REGION}.amazonaws.com`);
}

/** Who a workload call is made by, with the request context its service supplies. */
export function callerOf(actor: Actor): CallerIdentity {
  if (actor.kind === 'role') {
    return { accessKeyId: 'ASIAWORKLOAD', arn: actorArn(actor), userId: `${actor.roleId}:${actor.session}`, account: actor.account ?? ACCOUNT, ...(actor.via ? { viaService: viaService(actor.via) } : {}) };
  }
  if (actor.kind === 'user') return { accessKeyId: actor.accessKeyId, arn: actorArn(actor), userId: actor.userId, account: ACCOUNT };
  const known = SERVICE_CALLERS[actor.invokedBy];
  return {
    accessKeyId: 'AWSSERVICE',
    arn: known?.principal ?? actor.invokedBy,
    userId: actor.invokedBy,
    account: ACCOUNT,
    service: true,
    ...(known?.sourceArn ? { sourceArn: known.sourceArn, sourceAccount: ACCOUNT } : {}),
  };
}

/** What a planned call's request parameters look like in the record (KeyId as the caller named it). */
function loggedParams(workload: Workload, call: PlannedCall, grantId?: string): Record<string, unknown> {
  if (call.operation === 'RetireGrant') return { KeyId: workloadKeyArn(workload), ...(grantId ? { GrantId: grantId } : {}) };
  return { KeyId: keyIdParam(workload, call), ...call.params };
}

// ---------------------------------------------------------------------------------------------
// History (before the seed time): rendered, never stored.

function historyOutcome(workload: Workload, call: PlannedCall, arn: string): { error?: { code: string; message: string } } {
  if (call.deny) return { error: { code: 'AccessDeniedException', message: deniedMessage(call.actor, call.operation, arn) } };
  if (workload.historyState === 'Disabled') return { error: { code: 'DisabledException', message: `${arn} is disabled.` } };
  if (workload.historyState === 'PendingDeletion') return { error: { code: 'KMSInvalidStateException', message: `${arn} is pending deletion.` } };
  if (call.params.DryRun === true) return { error: { code: 'DryRunOperationException', message: 'The request would have succeeded, but the DryRun option is set.' } };
  return {};
}

/** The CloudTrail record of one workload call, from the seeded history or made live. */
function callRecord(
  workload: Workload,
  call: PlannedCall,
  outcome: { result: unknown; error: { code: string; message: string } | undefined; keyArn: string | undefined; grantId: string | undefined },
  recipientAccount?: string,
): CloudTrailRecord {
  const { result, error, keyArn, grantId } = outcome;
  // A cross-account call is in the key owner's trail and the caller's: each copy has its own
  // eventID, both the same requestID and sharedEventID; one refused for access is in the caller's
  // only (kmsRecord; CloudTrail User Guide, "Example sharedEventID").
  const keyOwner = workload.keyAccount ?? ACCOUNT;
  const callerAccount = call.actor.kind === 'role' ? (call.actor.account ?? ACCOUNT) : ACCOUNT;
  const callerCopy = recipientAccount !== undefined && recipientAccount !== keyOwner;
  const both = callerAccount !== keyOwner && error?.code !== 'AccessDeniedException';
  return kmsRecord({
    ...(recipientAccount ? { recipientAccount } : {}),
    time: call.time,
    region: REGION,
    operation: call.operation,
    actor: call.actor,
    params: loggedParams(workload, call, grantId),
    result,
    ...(error ? { error } : {}),
    ...(keyArn ? { keyArn } : {}),
    requestId: idFor(`request/${call.id}`),
    eventId: callerCopy ? callerCopyEventId(call.id, recipientAccount) : call.id,
    ...(both ? { sharedEventId: sharedEventIdFor(call.id) } : {}),
    ...(call.operation === 'RetireGrant' && grantId ? { additionalEventData: { grantId } } : {}),
  });
}

const historyStarts = new WeakMap<Trail, { seededAt: number; starts: Map<string, number> }>();

/**
 * The oldest time a workload's history holds: a year and a day before the seed time (HISTORY_MS),
 * but not before its key was created nor before the trail's log group was (a member account's
 * trail is younger). Remembered per trail, so a key deleted later does not move it.
 */
export function historyStart(trail: Trail, workload: Workload): number {
  let known = historyStarts.get(trail);
  if (!known || known.seededAt !== trail.seededAt) historyStarts.set(trail, (known = { seededAt: trail.seededAt, starts: new Map() }));
  let start = known.starts.get(workload.name);
  if (start === undefined) {
    const key = (workload.keyAccount ?? ACCOUNT) === trail.store.account ? trail.store.key(REGION, uuidFor(workload.seedKey)) : undefined;
    const group = trail.store.state.logGroups.find((g) => g.region === REGION && g.name === `aws-cloudtrail-logs-${trail.store.account}-management`);
    start = Math.max(trail.seededAt - HISTORY_MS, key?.creationDate ?? -Infinity, group?.creationTime ?? -Infinity);
    known.starts.set(workload.name, start);
  }
  return start;
}

function historyDay(trail: Trail, workload: Workload, dayIndex: number): TimedRecord[] {
  const cacheKey = `${trail.seededAt}/${workload.name}/${dayIndex}`;
  const cached = trail.historyCache.get(cacheKey);
  if (cached) return cached;
  const arn = workloadKeyArn(workload);
  const until = trail.seededAt - workload.quietHours * HOUR;
  const since = historyStart(trail, workload);
  const out: TimedRecord[] = [];
  const grants = new Map<string, string>();
  for (const call of planFor(trail, workload, dayIndex)) {
    if (call.time >= until || call.time < since) continue;
    let grantId: string | undefined;
    if (call.operation === 'RetireGrant') {
      grantId = call.retireVolume ? grants.get(call.retireVolume) : undefined;
      if (!grantId) continue; // the grant was never created
    }
    const { error } = historyOutcome(workload, call, arn);
    // A cross-account call refused for access is logged only in the caller's account.
    const callerAccount = call.actor.kind === 'role' ? (call.actor.account ?? ACCOUNT) : ACCOUNT;
    if (error?.code === 'AccessDeniedException' && callerAccount !== trail.store.account) continue;
    let result: unknown;
    if (!error && call.operation === 'CreateGrant') {
      const id = createHash('sha256').update(`grant/${call.id}`).digest('hex');
      result = { GrantId: id };
      const volume = (call.params.Constraints as { EncryptionContextSubset?: Record<string, string> } | undefined)?.EncryptionContextSubset?.['aws:ebs:id'];
      if (volume) grants.set(volume, id);
    }
    out.push({ time: call.time, record: callRecord(workload, call, { result, error, keyArn: arn, grantId }, trail.store.account) });
  }
  if (trail.historyCache.size > 20_000) trail.historyCache.clear();
  trail.historyCache.set(cacheKey, out);
  return out;
}

/** History records in a region and time range (optionally of one key), in no particular order. */
export function* historyEvents(trail: Trail, query: { region: string; from: number; to: number; keyArn?: string }): Generator<TimedRecord> {
  yield* seededUseEvents(trail, query);
  if (query.region !== REGION) return;
  const to = Math.min(query.to, trail.seededAt);
  for (const workload of workloadsOf(trail)) {
    if (query.keyArn !== undefined && workloadKeyArn(workload) !== query.keyArn) continue;
    const from = Math.max(query.from, historyStart(trail, workload));
    for (let day = Math.floor(from / DAY); day <= Math.floor(to / DAY); day += 1) yield* historyDay(trail, workload, day);
  }
}

// ---------------------------------------------------------------------------------------------
// Live calls (after the seed time): through the KMS handlers, stored and delivered.

function runCall(trail: Trail, base: RequestContext, workload: Workload, call: PlannedCall): TimedRecord | undefined {
  const store = trail.store;
  const arn = workloadKeyArn(workload);
  const keyId = uuidFor(workload.seedKey);
  const ctx: RequestContext = {
    ...base,
    region: REGION,
    caller: callerOf(call.actor),
    requestId: idFor(`request/${call.id}`),
    eventId: call.id,
    operation: call.operation,
    now: () => new Date(call.time),
  };
  sweepDeletions(store, call.time);
  const key = store.key(REGION, keyId);
  let grantId: string | undefined;
  const request: Record<string, unknown> = { KeyId: keyIdParam(workload, call), ...call.params };
  if (call.operation === 'RetireGrant') {
    grantId = key?.grants.find((g) => g.constraints?.encryptionContextSubset?.['aws:ebs:id'] === call.retireVolume)?.grantId;
    if (!grantId) return undefined; // nothing to retire: the CreateGrant failed
    request.KeyId = arn;
    request.GrantId = grantId;
  }
  if (call.operation === 'Decrypt') {
    delete request.KeyId;
    const context = call.params.EncryptionContext as Record<string, string> | undefined;
    const blob = seal(store.state.secret, { arn, keyId, region: REGION, materialId: key ? originalMaterialId(key) : materialIdFor(`${keyId}/original`) }, Buffer.from(call.id), context);
    request.CiphertextBlob = blob.toString('base64');
  }
  let result: unknown;
  let error: { code: string; message: string } | undefined;
  try {
    if (!key) throw new AwsError('NotFoundException', `Key '${arn}' does not exist`);
    // Live calls are authorized like any other request (key policy, IAM, grants); `deny` only
    // renders the seeded history, where the seeded policies give the same answer.
    result = kmsService.operations[call.operation]!(ctx, request);
  } catch (thrown) {
    if (!(thrown instanceof AwsError)) throw thrown;
    error = { code: thrown.code, message: thrown.message };
  }
  const outcome = { result, error, keyArn: key ? arn : undefined, grantId };
  // A call from another account is logged in the caller's account too; refused for access, only there.
  const callerAccount = ctx.caller.account;
  const callerTrail = callerAccount !== store.account ? trailOfAccount(base, callerAccount) : undefined;
  if (callerTrail) {
    const copy = callRecord(workload, call, outcome, callerAccount);
    callerTrail.add(copy, call.time, deliverTo(base, callerAccount));
    if (error?.code === 'AccessDeniedException') return undefined;
  }
  const record = callRecord(workload, call, outcome, store.account);
  trail.add(record, call.time);
  return { time: call.time, record };
}

function trailOfAccount(base: RequestContext, account: string): Trail | undefined {
  const store = base.accounts?.of(account);
  return store ? trailOfStore(store) : undefined;
}

/** The log sink of another account's trail: the dispatcher's, when it handed one (index.ts deliverLogsFor). */
function deliverTo(base: RequestContext, account: string): RequestContext['deliverLogs'] | undefined {
  return base.deliverLogsFor?.(account);
}

/** Runs every workload call planned in (cursor, now], in time order. */
export function runWorkloads(trail: Trail, ctx: RequestContext): void {
  const nowMs = ctx.now().getTime();
  if (nowMs <= trail.cursor) return;
  const from = Math.max(trail.cursor, nowMs - CATCH_UP_WINDOW);
  const due: Array<{ workload: Workload; call: PlannedCall }> = [];
  for (const workload of ownWorkloads(trail)) {
    for (let day = Math.floor(from / DAY); day <= Math.floor(nowMs / DAY); day += 1) {
      for (const call of planFor(trail, workload, day)) {
        if (call.time > from && call.time <= nowMs) due.push({ workload, call });
      }
    }
  }
  due.sort((a, b) => a.call.time - b.call.time);
  const added: TimedRecord[] = [];
  for (const { workload, call } of due.slice(-CATCH_UP_LIMIT)) {
    const entry = runCall(trail, ctx, workload, call);
    if (entry) added.push(entry);
  }
  trail.advanceCursor(nowMs);
  if (added.length > 0) deliverRecords(ctx.deliverLogs, added, trail.store.account);
}

// ---------------------------------------------------------------------------------------------
// Seeded last uses: every use GetKeyLastUsage reports has its CloudTrail record.

const CRYPTO_OPERATIONS = /^(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|GenerateDataKeyWithoutPlaintext|GenerateMac|VerifyMac|Sign|Verify)$/;

type Usage = NonNullable<KeyRecord['lastUsage']>;

function usageOf(entry: TimedRecord): Usage {
  return { operation: entry.record.eventName, timestamp: entry.time, cloudTrailEventId: entry.record.eventID, kmsRequestId: String(entry.record.requestID) };
}

/** The workload history's successful crypto calls on one key in the two days before the seed time. */
function recentHistorySuccesses(trail: Trail, workload: Workload): TimedRecord[] {
  const out: TimedRecord[] = [];
  for (let day = Math.floor((trail.seededAt - 2 * DAY) / DAY); day <= Math.floor(trail.seededAt / DAY); day += 1) {
    for (const entry of historyDay(trail, workload, day)) {
      if (entry.record.errorCode === undefined && CRYPTO_OPERATIONS.test(entry.record.eventName)) out.push(entry);
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

interface SeededUse {
  key: KeyRecord;
  arn: string;
  use: Usage;
  /** The AWS service whose managed key this is (alias/aws/<service>). */
  service?: string;
  /** A simulated workload's planned call of the same operation: who made the seeded use, and how. */
  template?: { workload: Workload; call: PlannedCall };
}

/** The workload's newest planned call of this operation before `time` (a week back at most). */
function templateCall(trail: Trail, workload: Workload, operation: string, time: number): PlannedCall | undefined {
  for (let day = Math.floor(time / DAY); day >= Math.floor(time / DAY) - 7; day -= 1) {
    const calls = planFor(trail, workload, day).filter((call) => call.operation === operation && !call.deny && call.params.DryRun !== true && call.time < time);
    if (calls.length > 0) return calls.at(-1);
  }
  return undefined;
}

const seededUses = new WeakMap<Trail, { seededAt: number; byArn: Map<string, SeededUse[]>; records: Map<SeededUse, TimedRecord> }>();

/**
 * Run when a trail is opened or reset. The seed gives each used key its last use; GetKeyLastUsage
 * reports a use only an hour after it (kms.ts LAST_USAGE_LAG_MS). For a key of a simulated
 * workload used within that hour before the seed time, the uses the workload's history holds in
 * that hour (and the seeded one) wait, and the history's last success before it is reported. Every
 * seeded use that is not a history call gets a CloudTrail record of its own (seededUseEvents).
 */
export function prepareSeededUsage(trail: Trail): void {
  const store = trail.store;
  const seededAt = trail.seededAt;
  for (const workload of ownWorkloads(trail)) {
    const key = store.key(REGION, uuidFor(workload.seedKey));
    const seeded = key?.lastUsage;
    if (!key || !seeded || key.recentUsage || seeded.timestamp > seededAt || seeded.timestamp <= seededAt - LAST_USAGE_LAG_MS) continue;
    const successes = recentHistorySuccesses(trail, workload);
    const before = successes.filter((entry) => entry.time <= seededAt - LAST_USAGE_LAG_MS).at(-1);
    const waiting = successes.filter((entry) => entry.time > seededAt - LAST_USAGE_LAG_MS && entry.time < seeded.timestamp).map(usageOf);
    key.recentUsage = [...waiting, seeded];
    if (before) key.lastUsage = usageOf(before);
    else delete key.lastUsage;
    store.touch(key);
  }
  // Any other key used within the hour before the seed time: nothing older is known.
  for (const key of store.state.keys) {
    const seeded = key.lastUsage;
    if (!seeded || key.recentUsage || seeded.timestamp > seededAt || seeded.timestamp <= seededAt - LAST_USAGE_LAG_MS) continue;
    key.recentUsage = [seeded];
    delete key.lastUsage;
    store.touch(key);
  }
  const historyIds = new Set<string>();
  for (const workload of ownWorkloads(trail)) for (const entry of recentHistorySuccesses(trail, workload)) historyIds.add(entry.record.eventID);
  const services = new Map<string, string>();
  for (const alias of store.state.aliases) {
    const match = /^alias\/aws\/(.+)$/.exec(alias.name);
    if (match && alias.targetKeyId) services.set(`${alias.region}/${alias.targetKeyId}`, match[1]!);
  }
  const workloadOf = new Map(ownWorkloads(trail).map((workload) => [workloadKeyArn(workload), workload]));
  const byArn = new Map<string, SeededUse[]>();
  for (const key of store.state.keys) {
    for (const use of [...(key.lastUsage ? [key.lastUsage] : []), ...(key.recentUsage ?? [])]) {
      if (use.timestamp > seededAt || historyIds.has(use.cloudTrailEventId)) continue;
      const arn = arnOf(key);
      const service = key.keyManager === 'AWS' ? services.get(`${key.region}/${key.keyId}`) : undefined;
      const workload = workloadOf.get(arn);
      const call = workload ? templateCall(trail, workload, use.operation, use.timestamp) : undefined;
      let list = byArn.get(arn);
      if (!list) byArn.set(arn, (list = []));
      list.push({ key, arn, use, ...(service ? { service } : {}), ...(workload && call ? { template: { workload, call } } : {}) });
    }
  }
  seededUses.set(trail, { seededAt, byArn, records: new Map() });
}

/** The CloudTrail record of a seeded use: the application (or, for an AWS managed key, the service) that made it. */
function seededUseRecord(entry: SeededUse): TimedRecord {
  const { key, arn, use, service, template } = entry;
  if (template) {
    const { workload, call } = template;
    const record = kmsRecord({ time: use.timestamp, region: key.region, operation: use.operation, actor: call.actor, params: loggedParams(workload, call), keyArn: arn, requestId: use.kmsRequestId, eventId: use.cloudTrailEventId, recipientAccount: key.account ?? ACCOUNT });
    return { time: use.timestamp, record };
  }
  const actor: Actor = service
    ? role('AppInstanceRole', 'i-0a1b2c3d4e5f60718', { via: `${service}.amazonaws.com` })
    : role('ApplicationRole', `app-${key.keyId.slice(0, 8)}`, { sourceIp: '10.0.31.12', userAgent: 'aws-sdk-java/2.25.60 Linux/6.1 OpenJDK_64-Bit_Server_VM/17.0.11' });
  const params: Record<string, unknown> =
    use.operation === 'Decrypt'
      ? { EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }
      : use.operation.startsWith('GenerateDataKey')
        ? { KeyId: arn, KeySpec: 'AES_256' }
        : { KeyId: arn, ...(use.operation === 'Encrypt' ? { EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } : {}) };
  const record = kmsRecord({ time: use.timestamp, region: key.region, operation: use.operation, actor, params, keyArn: arn, requestId: use.kmsRequestId, eventId: use.cloudTrailEventId, recipientAccount: key.account ?? ACCOUNT });
  return { time: use.timestamp, record };
}

function* seededUseEvents(trail: Trail, query: { region: string; from: number; to: number; keyArn?: string }): Generator<TimedRecord> {
  const seeded = seededUses.get(trail);
  if (!seeded || seeded.seededAt !== trail.seededAt) return;
  const lists = query.keyArn !== undefined ? [seeded.byArn.get(query.keyArn) ?? []] : seeded.byArn.values();
  for (const list of lists) {
    for (const entry of list) {
      if (entry.key.region !== query.region || entry.use.timestamp < query.from || entry.use.timestamp > query.to) continue;
      let record = seeded.records.get(entry);
      if (!record) seeded.records.set(entry, (record = seededUseRecord(entry)));
      yield record;
    }
  }
}
