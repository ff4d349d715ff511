/**
 * The renderer's client, derived from the contract: one typed function per channel. In Electron each calls the
 * preload's `window.api.<fn>`; in a browser each POSTs to the local server. Same interface either way.
 */
import { channels, eventNames, events as eventSchemas, type Api, type EventName, type HostApi, type Result } from '../../shared/api';
import { fnName, type ClientOf, type DesktopBridge, type EventSubscriptions } from '../../shared/bridge';
import { API_PREFIX, APP_ORIGIN, EVENTS_PATH } from '../../shared/web';

declare global {
  interface Window {
    /** Present only in the desktop app, put there by the preload. */
    api?: DesktopBridge;
  }
}

export type ApiClient = ClientOf<Api>;
type HostClient = ClientOf<HostApi>;

/** The value an operation resolves to, named by its client function (`Output<'searchByImage'>`). */
export type Output<F extends keyof ApiClient> = ApiClient[F] extends (input: never) => Promise<Result<infer T>> ? T : never;
/** An event's payload, named by its subscribe function (`EventOf<'indexOnProgress'>`). */
export type EventOf<F extends keyof EventSubscriptions> = Parameters<Parameters<EventSubscriptions[F]>[0]>[0];

export interface Client {
  readonly kind: 'desktop' | 'browser';
  readonly api: ApiClient;
  /** Native folder picker; null in the browser, which offers a path field instead. */
  readonly pickFolder: HostClient['hostPickFolder'] | null;
  /** Reveals an item in the OS file manager; null in the browser, which offers "copy path" instead. */
  readonly showInFolder: HostClient['hostShowInFolder'] | null;
  /** One subscribe function per contract event; each returns its unsubscribe function. */
  readonly events: EventSubscriptions;
  /** Absolute URL of a media route (`thumb/<id>`), resolved for the host. */
  mediaUrl(path: string): string;
}

function unreachable(): Result<never> {
  return { ok: false, error: { code: 'INTERNAL', message: 'The Lookalike server cannot be reached. Is it still running?' } };
}

function httpCall(channel: string) {
  return async (input: unknown): Promise<Result<unknown>> => {
    try {
      const res = await fetch(`${API_PREFIX}${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(input ?? {}),
      });
      const body = (await res.json()) as Result<unknown>;
      return typeof body === 'object' && body !== null && 'ok' in body ? body : unreachable();
    } catch {
      return unreachable();
    }
  };
}

function browserClient(): Client {
  const fns: Record<string, (input: unknown) => Promise<Result<unknown>>> = {};
  for (const channel of channels) fns[fnName(channel)] = httpCall(channel);

  // One EventSource for the page, opened on first subscription; it reconnects by itself.
  let source: EventSource | null = null;
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const ensureSource = (): EventSource => {
    if (source) return source;
    const opened = new EventSource(EVENTS_PATH);
    for (const name of eventNames) {
      opened.addEventListener(name, (e) => {
        const parsed = eventSchemas[name].safeParse(JSON.parse((e as MessageEvent<string>).data));
        if (parsed.success) for (const listener of listeners.get(name) ?? []) listener(parsed.data);
      });
    }
    return (source = opened);
  };
  const events: Record<string, unknown> = {};
  for (const name of eventNames) {
    events[fnName(name)] = (listener: (payload: unknown) => void) => {
      ensureSource();
      const set = listeners.get(name) ?? new Set();
      set.add(listener);
      listeners.set(name, set);
      return () => void set.delete(listener);
    };
  }

  return {
    kind: 'browser',
    api: fns as unknown as ApiClient,
    pickFolder: null,
    showInFolder: null,
    events: events as EventSubscriptions,
    mediaUrl: (path) => new URL(path, document.baseURI).href,
  };
}

function desktopClient(bridge: DesktopBridge): Client {
  const fns: Record<string, unknown> = {};
  for (const channel of channels) fns[fnName(channel)] = bridge[fnName(channel)];
  const events: Record<string, unknown> = {};
  for (const name of eventNames) events[fnName(name)] = bridge[fnName(name)];
  // In development the page comes from Vite's dev server, but media is still served by the app protocol.
  const mediaBase = location.protocol.startsWith('http') ? `${APP_ORIGIN}/` : document.baseURI;
  return {
    kind: 'desktop',
    api: fns as ApiClient,
    pickFolder: bridge.hostPickFolder,
    showInFolder: bridge.hostShowInFolder,
    events: events as EventSubscriptions,
    mediaUrl: (path) => new URL(path, mediaBase).href,
  };
}

export function createClient(): Client {
  return window.api ? desktopClient(window.api) : browserClient();
}
