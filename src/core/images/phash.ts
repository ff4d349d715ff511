/**
 * Perceptual signatures: the second signal that confirms an embedding neighbour is really the same photo.
 *
 * An embedding says "looks alike"; two different plain t-shirts shot the same way on the same bed can score as
 * high as a resized copy. A signature keeps what a copy shares with its source and a lookalike does not: the
 * arrangement of fine detail. It is a 64×64 grey thumbnail of the upright (EXIF-oriented) picture after
 * trimming plain white or black borders (so a pad disappears), plus the content's aspect ratio.
 *
 * Two pictures are first aligned on their coarse layout (16×16 normalised cross-correlation): whole, mirrored,
 * centred crops at fixed scales, and — for a picture's likeliest copies — crops of any size and place, polished
 * to a fraction of a percent. At the alignment, the high-pass detail of both is split into 8×8 blocks; the
 * score ("agreement") is the share of informative blocks whose detail correlates. Measured on 3,068 clothing
 * photos with generated copies (bench/dedupe-match): copies score 0.7–1.0, lookalikes rarely above 0.4 — a
 * watermark or heavy JPEG spoils a few blocks of a copy, an outline shared by two shirts only a few of a
 * lookalike's, and a watermark shared by two different photos only the blocks under it.
 *
 * The pure part (`signatureFromRaw`, `prepareSignature`, the alignments) works on raw pixels and is unit-tested;
 * `computeSignature` decodes with sharp.
 */
import sharp from 'sharp';
import { AppError } from '../../shared/errors.js';

/** Bumped whenever the signature's bytes or meaning change; stored signatures of another version are recomputed. */
export const SIGNATURE_VERSION = 3;
/** Side of the stored grey thumbnail of the trimmed content (squashed to a square). */
export const THUMB_SIZE = 64;
/** Side of the coarse grid used for alignment and candidate search. */
export const COARSE_GRID = 16;
/** Side of the grid on which detail is compared, and of the blocks it is split into. */
const DETAIL_GRID = 64;
const BLOCK = 8;
/** Side of the grid the fine alignment optimises on: sharp enough to place a crop to about one detail cell. */
const FINE_GRID = 24;
/** Longest side the picture is decoded to before trimming; shrink-on-load keeps big JPEGs cheap. */
const DECODE_SIDE = 256;
/** Centre crops precomputed per picture: a centred crop of a copy is recognised with one dot product. */
const CENTRE_SCALES = [0.85, 0.75, 0.66] as const;
/** Crop scales (linear size inside the larger frame) and position step of the search; refinement does the rest. */
const SEARCH_SCALES = [0.9, 0.8, 0.7] as const;
const SEARCH_STEP = 0.1;
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
  /** Share of the picture's area inside the trimmed content box (0..1]: less than 1 for a padded picture. */
  content: number;
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

/** Grey levels (BT.601 luma, as doubles) of every pixel, row-major, in `into` when it is large enough. */
function greyPlane(img: RawImage, into: Float64Array): Float64Array {
  const { data, width, height, channels } = img;
  const n = width * height;
  const grey = into.length >= n ? into : new Float64Array(n);
  if (channels < 3) {
    for (let i = 0, at = 0; i < n; i++, at += channels) grey[i] = data[at] ?? 0;
  } else {
    for (let i = 0, at = 0; i < n; i++, at += channels) grey[i] = 0.299 * (data[at] ?? 0) + 0.587 * (data[at + 1] ?? 0) + 0.114 * (data[at + 2] ?? 0);
  }
  return grey;
}

/** Pixels (clamped to `limit − 1`) and their weights that one cell [c0, c0 + step) covers along an axis. */
function cellTaps(c0: number, step: number, limit: number): { at: Int32Array; w: Float64Array } {
  const c1 = c0 + step;
  const at: number[] = [];
  const w: number[] = [];
  for (let i = Math.floor(c0); i < Math.ceil(c1); i++) {
    const wi = Math.min(i + 1, c1) - Math.max(i, c0);
    if (wi <= 0) continue;
    at.push(Math.min(i, limit - 1));
    w.push(wi);
  }
  return { at: Int32Array.from(at), w: Float64Array.from(w) };
}

/** Reused between calls (signatures are computed one at a time on a thread): a grey plane is up to 512 × 512 doubles. */
let greyScratch: Float64Array = new Float64Array(0);

/**
 * Area-average resampling of a box of `img` (grey) onto a size×size grid. The grey plane and each cell's taps are
 * computed once instead of per cell and tap (1.6 ms of the decode worker's time per photo was spent here); the sums
 * run in the same order with the same operands, so the result is bit for bit what a per-pixel loop gives.
 */
function areaResample(img: RawImage, box: Box, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const sx = box.width / size;
  const sy = box.height / size;
  const grey = greyPlane(img, greyScratch);
  greyScratch = grey;
  const columns = Array.from({ length: size }, (_, gx) => cellTaps(box.left + gx * sx, sx, img.width));
  for (let gy = 0; gy < size; gy++) {
    const rows = cellTaps(box.top + gy * sy, sy, img.height);
    for (let gx = 0; gx < size; gx++) {
      const { at: xs, w: wxs } = columns[gx]!;
      let sum = 0;
      let weight = 0;
      for (let j = 0; j < rows.at.length; j++) {
        const row = rows.at[j]! * img.width;
        const wy = rows.w[j]!;
        for (let i = 0; i < xs.length; i++) {
          const wx = wxs[i]!;
          sum += grey[row + xs[i]!]! * wx * wy;
          weight += wx * wy;
        }
      }
      out[gy * size + gx] = weight > 0 ? sum / weight : 0;
    }
  }
  return out;
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
  return { thumb, aspect: box.width / box.height, content: (box.width * box.height) / (img.width * img.height) };
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
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Decodes and signs one image. @throws sharp's error when the image cannot be decoded. */
export async function computeSignature(input: Buffer | string): Promise<ImageSignature> {
  return signatureFromRaw(await decodeForSignature(input));
}

const HEADER_BYTES = 1 + 4 + 4;
const ENCODED_BYTES = HEADER_BYTES + THUMB_SIZE * THUMB_SIZE;

/** Bytes for storage: version, aspect (float32), content share (float32), thumbnail. */
export function encodeSignature(sig: ImageSignature): Buffer {
  const out = Buffer.alloc(ENCODED_BYTES);
  out.writeUInt8(SIGNATURE_VERSION, 0);
  out.writeFloatLE(sig.aspect, 1);
  out.writeFloatLE(sig.content, 5);
  out.set(sig.thumb, HEADER_BYTES);
  return out;
}

/** The inverse of encodeSignature; null for bytes of another version or size (recompute those). */
export function decodeSignature(bytes: Uint8Array): ImageSignature | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length !== ENCODED_BYTES || buf.readUInt8(0) !== SIGNATURE_VERSION) return null;
  return { aspect: buf.readFloatLE(1), content: buf.readFloatLE(5), thumb: new Uint8Array(buf.subarray(HEADER_BYTES)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

/** Bilinear taps along one axis: for each sample position, the two pixels and the weight of the second. */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  a: Float32Array;
}

/** Taps for two samples per cell (at a quarter and three quarters of it), cells in output order, written into `t`. */
function fillTaps(t: Taps, origin: number, cell: number, grid: number, mirror: boolean): Taps {
  for (let g = 0; g < grid; g++) {
    const start = origin + (mirror ? grid - 1 - g : g) * cell;
    for (let k = 0; k < 2; k++) {
      // Pixel centres sit at i + 0.5; clamp at the border like an edge-extended image.
      const f = Math.min(THUMB_SIZE - 1, Math.max(0, start + cell * (k === 0 ? 0.25 : 0.75) - 0.5));
      const i0 = Math.floor(f);
      t.i0[2 * g + k] = i0;
      t.i1[2 * g + k] = Math.min(THUMB_SIZE - 1, i0 + 1);
      t.a[2 * g + k] = f - i0;
    }
  }
  return t;
}

/**
 * Working memory of regionRaster, which is synchronous and never re-entered: a dedupe resamples hundreds of rasters
 * per candidate pair, and allocating these typed arrays afresh each time (off the V8 heap, freed by the collector)
 * cost more than the arithmetic. Sized for the largest grid and grown if a larger one ever comes.
 */
function workingMemory(grid: number): { grid: number; tx: Taps; ty: Taps; across: Float32Array } {
  const n = 2 * grid;
  const taps = (): Taps => ({ i0: new Int32Array(n), i1: new Int32Array(n), a: new Float32Array(n) });
  return { grid, tx: taps(), ty: taps(), across: new Float32Array(THUMB_SIZE * n) };
}
let scratch = workingMemory(DETAIL_GRID);
function scratchFor(grid: number): typeof scratch {
  if (grid > scratch.grid) scratch = workingMemory(grid);
  return scratch;
}

/**
 * A region (0..1 units) of a thumbnail resampled onto a grid×grid raster, in grey levels; each cell averages 2×2
 * bilinear samples, which anti-aliases downscaling and blurs both sides of a comparison alike. Separable: rows
 * are interpolated across first, then down, so a 64×64 raster costs ~40k operations rather than ~300k. With `into`
 * (grid × grid long), the raster is written there instead of a new array.
 */
function regionRaster(
  thumb: Uint8Array,
  x: number,
  y: number,
  w: number,
  h: number,
  grid: number,
  mirror: boolean,
  into?: Float32Array,
): Float32Array {
  const { tx, ty, across } = scratchFor(grid);
  fillTaps(tx, x * THUMB_SIZE, (w * THUMB_SIZE) / grid, grid, mirror);
  fillTaps(ty, y * THUMB_SIZE, (h * THUMB_SIZE) / grid, grid, false);
  const n = 2 * grid;
  // Horizontal pass over the thumbnail rows the vertical taps touch.
  const rowLo = ty.i0[0]!;
  const rowHi = ty.i1[n - 1]!;
  for (let r = rowLo; r <= rowHi; r++) {
    const base = r * THUMB_SIZE;
    const out = (r - rowLo) * n;
    for (let j = 0; j < n; j++) {
      const a = tx.a[j]!;
      across[out + j] = thumb[base + tx.i0[j]!]! * (1 - a) + thumb[base + tx.i1[j]!]! * a;
    }
  }
  // Vertical pass, then the 2×2 average per cell.
  const v = into ? into.fill(0, 0, grid * grid) : new Float32Array(grid * grid);
  for (let gy = 0; gy < grid; gy++) {
    for (let k = 0; k < 2; k++) {
      const s = 2 * gy + k;
      const a = ty.a[s]!;
      const r0 = (ty.i0[s]! - rowLo) * n;
      const r1 = (ty.i1[s]! - rowLo) * n;
      const row = gy * grid;
      for (let gx = 0; gx < grid; gx++) {
        const j = 2 * gx;
        v[row + gx]! +=
          (across[r0 + j]! * (1 - a) + across[r1 + j]! * a + across[r0 + j + 1]! * (1 - a) + across[r1 + j + 1]! * a) / 4;
      }
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

function coarseVector(thumb: Uint8Array, x: number, y: number, w: number, h: number, mirror: boolean, into?: Float32Array): Float32Array {
  return standardise(regionRaster(thumb, x, y, w, h, COARSE_GRID, mirror, into));
}

/**
 * The coarse layout (as `whole` holds it for the whole picture) of a region of a signature's content, in 0..1
 * units: what a picture that is only this part of it looks like to the layout index.
 */
export function regionLayout(sig: ImageSignature, x: number, y: number, w: number, h: number): Float32Array {
  return coarseVector(sig.thumb, x, y, w, h, false);
}

/** Rasters used once and dropped (compared, then forgotten), reused for the reason scratch is. */
const transient = {
  coarse: new Float32Array(COARSE_GRID * COARSE_GRID),
  fine: new Float32Array(FINE_GRID * FINE_GRID),
  detailBase: new Float32Array(DETAIL_GRID * DETAIL_GRID),
  detail: new Float32Array(DETAIL_GRID * DETAIL_GRID),
};

/** High-pass detail of a region: the raster minus its 3×3 box blur (texture and print, not silhouette). */
function detailRaster(thumb: Uint8Array, x: number, y: number, w: number, h: number, mirror: boolean, into?: Float32Array): Float32Array {
  const n = DETAIL_GRID;
  const r = regionRaster(thumb, x, y, w, h, n, mirror, transient.detailBase);
  const out = into ?? new Float32Array(n * n);
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
function dot(a: Float32Array, b: Float32Array): number {
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
  /** Coarse vectors of other regions, computed on demand (see cachedRegion). */
  readonly regions: Map<string, Float32Array>;
}

const COARSE_CELLS = COARSE_GRID * COARSE_GRID;
/** Floats of one prepared signature's vectors (whole ×2, centre crops, detail raster), in that order. */
export const PREPARED_FLOATS = (2 + CENTRE_SCALES.length) * COARSE_CELLS + DETAIL_GRID * DETAIL_GRID;

/**
 * Derives the per-run vectors of a signature (a fraction of a millisecond). With `into` (PREPARED_FLOATS long), the
 * vectors are written there and the result views them (signature-arena.ts lays many out in shared memory).
 */
export function prepareSignature(sig: ImageSignature, into?: Float32Array): PreparedSignature {
  const t = sig.thumb;
  const slice = (i: number, n: number) => into?.subarray(i, i + n);
  const centreAt = (i: number) => (2 + i) * COARSE_CELLS;
  const detailAt = centreAt(CENTRE_SCALES.length);
  return {
    sig,
    whole: [coarseVector(t, 0, 0, 1, 1, false, slice(0, COARSE_CELLS)), coarseVector(t, 0, 0, 1, 1, true, slice(COARSE_CELLS, COARSE_CELLS))],
    centre: CENTRE_SCALES.map((s, i) => coarseVector(t, (1 - s) / 2, (1 - s) / 2, s, s, false, slice(centreAt(i), COARSE_CELLS))),
    detail: detailRaster(t, 0, 0, 1, 1, false, slice(detailAt, DETAIL_GRID * DETAIL_GRID)),
    regions: new Map(),
  };
}

/**
 * The PreparedSignature whose vectors prepareSignature(sig, vectors) wrote into `vectors`, without computing them
 * again (a worker viewing a shared arena).
 */
export function viewPreparedSignature(sig: ImageSignature, vectors: Float32Array): PreparedSignature {
  const slice = (i: number, n: number) => vectors.subarray(i, i + n);
  const detailAt = (2 + CENTRE_SCALES.length) * COARSE_CELLS;
  return {
    sig,
    whole: [slice(0, COARSE_CELLS), slice(COARSE_CELLS, COARSE_CELLS)],
    centre: CENTRE_SCALES.map((_, i) => slice((2 + i) * COARSE_CELLS, COARSE_CELLS)),
    detail: slice(detailAt, DETAIL_GRID * DETAIL_GRID),
    regions: new Map(),
  };
}

/**
 * A coarse region vector remembered on the picture: the aspect-fitted crops repeat across pairs (a catalog has
 * few aspect ratios), and the coarse comparison does not mind a region a fraction of a percent off. The vector
 * is that of the region rounded to the key (1% of the frame), so a pair's outcome never depends on which pair
 * asked first (verification workers each see another share of the pairs, in another order).
 */
function cachedRegion(p: PreparedSignature, x: number, y: number, w: number, h: number): Float32Array {
  const [rx, ry, rw, rh] = [x, y, w, h].map((c) => Math.round(c * 100) / 100) as [number, number, number, number];
  const key = `${rx},${ry},${rw},${rh}`;
  let v = p.regions.get(key);
  if (!v) {
    v = coarseVector(p.sig.thumb, rx, ry, rw, rh, false);
    if (p.regions.size < 16) p.regions.set(key, v);
  }
  return v;
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
      const region = cachedRegion(big, x, y, w, h);
      for (const m of [0, 1] as const) consider(dot(region, small.whole[m]), host, x, y, w, h, m === 1);
    }
  }
  return best;
}

/**
 * Searches the smaller picture as a crop anywhere in the larger one (both roles, both mirrorings) on a coarse
 * ladder of scales and positions, for refineAlignment to finish: about sixty small rasters.
 */
export function searchAlign(a: PreparedSignature, b: PreparedSignature): Alignment {
  let best: Alignment | undefined;
  for (const [host, big, small] of [['a', a, b] as const, ['b', b, a] as const]) {
    for (const s of SEARCH_SCALES) {
      // The small picture covers w × h of the big frame; its aspect ratio fixes one from the other.
      let w = s;
      let h = (s * big.sig.aspect) / small.sig.aspect;
      if (h > 1) {
        w = s / h;
        h = 1;
      }
      if (w < SEARCH_SCALES[SEARCH_SCALES.length - 1]! - 0.05 || h < 0.5) continue;
      const nx = Math.max(1, Math.round((1 - w) / SEARCH_STEP) + 1);
      const ny = Math.max(1, Math.round((1 - h) / SEARCH_STEP) + 1);
      for (let iy = 0; iy < ny; iy++) {
        const y = ny === 1 ? (1 - h) / 2 : ((1 - h) * iy) / (ny - 1);
        for (let ix = 0; ix < nx; ix++) {
          const x = nx === 1 ? (1 - w) / 2 : ((1 - w) * ix) / (nx - 1);
          // One region vector serves both mirrorings of the small picture.
          const region = coarseVector(big.sig.thumb, x, y, w, h, false, transient.coarse);
          const plain = dot(region, small.whole[0]);
          const mirrored = dot(region, small.whole[1]);
          const coarse = Math.max(plain, mirrored);
          if (!best || coarse > best.coarse) best = { host, x, y, w, h, mirrored: mirrored > plain, coarse };
        }
      }
    }
  }
  return best ?? { host: 'a', x: 0, y: 0, w: 1, h: 1, mirrored: false, coarse: -1 };
}


/** Step sizes of refineAlignment's pattern search, coarse to fine (fractions of the frame). */
const REFINE_STEPS = [0.02, 0.01, 0.005] as const;

/**
 * Polishes a crop alignment so fine detail can be compared: a pattern search over position and scale (aspect
 * kept) that maximises the grey-level correlation on a 24×24 grid.
 * The coarse alignments only land within a few percent (their scales are a fixed ladder), which the detail
 * comparison, at 1/64 of the frame per cell, cannot absorb.
 * The steps halve from 2% to 0.5% of the frame (`steps`: a start known to be closer needs fewer).
 */
export function refineAlignment(a: PreparedSignature, b: PreparedSignature, al: Alignment, steps: readonly number[] = REFINE_STEPS): Alignment {
  const host = al.host === 'a' ? a : b;
  const other = al.host === 'a' ? b : a;
  const target = standardise(regionRaster(other.sig.thumb, 0, 0, 1, 1, FINE_GRID, al.mirrored));
  const evaluate = (x: number, y: number, w: number, h: number) => dot(standardise(regionRaster(host.sig.thumb, x, y, w, h, FINE_GRID, false, transient.fine)), target);
  let { x, y, w, h } = al;
  let best = evaluate(x, y, w, h);
  for (const step of steps) {
    for (let round = 0; round < 6; round++) {
      let moved = false;
      for (const [dx, dy, ds] of [
        [step, 0, 0],
        [-step, 0, 0],
        [0, step, 0],
        [0, -step, 0],
        [0, 0, step],
        [0, 0, -step],
      ] as const) {
        // Scale about the region's centre, keeping its aspect; stay inside the host frame.
        const f = 1 + ds / Math.max(w, h);
        const nw = w * f;
        const nh = h * f;
        if (nw > 1 + 1e-9 || nh > 1 + 1e-9 || nw < 0.3 || nh < 0.3) continue;
        const nx = Math.min(1 - nw, Math.max(0, x + dx - (nw - w) / 2));
        const ny = Math.min(1 - nh, Math.max(0, y + dy - (nh - h) / 2));
        const score = evaluate(nx, ny, nw, nh);
        if (score > best + 1e-6) {
          best = score;
          ({ x, y, w, h } = { x: nx, y: ny, w: nw, h: nh });
          moved = true;
        }
      }
      if (!moved) break;
    }
  }
  return { ...al, x, y, w, h };
}

/** Detail agreement (0..1) of two pictures at an alignment: the share of informative detail blocks that match. */
export function detailAgreement(a: PreparedSignature, b: PreparedSignature, al: Alignment): number {
  const host = al.host === 'a' ? a : b;
  const other = al.host === 'a' ? b : a;
  if (isWhole(al)) return blockAgreement(host.detail, other.detail, al.mirrored);
  return blockAgreement(detailRaster(host.sig.thumb, al.x, al.y, al.w, al.h, false, transient.detail), other.detail, al.mirrored);
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
  /**
   * Also search crops anywhere (any scale from 92% to 66%, any position) and polish the best alignments when the
   * cheap ones fall short: about a millisecond, so callers keep it for a picture's most likely copies.
   */
  search?: boolean;
}

/** A crop alignment whose layout correlates less than this is not worth a detail comparison. */
const CROP_MIN_COARSE = 0.8;
/** How much better than the whole picture a crop's layout must fit to be compared in detail. */
const CROP_MARGIN = 0.02;

/**
 * Compares two pictures from cheapest to dearest alignment: whole (plain or mirrored), then centred and
 * aspect-fitted crops, then (with `search`) crops anywhere, polished. Stops as soon as the agreement reaches
 * `accept`. The cheap alignments sit at fixed scales: they settle exact copies and the common crops; a crop of
 * another size or position needs the search.
 */
export function matchPictures(a: PreparedSignature, b: PreparedSignature, options: MatchOptions): PictureMatch {
  const plain = dot(a.whole[0], b.whole[0]);
  const mirrored = dot(a.whole[0], b.whole[1]);
  const whole: Alignment = { host: 'a', x: 0, y: 0, w: 1, h: 1, mirrored: mirrored > plain, coarse: Math.max(plain, mirrored) };
  let best: PictureMatch = { agreement: detailAgreement(a, b, whole), alignment: whole };
  if (best.agreement >= options.accept) return best;
  const consider = (al: Alignment) => {
    const agreement = detailAgreement(a, b, al);
    if (agreement > best.agreement) best = { agreement, alignment: al };
  };
  const quick = quickAlign(a, b);
  // A crop is worth a detail comparison when its layout fits, and fits better than the whole picture does.
  if (!isWhole(quick) && quick.coarse >= Math.max(CROP_MIN_COARSE, whole.coarse + CROP_MARGIN)) consider(quick);
  if (best.agreement >= options.accept || !options.search) return best;
  // Polish the best-fitting starts: the searched crop, the cheap crop, or the whole picture as a slight crop of
  // either side (a 95% crop lines up with neither the whole nor any searched scale well enough for detail).
  const starts = [searchAlign(a, b), quick, whole, { ...whole, host: 'b' as const }]
    .filter((al) => al.coarse >= 0.5)
    .sort((x, y) => y.coarse - x.coarse);
  const top = starts[0]?.coarse ?? 0;
  for (const start of starts.slice(0, 3)) {
    if (start.coarse < top - 0.05) break;
    consider(refineAlignment(a, b, isWhole(start) ? { ...start, ...NEAR_WHOLE } : start));
    if (best.agreement >= options.accept) break;
  }
  return best;
}

/** A whole-picture alignment as a region a hair smaller than the frame, so refinement can move and scale it. */
const NEAR_WHOLE = { x: 0.01, y: 0.01, w: 0.98, h: 0.98 } as const;

/**
 * The signature of the picture turned by `quarters` × 90° clockwise, from the signature alone (the thumbnail is
 * the trimmed content squashed to a square, so a quarter turn is a transpose and a flip of it): a copy whose pixels
 * were turned without an EXIF tag is then found and compared like any other.
 */
export function rotateSignature(sig: ImageSignature, quarters: 1 | 2 | 3): ImageSignature {
  const n = THUMB_SIZE;
  const thumb = new Uint8Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const v = sig.thumb[y * n + x]!;
      // Clockwise: (x, y) goes to (n-1-y, x); twice: (n-1-x, n-1-y); three times: (y, n-1-x).
      const [tx, ty] = quarters === 1 ? [n - 1 - y, x] : quarters === 2 ? [n - 1 - x, n - 1 - y] : [y, n - 1 - x];
      thumb[ty * n + tx] = v;
    }
  }
  return { thumb, aspect: quarters === 2 ? sig.aspect : 1 / sig.aspect, content: sig.content };
}

/**
 * The coarse layout of the whole picture turned by `quarters` (prepareSignature(rotateSignature(sig, quarters)).whole[0]),
 * without the crops and detail raster a full preparation also makes: asking every picture's three turns of the
 * layout index needs only this, and preparing them in full was a quarter of dupes' CPU at 10k pictures.
 */
export function turnedLayout(sig: ImageSignature, quarters: 1 | 2 | 3): Float32Array {
  return coarseVector(rotateSignature(sig, quarters).thumb, 0, 0, 1, 1, false);
}
