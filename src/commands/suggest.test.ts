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
