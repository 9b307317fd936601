import { describe, expect, it, vi } from 'vitest';
import type { Grant, KeyDetail } from '../../domain/key.js';
import { awsManagedRow, ebsDetail, ebsRow, keyMetadata, signingDetail } from '../../../test/helpers/kms-fixtures.js';
import type { DetailScreen, DetailTab } from '../state/navigation.js';
import { detailAction, unavailableActions, type DetailActionContext } from './detail-actions.js';

const enabledKey: KeyDetail = {
  ...ebsDetail,
  row: { ...ebsRow, metadata: keyMetadata({ state: 'Enabled', enabled: true }), rotation: { kind: 'enabled', periodDays: 180 } },
};
const grants: Grant[] = [
  { grantId: 'g1', keyId: ebsRow.arn, granteePrincipal: 'role/a', operations: ['Decrypt'] },
  { grantId: 'g2', keyId: ebsRow.arn, granteePrincipal: 'role/b', operations: ['Decrypt'] },
];

function context(tab: DetailTab, overrides: Partial<DetailActionContext> & { selectedGrants?: string[] } = {}) {
  const screen: DetailScreen = { kind: 'detail', key: { arn: ebsRow.arn, region: ebsRow.region }, tab, scroll: 0, grantCursor: 1, selectedGrants: overrides.selectedGrants ?? [] };
  const dialog = { prepare: vi.fn(), askPeriod: vi.fn(), onKey: vi.fn() };
  const base: DetailActionContext = {
    screen,
    detail: { status: 'ready', detail: enabledKey },
    grants,
    canChange: true,
    readOnly: false,
    dialog,
    navNow: vi.fn(),
    setStatus: vi.fn(),
  };
  return { ...base, ...overrides, dialog };
}

describe('detailAction', () => {
  it('leaves commands that change nothing to the screen', () => {
    const c = context('overview');
    expect(detailAction('detail.down', c)).toBe(false);
    expect(c.setStatus).not.toHaveBeenCalled();
  });

  it('refuses in read-only mode, on the wrong tab, and when the key state rules the change out', () => {
    const readOnly = context('overview', { canChange: false, readOnly: true });
    expect(detailAction('detail.keyDisable', readOnly)).toBe(true);
    expect(readOnly.setStatus).toHaveBeenCalledWith({ text: 'read-only mode: changes are switched off', tone: 'warning' });
    const wrongTab = context('rotation');
    detailAction('detail.keyDisable', wrongTab);
    expect(wrongTab.setStatus).toHaveBeenCalledWith({ text: '"disable the key (Overview; type the alias or id)" works on the overview tab', tone: 'warning' });
    const enabled = context('overview');
    detailAction('detail.keyEnable', enabled);
    expect(enabled.setStatus).toHaveBeenCalledWith({ text: 'enable the key: not possible — the key is already enabled', tone: 'warning' });
    for (const c of [readOnly, wrongTab, enabled]) expect(c.dialog.prepare).not.toHaveBeenCalled();
  });

  it('asks for the rotation period, starting from the current one', () => {
    const c = context('rotation');
    detailAction('detail.rotationEnable', c);
    expect(c.dialog.askPeriod).toHaveBeenCalledWith(c.screen.key, 180, 180);
    const off = context('rotation', { detail: { status: 'ready', detail: { ...enabledKey, row: { ...enabledKey.row, rotation: { kind: 'disabled' } } } } });
    detailAction('detail.rotationEnable', off);
    expect(off.dialog.askPeriod).toHaveBeenCalledWith(off.screen.key, 365, undefined);
  });

  it('says "nothing to change" for disabling rotation that is already off, and opens nothing', () => {
    const off = context('rotation', { detail: { status: 'ready', detail: { ...enabledKey, row: { ...enabledKey.row, rotation: { kind: 'disabled' } } } } });
    expect(detailAction('detail.rotationDisable', off)).toBe(true);
    expect(off.setStatus).toHaveBeenCalledWith({ text: 'automatic rotation is already off: nothing to change, nothing sent', tone: 'warning' });
    expect(off.dialog.prepare).not.toHaveBeenCalled();
    const on = context('rotation');
    detailAction('detail.rotationDisable', on);
    expect(on.dialog.prepare).toHaveBeenCalledWith([{ action: 'rotation.disable' }], on.screen.key, 'Disable automatic rotation');
  });

  it('acts on the selected grants, else on the one under the cursor', () => {
    const selected = context('grants', { selectedGrants: ['g1', 'g2'] });
    detailAction('detail.grantRevoke', selected);
    expect(selected.dialog.prepare).toHaveBeenCalledWith(
      [
        { action: 'grant.revoke', grantId: 'g1' },
        { action: 'grant.revoke', grantId: 'g2' },
      ],
      selected.screen.key,
      'Revoke grant',
    );
    const cursor = context('grants');
    detailAction('detail.grantRetire', cursor);
    expect(cursor.dialog.prepare).toHaveBeenCalledWith([{ action: 'grant.retire', grantId: 'g2' }], cursor.screen.key, 'Retire grant');
    const none = context('grants', { grants: [] });
    detailAction('detail.grantRetire', none);
    expect(none.setStatus).toHaveBeenCalledWith({ text: 'no grant to act on', tone: 'warning' });
  });
});

describe('unavailableActions', () => {
  it('leaves out of the footer what the key rules out', () => {
    const enabled = unavailableActions(ebsDetail);
    expect(enabled.has('detail.keyEnable')).toBe(true);
    expect(enabled.has('detail.keyDisable')).toBe(false);
    expect(enabled.has('detail.retire')).toBe(false);
    const disabled = unavailableActions({ ...ebsDetail, row: { ...ebsDetail.row, metadata: { ...ebsDetail.row.metadata!, state: 'Disabled', enabled: false } } });
    expect(disabled.has('detail.keyEnable')).toBe(false);
    expect(disabled.has('detail.keyDisable')).toBe(true);
    expect(disabled.has('detail.rotateNow')).toBe(true); // a disabled key cannot rotate
    const asymmetric = unavailableActions({ ...signingDetail });
    expect(asymmetric.has('detail.rotationEnable')).toBe(true);
    expect(asymmetric.has('detail.rotateNow')).toBe(true);
    const awsManaged = unavailableActions({ ...ebsDetail, row: awsManagedRow });
    for (const id of ['detail.keyEnable', 'detail.keyDisable', 'detail.rotationEnable', 'detail.retire', 'detail.grantRevoke'] as const) {
      expect(awsManaged.has(id), id).toBe(true);
    }
    expect(unavailableActions(undefined).size).toBe(0);
  });
});
