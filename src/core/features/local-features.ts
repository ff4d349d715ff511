/**
 * Local-feature geometric verification: is one picture the other (or a part of it, or inside it), whatever the
 * rotation, scale, crop or frame? ORB keypoints (OpenCV's WASM build, `@techstark/opencv-js`, loaded lazily on
 * the first call: ~0.5 s), brute-force Hamming matching with Lowe's ratio test, a RANSAC affine transform, then a
 * pixel check of the whole overlap: two shop-page screenshots of different products share their header, price
 * line and margins (many inliers, a clean transform), but the product region disagrees; a copy agrees everywhere.
 *
 * The verdict is `duplicate` (same picture, altered), `similar` (same picture in another colour: a product's
 * colour variant) or `different`. General enough for match's "same product" confirmation too.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';

/* eslint-disable @typescript-eslint/no-explicit-any -- opencv.js ships no usable types for its emscripten API */
type Cv = any;

let loading: Promise<{ cv: Cv }> | undefined;

/**
 * OpenCV's runtime, loaded once (concurrent callers share one promise). It comes boxed: the emscripten module is
 * a thenable whose then() hands back itself, so a promise resolved with it would unwrap it for ever.
 */
export function loadOpenCv(): Promise<{ cv: Cv }> {
  loading ??= (async () => {
    const req = createRequire(import.meta.url);
    // Emscripten's Node glue installs process-wide handlers (an unhandled rejection anywhere would abort the WASM
    // runtime and print its whole source): the app keeps its own.
    const before = { exception: process.listeners('uncaughtException'), rejection: process.listeners('unhandledRejection') };
    const cv = req('@techstark/opencv-js') as Cv;
    for (const l of process.listeners('uncaughtException')) if (!before.exception.includes(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.rejection.includes(l)) process.removeListener('unhandledRejection', l);
    if (!cv.Mat) await new Promise<void>((resolve) => (cv.onRuntimeInitialized = () => resolve()));
    return { cv };
  })();
  return loading;
}

/** Longer side (px) the picture is resized to, up or down, before detection. */
const WORK_SIDE = 480;
const MAX_FEATURES = 1000;
const FAST_THRESHOLD = 8;
const RATIO = 0.8;
const RANSAC_PX = 5;
/** Inliers that make a transform believable (random matches of two unrelated photos give under ~10). */
const MIN_INLIERS = 14;
/** Side of a square block of the pixel check, in working pixels. */
const CHECK_BLOCK = 16;
/** Below this grey-level standard deviation in both pictures a block says nothing. */
const FLAT_STD = 7;
/** Grey levels apart at which two flat blocks disagree (a brightened copy moves mid-tones by ~20). */
const FLAT_LEVEL = 40;
/** A block agrees above this normalised correlation (blur, noise, JPEG at quality 25 keep ~0.6 or more). */
const BLOCK_NCC = 0.45;
/** Share of informative overlap blocks that must agree for a duplicate. */
const MIN_AGREEMENT = 0.72;
/** The largest patch of disagreeing blocks a duplicate may hold (a sticker, a watermark band; not a product slot). */
const MAX_PATCH = 0.14;
/** The share of keypoints in regions without inliers that a duplicate may have (a sticker, a watermark). */
const MAX_UNMATCHED = 0.2;
/** The inliers' bounding box must cover this share of the overlap... */
const MIN_SPREAD = 0.12;
/** ...unless this share of at least this many informative blocks agree. */
const SPREAD_WAIVER = 0.8;
const SPREAD_WAIVER_BLOCKS = 24;
/** Cells per side of the grid over the smaller picture in which inliers are counted. */
const CELLS = 6;
/** Weighted mean hue difference (degrees) over coloured pixels beyond which the colour changed. */
const HUE_SHIFT = 28;

/** Features of one picture, kept for the run (about 0.2 MB: the grey raster is checked against the other). */
export interface LocalFeatures {
  width: number;
  height: number;
  /** Grey working raster, row-major. */
  grey: Uint8Array;
  /** The grey raster box-blurred twice (3×3): the pixel check forgives the transform's pixel of error and aliasing. */
  smooth: Uint8Array;
  /** RGB at the same size, interleaved. */
  rgb: Uint8Array;
  points: Float32Array;
  descriptors: Uint8Array;
  descriptorBytes: number;
  count: number;
  mirrored: boolean;
}

export type LocalVerdict = 'duplicate' | 'similar' | 'different';

/** Why a pair is what it is; `angle` goes with 'rotated'. */
export type ReasonCode =
  | 'identical'
  | 'rotated'
  | 'mirrored'
  | 'contained'
  | 'cropped'
  | 'resized'
  | 'stretched'
  | 'recoloured'
  | 'greyscale'
  | 'edited'
  | 'recompressed'
  | 'colour-variant'
  | 'shared-frame'
  | 'no-match';

export interface PairVerification {
  verdict: LocalVerdict;
  reasons: ReasonCode[];
  /** Rotation of b relative to a in degrees (−180, 180], counter-clockwise as seen. */
  angle: number;
  /** Area scale of b relative to a (side ratio). */
  scale: number;
  inliers: number;
  matches: number;
  /** Row-major 2×3 affine from a's working pixels to b's (identity when none was found). */
  transform: number[];
  /** Share of a's and b's area that the other covers. */
  coverage: { a: number; b: number };
  /** Share of informative overlap blocks whose pixels agree (0..1). */
  agreement: number;
  /** The largest patch of disagreeing blocks, as a share of the overlap (a product slot that differs). */
  disagreement: number;
  /** That patch is a band across the overlap (a watermark strip, a price banner), not a compact product slot. */
  banded: boolean;
  /** Share of informative overlap blocks outside that band whose pixels agree (= agreement without a band). */
  agreementOutsideBand: number;
  /** Bounding box of the inliers over the overlap's area (a shared logo gives a small one). */
  spread: number;
  /**
   * Share of the smaller picture's keypoints (inside the overlap) that lie in cells where inliers are missing
   * although the pair's inlier rate says several were due: the product in a shared frame or on a shared background.
   */
  unmatched: number;
  /** The pixels of the overlap disagree (as opposed to too few or too clustered inliers): a frame around other content. */
  contentDisagrees: boolean;
  /** Weighted mean hue difference over coloured pixels, degrees. */
  hueShift: number;
  /** The inliers' keypoints (indexes into each picture's `points`), pairwise: a page template shared by many pictures is matched on the same keypoints every time. */
  inlierKeypoints: { a: Int32Array; b: Int32Array };
}

export interface ExtractOptions {
  /** Extract from the mirrored picture (a mirrored copy is matched as the mirror of its original). */
  mirror?: boolean;
}

/**
 * Decodes a picture (upright, alpha on white) and extracts its ORB features.
 * @throws sharp's error when the picture cannot be decoded.
 */
export async function extractFeatures(input: Buffer | string, options: ExtractOptions = {}): Promise<LocalFeatures> {
  const { cv } = await loadOpenCv();
  let pipeline = sharp(input, { failOn: 'none', limitInputPixels: 268_402_689 }).rotate();
  if (options.mirror) pipeline = pipeline.flop();
  const { data, info } = await pipeline
    .resize(WORK_SIDE, WORK_SIDE, { fit: 'inside' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const rgb = new Uint8Array(width * height * 3);
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const r = data[i * channels]!;
    const g = data[i * channels + Math.min(1, channels - 1)]!;
    const b = data[i * channels + Math.min(2, channels - 1)]!;
    rgb[i * 3] = r;
    rgb[i * 3 + 1] = g;
    rgb[i * 3 + 2] = b;
    grey[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  const img = new cv.Mat(height, width, cv.CV_8UC1);
  const kp = new cv.KeyPointVector();
  const desc = new cv.Mat();
  const none = new cv.Mat();
  // A low FAST threshold: smooth product shots (soft light, plain fabric) give too few corners at the default 20.
  const orb = new cv.ORB(MAX_FEATURES, 1.2, 8, 31, 0, 2, 0, 31, FAST_THRESHOLD);
  try {
    img.data.set(grey);
    orb.detectAndCompute(img, none, kp, desc);
    const count = kp.size() as number;
    const points = new Float32Array(2 * count);
    for (let i = 0; i < count; i++) {
      const k = kp.get(i);
      points[2 * i] = k.pt.x;
      points[2 * i + 1] = k.pt.y;
    }
    const descriptorBytes = count > 0 ? (desc.cols as number) : 32;
    const descriptors = Uint8Array.from((desc.data as Uint8Array).subarray(0, count * descriptorBytes));
    return { width, height, grey, smooth: boxBlur(boxBlur(grey, width, height), width, height), rgb, points, descriptors, descriptorBytes, count, mirrored: options.mirror === true };
  } finally {
    img.delete();
    kp.delete();
    desc.delete();
    none.delete();
    orb.delete();
  }
}

function boxBlur(src: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          s += src[yy * width + xx]!;
          n++;
        }
      }
      out[y * width + x] = Math.round(s / n);
    }
  }
  return out;
}

const IDENTITY = [1, 0, 0, 0, 1, 0];

function noMatch(matches: number, inliers: number): PairVerification {
  return {
    verdict: 'different',
    reasons: ['no-match'],
    angle: 0,
    scale: 1,
    inliers,
    matches,
    transform: IDENTITY,
    coverage: { a: 0, b: 0 },
    agreement: 0,
    disagreement: 0,
    banded: false,
    agreementOutsideBand: 0,
    spread: 0,
    unmatched: 0,
    contentDisagrees: false,
    hueShift: 0,
    inlierKeypoints: { a: new Int32Array(0), b: new Int32Array(0) },
  };
}

/** Tentative correspondences a → b: ratio test, one-to-one on b's side. */
function matchDescriptors(cv: Cv, a: LocalFeatures, b: LocalFeatures): { src: number[]; dst: number[]; ia: number[]; ib: number[] } {
  const src: number[] = [];
  const dst: number[] = [];
  const ia: number[] = [];
  const ib: number[] = [];
  if (a.count < 8 || b.count < 8) return { src, dst, ia, ib };
  const da = cv.matFromArray(a.count, a.descriptorBytes, cv.CV_8U, a.descriptors);
  const db = cv.matFromArray(b.count, b.descriptorBytes, cv.CV_8U, b.descriptors);
  const knn = new cv.DMatchVectorVector();
  const matcher = new cv.BFMatcher(cv.NORM_HAMMING, false);
  try {
    matcher.knnMatch(da, db, knn, 2);
    const best = new Map<number, { q: number; d: number }>();
    for (let i = 0; i < knn.size(); i++) {
      const m = knn.get(i);
      if (m.size() < 2) continue;
      const m0 = m.get(0);
      const m1 = m.get(1);
      if (!(m0.distance < RATIO * m1.distance)) continue;
      const had = best.get(m0.trainIdx);
      if (!had || m0.distance < had.d) best.set(m0.trainIdx, { q: m0.queryIdx, d: m0.distance });
    }
    for (const [t, { q }] of best) {
      src.push(a.points[2 * q]!, a.points[2 * q + 1]!);
      dst.push(b.points[2 * t]!, b.points[2 * t + 1]!);
      ia.push(q);
      ib.push(t);
    }
    return { src, dst, ia, ib };
  } finally {
    da.delete();
    db.delete();
    knn.delete();
    matcher.delete();
  }
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let v = i; v; v >>= 1) n += v & 1;
  return n;
});
/** Pixels around the predicted position searched by guided matching, and the descriptor distance it accepts. */
const GUIDE_RADIUS = 10;
const GUIDE_DISTANCE = 64;

/** For each keypoint of a, the nearest-descriptor keypoint of b within GUIDE_RADIUS of m's prediction (one-to-one). */
function guidedMatches(a: LocalFeatures, b: LocalFeatures, m: readonly number[]): { src: number[]; dst: number[]; ia: number[]; ib: number[] } {
  const cell = GUIDE_RADIUS;
  const cols = Math.ceil(b.width / cell) + 1;
  const buckets = new Map<number, number[]>();
  for (let j = 0; j < b.count; j++) {
    const k = Math.floor(b.points[2 * j + 1]! / cell) * cols + Math.floor(b.points[2 * j]! / cell);
    let list = buckets.get(k);
    if (!list) buckets.set(k, (list = []));
    list.push(j);
  }
  const bytes = a.descriptorBytes;
  const best = new Map<number, { i: number; d: number }>();
  for (let i = 0; i < a.count; i++) {
    const [px, py] = apply(m, a.points[2 * i]!, a.points[2 * i + 1]!);
    if (px < -cell || py < -cell || px > b.width + cell || py > b.height + cell) continue;
    const cx = Math.floor(px / cell);
    const cy = Math.floor(py / cell);
    let bestJ = -1;
    let bestD = GUIDE_DISTANCE;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const j of buckets.get((cy + dy) * cols + cx + dx) ?? []) {
          const ex = b.points[2 * j]! - px;
          const ey = b.points[2 * j + 1]! - py;
          if (ex * ex + ey * ey > GUIDE_RADIUS * GUIDE_RADIUS) continue;
          let d = 0;
          for (let k = 0; k < bytes && d < bestD; k++) d += POPCOUNT[a.descriptors[i * bytes + k]! ^ b.descriptors[j * bytes + k]!]!;
          if (d < bestD) {
            bestD = d;
            bestJ = j;
          }
        }
      }
    }
    if (bestJ < 0) continue;
    const had = best.get(bestJ);
    if (!had || bestD < had.d) best.set(bestJ, { i, d: bestD });
  }
  const src: number[] = [];
  const dst: number[] = [];
  const ia: number[] = [];
  const ib: number[] = [];
  for (const [j, { i }] of best) {
    src.push(a.points[2 * i]!, a.points[2 * i + 1]!);
    dst.push(b.points[2 * j]!, b.points[2 * j + 1]!);
    ia.push(i);
    ib.push(j);
  }
  return { src, dst, ia, ib };
}

/** RANSAC affine a → b with its inlier mask, or undefined. */
function estimate(cv: Cv, src: number[], dst: number[]): { m: number[]; inlierMask: Uint8Array } | undefined {
  const n = src.length / 2;
  const s = cv.matFromArray(n, 1, cv.CV_32FC2, src);
  const d = cv.matFromArray(n, 1, cv.CV_32FC2, dst);
  const mask = new cv.Mat();
  try {
    const m = cv.estimateAffine2D(s, d, mask, cv.RANSAC, RANSAC_PX, 2000, 0.995, 10);
    try {
      if (m.empty()) return undefined;
      return { m: Array.from(m.data64F as Float64Array), inlierMask: Uint8Array.from(mask.data as Uint8Array) };
    } finally {
      m.delete();
    }
  } finally {
    s.delete();
    d.delete();
    mask.delete();
  }
}

/** Area of the convex polygon (shoelace). */
function polygonArea(p: readonly [number, number][]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const [x0, y0] = p[i]!;
    const [x1, y1] = p[(i + 1) % p.length]!;
    s += x0 * y1 - x1 * y0;
  }
  return Math.abs(s) / 2;
}

/** Clips a convex polygon to the rectangle [0, w] × [0, h] (Sutherland–Hodgman). */
function clipToRect(poly: [number, number][], w: number, h: number): [number, number][] {
  const edges: [(p: [number, number]) => number][] = [[(p) => p[0]], [(p) => w - p[0]], [(p) => p[1]], [(p) => h - p[1]]];
  let out = poly;
  for (const [inside] of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const cur = input[i]!;
      const prev = input[(i + input.length - 1) % input.length]!;
      const ci = inside(cur);
      const pi = inside(prev);
      if (ci >= 0) {
        if (pi < 0) out.push(lerp(prev, cur, pi / (pi - ci)));
        out.push(cur);
      } else if (pi >= 0) out.push(lerp(prev, cur, pi / (pi - ci)));
    }
    if (out.length === 0) return out;
  }
  return out;
}

const lerp = (p: [number, number], q: [number, number], t: number): [number, number] => [p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t];
const apply = (m: readonly number[], x: number, y: number): [number, number] => [m[0]! * x + m[1]! * y + m[2]!, m[3]! * x + m[4]! * y + m[5]!];

function invert(m: readonly number[]): number[] {
  const det = m[0]! * m[4]! - m[1]! * m[3]!;
  const a = m[4]! / det;
  const b = -m[1]! / det;
  const d = -m[3]! / det;
  const e = m[0]! / det;
  return [a, b, -(a * m[2]! + b * m[5]!), d, e, -(d * m[2]! + e * m[5]!)];
}

function sample(f: LocalFeatures, x: number, y: number, plane: Uint8Array, stride: number, offset: number): number {
  const x0 = Math.max(0, Math.min(f.width - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(f.height - 1, Math.floor(y)));
  const x1 = Math.min(f.width - 1, x0 + 1);
  const y1 = Math.min(f.height - 1, y0 + 1);
  const ax = Math.max(0, Math.min(1, x - x0));
  const ay = Math.max(0, Math.min(1, y - y0));
  const at = (xx: number, yy: number) => plane[(yy * f.width + xx) * stride + offset]!;
  return (at(x0, y0) * (1 - ax) + at(x1, y0) * ax) * (1 - ay) + (at(x0, y1) * (1 - ax) + at(x1, y1) * ax) * ay;
}

/** Hue (degrees) and chroma of an RGB triple in a cheap opponent space. */
function hueChroma(r: number, g: number, b: number): [number, number] {
  const u = r - (g + b) / 2;
  const v = (Math.sqrt(3) / 2) * (g - b);
  return [(Math.atan2(v, u) * 180) / Math.PI, Math.hypot(u, v)];
}

interface PixelCheck {
  agreement: number;
  informative: number;
  hueShift: number;
  /** Mean chroma over the overlap in each picture (a greyscale copy has ~0). */
  chroma: [number, number];
  /** Mean absolute grey difference after matching means (recompression, blur and noise leave a little). */
  residual: number;
  /** Ratio of mean grey levels (brightness change). */
  brightness: number;
  /** The largest 4-connected patch of disagreeing blocks, as a share of the blocks inside the overlap. */
  largestDisagreement: number;
  /** That patch is a band across the overlap (isBand). */
  banded: boolean;
  /** Agreement over the informative blocks outside that band (= agreement when it is no band). */
  agreementOutsideBand: number;
}

/** A 4-connected patch of cells: its size and its bounding box in cells (inclusive). */
interface Patch {
  size: number;
  cells: number[];
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** The largest 4-connected set of cells equal to `value` (size 0 when there is none). */
function largestPatch(grid: Uint8Array, cols: number, rows: number, value: number): Patch {
  const seen = new Uint8Array(grid.length);
  let best: Patch = { size: 0, cells: [], minX: 0, maxX: -1, minY: 0, maxY: -1 };
  const stack: number[] = [];
  for (let i = 0; i < grid.length; i++) {
    if (grid[i] !== value || seen[i]) continue;
    const patch: Patch = { size: 0, cells: [], minX: cols, maxX: -1, minY: rows, maxY: -1 };
    stack.push(i);
    seen[i] = 1;
    while (stack.length > 0) {
      const c = stack.pop()!;
      patch.size++;
      patch.cells.push(c);
      const x = c % cols;
      const y = (c - x) / cols;
      patch.minX = Math.min(patch.minX, x);
      patch.maxX = Math.max(patch.maxX, x);
      patch.minY = Math.min(patch.minY, y);
      patch.maxY = Math.max(patch.maxY, y);
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]] as const) {
        if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue;
        const n = ny * cols + nx;
        if (grid[n] === value && !seen[n]) {
          seen[n] = 1;
          stack.push(n);
        }
      }
    }
    if (patch.size > best.size) best = patch;
  }
  return best;
}

/**
 * A patch laid across the overlap as a band: it spans at least BAND_SPAN of the overlap one way and at most
 * BAND_DEPTH the other. Shops stamp such bands (a watermark strip, a price banner) across a photo; a product slot
 * in a page template, or a product on a shared background, is a compact patch instead.
 */
const BAND_SPAN = 0.8;
const BAND_DEPTH = 0.25;
function isBand(patch: Patch, grid: Uint8Array, cols: number, rows: number): boolean {
  if (patch.size === 0) return false;
  let minX = cols;
  let maxX = -1;
  let minY = rows;
  let maxY = -1;
  grid.forEach((v, c) => {
    if (v === 0) return;
    const x = c % cols;
    const y = (c - x) / cols;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  });
  const w = (patch.maxX - patch.minX + 1) / Math.max(1, maxX - minX + 1);
  const h = (patch.maxY - patch.minY + 1) / Math.max(1, maxY - minY + 1);
  return (w >= BAND_SPAN && h <= BAND_DEPTH) || (h >= BAND_SPAN && w <= BAND_DEPTH);
}

/**
 * `small`'s smoothed grey raster as seen at the other picture's resolution, where one of its pixels spans `linear`
 * of the other's (the transform's scale). A picture shown larger than in the other (a tight crop against its
 * original, a photo against its copy shrunk into a page) holds detail the other's pixels cannot: compared as it is,
 * its blocks correlate below BLOCK_NCC and the pair reads as another product in a shared frame (near-dup bench,
 * tuning half: page screenshots at a scale of ~0.5 agreed on 0.69–0.70 of their blocks, under MIN_AGREEMENT). Each
 * extra 3×3 box pass adds 2/3 px² of variance; the other side's two passes and its pixel footprint, in this
 * picture's pixels, take about 2.1 × (1/linear² − 1) of them.
 */
function atResolutionOf(small: LocalFeatures, linear: number): Uint8Array {
  const passes = linear < 0.8 ? Math.min(8, Math.round(2.13 * (1 / (linear * linear) - 1))) : 0;
  let out = small.smooth;
  for (let i = 0; i < passes; i++) out = boxBlur(out, small.width, small.height);
  return out;
}

/**
 * Compares the pixels of `small` with `big` through `m` (small → big) over every block of `small` that lands
 * inside `big`: grey correlation per informative block, and the hue difference of coloured pixels.
 */
function checkPixels(small: LocalFeatures, big: LocalFeatures, m: readonly number[]): PixelCheck {
  const smallSmooth = atResolutionOf(small, Math.sqrt(Math.abs(m[0]! * m[4]! - m[1]! * m[3]!)));
  let informative = 0;
  let agreeing = 0;
  let hueSum = 0;
  let hueWeight = 0;
  let chromaS = 0;
  let chromaB = 0;
  let pixels = 0;
  let residual = 0;
  let sumS = 0;
  let sumB = 0;
  // Every other pixel each way: the rasters are smoothed, so a quarter of the samples says as much (and costs a quarter).
  const n = (CHECK_BLOCK / 2) * (CHECK_BLOCK / 2);
  const vs = new Float32Array(n);
  const vb = new Float32Array(n);
  const cols = Math.floor(small.width / CHECK_BLOCK);
  const rows = Math.floor(small.height / CHECK_BLOCK);
  /** Per block: 0 outside the other picture, 1 flat, 2 agreeing, 3 disagreeing. */
  const state = new Uint8Array(cols * rows);
  let inside = 0;
  for (let by = 0; by + CHECK_BLOCK <= small.height; by += CHECK_BLOCK) {
    for (let bx = 0; bx + CHECK_BLOCK <= small.width; bx += CHECK_BLOCK) {
      const cell = (by / CHECK_BLOCK) * cols + bx / CHECK_BLOCK;
      // Blocks that fall partly outside the other picture are left out (a crop's edge).
      const corners = [apply(m, bx, by), apply(m, bx + CHECK_BLOCK, by), apply(m, bx, by + CHECK_BLOCK), apply(m, bx + CHECK_BLOCK, by + CHECK_BLOCK)];
      if (corners.some(([x, y]) => x < 0 || y < 0 || x > big.width - 1 || y > big.height - 1)) continue;
      inside++;
      state[cell] = 1;
      let ms = 0;
      let mb = 0;
      let k = 0;
      for (let y = by; y < by + CHECK_BLOCK; y += 2) {
        for (let x = bx; x < bx + CHECK_BLOCK; x += 2) {
          const [tx, ty] = apply(m, x + 0.5, y + 0.5);
          const s = smallSmooth[y * small.width + x]!;
          const b = sample(big, tx - 0.5, ty - 0.5, big.smooth, 1, 0);
          vs[k] = s;
          vb[k] = b;
          ms += s;
          mb += b;
          k++;
          if (((x ^ y) & 2) === 0) {
            const at = (y * small.width + x) * 3;
            const [hs, cs] = hueChroma(small.rgb[at]!, small.rgb[at + 1]!, small.rgb[at + 2]!);
            const [hb, cb] = hueChroma(
              sample(big, tx - 0.5, ty - 0.5, big.rgb, 3, 0),
              sample(big, tx - 0.5, ty - 0.5, big.rgb, 3, 1),
              sample(big, tx - 0.5, ty - 0.5, big.rgb, 3, 2),
            );
            chromaS += cs;
            chromaB += cb;
            pixels++;
            const w = Math.min(cs, cb);
            if (w > 12) {
              let d = Math.abs(hs - hb) % 360;
              if (d > 180) d = 360 - d;
              hueSum += d * w;
              hueWeight += w;
            }
          }
        }
      }
      ms /= n;
      mb /= n;
      sumS += ms;
      sumB += mb;
      let ss = 0;
      let sb = 0;
      let sx = 0;
      let diff = 0;
      for (let i = 0; i < n; i++) {
        const ds = vs[i]! - ms;
        const db = vb[i]! - mb;
        ss += ds * ds;
        sb += db * db;
        sx += ds * db;
        diff += Math.abs(ds - db);
      }
      residual += diff / n;
      const stdS = Math.sqrt(ss / n);
      const stdB = Math.sqrt(sb / n);
      if (stdS < FLAT_STD && stdB < FLAT_STD) {
        // Flat in both says nothing, unless the levels differ: one product's plain red where the other has blue.
        if (Math.abs(ms - mb) > FLAT_LEVEL) {
          informative++;
          state[cell] = 3;
        }
        continue;
      }
      informative++;
      const ncc = sx / Math.sqrt(ss * sb + 1e-9);
      if (ncc > BLOCK_NCC) agreeing++;
      state[cell] = ncc > BLOCK_NCC ? 2 : 3;
    }
  }
  const blocks = Math.max(1, Math.floor(small.width / CHECK_BLOCK) * Math.floor(small.height / CHECK_BLOCK));
  const patch = largestPatch(state, cols, rows, 3);
  const banded = isBand(patch, state, cols, rows);
  // Outside a band every block of it disagrees, so: agreeing / (informative − the band's blocks).
  const agreementOutsideBand = banded ? agreeing / Math.max(1, informative - patch.size) : informative > 0 ? agreeing / informative : 0;
  return {
    agreement: informative > 0 ? agreeing / informative : 0,
    informative,
    hueShift: hueWeight > 0 ? hueSum / hueWeight : 0,
    chroma: [chromaS / Math.max(1, pixels), chromaB / Math.max(1, pixels)],
    residual: residual / blocks,
    brightness: sumS > 0 ? sumB / sumS : 1,
    largestDisagreement: patch.size / Math.max(1, inside),
    banded,
    agreementOutsideBand,
  };
}

/**
 * Verifies that b is (a transformed copy of) a, or a part of it, or contains it, on their local features.
 * Deterministic for given features (RANSAC is seeded by OpenCV's fixed RNG).
 */
export async function verifyFeatures(a: LocalFeatures, b: LocalFeatures): Promise<PairVerification> {
  const { cv } = await loadOpenCv();
  const { src, dst, ia, ib } = matchDescriptors(cv, a, b);
  const matches = src.length / 2;
  if (matches < MIN_INLIERS) return noMatch(matches, 0);
  const first = estimate(cv, src, dst);
  if (!first) return noMatch(matches, 0);
  // Guided matching: every keypoint of a against b's keypoints near where the first transform puts it. Recovers
  // the matches the ratio test drops on repetitive texture (stripes, knit, print), so the final transform rests on
  // inliers spread over the whole picture rather than a patch.
  const guided = guidedMatches(a, b, first.m);
  const second = guided.ia.length >= Math.max(MIN_INLIERS, matches) ? estimate(cv, guided.src, guided.dst) : undefined;
  const secondInliers = second ? second.inlierMask.reduce((s, v) => s + (v ? 1 : 0), 0) : 0;
  const firstInliers = first.inlierMask.reduce((s, v) => s + (v ? 1 : 0), 0);
  const useSecond = second !== undefined && secondInliers > firstInliers;
  const fit = useSecond ? second : first;
  if (useSecond) {
    src.splice(0, src.length, ...guided.src);
    dst.splice(0, dst.length, ...guided.dst);
    ia.splice(0, ia.length, ...guided.ia);
    ib.splice(0, ib.length, ...guided.ib);
  }
  const { m } = fit;
  const inliers = useSecond ? secondInliers : firstInliers;
  if (inliers < MIN_INLIERS) return noMatch(matches, inliers);
  const det = m[0]! * m[4]! - m[1]! * m[3]!;
  // Singular values of the linear part: a copy may be stretched a little, never sheared flat or folded.
  const p = (m[0]! + m[4]!) / 2;
  const q = (m[0]! - m[4]!) / 2;
  const r = (m[3]! + m[1]!) / 2;
  const t = (m[3]! - m[1]!) / 2;
  const s1 = Math.hypot(p, t) + Math.hypot(q, r);
  const s2 = Math.abs(Math.hypot(p, t) - Math.hypot(q, r));
  if (!(det > 0) || s2 < 1e-6 || s1 / s2 > 1.7 || s1 < 0.1 || s2 > 10) return noMatch(matches, inliers);
  const scale = Math.sqrt(det);
  // Image y points down: a counter-clockwise turn as seen is a negative angle in these coordinates.
  const angle = -(Math.atan2(m[3]! - m[1]!, m[0]! + m[4]!) * 180) / Math.PI;

  // Coverage: the share of each picture the other covers once mapped.
  const aInB = clipToRect(
    [apply(m, 0, 0), apply(m, a.width, 0), apply(m, a.width, a.height), apply(m, 0, a.height)],
    b.width,
    b.height,
  );
  const inv = invert(m);
  const bInA = clipToRect(
    [apply(inv, 0, 0), apply(inv, b.width, 0), apply(inv, b.width, b.height), apply(inv, 0, b.height)],
    a.width,
    a.height,
  );
  const coverage = { b: polygonArea(aInB) / (b.width * b.height), a: polygonArea(bInA) / (a.width * a.height) };

  // The pixels of the smaller picture (by how much of it the other covers) against the other, through m.
  const aIsSmall = coverage.a >= coverage.b;
  const check = aIsSmall ? checkPixels(a, b, m) : checkPixels(b, a, inv);

  // Inliers must spread over the overlap, not sit in one corner (a shared logo or header line).
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < fit.inlierMask.length; i++) {
    if (!fit.inlierMask[i]) continue;
    const [x, y] = aIsSmall ? [src[2 * i]!, src[2 * i + 1]!] : [dst[2 * i]!, dst[2 * i + 1]!];
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const small = aIsSmall ? a : b;
  const overlap = (aIsSmall ? coverage.a : coverage.b) * small.width * small.height;
  const spread = ((maxX - minX) * (maxY - minY)) / Math.max(1, overlap);
  const unmatched = unmatchedContent(small, aIsSmall ? ia : ib, fit.inlierMask, aIsSmall ? m : inv, aIsSmall ? b : a);

  const result: PairVerification = {
    verdict: 'different',
    reasons: [],
    angle: Math.round(angle * 10) / 10,
    scale,
    inliers,
    matches,
    transform: m,
    coverage,
    agreement: check.agreement,
    disagreement: check.largestDisagreement,
    banded: check.banded,
    agreementOutsideBand: check.agreementOutsideBand,
    spread,
    unmatched: 0,
    contentDisagrees: false,
    hueShift: check.hueShift,
    inlierKeypoints: inlierKeypoints(ia, ib, fit.inlierMask),
  };
  result.unmatched = unmatched;
  const coloured = check.chroma[0] > 10 && check.chroma[1] > 10;
  // One picture in another colour: the geometry and the grey structure match, the hue does not (checked first, as
  // a hue change also moves grey levels and descriptors about).
  // A band stamped across (isBand) is an edit of this picture: the blocks outside it decide.
  result.contentDisagrees = check.banded
    ? check.agreementOutsideBand < MIN_AGREEMENT
    : check.agreement < MIN_AGREEMENT || check.largestDisagreement > MAX_PATCH;
  if (coloured && check.hueShift > HUE_SHIFT && !result.contentDisagrees) {
    result.verdict = 'similar';
    result.reasons = ['colour-variant'];
    return result;
  }
  // Inliers bunched in a corner are a shared logo or header line, unless the pixels of the whole overlap agree as a
  // copy's do: a tight crop of a photo whose print or texture sits in one place gets its inliers there (near-dup
  // bench, tuning half: three true crops at spread 0.035–0.114 with 0.88–0.995 of their blocks agreeing).
  const clustered = spread < MIN_SPREAD && !(check.agreement >= SPREAD_WAIVER && check.informative >= SPREAD_WAIVER_BLOCKS);
  if (result.contentDisagrees || unmatched > MAX_UNMATCHED || clustered || check.informative < 6) {
    result.reasons = ['shared-frame'];
    return result;
  }
  result.verdict = 'duplicate';
  result.reasons = describe(result, a, b, check);
  return result;
}

function inlierKeypoints(ia: readonly number[], ib: readonly number[], mask: Uint8Array): { a: Int32Array; b: Int32Array } {
  const a: number[] = [];
  const b: number[] = [];
  for (let j = 0; j < mask.length; j++) {
    if (!mask[j]) continue;
    a.push(ia[j]!);
    b.push(ib[j]!);
  }
  return { a: Int32Array.from(a), b: Int32Array.from(b) };
}

/**
 * The share of `small`'s keypoints (those inside the other picture once mapped by `m`) lying in grid cells that
 * got far fewer inliers than the pair's inlier rate predicts (at least three due, under a sixth of them found).
 */
function unmatchedContent(small: LocalFeatures, matchedIdx: readonly number[], mask: Uint8Array, m: readonly number[], big: LocalFeatures): number {
  const kp = new Int32Array(CELLS * CELLS);
  const hit = new Int32Array(CELLS * CELLS);
  const cellOf = (x: number, y: number) => Math.min(CELLS - 1, Math.floor((y / small.height) * CELLS)) * CELLS + Math.min(CELLS - 1, Math.floor((x / small.width) * CELLS));
  let total = 0;
  for (let i = 0; i < small.count; i++) {
    const x = small.points[2 * i]!;
    const y = small.points[2 * i + 1]!;
    const [tx, ty] = apply(m, x, y);
    if (tx < 0 || ty < 0 || tx >= big.width || ty >= big.height) continue;
    kp[cellOf(x, y)]!++;
    total++;
  }
  let inliers = 0;
  for (let j = 0; j < matchedIdx.length; j++) {
    if (!mask[j]) continue;
    const i = matchedIdx[j]!;
    hit[cellOf(small.points[2 * i]!, small.points[2 * i + 1]!)]!++;
    inliers++;
  }
  if (total === 0) return 1;
  const rate = inliers / total;
  let missing = 0;
  for (let c = 0; c < kp.length; c++) {
    const due = kp[c]! * rate;
    if (due >= 3 && hit[c]! < due / 6) missing += kp[c]!;
  }
  return missing / total;
}

/** The reasons of a verified duplicate, most telling first. */
function describe(v: PairVerification, a: LocalFeatures, b: LocalFeatures, check: PixelCheck): ReasonCode[] {
  const reasons: ReasonCode[] = [];
  const turn = Math.abs(v.angle);
  if (turn >= 1.5) reasons.push('rotated');
  if (a.mirrored !== b.mirrored) reasons.push('mirrored');
  const { a: ca, b: cb } = v.coverage;
  if (ca > 0.93 && cb < 0.8) reasons.push('contained');
  else if (cb > 0.93 && ca < 0.8) reasons.push('cropped');
  else if (ca < 0.93 && cb < 0.93) reasons.push('cropped');
  const m = v.transform;
  const sx = Math.hypot(m[0]!, m[3]!);
  const sy = Math.hypot(m[1]!, m[4]!);
  if (Math.max(sx, sy) / Math.min(sx, sy) > 1.06) reasons.push('stretched');
  const [ka, kb] = check.chroma;
  if ((ka > 8) !== (kb > 8) && Math.min(ka, kb) < 3) reasons.push('greyscale');
  else if (Math.abs(Math.log(check.brightness)) > 0.06 || Math.abs(Math.log((ka + 1) / (kb + 1))) > 0.2) reasons.push('recoloured');
  if (check.agreement < 0.95) reasons.push('edited');
  if (reasons.length === 0) reasons.push(check.residual < 1.5 ? 'identical' : 'recompressed');
  return reasons;
}

/** Both pictures' features and the verdict, plain and (when that fails) with b mirrored. */
export async function verifyPair(a: Buffer | string, b: Buffer | string): Promise<PairVerification> {
  const fa = await extractFeatures(a);
  const fb = await extractFeatures(b);
  const plain = await verifyFeatures(fa, fb);
  if (plain.verdict !== 'different') return plain;
  const mirrored = await verifyFeatures(fa, await extractFeatures(b, { mirror: true }));
  return mirrored.verdict !== 'different' ? mirrored : plain;
}
