/**
 * The tagged-union messages between Electron's main process and the engine's utility process (Signal's
 * main/worker split): main validates, the worker computes, and only plain data crosses.
 */
import type { Channel, EventName, Result } from '../shared/api';
import type { ErrorPayload } from '../shared/errors';

export interface EngineInit {
  dataDir: string;
  modelId?: string;
}

export type WorkerRequest =
  | { type: 'init'; options: EngineInit }
  | { type: 'call'; id: number; channel: Channel; input: unknown }
  | { type: 'thumbnail'; id: number; itemId: number; size: number }
  | { type: 'imagePath'; id: number; itemId: number }
  | { type: 'shutdown' };

export type WorkerResponse =
  | { type: 'ready' }
  | { type: 'initFailed'; error: ErrorPayload }
  | { type: 'reply'; id: number; result: Result<unknown> }
  | { type: 'event'; name: EventName; payload: unknown }
  | { type: 'closed' };

/** What both ends need of a message channel: Electron's parentPort / UtilityProcess, or a test double. */
export interface MessageEndpoint<In, Out> {
  postMessage(message: Out): void;
  onMessage(listener: (message: In) => void): void;
}
