import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_ROWS,
  NOW,
  awsManagedRow,
  disabledRow,
  ebsRow,
  fargateRow,
  mrkPrimaryRow,
  noAccessRow,
  retiredRow,
  signingRow,
} from '../../test/helpers/kms-fixtures.js';
import type { KeyRow } from './key.js';
import {
  columnsFor,
  filterRows,
  refineFilter,
  cellsFor,
  contentWidths,
  fitCell,
  keyToCells,
  layoutColumns,
  parseFilter,
  renderHeader,
  type ColumnId,
  nextSortColumn,
  renderLine,
  sortRows,
  toRowView,
  visibleWindow,
  withoutAwsManaged,
} from './table.js';

describe('keyToCells', () => {
  it.each<[string, KeyRow, Partial<Record<string, string>>]>([
    [
      'EBS key with two aliases, rotating',
      ebsRow,
      {
        alias: 'ebs-volumes +1',
        keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
        state: 'Enabled',
        spec: 'SYMMETRIC_DEFAULT encrypt',
        origin: 'AWS_KMS',
        multiRegion: '—',
        created: '2024-03-01',
        rotation: 'on 365d next 2027-03-01',
        lastUsed: '2026-11-20 Decrypt',
        deletion: '',
      },
    ],
    ['asymmetric signing key', signingRow, { spec: 'RSA_2048 sign', rotation: 'n/a', lastUsed: 'never' }],
    [
      'pending deletion',
      retiredRow,
      { state: 'PendingDeletion', rotation: 'off', lastUsed: 'not since 2026-04-15', deletion: '2026-12-20 (27d)' },
    ],
    [
      'DescribeKey refused',
      noAccessRow,
      { alias: 'c0ffee00-1111-4222-8333-944455556666', state: 'no access', spec: '', created: '', multiRegion: '', rotation: '?', lastUsed: '?' },
    ],
    ['multi-Region primary', mrkPrimaryRow, { multiRegion: 'primary', rotation: 'off', lastUsed: '2026-11-22 Encrypt' }],
    ['disabled', disabledRow, { state: 'Disabled' }],
    // An endpoint that reports rotation on without its period: no 365 stated as fact.
    ['rotation period not reported', { ...ebsRow, rotation: { kind: 'enabled' } }, { rotation: 'on ?d' }],
  ])('%s', (_name, row, expected) => {
    expect(keyToCells(row, NOW)).toMatchObject(expected);
  });

  it('labels a last use that came from the trail’s log group, not GetKeyLastUsage', () => {
    const fromKms = keyToCells({ ...fargateRow, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-20T10:00:00Z' } }, NOW);
    const fromTrail = keyToCells({ ...fargateRow, lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-20T10:00:00Z', source: 'trail' } }, NOW);
    expect(fromKms.lastUsed).toBe('2026-11-20 Decrypt');
    expect(fromTrail.lastUsed).toBe('2026-11-20 Decrypt (trail)');
  });

  it('marks replicas', () => {
    const replica: KeyRow = {
      ...mrkPrimaryRow,
      region: 'us-east-1',
      metadata: { ...mrkPrimaryRow.metadata!, region: 'us-east-1', multiRegionRole: 'REPLICA' },
    };
    expect(keyToCells(replica, NOW).multiRegion).toBe('replica');
  });

  it('cleans control sequences and newlines out of aliases', () => {
    const hostile: KeyRow = { ...ebsRow, aliases: ['alias/ok\u001b[2J\u202eevil\nline'] };
    const cells = keyToCells(hostile, NOW);
    expect(cells.alias).toBe('okevil␤line');
    expect(cells.alias).not.toMatch(/[\u001b\u202e\n]/);
  });
});

describe('RowView', () => {
  it('searches aliases, id, description and tags; flags AWS-managed keys', () => {
    const view = toRowView(ebsRow, NOW);
    expect(view.haystack).toContain('ebs-volumes');
    expect(view.haystack).toContain('default key for prod ebs volumes');
    expect(view.haystack).toContain('storage');
    expect(view.isAwsManaged).toBe(false);
    expect(toRowView(awsManagedRow, NOW).isAwsManaged).toBe(true);
    expect(toRowView(retiredRow, NOW).tone).toBe('danger');
    expect(toRowView(disabledRow, NOW).tone).toBe('warning');
    expect(toRowView(noAccessRow, NOW).tone).toBe('muted');
  });
});

describe('filterRows', () => {
  const views = ALL_ROWS.map((r) => toRowView(r, NOW));
  const aliases = (query: string) => filterRows(views, query).map((v) => v.cells.alias);

  it.each([
    ['', 8],
    ['EBS', 2], // ebs-volumes and aws/ebs (its description)
    ['ebs prod', 1],
    ['  team   PLATFORM ', 1],
    ['1234abcd', 2], // key id prefix of the EBS key and the mrk id
    ['no-such-thing', 0],
  ])('%j matches %i rows', (query, count) => {
    expect(filterRows(views, query)).toHaveLength(count);
  });

  it('matches tag values and descriptions, every term must match', () => {
    expect(aliases('storage')).toEqual(['ebs-volumes +1', 'fargate-ephemeral']); // tag value, description
    expect(aliases('prod storage')).toEqual(['ebs-volumes +1']);
    expect(aliases('fargate ephemeral')).toEqual(['fargate-ephemeral']);
    expect(aliases('fargate signing')).toEqual([]);
  });

  it('refines from the previous matches exactly as a full search would, for any two queries', () => {
    const piece = fc.constantFrom('e', 'b', 's', 'E', 'ebs', ' ', 'prod', 'team', '1234', 'x', 'fargate', 'İ', 'ß', '!', ':', 'state:', 'tag:', '=', '/', '/^e', 'd/');
    const query = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(query, query, fc.boolean(), (first, rest, extend) => {
        const next = extend ? first + rest : rest;
        const previous = { query: first, rows: filterRows(views, first) };
        expect(refineFilter(views, next, previous)).toEqual(filterRows(views, next));
      }),
      { numRuns: 2000 },
    );
    // Typing one character at a time ends where a single search does.
    let previous: { query: string; rows: ReturnType<typeof filterRows> } | undefined;
    for (const typed of ['e', 'eb', 'ebs', 'ebs ', 'ebs p', 'ebs pr']) {
      previous = { query: typed, rows: refineFilter(views, typed, previous) };
    }
    expect(previous?.rows.map((v) => v.cells.alias)).toEqual(aliases('ebs pr'));
  });

  it.each<[string, string[]]>([
    ['state:Disabled', ['legacy-app']],
    ['state:pending', ['old-backups']],
    ['STATE:disabled', ['legacy-app']],
    ['alias:prod/', ['ebs-volumes +1']],
    ['alias:aws/', ['aws/ebs']],
    ['tag:team', ['ebs-volumes +1', 'fargate-ephemeral']],
    ['tag:Team=platform', ['fargate-ephemeral']],
    ['tag:team=plat', ['fargate-ephemeral']],
    ['tag:retire=yes state:pendingdeletion', ['old-backups']],
    ['desc:backups', ['old-backups']],
    ['rotation:off !state:pending', ['global-secrets', 'legacy-app']],
    ['!state:enabled', ['old-backups', 'c0ffee00-1111-4222-8333-944455556666', 'legacy-app']],
    ['/^release-/', ['release-signing']],
    ['alias:/^(old|legacy)-/', ['old-backups', 'legacy-app']],
    ['!/ebs/ !/^alias/', ['c0ffee00-1111-4222-8333-944455556666']],
    ['account:111122223333 state:disabled', ['legacy-app']],
    ['id:c0ffee00', ['c0ffee00-1111-4222-8333-944455556666']],
    // An unknown field name is plain text: a pasted ARN is found.
    [ebsRow.arn, ['ebs-volumes +1']],
    ['nosuchfield:x', []],
    ['!', ALL_ROWS.map((r) => toRowView(r, NOW).cells.alias)],
  ])('field, negated and regular-expression filter %j', (query, expected) => {
    expect(aliases(query)).toEqual(expected);
  });

  it('says why a regular expression cannot be used, and matches nothing with it', () => {
    expect(parseFilter('/eb(/').error).toBe('/eb(/ is not a regular expression (Unterminated group)');
    expect(aliases('/eb(/')).toEqual([]);
    expect(aliases('!/eb(/')).toEqual([]);
    expect(parseFilter('state:disabled /ebs/').error).toBeUndefined();
    // Not closed yet while it is typed: plain text.
    expect(parseFilter('/ebs').terms).toEqual([{ negate: false, where: 'any', match: { kind: 'text', text: '/ebs' } }]);
  });

  it('hides AWS-managed keys', () => {
    expect(withoutAwsManaged(views).map((v) => v.row)).not.toContain(awsManagedRow);
    expect(withoutAwsManaged(views)).toHaveLength(7);
  });
});

describe('sortRows', () => {
  const views = [ebsRow, fargateRow, signingRow, retiredRow, noAccessRow].map((r) => toRowView(r, NOW));
  const ids = (v: ReturnType<typeof sortRows>) => v.map((x) => x.cells.alias);

  it.each([
    ['alias', 'asc', ['ebs-volumes +1', 'fargate-ephemeral', 'old-backups', 'release-signing', 'c0ffee00-1111-4222-8333-944455556666']],
    ['alias', 'desc', ['release-signing', 'old-backups', 'fargate-ephemeral', 'ebs-volumes +1', 'c0ffee00-1111-4222-8333-944455556666']],
    ['created', 'asc', ['old-backups', 'release-signing', 'ebs-volumes +1', 'fargate-ephemeral', 'c0ffee00-1111-4222-8333-944455556666']],
    ['deletion', 'asc', ['old-backups', 'ebs-volumes +1', 'fargate-ephemeral', 'release-signing', 'c0ffee00-1111-4222-8333-944455556666']],
    ['lastUsed', 'desc', ['fargate-ephemeral', 'ebs-volumes +1', 'old-backups', 'release-signing', 'c0ffee00-1111-4222-8333-944455556666']],
    ['rotation', 'asc', ['old-backups', 'fargate-ephemeral', 'ebs-volumes +1', 'release-signing', 'c0ffee00-1111-4222-8333-944455556666']],
  ] as const)('%s %s', (column, direction, expected) => {
    expect(ids(sortRows(views, column, direction))).toEqual(expected);
  });

  it('is stable for equal keys', () => {
    const same = [ebsRow, fargateRow, disabledRow].map((r) => toRowView({ ...r, metadata: { ...r.metadata!, origin: 'AWS_KMS' } }, NOW));
    expect(sortRows(same, 'origin', 'asc').map((v) => v.row.keyId)).toEqual(same.map((v) => v.row.keyId));
    expect(sortRows(same, 'origin', 'desc').map((v) => v.row.keyId)).toEqual(same.map((v) => v.row.keyId));
  });

  it('cycles sort columns', () => {
    const cols = columnsFor({ multiRegion: false });
    expect(nextSortColumn('alias', cols)).toBe('keyId');
    expect(nextSortColumn('deletion', cols)).toBe('alias');
  });
});

describe('columns and layout', () => {
  const views = withoutAwsManaged(ALL_ROWS.map((r) => toRowView(r, NOW)));
  const content = contentWidths(views);
  const columns = columnsFor({ multiRegion: false });
  const lay = (width: number, sorted: ColumnId = 'alias') => layoutColumns(columns, width, { content, sorted });
  const ids = (width: number, sorted: ColumnId = 'alias') => lay(width, sorted).map((c) => c.column.id);
  const lines = (width: number, sorted: ColumnId = 'alias') => {
    const layout = lay(width, sorted);
    return [renderHeader(layout, { column: sorted, direction: 'asc' }), ...views.map((v) => renderLine(cellsFor(v, layout), layout, v.short))];
  };

  it('shows the region column only for several regions', () => {
    expect(columnsFor({ multiRegion: false }).map((c) => c.id)).not.toContain('region');
    expect(columnsFor({ multiRegion: true }).map((c) => c.id)).toContain('region');
  });

  it.each([40, 60, 80, 100, 140, 160, 300])('never uses more than %i columns, and always shows the alias', (width) => {
    const layout = lay(width);
    expect(layout.reduce((sum, c) => sum + c.width, 0) + layout.length - 1).toBeLessThanOrEqual(width);
    expect(layout.map((c) => c.column.id)).toContain('alias');
    for (const line of lines(width)) expect([...line].length).toBeLessThanOrEqual(width);
  });

  it('makes each column as wide as its widest cell, not wider', () => {
    const layout = lay(300);
    const width = (id: ColumnId) => layout.find((c) => c.column.id === id)?.width;
    // With the KEY ID column on screen, ALIAS is as wide as the longest alias (the key without one says "—").
    expect(width('alias')).toBe('fargate-ephemeral'.length);
    expect(width('keyId')).toBe(36);
    expect(width('state')).toBe('PendingDeletion'.length);
    expect(width('findings')).toBe('FIND'.length);
    expect(width('deletion')).toBe('2026-12-20 (27d)'.length);
    const used = layout.reduce((sum, c) => sum + c.width, 0) + layout.length - 1;
    expect(used).toBeLessThan(300); // the rest is left empty, not given to a column that does not need it
  });

  it('never cuts a date or a key id, at any width', () => {
    for (let width = 40; width <= 240; width++) {
      for (const line of lines(width)) {
        expect(line, `at ${width}: ${line}`).not.toMatch(/\d{4}-\d\d-?\d?…|\d{4}-\d?…|\d{2,3}…/);
        expect(line, `at ${width}: ${line}`).not.toMatch(/[0-9a-f]{8}-[0-9a-f-]{0,26}…/);
      }
    }
  });

  it('always shows a pending deletion key\'s deletion date once the alias and state fit', () => {
    const pending = views.findIndex((v) => v.row.metadata?.state === 'PendingDeletion');
    for (let width = 36 + 1 + 15; width <= 240; width++) {
      expect(lines(width)[pending + 1], `at ${width}`).toMatch(/2026-12-20/);
    }
    expect(ids(60)).not.toContain('deletion');
    expect(lines(60)[pending + 1]).toMatch(/old-backups\s+del\. 2026-12-20/);
    expect(ids(80)).toContain('deletion');
  });

  it('only ever adds columns as the terminal widens', () => {
    for (let width = 40; width < 300; width++) {
      const wider = new Set(ids(width + 1));
      for (const id of ids(width)) expect(wider.has(id), `${id} at ${width} but not at ${width + 1}`).toBe(true);
    }
  });

  it('drops the operation of the last use, then the next rotation date, before a date would be cut', () => {
    const at = (width: number) => lines(width).find((l) => l.includes('ebs-volumes'))!;
    expect(at(118)).toMatch(/ebs-volumes \+1\s+Enabled\s+(?:…\s+)?on 365d\s+2026-11-20 Decrypt/);
    expect(at(98)).toMatch(/ebs-volumes \+1\s+Enabled\s+(?:…\s+)?on 365d next 2027-03-01/);
    // 140 columns (138 after the selection marker): KEY ID too, the operation of the last use gives way.
    expect(ids(138)).toEqual(['alias', 'keyId', 'state', 'findings', 'rotation', 'lastUsed', 'deletion']);
    expect(at(138)).toMatch(/ebs-volumes \+1\s+1234abcd-12ab-34cd-56ef-1234567890ab\s+Enabled\s+(?:…\s+)?on 365d next 2027-03-01 2026-11-20 Decrypt/);
  });

  it('keeps the sorted column on screen before less important ones, with its arrow', () => {
    for (const width of [80, 100, 138, 200]) {
      for (const sorted of ids(width)) {
        expect(ids(width, sorted), `${sorted} at ${width}`).toContain(sorted);
        expect(lines(width, sorted)[0]).toMatch(/ ↑/);
      }
    }
    // Sorting by KEY ID at 118 columns keeps it, in place of what matters less (the rotation and last use).
    expect(ids(118)).not.toContain('keyId');
    expect(ids(118, 'keyId')).toEqual(['alias', 'keyId', 'state', 'findings', 'rotation', 'deletion']);
    // Never in place of the deletion date.
    expect(ids(78, 'keyId')).toContain('deletion');
  });

  it('leaves out a column no key has a value in', () => {
    const live = views.filter((v) => !v.row.metadata?.deletionDate);
    expect(layoutColumns(columns, 300, { content: contentWidths(live) }).map((c) => c.column.id)).not.toContain('deletion');
    expect(layoutColumns(columns, 300, { content: contentWidths(live), sorted: 'deletion' }).map((c) => c.column.id)).toContain('deletion');
  });

  it('cuts by words, never half a word when a whole one fits, and short forms first', () => {
    expect(fitCell('abcdef', 4)).toBe('abc…');
    expect(fitCell('ab', 4)).toBe('ab  ');
    expect(fitCell('2026-11-20 GenerateDataKey', 14, 'words')).toBe('2026-11-20 …  ');
    expect(fitCell('on 365d next 2027-03-01', 16, 'words')).toBe('on 365d next …  ');
  });
});

describe('visibleWindow', () => {
  it.each([
    [10_000, 0, 20, { start: 0, end: 20 }],
    [10_000, 5_000, 20, { start: 4_990, end: 5_010 }],
    [10_000, 9_999, 20, { start: 9_980, end: 10_000 }],
    [5, 3, 20, { start: 0, end: 5 }],
    [0, 0, 20, { start: 0, end: 0 }],
  ])('%i rows, selected %i, height %i', (count, selected, height, expected) => {
    const window = visibleWindow(count, selected, height);
    expect(window).toEqual(expected);
    if (count > 0) expect(selected >= window.start && selected < window.end).toBe(true);
  });
});

describe('sorting by findings', () => {
  it('orders by the worst severity, then by how many, never by the marker text', async () => {
    const { ALL_ROWS, NOW } = await import('../../test/helpers/kms-fixtures.js');
    const views = ALL_ROWS.map((row) => toRowView(row, NOW));
    const sorted = sortRows(views, 'findings', 'desc').filter((v) => v.findings.length > 0);
    const rank = { high: 4, medium: 3, low: 2, info: 1 } as const;
    const keyOf = (v: (typeof sorted)[number]) => [Math.max(...v.findings.map((f) => rank[f.severity])), v.findings.length];
    for (let i = 1; i < sorted.length; i++) {
      const [sevA, countA] = keyOf(sorted[i - 1]!);
      const [sevB, countB] = keyOf(sorted[i]!);
      expect(sevA! > sevB! || (sevA === sevB && countA! >= countB!)).toBe(true);
    }
    expect(sorted.length).toBeGreaterThan(1);
  });
});
