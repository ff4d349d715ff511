/**
 * Entry of the engine's utility process: ONNX inference, decoding and SQLite writes run here, off the UI
 * thread of main. It only speaks the tagged messages of worker-protocol.ts.
 */
/// <reference types="electron-vite/node" />
import { createEngine } from '../core/app/engine';
// electron-vite bundles the index job's decode and embedding workers on their own and gives their paths from this
// chunk, so the workers ship with the app wherever chunks land (the core's defaults look beside their modules, which a
// bundle moves).
import decodeWorkerFile from '../core/images/decode.worker?modulePath';
import embedWorkerFile from '../core/models/embed.worker?modulePath';
import verifyWorkerFile from '../core/dedupe/verify.worker?modulePath';
import { createLogger } from '../core/base/logger';
import { toServedEngine } from '../core/app/host/served-engine';
import { serveEngine } from './engine-worker-adapter';
import type { WorkerRequest, WorkerResponse } from './worker-protocol';

// Electron gives a utility process `process.parentPort`; Node's typings do not know it.
const parentPort = (process as unknown as {
  parentPort: { on(e: 'message', l: (ev: { data: unknown }) => void): void; postMessage(m: unknown): void };
}).parentPort;

const logger = createLogger({ level: 'info' });

serveEngine(
  {
    postMessage: (message: WorkerResponse) => parentPort.postMessage(message),
    onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as WorkerRequest)),
  },
  async (init) =>
    toServedEngine(
      await createEngine({ dataDir: init.dataDir, ...(init.modelId ? { modelId: init.modelId } : {}), logger, decodeWorkerFile, embedWorkerFile, verifyWorkerFile }),
    ),
  () => process.exit(0),
);
