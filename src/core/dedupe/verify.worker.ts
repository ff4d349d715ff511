/**
 * A verification worker (see verification-pool.ts): views both sides' prepared signatures in their shared arenas
 * and answers each chunk of candidates with their outcomes, by the same verifyCandidate the calling thread uses.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toWireError } from '../base/wire-error.js';
import { viewSignatures } from '../images/signature-arena.js';
import type { PreparedSignature } from '../images/phash.js';
import { encodeOutcome, OUTCOME_FIELDS, TASK_FIELDS, type VerificationSide, type VerifyWorkerReply, type VerifyWorkerRequest, type VerifyWorkerSettings } from './verification-pool.js';
import { turnedSignatures, verifyCandidate } from './verify-candidate.js';

const port = parentPort;
if (!port) throw new Error('verify.worker.js runs as a worker thread only');
const settings = workerData as VerifyWorkerSettings;

/** Picture i's prepared signature on a side. */
function pictures(side: VerificationSide): (i: number) => PreparedSignature | undefined {
  const slots = viewSignatures(side.arena);
  return (i) => {
    const slot = side.slots[i]!;
    return slot < 0 ? undefined : slots[slot];
  };
}

const query = pictures(settings.queries);
const target = settings.targets ? pictures(settings.targets) : query;
const turned = turnedSignatures();

port.on('message', (request: VerifyWorkerRequest) => {
  if (request.op === 'close') return process.exit(0);
  try {
    const { tasks } = request;
    const n = tasks.length / TASK_FIELDS;
    const outcomes = new Float64Array(n * OUTCOME_FIELDS);
    for (let i = 0; i < n; i++) {
      const at = i * TASK_FIELDS;
      const q = tasks[at]!;
      const a = query(q);
      const b = target(tasks[at + 1]!);
      if (!a || !b) throw new Error(`verification worker: candidate ${q}–${tasks[at + 1]} has no signature`);
      encodeOutcome(outcomes, i, verifyCandidate(q, a, b, tasks[at + 2]!, tasks[at + 3]!, settings.accept, turned));
    }
    port.postMessage({ op: 'verified', id: request.id, outcomes } satisfies VerifyWorkerReply, [outcomes.buffer]);
  } catch (err) {
    port.postMessage({ op: 'failed', id: request.id, error: toWireError(err) } satisfies VerifyWorkerReply);
  }
});
