/** A small typed event emitter keyed by the contract's `events`: payload types come from src/shared/api.ts. */
import type { EventName, EventPayload } from '../../shared/api.js';
import type { EngineEvents } from '../../shared/engine-port.js';
import type { Logger } from './logger.js';

export type EventListener<E extends EventName> = (payload: EventPayload<E>) => void;

/** The engine's events: transports subscribe through EngineEvents (shared), the jobs emit. */
export class EventHub implements EngineEvents {
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();

  constructor(private readonly logger: Logger) {}

  /** Subscribes to one event. @returns the unsubscribe function. */
  on<E extends EventName>(name: E, listener: EventListener<E>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => this.off(name, listener);
  }

  off<E extends EventName>(name: E, listener: EventListener<E>): void {
    this.listeners.get(name)?.delete(listener as (payload: never) => void);
  }

  /** Delivers synchronously; a throwing subscriber is logged and never breaks the job that emits. */
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      try {
        (listener as EventListener<E>)(payload);
      } catch (err) {
        this.logger.error('event listener failed', { event: name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
