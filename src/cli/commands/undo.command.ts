/**
 * `lookalike undo [--action ID] [--json]`: reverts the latest dedupe action (or the given one): files come back
 * from the trash or the folder they were moved to, "not duplicates" marks are forgotten. Exit code 1 when some
 * files could not be put back (each is listed with its reason) or must be restored from the OS trash by hand.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { api, type ApiOutput } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import { dispatch } from '../../shared/dispatch.js';
import type { CliContext } from '../context.js';
import { printable } from '../format.js';

export function registerUndoCommand(program: Command, ctx: CliContext): void {
  program
    .command('undo')
    .description('revert the last duplicate action (trash, move or "not duplicates"), also after a restart')
    .option('--action <id>', 'revert this action instead of the latest', parseId)
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { action?: number; json?: boolean }, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const result = await dispatch(api, engine.api, 'dupes:undo', opts.action !== undefined ? { actionId: opts.action } : {});
        if (!result.ok) throw new AppError(result.error.code, result.error.message);
        const s = result.value as ApiOutput<'dupes:undo'>;
        if (opts.json) ctx.out(JSON.stringify(s));
        else {
          const what = s.kind === 'not-duplicate' ? `forgot ${s.restored} "not duplicates" pair${s.restored === 1 ? '' : 's'}` : `restored ${s.restored} file${s.restored === 1 ? '' : 's'}`;
          ctx.out(`Undid action ${s.actionId} (${s.kind}): ${what}.`);
          for (const f of s.failed) ctx.out(`  not restored: ${printable(f.path)}: ${printable(f.reason)} (${f.code})`);
          if (s.manual.length > 0) ctx.out(`  Restore these ${s.manual.length} files from the OS trash yourself, then run \`lookalike index\`:`);
          for (const m of s.manual) ctx.out(`    ${printable(m.path)}`);
        }
        if (!s.complete || s.manual.length > 0) ctx.exitCode = 1;
      });
    });
}

function parseId(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}
