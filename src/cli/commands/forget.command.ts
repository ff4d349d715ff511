/** `lookalike forget <collection> [--json]`: remove a collection and every byte derived from it; the images stay. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { printable } from '../format.js';

export function registerForgetCommand(program: Command, ctx: CliContext): void {
  program
    .command('forget')
    .description('remove a collection from the library with its vectors and thumbnails (the image files are not touched)')
    .argument('<collection>', 'collection name')
    .option('--json', 'print the counts as one JSON object')
    .action(async (collection: string, opts: { json?: boolean }, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const r = await engine.api['library:forget']({ collection });
        if (opts.json) ctx.out(JSON.stringify(r));
        else ctx.out(`forgot ${printable(r.collection)}: ${r.items} items, ${r.vectors} vectors, ${r.thumbnails} thumbnails removed`);
      });
    });
}
