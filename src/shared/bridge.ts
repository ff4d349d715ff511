/**
 * How a contract channel becomes a typed function name on the client side (`library:addFolder` →
 * `libraryAddFolder`, `index:onProgress` → `indexOnProgress`). The preload, the renderer's client and their
 * tests all derive names with this one function, so no channel string is written outside `api.ts`.
 */
import type { z } from 'zod';
import type { Api, EventName, EventPayload, HostApi, Operation, Result } from './api.js';

export type FnName<C extends string> = C extends `${infer D}:${infer V}` ? `${D}${Capitalize<V>}` : never;

export function fnName<C extends string>(channel: C): FnName<C> {
  const sep = channel.indexOf(':');
  if (sep <= 0 || sep === channel.length - 1) throw new Error(`Not a domain:verb channel: ${channel}`);
  const verb = channel.slice(sep + 1);
  return `${channel.slice(0, sep)}${verb.charAt(0).toUpperCase()}${verb.slice(1)}` as FnName<C>;
}

/** One promise-returning function per operation, each resolving to the transport envelope. */
export type ClientOf<A extends Record<string, Operation>> = {
  [C in keyof A & string as FnName<C>]: (input: z.input<A[C]['input']>) => Promise<Result<z.output<A[C]['output']>>>;
};

/** One subscribe function per event; it returns the unsubscribe function. */
export type EventSubscriptions = {
  [E in EventName as FnName<E>]: (listener: (payload: EventPayload<E>) => void) => () => void;
};

/** Exactly what the Electron preload exposes as `window.api`: the contract, the host extras and the events. */
export type DesktopBridge = ClientOf<Api> & ClientOf<HostApi> & EventSubscriptions;

/** Handlers written by function name (`hostPickFolder`), so implementations never spell a channel string. */
export type HandlersByFnName<A extends Record<string, Operation>> = {
  [C in keyof A & string as FnName<C>]: (input: z.output<A[C]['input']>) => Promise<z.output<A[C]['output']>>;
};

/** Re-keys `HandlersByFnName` by channel, the shape `dispatch` and the transports register. */
export function byChannel<A extends Record<string, Operation>>(
  contract: A,
  handlers: HandlersByFnName<A>,
): { [C in keyof A]: (input: z.output<A[C]['input']>) => Promise<z.output<A[C]['output']>> } {
  const named = handlers as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(contract).map((channel) => [channel, named[fnName(channel)]])) as never;
}
