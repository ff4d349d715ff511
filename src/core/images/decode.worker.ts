/**
 * The index job's decode worker (see file-decoder.ts): a message adapter over LocalFileDecoder, on a thread whose
 * event loop keeps reading and decoding while the main thread is blocked in inference. LocalFileDecoder bounds the
 * reads and decodes running at once and the bytes held between a read and its decode.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toWireError } from '../base/wire-error.js';
import { LocalFileDecoder, type DecodeSettings, type DecodeWorkerReply, type DecodeWorkerRequest } from './file-decoder.js';

const port = parentPort;
if (!port) throw new Error('decode.worker.js runs as a worker thread only');
const decoder = new LocalFileDecoder(workerData as DecodeSettings);

port.on('message', (request: DecodeWorkerRequest) => {
  if (request.op === 'close') {
    void decoder.close().then(() => port.postMessage({ id: -1, ok: true, closed: true } satisfies DecodeWorkerReply));
    return;
  }
  void handle(request).then(
    (reply) => {
      if (reply === undefined) return;
      if ('decode' in reply) port.postMessage(reply, [reply.decode.decoded.pixels]);
      else port.postMessage(reply);
    },
    (err: unknown) => port.postMessage({ id: request.id, ok: false, error: toWireError(err) } satisfies DecodeWorkerReply),
  );
});

async function handle(request: Exclude<DecodeWorkerRequest, { op: 'close' }>): Promise<DecodeWorkerReply | undefined> {
  switch (request.op) {
    case 'read':
      return { id: request.id, ok: true, read: await decoder.read(request.id, request.path, request.size) };
    case 'decode': {
      const { decoded, ...rest } = await decoder.decode(request.id);
      // Copied into an ArrayBuffer of its own to transfer it: sharp's output may be external memory, which cannot move.
      const pixels = new ArrayBuffer(decoded.pixels.length);
      new Uint8Array(pixels).set(decoded.pixels);
      return { id: request.id, ok: true, decode: { ...rest, decoded: { ...decoded, pixels } } };
    }
    case 'drop':
      decoder.drop(request.id);
      return undefined;
  }
}
