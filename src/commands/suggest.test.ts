import { describe, expect, it } from 'vitest';
import { closest, didYouMean } from './suggest.js';

const COMMANDS = ['list', 'show', 'usage', 'report', 'rotation', 'grants', 'key', 'retire', 'retirements', 'journal', 'sandbox'];

describe('did you mean', () => {
  it.each([
    ['lsit', 'list'],
    ['shwo', 'show'],
    ['retirments', 'retirements'],
    ['jurnal', 'journal'],
    ['rotaton', 'rotation'],
    ['sand', 'sandbox'],
  ])('%s → %s', (typed, expected) => {
    expect(closest(typed, COMMANDS)).toBe(expected);
  });

  it('suggests nothing for a word that is not close to any', () => {
    expect(closest('frobnicate', COMMANDS)).toBeUndefined();
    expect(didYouMean('xyz', COMMANDS)).toBe('');
  });

  it('formats the suggestion with the prefix of its kind', () => {
    expect(didYouMean('endpoint-ur', ['endpoint-url', 'region'], '--')).toBe(' — did you mean "--endpoint-url"?');
  });
});

describe('did you mean, for the commands under a command', () => {
  it.each([
    [['rotation', 'enabel', 'alias/x'], 'unknown rotation command "enabel" (enable, disable, rotate-now) — did you mean "rotation enable"?'],
    [['grants', 'retir', 'alias/x', 'g1'], 'unknown grants command "retir" (retire, revoke) — did you mean "grants retire"?'],
    [['key', 'disabel', 'alias/x'], 'unknown key command "disabel" (enable, disable) — did you mean "key disable"?'],
  ])('%j', async (words, message) => {
    const { parseChange } = await import('./change.js');
    expect(parseChange(words, {})).toEqual({ ok: false, message });
  });

  it('retire strat and guard ad', async () => {
    const [{ parseRetire }, { parseGuard }] = await Promise.all([import('./retire.js'), import('./guard.js')]);
    expect(parseRetire(['retire', 'strat', 'alias/x'], { json: false, yes: false, weakerWatch: false })).toEqual({ ok: false, message: 'unknown retire command "strat" (start, advance, rollback, status) — did you mean "retire start"?' });
    expect(parseGuard(['guard', 'ad', 'alias/x'], {})).toEqual({ ok: false, message: 'unknown guard command "ad" (add, remove) — did you mean "guard add"?' });
    expect(parseGuard(['guard', 'protect', 'alias/x'], {})).toEqual({ ok: false, message: 'unknown guard command "protect" (add, remove)' });
  });
});
