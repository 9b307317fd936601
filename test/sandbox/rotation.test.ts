// Rotation: status shapes, period bounds, on-demand rotation and its cap, keys that cannot rotate
// (KMS.md §2).

import {
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  CancelKeyDeletionCommand,
  EnableKeyCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, openHarness, type Harness } from './helpers.js';

const DAY = 86_400_000;
let h: Harness;
beforeAll(async () => {
  // Bulk set-up through raw calls without retries: 25 RotateKeyOnDemand in a row (5/s in an account).
  h = await openHarness({ quotaScale: 20 });
});
afterAll(async () => {
  await h.close();
});

const status = (keyId: string, region?: string) => h.kms(region).send(new GetKeyRotationStatusCommand({ KeyId: keyId }));

describe('GetKeyRotationStatus', () => {
  it('reports enabled with period and next date, disabled with KeyId only', async () => {
    const arn = await h.createKey();
    const off = await status(arn);
    expect({ KeyId: off.KeyId, KeyRotationEnabled: off.KeyRotationEnabled, RotationPeriodInDays: off.RotationPeriodInDays, NextRotationDate: off.NextRotationDate }).toEqual({
      KeyId: arn,
      KeyRotationEnabled: false,
      RotationPeriodInDays: undefined,
      NextRotationDate: undefined,
    });
    await h.kms().send(new EnableKeyRotationCommand({ KeyId: arn }));
    const on = await status(arn);
    expect(on).toMatchObject({ KeyId: arn, KeyRotationEnabled: true, RotationPeriodInDays: 365 });
    expect((on.NextRotationDate!.getTime() - Date.now()) / DAY).toBeCloseTo(365, 0);
    await h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
    expect((await status(arn)).RotationPeriodInDays).toBe(90);
    await h.kms().send(new DisableKeyRotationCommand({ KeyId: arn }));
    expect((await status(arn)).KeyRotationEnabled).toBe(false);
  });

  it('seeds keys rotating with several periods, and keys not rotating', async () => {
    const periods = new Set<number>();
    for (const alias of ['alias/ebs/prod-data', 'alias/ebs/staging-data', 'alias/ecs/fargate-ephemeral', 'alias/imagebuilder/workflows']) {
      const out = await status(await h.arn(alias));
      expect(out.KeyRotationEnabled).toBe(true);
      periods.add(out.RotationPeriodInDays!);
    }
    expect([...periods].sort((a, b) => a - b)).toEqual([90, 180, 365, 730]);
    expect((await status(await h.arn('alias/ebs/analytics-scratch'))).KeyRotationEnabled).toBe(false);
  });

  it('reads false while pending deletion and keeps the flag of a disabled key', async () => {
    expect((await status(await h.arn('alias/legacy/old-batch'))).KeyRotationEnabled).toBe(false);
    expect((await status(await h.arn('alias/legacy/reporting-2023'))).KeyRotationEnabled).toBe(true);
    const arn = await h.createKey();
    await h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 180 }));
    await h.kms().send(new ScheduleKeyDeletionCommand({ KeyId: arn }));
    expect(await status(arn)).toMatchObject({ KeyId: arn, KeyRotationEnabled: false });
    await h.kms().send(new CancelKeyDeletionCommand({ KeyId: arn }));
    expect(await status(arn)).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
  });

  it('answers asymmetric and HMAC keys with KeyRotationEnabled false, EXTERNAL keys with UnsupportedOperationException', async () => {
    const rsa = await status(await h.arn('alias/signing/release-artifacts'));
    expect([rsa.KeyRotationEnabled, rsa.KeyId]).toEqual([false, undefined]);
    expect((await status(await h.arn('alias/hmac/webhook-tokens'))).KeyRotationEnabled).toBe(false);
    const external = await h.arn('alias/byok/payments-import');
    expect(await failure(status(external))).toMatchObject({
      name: 'UnsupportedOperationException',
      message: `${external} origin is EXTERNAL which is not valid for this operation.`,
    });
  });

  it('reports true for AWS managed keys', async () => {
    expect(await status(await h.arn('alias/aws/ebs'))).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  });

  it("reports the primary's status on a multi-Region replica", async () => {
    const primary = await h.arn('alias/global/customer-data');
    const replica = await h.arn('alias/global/customer-data', 'eu-west-1');
    const fromReplica = await status(replica, 'eu-west-1');
    const fromPrimary = await status(primary);
    expect(fromReplica.KeyId).toBe(replica);
    expect(fromReplica.KeyRotationEnabled).toBe(true);
    expect(fromReplica.RotationPeriodInDays).toBe(fromPrimary.RotationPeriodInDays);
  });
});

describe('EnableKeyRotation / DisableKeyRotation', () => {
  it('validates RotationPeriodInDays 90–2560', async () => {
    const arn = await h.createKey();
    expect(await failure(h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 89 })))).toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
    });
    expect(await failure(h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 2561 })))).toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560",
    });
    await h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
    await h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 2560 }));
    expect((await status(arn)).RotationPeriodInDays).toBe(2560);
  });

  it('refuses disabled, pending-deletion, asymmetric, HMAC, EXTERNAL and replica keys', async () => {
    const kms = h.kms();
    const disabled = await h.createKey();
    await kms.send(new DisableKeyCommand({ KeyId: disabled }));
    for (const command of [new EnableKeyRotationCommand({ KeyId: disabled }), new DisableKeyRotationCommand({ KeyId: disabled })]) {
      expect(await failure(kms.send(command))).toMatchObject({ name: 'DisabledException', message: `${disabled} is disabled.` });
    }
    const pending = await h.arn('alias/legacy/old-batch');
    expect(await failure(kms.send(new EnableKeyRotationCommand({ KeyId: pending })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${pending} is pending deletion.`,
    });
    const rsa = await h.arn('alias/signing/release-artifacts');
    expect(await failure(kms.send(new EnableKeyRotationCommand({ KeyId: rsa })))).toMatchObject({
      name: 'UnsupportedOperationException',
      message: `${rsa} has key spec RSA_2048, which does not support key rotation.`,
    });
    expect((await failure(kms.send(new EnableKeyRotationCommand({ KeyId: await h.arn('alias/hmac/webhook-tokens') }))))).toMatchObject({
      name: 'UnsupportedOperationException',
    });
    const external = await h.arn('alias/byok/payments-import');
    expect(await failure(kms.send(new EnableKeyRotationCommand({ KeyId: external })))).toMatchObject({
      name: 'UnsupportedOperationException',
      message: `${external} origin is EXTERNAL which is not valid for this operation.`,
    });
    const replica = await h.arn('alias/global/customer-data', 'eu-west-1');
    for (const command of [new EnableKeyRotationCommand({ KeyId: replica }), new DisableKeyRotationCommand({ KeyId: replica }), new RotateKeyOnDemandCommand({ KeyId: replica })]) {
      expect(await failure(h.kms('eu-west-1').send(command))).toMatchObject({
        name: 'UnsupportedOperationException',
        message: `${replica} is not a multi-region primary key.`,
      });
    }
  });
});

describe('RotateKeyOnDemand and ListKeyRotations', () => {
  it('rotates at once, changes CurrentKeyMaterialId, and stops at 25 on-demand rotations', async () => {
    const kms = h.kms();
    const arn = await h.createKey();
    const before = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.CurrentKeyMaterialId;
    expect(await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }))).toMatchObject({ KeyId: arn });
    const after = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.CurrentKeyMaterialId;
    expect(after).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
    for (let i = 1; i < 25; i += 1) await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    expect(await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })))).toMatchObject({
      name: 'LimitExceededException',
      message: `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${arn}`,
    });
    const rotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: arn }))).Rotations!;
    expect(rotations).toHaveLength(25);
    expect(rotations.every((r) => r.RotationType === 'ON_DEMAND' && r.KeyId === arn && r.RotationDate instanceof Date)).toBe(true);
    expect(rotations[0]!.KeyMaterialId).toBe(after);
    expect(rotations.filter((r) => r.KeyMaterialState === 'CURRENT').map((r) => r.KeyMaterialId)).toEqual([rotations.at(-1)!.KeyMaterialId]);
    const all = (await kms.send(new ListKeyRotationsCommand({ KeyId: arn, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))).Rotations!;
    expect(all).toHaveLength(26);
    expect(all[0]).toMatchObject({ KeyMaterialId: before, KeyMaterialState: 'NON_CURRENT' });
    expect(all[0]!.RotationType).toBeUndefined();
  });

  it('refuses disabled, pending-deletion, pending-import and asymmetric keys', async () => {
    const kms = h.kms();
    const disabled = await h.arn('alias/legacy/reporting-2023');
    expect(await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: disabled })))).toMatchObject({ name: 'DisabledException', message: `${disabled} is disabled.` });
    const pending = await h.arn('alias/legacy/old-batch');
    expect(await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: pending })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${pending} is pending deletion.`,
    });
    const imported = await h.arn('alias/byok/payments-import');
    expect(await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: imported })))).toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${imported} is pending import.`,
    });
    expect(await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: await h.arn('alias/signing/release-artifacts') })))).toMatchObject({
      name: 'UnsupportedOperationException',
      // AWS sends an empty message here ([LS]); the SDK reports an empty message as "UnknownError".
      message: 'UnknownError',
    });
    expect((await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: await h.arn('alias/aws/ebs') })))).name).toBe('AccessDeniedException');
  });

  it('shows the seeded on-demand history next to automatic rotations', async () => {
    const rotations = (await h.kms().send(new ListKeyRotationsCommand({ KeyId: await h.arn('alias/app/payments-db') }))).Rotations!;
    expect(rotations.filter((r) => r.RotationType === 'ON_DEMAND')).toHaveLength(3);
    expect(rotations.some((r) => r.RotationType === 'AUTOMATIC')).toBe(true);
    const dates = rotations.map((r) => r.RotationDate!.getTime());
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
  });

  it('rotates automatically when sandbox time passes NextRotationDate', async () => {
    const arn = await h.createKey();
    await h.kms().send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
    const next = (await status(arn)).NextRotationDate!;
    h.sandbox.advanceClock(91 * 86_400);
    const rotations = (await h.kms().send(new ListKeyRotationsCommand({ KeyId: arn }))).Rotations!;
    expect(rotations.map((r) => [r.RotationType, r.RotationDate!.getTime()])).toEqual([['AUTOMATIC', next.getTime()]]);
    expect((await status(arn)).NextRotationDate!.getTime()).toBe(next.getTime() + 90 * DAY);
    // Re-enabling a disabled key keeps its schedule.
    await h.kms().send(new DisableKeyCommand({ KeyId: arn }));
    await h.kms().send(new EnableKeyCommand({ KeyId: arn }));
  });
});
