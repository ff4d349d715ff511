/** `lookalike errors [--collection NAME] [--json]`: the files that could not be indexed and why. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { printable } from '../format.js';

export function registerErrorsCommand(program: Command, ctx: CliContext): void {
  program
    .command('errors')
    .description('list the files that could not be indexed and why')
    .option('-c, --collection <name>', 'only this collection')
    .option('--json', 'one JSON object per file and line: {"path", "collection", "code", "reason"}')
    .action(async (opts: { collection?: string; json?: boolean }, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const failed = await engine.api['library:errors'](opts.collection ? { collection: opts.collection } : {});
        for (const f of failed) {
          ctx.out(
            opts.json
              ? JSON.stringify({ path: f.path, collection: f.collection, code: f.code, reason: f.reason })
              : `${printable(f.path)}\t${f.code}\t${printable(f.reason)}`,
          );
        }
        if (!opts.json && failed.length === 0) ctx.err('No failed files.');
      });
    });
}
