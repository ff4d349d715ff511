/**
 * The main-process side of the engine's utility process: a `ServedEngine` whose every call is a tagged
 * message, so IPC handlers and the app protocol use it exactly like an in-process engine.
 */
import { channels, type ApiHandlers, type EventName, type EventPayload } from '../shared/api';
import { AppError, type ErrorPayload } from '../shared/errors';
import type { ServedEngine } from '../shared/engine-port';
import type { EngineInit, MessageEndpoint, WorkerRequest, WorkerResponse } from './worker-protocol';

export interface EngineProxy extends ServedEngine {
  /** Resolves once the engine opened its catalog and model; rejects with its AppError if that failed. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
  /** Fails every pending call, e.g. when the utility process died. */
  fail(error: ErrorPayload): void;
}

type Pending = { resolve: (value: unknown) => void; reject: (err: AppError) => void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function connectEngine(endpoint: MessageEndpoint<WorkerResponse, WorkerRequest>, init: EngineInit): EngineProxy {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let settleReady!: { resolve: () => void; reject: (err: AppError) => void };
  const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
  // Callers await `ready` when they need it; an unobserved failure must not crash main as unhandled.
  ready.catch(() => undefined);
  let settleClosed: (() => void) | null = null;

  endpoint.onMessage((msg) => {
    switch (msg.type) {
      case 'ready':
        settleReady.resolve();
        return;
      case 'initFailed':
        settleReady.reject(new AppError(msg.error.code, msg.error.message));
        return;
      case 'reply': {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) return;
        if (msg.result.ok) p.resolve(msg.result.value);
        else p.reject(new AppError(msg.result.error.code, msg.result.error.message));
        return;
      }
      case 'event':
        for (const listener of listeners.get(msg.name) ?? []) (listener as (p: unknown) => void)(msg.payload);
        return;
      case 'closed':
        settleClosed?.();
        return;
    }
  });

  function request<T>(message: DistributiveOmit<Extract<WorkerRequest, { id: number }>, 'id'>): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      endpoint.postMessage({ ...message, id } as WorkerRequest);
    });
  }

  const api = Object.fromEntries(
    channels.map((channel) => [channel, (input: unknown) => request({ type: 'call', channel, input })]),
  ) as unknown as ApiHandlers;

  endpoint.postMessage({ type: 'init', options: init });

  return {
    api,
    ready,
    events: {
      on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void) {
        const set = listeners.get(name) ?? new Set();
        set.add(listener as (payload: never) => void);
        listeners.set(name, set);
        return () => void set.delete(listener as (payload: never) => void);
      },
    },
    thumbnail: (itemId, size) => request({ type: 'thumbnail', itemId, size }),
    imagePath: (itemId) => request({ type: 'imagePath', itemId }),
    fail(error) {
      for (const p of pending.values()) p.reject(new AppError(error.code, error.message));
      pending.clear();
      settleReady.reject(new AppError(error.code, error.message));
    },
    close() {
      return new Promise<void>((resolve) => {
        settleClosed = resolve;
        endpoint.postMessage({ type: 'shutdown' });
      });
    },
  };
}
