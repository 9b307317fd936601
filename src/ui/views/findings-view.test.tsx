import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { plain, waitForText } from '../../../test/helpers/ink.js';
import { keyMetadata } from '../../../test/helpers/kms-fixtures.js';
import { DEFAULT_THRESHOLDS, type KeyFinding } from '../../domain/findings.js';
import type { KeyDetail } from '../../domain/key.js';
import type { KeyDetailState } from '../hooks/use-key-detail.js';
import { COLOR_THEME, ThemeContext } from '../theme.js';
import { findingLines, findingsMarker, findingsMarkerTone, FindingsView, wrapText } from './findings-view.js';

const ACCOUNT = '111122223333';
const NOW = new Date('2026-11-23T12:00:00Z');
const ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const finding = (severity: KeyFinding['severity'], id = `f-${severity}`): KeyFinding => ({ id, severity, category: 'policy', message: `${severity} message`, explanation: 'why and the fix' });

function detail(policy: string, rotationOff = false): KeyDetail {
  return {
    row: {
      keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
      arn: ARN,
      region: 'us-east-1',
      aliases: ['alias/app/x'],
      tags: [],
      metadata: keyMetadata({ creationDate: '2025-01-01T00:00:00Z' }),
      rotation: rotationOff ? { kind: 'disabled' } : { kind: 'enabled', periodDays: 365 },
      lastUsage: { kind: 'used', operation: 'Decrypt', timestamp: '2026-11-22T00:00:00Z' },
      problems: [],
    },
    policy,
    grants: [],
    rotations: [],
  };
}

/** The account root, and the guard against disabling or deleting a key in use (policy-no-usage-guard). */
const GUARD = { Effect: 'Deny', Principal: '*', Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'], Resource: '*', Condition: { NumericLessThanEquals: { 'kms:TrailingDaysWithoutKeyUsage': '365' } } };
const ROOT_ONLY = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }, GUARD] });
const HOSTILE = JSON.stringify({
  Statement: [{ Sid: 'pwn\u001b[2J\u001b]52;c;ZXZpbA==\u0007\u202e', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }, GUARD],
});

describe('findingsMarker', () => {
  it.each<[KeyFinding[], string]>([
    [[], ''],
    [[finding('info')], ''],
    [[finding('low')], '·1'],
    [[finding('low'), finding('info')], '·1'],
    [[finding('medium'), finding('low')], '!2'],
    [[finding('high'), finding('high'), finding('low')], '!3'],
  ])('%j → %j', (findings, marker) => {
    expect(findingsMarker(findings)).toBe(marker);
  });

  it('has a tone for its cell', () => {
    expect(findingsMarkerTone([finding('high')])).toBe('danger');
    expect(findingsMarkerTone([finding('low')])).toBe('accent');
    expect(findingsMarkerTone([finding('info')])).toBeUndefined();
  });
});

describe('findingLines', () => {
  it('a count line, then each finding, its message and its explanation wrapped', () => {
    const lines = findingLines([{ ...finding('high'), explanation: 'word '.repeat(40).trim() }], 40);
    expect(lines[0]!.text).toBe('1 finding: 1 high · 0 medium · 0 low · 0 info');
    expect(lines[2]).toEqual({ text: 'HIGH   policy   f-high', tone: 'danger' });
    expect(lines[3]!.text).toBe('  high message');
    expect(lines.slice(4).every((l) => l.text.startsWith('    ') && [...l.text].length <= 40 && l.tone === 'muted')).toBe(true);
  });

  it('a catalogued finding carries its title and the AWS documentation it rests on', () => {
    const lines = findingLines([{ ...finding('low', 'policy-no-usage-guard'), explanation: 'why. Fix: add the guard' }], 100);
    expect(lines[2]!.text).toBe('LOW    policy   policy-no-usage-guard  No guard against disabling or deleting a key in use');
    expect(lines.at(-1)).toEqual({ text: '    docs: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html', tone: 'muted' });
  });

  it('wrapText cuts words longer than the width', () => {
    expect(wrapText('a'.repeat(25), 10)).toEqual(['a'.repeat(10), 'a'.repeat(10), 'a'.repeat(5)]);
    expect(wrapText('one two three', 10)).toEqual(['one two', 'three']);
  });
});

describe('FindingsView', () => {
  const view = (state: KeyDetailState, height = 20, scroll = 0) => (
    <ThemeContext.Provider value={COLOR_THEME}>
      <FindingsView state={state} thresholds={DEFAULT_THRESHOLDS} now={NOW} account={ACCOUNT} height={height} width={100} scroll={scroll} />
    </ThemeContext.Provider>
  );

  it('shows the findings of a loaded key, most severe first', async () => {
    const { lastFrame, unmount } = render(view({ status: 'ready', detail: detail(HOSTILE, true) }));
    const frame = await waitForText(lastFrame, 'policy-public');
    expect(frame).toContain('2 findings: 1 high · 1 medium');
    expect(frame.indexOf('policy-public')).toBeLessThan(frame.indexOf('rotation-off'));
    unmount();
  });

  it('cleans AWS text before it reaches the terminal', async () => {
    const { lastFrame, unmount } = render(view({ status: 'ready', detail: detail(HOSTILE) }));
    await waitForText(lastFrame, 'policy-public');
    const raw = lastFrame() ?? '';
    expect(raw).not.toContain('\u001b[2J');
    expect(raw).not.toContain('\u001b]52');
    expect(raw).not.toContain('\u202e');
    expect(plain(raw)).toContain('statement 1 "pwn"');
    unmount();
  });

  it('no findings, loading and error are their own states', async () => {
    const empty = render(view({ status: 'ready', detail: detail(ROOT_ONLY) }));
    expect(await waitForText(empty.lastFrame, 'No findings')).toContain('configured thresholds');
    empty.unmount();
    const loading = render(view({ status: 'loading' }));
    await waitForText(loading.lastFrame, 'checking the key');
    loading.unmount();
    const error = render(view({ status: 'error', error: 'AccessDenied' }));
    await waitForText(error.lastFrame, 'Could not load this key');
    error.unmount();
  });

  it('scrolls within its height', async () => {
    const { lastFrame, unmount } = render(view({ status: 'ready', detail: detail(HOSTILE, true) }, 3, 2));
    const frame = await waitForText(lastFrame, 'HIGH');
    expect(frame).not.toContain('2 findings');
    expect(frame.split('\n')).toHaveLength(3);
    unmount();
  });
});
