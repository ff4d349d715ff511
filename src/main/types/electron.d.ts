/**
 * The subset of Electron's API that main and preload use, with Electron's own signatures. Electron is an
 * optional dependency that is often absent (its binary cannot be downloaded everywhere), so type checking uses
 * this file via `paths` in tsconfig.node-electron.json; widen it when code needs more of Electron.
 */

export interface Event {
  preventDefault(): void;
}

export interface WebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  nodeIntegrationInWorker?: boolean;
  nodeIntegrationInSubFrames?: boolean;
  webSecurity?: boolean;
  allowRunningInsecureContent?: boolean;
  webviewTag?: boolean;
  navigateOnDragDrop?: boolean;
  spellcheck?: boolean;
  devTools?: boolean;
}

export interface BrowserWindowConstructorOptions {
  width?: number;
  height?: number;
  minWidth?: number;
  minHeight?: number;
  show?: boolean;
  title?: string;
  /** The window and taskbar icon (Linux, Windows); a PNG path. */
  icon?: string;
  backgroundColor?: string;
  autoHideMenuBar?: boolean;
  webPreferences?: WebPreferences;
}

export interface HandlerDetails {
  url: string;
}

export type WindowOpenHandlerResponse = { action: 'deny' } | { action: 'allow' };

export interface OnHeadersReceivedListenerDetails {
  url: string;
  responseHeaders?: Record<string, string[]>;
}

export interface HeadersReceivedResponse {
  cancel?: boolean;
  responseHeaders?: Record<string, string | string[]>;
}

export interface WebRequest {
  onHeadersReceived(
    listener: (details: OnHeadersReceivedListenerDetails, callback: (response: HeadersReceivedResponse) => void) => void,
  ): void;
}

export interface Session {
  webRequest: WebRequest;
  setPermissionRequestHandler(
    handler: ((webContents: WebContents, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: WebContents | null, permission: string) => boolean) | null): void;
}

export interface WebContents {
  readonly id: number;
  session: Session;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: Event, url: string) => void): this;
  on(event: 'will-attach-webview', listener: (event: Event) => void): this;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export declare class BrowserWindow {
  constructor(options?: BrowserWindowConstructorOptions);
  webContents: WebContents;
  loadURL(url: string): Promise<void>;
  show(): void;
  isDestroyed(): boolean;
  once(event: 'ready-to-show', listener: () => void): this;
  on(event: 'closed', listener: () => void): this;
  static getAllWindows(): BrowserWindow[];
}

export interface WebFrameMain {
  url: string;
}

export interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
}

export interface IpcMain {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown> | unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcRendererEvent {
  sender: unknown;
}

export interface IpcRenderer {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): this;
  removeListener(channel: string, listener: (...args: unknown[]) => void): this;
}

export interface ContextBridge {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

export interface CustomScheme {
  scheme: string;
  privileges?: {
    standard?: boolean;
    secure?: boolean;
    supportFetchAPI?: boolean;
    corsEnabled?: boolean;
    stream?: boolean;
    codeCache?: boolean;
  };
}

export interface Protocol {
  registerSchemesAsPrivileged(customSchemes: CustomScheme[]): void;
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
}

export interface OpenDialogOptions {
  title?: string;
  properties?: Array<'openFile' | 'openDirectory' | 'multiSelections' | 'createDirectory' | 'dontAddToRecent'>;
}

export interface OpenDialogReturnValue {
  canceled: boolean;
  filePaths: string[];
}

export interface Dialog {
  showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showErrorBox(title: string, content: string): void;
}

export interface Shell {
  showItemInFolder(fullPath: string): void;
}

export interface MessageEvent {
  data: unknown;
}

export interface ParentPort {
  on(event: 'message', listener: (messageEvent: MessageEvent) => void): this;
  postMessage(message: unknown): void;
}

export interface UtilityProcess {
  pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'spawn', listener: () => void): this;
  kill(): boolean;
}

export interface ForkOptions {
  env?: Record<string, string | undefined>;
  serviceName?: string;
  stdio?: 'pipe' | 'ignore' | 'inherit';
}

export interface UtilityProcessStatic {
  fork(modulePath: string, args?: string[], options?: ForkOptions): UtilityProcess;
}

export interface App {
  whenReady(): Promise<void>;
  on(event: 'window-all-closed' | 'activate', listener: () => void): this;
  on(event: 'before-quit', listener: (event: Event) => void): this;
  on(event: 'web-contents-created', listener: (event: Event, contents: WebContents) => void): this;
  quit(): void;
  getPath(name: 'userData' | 'home' | 'pictures'): string;
  requestSingleInstanceLock(): boolean;
  readonly isPackaged: boolean;
}

export declare const app: App;
export declare const ipcMain: IpcMain;
export declare const ipcRenderer: IpcRenderer;
export declare const contextBridge: ContextBridge;
export declare const protocol: Protocol;
export declare const dialog: Dialog;
export declare const shell: Shell;
export declare const session: { defaultSession: Session };
export declare const utilityProcess: UtilityProcessStatic;
export declare const net: { fetch(input: string, init?: RequestInit): Promise<Response> };
