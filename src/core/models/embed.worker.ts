/**
 * One of EmbedderPool's workers (see embedder-pool.ts): opens the model folder with its own single-threaded session
 * and answers the embed calls the pool sends it (one at a time: the pool gives a busy worker no other).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nullLogger } from '../base/logger.js';
import { toWireError } from '../base/wire-error.js';
import type { EmbedTimings } from './embedder.js';
import type { EmbedWorkerReply, EmbedWorkerRequest, EmbedWorkerSettings } from './embedder-pool.js';
import { openModelDir } from './model-loader.js';

const port = parentPort;
if (!port) throw new Error('embed.worker.js runs as a worker thread only');
const settings = workerData as EmbedWorkerSettings;

try {
  const embedder = await openModelDir(settings.dir, {
    device: 'cpu',
    logger: nullLogger,
    intraOpThreads: settings.intraOpThreads,
    ...(settings.maxBatch === undefined ? {} : { maxBatch: settings.maxBatch }),
  });
  port.on('message', (request: EmbedWorkerRequest) => {
    if (request.op === 'close') {
      void embedder.close().then(() => port.close());
      return;
    }
    const timings: EmbedTimings = { preprocessMs: 0, inferenceMs: 0 };
    const own = (v: Float32Array) => (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v.buffer : v.slice().buffer) as ArrayBuffer;
    const pixels = request.pixels.map((b) => Buffer.from(b));
    const detailed = request.detail !== undefined && embedder.embedDetailed !== undefined;
    const done = detailed
      ? embedder.embedDetailed!(pixels, request.detail, timings)
      : embedder.embed(pixels, timings).then((vectors) => vectors.map((vector) => ({ vector, unpowered: vector, saliency: undefined as Float32Array | undefined })));
    done.then(
      (results) => {
        const vectors = results.map((r) => own(r.vector));
        // The unpowered vector may share the vector's buffer (no power normalisation): copied then, not moved twice.
        const unpowered = detailed ? results.map((r) => (r.unpowered === r.vector ? r.vector.slice().buffer : own(r.unpowered))) : undefined;
        const saliency = detailed && results.every((r) => r.saliency) ? results.map((r) => own(r.saliency!)) : undefined;
        const moved = [...vectors, ...(unpowered ?? []), ...(saliency ?? [])];
        port.postMessage(
          { op: 'embedded', id: request.id, vectors, timings, ...(unpowered ? { unpowered } : {}), ...(saliency ? { saliency } : {}) } satisfies EmbedWorkerReply,
          moved,
        );
      },
      (err: unknown) => port.postMessage({ op: 'failed', id: request.id, error: toWireError(err) } satisfies EmbedWorkerReply),
    );
  });
  port.postMessage({ op: 'ready', modelId: embedder.modelId, dim: embedder.dim } satisfies EmbedWorkerReply);
} catch (err) {
  port.postMessage({ op: 'open-failed', error: toWireError(err) } satisfies EmbedWorkerReply);
}
