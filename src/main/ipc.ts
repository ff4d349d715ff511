/**
 * Registers one IPC handler per contract channel (and per desktop-host operation) through the same
 * validate → call → `Result` helper the HTTP server uses. Only the app's own frame may call.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { Handlers, Operation } from '../shared/api';
import { dispatch } from '../shared/dispatch';

export interface IpcOptions {
  /** Whether the calling frame is the app's own page (not a navigated-to or injected frame). */
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  onUnexpected?: (channel: string, err: unknown) => void;
}

export function registerIpc<A extends Record<string, Operation>>(
  ipcMain: Pick<IpcMain, 'handle'>,
  contract: A,
  handlers: Handlers<A>,
  options: IpcOptions,
): void {
  for (const channel of Object.keys(contract)) {
    ipcMain.handle(channel, async (event, input) => {
      if (!options.isTrustedSender(event)) {
        return { ok: false, error: { code: 'FORBIDDEN', message: 'Calls are only accepted from the app window.' } };
      }
      return dispatch(contract, handlers, channel, input, options.onUnexpected ? { onUnexpected: options.onUnexpected } : {});
    });
  }
}
