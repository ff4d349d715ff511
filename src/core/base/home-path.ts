/** `~` and `~/x` as a shell would expand them, for paths that arrive without a shell (the UI, JSON, a quoted argv). */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~` → the home folder, `~/x` → inside it; anything else (`~user`, relative, absolute) is returned as given. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || (process.platform === 'win32' && path.startsWith('~\\'))) return join(home, path.slice(2));
  return path;
}
