import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { waitForText } from '../../test/helpers/ink.js';
import { BootView } from './boot-view.js';

const session = { regions: ['us-east-1'], sandbox: true, readOnly: false };

describe('BootView', () => {
  it('shows the header and the loading line, and quits on q or Ctrl-C only', async () => {
    const quits: string[] = [];
    for (const key of ['x', 'j', '\r', 'q', '\u0003']) {
      const app = render(<BootView session={session} columns={100} rows={10} onQuit={() => quits.push(key)} />);
      await waitForText(app.lastFrame, 'loading keys');
      expect(app.lastFrame()).toContain('SANDBOX');
      app.stdin.write(key);
      await new Promise((resolve) => setTimeout(resolve, 20));
      app.unmount();
    }
    expect(quits).toEqual(['q', '\u0003']);
  });

  it('turns its spinner while loading', async () => {
    const app = render(<BootView session={session} columns={100} rows={10} />);
    await waitForText(app.lastFrame, 'loading keys');
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      seen.add(/(\S) loading keys/.exec(app.lastFrame() ?? '')?.[1] ?? '');
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    app.unmount();
    expect(seen.size).toBeGreaterThan(2);
  });
});
