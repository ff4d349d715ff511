/**
 * The helper that compiles src/ for the child-process tests must not let them run a stale or half-built dist/:
 * tsc writes its output even when a file has a type error, so the failure has to be remembered, not inferred
 * from file times. A small package of its own, compiled by the repository's TypeScript.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltCli } from './built-cli.js';
import { tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;

beforeAll(() => {
  tmp = tempDir('built-cli');
  mkdirSync(join(tmp.path, 'src'));
  writeFileSync(
    join(tmp.path, 'tsconfig.build.json'),
    JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'ES2022', types: [], outDir: 'dist', rootDir: 'src' }, include: ['src/**/*.ts'] }),
  );
});
afterAll(() => tmp?.remove());

describe('ensureBuiltCli', () => {
  it('fails with tsc\'s diagnostics on a type error, and keeps failing although dist/ was written', async () => {
    writeFileSync(join(tmp.path, 'src', 'cli.ts'), "export const answer: number = 'forty-two';\n");
    await expect(ensureBuiltCli({ root: tmp.path })).rejects.toThrow(/src\/cli\.ts\(1,14\): error TS2322/);
    // tsc emitted dist/cli.js all the same, newer than its source: only the remembered failure stops a stale run.
    await expect(ensureBuiltCli({ root: tmp.path })).rejects.toThrow(/TS2322/);
  }, 120_000);

  it('builds once the error is fixed, then does nothing while dist/ is fresh', async () => {
    writeFileSync(join(tmp.path, 'src', 'cli.ts'), 'export const answer: number = 42;\n');
    await expect(ensureBuiltCli({ root: tmp.path })).resolves.toBeUndefined();
    const built = statSync(join(tmp.path, 'dist', 'cli.js')).mtimeMs;
    await expect(ensureBuiltCli({ root: tmp.path })).resolves.toBeUndefined();
    expect(statSync(join(tmp.path, 'dist', 'cli.js')).mtimeMs).toBe(built);
  }, 120_000);
});
