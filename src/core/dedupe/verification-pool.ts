/**
 * Dedupe's signature verification on worker threads, one per core: at 100k pictures it is ~2 million candidate
 * pairs and most of a `dupes` run's CPU, all of it on the main thread before. The workers view the prepared
 * signatures in shared memory (images/signature-arena.ts) and receive only the candidates, in chunks; the caller
 * settles the outcomes chunk by chunk in candidate order, so the pairs come out exactly as on one thread, and its
 * event loop stays free while the workers compute (a server answers requests meanwhile).
 *
 * Running from TypeScript sources (tests), the worker's compiled module does not exist: startVerificationPool then
 * answers undefined and the caller verifies on its own thread, with the same verifyCandidate.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/errors.js';
import { fromWireError, type WireError } from '../base/wire-error.js';
import type { SignatureArena } from '../images/signature-arena.js';
import type { CandidateOutcome } from './verify-candidate.js';

/** One side's pictures in an arena: the slot of picture i, or −1 when it has no signature. */
export interface VerificationSide {
  arena: SignatureArena;
  slots: Int32Array;
}

/** What a worker is started with; `targets` is absent when one side is compared with itself. */
export interface VerifyWorkerSettings {
  queries: VerificationSide;
  targets?: VerificationSide;
  accept: number;
}

/** `tasks`: TASK_FIELDS int32 per candidate (query, target, turns, flags: see candidateFlags). */
export type VerifyWorkerRequest = { op: 'verify'; id: number; tasks: Int32Array } | { op: 'close' };
/** `outcomes`: OUTCOME_FIELDS f64 per candidate (see encodeOutcome). */
export type VerifyWorkerReply = { op: 'verified'; id: number; outcomes: Float64Array } | { op: 'failed'; id: number; error: WireError };

export const TASK_FIELDS = 4;
export const OUTCOME_FIELDS = 12;

/** Writes outcome `o` as candidate `i` of `out`. */
export function encodeOutcome(out: Float64Array, i: number, o: CandidateOutcome): void {
  const at = i * OUTCOME_FIELDS;
  out[at + 1] = o.searched ? 1 : 0;
  const v = o.verified;
  if (!v) return;
  const al = v.alignment;
  out.set([1, o.searched ? 1 : 0, v.agreement, v.quarters, al.host === 'a' ? 0 : 1, al.x, al.y, al.w, al.h, al.mirrored ? 1 : 0, al.coarse, v.contained ? 1 : 0], at);
}

export function decodeOutcome(out: Float64Array, i: number): CandidateOutcome {
  const at = i * OUTCOME_FIELDS;
  const searched = out[at + 1] === 1;
  if (out[at] !== 1) return { searched };
  const f = (k: number) => out[at + k]!;
  return {
    searched,
    verified: {
      agreement: f(2),
      quarters: f(3) as 0 | 1 | 2 | 3,
      alignment: { host: f(4) === 0 ? 'a' : 'b', x: f(5), y: f(6), w: f(7), h: f(8), mirrored: f(9) === 1, coarse: f(10) },
      contained: f(11) === 1,
    },
  };
}

/** The compiled worker beside this module (tsc's dist/), when it exists. */
function defaultVerifyWorkerFile(): string | undefined {
  const file = fileURLToPath(new URL('./verify.worker.js', import.meta.url));
  return existsSync(file) ? file : undefined;
}

/** Candidates per message: big enough that messaging is noise (a chunk takes milliseconds), small enough to balance. */
const CHUNK = 512;
/** Chunks in flight per worker, so none waits for the caller between two. */
const IN_FLIGHT = 2;

/**
 * The outcome of every candidate, chunk by chunk in order (`settle(first, outcomes)`: outcomes of candidates
 * first, first + 1, ...), verified on `threads` workers (default: one per core). Undefined when there is no
 * worker module or only one core: the caller then verifies on its own thread.
 * @throws AppError CANCELLED when `signal` aborts.
 */
export async function verifyOnWorkers(
  settings: VerifyWorkerSettings,
  tasks: Int32Array,
  settle: (first: number, outcomes: Float64Array) => void,
  options: { signal?: AbortSignal; threads?: number; workerFile?: string } = {},
): Promise<boolean> {
  const file = options.workerFile ?? defaultVerifyWorkerFile();
  const threads = options.threads ?? availableParallelism();
  if (file === undefined || threads < 2) return false;
  const count = tasks.length / TASK_FIELDS;
  const chunks = Math.ceil(count / CHUNK);
  const workers = Array.from({ length: Math.min(threads, chunks) }, () => new Worker(file, { workerData: settings }));
  const done = new Map<number, Float64Array>();
  let next = 0;
  let settled = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const abort = () => reject(new AppError('CANCELLED', 'Cancelled.'));
      if (options.signal?.aborted) return abort();
      options.signal?.addEventListener('abort', abort, { once: true });
      const finish = (err?: unknown) => {
        options.signal?.removeEventListener('abort', abort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const send = (worker: Worker) => {
        if (next >= chunks) return;
        const id = next++;
        // A copy of the chunk's tasks, transferred: the full list stays with the caller.
        const part = tasks.slice(id * CHUNK * TASK_FIELDS, Math.min(count, (id + 1) * CHUNK) * TASK_FIELDS);
        worker.postMessage({ op: 'verify', id, tasks: part } satisfies VerifyWorkerRequest, [part.buffer]);
      };
      for (const worker of workers) {
        worker.on('message', (reply: VerifyWorkerReply) => {
          if (reply.op === 'failed') return finish(fromWireError(reply.error, 'verification worker'));
          done.set(reply.id, reply.outcomes);
          try {
            for (let out = done.get(settled); out; out = done.get(settled)) {
              done.delete(settled);
              settle(settled * CHUNK, out);
              settled++;
            }
          } catch (err) {
            return finish(err);
          }
          if (settled === chunks) return finish();
          send(worker);
        });
        worker.on('error', finish);
        worker.on('exit', (code) => {
          if (settled < chunks) finish(new Error(`a verification worker exited with code ${code}`));
        });
        for (let k = 0; k < IN_FLIGHT; k++) send(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return true;
}
