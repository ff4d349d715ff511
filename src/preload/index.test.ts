import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channels, eventNames, hostChannels } from '../shared/api';
import { fnName } from '../shared/bridge';

// Electron is not installed in CI; the preload only touches contextBridge and ipcRenderer.
const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(async () => ({ ok: true, value: 'v' })), on: vi.fn(), removeListener: vi.fn() },
}));
vi.mock('electron', () => electron);

async function loadPreload(): Promise<Record<string, (...args: unknown[]) => unknown>> {
  vi.resetModules();
  electron.contextBridge.exposeInMainWorld.mockClear();
  await import('./index');
  expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  const [key, exposed] = electron.contextBridge.exposeInMainWorld.mock.calls[0]!;
  expect(key).toBe('api');
  return exposed as Record<string, (...args: unknown[]) => unknown>;
}

describe('preload', () => {
  beforeEach(() => {
    electron.ipcRenderer.invoke.mockClear();
    electron.ipcRenderer.on.mockClear();
    electron.ipcRenderer.removeListener.mockClear();
  });

  it('exposes exactly one function per contract channel, host operation and event, and nothing else', async () => {
    const api = await loadPreload();
    const expected = [...channels, ...hostChannels, ...eventNames].map(fnName).sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const fn of Object.values(api)) expect(typeof fn).toBe('function');
    expect(api).not.toHaveProperty('invoke');
    expect(api).not.toHaveProperty('ipcRenderer');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('maps each function to its own channel and forwards exactly one argument', async () => {
    const api = await loadPreload();
    for (const channel of [...channels, ...hostChannels]) {
      await api[fnName(channel)]!({ a: 1 }, 'smuggled', 'extra');
      expect(electron.ipcRenderer.invoke).toHaveBeenLastCalledWith(channel, { a: 1 });
    }
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledTimes(channels.length + hostChannels.length);
  });

  it('subscribes to events with the payload only, and unsubscribes', async () => {
    const api = await loadPreload();
    const name = eventNames[0]!;
    const listener = vi.fn();
    const off = api[fnName(name)]!(listener) as () => void;
    const [channel, forward] = electron.ipcRenderer.on.mock.calls[0] as unknown as [string, (e: unknown, p: unknown) => void];
    expect(channel).toBe(name);
    forward({ sender: 'secret' }, { done: 1 });
    expect(listener).toHaveBeenCalledWith({ done: 1 });
    expect(listener.mock.calls[0]).toHaveLength(1);
    off();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith(name, forward);
    expect(() => api[fnName(name)]!('not a function')).toThrow(TypeError);
  });
});
