import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { waitForText } from '../../../test/helpers/ink.js';
import { useSyncReducer, type Current } from './use-sync-reducer.js';

const add = (state: number, by: number) => state + by;

describe('useSyncReducer', () => {
  it('shows each dispatch in the ref at once, before the next render, and renders the same state', async () => {
    let api: { ref: Current<number>; dispatchNow: (by: number) => void } | undefined;
    function Probe() {
      const [state, ref, dispatchNow] = useSyncReducer(add, 0);
      api = { ref, dispatchNow };
      return <Text>{`state ${state}`}</Text>;
    }
    const app = render(<Probe />);
    await waitForText(app.lastFrame, 'state 0');
    api!.dispatchNow(2);
    expect(api!.ref.current).toBe(2);
    api!.dispatchNow(3);
    expect(api!.ref.current).toBe(5);
    await waitForText(app.lastFrame, 'state 5');
    expect(api!.ref.current).toBe(5);
    app.unmount();
  });
});
