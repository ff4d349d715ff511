/**
 * `lookalike doctor [--repair] [--json]`: checks the data folder (catalog integrity, indexes against the catalog,
 * orphan thumbnails, temp files, stale lock, missing folders and files); `--repair` rebuilds what can be rebuilt
 * and reports what cannot. Exit code 0 when nothing is left to fix, 1 otherwise.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runDoctor, type CheckStatus, type DoctorReport } from '../../core/doctor/doctor.js';
import { defaultDataDir } from '../../core/base/paths.js';
import { isAppError } from '../../shared/errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printable } from '../format.js';

const LABEL: Record<CheckStatus, string> = { ok: 'ok', problem: 'PROBLEM', repaired: 'repaired', unrepairable: 'CANNOT REPAIR' };

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the data folder (catalog, vector indexes, thumbnails, files) and optionally repair it')
    .option('--repair', 'rebuild what can be rebuilt (indexes, SQLite indexes), delete orphans and leftovers')
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: { repair?: boolean; json?: boolean }, command: Command) => {
      let report: DoctorReport;
      try {
        report = await ctx.withEngine(command, (engine) => runDoctor(engine, { repair: opts.repair ?? false }));
      } catch (err) {
        // A catalog too damaged to open is the doctor's finding, not a crash of the doctor.
        if (!isAppError(err) || err.code !== 'DB_CORRUPT') throw err;
        const g = command.optsWithGlobals() as GlobalOptions;
        report = {
          dataDir: resolve(ctx.io.cwd, g.data ?? defaultDataDir(ctx.io.env)),
          healthy: false,
          checks: [
            {
              id: 'integrity',
              title: 'catalog integrity (SQLite)',
              status: 'unrepairable',
              count: 1,
              details: [err.message, 'restore a backup of catalog.sqlite, or index your folders again into a new --data folder'],
              ms: 0,
            },
          ],
          seconds: 0,
        };
      }
      if (opts.json) {
        ctx.out(JSON.stringify(report));
      } else {
        ctx.out(`data folder  ${printable(report.dataDir)}`);
        for (const c of report.checks) {
          ctx.out(`${LABEL[c.status].padEnd(14)}${c.title}`);
          for (const d of c.details) ctx.out(`              ${printable(d)}`);
        }
        ctx.out(
          report.healthy
            ? `healthy (${report.seconds.toFixed(1)}s)`
            : `problems remain${opts.repair ? '' : ': run `lookalike doctor --repair`'} (${report.seconds.toFixed(1)}s)`,
        );
      }
      if (!report.healthy) ctx.exitCode = 1;
    });
}
