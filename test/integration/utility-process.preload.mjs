// `node --import ./utility-process.preload.mjs out/main/engine.worker.js`, forked with an IPC channel: stands in for
// Electron's utility process, whose `process.parentPort` the bundled engine worker talks through, so the desktop
// bundle's engine runs in plain Node. Every decode that a worker thread of this process answers is reported to the
// parent as `{ probe: 'thread-decode', threadId }` (decodes done on the engine's own thread send nothing).
import { subscribe } from 'node:diagnostics_channel';

process.parentPort = {
  on: (_event, listener) => process.on('message', (data) => listener({ data })),
  postMessage: (message) => process.send(message),
};

subscribe('worker_threads', ({ worker }) => {
  const threadId = worker.threadId;
  worker.on('message', (reply) => {
    if (reply !== null && typeof reply === 'object' && reply.ok === true && 'decode' in reply) {
      process.send({ probe: 'thread-decode', threadId });
    }
  });
});
