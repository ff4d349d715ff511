/**
 * The CLI as the last link of a shell pipeline: a reader that goes away (`| head -1`, `| true`) ends the command
 * quietly with 141 (as SIGPIPE ends `grep`), at its next line of output rather than after all its work, and an
 * output device that fails (`> /dev/full`) gives one `lookalike: … (CODE)` line. Never a JavaScript stack.
 * Real child processes: the failure comes from the OS, not from a stub.
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliRun } from '../../src/bench/cli-process.js';
import { writeScene } from '../../src/core/images/synthetic.js';
import { ensureBuiltCli } from './built-cli.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
let data: string;
let photo: string;

beforeAll(async () => {
  tmp = tempDir('cli-output');
  const dir = join(tmp.path, 'photos');
  const photos = Array.from({ length: 4 }, (_, i) => join(dir, `p${i}.jpg`));
  await Promise.all(photos.map((p, i) => writeScene(p, 7100 + i)));
  // Failed files, so that `errors` has lines to print.
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, `broken-${i}.jpg`), 'not an image');
  photo = photos[0]!;
  data = join(tmp.path, 'data');
  await ensureBuiltCli();
  const index = await startCli(['--data', data, '--model', TEST_MODEL, '-q', 'index', dir, '-c', 'c']).done;
  expect(index.code, index.stderr).toBe(0);
});
afterAll(() => tmp?.remove());

/** What no failure may print: Node's report of an unhandled 'error' event, or any stack frame. */
const STACK = /Unhandled|EventEmitter|node:internal|\n\s+at /;

/** Runs the command with its stdout read end closed before it writes anything (`| true`). */
async function withClosedStdout(args: string[]): Promise<CliRun> {
  const proc = startCli(['--data', data, ...args]);
  proc.child.stdout!.destroy();
  return proc.done;
}

describe('stdout closed by its reader', () => {
  it.each([
    ['stats', ['stats']],
    ['stats --json', ['stats', '--json']],
    ['find --json', ['find', '--json', '--text', 'p0']],
    ['errors', ['errors']],
    ['search', ['search', '-k', '2']],
  ])('%s stops quietly with 141', async (_name, args) => {
    const run = await withClosedStdout(args[0] === 'search' ? [...args, photo] : args);
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 141, signal: null, stderr: '' });
  });

  it('search over thousands of queries stops at the first line after the reader left (`| head -1`)', async () => {
    const missing = join(tmp.path, 'missing.jpg');
    const queries = [photo, ...Array.from({ length: 3000 }, () => missing)];
    const proc = startCli(['--data', data, 'search', '--json', '-k', '1', ...queries]);
    const stdout = proc.child.stdout!;
    let first = '';
    await new Promise<void>((resolve) => {
      stdout.setEncoding('utf8').on('data', (chunk: string) => {
        first += chunk;
        if (first.includes('\n')) {
          stdout.destroy();
          resolve();
        }
      });
    });
    expect(JSON.parse(first.slice(0, first.indexOf('\n'))).query).toBe(photo);
    const run = await proc.done;
    expect(run.code, run.stderr).toBe(141);
    expect(run.stderr).not.toMatch(STACK);
    // Each failed query says so on stderr before its JSON line: a search that went on would say it 3,000 times.
    const reported = run.stderr.split('\n').filter((l) => l.includes('(NOT_FOUND)')).length;
    expect(reported).toBeLessThan(100);
  });
});

describe('stdout on a full device', () => {
  it.each([
    ['stats', ['stats']],
    ['search --json', ['search', '--json']],
  ])('%s reports one line and exits 1', async (_name, args) => {
    const full = openSync('/dev/full', 'w');
    try {
      const run = await startCli(['--data', data, ...args, ...(args[0] === 'search' ? [photo] : [])], { stdoutFd: full }).done;
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('lookalike: cannot write the output to stdout: no space left on the device (DISK_FULL)\n');
    } finally {
      closeSync(full);
    }
  });
});
