#!/usr/bin/env node
// Runs the lint (the layering: eslint.config.js), then the whole suite (unit, integration, e2e), and ends with one plain "N passed, N failed" line so that
// a run which executes no test is visible as such (and fails: zero tests is a defect, not a success).
// A full run (no arguments) also fails when an area ran no test file, or did not run every test file it has on
// disk: a glob that silently dropped test/e2e would otherwise pass with the rest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/**
 * The areas of the suite, as vitest.config.ts includes them. An `optional` area may have no test file at all (a
 * project without benches); when it has some, every one must run, as for the others.
 */
const AREAS = [
  { name: 'unit (src)', dir: 'src' },
  { name: 'bench (bench)', dir: 'bench', optional: true },
  { name: 'build tools (tools)', dir: 'tools', optional: true },
  { name: 'integration (test/integration)', dir: 'test/integration' },
  { name: 'e2e (test/e2e)', dir: 'test/e2e' },
];

const root = process.cwd();
const filters = process.argv.slice(2);

// The lint first: a layering violation fails the run before five minutes of tests. A run limited by arguments
// is the caller's choice of tests, and does not lint.
if (filters.length === 0) {
  const lint = spawnSync('npx', ['eslint', '--max-warnings=0', '.'], { stdio: 'inherit', env: process.env });
  if (lint.status !== 0) {
    console.log(`run-tests: lint failed (eslint exit ${lint.status ?? lint.signal}): fix the imports listed above; the floors are in eslint.config.js and the README's "Architecture"`);
    console.log('tests: 0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
  console.log('run-tests: lint passed (import layering, ONNX Runtime door, Electron and Node bans)');
}
const dir = mkdtempSync(join(tmpdir(), 'lookalike-test-report-'));
const report = join(dir, 'vitest.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...filters];
const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const ran = new Set();
  for (const file of json.testResults ?? []) {
    ran.add(relative(root, file.name).replaceAll('\\', '/'));
    let failedHere = 0;
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'passed') passed += 1;
      else if (test.status === 'failed') failedHere += 1;
      else skipped += 1;
    }
    // A file that failed without a failed test did not load, or a hook failed: it counts once.
    failed += file.status === 'failed' && failedHere === 0 ? 1 : failedHere;
  }
  // With arguments, the caller chose what to run; only a full run must cover every area.
  if (!filters.some((a) => !a.startsWith('-'))) {
    for (const area of AREAS) {
      const onDisk = testFiles(area.dir);
      const missed = onDisk.filter((f) => !ran.has(f));
      const ranHere = onDisk.length - missed.length;
      if (area.optional && onDisk.length === 0) continue;
      if (ranHere === 0) problems.push(`${area.name}: no test file ran (${onDisk.length} on disk)`);
      else if (missed.length > 0) problems.push(`${area.name}: ${ranHere} of ${onDisk.length} test files ran; not run: ${missed.slice(0, 10).join(', ')}`);
    }
  }
} catch (err) {
  problems.push(`no readable test report (${err instanceof Error ? err.message : String(err)})`);
  failed += 1;
}
rmSync(dir, { recursive: true, force: true });
for (const p of problems) console.log(`run-tests: ${p}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status !== 0 || failed > 0 || passed === 0 || problems.length > 0 ? 1 : 0);

/** `<dir>/**\/*.test.ts`, relative to the root. */
function testFiles(sub) {
  let entries;
  try {
    entries = readdirSync(join(root, sub), { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts') && !relative(root, e.parentPath ?? e.path).split(/[\\/]/).includes('node_modules'))
    .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)).replaceAll('\\', '/'));
}
