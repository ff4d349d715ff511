/**
 * Recursive folder walk that yields image files with their size and mtime. Hidden entries and well-known system
 * folders are skipped; symbolic links are followed, but each real folder is visited once, so link loops end, and
 * (with `within`) only when they lead to a place inside the user's chosen folders: a link out of them is never
 * read, a file link is reported as refused so the user sees why it was not indexed.
 */
import type { Dirent } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { isInsideAny } from '../base/confine.js';
import type { Logger } from '../base/logger.js';

/**
 * Suffixes of the formats sharp decodes (prebuilt libvips). HEIC/HEIF are included on purpose: most builds cannot
 * decode HEVC, and a user is better served by "unsupported" in the errors list than by a silently ignored file.
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.avif', '.heic', '.heif', '.tif', '.tiff', '.gif',
]);

/** Folders that never hold a user's photos (OS metadata, trash, NAS thumbnails, dependency trees). */
const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules', '$RECYCLE.BIN', 'System Volume Information', '@eaDir', '__MACOSX', 'lost+found',
]);

export interface ScannedFile {
  /** Absolute path as reached from the root (links are not resolved in the path). */
  path: string;
  size: number;
  mtimeMs: number;
  /** Set for a file that must not be read (a link leading outside `within`); the reason is recorded instead. */
  refused?: AppError;
}

export interface WalkOptions {
  extensions?: ReadonlySet<string>;
  signal?: AbortSignal;
  logger?: Logger;
  /** Real paths (symbolic links resolved) that links may lead into; absent: links are followed anywhere. */
  within?: readonly string[];
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `name` as text, or undefined when its bytes are not valid UTF-8 (a Latin-1 `é` from an old archive). Node's
 * string paths cannot name such a file: decoded, its bytes become U+FFFD and no longer name anything, so the
 * walk once lost it silently between listing and stat.
 */
function utf8Name(name: Buffer): string | undefined {
  try {
    return STRICT_UTF8.decode(name);
  } catch {
    return undefined;
  }
}

/** The name with every byte that is not printable ASCII written as \xNN, so a user can find the file. */
export function escapedFileName(name: Buffer): string {
  return [...name].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/** Whether `name` has one of the image suffixes (case-insensitive). */
export function hasImageExtension(name: string, extensions: ReadonlySet<string> = IMAGE_EXTENSIONS): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && extensions.has(name.slice(dot).toLowerCase());
}

/**
 * Yields every image file under `root` (absolute). Unreadable folders below the root are logged and skipped.
 * @throws the root's own error (missing, not a folder, unreadable): the caller decides whether the root is offline.
 */
export async function* walk(root: string, options: WalkOptions = {}): AsyncGenerator<ScannedFile> {
  const extensions = options.extensions ?? IMAGE_EXTENSIONS;
  const rootStat = await stat(root);
  if (!rootStat.isDirectory()) throw new AppError('NOT_A_FOLDER', `Not a folder: ${root}`);
  const seen = new Set<string>([`${rootStat.dev}:${rootStat.ino}`]);
  const stack: string[] = [root];
  while (stack.length > 0) {
    options.signal?.throwIfAborted();
    const dir = stack.pop()!;
    let handle;
    try {
      // Names as bytes: a name that is not UTF-8 would otherwise arrive as U+FFFD and name nothing.
      handle = await opendir(dir, { bufferSize: 256, encoding: 'buffer' as BufferEncoding });
    } catch (err) {
      // The root itself unreadable is the caller's business (offline drive); a subfolder is skipped.
      if (dir === root) throw err;
      options.logger?.warn('cannot read folder; skipped', { dir, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const subdirs: string[] = [];
    for await (const listed of handle) {
      const raw = listed as unknown as Dirent<Buffer>;
      const name = utf8Name(raw.name);
      if (name === undefined) {
        const bad = badName(dir, raw, extensions);
        if (bad) yield bad;
        continue;
      }
      const entry = Object.assign(raw, { name }) as unknown as Dirent;
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory() || entry.isSymbolicLink()) {
        if (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) continue;
        let s;
        let outside = false;
        try {
          s = await stat(full);
          if (entry.isSymbolicLink() && options.within) outside = !isInsideAny(await realpath(full), options.within);
        } catch {
          continue; // A dangling link or a link loop.
        }
        if (outside) {
          if (s.isDirectory()) {
            options.logger?.warn('link leads outside the collection\'s folders; not followed', { path: full });
          } else if (s.isFile() && hasImageExtension(entry.name, extensions)) {
            yield {
              path: full,
              size: s.size,
              mtimeMs: s.mtimeMs,
              refused: new AppError('PATH_OUTSIDE_ROOTS', "The link leads outside the collection's folders; it is not read."),
            };
          }
          continue;
        }
        if (s.isDirectory()) {
          const key = `${s.dev}:${s.ino}`;
          if (!seen.has(key) && !SKIPPED_DIRS.has(entry.name)) {
            seen.add(key);
            subdirs.push(full);
          }
          continue;
        }
        if (s.isFile() && hasImageExtension(entry.name, extensions)) yield { path: full, size: s.size, mtimeMs: s.mtimeMs };
        continue;
      }
      if (!entry.isFile() || !hasImageExtension(entry.name, extensions)) continue;
      try {
        const s = await stat(full);
        yield { path: full, size: s.size, mtimeMs: s.mtimeMs };
      } catch {
        // Vanished between listing and stat: the next scan sees the folder as it is then.
      }
    }
    // Depth-first in name order keeps progress and logs predictable.
    subdirs.sort().reverse();
    stack.push(...subdirs);
  }
}

/**
 * A listed entry whose name is not valid UTF-8, as a refused file the job records with its reason (so it appears
 * in `lookalike errors` and the app's failures list), or undefined for an entry that would not be indexed anyway.
 * A folder with such a name is reported the same way: its photos cannot be reached by name.
 */
function badName(dir: string, entry: Dirent<Buffer>, extensions: ReadonlySet<string>): ScannedFile | undefined {
  const shown = escapedFileName(entry.name);
  if (shown.startsWith('.')) return undefined;
  const folder = entry.isDirectory();
  if (!folder && !hasImageExtension(shown, extensions)) return undefined;
  const path = `${dir}${dir.endsWith(sep) ? '' : sep}${shown}`;
  const what = folder ? 'The folder name' : 'The file name';
  const reason = folder ? 'the photos in it cannot be indexed until it is renamed' : 'the photo cannot be indexed until it is renamed';
  return {
    path,
    size: 0,
    mtimeMs: 0,
    refused: new AppError('UNSUPPORTED_FILE_NAME', `${what} is not valid UTF-8 (shown with \\xNN for each byte that is not); ${reason} (e.g. convmv -f latin1 -t utf8).`),
  };
}
