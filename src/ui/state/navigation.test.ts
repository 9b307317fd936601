import { describe, expect, it } from 'vitest';
import { INITIAL_NAVIGATION, navigationReducer, type Navigation } from './navigation.js';

const key = { arn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', region: 'eu-west-1' };
const detail: Navigation = { screen: { kind: 'detail', key, tab: 'overview', scroll: 0, grantCursor: 0, selectedGrants: [] }, overlay: { kind: 'none' } };

describe('navigationReducer', () => {
  it('opens a key on its overview and goes back', () => {
    expect(navigationReducer(INITIAL_NAVIGATION, { type: 'open', key })).toEqual(detail);
    expect(navigationReducer(detail, { type: 'back' })).toEqual(INITIAL_NAVIGATION);
  });

  it('switches tabs by number and by step, wrapping, and resets the scroll', () => {
    const scrolled = navigationReducer(detail, { type: 'scroll', by: 5, maxScroll: 10 });
    expect(scrolled.screen).toMatchObject({ scroll: 5 });
    expect(navigationReducer(scrolled, { type: 'tab', tab: 'grants' }).screen).toMatchObject({ tab: 'grants', scroll: 0 });
    expect(navigationReducer(detail, { type: 'tab-step', by: -1 }).screen).toMatchObject({ tab: 'findings' });
    expect(navigationReducer(detail, { type: 'tab-step', by: 1 }).screen).toMatchObject({ tab: 'rotation' });
  });

  it('clamps scrolling', () => {
    expect(navigationReducer(detail, { type: 'scroll', by: 50, maxScroll: 7 }).screen).toMatchObject({ scroll: 7 });
    expect(navigationReducer(detail, { type: 'scroll', by: -3, maxScroll: 7 })).toBe(detail);
    expect(navigationReducer(detail, { type: 'scroll-to', to: 'bottom', maxScroll: 12 }).screen).toMatchObject({ scroll: 12 });
  });

  it('toggles the help overlay over any screen', () => {
    const help = navigationReducer(detail, { type: 'help-toggle' });
    expect(help.overlay).toEqual({ kind: 'help', scroll: 0 });
    expect(help.screen).toBe(detail.screen);
    expect(navigationReducer(help, { type: 'help-toggle' }).overlay).toEqual({ kind: 'none' });
    expect(navigationReducer(help, { type: 'help-close' }).overlay).toEqual({ kind: 'none' });
  });

  it('ignores detail events on the list', () => {
    for (const event of [{ type: 'back' }, { type: 'tab', tab: 'policy' }, { type: 'scroll', by: 1, maxScroll: 3 }] as const) {
      expect(navigationReducer(INITIAL_NAVIGATION, event)).toBe(INITIAL_NAVIGATION);
    }
  });

  it('moves the grant cursor within the grants and selects grants for a bulk change', () => {
    let state = navigationReducer(detail, { type: 'tab', tab: 'grants' });
    state = navigationReducer(state, { type: 'grant-cursor', by: 5, count: 3 });
    expect(state.screen).toMatchObject({ grantCursor: 2 });
    state = navigationReducer(state, { type: 'grant-cursor', by: -9, count: 3 });
    expect(state.screen).toMatchObject({ grantCursor: 0 });
    state = navigationReducer(state, { type: 'grant-toggle', grantId: 'g1' });
    state = navigationReducer(state, { type: 'grant-select', grantIds: ['g1', 'g2'] });
    expect(state.screen).toMatchObject({ selectedGrants: ['g1', 'g2'] });
    state = navigationReducer(state, { type: 'grant-toggle', grantId: 'g1' });
    expect(state.screen).toMatchObject({ selectedGrants: ['g2'] });
    state = navigationReducer(state, { type: 'grant-clear' });
    expect(state.screen).toMatchObject({ selectedGrants: [] });
  });

  it('opens the journal over the current screen and goes back to it', () => {
    const journal = navigationReducer(detail, { type: 'open-journal', keyArn: key.arn });
    expect(journal.screen).toEqual({ kind: 'journal', keyArn: key.arn, scroll: 0, back: detail.screen });
    expect(navigationReducer(journal, { type: 'back' })).toEqual(detail);
    const scrolled = navigationReducer(journal, { type: 'journal-scroll', by: 3, maxScroll: 2 });
    expect(scrolled.screen).toMatchObject({ scroll: 2 });
    expect(navigationReducer(journal, { type: 'list' })).toEqual(INITIAL_NAVIGATION);
  });
});
