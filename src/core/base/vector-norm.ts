/** L2 norms of float vectors: the one normalisation that model fusion, whitening and query expansion all apply. */

/** Below this norm a vector is treated as zero rather than blown up into noise. */
export const MIN_NORM = 1e-12;

/** The L2 norm of `v[start..end)`. */
export function norm(v: ArrayLike<number>, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const x = v[i]!;
    sum += x * x;
  }
  return Math.sqrt(sum);
}

/** Normalises `v` to unit length in place (a zero vector stays zero) and returns it. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  const inv = 1 / Math.max(norm(v, 0, v.length), MIN_NORM);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
  return v;
}
