/** Server-Sent Events: every contract event, pushed to each connected page. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { eventNames } from '../shared/api.js';
import type { EngineEvents } from '../shared/engine-port.js';

export interface EventStream {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

/** A page keeps one stream open; the cap stops a runaway client from holding unbounded sockets. */
const MAX_CLIENTS = 32;
const HEARTBEAT_MS = 20_000;

export function createEventStream(events: EngineEvents): EventStream {
  const clients = new Set<ServerResponse>();
  const unsubscribes = eventNames.map((name) =>
    events.on(name, (payload) => {
      const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const res of clients) res.write(frame);
    }),
  );
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': ping\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    handle(req, res) {
      if (clients.size >= MAX_CLIENTS) {
        res.writeHead(503, { 'Retry-After': '5' }).end();
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    close() {
      clearInterval(heartbeat);
      for (const off of unsubscribes) off();
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
