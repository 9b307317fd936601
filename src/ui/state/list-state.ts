// The keys list as a pure reducer: selection, filter (and whether it is being typed),
// sort order and the AWS-managed toggle. Counts come in with the events that need them,
// so the reducer never sees the rows. Inapplicable events return the same state.

import type { ColumnId, SortOrder } from '../../domain/table.js';
import { applyEdit, type TextEdit } from '../text-field.js';

export interface ListState {
  selected: number;
  filter: string;
  isFiltering: boolean;
  sort: SortOrder;
  showAwsManaged: boolean;
  /** Only keys with findings to act on (the `f` toggle). */
  onlyWithFindings: boolean;
  /** Columns the operator switched off in the column chooser (v). */
  hiddenColumns: readonly ColumnId[];
  /** `:account`: only this account's keys (its id); absent = every account read. */
  accountScope?: string;
  /** The column chooser, when open: the row under its cursor. */
  chooser?: number;
}

export type ListEvent =
  | { type: 'move'; by: number; count: number }
  /** Select row `index` (the same key found again after the order or the rows shown changed). */
  | { type: 'select'; index: number }
  | { type: 'top' }
  | { type: 'bottom'; count: number }
  | { type: 'filter-start' }
  | { type: 'filter-type'; text: string }
  | { type: 'filter-erase' }
  /** Any edit of the filter being typed (text, Backspace, Ctrl-W, Ctrl-U). */
  | { type: 'filter-edit'; edit: TextEdit }
  /** Sort by a column (a column's own key); the same column again reverses the order. */
  | { type: 'sort-by'; column: ColumnId }
  | { type: 'filter-accept' }
  | { type: 'filter-cancel' }
  | { type: 'filter-clear' }
  | { type: 'sort-next'; columns: readonly ColumnId[] }
  | { type: 'sort-reverse' }
  | { type: 'toggle-aws-managed' }
  | { type: 'chooser-open' }
  | { type: 'chooser-close' }
  | { type: 'chooser-move'; by: number; count: number }
  /** Shows or hides a column; the alias (each row's name) is always shown. Hiding the sorted column sorts by alias. */
  | { type: 'column-toggle'; column: ColumnId }
  | { type: 'toggle-findings' }
  /** `:account NAME|ID|all`: narrow to one account's keys, or widen to all (no account). */
  | { type: 'account-scope'; account?: string };

export const INITIAL_LIST_STATE: ListState = {
  selected: 0,
  filter: '',
  isFiltering: false,
  sort: { column: 'alias', direction: 'asc' },
  showAwsManaged: false,
  onlyWithFindings: false,
  hiddenColumns: [],
};

function clamp(value: number, count: number): number {
  return Math.max(0, Math.min(value, count - 1));
}

/** The selection as an index into `count` rows (the stored index may be past the end after a refresh). */
export function selectedIndex(state: ListState, count: number): number {
  return count === 0 ? 0 : clamp(state.selected, count);
}

export function listReducer(state: ListState, event: ListEvent): ListState {
  switch (event.type) {
    case 'move': {
      if (event.count === 0) return state;
      const selected = clamp(selectedIndex(state, event.count) + event.by, event.count);
      return selected === state.selected ? state : { ...state, selected };
    }
    case 'select':
      return event.index === state.selected || event.index < 0 ? state : { ...state, selected: event.index };
    case 'top':
      return state.selected === 0 ? state : { ...state, selected: 0 };
    case 'bottom': {
      const selected = Math.max(0, event.count - 1);
      return selected === state.selected ? state : { ...state, selected };
    }
    case 'filter-start':
      // A new `/` starts a new filter, as a new search does in less or vim.
      return state.isFiltering ? state : { ...state, isFiltering: true, filter: '', selected: 0 };
    case 'filter-type':
      return listReducer(state, { type: 'filter-edit', edit: { kind: 'type', text: event.text } });
    case 'filter-erase':
      return listReducer(state, { type: 'filter-edit', edit: { kind: 'erase-char' } });
    case 'filter-edit': {
      if (!state.isFiltering) return state;
      const filter = applyEdit({ value: state.filter }, event.edit).value;
      return filter === state.filter ? state : { ...state, filter, selected: 0 };
    }
    case 'filter-accept':
      return state.isFiltering ? { ...state, isFiltering: false } : state;
    case 'filter-cancel':
      return state.isFiltering ? { ...state, isFiltering: false, filter: '', selected: 0 } : state;
    case 'filter-clear':
      return state.filter === '' ? state : { ...state, filter: '', selected: 0 };
    case 'sort-next': {
      if (event.columns.length === 0) return state;
      const index = event.columns.indexOf(state.sort.column);
      const column = event.columns[(index + 1) % event.columns.length] ?? state.sort.column;
      return { ...state, sort: { column, direction: 'asc' } };
    }
    case 'sort-by':
      return state.sort.column === event.column
        ? { ...state, sort: { column: event.column, direction: state.sort.direction === 'asc' ? 'desc' : 'asc' } }
        : { ...state, sort: { column: event.column, direction: 'asc' } };
    case 'sort-reverse':
      return { ...state, sort: { ...state.sort, direction: state.sort.direction === 'asc' ? 'desc' : 'asc' } };
    case 'chooser-open':
      return state.chooser === undefined ? { ...state, chooser: 0 } : state;
    case 'chooser-close': {
      if (state.chooser === undefined) return state;
      const { chooser: _chooser, ...rest } = state;
      return rest;
    }
    case 'chooser-move': {
      if (state.chooser === undefined || event.count === 0) return state;
      const chooser = clamp(state.chooser + event.by, event.count);
      return chooser === state.chooser ? state : { ...state, chooser };
    }
    case 'column-toggle': {
      if (event.column === 'alias') return state;
      if (state.hiddenColumns.includes(event.column)) return { ...state, hiddenColumns: state.hiddenColumns.filter((id) => id !== event.column) };
      const hiddenColumns = [...state.hiddenColumns, event.column];
      return state.sort.column === event.column ? { ...state, hiddenColumns, sort: { column: 'alias', direction: 'asc' } } : { ...state, hiddenColumns };
    }
    case 'toggle-aws-managed':
      return { ...state, showAwsManaged: !state.showAwsManaged, selected: 0 };
    case 'toggle-findings':
      return { ...state, onlyWithFindings: !state.onlyWithFindings, selected: 0 };
    case 'account-scope': {
      const { accountScope: _previous, ...rest } = state;
      return event.account ? { ...rest, accountScope: event.account, selected: 0 } : { ...rest, selected: 0 };
    }
  }
}
