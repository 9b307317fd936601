import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { KeyDetail } from '../../domain/key.js';
import { plain } from '../../../test/helpers/ink.js';
import { HOSTILE_POLICY, NOW, ebsDetail, ebsRow, fargateDetail, noAccessRow, retiredRow, signingDetail } from '../../../test/helpers/kms-fixtures.js';
import type { DetailTab } from '../state/navigation.js';
import { KeyDetailView } from './key-detail-view.js';
import { grantPurpose, policyText } from './key-detail-lines.js';

function show(detail: KeyDetail, tab: DetailTab, scroll = 0, height = 40) {
  const { lastFrame } = render(
    <KeyDetailView row={detail.row} state={{ status: 'ready', detail }} tab={tab} scroll={scroll} height={height} width={120} now={NOW} />,
  );
  return { frame: plain(lastFrame()), raw: lastFrame() ?? '' };
}

describe('KeyDetailView', () => {
  it('shows the overview: metadata, aliases, tags', () => {
    const { frame } = show(ebsDetail, 'overview');
    expect(frame).toContain('ebs-volumes');
    expect(frame).toMatch(/1 Overview .*2 Rotation .*3 Grants .*4 Policy/);
    expect(frame).toMatch(/State\s+Enabled/);
    expect(frame).toContain('Default key for prod EBS volumes');
    expect(frame).toMatch(/Created\s+2024-03-01 09:15 UTC/);
    expect(frame).toContain('alias/prod/ebs-default');
    expect(frame).toContain('team = storage');
    expect(frame).toMatch(/Last used\s+Decrypt at 2026-11-20 08:01 UTC \(3d ago\)/);
  });

  it('says when last use was read, and when it is pending', () => {
    const readAt = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
    const usage = ebsRow.lastUsage.kind === 'used' ? ebsRow.lastUsage : undefined;
    const recent = show({ ...ebsDetail, row: { ...ebsRow, lastUsage: { ...usage!, readAt: readAt(12) } } }, 'overview').frame;
    expect(recent).toMatch(/Last used\s+Decrypt at 2026-11-20 08:01 UTC \(3d ago\) \(read 12m ago\)/);
    const old = show({ ...ebsDetail, row: { ...ebsRow, lastUsage: { ...usage!, readAt: readAt(90) } } }, 'overview').frame;
    expect(old).toMatch(/\(read 1h ago, older than an hour: reading/);
    const pending = show({ ...ebsDetail, row: { ...ebsRow, lastUsage: { kind: 'pending' } } }, 'overview').frame;
    expect(pending).toMatch(/Last used\s+pending: not read yet/);
  });

  it('shows a pending deletion and a key that could not be described', () => {
    expect(show({ ...ebsDetail, row: retiredRow }, 'overview').frame).toMatch(/Deletion\s+2026-12-20 12:00 UTC \(in 27 days\), waiting period 30 days/);
    const noAccess = show({ ...ebsDetail, row: noAccessRow }, 'overview').frame;
    expect(noAccess).toContain('no access: DescribeKey was refused');
    expect(noAccess).toContain('DescribeKey: User: arn:aws:sts::111122223333:assumed-role/ReadOnly/alice is not authorized');
  });

  it('shows rotation status, on-demand budget and history', () => {
    const { frame } = show(ebsDetail, 'rotation');
    expect(frame).toMatch(/Automatic\s+on, every 365 days/);
    expect(frame).toMatch(/Next rotation\s+2027-03-01 \(in 98 days\)/);
    expect(frame).toMatch(/On-demand left\s+24 of 25/);
    expect(frame).toMatch(/2026-07-14 16:40\s+on demand\s+current/);
    expect(frame).toMatch(/2025-03-01 09:15\s+automatic/);
    // newest first
    expect(frame.indexOf('2026-07-14')).toBeLessThan(frame.indexOf('2025-03-01'));
  });

  it('says why an asymmetric key cannot rotate', () => {
    const { frame } = show(signingDetail, 'rotation');
    expect(frame).toContain('cannot rotate: asymmetric keys cannot rotate automatically');
    expect(frame).toContain('none: this key cannot rotate');
  });

  it('reads the EBS grant in words', () => {
    const { frame } = show(ebsDetail, 'grants');
    expect(frame).toContain('EBS volume vol-0abc1234def567890');
    expect(frame).toContain('EC2 infrastructure (EBS) for vol-0abc1234def567890');
    expect(frame).toMatch(/operations\s+Decrypt/);
    expect(frame).toMatch(/context ⊇\s+aws:ebs:id=vol-0abc1234def567890/);
  });

  it('reads the Fargate grant in words', () => {
    const { frame } = show(fargateDetail, 'grants');
    expect(frame).toContain('ECS cluster (Fargate ephemeral storage) 111122223333/prod');
    expect(frame).toContain('AWS service fargate — fargate.eu-west-1.amazonaws.com');
    expect(frame).toContain('AWS service ec2 — ec2.eu-west-1.amazonaws.com');
    expect(frame).toMatch(/operations\s+Decrypt, GenerateDataKeyWithoutPlaintext/);
    expect(grantPurpose({ grantId: 'g', keyId: 'k', operations: [], granteePrincipal: 'arn:aws:iam::111122223333:role/app' })).toBe(
      'role app (account 111122223333)',
    );
  });

  it('pretty-prints the policy and scrolls it by line', () => {
    const { frame } = show(ebsDetail, 'policy', 0, 10);
    expect(frame).toContain('{');
    expect(frame).toContain('  "Version": "2012-10-17",');
    expect(frame).toMatch(/lines 1–7 of \d+/);
    const scrolled = show(ebsDetail, 'policy', 3, 10).frame;
    expect(scrolled).not.toContain('"Version"');
    expect(scrolled).toMatch(/lines 4–10 of \d+/);
  });

  it('falls back to the raw text for a policy that is not JSON', () => {
    expect(policyText('not { json')).toBe('not { json');
  });

  it.each([
    ['JSON', HOSTILE_POLICY],
    ['raw text', `Statement: ${HOSTILE_POLICY.slice(1)}\nsecond line \u001b[31mred\u001b[0m`],
  ])('renders a %s policy with control sequences inert', (_kind, policy) => {
    const { frame, raw } = show({ ...ebsDetail, policy }, 'policy');
    expect(raw).not.toContain('\u001b]52');
    expect(raw).not.toContain('\u001b[2J');
    expect(raw).not.toContain('\u0007');
    expect(raw).not.toContain('\u202e');
    expect(frame).toContain('evil');
  });

  it('reports each part that could not be read', () => {
    expect(show(signingDetail, 'policy').frame).toContain(
      'cannot read the policy: access denied to kms:GetKeyPolicy (GetKeyPolicy, AccessDeniedException)',
    );
    const problem = { what: 'ListGrants', message: 'access denied', code: 'AccessDeniedException' };
    expect(show({ ...ebsDetail, grants: problem }, 'grants').frame).toContain('cannot read the grants: access denied');
    expect(show({ ...ebsDetail, rotations: problem }, 'rotation').frame).toContain('cannot read the rotation history: access denied');
  });

  it('shows loading and error states', () => {
    const loading = render(<KeyDetailView row={ebsRow} state={{ status: 'loading' }} tab="overview" scroll={0} height={20} width={100} now={NOW} />);
    expect(plain(loading.lastFrame())).toContain('loading key…');
    expect(plain(loading.lastFrame())).toContain('ebs-volumes');
    const failed = render(
      <KeyDetailView row={ebsRow} state={{ status: 'error', error: 'Key arn:… is not found.' }} tab="overview" scroll={0} height={20} width={100} now={NOW} />,
    );
    expect(plain(failed.lastFrame())).toContain('Could not load this key');
    expect(plain(failed.lastFrame())).toContain('is not found');
  });

  it('keeps the tab bar on one line in a narrow terminal, so the body does not move down', () => {
    const { lastFrame } = render(
      <Box width={60}>
        <KeyDetailView row={ebsDetail.row} state={{ status: 'ready', detail: ebsDetail }} tab="overview" scroll={0} height={12} width={60} now={NOW} />
      </Box>,
    );
    const lines = plain(lastFrame()).split('\n');
    expect(lines[1]).toMatch(/^ 1 Overview {3}2 Rotation .*…$/);
    expect(lines[2]).toMatch(/^Key ID/);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
  });
});
