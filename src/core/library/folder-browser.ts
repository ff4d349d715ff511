/**
 * The folder browser behind the browser host's folder picker (the desktop host has the native dialog): lists the
 * sub-folders of one folder, never files, and never lists or offers a folder the library would refuse as a root.
 * Bounded, so a folder of a million photos answers as fast as an empty one.
 */
import { opendir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { classifyFsError } from '../base/read-file.js';
import { expandHome } from '../base/home-path.js';
import { systemFolderReason } from '../base/system-folders.js';

/** Sub-folders returned at most (a picker list longer than this is not read by anyone). */
export const MAX_LISTED_FOLDERS = 500;
/** Directory entries read at most: beyond, the listing says `truncated` instead of reading on. */
export const MAX_SCANNED_ENTRIES = 20_000;

export interface FolderEntry {
  name: string;
  path: string;
}

export interface FolderListing {
  path: string;
  /** The folder above, or null at the top (or when the one above is a system folder). */
  parent: string | null;
  folders: FolderEntry[];
  /** More sub-folders exist than were listed. */
  truncated: boolean;
  home: string;
}

/**
 * Checks a folder path as the library would take it: `~` expanded, absolute, an existing readable folder that is
 * not a system folder. @returns the resolved path.
 * @throws AppError INVALID_INPUT (relative), FOLDER_NOT_FOUND, NOT_A_FOLDER, PERMISSION_DENIED, SYSTEM_FOLDER
 */
export async function checkFolder(path: string): Promise<string> {
  const expanded = expandHome(path);
  if (!isAbsolute(expanded)) {
    throw new AppError('INVALID_INPUT', `A folder path must be absolute (start with / or ~/): ${path}`);
  }
  const dir = resolve(expanded);
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    const e = classifyFsError(err, dir);
    throw e.code === 'NOT_FOUND' ? new AppError('FOLDER_NOT_FOUND', `No such folder: ${dir}`, { cause: err }) : e;
  }
  if (!st.isDirectory()) throw new AppError('NOT_A_FOLDER', `Not a folder: ${dir}`);
  const reason = systemFolderReason(dir, 'a library folder');
  if (reason) throw new AppError('SYSTEM_FOLDER', reason);
  return dir;
}

/**
 * The sub-folders of `path` (default: the home folder), hidden and system ones left out, sorted by name.
 * @throws AppError as checkFolder, and PERMISSION_DENIED when the folder cannot be listed
 */
export async function listFolders(path?: string): Promise<FolderListing> {
  const home = resolve(homedir());
  const dir = await checkFolder(path ?? home);
  const folders: FolderEntry[] = [];
  let truncated = false;
  let scanned = 0;
  let handle;
  try {
    handle = await opendir(dir, { bufferSize: 256 });
  } catch (err) {
    throw classifyFsError(err, dir);
  }
  try {
    for await (const entry of handle) {
      if (++scanned > MAX_SCANNED_ENTRIES || folders.length >= MAX_LISTED_FOLDERS) {
        truncated = true;
        break;
      }
      if (entry.name.startsWith('.')) continue;
      const child = join(dir, entry.name);
      // A link counts when it leads to a folder (photo libraries are often linked in); the check below then runs on
      // where it leads.
      if (!entry.isDirectory() && !(entry.isSymbolicLink() && (await stat(child).then((s) => s.isDirectory(), () => false)))) continue;
      if (systemFolderReason(child, 'a library folder')) continue;
      folders.push({ name: entry.name, path: child });
    }
  } finally {
    // for-await closes the handle when it runs to the end or breaks; closing twice throws ERR_DIR_CLOSED.
    await handle.close().catch(() => undefined);
  }
  folders.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }));
  const up = dirname(dir);
  const parent = up !== dir && !systemFolderReason(up, 'a library folder') ? up : null;
  return { path: dir, parent, folders, truncated, home };
}
