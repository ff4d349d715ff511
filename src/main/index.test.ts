import { afterEach, describe, expect, it, vi } from 'vitest';
import { channels, hostChannels } from '../shared/api';
import { APP_ORIGIN, APP_SCHEME } from '../shared/web';

// The whole electron module, faked: main's wiring is checked without the Electron binary.
const fake = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>();
  const appListeners = new Map<string, (...args: unknown[]) => void>();
  const windows: { options: unknown; url?: string }[] = [];
  const child = { postMessage: vi.fn(), on: vi.fn(), kill: vi.fn() };
  class BrowserWindow {
    webContents = { on: vi.fn(), setWindowOpenHandler: vi.fn(), send: vi.fn(), isDestroyed: () => false };
    constructor(options: unknown) {
      windows.push({ options });
    }
    once = vi.fn();
    on = vi.fn();
    isDestroyed = () => false;
    loadURL = vi.fn(async (url: string) => void (windows.at(-1)!.url = url));
  }
  return {
    handlers,
    appListeners,
    windows,
    child,
    electron: {
      app: {
        whenReady: vi.fn(async () => undefined),
        on: vi.fn((event: string, listener: (...args: unknown[]) => void) => void appListeners.set(event, listener)),
        quit: vi.fn(),
        requestSingleInstanceLock: vi.fn(() => true),
        getPath: vi.fn(() => '/tmp'),
        isPackaged: false,
      },
      BrowserWindow,
      ipcMain: { handle: vi.fn((channel: string, h: never) => handlers.set(channel, h)) },
      protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
      session: {
        defaultSession: {
          webRequest: { onHeadersReceived: vi.fn() },
          setPermissionRequestHandler: vi.fn(),
          setPermissionCheckHandler: vi.fn(),
        },
      },
      utilityProcess: { fork: vi.fn(() => child) },
      dialog: { showOpenDialog: vi.fn(), showErrorBox: vi.fn() },
      shell: { showItemInFolder: vi.fn() },
    },
  };
});
vi.mock('electron', () => fake.electron);

afterEach(() => vi.clearAllMocks());

describe('electron main wiring', () => {
  it('registers the app scheme, hardens the session, runs the engine in a utility process and opens a secure window', async () => {
    await import('./index');
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
    const e = fake.electron;

    expect(e.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: APP_SCHEME, privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
    expect(e.protocol.handle).toHaveBeenCalledWith(APP_SCHEME, expect.any(Function));
    expect(e.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
    expect(e.session.defaultSession.webRequest.onHeadersReceived).toHaveBeenCalled();
    expect(e.app.on).toHaveBeenCalledWith('web-contents-created', expect.any(Function));

    // Heavy work is off main: the engine is a forked utility process, initialised over the tagged protocol.
    expect(e.utilityProcess.fork).toHaveBeenCalledWith(expect.stringMatching(/engine\.worker\.js$/), [], expect.anything());
    expect(fake.child.postMessage).toHaveBeenCalledWith(expect.objectContaining({ type: 'init' }));

    // One IPC handler per contract channel and host operation; nothing else.
    expect([...fake.handlers.keys()].sort()).toEqual([...channels, ...hostChannels].sort());

    const win = fake.windows[0]!;
    expect(win.url).toBe(`${APP_ORIGIN}/index.html`);
    expect(win.options).toMatchObject({
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, preload: expect.stringMatching(/index\.cjs$/) },
    });
  });

  it('hardens every web contents the app creates, not only the main window', async () => {
    await import('./index');
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
    const created = fake.appListeners.get('web-contents-created');
    expect(created).toBeDefined();
    const listeners = new Map<string, (...a: unknown[]) => void>();
    let openHandler: ((d: { url: string }) => unknown) | undefined;
    const contents = {
      on: vi.fn((event: string, l: (...a: unknown[]) => void) => void listeners.set(event, l)),
      setWindowOpenHandler: vi.fn((h: (d: { url: string }) => unknown) => (openHandler = h)),
    };
    created!({}, contents);
    expect(openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const navigate = { preventDefault: vi.fn() };
    listeners.get('will-navigate')?.(navigate, 'https://evil.example/');
    expect(navigate.preventDefault).toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    listeners.get('will-attach-webview')?.(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('refuses IPC from frames that are not the app and validates input before the engine sees it', async () => {
    await import('./index');
    await vi.waitFor(() => expect(fake.handlers.size).toBeGreaterThan(0));
    const [firstChannel] = channels;
    const handler = fake.handlers.get(firstChannel!)!;
    expect(await handler({ senderFrame: { url: 'https://evil.example/' } }, {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await handler({ senderFrame: null }, {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const [showInFolder] = hostChannels.filter((c) => c !== hostChannels[0]);
    const before = fake.child.postMessage.mock.calls.length;
    const bad = await fake.handlers.get(showInFolder!)!({ senderFrame: { url: `${APP_ORIGIN}/index.html` } }, { id: '../../etc/passwd' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(fake.child.postMessage.mock.calls.length).toBe(before);
  });
});
