/**
 * Locates the app's own package folder (the one whose package.json is named "lookalike") from a module's
 * location, so that built-in models resolve the same way from src/ (tests) and dist/ (the built app).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'lookalike';

/**
 * Walks up from `from` (a file URL or path) to the folder holding the app's package.json.
 * @throws Error when no such folder exists above `from`.
 */
export function findPackageRoot(from: string = import.meta.url): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not ours (or unreadable): keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}`);
    dir = parent;
  }
}

/** `<package root>/models`: where the built-in models are built and looked up. */
export function builtinModelsDir(): string {
  return join(findPackageRoot(), 'models');
}
