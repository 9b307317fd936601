import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../domain/source.js';
import { plain, renderSized, unwrapped, widestRow } from '../../../test/helpers/ink.js';
import { ErrorView } from './error-view.js';
import { Footer, statusRows } from './footer.js';
import { Header, headerLines } from './header.js';
import { Loading } from './loading.js';

const session: SessionInfo = { regions: ['eu-west-1', 'us-east-1'], sandbox: true, readOnly: true };
const identity = { account: '111122223333', arn: 'arn:aws:sts::111122223333:assumed-role/Operator/alice', userId: 'AROAEXAMPLE:alice' };

describe('Header', () => {
  it('shows account, caller, regions and badges', () => {
    const frame = plain(render(<Header session={session} identity={{ status: 'ready', identity }} />).lastFrame());
    expect(frame).toContain('keywarden');
    expect(frame).toContain('account 111122223333');
    expect(frame).toContain('regions eu-west-1, us-east-1');
    expect(frame).toContain('SANDBOX');
    expect(frame).toContain('READ-ONLY');
    expect(frame).toContain('as arn:aws:sts::111122223333:assumed-role/Operator/alice');
  });

  it('has no badges for a plain session and says when the identity is loading or unknown', () => {
    const plainSession: SessionInfo = { regions: ['eu-west-1'], sandbox: false, readOnly: false };
    const loading = plain(render(<Header session={plainSession} identity={{ status: 'loading' }} />).lastFrame());
    expect(loading).toContain('identity loading…');
    expect(loading).not.toContain('SANDBOX');
    expect(loading).not.toContain('READ-ONLY');
    expect(loading).toContain('region eu-west-1');
    const failed = plain(render(<Header session={plainSession} identity={{ status: 'error', error: 'ExpiredToken' }} />).lastFrame());
    expect(failed).toContain('identity unknown: ExpiredToken');
  });
});

describe('Header with an endpoint that is not AWS', () => {
  const withEndpoint: SessionInfo = { regions: ['us-east-1'], sandbox: false, readOnly: false, endpoint: 'https://kms-proxy.internal.example.com:8443' };
  it.each([80, 140])('shows the caller and the whole endpoint at %i columns, never cut', (width) => {
    const frame = plain(renderSized(<Header session={withEndpoint} identity={{ status: 'ready', identity }} width={width} />, width).lastFrame());
    expect(frame).toContain('as arn:aws:sts::111122223333:assumed-role/Operator/alice');
    expect(frame).toContain('via https://kms-proxy.internal.example.com:8443');
    expect(frame).not.toContain('…');
    for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(width);
    // Beside the caller when it fits (140), on a line of its own when not (80).
    expect(frame.split('\n').length).toBe(width === 80 ? 3 : 2);
  });

  it("shows a keywarden sandbox's address whole too, and its badge unbroken", () => {
    const sandbox: SessionInfo = { ...withEndpoint, sandbox: true, endpoint: 'http://127.0.0.1:43125' };
    const frame = plain(renderSized(<Header session={sandbox} identity={{ status: 'ready', identity }} width={60} />, 60).lastFrame());
    expect(frame).toContain('via http://127.0.0.1:43125');
    expect(frame).toMatch(/ SANDBOX$/m);
    expect(widestRow(frame)).toBeLessThanOrEqual(60);
  });
});

describe('Header at 80 and 140 columns: nothing cut', () => {
  const regions = ['ap-southeast-2', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'us-east-1', 'us-west-2'];
  const session: SessionInfo = { regions, sandbox: true, readOnly: true, endpoint: 'http://127.0.0.1:43125' };
  const error = 'the endpoint answered HTTP 500 with an empty body to sts:GetCallerIdentity (InternalFailure); the caller is not known';
  for (const [columns, rows] of [[80, 24], [140, 40]] as const) {
    it(`at ${columns}×${rows} the Regions, the caller's error and the endpoint are whole, wrapped`, () => {
      const frame = renderSized(<Header session={session} identity={{ status: 'error', error }} sandboxDate="2026-12-21" width={columns} />, columns).lastFrame();
      expect(widestRow(frame)).toBeLessThanOrEqual(columns);
      expect(plain(frame).replace('account …', '')).not.toContain('…'); // the account is not known: the caller's error says why
      expect(unwrapped(frame)).toContain(unwrapped(`regions ${regions.join(', ')}`));
      expect(unwrapped(frame)).toContain(unwrapped(`identity unknown: ${error}`));
      expect(plain(frame)).toContain('via http://127.0.0.1:43125');
      expect(plain(frame)).toContain(' SANDBOX TIME 2026-12-21');
      expect(plain(frame)).toContain(' READ-ONLY');
      expect(plain(frame).split('\n').length).toBe(headerLines({ session, identity: { status: 'error', error }, sandboxDate: '2026-12-21', width: columns }));
    });
  }
});

describe('Footer', () => {
  it('shows the hints of the focused scope and a status', () => {
    const frame = plain(render(<Footer scope="list" status={{ text: 'us-east-1: access denied', tone: 'warning' }} />).lastFrame());
    expect(frame).toContain('j move');
    expect(frame).toContain('/ filter');
    expect(frame).toContain('q quit');
    expect(frame).toContain('us-east-1: access denied');
    const filter = plain(render(<Footer scope="filter" />).lastFrame());
    expect(filter).toContain('Enter keep');
    expect(filter).toContain('Esc clear');
    expect(filter).toContain('Ctrl-C quit');
  });
});

describe('Footer at 80 and 140 columns', () => {
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/b16d2fc9-c506-44e6-a1c9-c9119bb9a001';
  for (const [columns, rows] of [[80, 24], [140, 40]] as const) {
    it(`at ${columns}×${rows} wraps a status that does not fit (the ARN to copy by hand whole) and keeps ? in the hints`, () => {
      const text = `copying is off (--no-clipboard): the ARN is ${arn}; LAST USED does not fit at ${columns} columns: widen the terminal, or hide other columns with v, to sort by it`;
      const frame = renderSized(<Footer scope="list" status={{ text, tone: 'warning' }} width={columns} />, columns).lastFrame();
      const lines = plain(frame).split('\n');
      expect(lines[0]).toContain('? help');
      expect(widestRow(frame)).toBeLessThanOrEqual(columns);
      expect(plain(frame)).toContain(arn);
      expect(unwrapped(lines.slice(1).join('\n'))).toBe(unwrapped(text));
      expect(lines.length).toBe(1 + statusRows({ text }, columns).length);
    });
  }
});

describe('Loading and ErrorView', () => {
  it('shows per-region progress', () => {
    const progress = [
      { region: 'eu-west-1', listed: 300, loaded: 100, done: false },
      { region: 'us-east-1', listed: 100, loaded: 20, done: false },
      { region: 'ap-south-2', listed: 0, loaded: 0, done: true, error: 'region not enabled' },
    ];
    const frame = plain(render(<Loading label="loading keys…" progress={progress} />).lastFrame());
    expect(frame).toContain('loading keys… 120 of 400 listed');
    expect(frame).toContain('eu-west-1: 100 of 300');
    expect(frame).toContain('ap-south-2: failed — region not enabled');
  });

  it('says what failed in words, cleaned', () => {
    const frame = render(<ErrorView title="Could not load the keys" message={'denied\u001b[2J by SCP'} />).lastFrame() ?? '';
    expect(plain(frame)).toContain('Could not load the keys');
    expect(frame).not.toContain('\u001b[2J');
    expect(plain(frame)).toContain('denied by SCP');
  });
});
