/**
 * What the index stores is `transform(raw embedding)`, never the raw embedding itself: the folder's learned
 * whitening (whitening.ts: centring, or PCA with fewer output dimensions) is applied here, to stored vectors and
 * queries alike. The transform's id is part of each index file's stamp: re-learning it yields a new id, no file
 * matches the new stamp, and every collection's index is rebuilt from the stored raw embeddings on next open.
 */
export interface VectorTransform {
  /** Changes whenever the mapping changes (e.g. `pca-512-<sha of the matrix>`). */
  readonly id: string;
  readonly inputDim: number;
  readonly outputDim: number;
  /** Maps one raw embedding to an L2-normalised vector of `outputDim`. */
  apply(raw: Float32Array): Float32Array;
  /**
   * apply() for `count` row-major raw embeddings at once, where the transform has a bulk form (one matrix product:
   * ~50× faster than apply() per row, equal to it up to float rounding). Absent: callers loop over apply().
   */
  applyMany?(raws: Float32Array, count: number): Promise<Float32Array>;
}

/** The transform that stores embeddings as they are (they are already L2-normalised by the embedder). */
export function identityTransform(dim: number): VectorTransform {
  return { id: 'identity', inputDim: dim, outputDim: dim, apply: (raw) => raw };
}
