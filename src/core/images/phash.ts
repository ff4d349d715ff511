/**
 * Perceptual signatures: the second signal that confirms an embedding neighbour is really the same photo.
 *
 * An embedding says "looks alike"; two different plain t-shirts shot the same way on the same bed can score as
 * high as a resized copy. A signature keeps what a copy shares with its source and a lookalike does not: the
 * exact arrangement of light and dark, down to the fine detail. It is computed from the upright (EXIF-oriented)
 * picture after trimming uniform white or black borders (so a pad disappears) and compared by normalised
 * cross-correlation over a small set of alignments (identity, mirror, and crops of up to about a third off,
 * anywhere in the frame), so resized, recompressed, recoloured, mirrored, padded and cropped copies all line up
 * with their source. Two scores come out: a coarse one (the overall layout, used to align and to find
 * candidates) and a detail one (high-pass texture at the found alignment, which tells copies from lookalikes).
 *
 * The pure part (`signatureFromRaw`, `prepareSignature`, the comparisons) works on raw pixels and is unit-tested;
 * `computeSignature` decodes with sharp.
 */
import sharp from 'sharp';
import { AppError } from '../../shared/errors.js';

/** Bumped whenever the signature's bytes or meaning change; stored signatures of another version are recomputed. */
export const SIGNATURE_VERSION = 2;
/** Side of the stored grey thumbnail of the trimmed content (squashed to a square). */
export const THUMB_SIZE = 64;
/** Side of the coarse grid used for alignment and candidate search. */
export const COARSE_GRID = 16;
/** Side of the grid on which detail is compared, and of the blocks it is split into. */
const DETAIL_GRID = 64;
const BLOCK = 8;
/** Longest side the picture is decoded to before trimming; shrink-on-load keeps big JPEGs cheap. */
const DECODE_SIDE = 256;
const HUE_BINS = 12;
/** Centre crops precomputed per picture: a centred crop of a copy is recognised with one dot product. */
const CENTRE_SCALES = [0.85, 0.75, 0.66] as const;
/** Crop scales the full search tries (linear size of the crop inside the larger frame). */
const SEARCH_SCALES = [0.92, 0.85, 0.78, 0.72, 0.66] as const;
/** A detail block counts as matching above this correlation. */
const BLOCK_MATCH = 0.5;
/** Blocks whose detail is this flat (grey levels, standard deviation) in both pictures say nothing. */
const FLAT_BLOCK = 0.25;

/** Packed 8-bit pixels, row-major, `channels` interleaved (1 grey, 3 RGB, 4 RGBA). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export interface ImageSignature {
  /** THUMB_SIZE² grey levels of the trimmed content, squashed to a square. */
  thumb: Uint8Array;
  /** Width / height of the trimmed content (undoes the squash when aligning crops). */
  aspect: number;
  /** Hue histogram of the chromatic pixels (HUE_BINS bins summing to ~255) — survives brightness/saturation edits. */
  hue: Uint8Array;
  /** Share of chromatic pixels (0..1): a greyscale picture carries no hue evidence. */
  chroma: number;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The content box after stripping border lines that are (almost) entirely near-white or near-black. Each side is
 * trimmed on its own and only by those two colours, so mirrored and rotated copies trim alike, and a photo whose
 * natural background happens to be uniform is not cut differently from its recoloured copy.
 */
export function trimBox(img: RawImage): Box {
  const { data, width, height, channels } = img;
  const ch = Math.min(3, channels);
  const near = (at: number, white: boolean): boolean => {
    for (let c = 0; c < ch; c++) {
      const v = data[at + c] ?? 0;
      if (white ? v < 228 : v > 27) return false;
    }
    return true;
  };
  const lineIs = (white: boolean, horizontal: boolean, index: number, from: number, to: number): boolean => {
    const allowed = Math.floor((to - from) * 0.015);
    let bad = 0;
    for (let i = from; i < to; i++) {
      const at = horizontal ? (index * width + i) * channels : (i * width + index) * channels;
      if (!near(at, white) && ++bad > allowed) return false;
    }
    return true;
  };
  let best: Box = { left: 0, top: 0, width, height };
  for (const white of [true, false]) {
    let top = 0;
    let bottom = height;
    let left = 0;
    let right = width;
    while (top < bottom && lineIs(white, true, top, left, right)) top++;
    while (bottom > top && lineIs(white, true, bottom - 1, left, right)) bottom--;
    while (left < right && lineIs(white, false, left, top, bottom)) left++;
    while (right > left && lineIs(white, false, right - 1, top, bottom)) right--;
    const box = { left, top, width: right - left, height: bottom - top };
    // A nearly blank picture keeps its frame; otherwise the colour that trimmed more wins.
    if (box.width < Math.max(8, width * 0.1) || box.height < Math.max(8, height * 0.1)) continue;
    if (box.width * box.height < best.width * best.height) best = box;
  }
  return best;
}

function greyAt(img: RawImage, x: number, y: number): number {
  const at = (y * img.width + x) * img.channels;
  if (img.channels < 3) return img.data[at] ?? 0;
  return 0.299 * (img.data[at] ?? 0) + 0.587 * (img.data[at + 1] ?? 0) + 0.114 * (img.data[at + 2] ?? 0);
}

/** Area-average resampling of a box of `img` (grey) onto a size×size grid. */
function areaResample(img: RawImage, box: Box, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const sx = box.width / size;
  const sy = box.height / size;
  for (let gy = 0; gy < size; gy++) {
    const y0 = box.top + gy * sy;
    const y1 = y0 + sy;
    for (let gx = 0; gx < size; gx++) {
      const x0 = box.left + gx * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let weight = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        if (wy <= 0) continue;
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          if (wx <= 0) continue;
          sum += greyAt(img, Math.min(x, img.width - 1), Math.min(y, img.height - 1)) * wx * wy;
          weight += wx * wy;
        }
      }
      out[gy * size + gx] = weight > 0 ? sum / weight : 0;
    }
  }
  return out;
}

function hueHistogram(img: RawImage, box: Box): { hue: Uint8Array; chroma: number } {
  const bins = new Float64Array(HUE_BINS);
  if (img.channels < 3) return { hue: new Uint8Array(HUE_BINS), chroma: 0 };
  let chromatic = 0;
  let total = 0;
  const step = Math.max(1, Math.floor(Math.sqrt((box.width * box.height) / 4096)));
  for (let y = box.top; y < box.top + box.height; y += step) {
    for (let x = box.left; x < box.left + box.width; x += step) {
      const at = (y * img.width + x) * img.channels;
      const r = (img.data[at] ?? 0) / 255;
      const g = (img.data[at + 1] ?? 0) / 255;
      const b = (img.data[at + 2] ?? 0) / 255;
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      const delta = max - min;
      total++;
      // Weak colour is where saturation edits and JPEG chroma noise move hue most: count only clear colour.
      if (delta < 0.12 || max < 0.15) continue;
      chromatic++;
      let h: number;
      if (max === r) h = ((g - b) / delta + 6) % 6;
      else if (max === g) h = (b - r) / delta + 2;
      else h = (r - g) / delta + 4;
      const pos = (h / 6) * HUE_BINS;
      // Soft assignment to the two nearest bins so a small hue shift moves mass smoothly.
      const lo = Math.floor(pos - 0.5);
      const frac = pos - 0.5 - lo;
      bins[(lo + HUE_BINS) % HUE_BINS]! += 1 - frac;
      bins[(lo + 1) % HUE_BINS]! += frac;
    }
  }
  const hue = new Uint8Array(HUE_BINS);
  if (chromatic > 0) {
    for (let i = 0; i < HUE_BINS; i++) hue[i] = Math.round(((bins[i] ?? 0) / chromatic) * 255);
  }
  return { hue, chroma: total > 0 ? chromatic / total : 0 };
}

/**
 * Signature of an upright picture given as raw pixels (any size; a few hundred pixels a side is plenty).
 * @throws AppError('INVALID_INPUT') when the buffer does not match the stated geometry.
 */
export function signatureFromRaw(img: RawImage): ImageSignature {
  if (img.width < 1 || img.height < 1 || img.channels < 1 || img.data.length < img.width * img.height * img.channels) {
    throw new AppError('INVALID_INPUT', `Raw image of ${img.width}×${img.height}×${img.channels} needs more bytes than ${img.data.length}.`);
  }
  const box = trimBox(img);
  const grey = areaResample(img, box, THUMB_SIZE);
  const thumb = new Uint8Array(THUMB_SIZE * THUMB_SIZE);
  for (let i = 0; i < thumb.length; i++) thumb[i] = Math.max(0, Math.min(255, Math.round(grey[i] ?? 0)));
  return { thumb, aspect: box.width / box.height, ...hueHistogram(img, box) };
}

/**
 * Decodes an image file or buffer, upright (EXIF orientation applied), alpha on white, at most 256 px a side.
 * @throws sharp's error when the image cannot be decoded (classify it at the caller's adapter).
 */
export async function decodeForSignature(input: Buffer | string): Promise<RawImage> {
  const { data, info } = await sharp(input, { failOn: 'none', limitInputPixels: 268_402_689 })
    .rotate()
    .resize(DECODE_SIDE, DECODE_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Decodes and signs one image. @throws sharp's error when the image cannot be decoded. */
export async function computeSignature(input: Buffer | string): Promise<ImageSignature> {
  return signatureFromRaw(await decodeForSignature(input));
}

const ENCODED_BYTES = 1 + 4 + 4 + HUE_BINS + THUMB_SIZE * THUMB_SIZE;

/** Bytes for storage: version, aspect (float32), chroma (float32), hue bins, thumbnail. */
export function encodeSignature(sig: ImageSignature): Buffer {
  const out = Buffer.alloc(ENCODED_BYTES);
  out.writeUInt8(SIGNATURE_VERSION, 0);
  out.writeFloatLE(sig.aspect, 1);
  out.writeFloatLE(sig.chroma, 5);
  out.set(sig.hue, 9);
  out.set(sig.thumb, 9 + HUE_BINS);
  return out;
}

/** The inverse of encodeSignature; null for bytes of another version or size (recompute those). */
export function decodeSignature(bytes: Uint8Array): ImageSignature | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length !== ENCODED_BYTES || buf.readUInt8(0) !== SIGNATURE_VERSION) return null;
  return {
    aspect: buf.readFloatLE(1),
    chroma: buf.readFloatLE(5),
    hue: new Uint8Array(buf.subarray(9, 9 + HUE_BINS)),
    thumb: new Uint8Array(buf.subarray(9 + HUE_BINS)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

/** Bilinear sample of a THUMB_SIZE² thumbnail at continuous coordinates (pixel centres at i + 0.5). */
function sample(thumb: Uint8Array, x: number, y: number): number {
  const fx = Math.min(THUMB_SIZE - 1, Math.max(0, x - 0.5));
  const fy = Math.min(THUMB_SIZE - 1, Math.max(0, y - 0.5));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(THUMB_SIZE - 1, x0 + 1);
  const y1 = Math.min(THUMB_SIZE - 1, y0 + 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const row0 = y0 * THUMB_SIZE;
  const row1 = y1 * THUMB_SIZE;
  const top = thumb[row0 + x0]! * (1 - ax) + thumb[row0 + x1]! * ax;
  const bot = thumb[row1 + x0]! * (1 - ax) + thumb[row1 + x1]! * ax;
  return top * (1 - ay) + bot * ay;
}

/**
 * A region (0..1 units) of a thumbnail resampled onto a grid×grid raster, in grey levels; each cell averages 2×2
 * bilinear samples, which anti-aliases downscaling and blurs both sides of a comparison alike.
 */
function regionRaster(thumb: Uint8Array, x: number, y: number, w: number, h: number, grid: number, mirror: boolean): Float32Array {
  const v = new Float32Array(grid * grid);
  const cw = (w * THUMB_SIZE) / grid;
  const chh = (h * THUMB_SIZE) / grid;
  const x0 = x * THUMB_SIZE;
  const y0 = y * THUMB_SIZE;
  for (let gy = 0; gy < grid; gy++) {
    const py = y0 + gy * chh;
    for (let gx = 0; gx < grid; gx++) {
      const px = x0 + (mirror ? grid - 1 - gx : gx) * cw;
      v[gy * grid + gx] =
        (sample(thumb, px + cw * 0.25, py + chh * 0.25) +
          sample(thumb, px + cw * 0.75, py + chh * 0.25) +
          sample(thumb, px + cw * 0.25, py + chh * 0.75) +
          sample(thumb, px + cw * 0.75, py + chh * 0.75)) /
        4;
    }
  }
  return v;
}

/** Makes `v` zero-mean and unit-norm in place (all-zero when flat), so one dot product is the NCC. */
function standardise(v: Float32Array): Float32Array {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i]!;
  mean /= v.length;
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v[i]! - mean;
    v[i] = d;
    norm += d * d;
  }
  // A flat picture carries no structure to correlate: leave it all-zero so it matches nothing.
  const inv = norm > 1e-4 * v.length ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
  return v;
}

function coarseVector(thumb: Uint8Array, x: number, y: number, w: number, h: number, mirror: boolean): Float32Array {
  return standardise(regionRaster(thumb, x, y, w, h, COARSE_GRID, mirror));
}

/** High-pass detail of a region: the raster minus its 3×3 box blur (texture and print, not silhouette). */
function detailRaster(thumb: Uint8Array, x: number, y: number, w: number, h: number, mirror: boolean): Float32Array {
  const n = DETAIL_GRID;
  const r = regionRaster(thumb, x, y, w, h, n, mirror);
  const out = new Float32Array(n * n);
  for (let gy = 0; gy < n; gy++) {
    for (let gx = 0; gx < n; gx++) {
      let sum = 0;
      let count = 0;
      for (let yy = Math.max(0, gy - 1); yy <= Math.min(n - 1, gy + 1); yy++) {
        for (let xx = Math.max(0, gx - 1); xx <= Math.min(n - 1, gx + 1); xx++) {
          sum += r[yy * n + xx]!;
          count++;
        }
      }
      out[gy * n + gx] = r[gy * n + gx]! - sum / count;
    }
  }
  return out;
}

/** Dot product of two equally long vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Share of the informative detail blocks (an 8×8 grid) whose correlation exceeds BLOCK_MATCH: 0..1. A copy agrees
 * almost everywhere even where a watermark or a JPEG block hides part of it; two different shirts laid out alike
 * agree only along their outline; two different photos under the same watermark agree only under the watermark.
 * With `mirrorB`, `b` is read mirrored.
 */
function blockAgreement(a: Float32Array, b: Float32Array, mirrorB: boolean): number {
  const n = DETAIL_GRID;
  const blocks = n / BLOCK;
  const cells = BLOCK * BLOCK;
  const flat = FLAT_BLOCK * FLAT_BLOCK * cells;
  let considered = 0;
  let agreeing = 0;
  for (let by = 0; by < blocks; by++) {
    for (let bx = 0; bx < blocks; bx++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let y = by * BLOCK; y < (by + 1) * BLOCK; y++) {
        const row = y * n;
        for (let x = bx * BLOCK; x < (bx + 1) * BLOCK; x++) {
          const va = a[row + x]!;
          const vb = b[row + (mirrorB ? n - 1 - x : x)]!;
          sa += va;
          sb += vb;
          saa += va * va;
          sbb += vb * vb;
          sab += va * vb;
        }
      }
      const vaa = saa - (sa * sa) / cells;
      const vbb = sbb - (sb * sb) / cells;
      if (vaa < flat && vbb < flat) continue;
      considered++;
      const den = Math.sqrt(vaa * vbb);
      if (den > 0 && (sab - (sa * sb) / cells) / den > BLOCK_MATCH) agreeing++;
    }
  }
  // Too little texture on either side to judge (a blank card): no evidence of a copy.
  return considered >= 8 ? agreeing / considered : 0;
}

/** Vectors derived once per picture per run, so most pair comparisons are a few dot products. */
export interface PreparedSignature {
  readonly sig: ImageSignature;
  /** Coarse vectors of the whole picture: [plain, mirrored]. */
  readonly whole: readonly [Float32Array, Float32Array];
  /** Coarse vectors of centred crops at CENTRE_SCALES (plain only: the other side supplies the mirror). */
  readonly centre: readonly Float32Array[];
  /** Detail raster of the whole picture (plain; mirrored by indexing). */
  readonly detail: Float32Array;
}

export function prepareSignature(sig: ImageSignature): PreparedSignature {
  const t = sig.thumb;
  return {
    sig,
    whole: [coarseVector(t, 0, 0, 1, 1, false), coarseVector(t, 0, 0, 1, 1, true)],
    centre: CENTRE_SCALES.map((s) => coarseVector(t, (1 - s) / 2, (1 - s) / 2, s, s, false)),
    detail: detailRaster(t, 0, 0, 1, 1, false),
  };
}

/** Where one picture lies in the other: a region of the host (0..1 units) matched to the whole other picture. */
export interface Alignment {
  /** Which side holds the region: 'a' when b is (a copy of) a crop of a, 'b' the other way round. */
  host: 'a' | 'b';
  x: number;
  y: number;
  w: number;
  h: number;
  /** The other picture is mirrored relative to the host. */
  mirrored: boolean;
  /** Coarse correlation (−1..1) at this alignment. */
  coarse: number;
}

const isWhole = (al: Alignment) => al.w === 1 && al.h === 1;

/**
 * The best cheap alignment: identity, mirror, either picture as a centred crop of the other, and, when the
 * aspect ratios differ, the other's aspect cut from the start, centre or end of the host (a square crop of a
 * portrait photo, say).
 */
export function quickAlign(a: PreparedSignature, b: PreparedSignature): Alignment {
  let best: Alignment = { host: 'a', x: 0, y: 0, w: 1, h: 1, mirrored: false, coarse: dot(a.whole[0], b.whole[0]) };
  const consider = (coarse: number, host: 'a' | 'b', x: number, y: number, w: number, h: number, mirrored: boolean) => {
    if (coarse > best.coarse) best = { host, x, y, w, h, mirrored, coarse };
  };
  consider(dot(a.whole[0], b.whole[1]), 'a', 0, 0, 1, 1, true);
  CENTRE_SCALES.forEach((s, i) => {
    const o = (1 - s) / 2;
    for (const m of [0, 1] as const) {
      consider(dot(a.centre[i]!, b.whole[m]), 'a', o, o, s, s, m === 1);
      consider(dot(b.centre[i]!, a.whole[m]), 'b', o, o, s, s, m === 1);
    }
  });
  for (const [host, big, small] of [['a', a, b] as const, ['b', b, a] as const]) {
    const ratio = small.sig.aspect / big.sig.aspect;
    if (ratio > 0.97 && ratio < 1.03) continue;
    // The largest region of the host with the other's aspect: full height and narrower, or full width and lower.
    const [w, h] = ratio < 1 ? [ratio, 1] : [1, 1 / ratio];
    if (w < CENTRE_SCALES[CENTRE_SCALES.length - 1]! || h < CENTRE_SCALES[CENTRE_SCALES.length - 1]!) continue;
    for (const t of [0, 0.5, 1]) {
      const x = (1 - w) * t;
      const y = (1 - h) * t;
      const region = coarseVector(big.sig.thumb, x, y, w, h, false);
      for (const m of [0, 1] as const) consider(dot(region, small.whole[m]), host, x, y, w, h, m === 1);
    }
  }
  return best;
}

/**
 * Searches the smaller picture as a crop anywhere in the larger one (both roles, both mirrorings; a coarse grid,
 * then a local refinement) and returns the best alignment, `start` included. A few hundred small dot products:
 * kept for pairs the cheap alignment could not settle.
 */
export function searchAlign(a: PreparedSignature, b: PreparedSignature, start: Alignment): Alignment {
  let best = start;
  for (const [host, big, small] of [['a', a, b] as const, ['b', b, a] as const]) {
    for (const s of SEARCH_SCALES) {
      // The small picture covers w × h of the big frame; its aspect ratio fixes one from the other.
      let w = s;
      let h = (s * big.sig.aspect) / small.sig.aspect;
      if (h > 1) {
        w = s / h;
        h = 1;
      }
      if (w < SEARCH_SCALES[SEARCH_SCALES.length - 1]! - 1e-9 || h < 0.5) continue;
      const step = 0.08;
      const nx = Math.max(1, Math.round((1 - w) / step) + 1);
      const ny = Math.max(1, Math.round((1 - h) / step) + 1);
      // One region vector serves both mirrorings of the small picture.
      const at = (x: number, y: number) => {
        const region = coarseVector(big.sig.thumb, x, y, w, h, false);
        const plain = dot(region, small.whole[0]);
        const mirrored = dot(region, small.whole[1]);
        return plain >= mirrored ? { coarse: plain, mirrored: false } : { coarse: mirrored, mirrored: true };
      };
      let local = { coarse: -2, x: 0, y: 0, mirrored: false };
      for (let iy = 0; iy < ny; iy++) {
        const y = ny === 1 ? (1 - h) / 2 : ((1 - h) * iy) / (ny - 1);
        for (let ix = 0; ix < nx; ix++) {
          const x = nx === 1 ? (1 - w) / 2 : ((1 - w) * ix) / (nx - 1);
          const r = at(x, y);
          if (r.coarse > local.coarse) local = { ...r, x, y };
        }
      }
      const base = { ...local };
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const x = Math.min(1 - w, Math.max(0, base.x + (dx * step) / 2));
          const y = Math.min(1 - h, Math.max(0, base.y + (dy * step) / 2));
          const r = at(x, y);
          if (r.coarse > local.coarse) local = { ...r, x, y };
        }
      }
      if (local.coarse > best.coarse) best = { host, x: local.x, y: local.y, w, h, mirrored: local.mirrored, coarse: local.coarse };
    }
  }
  return best;
}

/** Detail agreement (0..1) of two pictures at an alignment: the share of informative detail blocks that match. */
export function detailAgreement(a: PreparedSignature, b: PreparedSignature, al: Alignment): number {
  const host = al.host === 'a' ? a : b;
  const other = al.host === 'a' ? b : a;
  if (isWhole(al)) return blockAgreement(host.detail, other.detail, al.mirrored);
  return blockAgreement(detailRaster(host.sig.thumb, al.x, al.y, al.w, al.h, false), other.detail, al.mirrored);
}

/** Histogram intersection of hue distributions (0..1), or null when either picture has too little colour to tell. */
export function hueSimilarity(a: ImageSignature, b: ImageSignature): number | null {
  if (a.chroma < 0.05 || b.chroma < 0.05) return null;
  let s = 0;
  for (let i = 0; i < HUE_BINS; i++) s += Math.min(a.hue[i] ?? 0, b.hue[i] ?? 0);
  return s / 255;
}

/** The outcome of comparing two signed pictures. */
export interface PictureMatch {
  /** Detail agreement (0..1) at the best alignment tried. */
  agreement: number;
  alignment: Alignment;
}

export interface MatchOptions {
  /** Agreement that settles the question: cheaper alignments that reach it end the search. */
  accept: number;
  /** Also search off-centre crops when the cheap alignments fall short (a few milliseconds). */
  search?: boolean;
}

/** A crop alignment whose layout correlates less than this is not worth a detail comparison. */
const CROP_MIN_COARSE = 0.8;

/**
 * Compares two pictures from cheapest to dearest alignment: whole (plain or mirrored), then centred and
 * aspect-fitted crops, then (with `search`) crops anywhere. Stops as soon as the agreement reaches `accept`.
 */
export function matchPictures(a: PreparedSignature, b: PreparedSignature, options: MatchOptions): PictureMatch {
  const plain = dot(a.whole[0], b.whole[0]);
  const mirrored = dot(a.whole[0], b.whole[1]);
  const whole: Alignment = { host: 'a', x: 0, y: 0, w: 1, h: 1, mirrored: mirrored > plain, coarse: Math.max(plain, mirrored) };
  let best: PictureMatch = { agreement: detailAgreement(a, b, whole), alignment: whole };
  if (best.agreement >= options.accept) return best;
  const tryAlignment = (al: Alignment) => {
    if (isWhole(al) || al.coarse < CROP_MIN_COARSE) return;
    const agreement = detailAgreement(a, b, al);
    if (agreement > best.agreement) best = { agreement, alignment: al };
  };
  const quick = quickAlign(a, b);
  tryAlignment(quick);
  if (best.agreement >= options.accept || !options.search) return best;
  tryAlignment(searchAlign(a, b, quick));
  return best;
}
