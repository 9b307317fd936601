import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { waitForText } from '../../../test/helpers/ink.js';
import { useAsyncResource } from './use-async-resource.js';

describe('useAsyncResource', () => {
  it('never lets an out-of-date load land, aborts it, and reads again on reload', async () => {
    const aborted: string[] = [];
    let loads = 0;
    const slow = (name: string, ms: number, signal: AbortSignal) =>
      new Promise<string>((resolve) => {
        loads += 1;
        signal.addEventListener('abort', () => aborted.push(name));
        setTimeout(() => resolve(`${name}#${loads}`), ms);
      });
    let control: { setName(n: string): void; reload(): void } | undefined;
    function Probe() {
      const [name, setName] = useState('first');
      const state = useAsyncResource((signal) => slow(name, name === 'first' ? 80 : 10, signal), [name]);
      control = { setName, reload: state.reload };
      return <Text>{state.status === 'ready' ? `ready ${state.value}` : state.status}</Text>;
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, 'loading');
    control!.setName('second'); // before the first answer arrives
    await waitForText(app.lastFrame, 'ready second');
    await new Promise((r) => setTimeout(r, 120)); // the first answer arrives now: ignored
    expect(app.lastFrame()).toMatch(/^ready second/);
    expect(aborted).toEqual(['first']);
    control!.reload();
    await waitForText(app.lastFrame, 'ready second#3');
    app.unmount();
  });

  it('is idle when there is nothing to load, and reports a failure in words', async () => {
    function Probe({ what }: { what: 'nothing' | 'fail' }) {
      const state = useAsyncResource(() => (what === 'nothing' ? undefined : Promise.reject(new Error('access denied'))), [what]);
      return <Text>{state.status === 'error' ? `error ${state.error}` : state.status}</Text>;
    }
    const idle = render(<Probe what="nothing" />);
    await waitForText(idle.lastFrame, 'idle');
    idle.unmount();
    const failed = render(<Probe what="fail" />);
    await waitForText(failed.lastFrame, 'error access denied');
    failed.unmount();
  });

  it('shows what a long load reported so far, keeps it beside a failure, and drops reports of a load out of date', async () => {
    let fail: ((error: Error) => void) | undefined;
    let reportOld: ((n: number) => void) | undefined;
    let control: { setName(n: string): void } | undefined;
    function Probe() {
      const [name, setName] = useState('first');
      const state = useAsyncResource<string, number>(
        (_signal, { progress }) =>
          new Promise<string>((_resolve, reject) => {
            progress(1);
            if (name === 'first') reportOld = progress;
            else fail = reject;
          }),
        [name],
      );
      control = { setName };
      const partial = 'partial' in state ? state.partial : undefined;
      return <Text>{`${name} ${state.status === 'error' ? `error ${state.error}` : state.status} ${partial ?? '-'}`}</Text>;
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, 'first loading 1');
    control!.setName('second');
    await waitForText(app.lastFrame, 'second loading 1');
    reportOld!(7); // the first load, out of date, reports again: ignored
    await new Promise((r) => setTimeout(r, 30));
    expect(app.lastFrame()).toContain('second loading 1');
    fail!(new Error('throttled'));
    await waitForText(app.lastFrame, 'second error throttled 1');
    app.unmount();
  });

  it('says at once that its state is out of date after reload(), before React renders again', async () => {
    let answer = 'one';
    let control: { reload(): void; settled(): boolean } | undefined;
    function Probe() {
      const state = useAsyncResource(() => Promise.resolve(answer), []);
      control = state;
      return <Text>{state.status === 'ready' ? `ready ${state.value}` : state.status}</Text>;
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, 'ready one');
    expect(control!.settled()).toBe(true);
    answer = 'two';
    const stale = control!;
    stale.reload();
    // The handler that called reload() still holds the 'ready one' state: settled() says it is stale.
    expect(stale.settled()).toBe(false);
    await waitForText(app.lastFrame, 'ready two');
    expect(control!.settled()).toBe(true);
    app.unmount();
  });
});

