// One mutating AWS call with its audit trail: the intent is written (and fsynced) before the
// request is sent, the outcome after it returns. Every change keywarden makes goes through here.

import type { CallerIdentity } from '../domain/key.js';
import type { Journal } from '../journal/journal.js';
import { toDomainError } from './errors.js';

export interface JournaledCall {
  action: string;
  region: string;
  keyArn: string;
  params: Record<string, unknown>;
}

/** Sends `send()` between an intent and a result entry; a failure is recorded and thrown as a domain error. */
export async function journaledCall<T extends { $metadata: { requestId?: string } }>(
  journal: Journal,
  identity: CallerIdentity,
  call: JournaledCall,
  send: () => Promise<T>,
): Promise<T> {
  const intent = await journal.recordIntent({
    action: call.action,
    account: identity.account,
    region: call.region,
    caller: identity.arn,
    keyArn: call.keyArn,
    params: call.params,
  });
  let out: T;
  try {
    out = await send();
  } catch (error) {
    const domain = toDomainError(error, call.action);
    await journal.recordResult(intent, {
      ok: false,
      code: domain.code ?? domain.kind,
      message: domain.message,
      ...(domain.requestId ? { requestId: domain.requestId } : {}),
    });
    throw domain;
  }
  await journal.recordResult(intent, { ok: true, ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}) });
  return out;
}
