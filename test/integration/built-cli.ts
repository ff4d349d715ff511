/**
 * Tests that run the CLI as a real child process (to kill it, run two at once, or watch its network use) need
 * today's source compiled to dist/. This compiles it once when any source file is newer than its output, under a
 * lock so that test files running in parallel do not compile over each other.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findPackageRoot } from '../../src/core/models/package-root.js';

const ROOT = findPackageRoot(import.meta.url);
const EXCLUDED = /(\.test\.ts$|^renderer\/|^main\/|^preload\/)/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

/** The first source file whose compiled output is missing or older than it, if any. */
function staleSource(root: string): string | undefined {
  const src = join(root, 'src');
  for (const file of sources(src)) {
    const rel = relative(src, file).replaceAll('\\', '/');
    if (EXCLUDED.test(rel)) continue;
    try {
      if (statSync(join(root, 'dist', rel.replace(/\.ts$/, '.js'))).mtimeMs < statSync(file).mtimeMs) return rel;
    } catch {
      return rel;
    }
  }
  return undefined;
}

export interface BuildOptions {
  /** The package whose src/ compiles to dist/ with its tsconfig.build.json (default: this repository). */
  root?: string;
}

/**
 * Compiles src/ to dist/ when stale. tsc still writes its output when some file has a type error, so dist/ would
 * look fresh to the next caller: a failed compile is remembered (.cache/build-cli.failed holds tsc's output) and
 * every call fails with it until a compile succeeds.
 * @throws when tsc reports errors, or when dist/ is still older than src/ after it ran.
 */
export async function ensureBuiltCli(options: BuildOptions = {}): Promise<void> {
  const root = options.root ?? ROOT;
  const cache = join(root, '.cache');
  const lock = join(cache, 'build-cli.lock');
  const failed = join(cache, 'build-cli.failed');
  mkdirSync(cache, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    let previousFailure: string | undefined;
    try {
      previousFailure = readFileSync(failed, 'utf8');
    } catch {
      // No failed compile on record.
    }
    if (previousFailure === undefined && staleSource(root) === undefined) return;
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
      cwd: root,
      encoding: 'utf8',
    });
    const output = `${tsc.stdout ?? ''}${tsc.stderr ?? ''}${tsc.error ? String(tsc.error) : ''}`.trim();
    if (tsc.status !== 0) {
      writeFileSync(failed, output);
      throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal}); the tests would run a dist/ that does not match src/:\n${output}`);
    }
    rmSync(failed, { force: true });
    const stale = staleSource(root);
    if (stale !== undefined) throw new Error(`tsc -p tsconfig.build.json succeeded but dist/ is still older than src/${stale}:\n${output}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
