/** Runs the CLI in-process, as a user would, with captured output (for the integration tests). */
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/context.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

/** `lookalike <args>` with cwd `/` and an empty environment; `interrupt` simulates Ctrl-C from a stderr hook. */
export async function runCli(args: string[], options: { onStderr?: (chunk: string, io: { interrupt(): void }) => void } = {}): Promise<CliRun> {
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
    env: {},
    cwd: '/',
    onInterrupt(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const code = await main(['node', 'lookalike', ...args], io);
  return { code, stdout, stderr, lines: stdout.split('\n').filter(Boolean) };
}
