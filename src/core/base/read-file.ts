/**
 * The one way a user's file is read: images to index or search with, thumbnails, served originals, a CSV. Only
 * regular files, never more than a limit, and never by a call that can block forever:
 * - `stat` first, so a FIFO, a device (`/dev/zero`) or a socket is refused without being opened (opening a FIFO for
 *   reading blocks until a writer comes, and that holds one of libuv's four pool threads for good);
 * - then open with O_NONBLOCK (a file swapped for a FIFO after the stat opens at once instead of blocking) and
 *   check the descriptor's own fstat again: the size limit applies to what is actually open;
 * - read into one buffer of the fstat's size plus one byte, never to end of file: a file that grows while it is
 *   read, or a pseudo file that reports a size it does not keep to, cannot make the read unbounded.
 */
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { AppError, isAppError } from '../../shared/errors.js';

/** Files above this are refused unread (IMAGE_TOO_LARGE): the whole file is held in memory while it is hashed. */
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

// Absent on Windows, where opening a named pipe is not how a file read blocks: 0 leaves the flags as plain O_RDONLY.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export interface ReadLimits {
  /** Refuse files larger than this (default DEFAULT_MAX_FILE_BYTES). */
  maxBytes?: number;
  /** The error for a file over the limit (default IMAGE_TOO_LARGE). */
  tooLarge?: (size: number, maxBytes: number) => AppError;
}

/** The bytes of a file together with the size and mtime they belong to. */
export interface FileSnapshot {
  bytes: Buffer;
  size: number;
  mtimeMs: number;
}

const imageTooLarge = (size: number, maxBytes: number) =>
  new AppError('IMAGE_TOO_LARGE', `The file is ${size} bytes, more than the limit of ${maxBytes}.`);

/** What a non-regular file is, for the message. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(path: string, s: Stats): AppError {
  return new AppError('INVALID_INPUT', `Not a regular file (${kindOf(s)}): ${path}`);
}

/**
 * Opens a regular file for reading without ever blocking on a FIFO or a device, and checks its size on the open
 * descriptor. The caller closes the handle.
 * @throws AppError INVALID_INPUT (not a regular file), IMAGE_TOO_LARGE (or `tooLarge`'s error), NOT_FOUND,
 *   PERMISSION_DENIED
 */
export async function openRegularFile(path: string, limits: ReadLimits = {}): Promise<{ handle: FileHandle; stats: Stats }> {
  if (path.includes('\0')) throw new AppError('INVALID_INPUT', 'The path contains a NUL character.');
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const tooLarge = limits.tooLarge ?? imageTooLarge;
  let first: Stats;
  try {
    first = await stat(path);
  } catch (err) {
    throw classifyFsError(err, path);
  }
  if (!first.isFile()) throw notRegular(path, first);
  if (first.size > maxBytes) throw tooLarge(first.size, maxBytes);
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw classifyFsError(err, path);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(path, stats);
    if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes);
    return { handle, stats };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw classifyFsError(err, path);
  }
}

/**
 * Reads a whole regular file through one descriptor, at most its size plus one byte, and checks that it did not
 * change while it was read (a file being copied in or rewritten), so the bytes, their hash and the size/mtime
 * recorded with them always belong together.
 * @throws AppError FILE_CHANGED (it changed during the read), IMAGE_TOO_LARGE (over `maxBytes`, or `tooLarge`'s
 *   error), NOT_FOUND, PERMISSION_DENIED, INVALID_INPUT (not a regular file)...
 */
export async function readFileSnapshot(path: string, limits: ReadLimits = {}): Promise<FileSnapshot> {
  const { handle, stats: before } = await openRegularFile(path, limits);
  try {
    // One byte more than the file should hold: reading it means the file is longer than its fstat said.
    const bytes = Buffer.allocUnsafe(before.size + 1);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const after = await handle.stat();
    if (filled !== before.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      throw new AppError('FILE_CHANGED', 'The file changed while it was read; it is indexed on the next run.');
    }
    return { bytes: bytes.subarray(0, filled), size: after.size, mtimeMs: after.mtimeMs };
  } catch (err) {
    throw classifyFsError(err, path);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The bytes of an image file a user named (a query, a thumbnail's source), under the same limits as indexing.
 * @throws AppError as readFileSnapshot does
 */
export async function readImageFile(path: string, limits: ReadLimits = {}): Promise<Buffer> {
  return (await readFileSnapshot(path, limits)).bytes;
}

/** Maps a file-system error to an AppError with the path in the message. */
export function classifyFsError(err: unknown, path: string): AppError {
  if (isAppError(err)) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      // A name whose bytes are not UTF-8 reaches Node (argv, JSON) with U+FFFD in their place and so names nothing.
      if (path.includes('\uFFFD')) {
        return new AppError('UNSUPPORTED_FILE_NAME', `The path is not valid UTF-8 (or contains U+FFFD), so it cannot be opened: ${path}. Rename the file (e.g. convmv -f latin1 -t utf8).`, { cause: err });
      }
      return new AppError('NOT_FOUND', `No such file: ${path}`, { cause: err });
    case 'ELOOP':
      return new AppError('NOT_FOUND', `A symbolic link loop, not a file: ${path}`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new AppError('PERMISSION_DENIED', `Permission denied: ${path}`, { cause: err });
    case 'EISDIR':
      return new AppError('INVALID_INPUT', `A folder, not an image file: ${path}`, { cause: err });
    case 'ENOSPC':
    case 'EDQUOT':
      return new AppError('DISK_FULL', `The disk is full: ${path}`, { cause: err });
    case 'ERR_FS_FILE_TOO_LARGE':
      return new AppError('IMAGE_TOO_LARGE', `The file is too large to read: ${path}`, { cause: err });
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_INVALID_ARG_TYPE':
      return new AppError('INVALID_INPUT', `Not a usable path: ${path.replaceAll('\0', '\\0')}`, { cause: err });
    default:
      return new AppError('INTERNAL', `Cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
