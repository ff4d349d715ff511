/**
 * Tests that run the CLI as a real child process (to kill it, run two at once, or watch its network use) need
 * today's source compiled to dist/. This compiles it once when any source file is newer than its output, under a
 * lock so that test files running in parallel do not compile over each other.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findPackageRoot } from '../../src/core/models/package-root.js';

const ROOT = findPackageRoot(import.meta.url);
const EXCLUDED = /(\.test\.ts$|^renderer\/|^main\/|^preload\/)/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

function isStale(): boolean {
  const src = join(ROOT, 'src');
  for (const file of sources(src)) {
    const rel = relative(src, file).replaceAll('\\', '/');
    if (EXCLUDED.test(rel)) continue;
    try {
      if (statSync(join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'))).mtimeMs < statSync(file).mtimeMs) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/** Compiles src/ to dist/ when stale (tsc emits even when another part of the tree has type errors). */
export async function ensureBuiltCli(): Promise<void> {
  const lock = join(ROOT, '.cache', 'build-cli.lock');
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
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
    if (isStale()) {
      spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
        cwd: ROOT,
        stdio: 'ignore',
      });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
