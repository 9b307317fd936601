import { render } from 'ink-testing-library';
import chalk from 'chalk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnById, columnsFor, contentWidths, sortRows, toRowView, withoutAwsManaged, type SortOrder } from '../../domain/table.js';
import { ALL_ROWS, NOW, manyRows } from '../../../test/helpers/kms-fixtures.js';
import { plain, renderSized } from '../../../test/helpers/ink.js';
import { findingsMarker } from '../../domain/findings.js';
import { COLOR_THEME, MONOCHROME_THEME, ThemeContext } from '../theme.js';
import { findingsMarkerTone } from './findings-view.js';
import { KeysView, keysLayout, type KeysViewProps } from './keys-view.js';

const columns = columnsFor({ multiRegion: false });
const sort: SortOrder = { column: 'alias', direction: 'asc' };

function props(overrides: Partial<KeysViewProps> = {}): KeysViewProps {
  const rows = sortRows(withoutAwsManaged(ALL_ROWS.map((r) => toRowView(r, NOW))), 'alias', 'asc');
  return {
    rows,
    columns,
    selected: 0,
    height: 20,
    width: 100, // ink-testing-library's stdout is 100 columns
    filter: '',
    isFiltering: false,
    sort,
    total: rows.length,
    hiddenAwsManaged: 1,
    ...overrides,
  };
}

describe('KeysView', () => {
  it('renders the fixture keys with their cells', () => {
    const { lastFrame } = render(<KeysView {...props()} />);
    const frame = plain(lastFrame());
    expect(frame).toContain('7 of 7 keys');
    expect(frame).toContain('1 AWS-managed hidden');
    // 100 columns: the key without an alias is named by its whole key id; the last use does not fit.
    expect(frame).toMatch(/ALIAS ↑\s+STATE\s+FIND\s+ROTATION\s+DELETION/);
    expect(frame).toMatch(/ebs-volumes \+1\s+Enabled\s+(?:…\s+)?on 365d next 2027-03-01/);
    expect(frame).toMatch(/release-signing\s+Enabled\s+!1…?\s+n\/a/);
    expect(frame).toMatch(/old-backups\s+PendingDeletion\s+(?:…\s+)?off\s+2026-12-20 \(27d\)/);
    expect(frame).toMatch(/c0ffee00-1111-4222-8333-944455556666 no access\s+\?/);
    expect(frame).not.toContain('aws/ebs');
    const wide = plain(renderSized(<KeysView {...props({ width: 160 })} />, 160).lastFrame());
    expect(wide).toMatch(/ALIAS ↑\s+KEY ID\s+STATE\s+FIND\s+ROTATION\s+LAST USED\s+DELETION/);
    expect(wide).toMatch(/ebs-volumes \+1\s+1234abcd-12ab-34cd-56ef-1234567890ab Enabled\s+(?:…\s+)?on 365d next 2027-03-01 2026-11-20 Decrypt/);
    expect(wide).toMatch(/old-backups\s+7f3e2d1c-0b9a-4887-a665-544332211000 PendingDeletion\s+(?:…\s+)?off\s+not since 2026-04-15\s+2026-12-20 \(27d\)/);
    expect(wide).toMatch(/—\s+c0ffee00-1111-4222-8333-944455556666 no access/);
  });

  it('shows the filter being typed and the count it leaves', () => {
    const rows = props().rows.filter((r) => r.haystack.includes('ebs'));
    const { lastFrame } = render(<KeysView {...props({ rows, filter: 'ebs', isFiltering: true })} />);
    expect(plain(lastFrame())).toContain('1 of 7 keys  /ebs');
    const accepted = render(<KeysView {...props({ rows, filter: 'ebs' })} />);
    expect(plain(accepted.lastFrame())).toContain('1 of 7 keys (filter: ebs)');
    const none = render(<KeysView {...props({ rows: [], filter: 'zzz' })} />);
    expect(plain(none.lastFrame())).toContain('no keys match "zzz"');
  });

  it('shows loading progress while rows stream in', () => {
    const progress = [{ region: 'eu-west-1', listed: 400, loaded: 120, done: false }];
    const { lastFrame } = render(<KeysView {...props({ progress })} />);
    expect(plain(lastFrame())).toContain('loading keys… 120 of 400 listed');
  });

  it('shows "pending" for last use not read yet, and "…" for the findings that wait for it', () => {
    const pending = ALL_ROWS.map((r) => (r.metadata ? { ...r, lastUsage: { kind: 'pending' as const } } : r));
    const rows = sortRows(withoutAwsManaged(pending.map((r) => toRowView(r, NOW))), 'alias', 'asc');
    const frame = plain(renderSized(<KeysView {...props({ rows, width: 160 })} />, 160).lastFrame());
    expect(frame).toMatch(/ebs-volumes \+1\s+\S+\s+Enabled\s+…\s+.*on 365d next 2027-03-01\s+pending/);
    expect(frame).toMatch(/global-secrets\s+\S+\s+Enabled\s+!1…\s+.*off\s+pending/);
    expect(frame).toMatch(/release-signing\s+\S+\s+Enabled\s+…\s+.*n\/a\s+pending/);
  });

  it('marks a value read more than an hour ago with *', () => {
    const readAt = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
    const aged = ALL_ROWS.map((r) =>
      r.lastUsage.kind === 'used' ? { ...r, lastUsage: { ...r.lastUsage, readAt: readAt(r.aliases.includes('alias/ebs-volumes') ? 90 : 5) } } : r,
    );
    const rows = sortRows(withoutAwsManaged(aged.map((r) => toRowView(r, NOW))), 'alias', 'asc');
    const frame = plain(renderSized(<KeysView {...props({ rows, width: 160 })} />, 160).lastFrame());
    expect(frame).toMatch(/ebs-volumes \+1.*2026-11-20 Decrypt \*/);
    // Where only the date fits, the mark stays with it.
    expect(rows.find((r) => r.row.aliases.includes('alias/ebs-volumes'))?.short.lastUsed).toBe('2026-11-20 *');
    expect(frame).not.toMatch(/fargate.*\*/);
  });

  it('shows the last-use reading in the count line while it reads, and nothing once done', () => {
    const reading = plain(render(<KeysView {...props({ lastUseProgress: { done: 120, total: 1016, perSecond: 5, secondsLeft: 180 } })} />).lastFrame());
    expect(reading.split('\n')[0]).toContain('7 of 7 keys  last use 120 of 1,016 · 5/s · about 3 min');
    const done = plain(render(<KeysView {...props({ lastUseProgress: { done: 1016, total: 1016, perSecond: 5, secondsLeft: 0 } })} />).lastFrame());
    expect(done).not.toContain('last use');
  });

  it('renders only the visible window of 10,000 rows, quickly', () => {
    const rows = manyRows(10_000).map((r) => toRowView(r, NOW));
    const started = performance.now();
    const { lastFrame } = render(<KeysView {...props({ rows, total: rows.length, selected: 5_000, height: 20, width: 120 })} />);
    const elapsed = performance.now() - started;
    const frame = plain(lastFrame());
    const keyLines = frame.split('\n').filter((l) => l.includes('bulk-'));
    expect(keyLines).toHaveLength(18); // height 20 minus the count line and the header row
    expect(frame).toContain('bulk-05000');
    expect(frame).not.toContain('bulk-00000');
    expect(frame).toContain('10000 of 10000 keys');
    // Generous bound: catches rendering all rows (seconds), not machine jitter.
    expect(elapsed).toBeLessThan(1500);
  });

  it('keeps the selection visible at the ends of the list', () => {
    const rows = manyRows(100).map((r) => toRowView(r, NOW));
    const bottom = plain(render(<KeysView {...props({ rows, total: 100, selected: 99, height: 12 })} />).lastFrame());
    expect(bottom).toContain('bulk-00099');
    expect(bottom.split('\n').filter((l) => l.includes('bulk-'))).toHaveLength(10);
    const top = plain(render(<KeysView {...props({ rows, total: 100, selected: 0, height: 12 })} />).lastFrame());
    expect(top).toContain('bulk-00000');
    expect(top).not.toContain('bulk-00010');
  });

  it('shows more columns when the terminal is wider', () => {
    const wide = props({ width: 100 });
    const some = columns.filter((c) => ['alias', 'keyId', 'state', 'spec', 'deletion'].includes(c.id));
    const frame = plain(render(<KeysView {...wide} columns={some.filter((c) => c.id !== 'spec')} />).lastFrame());
    expect(frame).toMatch(/ALIAS ↑\s+KEY ID\s+STATE\s+DELETION/);
    expect(frame).toMatch(/old-backups\s+7f3e2d1c-0b9a-4887-a665-544332211000\s+PendingDeletion\s+(?:…\s+)?2026-12-20 \(27d\)/);
    const specs = plain(render(<KeysView {...wide} columns={some.filter((c) => c.id !== 'keyId')} />).lastFrame());
    expect(specs).toMatch(/release-signing\s+Enabled\s+RSA_2048 sign/);
    expect(specs).toMatch(/ebs-volumes \+1\s+Enabled\s+SYMMETRIC_DEFAULT encrypt/);
  });

  it('fits a narrow terminal by dropping columns', () => {
    const frame = plain(render(<KeysView {...props({ width: 80 })} />).lastFrame());
    for (const line of frame.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(frame).toContain('ebs-volumes +1');
  });

  it.each([
    [80, 24],
    [140, 40],
  ])('at %i × %i: no date or key id cut, a pending deletion dated, the sorted column with its arrow', (width, height) => {
    const shownAt = (sort: SortOrder) => keysLayout(columns, width, contentWidths(props().rows), sort).map((c) => c.column.id);
    const visible = shownAt(sort);
    expect(visible.length).toBeGreaterThanOrEqual(width === 80 ? 4 : 7);
    for (const column of visible) {
      for (const direction of ['asc', 'desc'] as const) {
        const order: SortOrder = { column, direction };
        // Sorting by a column on screen keeps it on screen.
        expect(shownAt(order)).toContain(column);
        const frame = plain(renderSized(<KeysView {...props({ rows: sortRows(props().rows, column, direction), sort: order, width, height: height - 4 })} />, width).lastFrame());
        const lines = frame.split('\n');
        for (const line of lines) {
          expect([...line].length).toBeLessThanOrEqual(width);
          expect(line).not.toMatch(/\d{4}-\d\d-?\d?…|[0-9a-f]{8}-[0-9a-f-]{0,26}…/);
        }
        expect(lines[1]).toContain(`${columnById(column).title} ${direction === 'asc' ? '↑' : '↓'}`);
        expect(lines.find((l) => l.includes('old-backups'))).toMatch(/2026-12-20/);
      }
    }
    const frame = plain(renderSized(<KeysView {...props({ width, height: height - 4 })} />, width).lastFrame());
    if (width === 140) {
      // Every column fits its content: the key id is there, the last use keeps its date.
      expect(frame.split('\n')[1]).toMatch(/^ {2}ALIAS ↑ {11}KEY ID {31}STATE {11}FIND ROTATION {16}LAST USED/);
      expect(frame).toMatch(/ebs-volumes \+1\s+1234abcd-12ab-34cd-56ef-1234567890ab Enabled\s+(?:…\s+)?on 365d next 2027-03-01 2026-11-20/);
    } else {
      expect(frame).toMatch(/old-backups\s+PendingDeletion\s+(?:…\s+)?2026-12-20 \(27d\)/);
    }
  });
});

describe('the FIND marker', () => {
  // Colours as a terminal that has them would get (a test's output is not a terminal).
  const level = chalk.level;
  beforeAll(() => {
    chalk.level = 1;
  });
  afterAll(() => {
    chalk.level = level;
  });
  const ANSI: Record<string, string> = { red: '\u001b[31m', yellow: '\u001b[33m', cyan: '\u001b[36m', gray: '\u001b[90m' };
  for (const [columns, rows] of [[80, 24], [140, 40]] as const) {
    it(`at ${columns}×${rows} has the colour of its worst severity; the selected row keeps the selection's style (inverse in monochrome)`, () => {
      const all = props().rows;
      const marked = all.map((view, index) => ({ view, index, tone: findingsMarkerTone(view.findings) })).filter((m) => m.tone && findingsMarker(m.view.findings));
      expect(marked.length).toBeGreaterThan(1);
      const selected = marked[0]!.index;
      const raw = renderSized(<KeysView {...props({ width: columns, height: rows - 4, selected })} />, columns).lastFrame() ?? '';
      const lines = raw.split('\n');
      for (const { view, index, tone } of marked) {
        const marker = findingsMarker(view.findings);
        const line = lines.find((l) => plain(l).includes(plain(view.cells.alias)) && plain(l).includes(marker))!;
        expect(line, view.cells.alias).toBeDefined();
        const colour = ANSI[COLOR_THEME[tone!].color!]!;
        if (index === selected) expect(line).not.toContain(`${colour}${marker}`);
        else expect(line).toContain(`${colour}${marker}`);
      }
      const mono = render(
        <ThemeContext.Provider value={MONOCHROME_THEME}>
          <KeysView {...props({ width: columns, height: rows - 4, selected })} />
        </ThemeContext.Provider>,
      ).lastFrame() ?? '';
      expect(mono.split('\n').find((l) => plain(l).startsWith('›'))).toContain('\u001b[7m');
    });
  }
});
