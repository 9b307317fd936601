// The KMS clients resolve their middleware once per command (the SDK's cacheMiddleware), so a
// call's abort signal cannot go through the SDK's per-call options: keywarden carries it beside
// the input. Over HTTP against the sandbox with its quotas scaled down (calls wait their turn):
// a call given up while it waits is never sent, one in flight stops waiting at once, the client
// keeps working after, and a change (its own middleware, sent once) still goes its own way. The
// calls of a command type share one handler context: calls made side by side through an assumed
// role across its renewal are each signed by a live session.

import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../src/aws/clients.js';
import { assumeRoleProvider } from '../../src/aws/org.js';
import { sendOnce } from '../../src/aws/retirement-send-once.js';
import { AccountClock } from '../../src/domain/clock.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/constants.js';
import { PAYMENTS_ACCOUNT } from '../../src/sandbox/organization.js';

const REGION = 'us-east-1';
// DescribeKey at 2,000/s × 0.005 = 10 per second.
const SCALE = 0.005;

describe('KMS calls with an abort signal', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, quotaScale: SCALE, workloads: false });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  const describes = () => sandbox.requests().filter((r) => r.operation === 'DescribeKey').length;

  it('a call given up while it waits for its turn is not sent; the client keeps working', async () => {
    const clients = createClients({ regions: [REGION], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS, quotaScale: SCALE });
    const kms = clients.kms(REGION);
    const keys = (await kms.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId!);
    const before = describes();
    const controller = new AbortController();
    const calls = Array.from({ length: 40 }, (_, i) => kms.send(new DescribeKeyCommand({ KeyId: keys[i % keys.length] }), { abortSignal: controller.signal }).then(() => 'answered', (error: Error) => error.name));
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort();
    const outcomes = await Promise.all(calls);
    // About 10 a second were let through in the half second before the abort; the rest were given up.
    expect(outcomes.filter((o) => o === 'AbortError').length).toBeGreaterThanOrEqual(25);
    expect(outcomes.every((o) => o === 'answered' || o === 'AbortError')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const sent = describes() - before;
    expect(sent).toBe(outcomes.filter((o) => o === 'answered').length);
    // An aborted signal before the call: nothing sent. And the client still answers.
    await expect(kms.send(new DescribeKeyCommand({ KeyId: keys[0] }), { abortSignal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keys[0] }))).KeyMetadata?.KeyId).toBe(keys[0]);
  });

  it('a command with middleware of its own (a change sent once) runs its own, not a cached one', async () => {
    const clients = createClients({ regions: [REGION], endpoint: sandbox.url, credentials: SANDBOX_CREDENTIALS });
    const kms = clients.kms(REGION);
    const keys = (await kms.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId!);
    const ran: string[] = [];
    for (const name of ['first', 'second']) {
      const command = new DescribeKeyCommand({ KeyId: keys[0] });
      command.middlewareStack.add((next) => async (args) => {
        ran.push(name);
        return next(args);
      }, { step: 'initialize', name: `record-${name}` });
      await kms.send(command);
      // A plain read in between: it may use (and make) the cached handler.
      await kms.send(new DescribeKeyCommand({ KeyId: keys[0] }));
    }
    expect(ran).toEqual(['first', 'second']);
    // And the change path itself: DisableKey sent once, through its own re-read guard.
    const arn = (await kms.send(new CreateKeyCommand({ Description: 'keywarden abort test' }))).KeyMetadata!.Arn!;
    await sendOnce(kms, { arn, region: REGION }, new DisableKeyCommand({ KeyId: arn }), (state) => state === 'Disabled');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Disabled');
  });

  it('calls side by side through an assumed role across its renewal: every one answered, by a live session', async () => {
    const own = await startSandbox({ port: 0, workloads: false });
    try {
      const clock = new AccountClock();
      clock.observe(own.now());
      const provider = assumeRoleProvider({ base: { endpoint: own.url, credentials: SANDBOX_CREDENTIALS }, roleArn: `arn:aws:iam::${PAYMENTS_ACCOUNT}:role/KeywardenReadOnly`, sessionName: 'keywarden-alice', sourceIdentity: 'alice', durationSeconds: 900, clock });
      const clients = createClients({ regions: [REGION], endpoint: own.url, credentials: provider, accountClock: clock });
      const kms = clients.kms(REGION);
      const keys = (await kms.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId!);
      const round = () => Promise.all(Array.from({ length: 60 }, (_, i) => kms.send(new DescribeKeyCommand({ KeyId: keys[i % keys.length] })).then(() => 'ok', (error: Error) => error.name)));
      expect(new Set(await round())).toEqual(new Set(['ok']));
      // 14 of the session's 15 minutes pass in the account: the next calls renew it, side by side.
      own.advanceClock(14 * 60);
      clock.observe(own.now());
      const during = round();
      await new Promise((resolve) => setTimeout(resolve, 5));
      own.advanceClock(2 * 60); // the first session has now expired
      clock.observe(own.now());
      expect(new Set([...(await during), ...(await round())])).toEqual(new Set(['ok']));
      expect(own.requests().filter((r) => r.operation === 'AssumeRole')).toHaveLength(2);
      expect(own.requests().filter((r) => r.errorCode === 'ExpiredTokenException')).toEqual([]);
      provider.close();
      clients.destroy();
    } finally {
      await own.close();
    }
  });
});

