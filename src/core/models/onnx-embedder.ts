/**
 * An Embedder over one ONNX Runtime session, configured entirely by the model's manifest: pixels are packed
 * into a reused input buffer, run in batches, and each image's outputs are fused into one unit vector.
 */
import ort from '../base/onnx-runtime.js';
import type { InferenceSession } from '../base/onnx-runtime.js';
import { AppError } from '../../shared/errors.js';
import type { EmbedTimings, Embedder, ModelInputSpec } from './embedder.js';
import { averageViews, fuseImage, powerNormalizeInPlace, type FusionPart } from './fusion.js';
import type { ModelManifest } from './manifest.js';
import { createPixelPacker, packPixels, zoomOutPixels, type PixelPacker } from './preprocess.js';

export const DEFAULT_MAX_BATCH = 8;

export interface OnnxEmbedderOptions {
  /** The catalog identity (see embedderIdentity). */
  modelId: string;
  manifest: ModelManifest;
  session: InferenceSession;
  /** The provider the session runs on. */
  device: string;
  /** Images per inference call when the model's batch dimension is dynamic. */
  maxBatch?: number;
}

/** The model's fixed batch size, or undefined when the batch dimension is symbolic. */
export function fixedBatchSize(session: InferenceSession, inputName: string): number | undefined {
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  if (meta === undefined || !meta.isTensor) return undefined;
  const first = meta.shape[0];
  return typeof first === 'number' && first > 0 ? first : undefined;
}

/** The Embedder for any model described by a manifest; embed() calls are queued, close() waits for them. */
export class OnnxEmbedder implements Embedder {
  readonly modelId: string;
  readonly dim: number;
  readonly input: ModelInputSpec;
  readonly device: string;
  private readonly manifest: ModelManifest;
  private readonly packer: PixelPacker;
  /** What is embedded per image: the image itself, then its test-time augmentations (manifest `tta`). */
  private readonly viewKinds: readonly ('plain' | 'flip' | 'zoom')[];
  private readonly views: number;
  /** Model inputs per inference call (images × views). */
  private readonly batch: number;
  /** A fixed batch dimension forces every call to that size (the tail is zero-padded). */
  private readonly padToBatch: boolean;
  private readonly buffer: Float32Array;
  private readonly session: InferenceSession;
  private closed = false;
  /** Serialises embed() calls: they share `buffer`, and one session run already uses every intra-op thread. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: OnnxEmbedderOptions) {
    const { manifest, session } = options;
    this.modelId = options.modelId;
    this.manifest = manifest;
    this.session = session;
    this.device = options.device;
    this.dim = manifest.dim;
    this.input = { width: manifest.input.width, height: manifest.input.height, resize: manifest.input.resize };
    this.packer = createPixelPacker(manifest.input);
    this.viewKinds = ['plain', ...(manifest.tta?.flip ? (['flip'] as const) : []), ...(manifest.tta?.zoomOut !== undefined ? (['zoom'] as const) : [])];
    this.views = this.viewKinds.length;
    const fixed = fixedBatchSize(session, manifest.input.name);
    if (fixed !== undefined && fixed % this.views !== 0) {
      throw new AppError('MODEL_INVALID', `model ${options.modelId}: a fixed batch of ${fixed} cannot hold the ${this.views} views of an image (tta)`);
    }
    this.batch = fixed ?? this.views * Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_MAX_BATCH));
    this.padToBatch = fixed !== undefined;
    this.buffer = new Float32Array(this.batch * this.packer.size);
  }

  /** @throws AppError('INVALID_INPUT') when a buffer has the wrong length; AppError('INTERNAL') when inference fails. */
  async embed(pixels: readonly Buffer[], timings?: EmbedTimings): Promise<Float32Array[]> {
    if (this.closed) throw new Error(`embedder ${this.modelId} used after close()`);
    pixels.forEach((p, i) => {
      if (p.length !== this.packer.byteLength) {
        throw new AppError('INVALID_INPUT', `image ${i}: expected ${this.input.width}×${this.input.height} packed RGB (${this.packer.byteLength} bytes), got ${p.length}`);
      }
    });
    const run = this.queue.then(() => this.embedAll(pixels, timings));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async embedAll(pixels: readonly Buffer[], timings: EmbedTimings | undefined): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const perCall = this.batch / this.views;
    for (let start = 0; start < pixels.length; start += perCall) {
      out.push(...(await this.embedBatch(pixels.slice(start, start + perCall), timings)));
    }
    return out;
  }

  private async embedBatch(pixels: readonly Buffer[], timings: EmbedTimings | undefined): Promise<Float32Array[]> {
    const packStart = performance.now();
    const used = pixels.length * this.views;
    const n = this.padToBatch ? this.batch : used;
    // Views of one image are adjacent: image i's views start at i × views.
    pixels.forEach((p, i) => {
      this.viewKinds.forEach((kind, v) => {
        const offset = (i * this.views + v) * this.packer.size;
        if (kind === 'zoom') packPixels(this.packer, zoomOutPixels(p, this.packer.width, this.packer.height, this.manifest.tta!.zoomOut!), this.buffer, offset);
        else packPixels(this.packer, p, this.buffer, offset, kind === 'flip');
      });
    });
    if (n > used) this.buffer.fill(0, used * this.packer.size, n * this.packer.size);
    const { width, height } = this.packer;
    const dims = this.packer.layout === 'nchw' ? [n, 3, height, width] : [n, height, width, 3];
    const tensor = new ort.Tensor('float32', this.buffer.subarray(0, n * this.packer.size), dims);
    const runStart = performance.now();
    let results: InferenceSession.ReturnType;
    try {
      results = await this.session.run({ [this.manifest.input.name]: tensor });
    } catch (err) {
      throw new AppError('INTERNAL', `inference with model ${this.modelId} failed: ${(err as Error).message}`, { cause: err });
    }
    if (timings) {
      timings.preprocessMs += runStart - packStart;
      timings.inferenceMs += performance.now() - runStart;
    }
    const parts: FusionPart[] = this.manifest.outputs.map((o) => {
      const t = results[o.name];
      if (t === undefined || !(t.data instanceof Float32Array)) {
        throw new AppError('MODEL_INVALID', `model ${this.modelId}: output '${o.name}' is missing or not float32`);
      }
      if (t.data.length !== n * o.dim) {
        throw new AppError('MODEL_INVALID', `model ${this.modelId}: output '${o.name}' gives ${t.data.length / n} values per image, the manifest says ${o.dim}`);
      }
      return { data: t.data, dim: o.dim, weight: o.weight };
    });
    const { perOutputL2, power } = this.manifest.fusion;
    return pixels.map((_, i) => {
      const fused =
        this.views === 1
          ? fuseImage(parts, i, perOutputL2)
          : averageViews(Array.from({ length: this.views }, (_, v) => fuseImage(parts, i * this.views + v, perOutputL2)));
      return power === undefined ? fused : powerNormalizeInPlace(fused, power);
    });
  }

  /** Waits for queued batches, then releases the session; later embed() calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.session.release();
  }
}
