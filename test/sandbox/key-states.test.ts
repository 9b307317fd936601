// Key resolution, the key-state × operation matrix and the deletion waiting period (KMS.md §1, §5).

import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyLastUsageCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  DeleteAliasCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, openHarness, type Harness } from './helpers.js';

const ACCOUNT = '111122223333';
const text = (s: string) => new TextEncoder().encode(s);

let h: Harness;
beforeAll(async () => {
  // Each test creates its keys through raw CreateKey calls (5/s in an account) without retries.
  h = await openHarness({ quotaScale: 20 });
});
afterAll(async () => {
  await h.close();
});

describe('key id resolution', () => {
  it('accepts a key id, key ARN, alias name and alias ARN where AWS does', async () => {
    const arn = await h.arn('alias/ebs/prod-data');
    const id = arn.split('/').pop()!;
    for (const keyId of [id, arn, 'alias/ebs/prod-data', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/ebs/prod-data`]) {
      const out = await h.kms().send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(out.KeyMetadata!.Arn).toBe(arn);
    }
  });

  it('names a malformed id, an unknown id, another region and an unknown alias exactly as AWS does', async () => {
    const kms = h.kms();
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: 'not-a-key' })))).toEqual({
      name: 'NotFoundException',
      message: "Invalid keyId 'not-a-key'",
      status: 400,
    });
    const missing = '0f0e0d0c-0b0a-4909-8807-060504030201';
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: missing })))).toMatchObject({
      name: 'NotFoundException',
      message: `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${missing}' does not exist`,
    });
    const mrk = 'mrk-00000000000000000000000000000000';
    expect((await failure(kms.send(new DescribeKeyCommand({ KeyId: mrk })))).message).toBe(`Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${mrk}' does not exist`);
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${missing}` })))).toMatchObject({
      name: 'NotFoundException',
      message: 'Invalid arn eu-west-1',
    });
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: 'alias/no-such-alias' })))).toMatchObject({
      name: 'NotFoundException',
      message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/no-such-alias is not found.`,
    });
  });

  it('refuses aliases where AWS takes only a key id or ARN (GetKeyLastUsage, ListGrants)', async () => {
    expect(await failure(h.kms().send(new GetKeyLastUsageCommand({ KeyId: 'alias/ebs/prod-data' })))).toMatchObject({
      name: 'NotFoundException',
      message: "Invalid keyId 'alias/ebs/prod-data'",
    });
    expect((await failure(h.kms().send(new ListGrantsCommand({ KeyId: 'alias/ebs/prod-data' })))).name).toBe('NotFoundException');
  });

  it('treats a predefined AWS alias without a target as not found', async () => {
    expect((await failure(h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/aws/acm' })))).message).toBe(
      `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/acm is not found.`,
    );
  });
});

describe('enable and disable', () => {
  it('moves Enabled ↔ Disabled, idempotently, with Enabled true only when Enabled', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    let meta = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
    expect([meta.KeyState, meta.Enabled]).toEqual(['Disabled', false]);
    await kms.send(new EnableKeyCommand({ KeyId: arn }));
    await kms.send(new EnableKeyCommand({ KeyId: arn }));
    meta = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
    expect([meta.KeyState, meta.Enabled]).toEqual(['Enabled', true]);
  });

  it('refuses pending-deletion and pending-import keys', async () => {
    const kms = h.kms();
    const pending = await h.arn('alias/legacy/old-batch');
    for (const command of [new EnableKeyCommand({ KeyId: pending }), new DisableKeyCommand({ KeyId: pending })]) {
      expect(await failure(kms.send(command))).toMatchObject({ name: 'KMSInvalidStateException', message: `${pending} is pending deletion.` });
    }
    const imported = await h.createKey({ Origin: 'EXTERNAL' });
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: imported }))).KeyMetadata!;
    expect([meta.KeyState, meta.Enabled, meta.Origin]).toEqual(['PendingImport', false, 'EXTERNAL']);
    expect(await failure(kms.send(new EnableKeyCommand({ KeyId: imported })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${imported} is pending import.`,
    });
  });

  it('refuses to change AWS managed keys with AccessDeniedException', async () => {
    const arn = await h.arn('alias/aws/ebs');
    const error = await failure(h.kms().send(new DisableKeyCommand({ KeyId: arn })));
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/KeywardenOperator/operator is not authorized to perform: kms:DisableKey on resource: ${arn} because no resource-based policy allows the kms:DisableKey action`,
    });
    expect((await failure(h.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn })))).name).toBe('AccessDeniedException');
  });
});

describe('crypto and grants by key state', () => {
  it('fails on a disabled key with DisabledException "<arn> is disabled."', async () => {
    const kms = h.kms();
    const arn = await h.arn('alias/legacy/reporting-2023');
    const expected = { name: 'DisabledException', message: `${arn} is disabled.` };
    expect(await failure(kms.send(new EncryptCommand({ KeyId: 'alias/legacy/reporting-2023', Plaintext: text('x') })))).toMatchObject(expected);
    expect(await failure(kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256' })))).toMatchObject(expected);
    expect(await failure(kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/x', Operations: ['Decrypt'] })))).toMatchObject(expected);
  });

  it('fails on a pending-deletion key with KMSInvalidStateException "<arn> is pending deletion."', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const ciphertext = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('x') }))).CiphertextBlob!;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    const expected = { name: 'KMSInvalidStateException', message: `${arn} is pending deletion.` };
    expect(await failure(kms.send(new DecryptCommand({ CiphertextBlob: ciphertext })))).toMatchObject(expected);
    expect(await failure(kms.send(new EncryptCommand({ KeyId: arn, Plaintext: text('x') })))).toMatchObject(expected);
    expect(await failure(kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: 'arn:aws:iam::111122223333:role/x', Operations: ['Decrypt'] })))).toMatchObject(expected);
    expect(await failure(kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: 'a', TagValue: 'b' }] })))).toMatchObject(expected);
    expect(await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/test/pending', TargetKeyId: arn })))).toMatchObject(expected);
  });

  it('fails on a pending-import key with "<arn> is pending import."', async () => {
    const arn = await h.createKey({ Origin: 'EXTERNAL' });
    expect(await failure(h.kms().send(new EncryptCommand({ KeyId: arn, Plaintext: text('x') })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${arn} is pending import.`,
    });
  });

  it('keeps reads and policy changes working in every state', async () => {
    const kms = h.kms();
    for (const alias of ['alias/legacy/old-batch', 'alias/legacy/reporting-2023', 'alias/byok/payments-import']) {
      const arn = await h.arn(alias);
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: arn }))).PolicyName).toBe('default');
      await kms.send(new ListGrantsCommand({ KeyId: arn }));
      await kms.send(new ListResourceTagsCommand({ KeyId: arn }));
      await kms.send(new ListAliasesCommand({ KeyId: arn }));
    }
    const arn = await h.createKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn }));
    // The account keeps access (a policy that locks the caller out is refused: test/sandbox/policy.test.ts).
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Account', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] });
    await kms.send(new PutKeyPolicyCommand({ KeyId: arn, Policy: policy, PolicyName: 'default' }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: arn }))).Policy).toBe(policy);
  });
});

describe('ScheduleKeyDeletion and CancelKeyDeletion', () => {
  it('validates the waiting period 7–30 with AWS validation messages', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    expect(await failure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 6 })))).toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
    });
    expect(await failure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 31 })))).toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30",
    });
    const at7 = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    expect(at7.PendingWindowInDays).toBe(7);
    const other = await h.createKey();
    const before = Date.now();
    const at30 = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: other }));
    expect(at30).toMatchObject({ KeyId: other, KeyState: 'PendingDeletion', PendingWindowInDays: 30 });
    const days = (at30.DeletionDate!.getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(29.99);
    expect(days).toBeLessThan(30.01);
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: other }))).KeyMetadata!;
    expect(meta.DeletionDate?.getTime()).toBe(at30.DeletionDate!.getTime());
    expect(meta.Enabled).toBe(false);
  });

  it('refuses to schedule twice, and to cancel a key that is not pending', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    expect(await failure(kms.send(new CancelKeyDeletionCommand({ KeyId: arn })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${arn} is not pending deletion.`,
    });
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn }));
    expect(await failure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${arn} is pending deletion.`,
    });
  });

  it('leaves the key Disabled after CancelKeyDeletion, whatever it was before', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn }));
    expect(await kms.send(new CancelKeyDeletionCommand({ KeyId: arn }))).toMatchObject({ KeyId: arn });
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
    expect(meta).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(meta.DeletionDate).toBeUndefined();
  });

  it('deletes the key and its aliases once sandbox time passes the DeletionDate', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/test/doomed', TargetKeyId: arn }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    h.sandbox.advanceClock(6 * 86_400);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState).toBe('PendingDeletion');
    h.sandbox.advanceClock(86_400 + 1);
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: arn })))).toMatchObject({
      name: 'NotFoundException',
      message: `Key '${arn}' does not exist`,
    });
    expect((await failure(kms.send(new DescribeKeyCommand({ KeyId: 'alias/test/doomed' })))).name).toBe('NotFoundException');
    expect((await failure(kms.send(new DeleteAliasCommand({ AliasName: 'alias/test/doomed' })))).name).toBe('NotFoundException');
  });
});

describe('aliases and tags', () => {
  it('creates, lists per key and deletes aliases, with AWS errors for bad, reserved, duplicate and unknown names', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const keyId = arn.split('/').pop()!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/test/one', TargetKeyId: keyId }));
    const listed = (await kms.send(new ListAliasesCommand({ KeyId: arn }))).Aliases!;
    expect(listed).toEqual([
      expect.objectContaining({ AliasName: 'alias/test/one', AliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/test/one`, TargetKeyId: keyId }),
    ]);
    expect(listed[0]!.CreationDate).toBeInstanceOf(Date);
    expect(await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/test/one', TargetKeyId: arn })))).toMatchObject({
      name: 'AlreadyExistsException',
      message: `An alias with the name arn:aws:kms:us-east-1:${ACCOUNT}:alias/test/one already exists`,
    });
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'test/one', TargetKeyId: arn })))).name).toBe('InvalidAliasNameException');
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: arn })))).name).toBe('InvalidAliasNameException');
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/has space', TargetKeyId: arn })))).name).toBe('ValidationException');
    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/test/one' }));
    expect(await failure(kms.send(new DeleteAliasCommand({ AliasName: 'alias/test/one' })))).toMatchObject({
      name: 'NotFoundException',
      message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/test/one is not found.`,
    });
  });

  it('lists AWS aliases, including predefined ones with no target', async () => {
    const { Aliases } = await h.kms().send(new ListAliasesCommand({ Limit: 100 }));
    const ebs = Aliases!.find((a) => a.AliasName === 'alias/aws/ebs')!;
    expect(ebs.TargetKeyId).toBeDefined();
    const managed = (await h.kms().send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }))).KeyMetadata!;
    expect(managed.KeyManager).toBe('AWS');
    const predefined = Aliases!.find((a) => a.AliasName === 'alias/aws/acm')!;
    expect(predefined.TargetKeyId).toBeUndefined();
    expect(Aliases!.filter((a) => a.TargetKeyId !== undefined).some((a) => a.AliasName === 'alias/ebs/default-prod')).toBe(true);
  });

  it('tags and untags, refusing reserved and duplicate keys', async () => {
    const kms = h.kms();
    const arn = await h.createKey({ Tags: [{ TagKey: 'Owner', TagValue: 'a' }] });
    await kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: 'Owner', TagValue: 'b' }, { TagKey: 'Env', TagValue: 'dev' }] }));
    const { UntagResourceCommand } = await import('@aws-sdk/client-kms');
    await kms.send(new UntagResourceCommand({ KeyId: arn, TagKeys: ['Env'] }));
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: arn }))).Tags).toEqual([{ TagKey: 'Owner', TagValue: 'b' }]);
    expect(await failure(kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] })))).toMatchObject({
      name: 'TagException',
      message: 'Tags beginning with aws: are reserved',
    });
    expect(
      await failure(kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: 'k', TagValue: '1' }, { TagKey: 'k', TagValue: '2' }] }))),
    ).toMatchObject({ name: 'TagException', message: 'Duplicate tag keys' });
  });

  it('validates CreateKey: spec/usage pairs and enums', async () => {
    const kms = h.kms();
    const { CreateKeyCommand } = await import('@aws-sdk/client-kms');
    const hmac = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata!;
    expect(hmac).toMatchObject({ KeySpec: 'HMAC_256', MacAlgorithms: ['HMAC_SHA_256'], KeyState: 'Enabled' });
    expect((await failure(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' }))))).toMatchObject({ name: 'ValidationException' });
    expect((await failure(kms.send(new CreateKeyCommand({ KeySpec: 'AES_999' as never }))))).toMatchObject({ name: 'ValidationException' });
    expect((await failure(kms.send(new CreateKeyCommand({ Policy: '{not json' }))))).toMatchObject({ name: 'MalformedPolicyDocumentException' });
  });
});
