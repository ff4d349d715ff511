/** The desktop-only operations of the contract's `hostApi`: the native folder picker and "show in folder". */
import type { BrowserWindow, Dialog, Shell } from 'electron';
import { hostApi } from '../shared/api';
import { byChannel, type HandlersByFnName } from '../shared/bridge';
import { AppError } from '../shared/errors';
import type { ServedEngine } from '../shared/engine-port';

export function createHostHandlers(deps: {
  dialog: Pick<Dialog, 'showOpenDialog'>;
  shell: Pick<Shell, 'showItemInFolder'>;
  engine: Pick<ServedEngine, 'imagePath'>;
  window: () => BrowserWindow | null;
}) {
  const handlers: HandlersByFnName<typeof hostApi> = {
    hostPickFolder: async () => {
      const win = deps.window();
      if (!win) throw new AppError('INTERNAL', 'No window to attach the folder picker to.');
      const picked = await deps.dialog.showOpenDialog(win, { properties: ['openDirectory', 'dontAddToRecent'] });
      return { path: picked.canceled ? null : (picked.filePaths[0] ?? null) };
    },
    hostShowInFolder: async ({ id }) => {
      // The renderer names an item id; the path comes from the catalog, never from the page.
      deps.shell.showItemInFolder(await deps.engine.imagePath(id));
      return { shown: true };
    },
  };
  return byChannel(hostApi, handlers);
}
