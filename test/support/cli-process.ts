/**
 * Running the built `lookalike` CLI (bin/lookalike.js → dist/) as a real child process, as a user's shell would:
 * for tests and soak runs that kill it (SIGKILL), run two at once, measure its peak memory or watch its network
 * use. Shared by bench/reliability.ts and the integration tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findPackageRoot } from '../../src/core/models/package-root.js';

export const PACKAGE_ROOT = findPackageRoot(import.meta.url);
export const CLI_BIN = join(PACKAGE_ROOT, 'bin', 'lookalike.js');
/** The preload that records the process's peak resident memory (see peak-rss.preload.ts). */
export const PEAK_RSS_PRELOAD = join(PACKAGE_ROOT, 'build', 'bench', 'peak-rss.preload.js');
export const PEAK_RSS_ENV = 'LOOKALIKE_PEAK_RSS_FILE';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  /** Peak resident set size in bytes, when run with `measureRss`. */
  peakRssBytes?: number;
}

export interface CliProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** Modules given to node's `--import` (preloads), as paths. */
  imports?: readonly string[];
  /** Record the peak RSS (needs build/bench/peak-rss.preload.js). */
  measureRss?: boolean;
  cwd?: string;
  /** Killed with SIGKILL after this long (a hang is a failure, not a stuck run). Default 5 minutes. */
  timeoutMs?: number;
  /** An open file descriptor to give the child as its stdout (e.g. /dev/full) instead of a pipe read here. */
  stdoutFd?: number;
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when stderr matches `re` (or rejects when the process ends first). */
  waitForStderr(re: RegExp): Promise<void>;
  done: Promise<CliRun>;
}

/** Starts `lookalike <args>` in a child process. */
export function startCli(args: readonly string[], options: CliProcessOptions = {}): CliProcess {
  const rssFile = options.measureRss ? join(tmpdir(), `lookalike-rss-${process.pid}-${Math.random().toString(36).slice(2)}`) : undefined;
  const imports = [...(options.imports ?? []), ...(rssFile ? [PEAK_RSS_PRELOAD] : [])];
  const child = spawn(process.execPath, [...imports.flatMap((m) => ['--import', pathToFileURL(m).href]), CLI_BIN, ...args], {
    cwd: options.cwd ?? PACKAGE_ROOT,
    env: { ...process.env, ...options.env, ...(rssFile ? { [PEAK_RSS_ENV]: rssFile } : {}) },
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    for (const w of [...waiters]) w();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of [...waiters]) w();
      let peakRssBytes: number | undefined;
      if (rssFile) {
        try {
          peakRssBytes = Number(readFileSync(rssFile, 'utf8'));
        } catch {
          // Killed before it could write.
        }
        rmSync(rssFile, { force: true });
      }
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1, ...(peakRssBytes !== undefined ? { peakRssBytes } : {}) });
    });
  });
  let ended = false;
  void done.finally(() => (ended = true));
  return {
    child,
    stderr: () => stderr,
    waitForStderr(re) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (re.test(stderr)) {
            waiters.delete(check);
            resolve();
          } else if (ended || child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`process ended before stderr matched ${re}: ${stderr.slice(-500)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    done,
  };
}

/** Runs `lookalike <args>` to the end. */
export function runCli(args: readonly string[], options: CliProcessOptions = {}): Promise<CliRun> {
  return startCli(args, options).done;
}
