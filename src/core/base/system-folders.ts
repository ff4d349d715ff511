/**
 * Folders that are never a collection root nor a place to move files into: the file system's root (every file the
 * user can read, `/etc/shadow` included, would become reachable through the transports), the OS's own folders, and
 * pseudo file systems (procfs, sysfs, devices), which hold no photos and on which even a recursive mkdir can loop
 * for ever (Node's on procfs). Checked on the real path, so a link to /etc is refused like /etc.
 */
import { realpathSync, statfsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { isInside } from './confine.js';

/** statfs f_type of Linux pseudo file systems (linux/magic.h). tmpfs is not here: /tmp and /dev/shm share it. */
const PSEUDO_FS_TYPES: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0x65735543, 'fusectl'],
  [0x6e736673, 'nsfs'],
]);

/** Pseudo or runtime file systems by where they are mounted (devtmpfs and /run are tmpfs, not told apart by type). */
const PSEUDO_ROOTS: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ['/proc', '/sys', '/dev', '/run'],
  darwin: ['/dev'],
};

/** The OS's own folders (and everything under them). */
const SYSTEM_ROOTS: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ['/etc', '/boot', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr'],
  darwin: ['/System', '/Library', '/bin', '/sbin', '/usr', '/private/etc'],
};

/** Folders that are refused themselves, though a folder inside them may hold photos (`/var/photos`, `/home/shop`). */
const SYSTEM_PARENTS: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ['/var', '/home', '/root', '/mnt', '/media', '/srv', '/opt'],
  darwin: ['/Users', '/Volumes', '/private'],
};

/** The real path of `path`, resolving the part that exists (a destination folder may not exist yet). */
function realPathOfExisting(path: string): { real: string; existing: string } {
  const rest: string[] = [];
  let dir = resolve(path);
  for (;;) {
    try {
      const real = realpathSync(dir);
      return { real: join(real, ...rest.reverse()), existing: real };
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return { real: resolve(path), existing: parent };
      rest.push(basename(dir));
      dir = parent;
    }
  }
}

/**
 * Why `path` may not be a collection root or a move destination, or null when it may.
 * @param purpose how the message names the use: "a library folder", "a destination for the moved files"
 */
export function systemFolderReason(path: string, purpose: string, platform: NodeJS.Platform = process.platform): string | null {
  const { real, existing } = realPathOfExisting(path);
  const shown = real === resolve(path) ? real : `${path} (${real})`;
  if (parse(real).root === real) {
    return `${shown} is the root of the file system: as ${purpose} it would open every file on the machine; choose the folder that holds the photos.`;
  }
  const pseudoRoot = (PSEUDO_ROOTS[platform] ?? []).find((r) => isInside(real, r));
  let fsType: string | undefined;
  try {
    fsType = PSEUDO_FS_TYPES.get(statfsSync(existing).type);
  } catch {
    // No statfs here (or the folder vanished): the mount-point list above still applies.
  }
  if (pseudoRoot || fsType) {
    return `${shown} lies on a pseudo file system (${fsType ?? pseudoRoot}) that the OS generates; it holds no photos and cannot be ${purpose}.`;
  }
  if (platform === 'win32') {
    const windows = process.env.SystemRoot;
    if (windows && isInside(real.toLowerCase(), windows.toLowerCase())) return `${shown} is the Windows system folder; it cannot be ${purpose}.`;
    return null;
  }
  const system = (SYSTEM_ROOTS[platform] ?? []).find((r) => isInside(real, r));
  if (system) return `${shown} lies in the operating system's own folders (${system}); it cannot be ${purpose}.`;
  // The folder holding every user's home or every mounted drive; the user's own home (even /root) is theirs.
  const home = resolve(homedir());
  if ((SYSTEM_PARENTS[platform] ?? []).includes(real) && real !== home) {
    return `${shown} is a system folder that holds other folders (users' homes, mounted drives); as ${purpose} choose the folder inside it that holds the photos.`;
  }
  if (platform === 'linux' && isInside(real, '/root') && !isInside(real, home)) {
    return `${shown} lies in the administrator's home folder; it cannot be ${purpose}.`;
  }
  return null;
}

/**
 * Refuses a system folder for `purpose` with SYSTEM_FOLDER and a message that says why.
 * @throws AppError SYSTEM_FOLDER
 */
export function refuseSystemFolder(path: string, purpose: string): void {
  const reason = systemFolderReason(path, purpose);
  if (reason) throw new AppError('SYSTEM_FOLDER', reason);
}
