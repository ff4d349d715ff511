/**
 * The CLI as the last link of a shell pipeline: a reader that goes away (`| head -1`, `| true`) ends the command
 * quietly with 141 (as SIGPIPE ends `grep`), at its next line of output rather than after all its work, and an
 * output device that fails (`> /dev/full`) gives one `lookalike: … (CODE)` line. Never a JavaScript stack.
 * Real child processes: the failure comes from the OS, not from a stub. And file names with control or bidi
 * characters are escaped in text output (one record per line), never in JSON.
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliRun } from '../support/cli-process.js';
import { runCli as runInProcess } from '../support/cli-run.js';
import { writeScene } from '../support/synthetic.js';
import { ensureBuiltCli } from './built-cli.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
let data: string;
let photo: string;
let hostile: string;

beforeAll(async () => {
  tmp = tempDir('cli-output');
  const dir = join(tmp.path, 'photos');
  const photos = Array.from({ length: 4 }, (_, i) => join(dir, `p${i}.jpg`));
  await Promise.all(photos.map((p, i) => writeScene(p, 7100 + i)));
  // Failed files, so that `errors` has lines to print.
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, `broken-${i}.jpg`), 'not an image');
  // Names a shell allows: a line break, and a right-to-left override that shows "evil-gpj.exe" reversed.
  writeFileSync(join(dir, 'broken\nline.jpg'), 'not an image');
  hostile = join(dir, 'evil-\u202Egpj.exe.jpg');
  await writeScene(hostile, 7200);
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

describe('file names with control and bidi characters', () => {
  it('errors prints one escaped line per failed file', async () => {
    const run = await runInProcess(['--data', data, 'errors']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines).toHaveLength(4);
    for (const line of run.lines) expect(line.split('\t')).toHaveLength(3);
    expect(run.lines.some((l) => l.startsWith(join(tmp.path, 'photos', 'broken\\nline.jpg\t')))).toBe(true);
  });

  it('search escapes in text, also in its error lines, and keeps the exact name in JSON', async () => {
    const text = await runInProcess(['--data', data, 'search', hostile, '-k', '1']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(/[\u202E\u0000-\u0008\u000b-\u001f]/);
    expect(text.lines[0]).toBe(hostile.replace('\u202E', '\\u202e'));
    expect(text.lines[1]).toContain('evil-\\u202egpj.exe.jpg');

    const json = await runInProcess(['--data', data, 'search', hostile, '-k', '1', '--json']);
    const parsed = JSON.parse(json.lines[0]!) as { query: string; results: { path: string }[] };
    expect(parsed.query).toBe(hostile);
    expect(parsed.results[0]!.path).toBe(hostile);

    const missing = await runInProcess(['--data', data, 'search', join(tmp.path, 'no\nsuch.jpg')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/no\\nsuch\.jpg: No such file: .*no\\nsuch\.jpg \(NOT_FOUND\)$/)]);
  });
});
