import { describe, expect, it } from 'vitest';
import { INITIAL_LIST_STATE, listReducer, selectedIndex, type ListEvent, type ListState } from './list-state.js';

const at = (overrides: Partial<ListState>): ListState => ({ ...INITIAL_LIST_STATE, ...overrides });

describe('listReducer', () => {
  it.each<[string, ListState, ListEvent, Partial<ListState>]>([
    ['moves down', at({}), { type: 'move', by: 1, count: 5 }, { selected: 1 }],
    ['stops at the end', at({ selected: 4 }), { type: 'move', by: 1, count: 5 }, { selected: 4 }],
    ['pages down, clamped', at({ selected: 2 }), { type: 'move', by: 20, count: 5 }, { selected: 4 }],
    ['stops at the top', at({}), { type: 'move', by: -1, count: 5 }, { selected: 0 }],
    ['moves from a stale index after the list shrank', at({ selected: 40 }), { type: 'move', by: -1, count: 5 }, { selected: 3 }],
    ['goes to the bottom', at({}), { type: 'bottom', count: 10_000 }, { selected: 9_999 }],
    ['goes to the top', at({ selected: 7 }), { type: 'top' }, { selected: 0 }],
    ['starts filtering', at({}), { type: 'filter-start' }, { isFiltering: true }],
    ['types while filtering', at({ isFiltering: true, filter: 'eb', selected: 3 }), { type: 'filter-type', text: 's' }, { filter: 'ebs', selected: 0 }],
    ['ignores typing when not filtering', at({ filter: 'eb' }), { type: 'filter-type', text: 's' }, { filter: 'eb' }],
    ['erases', at({ isFiltering: true, filter: 'ebs' }), { type: 'filter-erase' }, { filter: 'eb' }],
    ['accept keeps the filter', at({ isFiltering: true, filter: 'ebs' }), { type: 'filter-accept' }, { isFiltering: false, filter: 'ebs' }],
    ['cancel clears it', at({ isFiltering: true, filter: 'ebs' }), { type: 'filter-cancel' }, { isFiltering: false, filter: '' }],
    ['Esc on the list clears an accepted filter', at({ filter: 'ebs' }), { type: 'filter-clear' }, { filter: '' }],
    ['next sort column', at({}), { type: 'sort-next', columns: ['alias', 'keyId', 'state'] }, { sort: { column: 'keyId', direction: 'asc' } }],
    ['sort wraps', at({ sort: { column: 'state', direction: 'desc' } }), { type: 'sort-next', columns: ['alias', 'keyId', 'state'] }, { sort: { column: 'alias', direction: 'asc' } }],
    ['reverse sort', at({}), { type: 'sort-reverse' }, { sort: { column: 'alias', direction: 'desc' } }],
    ['sort by a column', at({}), { type: 'sort-by', column: 'lastUsed' }, { sort: { column: 'lastUsed', direction: 'asc' } }],
    ['the same column again reverses', at({ sort: { column: 'lastUsed', direction: 'asc' } }), { type: 'sort-by', column: 'lastUsed' }, { sort: { column: 'lastUsed', direction: 'desc' } }],
    ['erases a word of the filter', at({ isFiltering: true, filter: 'state:disabled tag:x' }), { type: 'filter-edit', edit: { kind: 'erase-word' } }, { filter: 'state:disabled ' }],
    ['erases the whole filter', at({ isFiltering: true, filter: 'state:disabled tag:x' }), { type: 'filter-edit', edit: { kind: 'erase-line' } }, { filter: '' }],
    ['opens the column chooser', at({}), { type: 'chooser-open' }, { chooser: 0 }],
    ['moves in the chooser', at({ chooser: 0 }), { type: 'chooser-move', by: 1, count: 3 }, { chooser: 1 }],
    ['hides a column', at({}), { type: 'column-toggle', column: 'keyId' }, { hiddenColumns: ['keyId'] }],
    ['shows it again', at({ hiddenColumns: ['keyId', 'created'] }), { type: 'column-toggle', column: 'keyId' }, { hiddenColumns: ['created'] }],
    ['hiding the sorted column sorts by alias', at({ sort: { column: 'created', direction: 'desc' } }), { type: 'column-toggle', column: 'created' }, { hiddenColumns: ['created'], sort: { column: 'alias', direction: 'asc' } }],
    ['toggle AWS-managed keys', at({ selected: 3 }), { type: 'toggle-aws-managed' }, { showAwsManaged: true, selected: 0 }],
  ])('%s', (_name, state, event, expected) => {
    expect(listReducer(state, event)).toEqual({ ...state, ...expected });
  });

  it.each<ListEvent>([
    { type: 'move', by: 1, count: 0 },
    { type: 'top' },
    { type: 'filter-accept' },
    { type: 'filter-cancel' },
    { type: 'filter-erase' },
    { type: 'filter-clear' },
    { type: 'column-toggle', column: 'alias' },
    { type: 'chooser-close' },
  ])('returns the same state for an inapplicable %o', (event) => {
    expect(listReducer(INITIAL_LIST_STATE, event)).toBe(INITIAL_LIST_STATE);
  });

  it('clamps the selection to the rows', () => {
    expect(selectedIndex(at({ selected: 9 }), 3)).toBe(2);
    expect(selectedIndex(at({ selected: 9 }), 0)).toBe(0);
  });
});
