// Model-based test of the guided retirement (fast-check `asyncModelRun`): random sequences of
// operator steps (start, the wizard's `n` and `b`, the weaker watch), outside events (someone
// else enables, disables, cancels the deletion, deletes the alarm; a workload uses the key; time
// passes so KMS deletes the key at the end of its window), faults (throttling, 5xx, a lost
// answer), a restart from the records on disk, and a second machine acting through the key's
// tags — against the sandbox over HTTP. After every command the seven invariants are checked
// from the outside (test/helpers/retirement-invariants.ts). A failure prints fast-check's seed
// and path; replay with KEYWARDEN_MODEL_SEED=<seed> KEYWARDEN_MODEL_PATH=<path>.

import { DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CancelKeyDeletionCommand, DisableKeyCommand, EnableKeyCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createClients, type Clients } from '../../src/aws/clients.js';
import { AwsKeySource } from '../../src/aws/inventory.js';
import { Retirements } from '../../src/aws/retirement.js';
import { KeywardenError } from '../../src/domain/errors.js';
import type { CallerIdentity } from '../../src/domain/key.js';
import { watchNames, type RetirementRecord, type StepId } from '../../src/domain/retirement.js';
import { Journal } from '../../src/journal/journal.js';
import { RetirementStore } from '../../src/journal/retirements.js';
import { replaceFaults, type FaultSettings } from '../../src/sandbox/faults.js';
import { checkRetirementInvariants, type Machine } from '../helpers/retirement-invariants.js';
import { newKey, RestartableSandbox, tempDir } from './helpers.js';

const DAY = 86_400;
/** Every sequence starts from these faults. When the sandbox enforces KMS's per-operation quotas, add `quotaScale: 20` here. */
const BASE_FAULTS: FaultSettings = { regionDown: [] };
const RUNS = Number(process.env.KEYWARDEN_MODEL_RUNS ?? 12);

let s: RestartableSandbox;
let identity: CallerIdentity;
let outsider: Clients;
beforeAll(async () => {
  s = await RestartableSandbox.start();
  identity = await new AwsKeySource(s.clients()).identity();
  outsider = createClients({ regions: ['us-east-1'], endpoint: s.sandbox.url, credentials: { accessKeyId: 'AKIAKEYWARDENCOLLEAGUE', secretAccessKey: 'colleague-secret' } });
});
afterAll(async () => {
  outsider.destroy();
  await s.close();
});

interface World {
  key: Awaited<ReturnType<typeof newKey>>;
  dirs: [string, string];
  machines: [Machine & { retirements: Retirements }, Machine & { retirements: Retirements }];
  log: string[];
}

function machineOver(dir: string): Machine & { retirements: Retirements } {
  const store = new RetirementStore(join(dir, 'retirements'));
  const retirements = new Retirements({ clients: s.clients(), journal: new Journal(join(dir, 'journal.jsonl')), store, identity, now: () => s.sandbox.now() });
  return { retirements, store };
}

/** Refusals and injected faults are expected outcomes of a step; anything else is a bug. */
function expected(error: unknown): boolean {
  return error instanceof KeywardenError;
}

async function attempt(world: World, what: string, act: () => Promise<unknown>): Promise<void> {
  try {
    await act();
    world.log.push(`${what}: ok`);
  } catch (error) {
    world.log.push(`${what}: ${(error as Error).message.slice(0, 160)}`);
    if (!expected(error)) throw error;
  } finally {
    replaceFaults(s.sandbox.faults, { ...BASE_FAULTS });
  }
}

async function current(m: Machine & { retirements: Retirements }, world: World): Promise<RetirementRecord | undefined> {
  return m.retirements.find(world.key.key);
}

const FORWARD: StepId[] = ['disable', 'arm-watch', 're-arm-watch', 'schedule-deletion', 'remove-watch'];
const BACKWARD: StepId[] = ['abandon', 'cancel-deletion', 're-enable', 'close'];

/**
 * The operator going on (`n`) or back (`b`): one of the steps the machine allows in that direction
 * (`pick` chooses among them, as an operator at the CLI may), taken through the driver.
 */
async function take(m: Machine & { retirements: Retirements }, world: World, direction: 'next' | 'back', weaker = false, pick = 0): Promise<void> {
  const record = await current(m, world);
  if (!record || record.stage === 'closed') return;
  const status = await m.retirements.status(record);
  const choices = (direction === 'next' ? FORWARD : BACKWARD).filter((id) => status.steps.some((st) => st.id === id && st.allowed));
  const step = choices[pick % Math.max(1, choices.length)];
  if (!step) return;
  const r = status.record;
  switch (step) {
    case 'disable':
      await m.retirements.disable(r);
      return;
    case 'arm-watch':
    case 're-arm-watch':
      if (weaker || r.watch?.kind === 'cloudtrail-poll') await m.retirements.armWeakerWatch(r, 'model test: weaker watch');
      else await m.retirements.armAlarm(r);
      return;
    case 'schedule-deletion':
      await m.retirements.scheduleDeletion(r, 7);
      return;
    case 'remove-watch':
      await m.retirements.removeWatch(r);
      return;
    case 'abandon':
      await m.retirements.abandonAtPreflight(r);
      return;
    case 'cancel-deletion':
      await m.retirements.cancelDeletion(r);
      return;
    case 're-enable':
      await m.retirements.reEnable(r);
      return;
    case 'close':
      await m.retirements.close(r);
  }
}

type Cmd = fc.AsyncCommand<object, World>;
const command = (name: string, run: (world: World) => Promise<void>): Cmd => ({
  check: () => true,
  async run(_model, world) {
    await attempt(world, name, () => run(world));
    await checkRetirementInvariants({
      sandbox: s.sandbox,
      clients: s.clients(),
      key: { arn: world.key.arn, keyId: world.key.keyId, region: 'us-east-1' },
      machines: world.machines,
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nsteps:\n  ${world.log.join('\n  ')}`);
    });
  },
  toString: () => name,
});

const machineArb = fc.constantFrom(0, 1);
const mutating = fc.constantFrom('DisableKey', 'EnableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'TagResource', 'UntagResource', 'PutMetricFilter', 'PutMetricAlarm', 'DeleteAlarms', 'DeleteMetricFilter');

const commands = [
  machineArb.map((i) =>
    command(`start on machine ${i}`, async (w) => {
      const m = w.machines[i]!;
      if (await current(m, w)) return;
      const preflight = await m.retirements.preflight(w.key.key, 30);
      let record = await m.retirements.start(w.key.key, { watchDays: 14, name: w.key.name, preflight });
      for (const f of preflight.findings.filter((x) => x.severity === 'blocking')) record = await m.retirements.acknowledge(record, f.id);
    }),
  ),
  fc.tuple(machineArb, fc.boolean()).map(([i, weaker]) => command(`n on machine ${i}${weaker ? ' (weaker watch)' : ''}`, (w) => take(w.machines[i]!, w, 'next', weaker))),
  fc.tuple(machineArb, fc.nat(3)).map(([i, pick]) => command(`b (choice ${pick}) on machine ${i}`, (w) => take(w.machines[i]!, w, 'back', false, pick))),
  fc.constantFrom(1, 8, 15).map((days) => command(`${days} days pass`, async () => void s.sandbox.advanceClock(days * DAY))),
  fc.constant(command('someone else enables the key', async (w) => void (await outsider.kms('us-east-1').send(new EnableKeyCommand({ KeyId: w.key.arn })).catch(() => undefined)))),
  fc.constant(command('someone else disables the key', async (w) => void (await outsider.kms('us-east-1').send(new DisableKeyCommand({ KeyId: w.key.arn })).catch(() => undefined)))),
  fc.constant(command('someone else cancels the deletion', async (w) => void (await outsider.kms('us-east-1').send(new CancelKeyDeletionCommand({ KeyId: w.key.arn })).catch(() => undefined)))),
  fc.constant(
    command('someone deletes the alarm', async (w) => void (await outsider.cloudwatch('us-east-1').send(new DeleteAlarmsCommand({ AlarmNames: [watchNames(w.key.keyId).alarmName] })).catch(() => undefined))),
  ),
  fc.constant(command('a workload uses the key', async (w) => void (await outsider.kms('us-east-1').send(new GenerateDataKeyCommand({ KeyId: w.key.arn, KeySpec: 'AES_256' })).catch(() => undefined)))),
  fc.tuple(machineArb, fc.constantFrom('throttle', 'serverError', 'reset-after'), mutating, fc.constantFrom<'next' | 'back'>('next', 'back')).map(([i, fault, op, direction]) =>
    command(`${fault} on ${op}, then ${direction === 'next' ? 'n' : 'b'} on machine ${i}`, async (w) => {
      const faults: FaultSettings = { ...BASE_FAULTS };
      if (fault === 'throttle') faults.throttle = { operations: [op], count: 1 };
      else if (fault === 'serverError') faults.serverError = { operations: [op], count: 1 };
      else faults.reset = { operations: [op], count: 1, after: true };
      replaceFaults(s.sandbox.faults, faults);
      await take(w.machines[i]!, w, direction);
    }),
  ),
  machineArb.map((i) =>
    command(`machine ${i} restarts from its records`, async (w) => {
      w.machines[i] = machineOver(w.dirs[i]!);
    }),
  ),
];

describe('the retirement under random steps, outside events and faults', () => {
  it(`keeps its seven promises after every command (${RUNS} sequences)`, { timeout: 600_000 }, async () => {
    const seed = process.env.KEYWARDEN_MODEL_SEED ? Number(process.env.KEYWARDEN_MODEL_SEED) : undefined;
    const path = process.env.KEYWARDEN_MODEL_PATH;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 10 }), async (cmds) => {
        replaceFaults(s.sandbox.faults, { ...BASE_FAULTS });
        const key = await newKey(s, 'kw-model');
        const dirs: [string, string] = [tempDir('kw-model-a-'), tempDir('kw-model-b-')];
        const world: World = { key, dirs, machines: [machineOver(dirs[0]), machineOver(dirs[1])], log: [] };
        await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
      }),
      { numRuns: RUNS, ...(seed !== undefined ? { seed } : {}), ...(path ? { path, endOnFailure: true } : {}) },
    );
  });
});
