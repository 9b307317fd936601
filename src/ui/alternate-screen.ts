// keywarden draws on the terminal's alternate screen, as full-screen terminal programs do: the
// operator's shell, its output and its scrollback are untouched while keywarden runs and are back,
// exactly as they were, when it exits. Any message printed after the screen closes (an error,
// the exit code of a failed start) lands on the normal screen, where it stays readable.

const ENTER = '\u001b[?1049h\u001b[H';
const LEAVE = '\u001b[?1049l';

/**
 * Switches `out` to the alternate screen (when it is a terminal) and returns the function that
 * switches back; calling it more than once is harmless, and it runs by itself when the process
 * exits without calling it.
 */
export function enterAlternateScreen(out: NodeJS.WriteStream): () => void {
  if (!out.isTTY) return () => undefined;
  out.write(ENTER);
  let active = true;
  const leave = () => {
    if (!active) return;
    active = false;
    process.off('exit', leave);
    out.write(LEAVE);
  };
  process.on('exit', leave);
  return leave;
}
