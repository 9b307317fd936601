import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChangePreview } from '../../domain/actions.js';
import { ebsRow } from '../../../test/helpers/kms-fixtures.js';
import { confirmLayout, dialogInside, type ConfirmDialog } from './change-dialog-lines.js';

const grantPreview = (i: number): ChangePreview => ({
  request: { action: 'grant.retire', grantId: `${i}`.padStart(64, 'a') },
  row: ebsRow,
  call: { operation: 'RetireGrant', params: { KeyId: ebsRow.arn, GrantId: `${i}`.padStart(64, 'a') } },
  title: 'Retire grant',
  explain: 'Retiring is how the grant’s own user says it is done with it — the grantee loses the access the grant gave, at once.',
  change: `grant ${`${i}`.padStart(64, 'a')}: retired (gone)`,
  confirm: 'typed',
  word: 'ebs-volumes',
});

const dialog = (grants: number, scroll = 0): ConfirmDialog => ({
  kind: 'confirm',
  previews: Array.from({ length: grants }, (_, i) => grantPreview(i)),
  input: '',
  scroll,
});

/** Every line the view draws inside the border: top, the indicator lines, the visible middle, bottom. */
function drawn(layout: ReturnType<typeof confirmLayout>): number {
  const indicators = layout.maxScroll > 0 ? (layout.compact ? 1 : 2) : 0;
  return layout.top.length + indicators + layout.visible.length + layout.bottom.length;
}

describe('confirmLayout', () => {
  it('shows everything, the title first and the question last, when it fits', () => {
    const layout = confirmLayout(dialog(1), 160, 40);
    expect(layout.top[0]?.text).toBe('Retire grant — ebs-volumes');
    expect(layout.maxScroll).toBe(0);
    // Long calls wrap; joined again they are whole.
    expect(layout.visible.map((l) => l.text.trim()).join('')).toContain(`RetireGrant{"KeyId":"${ebsRow.arn}","GrantId":"${'0'.padStart(64, 'a')}"}`);
    expect(layout.bottom.some((l) => l.field)).toBe(true);
  });

  it('never draws more lines than the dialog has, keeps the title and the question, and reaches every line by scrolling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 40, max: 200 }), fc.integer({ min: 10, max: 60 }), fc.integer({ min: 1, max: 25 }), (width, height, grants) => {
        const { rows } = dialogInside(width, height);
        let layout = confirmLayout(dialog(grants), width, height);
        // Too short to show a line and say where it is: nothing can be read, and confirming is refused.
        if (rows - layout.top.length - layout.bottom.length < 2) {
          expect(layout.below + layout.visible.length).toBeGreaterThan(0);
          return;
        }
        expect(drawn(layout)).toBeLessThanOrEqual(rows);
        expect(layout.top[0]?.text).toMatch(/^Retire grant/);
        const seen = layout.visible.map((l) => l.text);
        for (let scroll = 1; scroll <= layout.maxScroll; scroll++) {
          layout = confirmLayout(dialog(grants, scroll), width, height);
          expect(drawn(layout)).toBeLessThanOrEqual(rows);
          seen.push(layout.visible.at(-1)?.text ?? '');
        }
        expect(layout.below).toBe(0);
        // Every grant id appears in full once the lines are joined.
        const text = seen.join('').replace(/\s+/g, '');
        for (let i = 0; i < grants; i++) expect(text).toContain(`"GrantId":"${`${i}`.padStart(64, 'a')}"`);
      }),
      { numRuns: 150 },
    );
  });
});
