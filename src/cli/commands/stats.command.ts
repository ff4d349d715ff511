/** `lookalike stats [--json]`: counts per collection, the model, index and catalog sizes, failures. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatBytes, printable } from '../format.js';

export function registerStatsCommand(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description('show counts per collection, the model, index size and failed files')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const s = await engine.api['library:stats']({});
        if (opts.json) {
          ctx.out(JSON.stringify({ dataDir: engine.dataDir, ...s }));
          return;
        }
        const rows: [string, string][] = [
          ['data folder', printable(engine.dataDir)],
          ['model', s.dimensions > 0 ? `${s.modelId} (${s.dimensions} dimensions)` : `${s.modelId} (nothing indexed yet)`],
          ['items', `${s.itemCount} indexed, ${s.failedCount} failed${s.pendingCount ? `, ${s.pendingCount} catalogued and waiting for their embedding` : ''}`],
          ['vectors', `${s.vectorCount} in the index (${formatBytes(s.indexBytes)} on disk)`],
          ['catalog', formatBytes(s.catalogBytes)],
        ];
        for (const [k, v] of rows) ctx.out(`${k.padEnd(13)}${v}`);
        if (s.collections.length === 0) ctx.out('collections  none yet: `lookalike index <folder>` adds one');
        for (const c of s.collections) ctx.out(`  ${printable(c.name).padEnd(24)} ${c.itemCount} indexed, ${c.failedCount} failed${c.pendingCount ? `, ${c.pendingCount} pending` : ''}`);
      });
    });
}
