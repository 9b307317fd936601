import { describe, expect, it } from 'vitest';
import { AccountClock, describeAmount, describeOffset, parseClockAmount } from './clock.js';

describe('parseClockAmount', () => {
  it.each([
    ['+15d', 15 * 86_400],
    ['+36h', 36 * 3_600],
    ['+90m', 90 * 60],
    ['+1w', 7 * 86_400],
    ['+30s', 30],
    ['15d', 15 * 86_400],
    ['+1d12h', 36 * 3_600],
    ['+2W', 14 * 86_400],
    [' +15d ', 15 * 86_400],
  ])('%s → %i seconds', (text, seconds) => {
    expect(parseClockAmount(text)).toEqual({ ok: true, seconds });
  });

  it.each([
    ['-15d', /only moves forward/],
    ['-1h', /only moves forward/],
    ['', /no amount given/],
    [undefined, /no amount given/],
    ['   ', /no amount given/],
    ['+0d', /does not move the clock/],
    ['+', /not an amount of time/],
    ['15', /not an amount of time/],
    ['+15 days', /not an amount of time/],
    ['+1.5d', /not an amount of time/],
    ['+d', /not an amount of time/],
    ['+15y', /not an amount of time/],
    ['tomorrow', /not an amount of time/],
    ['++15d', /not an amount of time/],
    ['+3651d', /more than 3650 days/],
    ['+99999999999999999999w', /more than 3650 days/],
  ])('refuses %j', (text, message) => {
    const parsed = parseClockAmount(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe('describeAmount / describeOffset', () => {
  it('says amounts in words', () => {
    expect(describeAmount(15 * 86_400)).toBe('15 days');
    expect(describeAmount(36 * 3_600)).toBe('1 day 12 hours');
    expect(describeAmount(90 * 60)).toBe('1 hour 30 minutes');
    expect(describeAmount(1)).toBe('1 second');
  });

  it('says how far the account is from this machine', () => {
    expect(describeOffset(0)).toBe("the same as this machine's");
    expect(describeOffset(15 * 86_400_000 + 1234)).toBe("15 days ahead of this machine's");
    expect(describeOffset(-2 * 3_600_000)).toBe("2 hours behind this machine's");
  });
});

describe('AccountClock', () => {
  it("is this machine's time until an answer carries the account's", () => {
    let machine = Date.parse('2026-12-07T00:00:00Z');
    const clock = new AccountClock(() => machine);
    expect(clock.isObserved).toBe(false);
    expect(clock.now().toISOString()).toBe('2026-12-07T00:00:00.000Z');
    clock.observe('2026-12-22T00:00:00.000Z');
    expect(clock.isObserved).toBe(true);
    expect(clock.offsetMs).toBe(15 * 86_400_000);
    machine += 60_000;
    expect(clock.now().toISOString()).toBe('2026-12-22T00:01:00.000Z');
  });

  it('does not move back for an answer computed before a jump', () => {
    const machine = Date.parse('2026-12-07T00:00:00Z');
    const clock = new AccountClock(() => machine);
    clock.observe(new Date('2026-12-22T00:00:00Z'));
    clock.observe(new Date('2026-12-07T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-12-22T00:00:00.000Z');
    clock.observe(Date.parse('2026-12-23T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-12-23T00:00:00.000Z');
  });

  it('ignores values that are not times', () => {
    const clock = new AccountClock(() => 0);
    clock.observe('not a time');
    expect(clock.isObserved).toBe(false);
    expect(clock.now().getTime()).toBe(0);
  });

  it('takes a first answer that is behind this machine', () => {
    const clock = new AccountClock(() => 10_000);
    clock.observe(4_000);
    expect(clock.offsetMs).toBe(-6_000);
  });
});
