/**
 * Several single-threaded ONNX Runtime sessions of one model, each on a worker thread, behind the Embedder interface:
 * for the index job, which keeps one embed() call per worker in flight (`parallel`).
 *
 * Why: one session with two intra-op threads splits every operator between them and waits for the slower. While the
 * job also decodes JPEGs on the same two cores, a decode that takes a core from one inference thread stalls both:
 * measured with `accurate` on 384 clothes-train photos and decodes running beside at the job's rate, one two-thread
 * session fell from 38 to 33–35 images/s, two one-thread sessions on workers from 40 to 36.5–37 (and without the
 * decodes they are a little faster too). Queries keep the two-thread session: one image, latency first.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromWireError, type WireError } from '../base/wire-error.js';
import type { DetailedEmbedding, EmbedDetailOptions, Embedder, EmbedTimings, ModelInputSpec } from './embedder.js';

/** What a worker is started with (see embed.worker.ts). */
export interface EmbedWorkerSettings {
  /** The verified model folder (registry.modelDirOf). */
  dir: string;
  intraOpThreads: number;
  maxBatch?: number;
}

/** `detail`: answer as embedDetailed() with these options. */
export type EmbedWorkerRequest = { op: 'embed'; id: number; pixels: ArrayBuffer[]; detail?: EmbedDetailOptions } | { op: 'close' };

export type EmbedWorkerReply =
  | { op: 'ready'; modelId: string; dim: number }
  | { op: 'embedded'; id: number; vectors: ArrayBuffer[]; timings: EmbedTimings; unpowered?: ArrayBuffer[]; saliency?: ArrayBuffer[] }
  | { op: 'failed'; id: number; error: WireError }
  | { op: 'open-failed'; error: WireError };

/** The compiled worker beside this module, when there is one (not under the TypeScript sources the tests run). */
export function defaultEmbedWorkerFile(): string | undefined {
  const file = fileURLToPath(new URL('./embed.worker.js', import.meta.url));
  return existsSync(file) ? file : undefined;
}

class EmbedWorker {
  readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: DetailedEmbedding[]) => void; reject: (e: unknown) => void; timings?: EmbedTimings }>();
  private next = 0;
  private failure: unknown;
  private closing = false;
  busy = 0;
  readonly ready: Promise<{ modelId: string; dim: number }>;

  constructor(file: string, settings: EmbedWorkerSettings) {
    this.worker = new Worker(file, { workerData: settings });
    // A job abandoned without close() must not keep the process alive.
    this.worker.unref();
    let started: (v: { modelId: string; dim: number }) => void = () => undefined;
    let refused: (e: unknown) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      started = resolve;
      refused = reject;
    });
    this.worker.on('message', (reply: EmbedWorkerReply) => {
      switch (reply.op) {
        case 'ready':
          return started({ modelId: reply.modelId, dim: reply.dim });
        case 'open-failed':
          return refused(fromWireError(reply.error, 'embedding worker'));
        case 'embedded':
        case 'failed': {
          const waiting = this.pending.get(reply.id);
          if (!waiting) return;
          this.pending.delete(reply.id);
          if (reply.op === 'failed') return waiting.reject(fromWireError(reply.error, 'embedding worker'));
          if (waiting.timings) {
            waiting.timings.preprocessMs += reply.timings.preprocessMs;
            waiting.timings.inferenceMs += reply.timings.inferenceMs;
          }
          return waiting.resolve(
            reply.vectors.map((b, i): DetailedEmbedding => {
              const vector = new Float32Array(b);
              const unpowered = reply.unpowered?.[i];
              const saliency = reply.saliency?.[i];
              return { vector, unpowered: unpowered ? new Float32Array(unpowered) : vector, ...(saliency ? { saliency: new Float32Array(saliency) } : {}) };
            }),
          );
        }
      }
    });
    const fail = (err: unknown) => {
      this.failure ??= err;
      refused(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (!this.closing) fail(new Error(`an embedding worker exited with code ${code}`));
    });
  }

  embed(pixels: readonly Buffer[], timings: EmbedTimings | undefined, detail?: EmbedDetailOptions): Promise<DetailedEmbedding[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.next++;
    // Copied into buffers of their own to transfer them (a Buffer may be a slice of a shared pool).
    const moved = pixels.map((p) => {
      const b = new ArrayBuffer(p.length);
      new Uint8Array(b).set(p);
      return b;
    });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(timings ? { timings } : {}) });
      this.worker.postMessage({ op: 'embed', id, pixels: moved, ...(detail ? { detail } : {}) } satisfies EmbedWorkerRequest, moved);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.pending.values()) p.reject(new Error('the embedding worker was closed'));
    this.pending.clear();
    await this.worker.terminate();
  }
}

export class EmbedderPool implements Embedder {
  readonly modelId: string;
  readonly dim: number;
  readonly input: ModelInputSpec;
  readonly device = 'cpu';
  readonly saliency?: { height: number; width: number };
  /** How many embed() calls run at once: one per worker. */
  readonly parallel: number;
  private readonly waiting: (() => void)[] = [];

  private constructor(
    like: Embedder,
    private readonly workers: EmbedWorker[],
  ) {
    this.modelId = like.modelId;
    this.dim = like.dim;
    this.input = like.input;
    if (like.saliency) this.saliency = like.saliency;
    this.parallel = workers.length;
  }

  /**
   * Starts `workers` workers, each opening the model in `settings.dir`, and checks that they load what `like` is.
   * @throws AppError from opening the model, or Error when a worker loads a different model.
   */
  static async open(like: Embedder, workers: number, settings: EmbedWorkerSettings, workerFile: string): Promise<EmbedderPool> {
    const started = Array.from({ length: workers }, () => new EmbedWorker(workerFile, settings));
    try {
      for (const info of await Promise.all(started.map((w) => w.ready))) {
        if (info.modelId !== like.modelId || info.dim !== like.dim) {
          throw new Error(`an embedding worker loaded ${info.modelId} (${info.dim} dims), not ${like.modelId} (${like.dim})`);
        }
      }
    } catch (err) {
      await Promise.all(started.map((w) => w.close()));
      throw err;
    }
    return new EmbedderPool(like, started);
  }

  /**
   * On an idle worker; a call made while every worker is busy waits for one. The worker's embedder checks the input:
   * its INVALID_INPUT crosses back as itself.
   */
  async embed(pixels: readonly Buffer[], timings?: EmbedTimings): Promise<Float32Array[]> {
    return (await this.onIdle(pixels, timings)).map((d) => d.vector);
  }

  /** embed() as embedDetailed() on the worker's own embedder. */
  async embedDetailed(pixels: readonly Buffer[], options: EmbedDetailOptions = {}, timings?: EmbedTimings): Promise<DetailedEmbedding[]> {
    return this.onIdle(pixels, timings, options);
  }

  private async onIdle(pixels: readonly Buffer[], timings: EmbedTimings | undefined, detail?: EmbedDetailOptions): Promise<DetailedEmbedding[]> {
    let worker = this.idle();
    while (worker === undefined) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      worker = this.idle();
    }
    worker.busy += 1;
    try {
      return await worker.embed(pixels, timings, detail);
    } finally {
      worker.busy -= 1;
      this.waiting.shift()?.();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private idle(): EmbedWorker | undefined {
    return this.workers.find((w) => w.busy === 0);
  }
}
