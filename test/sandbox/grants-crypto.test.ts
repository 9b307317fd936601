// Grants, real encryption, GetKeyLastUsage and multi-Region replication (KMS.md §4, §11, §3.1).

import {
  CreateGrantCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetKeyLastUsageCommand,
  GetKeyPolicyCommand,
  ListGrantsCommand,
  ReplicateKeyCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  CancelKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const TRACKING_START = new Date('2026-04-15T00:00:00Z');
const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

let h: Harness;
beforeAll(async () => {
  // Each test creates its keys (and replicas) through raw CreateKey calls (5/s in an account) without retries.
  h = await openHarness({ quotaScale: 20 });
});
afterAll(async () => {
  await h.close();
});

describe('grants', () => {
  it('creates, lists with every field, retires by token and revokes by id', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const created = await kms.send(
      new CreateGrantCommand({
        KeyId: arn,
        GranteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-0abc`,
        RetiringPrincipal: 'ec2.us-east-1.amazonaws.com',
        Operations: ['Decrypt'],
        Constraints: { EncryptionContextSubset: { 'aws:ebs:id': 'vol-0abc' } },
        Name: 'ebs-attach',
      }),
    );
    expect(created.GrantId).toMatch(/^[0-9a-f]{64}$/);
    expect(created.GrantToken!.length).toBeGreaterThan(32);
    const listed = (await kms.send(new ListGrantsCommand({ KeyId: arn }))).Grants!;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      KeyId: arn,
      GrantId: created.GrantId,
      Name: 'ebs-attach',
      GranteePrincipal: `arn:aws:sts::${ACCOUNT}:assumed-role/aws:ec2-infrastructure/i-0abc`,
      RetiringPrincipal: 'ec2.us-east-1.amazonaws.com',
      IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
      Operations: ['Decrypt'],
      Constraints: { EncryptionContextSubset: { 'aws:ebs:id': 'vol-0abc' } },
    });
    expect(listed[0]!.CreationDate).toBeInstanceOf(Date);
    await kms.send(new RetireGrantCommand({ GrantToken: created.GrantToken }));
    expect((await kms.send(new ListGrantsCommand({ KeyId: arn }))).Grants).toEqual([]);

    const second = await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Encrypt', 'GenerateDataKey'] }));
    await kms.send(new RevokeGrantCommand({ KeyId: arn, GrantId: second.GrantId }));
    const third = await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Encrypt'] }));
    await kms.send(new RetireGrantCommand({ KeyId: arn, GrantId: third.GrantId }));
    expect((await kms.send(new ListGrantsCommand({ KeyId: arn }))).Grants).toEqual([]);
  });

  it('returns the same grant for a retry with the same Name', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const input = { KeyId: arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Decrypt' as const], Name: 'retry-me' };
    const a = await kms.send(new CreateGrantCommand(input));
    const b = await kms.send(new CreateGrantCommand(input));
    expect(b.GrantId).toBe(a.GrantId);
    expect((await kms.send(new ListGrantsCommand({ KeyId: arn }))).Grants).toHaveLength(1);
  });

  it('validates operations and says "Grant ID <id> not found" for an unknown grant', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const bad = await failure(kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: 'p', Operations: ['Fly' as never] })));
    expect(bad.name).toBe('ValidationException');
    expect(bad.message).toMatch(/^1 validation error detected: Value 'Fly' at 'operations\.1\.member' failed to satisfy constraint: Member must satisfy enum value set: \[Decrypt, Encrypt/);
    const unknown = 'a'.repeat(64);
    const calls = [() => kms.send(new RevokeGrantCommand({ KeyId: arn, GrantId: unknown })), () => kms.send(new RetireGrantCommand({ KeyId: arn, GrantId: unknown }))];
    for (const call of calls) {
      expect(await failure(call())).toMatchObject({ name: 'NotFoundException', message: `Grant ID ${unknown} not found` });
    }
    expect((await failure(kms.send(new RetireGrantCommand({ GrantToken: 'no-such-token' })))).name).toBe('InvalidGrantTokenException');
  });

  it('seeds EBS grants to ec2-infrastructure and Fargate grants constrained to the cluster', async () => {
    const ebs = (await h.kms().send(new ListGrantsCommand({ KeyId: await h.arn('alias/ebs/prod-data') }))).Grants!;
    expect(ebs.length).toBeGreaterThanOrEqual(2);
    for (const grant of ebs) {
      expect(grant.GranteePrincipal).toMatch(/^arn:aws:sts::111122223333:assumed-role\/aws:ec2-infrastructure\/i-0/);
      expect(grant).toMatchObject({ Operations: ['Decrypt'], RetiringPrincipal: 'ec2.us-east-1.amazonaws.com' });
      expect(grant.Constraints!.EncryptionContextSubset!['aws:ebs:id']).toMatch(/^vol-/);
    }
    const fargateArn = await h.arn('alias/ecs/fargate-ephemeral');
    const fargate = (await h.kms().send(new ListGrantsCommand({ KeyId: fargateArn }))).Grants!;
    expect(fargate[0]!.Constraints!.EncryptionContextSubset).toEqual({ 'aws:ecs:clusterAccount': ACCOUNT, 'aws:ecs:clusterName': 'payments-prod' });
    const policy = JSON.parse((await h.kms().send(new GetKeyPolicyCommand({ KeyId: fargateArn }))).Policy!);
    expect(JSON.stringify(policy)).toContain('fargate.amazonaws.com');
    expect(JSON.stringify(policy)).toContain('kms:EncryptionContext:aws:ecs:clusterName');
  });

  it('gives a new key the default key policy', async () => {
    const policy = JSON.parse((await h.kms().send(new GetKeyPolicyCommand({ KeyId: await h.createKey() }))).Policy!);
    expect(policy.Statement).toEqual([
      { Sid: 'Enable IAM policies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    ]);
  });
});

describe('encryption', () => {
  it('round-trips Encrypt → Decrypt without a KeyId, binding the encryption context', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const context = { 'aws:ebs:id': 'vol-1', purpose: 'test' };
    const encrypted = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('secret data'), EncryptionContext: context }));
    expect(encrypted).toMatchObject({ KeyId: arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { purpose: 'test', 'aws:ebs:id': 'vol-1' } }));
    expect(decode(decrypted.Plaintext)).toBe('secret data');
    expect(decrypted.KeyId).toBe(arn);
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { purpose: 'other' } })))).name).toBe(
      'InvalidCiphertextException',
    );
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })))).name).toBe('InvalidCiphertextException');
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: text('garbage garbage garbage garbage garbage') })))).name).toBe('InvalidCiphertextException');
    const other = await h.createKey();
    expect(await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: other, EncryptionContext: context })))).toMatchObject({
      name: 'IncorrectKeyException',
      message: 'The key ID in the request does not identify a CMK that can perform this operation.',
    });
  });

  it('still decrypts old ciphertext after an on-demand rotation', async () => {
    const kms = h.kms();
    const ciphertext = (await kms.send(new EncryptCommand({ KeyId: 'alias/app/payments-db', Plaintext: text('before rotation') }))).CiphertextBlob!;
    const { RotateKeyOnDemandCommand } = await import('@aws-sdk/client-kms');
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: await h.arn('alias/app/payments-db') }));
    expect(decode((await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext)).toBe('before rotation');
  });

  it('generates data keys of the requested size and validates NumberOfBytes / KeySpec', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256', EncryptionContext: { a: '1' } }));
    expect(dataKey.Plaintext).toHaveLength(32);
    const again = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { a: '1' } }));
    expect(Buffer.from(again.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);
    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 64 }))).Plaintext).toHaveLength(64);
    const withoutPlaintext = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: arn, KeySpec: 'AES_128' }));
    expect((withoutPlaintext as { Plaintext?: unknown }).Plaintext).toBeUndefined();
    expect(decode((await kms.send(new DecryptCommand({ CiphertextBlob: withoutPlaintext.CiphertextBlob }))).Plaintext).length).toBeGreaterThan(0);
    expect(await failure(kms.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 0 })))).toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    });
    expect(await failure(kms.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 1025 })))).toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    });
    expect((await failure(kms.send(new GenerateDataKeyCommand({ KeyId: arn })))).name).toBe('ValidationException');
    expect((await failure(kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_512' as never })))).name).toBe('ValidationException');
  });

  it('refuses to encrypt with a signing or HMAC key', async () => {
    expect((await failure(h.kms().send(new EncryptCommand({ KeyId: 'alias/signing/release-artifacts', Plaintext: text('x') })))).name).toBe('InvalidKeyUsageException');
    expect((await failure(h.kms().send(new EncryptCommand({ KeyId: 'alias/hmac/webhook-tokens', Plaintext: text('x') })))).name).toBe('InvalidKeyUsageException');
  });
});

describe('GetKeyLastUsage', () => {
  it('is empty for a new key (tracking starts at creation) and records each successful crypto call', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const created = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.CreationDate!;
    const before = await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
    expect(before).toMatchObject({ KeyId: arn, KeyLastUsage: {} });
    expect(before.KeyCreationDate!.getTime()).toBe(created.getTime());
    expect(before.TrackingStartDate!.getTime()).toBe(created.getTime());
    await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('x') }));
    // Reported an hour after the use (docs/sandbox.md choice 12a).
    expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage).toEqual({});
    const advanced = await fetch(`${h.sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 3600 }) });
    expect(advanced.status).toBe(200);
    const after = await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
    expect(after.KeyLastUsage).toMatchObject({ Operation: 'Encrypt' });
    expect(after.KeyLastUsage!.Timestamp).toBeInstanceOf(Date);
    expect(after.KeyLastUsage!.CloudTrailEventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(after.KeyLastUsage!.KmsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    await failure(kms.send(new DecryptCommand({ CiphertextBlob: text('not ours at all, certainly not'), KeyId: arn })));
    expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }))).KeyLastUsage!.Operation).toBe('Encrypt');
  });

  it('reports the account tracking start for keys created before it, with no use since', async () => {
    const out = await h.kms().send(new GetKeyLastUsageCommand({ KeyId: await h.arn('alias/ebs/analytics-scratch') }));
    expect(out.TrackingStartDate!.toISOString()).toBe(TRACKING_START.toISOString());
    expect(out.KeyCreationDate!.getTime()).toBeLessThan(TRACKING_START.getTime());
    expect(out.KeyLastUsage).toEqual({});
  });

  it('shows seeded recent and months-old use', async () => {
    const recent = await h.kms().send(new GetKeyLastUsageCommand({ KeyId: await h.arn('alias/ebs/prod-data') }));
    expect(Date.now() - recent.KeyLastUsage!.Timestamp!.getTime()).toBeLessThan(86_400_000);
    const old = await h.kms().send(new GetKeyLastUsageCommand({ KeyId: await h.arn('alias/imagebuilder/workflows') }));
    expect(Date.now() - old.KeyLastUsage!.Timestamp!.getTime()).toBeGreaterThan(60 * 86_400_000);
  });
});

describe('multi-Region keys', () => {
  it('replicates a primary into another region, with MultiRegionConfiguration on both sides', async () => {
    const kms = h.kms();
    const primary = await h.createKey({ MultiRegion: true, Description: 'mrk test' });
    const keyId = primary.split('/').pop()!;
    expect(keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    const out = await kms.send(new ReplicateKeyCommand({ KeyId: primary, ReplicaRegion: 'ap-southeast-2' }));
    const replicaArn = `arn:aws:kms:ap-southeast-2:${ACCOUNT}:key/${keyId}`;
    expect(out.ReplicaKeyMetadata).toMatchObject({ Arn: replicaArn, KeyState: 'Enabled', Enabled: true, MultiRegion: true, Description: 'mrk test' });
    const replicaMeta = (await h.kms('ap-southeast-2').send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(replicaMeta.MultiRegionConfiguration).toEqual({
      MultiRegionKeyType: 'REPLICA',
      PrimaryKey: { Arn: primary, Region: 'us-east-1' },
      ReplicaKeys: [{ Arn: replicaArn, Region: 'ap-southeast-2' }],
    });
    const primaryMeta = (await kms.send(new DescribeKeyCommand({ KeyId: primary }))).KeyMetadata!;
    expect(primaryMeta.MultiRegionConfiguration).toMatchObject({ MultiRegionKeyType: 'PRIMARY', ReplicaKeys: [{ Arn: replicaArn, Region: 'ap-southeast-2' }] });
    // Ciphertext from the primary decrypts in the replica's region.
    const ciphertext = (await kms.send(new EncryptCommand({ KeyId: primary, Plaintext: text('everywhere') }))).CiphertextBlob!;
    expect(decode((await h.kms('ap-southeast-2').send(new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: keyId }))).Plaintext)).toBe('everywhere');
    expect((await failure(kms.send(new ReplicateKeyCommand({ KeyId: primary, ReplicaRegion: 'ap-southeast-2' })))).name).toBe('AlreadyExistsException');
    const single = await h.createKey();
    expect(await failure(kms.send(new ReplicateKeyCommand({ KeyId: single, ReplicaRegion: 'eu-west-1' })))).toMatchObject({
      name: 'UnsupportedOperationException',
      message: `${single} is not a multi-region primary key.`,
    });
  });

  it('puts a primary with replicas in PendingReplicaDeletion, without DeletionDate, until its replicas are gone', async () => {
    const kms = h.kms();
    const primary = await h.createKey({ MultiRegion: true });
    const keyId = primary.split('/').pop()!;
    await kms.send(new ReplicateKeyCommand({ KeyId: primary, ReplicaRegion: 'eu-central-1' }));
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: primary, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyId: primary, KeyState: 'PendingReplicaDeletion', PendingWindowInDays: 7 });
    expect(scheduled.DeletionDate).toBeUndefined();
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: primary }))).KeyMetadata!;
    expect(meta).toMatchObject({ KeyState: 'PendingReplicaDeletion', PendingDeletionWindowInDays: 7 });
    expect(await failure(kms.send(new EncryptCommand({ KeyId: primary, Plaintext: text('x') })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${primary} is pending replica deletion.`,
    });
    expect((await kms.send(new CancelKeyDeletionCommand({ KeyId: primary }))).KeyId).toBe(primary);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: primary, PendingWindowInDays: 7 }));
    await h.kms('eu-central-1').send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    h.sandbox.advanceClock(7 * 86_400 + 60);
    const after = (await kms.send(new DescribeKeyCommand({ KeyId: primary }))).KeyMetadata!;
    expect(after.KeyState).toBe('PendingDeletion');
    expect(after.DeletionDate).toBeInstanceOf(Date);
    expect((await failure(h.kms('eu-central-1').send(new DescribeKeyCommand({ KeyId: keyId })))).name).toBe('NotFoundException');
  });

  it('seeds a primary in us-east-1 with its replica in eu-west-1', async () => {
    const meta = (await h.kms('eu-west-1').send(new DescribeKeyCommand({ KeyId: 'alias/global/customer-data' }))).KeyMetadata!;
    expect(meta.MultiRegionConfiguration).toMatchObject({ MultiRegionKeyType: 'REPLICA', PrimaryKey: { Region: 'us-east-1' } });
    expect(meta.KeyId).toMatch(/^mrk-/);
  });
});
