// Talking to a running sandbox's clock over its control routes (docs/sandbox.md, "Control API"):
// `GET /_sandbox/clock` reads it, `POST /_sandbox/clock {advanceSeconds}` moves it forward. Plain
// HTTP, no AWS SDK: these routes are the sandbox's own, not an AWS API.

import { cleanText } from '../domain/sanitize.js';

/** The sandbox's clock as its control route reports it. */
export interface ClockAnswer {
  now: string;
  offsetSeconds: number;
  pid: number;
}

/** GET /_sandbox/clock of a sandbox at `url`; undefined when it does not answer as a keywarden sandbox. */
export async function readSandboxClock(url: string, timeoutMs = 3_000): Promise<ClockAnswer | undefined> {
  try {
    const response = await fetch(new URL('/_sandbox/clock', url), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as Partial<ClockAnswer>;
    if (typeof body.now !== 'string' || !Number.isFinite(Date.parse(body.now)) || typeof body.offsetSeconds !== 'number' || typeof body.pid !== 'number') return undefined;
    return { now: body.now, offsetSeconds: body.offsetSeconds, pid: body.pid };
  } catch {
    return undefined;
  }
}

/** POST /_sandbox/clock: moves the sandbox's time forward; resolves with its new time. */
export async function advanceSandboxClock(url: string, seconds: number, timeoutMs = 60_000): Promise<Date> {
  const response = await fetch(new URL('/_sandbox/clock', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceSeconds: seconds }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json().catch(() => ({}))) as { now?: unknown; error?: unknown };
  if (!response.ok || typeof body.now !== 'string') {
    throw new Error(`the sandbox at ${url} did not move its clock: ${typeof body.error === 'string' ? cleanText(body.error) : `HTTP ${response.status}`}`);
  }
  return new Date(body.now);
}
