/**
 * File moves that never overwrite: a hard link plus unlink where the file system has hard links (atomic "create
 * only if absent"), a copy with COPYFILE_EXCL across devices, and a checked rename elsewhere. The file keeps its
 * size and modification time, so the next rescan recognises it.
 */
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { classifyFsError } from '../base/read-file.js';

/** The destination of a move is taken; nothing was overwritten (code FILE_CHANGED crosses transports). */
export class DestinationExistsError extends AppError {
  constructor(readonly destination: string) {
    super('FILE_CHANGED', `Not overwriting ${destination}: a file is already there.`);
  }
}

function errno(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/** Whether anything (file, folder, dangling link) exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return false;
    throw classifyFsError(err, path);
  }
}

/**
 * Moves the file `src` to `dst`, creating `dst`'s folder when needed.
 * @throws DestinationExistsError when `dst` already exists (nothing is overwritten), NOT_FOUND when `src` is gone,
 *   PERMISSION_DENIED / DISK_FULL as classified.
 */
export async function moveNoOverwrite(src: string, dst: string): Promise<void> {
  await mkdir(dirname(dst), { recursive: true }).catch((err: unknown) => {
    throw classifyFsError(err, dirname(dst));
  });
  const exists = () => new DestinationExistsError(dst);
  try {
    await link(src, dst);
  } catch (err) {
    const code = errno(err);
    if (code === 'EEXIST') throw exists();
    if (code === 'EXDEV') return copyThenUnlink(src, dst, exists);
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP' || code === 'EMLINK') {
      // No hard links here (FAT, some network shares): rename after checking, the best such systems allow.
      if (await pathExists(dst)) throw exists();
      try {
        await rename(src, dst);
      } catch (renameErr) {
        if (errno(renameErr) === 'EXDEV') return copyThenUnlink(src, dst, exists);
        throw classifyFsError(renameErr, src);
      }
      return;
    }
    throw classifyFsError(err, src);
  }
  try {
    await unlink(src);
  } catch (err) {
    // Leave exactly one copy behind: the original.
    await unlink(dst).catch(() => undefined);
    throw classifyFsError(err, src);
  }
}

async function copyThenUnlink(src: string, dst: string, exists: () => AppError): Promise<void> {
  const before = await stat(src).catch((err: unknown) => {
    throw classifyFsError(err, src);
  });
  try {
    await copyFile(src, dst, constants.COPYFILE_EXCL);
  } catch (err) {
    if (errno(err) === 'EEXIST') throw exists();
    await unlink(dst).catch(() => undefined);
    throw classifyFsError(err, dst);
  }
  await utimes(dst, before.atime, before.mtime).catch(() => undefined);
  try {
    await unlink(src);
  } catch (err) {
    await unlink(dst).catch(() => undefined);
    throw classifyFsError(err, src);
  }
}

/**
 * Moves `src` into folder `dir` under its own name, or `name (1).ext`, `name (2).ext`... when taken.
 * @returns the path the file now has.
 */
export async function moveIntoFolder(src: string, dir: string): Promise<string> {
  const ext = extname(src);
  const stem = basename(src, ext);
  for (let n = 0; n < 10_000; n++) {
    const dst = join(dir, n === 0 ? `${stem}${ext}` : `${stem} (${n})${ext}`);
    try {
      await moveNoOverwrite(src, dst);
      return dst;
    } catch (err) {
      if (err instanceof DestinationExistsError) continue;
      throw err;
    }
  }
  throw new AppError('FILE_CHANGED', `No free name for ${basename(src)} in ${dir}.`);
}
