/** Where a data folder lives by default on each OS. */
import { homedir } from 'node:os';
import { join, win32 } from 'node:path';

export const DATA_DIR_ENV = 'LOOKALIKE_DATA';
export const CATALOG_FILE = 'catalog.sqlite';

/**
 * The data folder used when none is given: `$LOOKALIKE_DATA`, else the OS's per-user application-data folder
 * (`$XDG_DATA_HOME/lookalike` or `~/.local/share/lookalike`, `%APPDATA%\Lookalike`,
 * `~/Library/Application Support/Lookalike`).
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const override = env[DATA_DIR_ENV];
  if (override) return override;
  if (platform === 'win32') return win32.join(env.APPDATA ?? win32.join(home, 'AppData', 'Roaming'), 'Lookalike');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Lookalike');
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'lookalike');
}
