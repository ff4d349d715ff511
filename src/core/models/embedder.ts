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

export interface Embedder {
  /** Identifies the weights and the whole pipeline; the catalog stores it beside every vector. */
  readonly modelId: string;
  readonly dim: number;
  readonly input: ModelInputSpec;
  /** The execution provider actually in use ('cpu', 'cuda', 'dml', 'coreml'). */
  readonly device: string;
  /**
   * Embeds a batch of images given as packed 8-bit RGB of exactly `input.width × input.height`.
   * @returns one L2-normalised Float32Array of length `dim` per image, in order.
   * @throws AppError('INVALID_INPUT') when a buffer has the wrong length.
   */
  embed(pixels: readonly Buffer[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
