// The column chooser (v on the keys list): every column the table can show, whether it is shown,
// hidden by the operator, or left out because it does not fit or no key has a value in it.

import { Box, Text } from 'ink';
import { columnTitle, type Column, type ColumnId, type SortOrder } from '../../domain/table.js';
import { useTheme } from '../theme.js';

export interface ColumnChooserViewProps {
  columns: readonly Column[];
  hidden: readonly ColumnId[];
  /** The columns on screen now. */
  shown: readonly ColumnId[];
  cursor: number;
  sort: SortOrder;
  height: number;
}

/** Why a column the operator did not hide is not on screen. */
function note(column: Column, hidden: readonly ColumnId[], shown: readonly ColumnId[]): string {
  if (column.id === 'alias') return 'always shown: it names the key';
  if (hidden.includes(column.id)) return 'hidden';
  if (shown.includes(column.id)) return 'shown';
  return column.id === 'deletion' ? 'shown when a key listed is pending deletion' : 'on, but does not fit at this width (or no key has a value)';
}

export function ColumnChooserView({ columns, hidden, shown, cursor, sort, height }: ColumnChooserViewProps) {
  const theme = useTheme();
  const titleWidth = Math.max(...columns.map((c) => columnTitle(c, sort).length)) + 2;
  return (
    <Box flexDirection="column" height={height}>
      <Text {...theme.heading}>Columns of the keys list</Text>
      <Text {...theme.muted}>Space or x shows or hides a column · Enter, Esc or v closes · kept for the next start</Text>
      {columns.map((column, i) => {
        const isCursor = i === cursor;
        const box = hidden.includes(column.id) ? '[ ]' : '[x]';
        return (
          <Text key={column.id} wrap="truncate-end" {...(isCursor ? theme.selection : {})}>
            {`${isCursor ? '›' : ' '} ${box} ${columnTitle(column, sort).padEnd(titleWidth)}${note(column, hidden, shown)}`}
          </Text>
        );
      })}
    </Box>
  );
}
