/**
 * The shell's assets in `<package>/resources/`: the icon the window and taskbar show. On Linux the taskbar matches
 * the window to resources/lookalike.desktop through its WM class (`lookalike`, the package name).
 */
import { join } from 'node:path';

/** The window icon, from the folder the bundled main runs in (`out/main`). */
export function appIconPath(mainDir: string): string {
  return join(mainDir, '..', '..', 'resources', 'icons', '512x512.png');
}
