/**
 * Runs the CLI in-process, as a user would, with captured output: the one runner of every test that drives
 * `lookalike` without needing a real process (cli-process.ts runs the built CLI as a child, to kill it or watch it).
 */
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/context.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's non-empty lines. */
  lines: string[];
}

export interface CliRunOptions {
  /** The process environment the CLI sees (default empty: no LOOKALIKE_DATA or XDG folder leaks in). */
  env?: NodeJS.ProcessEnv;
  /** The working directory relative paths resolve against (default `/`). */
  cwd?: string;
  /** Sees each stderr chunk; `interrupt()` simulates Ctrl-C. */
  onStderr?: (chunk: string, io: { interrupt(): void }) => void;
}

/** `lookalike <args>`, in this process. */
export async function runCli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: {
      write: (s: string) => {
        stderr += s;
        options.onStderr?.(s, { interrupt: () => listeners.forEach((l) => l()) });
      },
    },
    env: options.env ?? {},
    cwd: options.cwd ?? '/',
    onInterrupt(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const code = await main(['node', 'lookalike', ...args], io);
  return { code, stdout, stderr, lines: stdout.split('\n').filter(Boolean) };
}
