import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface TerminalSize {
  columns: number;
  rows: number;
}

const FALLBACK: TerminalSize = { columns: 80, rows: 24 };

/**
 * The area keywarden draws in: the terminal's width, and its height less one line. A frame as
 * tall as the terminal makes Ink clear the whole terminal, scrollback included, and rewrite every
 * line on every frame; one line shorter, Ink rewrites only the lines that changed.
 */
export function drawableSize(stdout: Pick<NodeJS.WriteStream, 'columns' | 'rows'>): TerminalSize {
  return {
    columns: stdout.columns || FALLBACK.columns,
    rows: Math.max(1, (stdout.rows || FALLBACK.rows) - 1),
  };
}

/** The drawable size of the terminal (see drawableSize), following resizes. `override` (tests, fixed layouts) wins. */
export function useTerminalSize(override?: TerminalSize): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => drawableSize(stdout);
  const [size, setSize] = useState<TerminalSize>(read);
  useEffect(() => {
    if (override) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, override]);
  return override ?? size;
}
