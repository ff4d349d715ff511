/** Where the installed nsfwjs package keeps its tfjs models, and what to say about their provenance. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface NsfwjsPackage {
  /** `<package>/dist/models`. */
  modelsDir: string;
  version: string;
}

export const NSFWJS_LICENSE = 'MIT (nsfwjs © Infinite Red; weights from the MIT nsfw_model project by GantMan)';
export const NSFWJS_URL = 'https://github.com/infinitered/nsfwjs';

/**
 * Finds the nsfwjs package this module resolves.
 * @throws Error when nsfwjs is not installed.
 */
export function findNsfwjs(): NsfwjsPackage {
  // The package's export map hides package.json, so resolve its entry point and walk up.
  let dir = dirname(createRequire(import.meta.url).resolve('nsfwjs'));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nsfwjs') return { modelsDir: join(dir, 'dist', 'models'), version: pkg.version ?? 'unknown' };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('nsfwjs is installed but its package.json was not found');
    dir = parent;
  }
}
