/**
 * What a transport needs from the engine: the contract's handlers, its events and the two media lookups by
 * item id. Both hosts (the HTTP server, Electron's main via its utility-process proxy) serve this shape, so the
 * routes and the tests do not depend on how the engine is built or where it runs.
 */
import type { ApiHandlers, EventName, EventPayload } from './api.js';

export interface EngineEvents {
  /** Subscribes to one contract event; returns the unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export interface ServedEngine {
  readonly api: ApiHandlers;
  readonly events: EngineEvents;
  /**
   * The cached thumbnail file of a catalog item, rendered on first use.
   * @throws AppError('ITEM_NOT_FOUND') when the id is not in the catalog.
   */
  thumbnail(id: number, size: number): Promise<{ path: string; contentType: string }>;
  /**
   * The original file of a catalog item, looked up by id (never by a client-supplied path).
   * @throws AppError('ITEM_NOT_FOUND') when the id is not in the catalog.
   */
  imagePath(id: number): Promise<string>;
}
