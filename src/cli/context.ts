/** What every CLI command shares: the process streams, the global options and opening the engine. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../shared/errors.js';
import { createEngine, type Engine } from '../core/app/engine.js';
import { createLogger, type LogLevel } from '../core/base/logger.js';
import { defaultDataDir } from '../core/base/paths.js';

export interface CliStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The process as the CLI sees it; tests pass their own to capture output. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Subscribes to Ctrl-C for the duration of a job. @returns the unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
  /** Why stdout can no longer be written (EPIPE: its reader went away), once a write has failed. */
  outputError?(): NodeJS.ErrnoException | undefined;
  /** Resolves once what was written to stdout so far has reached the OS, or failed to. */
  flush?(): Promise<void>;
}

/**
 * Thrown by a write to stdout after stdout failed, so that every command stops at its next line of output
 * (a search over thousands of queries stops when `| head -1` has read its line) and unwinds through its
 * `finally` blocks (the engine closes cleanly). main() turns it into the exit code, quietly for EPIPE.
 */
export class OutputClosedError extends Error {
  constructor(readonly failure: NodeJS.ErrnoException) {
    super(`stdout cannot be written (${failure.code ?? failure.message})`);
    this.name = 'OutputClosedError';
  }
}

export interface GlobalOptions {
  data?: string;
  model?: string;
  device?: 'cpu' | 'gpu' | 'auto';
  maxPixels?: number;
  verbose?: boolean;
  quiet?: boolean;
}

export interface CliContext {
  io: CliIo;
  /** Set by a command that finished but did not fully succeed (e.g. 130 after Ctrl-C, 1 after a failed query). */
  exitCode: number;
  /**
   * Opens the engine for the command's global options, runs `fn` and always closes the engine. With
   * `folderModel`, the global --model is not applied (the folder opens with its own model: `models use`).
   */
  withEngine<T>(command: Command, fn: (engine: Engine) => Promise<T>, options?: { folderModel?: boolean }): Promise<T>;
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
}

/**
 * The process's streams, guarded: Node emits a failed write (EPIPE from a closed pipe, ENOSPC from /dev/full) as
 * an 'error' event, which without a listener ends the process with a stack trace. Here stdout records the failure
 * and throws OutputClosedError on the next write; stderr drops further writes (there is nowhere left to report).
 */
export function processIo(): CliIo {
  const stdout = guardedStream(process.stdout, 'throw');
  const stderr = guardedStream(process.stderr, 'drop');
  return {
    stdout,
    stderr,
    outputError: stdout.failure,
    flush: () =>
      new Promise<void>((resolve) => {
        if (stdout.failure()) return resolve();
        // Queued behind every earlier write: its callback runs once they are written or have failed.
        process.stdout.write('', () => resolve());
      }),
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(listener) {
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
  };
}

/**
 * Files an index run needs before it embeds on worker threads (default the job's BULK_MIN_FILES, where the pool
 * starts to pay); lowering it runs the pool on a few files, which is how the tests and the soak exercise it.
 */
export const EMBED_POOL_MIN_FILES_ENV = 'LOOKALIKE_EMBED_POOL_MIN_FILES';

/**
 * New or changed files from which an index run catalogues every file first (hashes, signatures: duplicates listable
 * at decode speed) and embeds them in a second pass (default the job's PROGRESSIVE_MIN_FILES); lowering it runs
 * both passes on a few files, which is how the tests and the crash soak exercise them.
 */
export const PROGRESSIVE_MIN_FILES_ENV = 'LOOKALIKE_PROGRESSIVE_MIN_FILES';

/** @throws AppError INVALID_INPUT when the variable is set to anything but a whole number of at least 1. */
function filesFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new AppError('INVALID_INPUT', `${name} must be a whole number of files, at least 1 (it is "${value}").`);
  }
  return n;
}

export function createContext(io: CliIo): CliContext {
  const ctx: CliContext = {
    io,
    exitCode: 0,
    out: (line) => io.stdout.write(`${line}\n`),
    err: (line) => io.stderr.write(`${line}\n`),
    async withEngine(command, fn, options = {}) {
      const g = command.optsWithGlobals() as GlobalOptions;
      const level: LogLevel = g.verbose ? 'debug' : g.quiet ? 'error' : 'warn';
      const bulkMinFiles = filesFromEnv(io.env, EMBED_POOL_MIN_FILES_ENV);
      const progressiveMinFiles = filesFromEnv(io.env, PROGRESSIVE_MIN_FILES_ENV);
      const index = { ...(bulkMinFiles === undefined ? {} : { bulkMinFiles }), ...(progressiveMinFiles === undefined ? {} : { progressiveMinFiles }) };
      const engine = await createEngine({
        dataDir: resolve(io.cwd, g.data ?? defaultDataDir(io.env)),
        ...(g.model && !options.folderModel ? { modelId: g.model } : {}),
        ...(g.device ? { device: g.device } : {}),
        ...(g.maxPixels ? { maxPixels: g.maxPixels } : {}),
        ...(Object.keys(index).length === 0 ? {} : { index }),
        logger: createLogger({ level, sink: (line) => io.stderr.write(`${line}\n`) }),
      });
      try {
        return await fn(engine);
      } finally {
        await engine.close();
      }
    },
  };
  return ctx;
}

type Guarded = CliStream & { failure(): NodeJS.ErrnoException | undefined };

function guardedStream(stream: NodeJS.WriteStream, afterFailure: 'throw' | 'drop'): Guarded {
  let recorded: NodeJS.ErrnoException | undefined;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    recorded ??= err;
  });
  // `errored` is set synchronously by the failing write; the 'error' event only follows on the next tick.
  const failure = () => recorded ?? ((stream as { errored?: NodeJS.ErrnoException | null }).errored ?? undefined);
  return {
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
    write(chunk: string) {
      const failed = failure();
      if (failed) {
        if (afterFailure === 'throw') throw new OutputClosedError(failed);
        return false;
      }
      return stream.write(chunk);
    },
    failure,
  };
}
