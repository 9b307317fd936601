// Key rows and details shaped like what src/aws/ builds from real KMS responses
// (DescribeKey, GetKeyRotationStatus, GetKeyLastUsage, ListResourceTags, ListGrants,
// ListKeyRotations, GetKeyPolicy). Used by table and view tests; not a fake of AWS.

import type { KeyDetail, KeyMetadata, KeyRow } from '../../src/domain/key.js';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const NOW = new Date('2026-11-23T12:00:00Z');

function arnOf(keyId: string, region = REGION): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`;
}

/** The key id the domain tests use when any key will do. */
export const SAMPLE_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * DescribeKey's metadata of an enabled customer-managed symmetric key in us-east-1 (unless the
 * overrides say otherwise; the ARN follows the key id and region given).
 */
export function keyMetadata(overrides: Partial<KeyMetadata> = {}): KeyMetadata {
  const keyId = overrides.keyId ?? SAMPLE_KEY_ID;
  const region = overrides.region ?? 'us-east-1';
  return {
    keyId,
    arn: arnOf(keyId, region),
    accountId: ACCOUNT,
    region,
    description: '',
    state: 'Enabled',
    enabled: true,
    keyManager: 'CUSTOMER',
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'AWS_KMS',
    creationDate: '2025-01-01T00:00:00.000Z',
    multiRegion: false,
    ...overrides,
  };
}

function meta(keyId: string, overrides: Partial<KeyMetadata> = {}): KeyMetadata {
  return keyMetadata({
    keyId,
    region: REGION,
    creationDate: '2024-03-01T09:15:22.512Z',
    encryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    currentKeyMaterialId: 'b2a9c5d1e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0',
    ...overrides,
  });
}

export const EBS_KEY_ID = SAMPLE_KEY_ID;
export const FARGATE_KEY_ID = '0987dcba-09fe-87dc-65ba-ab0987654321';
export const SIGNING_KEY_ID = '4b2c1a0e-9d8f-4a6b-8c4d-3e2f1a0b9c8d';
export const RETIRED_KEY_ID = '7f3e2d1c-0b9a-4887-a665-544332211000';
export const NO_ACCESS_KEY_ID = 'c0ffee00-1111-4222-8333-944455556666';
export const AWS_MANAGED_KEY_ID = 'aa11bb22-cc33-4d44-ae55-ff6677889900';
export const MRK_KEY_ID = 'mrk-1234abcd12ab34cd56ef1234567890ab';
export const DISABLED_KEY_ID = '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9';

export const ebsRow: KeyRow = {
  keyId: EBS_KEY_ID,
  arn: arnOf(EBS_KEY_ID),
  region: REGION,
  aliases: ['alias/ebs-volumes', 'alias/prod/ebs-default'],
  tags: [
    { key: 'team', value: 'storage' },
    { key: 'env', value: 'prod' },
  ],
  metadata: meta(EBS_KEY_ID, { description: 'Default key for prod EBS volumes', creationDate: '2024-03-01T09:15:22.512Z' }),
  rotation: { kind: 'enabled', periodDays: 365, nextRotationDate: '2027-03-01T09:15:22.512Z' },
  lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-20T08:01:44Z', trackingStartDate: '2025-01-01T00:00:00Z' },
  problems: [],
};

export const fargateRow: KeyRow = {
  keyId: FARGATE_KEY_ID,
  arn: arnOf(FARGATE_KEY_ID),
  region: REGION,
  aliases: ['alias/fargate-ephemeral'],
  tags: [{ key: 'team', value: 'platform' }],
  metadata: meta(FARGATE_KEY_ID, { description: 'Fargate ephemeral storage', creationDate: '2025-06-10T14:00:00Z' }),
  rotation: { kind: 'enabled', periodDays: 90, nextRotationDate: '2026-12-08T14:00:00Z' },
  lastUsage: { kind: 'used', operation: 'GenerateDataKeyWithoutPlaintext', timestamp: '2026-11-23T10:00:00Z' },
  problems: [],
};

export const signingRow: KeyRow = {
  keyId: SIGNING_KEY_ID,
  arn: arnOf(SIGNING_KEY_ID),
  region: REGION,
  aliases: ['alias/release-signing'],
  tags: [],
  metadata: meta(SIGNING_KEY_ID, {
    description: 'Signs release artefacts',
    keySpec: 'RSA_2048',
    keyUsage: 'SIGN_VERIFY',
    creationDate: '2023-01-15T10:00:00Z',
    encryptionAlgorithms: undefined,
    signingAlgorithms: ['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256'],
  }),
  rotation: { kind: 'unsupported', reason: 'asymmetric keys cannot rotate automatically' },
  lastUsage: { kind: 'never', trackingStartDate: '2022-12-01T00:00:00Z' },
  problems: [],
};

export const retiredRow: KeyRow = {
  keyId: RETIRED_KEY_ID,
  arn: arnOf(RETIRED_KEY_ID),
  region: REGION,
  aliases: ['alias/old-backups'],
  tags: [{ key: 'retire', value: 'yes' }],
  metadata: meta(RETIRED_KEY_ID, {
    description: 'Backups before 2024',
    state: 'PendingDeletion',
    enabled: false,
    creationDate: '2019-05-05T05:05:05Z',
    deletionDate: '2026-12-20T12:00:00Z',
    pendingDeletionWindowInDays: 30,
  }),
  rotation: { kind: 'disabled' },
  lastUsage: { kind: 'not-since-tracking', trackingStartDate: '2026-04-15T00:00:00Z' },
  problems: [],
};

export const noAccessRow: KeyRow = {
  keyId: NO_ACCESS_KEY_ID,
  arn: arnOf(NO_ACCESS_KEY_ID),
  region: REGION,
  aliases: [],
  tags: [],
  rotation: { kind: 'error', message: 'access denied' },
  lastUsage: { kind: 'error', message: 'access denied' },
  problems: [
    {
      what: 'DescribeKey',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/ReadOnly/alice is not authorized to perform: kms:DescribeKey`,
      code: 'AccessDeniedException',
    },
  ],
};

export const awsManagedRow: KeyRow = {
  keyId: AWS_MANAGED_KEY_ID,
  arn: arnOf(AWS_MANAGED_KEY_ID),
  region: REGION,
  aliases: ['alias/aws/ebs'],
  tags: [],
  metadata: meta(AWS_MANAGED_KEY_ID, { keyManager: 'AWS', description: 'Default key that protects my EBS volumes when no other key is defined' }),
  rotation: { kind: 'unsupported', reason: 'AWS managed key: AWS rotates it every year; it cannot be changed' },
  lastUsage: { kind: 'used', operation: 'CreateGrant', timestamp: '2026-11-01T00:00:00Z' },
  problems: [],
};

export const mrkPrimaryRow: KeyRow = {
  keyId: MRK_KEY_ID,
  arn: arnOf(MRK_KEY_ID),
  region: REGION,
  aliases: ['alias/global-secrets'],
  tags: [],
  metadata: meta(MRK_KEY_ID, {
    multiRegion: true,
    multiRegionRole: 'PRIMARY',
    primaryKey: { arn: arnOf(MRK_KEY_ID), region: REGION },
    replicaKeys: [{ arn: arnOf(MRK_KEY_ID, 'us-east-1'), region: 'us-east-1' }],
    creationDate: '2025-02-02T02:02:02Z',
  }),
  rotation: { kind: 'disabled' },
  lastUsage: { kind: 'used', operation: 'Encrypt', timestamp: '2026-11-22T22:22:00Z' },
  problems: [],
};

export const disabledRow: KeyRow = {
  keyId: DISABLED_KEY_ID,
  arn: arnOf(DISABLED_KEY_ID),
  region: REGION,
  aliases: ['alias/legacy-app'],
  tags: [],
  metadata: meta(DISABLED_KEY_ID, { state: 'Disabled', enabled: false, creationDate: '2020-08-08T08:08:08Z' }),
  rotation: { kind: 'disabled' },
  lastUsage: { kind: 'not-since-tracking', trackingStartDate: '2026-04-15T00:00:00Z' },
  problems: [],
};

export const ALL_ROWS: KeyRow[] = [ebsRow, fargateRow, signingRow, retiredRow, noAccessRow, awsManagedRow, mrkPrimaryRow, disabledRow];

const ROOT_POLICY = {
  Version: '2012-10-17',
  Id: 'key-default-1',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

export const ebsDetail: KeyDetail = {
  row: ebsRow,
  policy: JSON.stringify(ROOT_POLICY),
  grants: [
    {
      grantId: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      keyId: ebsRow.arn,
      creationDate: '2026-10-01T12:00:00Z',
      granteePrincipal: `${ACCOUNT}:aws:ec2-infrastructure:vol-0abc1234def567890`,
      retiringPrincipal: undefined,
      issuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
      operations: ['Decrypt'],
      constraints: { encryptionContextSubset: { 'aws:ebs:id': 'vol-0abc1234def567890' } },
    },
  ],
  rotations: [
    { rotationDate: '2025-03-01T09:15:22Z', rotationType: 'AUTOMATIC', keyMaterialId: 'a1', keyMaterialState: 'NON_CURRENT' },
    { rotationDate: '2026-03-01T09:15:22Z', rotationType: 'AUTOMATIC', keyMaterialId: 'a2', keyMaterialState: 'NON_CURRENT' },
    { rotationDate: '2026-07-14T16:40:00Z', rotationType: 'ON_DEMAND', keyMaterialId: 'a3', keyMaterialState: 'CURRENT' },
  ],
  onDemandRotationsLeft: 24,
};

export const fargateDetail: KeyDetail = {
  row: fargateRow,
  policy: JSON.stringify(ROOT_POLICY),
  grants: [
    {
      grantId: '0c5b2a1e7f0a4d3c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d',
      keyId: fargateRow.arn,
      name: 'fargate-ephemeral-storage',
      creationDate: '2026-11-02T03:04:05Z',
      granteePrincipal: 'fargate.eu-west-1.amazonaws.com',
      retiringPrincipal: 'ec2.eu-west-1.amazonaws.com',
      operations: ['Decrypt', 'GenerateDataKeyWithoutPlaintext'],
      constraints: { encryptionContextSubset: { 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'prod' } },
    },
  ],
  rotations: [],
  onDemandRotationsLeft: 25,
};

export const signingDetail: KeyDetail = {
  row: signingRow,
  policy: { what: 'GetKeyPolicy', message: 'access denied to kms:GetKeyPolicy', code: 'AccessDeniedException' },
  grants: [],
  rotations: [],
};

/** A policy whose text tries to set the clipboard, clear the screen and reverse text. */
export const HOSTILE_POLICY =
  '{"Version":"2012-10-17","Statement":[{"Sid":"pwn\u001b]52;c;ZWNobyBoaQ==\u0007\u001b[2J\u202eevil","Effect":"Allow","Principal":"*","Action":"kms:Decrypt"}]}';

/** `count` rows shaped like ebsRow, for virtualisation tests. */
export function manyRows(count: number): KeyRow[] {
  return Array.from({ length: count }, (_, i) => {
    const hex = i.toString(16).padStart(12, '0');
    const keyId = `00000000-0000-4000-8000-${hex}`;
    return {
      ...ebsRow,
      keyId,
      arn: arnOf(keyId),
      aliases: [`alias/bulk-${String(i).padStart(5, '0')}`],
      metadata: meta(keyId),
    };
  });
}
