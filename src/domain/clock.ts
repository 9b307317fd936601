// The account's time. Against AWS it is this machine's clock; against a keywarden sandbox it is
// the sandbox's clock, which the operator moves forward (`keywarden sandbox clock +15d`, `:clock`)
// to walk through waiting periods. The sandbox stamps every answer with its time; the clock keeps
// the latest offset it has seen, so every "now" keywarden computes is the account's.

/** The response header (and control route field) that carries a keywarden sandbox's time. */
export const SANDBOX_TIME_HEADER = 'x-keywarden-sandbox-time';

const UNIT_SECONDS: Record<string, number> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };
const UNIT_WORDS: Record<string, string> = { w: 'week', d: 'day', h: 'hour', m: 'minute', s: 'second' };

/** Ten years: further than any waiting period keywarden deals with, and far from Date's limits. */
export const MAX_CLOCK_ADVANCE_SECONDS = 3_650 * 86_400;

export type ClockAmount = { ok: true; seconds: number } | { ok: false; message: string };

const AMOUNT_FORMAT = 'expected a forward amount such as +15d, +36h, +90m, +1w or +1d12h';

/**
 * Parses how far to move the sandbox's time: `+15d`, `+36h`, `+90m`, `+1w`, `+30s`, or parts
 * together (`+1d12h`); the `+` may be left out. Time only moves forward, as AWS's does: a
 * negative, zero, empty or malformed amount is refused with a message saying why.
 */
export function parseClockAmount(text: string | undefined): ClockAmount {
  const raw = (text ?? '').trim();
  if (raw === '') return { ok: false, message: `no amount given: ${AMOUNT_FORMAT}` };
  if (raw.startsWith('-')) return { ok: false, message: `"${raw}": the sandbox's time only moves forward (as AWS's does); ${AMOUNT_FORMAT}` };
  const body = raw.startsWith('+') ? raw.slice(1) : raw;
  if (!/^(\d+[wdhms])+$/i.test(body)) return { ok: false, message: `"${raw}" is not an amount of time: ${AMOUNT_FORMAT}` };
  let seconds = 0;
  for (const part of body.matchAll(/(\d+)([wdhms])/gi)) {
    seconds += Number(part[1]) * UNIT_SECONDS[part[2]!.toLowerCase()]!;
    if (seconds > MAX_CLOCK_ADVANCE_SECONDS) return { ok: false, message: `"${raw}" is more than ${MAX_CLOCK_ADVANCE_SECONDS / 86_400} days: move the clock in smaller steps` };
  }
  if (seconds === 0) return { ok: false, message: `"${raw}" does not move the clock: ${AMOUNT_FORMAT}` };
  return { ok: true, seconds };
}

/** An amount in words: 1296000 → "15 days", 129600 → "1 day 12 hours". */
export function describeAmount(seconds: number): string {
  const parts: string[] = [];
  let left = Math.round(seconds);
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_SECONDS[unit]!;
    const count = Math.floor(left / size);
    left -= count * size;
    if (count > 0) parts.push(`${count} ${UNIT_WORDS[unit]}${count === 1 ? '' : 's'}`);
  }
  return parts.length > 0 ? parts.join(' ') : '0 seconds';
}

/** How far the account's time is ahead of this machine's, in words ("15 days ahead of this machine"). */
export function describeOffset(offsetMs: number): string {
  if (Math.abs(offsetMs) < 60_000) return "the same as this machine's";
  const words = describeAmount(Math.round(Math.abs(offsetMs) / 60_000) * 60).split(' ').slice(0, 4).join(' ');
  return `${words} ${offsetMs > 0 ? 'ahead of' : 'behind'} this machine's`;
}

/**
 * The account's time as keywarden last saw it. Starts as this machine's; every sandbox answer
 * (its time header, or the clock route) moves it. It never moves back because of an answer that
 * was on its way while the sandbox's time moved (an answer computed before a jump arrives after
 * it): AWS's time does not go backwards, and neither does the sandbox's.
 */
export class AccountClock {
  private offset = 0;
  private observed = false;
  private readonly machineNow: () => number;

  constructor(machineNow: () => number = Date.now) {
    this.machineNow = machineNow;
  }

  /** Records the account's time as an answer reported it. Unparseable values are ignored. */
  observe(accountTime: Date | string | number): void {
    const time = accountTime instanceof Date ? accountTime.getTime() : typeof accountTime === 'number' ? accountTime : Date.parse(accountTime);
    if (!Number.isFinite(time)) return;
    const offset = time - this.machineNow();
    if (!this.observed || offset > this.offset) this.offset = offset;
    this.observed = true;
  }

  /** True once an answer carried the account's time (the endpoint is a keywarden sandbox). */
  get isObserved(): boolean {
    return this.observed;
  }

  /** Milliseconds the account's time is ahead of this machine's. */
  get offsetMs(): number {
    return this.offset;
  }

  now(): Date {
    return new Date(this.machineNow() + this.offset);
  }
}

/** What the TUI needs to show and move a sandbox's time (absent against AWS). */
export interface SandboxClock {
  /** The account's (sandbox's) time as last seen. */
  now(): Date;
  /** Milliseconds the sandbox's time is ahead of this machine's. */
  offsetMs(): number;
  /** Moves the sandbox's time forward; resolves with its new time. */
  advance(seconds: number): Promise<Date>;
}
