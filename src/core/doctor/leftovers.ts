/**
 * Temporary files a killed process leaves behind: a vector index being saved (`….usearch.tmp-<pid>`), a
 * thumbnail being written (`….webp.<pid>.tmp`), a stale lock moved aside. Each carries its writer's pid, so a
 * file of a live process (an index job saving right now) is never touched.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../base/data-dir-lock.js';
import { THUMB_DIR } from '../thumbs/thumbnails.js';

const TOP_LEVEL = [/^vectors-c\d+-[0-9a-f]+\.usearch\.tmp-(\d+)$/, /^index\.lock\.stale-(\d+)$/];
const IN_THUMBS = /^\d+-[0-9a-z]+\.webp\.(\d+)\.tmp$/;

export interface Leftover {
  path: string;
  bytes: number;
}

/** Leftovers of dead processes in the data folder (with `thumbs`: also under thumbs/, a longer walk). */
export function findLeftovers(dataDir: string, options: { thumbs?: boolean } = {}): Leftover[] {
  const out: Leftover[] = [];
  const consider = (dir: string, name: string, patterns: readonly RegExp[]) => {
    for (const re of patterns) {
      const m = re.exec(name);
      if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
        const path = join(dir, name);
        out.push({ path, bytes: sizeOf(path) });
        return;
      }
    }
  };
  for (const name of list(dataDir)) consider(dataDir, name, TOP_LEVEL);
  if (options.thumbs) {
    const thumbs = join(dataDir, THUMB_DIR);
    for (const size of list(thumbs)) {
      const dir = join(thumbs, size);
      for (const name of list(dir)) consider(dir, name, [IN_THUMBS]);
    }
  }
  return out;
}

/** Deletes the leftovers of dead processes. @returns what was deleted. */
export function removeLeftovers(dataDir: string, options: { thumbs?: boolean } = {}): Leftover[] {
  const found = findLeftovers(dataDir, options);
  for (const f of found) rmSync(f.path, { force: true });
  return found;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
