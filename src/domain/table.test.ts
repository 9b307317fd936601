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
  COLUMNS,
  columnsFor,
  filterRows,
  refineFilter,
  fitCell,
  keyToCells,
  layoutColumns,
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
    const piece = fc.constantFrom('e', 'b', 's', 'E', 'ebs', ' ', 'prod', 'team', '1234', 'x', 'fargate', 'İ', 'ß');
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
  it('shows the region column only for several regions', () => {
    expect(columnsFor({ multiRegion: false }).map((c) => c.id)).not.toContain('region');
    expect(columnsFor({ multiRegion: true }).map((c) => c.id)).toContain('region');
  });

  it.each([60, 100, 160, 300])('fits %i columns exactly', (width) => {
    const layout = layoutColumns(COLUMNS, width);
    const used = layout.reduce((sum, c) => sum + c.width, 0) + layout.length - 1;
    expect(used).toBeLessThanOrEqual(width);
    expect(used).toBe(width);
    expect(layout.map((c) => c.column.id)).toContain('alias');
    expect(layout.map((c) => c.column.id)).toContain('state');
  });

  it('renders a line with truncation', () => {
    expect(fitCell('abcdef', 4)).toBe('abc…');
    expect(fitCell('ab', 4)).toBe('ab  ');
    const layout = layoutColumns(columnsFor({ multiRegion: false }), 100);
    const line = renderLine(toRowView(ebsRow, NOW).cells, layout);
    expect(line.length).toBeLessThanOrEqual(100);
    expect(line).toContain('ebs-volumes +1');
    expect(line).toContain('on 365d next 2027-03-01');
    expect(line).toContain('2026-11-20 Decrypt');
  });

  it('only ever adds columns as the terminal widens, findings and deletion dates early', () => {
    const ids = (width: number) => layoutColumns(columnsFor({ multiRegion: false }), width).map((c) => c.column.id);
    for (let width = 40; width < 300; width++) {
      const wider = new Set(ids(width + 1));
      for (const id of ids(width)) expect(wider.has(id), `${id} at ${width} but not at ${width + 1}`).toBe(true);
    }
    // An 80-column terminal (78 after the selection marker) shows the findings and when a key was last used.
    expect(ids(78)).toEqual(['alias', 'state', 'findings', 'rotation', 'lastUsed']);
    expect(ids(118)).toContain('deletion');
  });

  it('keeps key ids whole or leaves them out', () => {
    for (const width of [80, 100, 120, 140, 200]) {
      const keyId = layoutColumns(COLUMNS, width).find((c) => c.column.id === 'keyId');
      if (keyId) expect(keyId.width).toBeGreaterThanOrEqual(36);
    }
    expect(layoutColumns(COLUMNS, 200).map((c) => c.column.id)).toContain('keyId');
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
