/**
 * `npm test`'s runner (scripts/run-tests.mjs) on small projects of its own, run with the repository's vitest and
 * eslint: a lint finding stops the run before any test; its closing line counts failed tests (not the suites
 * around them) plus files that failed to load, and a full run fails when an area (src, bench, tools,
 * test/integration, test/e2e) ran no test file or fewer than it has on disk.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from './helpers.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RUNNER = join(REPO, 'scripts', 'run-tests.mjs');
const INCLUDE_ALL = ['src/**/*.test.ts', 'bench/**/*.test.ts', 'tools/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'];
/** One passing test in each area the runner requires of a full run. */
const EVERY_AREA = ['src/a', 'bench/d', 'tools/e', 'test/integration/b', 'test/e2e/c'];

const PASSING = "import { it, expect } from 'vitest';\nit('passes', () => expect(1).toBe(1));\n";
const ONE_FAILING_IN_SUITES =
  "import { describe, it, expect } from 'vitest';\n" +
  "describe('outer', () => { describe('inner', () => { it('fails', () => expect(1).toBe(2)); it('passes', () => expect(1).toBe(1)); }); });\n";

let tmp: TempDir | undefined;
afterEach(() => tmp?.remove());

function project(files: Record<string, string>, include: string[] = INCLUDE_ALL): string {
  tmp = tempDir('run-tests');
  const root = tmp.path;
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fixture', private: true, type: 'module' }));
  writeFileSync(join(root, 'vitest.config.mjs'), `export default { test: { include: ${JSON.stringify(include)} } };\n`);
  // The fixture's own lint: one rule, so that a planted import can fail it.
  writeFileSync(join(root, 'eslint.config.js'), `export default [{ files: ['**/*.ts'], rules: { 'no-restricted-imports': ['error', 'node:child_process'] } }];\n`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function runTests(root: string): { code: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [RUNNER], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, lines: r.stdout.trimEnd().split('\n') };
}

describe('scripts/run-tests.mjs', () => {
  it('counts one failing test inside two describe blocks once, and a file that cannot load once', () => {
    const root = project({
      'src/a.test.ts': PASSING,
      'test/integration/b.test.ts': ONE_FAILING_IN_SUITES,
      'test/e2e/c.test.ts': "import './does-not-exist.js';\n",
    });
    const r = runTests(root);
    expect(r.code).toBe(1);
    expect(r.lines.at(-1)).toBe('tests: 2 passed, 2 failed, 0 skipped');
  }, 120_000);

  it('fails a run whose globs dropped an area, or a file of one, although every test passed', () => {
    const root = project(
      { 'src/a.test.ts': PASSING, 'test/integration/b.test.ts': PASSING, 'test/integration/sub/d.test.ts': PASSING, 'test/e2e/c.test.ts': PASSING },
      ['src/**/*.test.ts', 'test/integration/*.test.ts'],
    );
    const r = runTests(root);
    expect(r.code).toBe(1);
    expect(r.lines).toContain('run-tests: e2e (test/e2e): no test file ran (1 on disk)');
    expect(r.lines).toContain('run-tests: integration (test/integration): 1 of 2 test files ran; not run: test/integration/sub/d.test.ts');
    expect(r.lines.at(-1)).toBe('tests: 2 passed, 0 failed, 0 skipped');
  }, 120_000);

  it('lets a project have no bench tests, but runs every one it has', () => {
    const root = project(
      { 'src/a.test.ts': PASSING, 'bench/x.test.ts': PASSING, 'test/integration/b.test.ts': PASSING, 'test/e2e/c.test.ts': PASSING },
      ['src/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    );
    const r = runTests(root);
    expect(r.code).toBe(1);
    expect(r.lines).toContain('run-tests: bench (bench): no test file ran (1 on disk)');
  }, 120_000);

  it('stops at a lint finding, with a line that says so, before running any test', () => {
    const root = project({
      ...Object.fromEntries(EVERY_AREA.map((f) => [`${f}.test.ts`, PASSING])),
      'src/b.ts': "import { spawn } from 'node:child_process';\nexport const run = spawn;\n",
    });
    const r = runTests(root);
    expect(r.code).toBe(1);
    expect(r.lines.some((l) => l.startsWith('run-tests: lint failed'))).toBe(true);
    expect(r.lines.at(-1)).toBe('tests: 0 passed, 1 failed, 0 skipped');
  }, 120_000);

  it('passes a full run of every area', () => {
    const root = project(Object.fromEntries(EVERY_AREA.map((f) => [`${f}.test.ts`, PASSING])));
    const r = runTests(root);
    expect(r.lines.at(-1)).toBe('tests: 5 passed, 0 failed, 0 skipped');
    expect(r.code).toBe(0);
  }, 120_000);
});
