/**
 * Turns a model's per-image outputs into the one vector the catalog stores: each output L2-normalised (so that
 * taps of different magnitude count as their weights say), scaled by its weight, concatenated, L2-normalised;
 * optionally power-normalised at the end.
 */
import { l2NormalizeInPlace, MIN_NORM, norm } from '../base/vector-norm.js';

export interface FusionPart {
  /** All images' values for this output, image-major. */
  data: Float32Array;
  dim: number;
  weight: number;
}

/**
 * Fuses image `index` of a batch into a new vector of length Σ dim.
 * @throws Error when a part holds fewer values than the index requires (a model/manifest mismatch).
 */
export function fuseImage(parts: readonly FusionPart[], index: number, perOutputL2: boolean): Float32Array {
  const total = parts.reduce((s, p) => s + p.dim, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    const start = index * part.dim;
    const end = start + part.dim;
    if (part.data.length < end) throw new Error(`model output holds ${part.data.length} values, image ${index} needs ${end}`);
    const scale = perOutputL2 ? part.weight / Math.max(norm(part.data, start, end), MIN_NORM) : part.weight;
    for (let i = start; i < end; i++) out[offset + i - start] = part.data[i]! * scale;
    offset += part.dim;
  }
  return l2NormalizeInPlace(out);
}

/**
 * The unit mean of several unit vectors of one image (its test-time views), written into the first.
 * @throws Error when the views differ in length or there are none.
 */
export function averageViews(views: readonly Float32Array[]): Float32Array {
  const [first, ...rest] = views;
  if (first === undefined) throw new Error('no views to average');
  for (const v of rest) {
    if (v.length !== first.length) throw new Error(`views of ${first.length} and ${v.length} values cannot be averaged`);
    for (let i = 0; i < v.length; i++) first[i] = first[i]! + v[i]!;
  }
  return l2NormalizeInPlace(first);
}

/**
 * Signed power normalisation in place: x → sign(x)·|x|^power, then unit length. With power < 1 it shrinks the gap
 * between a few strongly firing channels and the many weak ones, which otherwise dominate cosine similarity.
 */
export function powerNormalizeInPlace(v: Float32Array, power: number): Float32Array {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    v[i] = x < 0 ? -((-x) ** power) : x ** power;
  }
  return l2NormalizeInPlace(v);
}
