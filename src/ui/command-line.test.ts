import { describe, expect, it } from 'vitest';
import { candidates, completeCommand, remember, resolveCommand, walkHistory } from './command-line.js';

describe('the command line', () => {
  it('takes a word, an alias or a prefix that names one command', () => {
    expect(resolveCommand('retirements')).toBe('retirements');
    expect(resolveCommand(':ret')).toBe('retirements');
    expect(resolveCommand('j')).toBe('journal');
    expect(resolveCommand('ctx')).toBe('profile');
    expect(resolveCommand('reg')).toBe('region');
    expect(resolveCommand('KEYS')).toBe('keys');
    // "re" could be retirements or region: not a guess.
    expect(resolveCommand('re')).toBeUndefined();
    expect(candidates('re')).toEqual(['retirements', 'region']);
    expect(resolveCommand('nope')).toBeUndefined();
    expect(resolveCommand('')).toBeUndefined();
  });

  it('completes with Tab: the one word, or the common part of several', () => {
    expect(completeCommand('retir')).toBe('retirements ');
    expect(completeCommand('cl')).toBe('clock ');
    expect(completeCommand('re')).toBe('re');
    // :profile and the Policy tab's :policy both start with p.
    expect(completeCommand('p')).toBe('p');
    expect(completeCommand('pr')).toBe('profile ');
    expect(completeCommand('gr')).toBe('grants ');
    expect(completeCommand('clock +1')).toBe('clock +1');
    expect(completeCommand('zz')).toBe('zz');
  });

  it('remembers what was run and walks back and forth through it', () => {
    let history: string[] = [];
    history = remember(history, 'clock +1d');
    history = remember(history, 'ret');
    history = remember(history, 'ret');
    history = remember(history, '  ');
    expect(history).toEqual(['clock +1d', 'ret']);
    let at = walkHistory(history, 0, 1, 'dr');
    expect(at).toEqual({ position: 1, text: 'ret' });
    at = walkHistory(history, at.position, 1, 'dr');
    expect(at).toEqual({ position: 2, text: 'clock +1d' });
    at = walkHistory(history, at.position, 1, 'dr');
    expect(at.position).toBe(2);
    at = walkHistory(history, at.position, -1, 'dr');
    at = walkHistory(history, at.position, -1, 'dr');
    expect(at).toEqual({ position: 0, text: 'dr' });
  });
});
