/**
 * The utility-process side: an adapter over the same Engine the CLI and the server use. It answers each
 * tagged request with a `Result`, forwards engine events, and never lets an exception escape.
 */
import { eventNames } from '../shared/api';
import { AppError, missingCase, toErrorPayload } from '../shared/errors';
import type { ServedEngine } from '../shared/engine-port';
import type { EngineInit, MessageEndpoint, WorkerRequest, WorkerResponse } from './worker-protocol';

export interface WorkerEngine extends ServedEngine {
  close(): Promise<void>;
}

export function serveEngine(
  endpoint: MessageEndpoint<WorkerRequest, WorkerResponse>,
  open: (init: EngineInit) => Promise<WorkerEngine>,
  onClosed: () => void,
): void {
  let engine: Promise<WorkerEngine> | null = null;

  const reply = async (id: number, run: (e: WorkerEngine) => Promise<unknown>): Promise<void> => {
    try {
      if (!engine) throw new AppError('INTERNAL', 'Engine used before init.');
      endpoint.postMessage({ type: 'reply', id, result: { ok: true, value: await run(await engine) } });
    } catch (err) {
      endpoint.postMessage({ type: 'reply', id, result: { ok: false, error: toErrorPayload(err) } });
    }
  };

  endpoint.onMessage((msg) => {
    switch (msg.type) {
      case 'init': {
        if (engine) return;
        engine = open(msg.options);
        engine.then(
          (e) => {
            for (const name of eventNames) e.events.on(name, (payload) => endpoint.postMessage({ type: 'event', name, payload }));
            endpoint.postMessage({ type: 'ready' });
          },
          (err: unknown) => endpoint.postMessage({ type: 'initFailed', error: toErrorPayload(err) }),
        );
        return;
      }
      case 'call': {
        const handler = (e: WorkerEngine) => (e.api[msg.channel] as (input: unknown) => Promise<unknown>)(msg.input);
        void reply(msg.id, handler);
        return;
      }
      case 'thumbnail':
        void reply(msg.id, (e) => e.thumbnail(msg.itemId, msg.size));
        return;
      case 'imagePath':
        void reply(msg.id, (e) => e.imagePath(msg.itemId));
        return;
      case 'shutdown':
        void (async () => {
          try {
            await (await engine)?.close();
          } finally {
            endpoint.postMessage({ type: 'closed' });
            onClosed();
          }
        })();
        return;
      default:
        missingCase(msg);
    }
  });
}
