// A real terminal for end-to-end tests: the built program runs inside tmux (its own server
// socket per test file), keys go in with send-keys, the screen comes back with capture-pane.
// Tests wait for text on the screen; they never sleep a fixed time.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(PROJECT_ROOT, 'dist/cli.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built program as a script would: stdin closed, stdout and stderr pipes, only PATH, no
 * instance metadata lookups, and `env` on top. Resolves with the exit code and both outputs.
 */
export function runKeywarden(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env }, timeout: timeoutMs }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

let counter = 0;

export interface TerminalOptions {
  args: string[];
  env?: Record<string, string>;
  columns?: number;
  rows?: number;
  /** Options for node itself, before the program's path (e.g. --import a test fixture). */
  nodeOptions?: string[];
  /** A shell command run in the pane before the program (its output is on the screen the program starts from). */
  before?: string;
  /** Every byte the pane receives is also appended to this file (tmux pipe-pane), from before the program starts. */
  rawOutputFile?: string;
}

export class Terminal {
  readonly socket: string;
  readonly session = 'kw';
  /** The program's KEYWARDEN_HOME (journal, retirement records, sandbox state). */
  readonly home: string;
  private constructor(socket: string, home: string) {
    this.socket = socket;
    this.home = home;
  }

  /** Starts `node dist/cli.js ARGS` in a fresh tmux server; the pane stays after exit and prints the exit code. */
  static async start(options: TerminalOptions): Promise<Terminal> {
    const socket = `kw-e2e-${process.pid}-${++counter}-${Date.now()}`;
    const home = options.env?.KEYWARDEN_HOME ?? mkdtempSync(join(tmpdir(), 'kw-e2e-home-'));
    const terminal = new Terminal(socket, home);
    const env: Record<string, string> = {
      // Ink renders only the last frame when it believes it runs in CI.
      CI: 'false',
      TERM: 'xterm-256color',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...options.env,
      KEYWARDEN_HOME: home,
    };
    const quoted = [process.execPath, ...(options.nodeOptions ?? []), CLI, ...options.args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
    // With rawOutputFile the program waits for the pipe to be attached (a file the test creates) before starting.
    const ready = options.rawOutputFile ? `${options.rawOutputFile}.ready` : undefined;
    const wait = ready ? `while [ ! -e '${ready}' ]; do sleep 0.02; done; ` : '';
    const script = `${wait}${options.before ? `${options.before}; ` : ''}${quoted}; echo "[exit:$?]"; sleep 600`;
    await run('tmux', [
      '-L', socket, '-f', '/dev/null',
      'new-session', '-d', '-s', terminal.session,
      '-x', String(options.columns ?? 160), '-y', String(options.rows ?? 40),
      ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      'sh', '-c', script,
    ]);
    if (options.rawOutputFile && ready) {
      await run('tmux', ['-L', socket, 'pipe-pane', '-t', terminal.session, `cat >> '${options.rawOutputFile}'`]);
      writeFileSync(ready, '');
    }
    return terminal;
  }

  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', this.session]);
    return stdout;
  }

  /** Waits until the screen satisfies the predicate (or contains the text); returns that screen. */
  async waitFor(match: string | RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const test = typeof match === 'function' ? match : (screen: string) => (typeof match === 'string' ? screen.includes(match) : match.test(screen));
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${String(match)}; screen was:\n${last}`);
  }

  /** Types literal text. */
  async type(text: string): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', this.session, '-l', text]);
  }

  /** Sends named keys: Enter, Escape, Tab, BTab, Up, Down, C-c … */
  async press(...keys: string[]): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', this.session, ...keys]);
  }

  /** Runs a tmux command against this terminal's server (e.g. `show-buffer`); its output. */
  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, ...args]);
    return stdout;
  }

  /** Waits for the program to exit and returns its exit code. */
  async exitCode(timeoutMs = 10_000): Promise<number> {
    const screen = await this.waitFor(/\[exit:\d+\]/, timeoutMs);
    return Number(/\[exit:(\d+)\]/.exec(screen)![1]);
  }

  /** The program's process id (the child of the pane's shell). */
  async programPid(): Promise<number> {
    const { stdout: pane } = await run('tmux', ['-L', this.socket, 'list-panes', '-t', this.session, '-F', '#{pane_pid}']);
    const shell = Number(pane.trim());
    // /proc/PID/stat: "pid (comm) state ppid …" (Linux, where these tests run).
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(ppid) === shell && state !== 'Z') return Number(entry);
      } catch {
        // the process ended while we looked
      }
    }
    throw new Error(`no program process under the pane's shell (${shell})`);
  }

  async close(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
  }
}
