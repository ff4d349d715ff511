/**
 * Pooling of unpooled activation maps into descriptors, and unsupervised object localisation from them.
 * `centredGem` with σ = 0.3 is exactly what the `accurate` model's graph computes (same prior, same p and eps).
 */
import { centrePrior } from '../../tools/models/keras-to-onnx.js';
import type { TapMap } from './maps-model.js';

const priors = new Map<string, Float32Array>();
function prior(h: number, w: number, sigma: number): Float32Array {
  const key = `${h}:${w}:${sigma}`;
  let p = priors.get(key);
  if (p === undefined) priors.set(key, (p = centrePrior(h, w, sigma)));
  return p;
}

/** Spatial weights summing to 1 that give the plain (uniform) mean. */
function uniform(h: number, w: number): Float32Array {
  return new Float32Array(h * w).fill(1 / (h * w));
}

/** GeM: (Σ_s weight_s · max(x, eps)^p)^(1/p) per channel. */
export function gem(map: TapMap, weights: Float32Array, p = 3, eps = 1e-6): Float32Array {
  const { c, h, w, data } = map;
  const hw = h * w;
  const out = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0;
    const base = k * hw;
    for (let i = 0; i < hw; i++) {
      const x = Math.max(data[base + i]!, eps);
      s += weights[i]! * x * x * x;
    }
    out[k] = p === 3 ? Math.cbrt(s) : s ** (1 / p);
  }
  return out;
}

export const centredGem = (map: TapMap, sigma = 0.3): Float32Array => gem(map, prior(map.h, map.w, sigma));
export const flatGem = (map: TapMap): Float32Array => gem(map, uniform(map.h, map.w));

/** Channel-summed activation per cell (the "aggregation map" of SCDA, CroW's spatial map). */
export function channelSum(map: TapMap): Float32Array {
  const { c, h, w, data } = map;
  const hw = h * w;
  const s = new Float32Array(hw);
  for (let k = 0; k < c; k++) for (let i = 0; i < hw; i++) s[i] = s[i]! + data[k * hw + i]!;
  return s;
}

/** CroW spatial weights: S / ‖S‖₂, then ^(1/2), renormalised to sum 1 (Kalantidis et al. 2016, a = 2, b = 2). */
export function crowWeights(map: TapMap): Float32Array {
  const s = channelSum(map);
  let n = 0;
  for (const v of s) n += v * v;
  n = Math.sqrt(n) || 1;
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i] = Math.sqrt(s[i]! / n);
  for (let i = 0; i < s.length; i++) s[i] = s[i]! / (sum || 1);
  return s;
}

export const crowGem = (map: TapMap): Float32Array => gem(map, crowWeights(map));

/** R-MAC (Tolias et al. 2016): max-pooled square regions at L = 1..levels, each L2-normalised, summed. */
export function rmac(map: TapMap, levels = 3): Float32Array {
  const { c, h, w, data } = map;
  const out = new Float32Array(c);
  const region = new Float32Array(c);
  for (let l = 1; l <= levels; l++) {
    const side = Math.max(1, Math.floor((2 * Math.min(h, w)) / (l + 1)));
    const steps = l;
    const yStep = steps > 1 ? (h - side) / (steps - 1) : 0;
    const xStep = steps > 1 ? (w - side) / (steps - 1) : 0;
    for (let a = 0; a < steps; a++) {
      for (let b = 0; b < steps; b++) {
        const y0 = Math.round(a * yStep);
        const x0 = Math.round(b * xStep);
        let norm = 0;
        for (let k = 0; k < c; k++) {
          let m = 0;
          for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) m = Math.max(m, data[k * h * w + y * w + x]!);
          region[k] = m;
          norm += m * m;
        }
        norm = Math.sqrt(norm) || 1;
        for (let k = 0; k < c; k++) out[k] = out[k]! + region[k]! / norm;
      }
    }
  }
  return out;
}

export interface CellBox {
  /** Inclusive cell bounds on the map's grid. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Fraction of the map's cells inside the mask's largest component. */
  area: number;
}

/**
 * SCDA (Wei et al. 2017): cells whose channel-summed activation exceeds the map's mean, their largest 8-connected
 * component, and its bounding box.
 */
export function scdaBox(map: TapMap): CellBox {
  const { h, w } = map;
  const s = channelSum(map);
  // The outer ring fires on the zero padding of every photo (measured: it is the hottest ring of most store
  // photos' maps whatever they show), so it never seeds the mask.
  if (h > 4 && w > 4) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (y === 0 || x === 0 || y === h - 1 || x === w - 1) s[y * w + x] = 0;
  const inner = h > 4 && w > 4 ? (h - 2) * (w - 2) : h * w;
  const mean = s.reduce((a, b) => a + b, 0) / inner;
  const label = new Int32Array(h * w).fill(-1);
  let best: number[] = [];
  for (let i = 0; i < h * w; i++) {
    if (s[i]! <= mean || label[i] !== -1) continue;
    const comp: number[] = [];
    const stack = [i];
    label[i] = i;
    while (stack.length > 0) {
      const j = stack.pop()!;
      comp.push(j);
      const y = Math.floor(j / w);
      const x = j % w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const k = yy * w + xx;
          if (s[k]! > mean && label[k] === -1) {
            label[k] = i;
            stack.push(k);
          }
        }
      }
    }
    if (comp.length > best.length) best = comp;
  }
  if (best.length === 0) return { x0: 0, y0: 0, x1: w - 1, y1: h - 1, area: 1 };
  let x0 = w;
  let y0 = h;
  let x1 = 0;
  let y1 = 0;
  for (const j of best) {
    const y = Math.floor(j / w);
    const x = j % w;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return { x0, y0, x1, y1, area: best.length / (h * w) };
}

export function l2(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (n < 1e-12) return v;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

/** The app's fusion: each part L2-normalised and weighted, concatenated, L2-normalised. */
export function fuse(parts: readonly { v: Float32Array; weight: number }[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.v.length, 0));
  let o = 0;
  for (const { v, weight } of parts) {
    let n = 0;
    for (const x of v) n += x * x;
    const scale = weight / Math.max(Math.sqrt(n), 1e-12);
    for (let i = 0; i < v.length; i++) out[o + i] = v[i]! * scale;
    o += v.length;
  }
  return l2(out);
}

/** Unit mean of views, then optional signed power normalisation (as the embedder does). */
export function averageViews(views: readonly Float32Array[], power?: number): Float32Array {
  const out = new Float32Array(views[0]!.length);
  for (const v of views) for (let i = 0; i < v.length; i++) out[i] = out[i]! + v[i]!;
  l2(out);
  if (power !== undefined) for (let i = 0; i < out.length; i++) out[i] = Math.sign(out[i]!) * Math.abs(out[i]!) ** power;
  return l2(out);
}
