/**
 * Packed 8-bit RGB → the float tensor a model expects, driven by the manifest's input section. Pure and
 * allocation-free per image: a 3×256 lookup table replaces the per-pixel (x × scale − mean) / std.
 */
import { AppError } from '../../shared/errors.js';
import type { ManifestInput } from './manifest.js';

export interface PixelPacker {
  readonly width: number;
  readonly height: number;
  readonly layout: 'nchw' | 'nhwc';
  /** Floats per image (3 × width × height). */
  readonly size: number;
  /** Byte length of one packed RGB image. */
  readonly byteLength: number;
  /** Channel-major table: value of byte v in channel c is lut[c × 256 + v]. */
  readonly lut: Float32Array;
}

/** Builds the lookup table and sizes for a manifest input (values computed in float64, rounded once). */
export function createPixelPacker(input: ManifestInput): PixelPacker {
  const { scale, mean, std } = input.scaling;
  const lut = new Float32Array(3 * 256);
  for (const c of [0, 1, 2] as const) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v * scale - mean[c]) / std[c];
  }
  const pixels = input.width * input.height;
  return { width: input.width, height: input.height, layout: input.layout, size: 3 * pixels, byteLength: 3 * pixels, lut };
}

/**
 * Writes one image into `out` starting at `offset` (in floats); with `mirror`, its left-right mirror image.
 * @throws AppError('INVALID_INPUT') when `rgb` is not width × height × 3 bytes.
 */
export function packPixels(packer: PixelPacker, rgb: Uint8Array, out: Float32Array, offset: number, mirror = false): void {
  if (rgb.length !== packer.byteLength) {
    throw new AppError('INVALID_INPUT', `expected ${packer.width}×${packer.height} packed RGB (${packer.byteLength} bytes), got ${rgb.length} bytes`);
  }
  if (mirror) {
    packMirrored(packer, rgb, out, offset);
    return;
  }
  const { lut } = packer;
  const pixels = packer.width * packer.height;
  if (packer.layout === 'nhwc') {
    for (let i = 0, j = offset; i < rgb.length; i += 3, j += 3) {
      out[j] = lut[rgb[i]!]!;
      out[j + 1] = lut[256 + rgb[i + 1]!]!;
      out[j + 2] = lut[512 + rgb[i + 2]!]!;
    }
    return;
  }
  const g = offset + pixels;
  const b = offset + 2 * pixels;
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    out[offset + p] = lut[rgb[i]!]!;
    out[g + p] = lut[256 + rgb[i + 1]!]!;
    out[b + p] = lut[512 + rgb[i + 2]!]!;
  }
}

/** packPixels for the mirrored image: source column x lands in column width − 1 − x. */
function packMirrored(packer: PixelPacker, rgb: Uint8Array, out: Float32Array, offset: number): void {
  const { lut, width, height } = packer;
  const pixels = width * height;
  const nhwc = packer.layout === 'nhwc';
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const p = y * width + (width - 1 - x);
      if (nhwc) {
        const j = offset + p * 3;
        out[j] = lut[rgb[i]!]!;
        out[j + 1] = lut[256 + rgb[i + 1]!]!;
        out[j + 2] = lut[512 + rgb[i + 2]!]!;
      } else {
        out[offset + p] = lut[rgb[i]!]!;
        out[offset + pixels + p] = lut[256 + rgb[i + 1]!]!;
        out[offset + 2 * pixels + p] = lut[512 + rgb[i + 2]!]!;
      }
    }
  }
}

/**
 * The zoomed-out view of packed RGB: the image shrunk to `scale` of its size (area resampling: each output pixel
 * averages the source area it covers), centred on a canvas of the original size whose border repeats the shrunk
 * image's edge pixels. A copy cropped from a photo then looks, in this view of itself, like the photo in its plain
 * view: measured on clothes-train with `accurate`, centre-crop-75% copies are found first 98.3% of the time with a
 * zoomed-out view (scale 0.75) against 96.0% with the mirror view.
 */
export function zoomOutPixels(rgb: Uint8Array, width: number, height: number, scale: number): Buffer {
  if (rgb.length !== width * height * 3) throw new AppError('INVALID_INPUT', `expected ${width}×${height} packed RGB, got ${rgb.length} bytes`);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const small = areaResize(rgb, width, height, w, h);
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  const out = Buffer.allocUnsafe(width * height * 3);
  const right = width - left - w;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - top));
    const src = sy * w * 3;
    let o = y * width * 3;
    for (let x = 0; x < left; x++, o += 3) {
      out[o] = small[src]!;
      out[o + 1] = small[src + 1]!;
      out[o + 2] = small[src + 2]!;
    }
    out.set(small.subarray(src, src + w * 3), o);
    o += w * 3;
    const last = src + (w - 1) * 3;
    for (let x = 0; x < right; x++, o += 3) {
      out[o] = small[last]!;
      out[o + 1] = small[last + 1]!;
      out[o + 2] = small[last + 2]!;
    }
  }
  return out;
}

/** For each of `dst` output pixels: the first source pixel it covers and the weights of the covered pixels. */
interface AreaTable {
  start: Int32Array;
  /** Weights, `span` per output pixel (zero-padded). */
  weights: Float32Array;
  span: number;
}

const areaTables = new Map<string, AreaTable>();

function areaTable(src: number, dst: number): AreaTable {
  const key = `${src}:${dst}`;
  const cached = areaTables.get(key);
  if (cached) return cached;
  const ratio = src / dst;
  const span = Math.ceil(ratio) + 1;
  const start = new Int32Array(dst);
  const weights = new Float32Array(dst * span);
  for (let o = 0; o < dst; o++) {
    const from = o * ratio;
    const to = (o + 1) * ratio;
    start[o] = Math.floor(from);
    for (let i = start[o]!, k = 0; i < Math.min(src, Math.ceil(to)); i++, k++) weights[o * span + k] = (Math.min(to, i + 1) - Math.max(from, i)) / ratio;
  }
  const table = { start, weights, span };
  if (areaTables.size < 16) areaTables.set(key, table);
  return table;
}

/** The intermediate rows of areaResize, kept between calls: every query and indexed image makes a zoomed-out view. */
let areaRows = new Float32Array(0);

/**
 * Area (box) resampling of packed RGB to a smaller size, separable, rounded once at the end. A shrink by less than
 * half (the zoomed-out view's) covers at most three source pixels per output pixel: that case has its own loops with
 * the taps in locals, the same sums in the same order as the general loops (zero-weight taps add exactly nothing),
 * and no per-row accumulator array; it was most of the main thread's time outside inference while indexing.
 */
function areaResize(rgb: Uint8Array, width: number, height: number, w: number, h: number): Uint8Array {
  const xt = areaTable(width, w);
  const yt = areaTable(height, h);
  if (areaRows.length < height * w * 3) areaRows = new Float32Array(height * w * 3);
  const rows = areaRows;
  const out = new Uint8Array(w * h * 3);
  const stride = w * 3;
  if (xt.span === 3 && yt.span === 3) {
    const xStart = xt.start;
    const xWeights = xt.weights;
    for (let y = 0; y < height; y++) {
      const rowIn = y * width * 3;
      const rowOut = y * stride;
      for (let x = 0; x < w; x++) {
        const i = rowIn + xStart[x]! * 3;
        const w0 = xWeights[x * 3]!;
        const w1 = xWeights[x * 3 + 1]!;
        const w2 = xWeights[x * 3 + 2]!;
        const o = rowOut + x * 3;
        // A zero-weight third tap may lie past the row's end: it is not read.
        if (w2 === 0) {
          rows[o] = w0 * rgb[i]! + w1 * rgb[i + 3]!;
          rows[o + 1] = w0 * rgb[i + 1]! + w1 * rgb[i + 4]!;
          rows[o + 2] = w0 * rgb[i + 2]! + w1 * rgb[i + 5]!;
        } else {
          rows[o] = w0 * rgb[i]! + w1 * rgb[i + 3]! + w2 * rgb[i + 6]!;
          rows[o + 1] = w0 * rgb[i + 1]! + w1 * rgb[i + 4]! + w2 * rgb[i + 7]!;
          rows[o + 2] = w0 * rgb[i + 2]! + w1 * rgb[i + 5]! + w2 * rgb[i + 8]!;
        }
      }
    }
    for (let y = 0; y < h; y++) {
      const s0 = yt.start[y]! * stride;
      const s1 = s0 + stride;
      const s2 = s1 + stride;
      const w0 = yt.weights[y * 3]!;
      const w1 = yt.weights[y * 3 + 1]!;
      const w2 = yt.weights[y * 3 + 2]!;
      const dst = y * stride;
      // Rounded to float32 after each step, as the general loop's Float32Array accumulator is. The sums are ≥ 0 and
      // below 256 + rounding, so floor(x + 0.5) (exact in float64 for a float32 x) is Math.round(x), and only the top
      // needs a clamp; both ~3× cheaper than Math.round with Math.min and Math.max.
      if (w2 === 0) {
        for (let j = 0; j < stride; j++) {
          const v = Math.floor(Math.fround(Math.fround(w0 * rows[s0 + j]!) + w1 * rows[s1 + j]!) + 0.5);
          out[dst + j] = v > 255 ? 255 : v;
        }
      } else {
        for (let j = 0; j < stride; j++) {
          const v = Math.floor(Math.fround(Math.fround(Math.fround(w0 * rows[s0 + j]!) + w1 * rows[s1 + j]!) + w2 * rows[s2 + j]!) + 0.5);
          out[dst + j] = v > 255 ? 255 : v;
        }
      }
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * 3;
    const rowOut = y * w * 3;
    for (let x = 0; x < w; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let i = rowIn + xt.start[x]! * 3;
      for (let k = 0; k < xt.span; k++, i += 3) {
        const wt = xt.weights[x * xt.span + k]!;
        if (wt === 0) continue;
        r += wt * rgb[i]!;
        g += wt * rgb[i + 1]!;
        b += wt * rgb[i + 2]!;
      }
      rows[rowOut + x * 3] = r;
      rows[rowOut + x * 3 + 1] = g;
      rows[rowOut + x * 3 + 2] = b;
    }
  }
  const acc = new Float32Array(stride);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    const first = yt.start[y]!;
    for (let k = 0; k < yt.span; k++) {
      const wt = yt.weights[y * yt.span + k]!;
      if (wt === 0) continue;
      const src = (first + k) * stride;
      for (let j = 0; j < stride; j++) acc[j] = acc[j]! + wt * rows[src + j]!;
    }
    const dst = y * stride;
    for (let j = 0; j < stride; j++) out[dst + j] = Math.min(255, Math.max(0, Math.round(acc[j]!)));
  }
  return out;
}
