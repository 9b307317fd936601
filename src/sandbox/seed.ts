// The seeded estate: a realistic account (111122223333) in us-east-1 and eu-west-1. Ids are
// deterministic; dates are relative to the seed time, so the estate always looks "current".

import { createHash, randomBytes } from 'node:crypto';
import { SANDBOX_ACCOUNT } from './constants.js';
import { materialIdFor, mrkIdFor, uuidFor } from './crypto.js';
import type { AccountState, AliasRecord, GrantRecord, KeyRecord, KeyState, RotationRecord, SandboxState } from './state.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ACCOUNT = SANDBOX_ACCOUNT;

function hex(seed: string, length = 64): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function policy(statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'key-consolepolicy-3', Statement: statements }, null, 2);
}

const ROOT_STATEMENT = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

const ADMIN_STATEMENT = {
  Sid: 'Allow access for Key Administrators',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyAdmins` },
  Action: [
    'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*',
    'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
  ],
  Resource: '*',
};

/**
 * The guard of the AWS Security Blog example (2026-06-02, "Identify unused AWS KMS keys and prevent
 * accidental key deletions"; KMS.md §11): nobody may disable or schedule the deletion of a key
 * used within the last 365 days.
 */
export const DELETION_GUARD_STATEMENT = {
  Sid: 'Deny disabling or deleting a key used in the last 365 days',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
  Resource: '*',
  Condition: { NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '365' } },
};

function userStatements(role: string): object[] {
  return [
    {
      Sid: 'Allow use of the key',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/${role}` },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    },
    {
      Sid: 'Allow attachment of persistent resources',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/${role}` },
      Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ];
}

/** The service a managed key's `kms:ViaService` names: aws/ebs keys are used through EC2. */
const VIA_SERVICE: Record<string, string> = { ebs: 'ec2' };

/**
 * AWS's own policy of an AWS managed key (as GetKeyPolicy shows it for aws/ebs): use only through
 * the service by principals of the account, metadata reads for the account.
 */
function awsManagedPolicy(service: string, region: string): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Id: `auto-${service}-2`,
      Statement: [
        {
          Sid: `Allow access through ${service.toUpperCase()} for all principals in the account that are authorized to use ${service.toUpperCase()}`,
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT, 'kms:ViaService': `${VIA_SERVICE[service] ?? service}.${region}.amazonaws.com` } },
        },
        {
          Sid: 'Allow direct access to key metadata to the account',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );
}

export interface KeySpecInput {
  name: string;
  region?: string;
  mrk?: boolean;
  createdDaysAgo: number;
  description: string;
  state?: KeyState;
  keySpec?: string;
  keyUsage?: string;
  origin?: string;
  keyManager?: 'CUSTOMER' | 'AWS';
  policy?: string;
  tags?: Record<string, string>;
  aliases?: string[];
  rotationDays?: number;
  onDemandRotations?: number;
  /** Hours before the seed time; undefined = never used. */
  lastUsedHoursAgo?: number;
  lastOperation?: string;
  deletionInDays?: number;
  grants?: Array<Omit<GrantRecord, 'grantId' | 'token' | 'creationDate'> & { createdDaysAgo: number }>;
}

export class EstateBuilder {
  readonly keys: KeyRecord[] = [];
  readonly aliases: AliasRecord[] = [];

  constructor(private readonly now: number) {}

  add(input: KeySpecInput): KeyRecord {
    const region = input.region ?? 'us-east-1';
    const keyId = input.mrk ? mrkIdFor(input.name) : uuidFor(input.name);
    const created = this.now - input.createdDaysAgo * DAY;
    const rotations: RotationRecord[] = [];
    let nextRotationDate: number | undefined;
    if (input.rotationDays) {
      const period = input.rotationDays * DAY;
      let at = created + period;
      for (; at <= this.now; at += period) rotations.push({ materialId: materialIdFor(`${keyId}/auto/${at}`), date: at, type: 'AUTOMATIC' });
      nextRotationDate = at;
    }
    for (let i = 0; i < (input.onDemandRotations ?? 0); i += 1) {
      const at = this.now - (60 - i * 7) * DAY;
      rotations.push({ materialId: materialIdFor(`${keyId}/demand/${i}`), date: at, type: 'ON_DEMAND' });
    }
    rotations.sort((a, b) => a.date - b.date);
    const key: KeyRecord = {
      keyId,
      region,
      creationDate: created,
      description: input.description,
      state: input.state ?? 'Enabled',
      keyUsage: input.keyUsage ?? 'ENCRYPT_DECRYPT',
      keySpec: input.keySpec ?? 'SYMMETRIC_DEFAULT',
      origin: input.origin ?? 'AWS_KMS',
      keyManager: input.keyManager ?? 'CUSTOMER',
      ...(input.mrk ? { multiRegionRole: 'PRIMARY' as const, replicaRegions: [] } : {}),
      ...(input.policy !== undefined ? { policy: input.policy } : {}),
      tags: Object.entries(input.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      rotationEnabled: input.rotationDays !== undefined,
      ...(input.rotationDays ? { rotationPeriodInDays: input.rotationDays, nextRotationDate } : {}),
      originalMaterialId: materialIdFor(`${keyId}/original`),
      rotations,
      ...(input.lastUsedHoursAgo !== undefined
        ? {
            lastUsage: {
              operation: input.lastOperation ?? 'Decrypt',
              timestamp: this.now - input.lastUsedHoursAgo * HOUR,
              cloudTrailEventId: uuidFor(`${input.name}/event`),
              kmsRequestId: uuidFor(`${input.name}/request`),
            },
          }
        : {}),
      grants: (input.grants ?? []).map((g, i) => ({
        ...g,
        grantId: hex(`${input.name}/grant/${i}`),
        token: Buffer.from(hex(`${input.name}/token/${i}`, 64) + hex(`${input.name}/token2/${i}`, 64), 'hex').toString('base64url'),
        creationDate: this.now - g.createdDaysAgo * DAY,
      })),
    };
    if (input.deletionInDays !== undefined) {
      key.state = 'PendingDeletion';
      key.deletionDate = this.now + input.deletionInDays * DAY;
      key.pendingWindowInDays = 30;
    }
    this.keys.push(key);
    for (const [i, name] of (input.aliases ?? []).entries()) {
      const date = created + (i + 1) * HOUR;
      this.aliases.push({ name, region, targetKeyId: keyId, creationDate: date, lastUpdatedDate: date });
    }
    return key;
  }

  replicate(primary: KeyRecord, region: string, createdDaysAgo: number, aliases: string[] = []): KeyRecord {
    const replica: KeyRecord = {
      ...primary,
      region,
      creationDate: this.now - createdDaysAgo * DAY,
      multiRegionRole: 'REPLICA',
      primaryRegion: primary.region,
      rotationEnabled: false,
      rotations: [],
      grants: [],
      tags: primary.tags.map((t) => ({ ...t })),
    };
    delete replica.replicaRegions;
    delete replica.rotationPeriodInDays;
    delete replica.nextRotationDate;
    delete replica.lastUsage;
    primary.replicaRegions = [...(primary.replicaRegions ?? []), region];
    this.keys.push(replica);
    for (const name of aliases) this.aliases.push({ name, region, targetKeyId: replica.keyId, creationDate: replica.creationDate, lastUpdatedDate: replica.creationDate });
    return replica;
  }

  predefinedAlias(region: string, name: string): void {
    this.aliases.push({ name, region });
  }
}

function ec2Grant(volume: string, instance: string, createdDaysAgo: number) {
  return {
    createdDaysAgo,
    granteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/${instance}`,
    retiringPrincipal: 'ec2.us-east-1.amazonaws.com',
    operations: ['Decrypt'],
    constraints: { encryptionContextSubset: { 'aws:ebs:id': volume } },
  };
}

/** Constrained to the cluster context only (the brief); the seed doc's grant also names aws:ebs:id. */
function fargateGrant(cluster: string, createdDaysAgo: number) {
  return {
    createdDaysAgo,
    granteePrincipal: 'fargate.us-east-1.amazonaws.com',
    retiringPrincipal: 'ec2.us-east-1.amazonaws.com',
    operations: ['Decrypt'],
    constraints: { encryptionContextSubset: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': cluster } },
  };
}

/** Builds the seeded state. `largeEstate` adds that many generated customer keys in us-east-1. */
export function seedState(nowMs: number, largeEstate = 0): SandboxState {
  const b = new EstateBuilder(nowMs);

  // --- AWS managed keys and predefined aliases
  const managed: Array<[string, string, string, number]> = [
    ['ebs', 'us-east-1', 'Default key that protects my EBS volumes when no other key is defined', 820],
    ['s3', 'us-east-1', 'Default key that protects my S3 objects when no other key is defined', 1100],
    ['rds', 'us-east-1', 'Default key that protects my RDS database volumes when no other key is defined', 640],
    ['secretsmanager', 'us-east-1', 'Default key that protects my Secrets Manager data when no other key is defined', 300],
    ['ebs', 'eu-west-1', 'Default key that protects my EBS volumes when no other key is defined', 500],
  ];
  for (const [service, region, description, days] of managed) {
    b.add({
      name: `aws-managed/${region}/${service}`,
      region,
      createdDaysAgo: days,
      description,
      keyManager: 'AWS',
      policy: awsManagedPolicy(service, region),
      aliases: [`alias/aws/${service}`],
      lastUsedHoursAgo: 6,
      lastOperation: 'GenerateDataKeyWithoutPlaintext',
    });
  }
  for (const service of ['acm', 'dynamodb', 'elasticfilesystem', 'lambda', 'sns', 'sqs', 'ssm', 'redshift', 'kinesis', 'backup', 'glue', 'es']) {
    b.predefinedAlias('us-east-1', `alias/aws/${service}`);
  }
  for (const service of ['s3', 'rds', 'lambda', 'ssm']) b.predefinedAlias('eu-west-1', `alias/aws/${service}`);

  // --- EBS volume keys with ec2-infrastructure grants
  b.add({
    name: 'ebs-prod-data',
    createdDaysAgo: 700,
    description: 'EBS volumes of the production data tier (orders, inventory)',
    policy: policy([ROOT_STATEMENT, ADMIN_STATEMENT, ...userStatements('ProdDataNodes')]),
    tags: { Owner: 'storage-team', Environment: 'prod', CostCenter: 'CC-1042', Service: 'ebs' },
    aliases: ['alias/ebs/prod-data', 'alias/ebs/default-prod'],
    rotationDays: 365,
    lastUsedHoursAgo: 2,
    lastOperation: 'Decrypt',
    grants: [
      ec2Grant('vol-0a1b2c3d4e5f60718', 'i-0f3e2d1c0b9a87654', 41),
      ec2Grant('vol-0b2c3d4e5f6071829', 'i-0a9b8c7d6e5f43210', 12),
    ],
  });
  b.add({
    name: 'ebs-staging-data',
    createdDaysAgo: 420,
    description: 'EBS volumes for staging workloads',
    policy: policy([ROOT_STATEMENT, ADMIN_STATEMENT, ...userStatements('StagingNodes')]),
    tags: { Owner: 'storage-team', Environment: 'staging', CostCenter: 'CC-1042' },
    aliases: ['alias/ebs/staging-data'],
    rotationDays: 180,
    lastUsedHoursAgo: 20 * 24,
    lastOperation: 'GenerateDataKeyWithoutPlaintext',
    grants: [ec2Grant('vol-0c3d4e5f607182930', 'i-0123456789abcdef0', 20)],
  });
  b.add({
    name: 'ebs-analytics-scratch',
    createdDaysAgo: 510,
    description: 'Scratch volumes for the nightly analytics cluster (retired?)',
    tags: { Owner: 'data-platform', Environment: 'prod', CostCenter: 'CC-2210' },
    aliases: ['alias/ebs/analytics-scratch'],
    grants: [ec2Grant('vol-0d4e5f60718293a4b', 'i-0fedcba9876543210', 300)],
  });

  // --- Fargate ephemeral storage (seed doc 003)
  b.add({
    name: 'fargate-ephemeral',
    createdDaysAgo: 260,
    description: 'Fargate ephemeral storage for the payments ECS cluster',
    policy: policy([
      ROOT_STATEMENT,
      {
        Sid: 'Allow generate data key access for Fargate tasks.',
        Effect: 'Allow',
        Principal: { Service: 'fargate.amazonaws.com' },
        Action: ['kms:GenerateDataKeyWithoutPlaintext'],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:EncryptionContext:aws:ecs:clusterAccount': [ACCOUNT],
            'kms:EncryptionContext:aws:ecs:clusterName': ['payments-prod'],
          },
        },
      },
      {
        Sid: 'Allow grant creation permission for Fargate tasks.',
        Effect: 'Allow',
        Principal: { Service: 'fargate.amazonaws.com' },
        Action: ['kms:CreateGrant'],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:EncryptionContext:aws:ecs:clusterAccount': [ACCOUNT],
            'kms:EncryptionContext:aws:ecs:clusterName': ['payments-prod'],
          },
          'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Decrypt'] },
        },
      },
    ]),
    tags: { Owner: 'payments-team', Environment: 'prod', CostCenter: 'CC-3100', Service: 'ecs' },
    aliases: ['alias/ecs/fargate-ephemeral'],
    rotationDays: 90,
    lastUsedHoursAgo: 26,
    lastOperation: 'GenerateDataKeyWithoutPlaintext',
    grants: [fargateGrant('payments-prod', 2), fargateGrant('payments-prod', 1)],
  });

  // --- Image Builder workflows (seed doc 001)
  b.add({
    name: 'imagebuilder-workflows',
    createdDaysAgo: 380,
    description: 'Encrypts EC2 Image Builder workflows',
    policy: policy([
      {
        Sid: 'Allow access to build images with encrypted workflow',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ImageBuilderExecutionRole` },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringLike: { 'kms:EncryptionContext:aws:imagebuilder:arn': `arn:aws:imagebuilder:*:${ACCOUNT}:workflow/*` } },
      },
      { Sid: 'Allow access for key administrators', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['kms:*'], Resource: `arn:aws:kms:*:${ACCOUNT}:key/*` },
    ]),
    tags: { Owner: 'platform-images', Environment: 'shared', CostCenter: 'CC-4400' },
    aliases: ['alias/imagebuilder/workflows'],
    rotationDays: 730,
    lastUsedHoursAgo: 95 * 24,
    lastOperation: 'GenerateDataKey',
  });

  // --- CloudTrail log encryption (seed doc 002)
  b.add({
    name: 'cloudtrail-logs',
    createdDaysAgo: 990,
    description: 'Encrypts the organization CloudTrail trail log files',
    policy: policy([
      ROOT_STATEMENT,
      {
        Sid: 'Allow CloudTrail to encrypt logs',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Resource: '*',
        Condition: {
          ArnEquals: { 'aws:SourceArn': [`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management-events`] },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': [`arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`] },
        },
      },
      {
        Sid: 'Allow CloudTrail to describe key',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:DescribeKey',
        Resource: '*',
      },
      DELETION_GUARD_STATEMENT,
    ]),
    tags: { Owner: 'security', Environment: 'prod', CostCenter: 'CC-0001', Compliance: 'pci' },
    aliases: ['alias/cloudtrail/management-events'],
    rotationDays: 365,
    lastUsedHoursAgo: 0.1,
    lastOperation: 'GenerateDataKey',
  });

  // --- Asymmetric, HMAC, imported
  b.add({
    name: 'release-signing',
    createdDaysAgo: 150,
    description: 'Signs release artifacts (RSA 2048)',
    keySpec: 'RSA_2048',
    keyUsage: 'SIGN_VERIFY',
    tags: { Owner: 'release-eng', Environment: 'prod', CostCenter: 'CC-5120' },
    aliases: ['alias/signing/release-artifacts'],
  });
  b.add({
    name: 'webhook-hmac',
    createdDaysAgo: 120,
    description: 'HMAC for webhook signatures',
    keySpec: 'HMAC_256',
    keyUsage: 'GENERATE_VERIFY_MAC',
    tags: { Owner: 'integrations', Environment: 'prod' },
    aliases: ['alias/hmac/webhook-tokens'],
    lastUsedHoursAgo: 72,
    lastOperation: 'GenerateMac',
  });
  b.add({
    name: 'byok-payments-import',
    createdDaysAgo: 45,
    description: 'BYOK key for the payments HSM migration (material not imported yet)',
    origin: 'EXTERNAL',
    state: 'PendingImport',
    tags: { Owner: 'payments-team', Environment: 'prod', CostCenter: 'CC-3100' },
    aliases: ['alias/byok/payments-import'],
  });

  // --- Multi-Region primary with a replica in eu-west-1
  const mrk = b.add({
    name: 'customer-data-global',
    mrk: true,
    createdDaysAgo: 330,
    description: 'Customer data, replicated for the EU read path',
    tags: { Owner: 'customer-platform', Environment: 'prod', CostCenter: 'CC-6000', DataClass: 'confidential' },
    aliases: ['alias/global/customer-data'],
    rotationDays: 365,
    lastUsedHoursAgo: 10 * 24,
    lastOperation: 'Decrypt',
  });
  const replica = b.replicate(mrk, 'eu-west-1', 300, ['alias/global/customer-data']);
  replica.lastUsage = { operation: 'Decrypt', timestamp: nowMs - 3 * HOUR, cloudTrailEventId: uuidFor('replica/event'), kmsRequestId: uuidFor('replica/request') };

  // --- On-demand rotations, disabled, pending deletion, unused
  b.add({
    name: 'payments-db',
    createdDaysAgo: 600,
    description: 'Payments database column encryption',
    policy: policy([ROOT_STATEMENT, ADMIN_STATEMENT, ...userStatements('PaymentsApi')]),
    tags: { Owner: 'payments-team', Environment: 'prod', CostCenter: 'CC-3100', Compliance: 'pci' },
    aliases: ['alias/app/payments-db', 'alias/app/payments-db-v2'],
    rotationDays: 365,
    onDemandRotations: 3,
    lastUsedHoursAgo: 0.5,
    lastOperation: 'Decrypt',
  });
  b.add({
    name: 'orders-queue',
    createdDaysAgo: 210,
    description: 'SQS queue encryption for order events',
    tags: { Owner: 'orders-team', Environment: 'prod', CostCenter: 'CC-2001' },
    aliases: ['alias/app/orders-queue'],
    rotationDays: 180,
    lastUsedHoursAgo: 5,
    lastOperation: 'GenerateDataKey',
  });
  b.add({
    name: 'legacy-reporting',
    createdDaysAgo: 900,
    description: 'Reporting exports 2023 (disabled pending retirement)',
    state: 'Disabled',
    tags: { Owner: 'bi-team', Environment: 'prod', CostCenter: 'CC-7300' },
    aliases: ['alias/legacy/reporting-2023'],
    rotationDays: 365,
  });
  b.add({
    name: 'legacy-batch',
    createdDaysAgo: 800,
    description: 'Old batch jobs bucket (scheduled for deletion)',
    tags: { Owner: 'bi-team', Environment: 'prod' },
    aliases: ['alias/legacy/old-batch'],
    deletionInDays: 10,
  });
  b.add({
    name: 'ci-scratch',
    createdDaysAgo: 9,
    description: 'Created by CI for integration tests',
    tags: { Environment: 'dev', Owner: 'ci' },
  });
  b.add({
    name: 'dev-sandbox-secrets',
    createdDaysAgo: 40,
    description: 'Developer sandbox secrets',
    tags: { Environment: 'dev', Owner: 'dev-experience', CostCenter: 'CC-9000' },
    aliases: ['alias/dev/secrets'],
    rotationDays: 90,
  });

  // --- eu-west-1 keys of its own
  b.add({
    name: 'eu-gdpr-archive',
    region: 'eu-west-1',
    createdDaysAgo: 450,
    description: 'GDPR archive bucket (EU only)',
    tags: { Owner: 'customer-platform', Environment: 'prod', CostCenter: 'CC-6000', DataResidency: 'eu' },
    aliases: ['alias/eu/gdpr-archive'],
    rotationDays: 365,
    lastUsedHoursAgo: 30,
    lastOperation: 'Decrypt',
  });
  b.add({
    name: 'eu-backup',
    region: 'eu-west-1',
    createdDaysAgo: 700,
    description: 'EU backup vault',
    tags: { Owner: 'storage-team', Environment: 'prod' },
    aliases: ['alias/eu/backup'],
  });

  for (let i = 0; i < largeEstate; i += 1) b.keys.push(generatedKey(nowMs, i, b.aliases));

  // The organization's member accounts: seeded by AccountStores.load (organization.ts).
  return { ...freshAccountState(ACCOUNT, nowMs, b, 400), members: {} };
}

/**
 * An account's state as seeded: its keys and aliases, the CloudTrail trail's log group
 * (CloudWatch Logs, created `trailAgeDays` ago, no metric filters yet) and one multi-Region trail
 * logging every management event (src/sandbox/cloudtrail.ts). The management account and each
 * member account of the organization (organization.ts) start this way.
 */
export function freshAccountState(account: string, nowMs: number, estate: { keys: KeyRecord[]; aliases: AliasRecord[] }, trailAgeDays: number): AccountState {
  return {
    version: 1,
    seededAt: nowMs,
    secret: randomBytes(32).toString('hex'),
    clockOffsetSeconds: 0,
    keys: estate.keys,
    aliases: estate.aliases,
    logGroups: [
      { region: 'us-east-1', name: `aws-cloudtrail-logs-${account}-management`, creationTime: nowMs - trailAgeDays * DAY, retentionInDays: 365, streams: [], metricFilters: [] },
    ],
    metrics: [],
    alarms: [],
    trail: { logging: true, readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: [] },
  };
}

const PERIODS = [90, 180, 365, 730];
const ENVIRONMENTS = ['prod', 'staging', 'dev'];

/** A cheap generated customer key for benchmarks: varied state, rotation, tags and use. */
function generatedKey(nowMs: number, i: number, aliases: AliasRecord[]): KeyRecord {
  const keyId = uuidFor(`large/${i}`);
  const created = nowMs - ((i * 7919) % 1200) * DAY - DAY;
  const rotating = i % 3 !== 0;
  const period = PERIODS[i % PERIODS.length]!;
  const key: KeyRecord = {
    keyId,
    region: 'us-east-1',
    creationDate: created,
    description: `Generated workload key ${i}`,
    state: i % 97 === 0 ? 'PendingDeletion' : i % 23 === 0 ? 'Disabled' : 'Enabled',
    keyUsage: 'ENCRYPT_DECRYPT',
    keySpec: 'SYMMETRIC_DEFAULT',
    origin: 'AWS_KMS',
    keyManager: 'CUSTOMER',
    tags: [
      { TagKey: 'Environment', TagValue: ENVIRONMENTS[i % 3]! },
      { TagKey: 'Owner', TagValue: `team-${i % 17}` },
    ],
    rotationEnabled: rotating,
    ...(rotating ? { rotationPeriodInDays: period, nextRotationDate: nowMs + ((i % period) + 1) * DAY } : {}),
    rotations: [],
    grants: [],
  };
  if (key.state === 'PendingDeletion') {
    key.pendingWindowInDays = 7 + (i % 24);
    key.deletionDate = nowMs + (1 + (i % 20)) * DAY;
  }
  if (i % 4 !== 0) {
    key.lastUsage = {
      operation: i % 2 ? 'Decrypt' : 'GenerateDataKey',
      timestamp: nowMs - ((i * 31) % (90 * 24)) * HOUR,
      cloudTrailEventId: uuidFor(`large/${i}/event`),
      kmsRequestId: uuidFor(`large/${i}/request`),
    };
  }
  if (i % 5 === 0) aliases.push({ name: `alias/workload/key-${String(i).padStart(5, '0')}`, region: 'us-east-1', targetKeyId: keyId, creationDate: created, lastUpdatedDate: created });
  return key;
}
