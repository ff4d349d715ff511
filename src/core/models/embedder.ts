/**
 * The boundary between the engine and a model. The engine decodes, orients and resizes each image to the
 * model's input spec (so JPEG shrink-on-load applies); the embedder turns those pixels into L2-normalised
 * vectors. Everything model-specific (scaling, layout, taps, pooling, fusion) stays behind this interface.
 */
export type ResizeMode = 'squash' | 'center-crop' | 'pad';

export interface ModelInputSpec {
  width: number;
  height: number;
  resize: ResizeMode;
}

/** Where embed() calls spent their time, in milliseconds; each call given one adds to it. */
export interface EmbedTimings {
  /** Packing pixels into the input tensor (and computing test-time views). */
  preprocessMs: number;
  /** The inference runs themselves. */
  inferenceMs: number;
}

/** What embedDetailed() gives per image besides the stored vector. */
export interface DetailedEmbedding {
  /** What embed() returns. */
  vector: Float32Array;
  /** The unit mean of the views before the final power normalisation (the vector itself when there is none). */
  unpowered: Float32Array;
  /** The plain view's saliency map (`saliency.height × saliency.width`, row-major), when the model has one. */
  saliency?: Float32Array;
}

export interface EmbedDetailOptions {
  /** `plain`: the image alone, without the test-time views (a crop of an image already embedded whole). */
  views?: 'all' | 'plain';
}

export interface Embedder {
  /** Identifies the weights and the whole pipeline; the catalog stores it beside every vector. */
  readonly modelId: string;
  readonly dim: number;
  readonly input: ModelInputSpec;
  /** The execution provider actually in use ('cpu', 'cuda', 'dml', 'coreml'). */
  readonly device: string;
  /** How many embed() calls it runs at once (default 1): a caller with many batches keeps that many in flight. */
  readonly parallel?: number;
  /**
   * Embeds a batch of images given as packed 8-bit RGB of exactly `input.width × input.height`.
   * @returns one L2-normalised Float32Array of length `dim` per image, in order.
   * @param timings added to with the time spent preprocessing and in inference (cheap enough for every call).
   * @throws AppError('INVALID_INPUT') when a buffer has the wrong length.
   */
  embed(pixels: readonly Buffer[], timings?: EmbedTimings): Promise<Float32Array[]>;
  /** The grid of the saliency map embedDetailed() returns, when the model outputs one (manifest `saliency`). */
  readonly saliency?: { height: number; width: number };
  /**
   * embed() with more of the same pass: the vector before its power normalisation and the saliency map; absent on
   * embedders that cannot (test fakes), which then offer no localisation.
   * @throws as embed().
   */
  embedDetailed?(pixels: readonly Buffer[], options?: EmbedDetailOptions, timings?: EmbedTimings): Promise<DetailedEmbedding[]>;
  close(): Promise<void>;
}
