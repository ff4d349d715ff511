/**
 * Pictures inside a picture: the regions of a signature that another whole picture may be, as a product photo shown
 * inside a shop-page screenshot or a collage is. Such a copy lines up with none of the whole-picture layouts the
 * candidate search asks (whole, mirrored, centred crops down to two thirds), and the embedding of a page around a
 * photo is rarely among the photo's nearest (measured on bench/near-dup: ranks 10 to past 64 of 1,024 for most).
 * So each picture also asks the layout index with the largest connected areas that stand out from its background;
 * a page's text lines stay apart at this size (each letter its own speck), so what is asked is mostly the photo.
 * Pure functions of the stored signature, so the verification (calling thread or workers) recomputes the same
 * region from the same bytes.
 */
import { detailAgreement, refineAlignment, regionLayout, THUMB_SIZE, type Alignment, type ImageSignature, type PictureMatch, type PreparedSignature } from './phash.js';

/** A region of a picture's trimmed content, in 0..1 units. */
export interface Part {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Inner pictures asked at most, and the share of the frame an inner picture's box must cover (more is the whole picture). */
const INNER_PICTURES = 2;
const INNER_MIN_AREA = 0.06;
const INNER_MAX_AREA = 0.8;
const INNER_MIN_SIDE = 0.2;
/** Grey levels from the background's that count as content. */
const CONTENT_CONTRAST = 14;

/** The layout of `part` of `sig`, to ask the layout index with. */
export function partLayout(sig: ImageSignature, part: Part): Float32Array {
  return regionLayout(sig, part.x, part.y, part.w, part.h);
}

/**
 * Compares `other` with `part` of `host`: the part is reshaped to the other's aspect about its centre (a found box
 * is a few pixels off, and squashed like the host's thumbnail), polished by refineAlignment, then compared in detail.
 */
export function matchPart(a: PreparedSignature, b: PreparedSignature, hostSide: 'a' | 'b', part: Part): PictureMatch {
  const host = hostSide === 'a' ? a : b;
  const other = hostSide === 'a' ? b : a;
  // Keep the part's area, take the other's aspect (in the host's 0..1 units, the host's own aspect scales x).
  const ratio = other.sig.aspect / host.sig.aspect;
  const area = part.w * part.h;
  let w = Math.sqrt(area * ratio);
  let h = Math.sqrt(area / ratio);
  if (w > 1) [w, h] = [1, h / w];
  if (h > 1) [w, h] = [w / h, 1];
  const cx = part.x + part.w / 2;
  const cy = part.y + part.h / 2;
  const start: Alignment = {
    host: hostSide,
    x: Math.min(1 - w, Math.max(0, cx - w / 2)),
    y: Math.min(1 - h, Math.max(0, cy - h / 2)),
    w,
    h,
    mirrored: false,
    coarse: 0,
  };
  const alignment = refineAlignment(a, b, start);
  return { agreement: detailAgreement(a, b, alignment), alignment };
}

/**
 * The bounding boxes of the largest connected areas (4-neighbours) that stand out from the picture's background
 * (its commonest grey level), biggest first: a photo inside a page, a product on a plain backdrop. Bars across the
 * frame (a page's header) and specks (letters) are left out by size. No closing of gaps: it joined a page's
 * breadcrumb line to the photo below it (bench/near-dup tuning half: 8 of 14 screenshots' photos proposed with a
 * 3×3 closing, 13 of 14 without).
 */
export function innerPictures(sig: ImageSignature): Part[] {
  const n = THUMB_SIZE;
  const t = sig.thumb;
  const histogram = new Uint32Array(256 / 4);
  for (let i = 0; i < t.length; i++) histogram[t[i]! >> 2]!++;
  let mode = 0;
  for (let b = 1; b < histogram.length; b++) if (histogram[b]! > histogram[mode]!) mode = b;
  const background = mode * 4 + 2;
  const content = new Uint8Array(n * n);
  for (let i = 0; i < t.length; i++) content[i] = Math.abs(t[i]! - background) > CONTENT_CONTRAST ? 1 : 0;
  const label = new Int32Array(n * n).fill(-1);
  const boxes: { count: number; x0: number; y0: number; x1: number; y1: number }[] = [];
  const stack: number[] = [];
  for (let start = 0; start < n * n; start++) {
    if (!content[start] || label[start] !== -1) continue;
    const box = { count: 0, x0: n, y0: n, x1: -1, y1: -1 };
    label[start] = boxes.length;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % n;
      const y = (p - x) / n;
      box.count++;
      box.x0 = Math.min(box.x0, x);
      box.x1 = Math.max(box.x1, x);
      box.y0 = Math.min(box.y0, y);
      box.y1 = Math.max(box.y1, y);
      for (const q of [x > 0 ? p - 1 : -1, x < n - 1 ? p + 1 : -1, y > 0 ? p - n : -1, y < n - 1 ? p + n : -1]) {
        if (q >= 0 && content[q] && label[q] === -1) {
          label[q] = boxes.length;
          stack.push(q);
        }
      }
    }
    boxes.push(box);
  }
  return boxes
    .map((b) => ({ count: b.count, part: { x: b.x0 / n, y: b.y0 / n, w: (b.x1 - b.x0 + 1) / n, h: (b.y1 - b.y0 + 1) / n } }))
    .filter(({ part: p }) => p.w * p.h >= INNER_MIN_AREA && p.w * p.h <= INNER_MAX_AREA && p.w >= INNER_MIN_SIDE && p.h >= INNER_MIN_SIDE)
    .sort((x, y) => y.count - x.count)
    .slice(0, INNER_PICTURES)
    .map((b) => b.part);
}
