/**
 * Moving files to the OS trash (the `trash` package: never a hand-written delete) and, on Linux, finding them
 * again for undo in the freedesktop.org trash: `$XDG_DATA_HOME/Trash` (default `~/.local/share/Trash`) for the
 * home volume, `$top/.Trash/$uid` or `$top/.Trash-$uid` on other volumes. A trashed file is recognised by its
 * `.trashinfo`: the original path and a deletion time inside the window the journal recorded. macOS and
 * Windows trashes keep no such index that a program may rely on, so there the user restores from the OS trash.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import trash from 'trash';
import { AppError } from '../../shared/errors.js';
import { moveNoOverwrite } from './file-ops.js';

/** Whether this platform's trash can be searched for undo. */
export const canRestoreFromTrash = process.platform === 'linux';

/**
 * Refuses, before any file is touched, a trash that cannot work: on Linux the home trash lies under the home
 * folder, and the trash package lstat()s it for every file, so a HOME naming a missing folder failed each file
 * with "ENOENT lstat HOME" (INTERNAL).
 * @throws AppError FOLDER_NOT_FOUND
 */
export async function checkTrashUsable(): Promise<void> {
  if (process.platform !== 'linux') return;
  const home = homedir();
  const ok = await stat(home).then((s) => s.isDirectory(), () => false);
  if (!ok) {
    throw new AppError(
      'FOLDER_NOT_FOUND',
      `The trash cannot be used: the home folder ${home} (HOME) does not exist, and the trash lies inside it. Nothing was moved; set HOME to your home folder, or move the files into a folder instead.`,
    );
  }
}

/**
 * Moves files to the OS trash.
 * @throws the trash package's error (a permission problem, an unsupported volume).
 */
export async function moveToTrash(paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  // glob: false: a file named `*.jpg` or `[1].png` is a file, not a pattern.
  await trash(paths, { glob: false });
}

export interface TrashedFile {
  /** Where the file lies inside the trash. */
  file: string;
  /** Its `.trashinfo`. */
  info: string;
  deletedAtMs: number;
}

/** `DeletionDate=2024-05-01T12:34:56` is local time without a zone (per the spec). */
function parseDeletionDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

function decodeTrashPath(value: string): string | undefined {
  try {
    return decodeURIComponent(value.trim());
  } catch {
    return undefined;
  }
}

/** The top folder of the volume holding `path`: the highest existing ancestor on the same device. */
async function volumeTop(path: string): Promise<string | undefined> {
  let dir = dirname(path);
  let dev: number | undefined;
  // The original's folder may be gone too: start from the nearest existing ancestor.
  for (;;) {
    try {
      dev = (await stat(dir)).dev;
      break;
    } catch {
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }
  for (;;) {
    const up = dirname(dir);
    if (up === dir) return dir;
    try {
      if ((await stat(up)).dev !== dev) return dir;
    } catch {
      return dir;
    }
    dir = up;
  }
}

/** The trash folders a file from `originalPath` can be in (home trash first), with the volume top they belong to. */
export async function trashDirsFor(originalPath: string): Promise<{ dir: string; top?: string }[]> {
  const envHome = process.env.XDG_DATA_HOME;
  const dataHome = envHome && isAbsolute(envHome) ? envHome : join(homedir(), '.local', 'share');
  const dirs: { dir: string; top?: string }[] = [{ dir: join(dataHome, 'Trash') }];
  const top = await volumeTop(originalPath);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (top) dirs.push({ dir: join(top, '.Trash', String(uid)), top }, { dir: join(top, `.Trash-${uid}`), top });
  return dirs.filter((d, i) => dirs.findIndex((o) => o.dir === d.dir) === i);
}

/**
 * Finds the trashed copy of `originalPath` deleted within [fromMs, toMs] (a second of slack each side: the
 * trash records whole seconds), the latest when several match; with `expectedSize`, only files of that size.
 */
export async function findTrashed(
  originalPath: string,
  window: { fromMs: number; toMs: number },
  expectedSize?: number,
): Promise<TrashedFile | undefined> {
  const target = resolve(originalPath);
  let best: TrashedFile | undefined;
  for (const { dir, top } of await trashDirsFor(target)) {
    const infoDir = join(dir, 'info');
    let names: string[];
    try {
      names = await readdir(infoDir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.trashinfo')) continue;
      const info = join(infoDir, name);
      let text: string;
      try {
        text = await readFile(info, 'utf8');
      } catch {
        continue;
      }
      let path: string | undefined;
      let deletedAtMs: number | undefined;
      for (const line of text.split(/\r?\n/)) {
        if (line.startsWith('Path=')) path = decodeTrashPath(line.slice(5));
        else if (line.startsWith('DeletionDate=')) deletedAtMs = parseDeletionDate(line.slice(13));
      }
      if (path === undefined || deletedAtMs === undefined) continue;
      // Volume trashes may store the path relative to the volume's top folder; the home trash never does.
      if (!isAbsolute(path) && top === undefined) continue;
      if (resolve(isAbsolute(path) ? path : join(top!, path)) !== target) continue;
      if (deletedAtMs < Math.floor(window.fromMs / 1000) * 1000 - 1000 || deletedAtMs > window.toMs + 1000) continue;
      const file = join(dir, 'files', name.slice(0, -'.trashinfo'.length));
      try {
        const s = await stat(file);
        if (expectedSize !== undefined && s.isFile() && s.size !== expectedSize) continue;
      } catch {
        continue;
      }
      if (!best || deletedAtMs > best.deletedAtMs) best = { file, info, deletedAtMs };
    }
  }
  return best;
}

/**
 * Puts a trashed file back at its original path and drops its `.trashinfo`.
 * @throws DestinationExistsError when something is already at the original path (nothing is overwritten).
 */
export async function restoreTrashed(found: TrashedFile, originalPath: string): Promise<void> {
  await moveNoOverwrite(found.file, originalPath);
  await unlink(found.info).catch(() => undefined);
}
