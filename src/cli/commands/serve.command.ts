/**
 * `lookalike serve [--port N] [--open]`: the desktop app's UI in a browser, for headless machines and NAS
 * libraries. Binds 127.0.0.1 only; the printed URL carries a per-run token.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { createLogger } from '../../core/base/logger.js';
import { AppError } from '../../shared/errors.js';
import { startServer } from '../../server/server.js';
import { toServedEngine } from '../../core/app/host/served-engine.js';
import { EXIT_INTERRUPTED } from './index.command.js';

/** Where a packager (or a test of this command) puts the built renderer instead of out/renderer. */
export const RENDERER_DIR_ENV = 'LOOKALIKE_RENDERER_DIR';

/** electron-vite's renderer output, shared with the desktop app (dist/cli/commands → out/renderer). */
export function defaultRendererDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[RENDERER_DIR_ENV] || fileURLToPath(new URL('../../../out/renderer/', import.meta.url));
}

/**
 * How long a stop waits for the engine to close (an index batch to commit, a decode to end) before the process exits
 * anyway: a service manager's SIGTERM must stop the server within about two seconds even in the middle of a
 * request. Exiting then is safe: every index batch is one transaction and index files are replaced atomically.
 */
export const STOP_GRACE_MS = 1500;

/** Exit status after SIGTERM: a requested stop, not a failure. (Ctrl-C gives 130, like every other command.) */
export const EXIT_TERMINATED = 0;

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return port;
}

/** Best effort: a headless machine has no browser to open, and that is fine, the URL is printed. */
function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // The URL is already on stdout.
  }
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('open the app in a browser on this machine (listens on 127.0.0.1 only, with a per-run token)')
    .option('-p, --port <n>', 'port to listen on (default: a free one)', parsePort, 0)
    .option('--open', 'open the URL in the default browser')
    .action(async (opts: { port: number; open?: boolean }, command: Command) => {
      const rendererDir = defaultRendererDir(ctx.io.env);
      if (!existsSync(join(rendererDir, 'index.html'))) {
        throw new AppError('NOT_FOUND', `The UI is not built (no ${rendererDir}); run \`npm run build\` first.`);
      }
      await ctx.withEngine(command, async (engine) => {
        const logger = createLogger({ level: 'warn', sink: (line) => ctx.io.stderr.write(`${line}\n`) });
        const server = await startServer({ engine: toServedEngine(engine), rendererDir, port: opts.port, logger });
        ctx.out(`Lookalike is running at ${server.url}`);
        ctx.err('The link carries a private token; do not share it. Press Ctrl-C to stop.');
        if (opts.open) openInBrowser(server.url);
        // Ctrl-C, or SIGTERM from a service manager on a NAS: close cleanly so the index is saved.
        const exitCode = await new Promise<number>((resolve) => {
          const done = (code: number) => () => {
            stopInterrupt();
            process.off('SIGTERM', onTerm);
            resolve(code);
          };
          const onTerm = done(EXIT_TERMINATED);
          const stopInterrupt = ctx.io.onInterrupt(done(EXIT_INTERRUPTED));
          process.once('SIGTERM', onTerm);
        });
        ctx.exitCode = exitCode;
        // Work still running when the stop came (a decode, a read on libuv's pool) keeps the event loop alive after
        // the close; the unref'd timer ends the process then, and only then.
        setTimeout(() => process.exit(exitCode), STOP_GRACE_MS).unref();
        await server.close();
      });
    });
}
