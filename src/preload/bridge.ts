/**
 * Builds `window.api`: one named function per contract channel, per desktop-host operation and per event,
 * derived from the contract. Nothing generic (no `invoke(channel)`, no `ipcRenderer`) crosses the bridge.
 */
import { channels, eventNames, hostChannels } from '../shared/api';
import { fnName, type DesktopBridge } from '../shared/bridge';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function buildBridge(ipc: IpcRendererLike): DesktopBridge {
  const bridge: Record<string, unknown> = {};
  for (const channel of [...channels, ...hostChannels]) {
    // Exactly one argument is forwarded, whatever the page passes; main validates it against the schema.
    bridge[fnName(channel)] = (input: unknown) => ipc.invoke(channel, input);
  }
  for (const name of eventNames) {
    bridge[fnName(name)] = (listener: unknown) => {
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      // Only the payload is passed on: the IPC event object would hand the page a reference to `sender`.
      const forward = (_event: unknown, payload: unknown) => (listener as (p: unknown) => void)(payload);
      ipc.on(name, forward);
      return () => void ipc.removeListener(name, forward);
    };
  }
  return Object.freeze(bridge) as DesktopBridge;
}
