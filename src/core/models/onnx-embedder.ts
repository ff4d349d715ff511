/**
 * An Embedder over one ONNX Runtime session, configured entirely by the model's manifest: pixels are packed
 * into a reused input buffer, run in batches, and each image's outputs are fused into one unit vector.
 */
import ort from '../base/onnx-runtime.js';
import type { InferenceSession } from '../base/onnx-runtime.js';
import { AppError } from '../../shared/errors.js';
import type { DetailedEmbedding, EmbedDetailOptions, EmbedTimings, Embedder, ModelInputSpec } from './embedder.js';
import { averageViews, fuseImage, powerNormalizeInPlace, type FusionPart } from './fusion.js';
import type { ModelManifest } from './manifest.js';
import { createPixelPacker, packPixels, zoomOutPixels, type PixelPacker } from './preprocess.js';

export const DEFAULT_MAX_BATCH = 8;

type ViewKind = 'plain' | 'flip' | 'zoom';
/** A detailed embedding, with the plain view's own fused vector when other views were averaged in. */
type Detailed = DetailedEmbedding & { plain?: Float32Array };

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
  readonly saliency?: { height: number; width: number };
  private readonly manifest: ModelManifest;
  private readonly packer: PixelPacker;
  /** What is embedded per image: the image itself, then its test-time augmentations (manifest `tta`). */
  private readonly viewKinds: readonly ViewKind[];
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
    if (manifest.saliency) this.saliency = { height: manifest.saliency.height, width: manifest.saliency.width };
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
    return (await this.run(pixels, this.viewKinds, false, timings)).map((d) => d.vector);
  }

  /** @throws as embed(). */
  async embedDetailed(pixels: readonly Buffer[], options: EmbedDetailOptions = {}, timings?: EmbedTimings): Promise<DetailedEmbedding[]> {
    // A fixed batch holds whole sets of views: a plain-only call still runs (and pads) as many inputs.
    const kinds = options.views === 'plain' && !this.padToBatch ? (['plain'] as const) : this.viewKinds;
    const out = await this.run(pixels, kinds, true, timings);
    if (kinds !== this.viewKinds || options.views !== 'plain') return out;
    // Padded to the fixed batch: the views were computed, but a plain-only caller gets the plain view's vector.
    const { power } = this.manifest.fusion;
    return out.map((d) => ({ ...d, vector: power === undefined ? d.plain! : powerNormalizeInPlace(Float32Array.from(d.plain!), power), unpowered: d.plain! }));
  }

  private run(pixels: readonly Buffer[], kinds: readonly ViewKind[], detailed: boolean, timings: EmbedTimings | undefined): Promise<Detailed[]> {
    if (this.closed) throw new Error(`embedder ${this.modelId} used after close()`);
    pixels.forEach((p, i) => {
      if (p.length !== this.packer.byteLength) {
        throw new AppError('INVALID_INPUT', `image ${i}: expected ${this.input.width}×${this.input.height} packed RGB (${this.packer.byteLength} bytes), got ${p.length}`);
      }
    });
    const run = this.queue.then(() => this.embedAll(pixels, kinds, detailed, timings));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async embedAll(pixels: readonly Buffer[], kinds: readonly ViewKind[], detailed: boolean, timings: EmbedTimings | undefined): Promise<Detailed[]> {
    const out: Detailed[] = [];
    const perCall = Math.floor(this.batch / kinds.length);
    for (let start = 0; start < pixels.length; start += perCall) {
      out.push(...(await this.embedBatch(pixels.slice(start, start + perCall), kinds, detailed, timings)));
    }
    return out;
  }

  private async embedBatch(pixels: readonly Buffer[], kinds: readonly ViewKind[], detailed: boolean, timings: EmbedTimings | undefined): Promise<Detailed[]> {
    const packStart = performance.now();
    const views = kinds.length;
    const used = pixels.length * views;
    const n = this.padToBatch ? this.batch : used;
    // Views of one image are adjacent: image i's views start at i × views.
    pixels.forEach((p, i) => {
      kinds.forEach((kind, v) => {
        const offset = (i * views + v) * this.packer.size;
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
    const saliency = detailed ? this.saliencyOf(results, n) : undefined;
    const cells = saliency === undefined ? 0 : saliency.length / n;
    return pixels.map((_, i) => {
      const perView = Array.from({ length: views }, (_, v) => fuseImage(parts, i * views + v, perOutputL2));
      const plain = detailed && views > 1 ? Float32Array.from(perView[0]!) : undefined;
      const fused = views === 1 ? perView[0]! : averageViews(perView);
      const unpowered = detailed && power !== undefined ? Float32Array.from(fused) : fused;
      const vector = power === undefined ? fused : powerNormalizeInPlace(fused, power);
      return {
        vector,
        unpowered,
        ...(plain ? { plain } : {}),
        // The plain view's map: the image as it is (the mirror and the zoom-out see it moved).
        ...(saliency ? { saliency: saliency.slice(i * views * cells, (i * views + 1) * cells) } : {}),
      };
    });
  }

  private saliencyOf(results: InferenceSession.ReturnType, n: number): Float32Array | undefined {
    const spec = this.manifest.saliency;
    if (spec === undefined) return undefined;
    const t = results[spec.name];
    if (t === undefined || !(t.data instanceof Float32Array) || t.data.length !== n * spec.height * spec.width) {
      throw new AppError('MODEL_INVALID', `model ${this.modelId}: saliency output '${spec.name}' is missing or not ${spec.height}×${spec.width} float32 per image`);
    }
    return t.data;
  }

  /** Waits for queued batches, then releases the session; later embed() calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.session.release();
  }
}
