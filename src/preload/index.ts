/** The sandboxed preload: exposes the typed contract bridge as `window.api` and nothing else. */
import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge } from './bridge';

contextBridge.exposeInMainWorld('api', buildBridge(ipcRenderer));
