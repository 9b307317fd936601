// One way of wrapping text to the terminal's width, for every screen: nothing an operator must
// read or copy (an ARN, a request id, an error) is cut at the edge. A row breaks at a space where
// it can, inside a word (an ARN, an id) only when the word alone is longer than the row; the rows
// after the first start at a given column (a field's value column), so a wrapped value reads as one.

/** A run of text in one style; `keep` runs (a badge) are never broken at their own spaces. */
export interface Segment<S = unknown> {
  text: string;
  style?: S;
  keep?: boolean;
}

interface Row {
  start: number;
  end: number;
}

/**
 * Where each row of `chars` starts and ends at `width` columns, continuations `indent` columns in.
 * `breakable(i)` says whether the space at `i` may end a row.
 */
function rowsOf(chars: readonly string[], width: number, indent: number, breakable: (i: number) => boolean): Row[] {
  const rows: Row[] = [];
  let pos = 0;
  let first = true;
  while (pos < chars.length) {
    const room = Math.max(1, first ? width : width - indent);
    let end: number;
    if (chars.length - pos <= room) end = chars.length;
    else {
      // The last space within the room, else cut the word. On the first row only a space past the
      // continuation column: a label ("ARN", "key") is never left alone with its value below.
      let space = -1;
      for (let i = pos + room; i > pos + (first ? indent : 0); i--) {
        if (chars[i] === ' ' && breakable(i)) {
          space = i;
          break;
        }
      }
      end = space > 0 ? space : pos + room;
    }
    rows.push({ start: pos, end });
    pos = end;
    while (chars[pos] === ' ' && breakable(pos)) pos++;
    first = false;
  }
  return rows;
}

/** The continuation column: the one asked for, else the text's own indentation; never past half the width. */
function continuation(text: string, width: number, indent: number | undefined): number {
  const own = [...text].length - [...text.trimStart()].length;
  return Math.max(0, Math.min(indent ?? own, Math.floor(width / 2)));
}

/**
 * `text` as rows of at most `width` columns, never truncated; rows after the first start `indent`
 * columns in (the text's own indentation when absent).
 */
export function wrapIndented(text: string, width: number, indent?: number): string[] {
  const chars = [...text];
  if (width < 1 || chars.length <= width) return [text];
  const at = continuation(text, width, indent);
  const pad = ' '.repeat(at);
  return rowsOf(chars, width, at, () => true).map((row, i) => {
    const part = chars.slice(row.start, row.end).join('');
    return i === 0 ? part.trimEnd() : `${pad}${part.trim()}`;
  });
}

/** Word-wraps text (its runs of white space made one space) into rows of at most `width` columns (at least 10). */
export function wrapText(text: string, width: number): string[] {
  const words = text.split(/\s+/).filter(Boolean).join(' ');
  return words ? wrapIndented(words, Math.max(10, width), 0) : [];
}

/**
 * Styled runs as rows of at most `width` columns, each row its runs (split where the row breaks),
 * never truncated; rows after the first start `indent` columns in (a run of spaces, unstyled).
 */
export function wrapSegments<S>(segments: readonly Segment<S>[], width: number, indent = 0): Segment<S>[][] {
  const chars: string[] = [];
  const owner: number[] = [];
  segments.forEach((segment, s) => {
    for (const ch of segment.text) {
      chars.push(ch);
      owner.push(s);
    }
  });
  if (width < 1 || chars.length <= width) return [segments.filter((s) => s.text !== '')];
  const at = continuation(chars.join(''), width, indent);
  const breakable = (i: number) => !segments[owner[i] ?? -1]?.keep;
  return rowsOf(chars, width, at, breakable).map((row, r) => {
    let end = row.end;
    while (end > row.start && chars[end - 1] === ' ' && breakable(end - 1)) end--;
    const out: Segment<S>[] = r > 0 && at > 0 ? [{ text: ' '.repeat(at) }] : [];
    for (let i = row.start; i < end; ) {
      const s = owner[i]!;
      let j = i;
      while (j < end && owner[j] === s) j++;
      const { text: _text, ...style } = segments[s]!;
      out.push({ ...style, text: chars.slice(i, j).join('') });
      i = j;
    }
    return out;
  });
}

/** The plain text of a row of runs. */
export function segmentsText(row: readonly Segment[]): string {
  return row.map((s) => s.text).join('');
}
