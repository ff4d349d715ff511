/**
 * The `lookalike` command line. Each command lives in ./commands/*.command.ts and exports a register function,
 * so later commands (dupes, match, models, eval, serve) plug in the same way.
 *
 * Contract: exit code 0 on success; otherwise non-zero with one line `lookalike: <reason> (<CODE>)` on stderr
 * (2 for usage errors, 130 after Ctrl-C, 141 without a word when stdout's reader went away, as a program killed
 * by SIGPIPE, 1 otherwise). Results go to stdout, progress and logs to stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isAppError, toLogFormat, type ErrorCode } from '../shared/errors.js';
import { registerCategoriesCommand } from './commands/categories.command.js';
import { registerDoctorCommand } from './commands/doctor.command.js';
import { registerDupesCommand } from './commands/dupes.command.js';
import { registerErrorsCommand } from './commands/errors.command.js';
import { registerEvalCommand } from './commands/eval.command.js';
import { registerFindCommand } from './commands/find.command.js';
import { registerForgetCommand } from './commands/forget.command.js';
import { registerImportCommand } from './commands/import.command.js';
import { registerIndexCommand } from './commands/index.command.js';
import { registerMatchCommand } from './commands/match.command.js';
import { registerModelsCommand } from './commands/models.command.js';
import { registerOcrCommand } from './commands/ocr.command.js';
import { registerSearchCommand } from './commands/search.command.js';
import { registerServeCommand } from './commands/serve.command.js';
import { registerStatsCommand } from './commands/stats.command.js';
import { registerUndoCommand } from './commands/undo.command.js';
import { printable } from './format.js';
import { createContext, OutputClosedError, processIo, type CliContext, type CliIo } from './context.js';

export const EXIT_USAGE = 2;
/** 128 + SIGPIPE: what a shell reports for `cat`, `grep` or `ls` whose reader closed the pipe (`| head -1`). */
export const EXIT_OUTPUT_CLOSED = 141;

/** Every command, in help order. */
const COMMANDS: readonly ((program: Command, ctx: CliContext) => void)[] = [
  registerIndexCommand,
  registerSearchCommand,
  registerFindCommand,
  registerImportCommand,
  registerCategoriesCommand,
  registerOcrCommand,
  registerDupesCommand,
  registerUndoCommand,
  registerMatchCommand,
  registerStatsCommand,
  registerErrorsCommand,
  registerModelsCommand,
  registerEvalCommand,
  registerDoctorCommand,
  registerForgetCommand,
  registerServeCommand,
];

function parseMaxPixels(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number of pixels.');
  return n;
}

/** Builds the program; exported so tests and later commands can inspect it. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('lookalike')
    .description('Find products by photo, offline: index folders of images and search them by image.')
    .option('--data <dir>', 'data folder (default: $LOOKALIKE_DATA or the OS app-data folder)')
    .option('--model <id>', 'embedding model id (default: the data folder\'s model, else "accurate")')
    .addOption(new Option('--device <kind>', 'where inference runs').choices(['cpu', 'gpu', 'auto']))
    .option('--max-pixels <n>', 'refuse images with more pixels than this (default 100000000)', parseMaxPixels)
    .option('-v, --verbose', 'log debug details to stderr')
    .option('-q, --quiet', 'log only errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      outputError: (s, write) => write(`lookalike: ${s.replace(/^error: /, '').trimEnd()}\n`),
    });
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/**
 * Runs the CLI with `argv` as in process.argv (node, script, args...).
 * @returns the exit code; never throws for expected failures.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx = createContext(io);
  const program = buildProgram(ctx);
  let code: number;
  try {
    await program.parseAsync([...argv], { from: 'node' });
    code = ctx.exitCode;
  } catch (err) {
    code = err instanceof OutputClosedError ? 1 : failureCode(ctx, program, err);
  }
  // The last lines may fail only once they reach the OS (a file on a full disk).
  await io.flush?.();
  const failure = io.outputError?.();
  return failure ? outputFailureCode(ctx, failure) : code;
}

function failureCode(ctx: CliContext, program: Command, err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (help, version or a usage error).
    return err.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (isAppError(err)) {
    ctx.err(`lookalike: ${printable(err.message)} (${err.code})`);
    return err.code === 'CANCELLED' ? 130 : 1;
  }
  ctx.err(`lookalike: internal error: ${printable(err instanceof Error ? err.message : String(err))}`);
  if (program.opts<{ verbose?: boolean }>().verbose) ctx.err(toLogFormat(err));
  return 1;
}

/** A closed pipe ends the command quietly, as it ends `grep`; any other failed write is one line on stderr. */
function outputFailureCode(ctx: CliContext, failure: NodeJS.ErrnoException): number {
  if (failure.code === 'EPIPE') return EXIT_OUTPUT_CLOSED;
  const [reason, code]: [string, ErrorCode] =
    failure.code === 'ENOSPC' || failure.code === 'EDQUOT'
      ? ['no space left on the device', 'DISK_FULL']
      : [failure.code ?? failure.message, 'INTERNAL'];
  ctx.err(`lookalike: cannot write the output to stdout: ${reason} (${code})`);
  return 1;
}
