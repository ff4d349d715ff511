/**
 * Pictures inside a picture: the regions of a signature that another whole picture may be, as a product photo shown
 * inside a shop-page screenshot or a collage is. Such a copy lines up with none of the whole-picture layouts the
 * candidate search asks (whole, mirrored, centred crops down to two thirds), and the embedding of a page around a
 * photo is rarely among the photo's nearest (measured on bench/near-dup: ranks 10 to past 64 of 1,024 for most).
 * So each picture also asks the layout index with the largest connected area that stands out from its background;
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
const INNER_PICTURES = 1;
const INNER_MIN_AREA = 0.06;
const INNER_MAX_AREA = 0.8;
const INNER_MIN_SIDE = 0.2;
/** Grey levels from the background's that count as content. */
const CONTENT_CONTRAST = 14;

/** refineAlignment's steps from an inner picture's box. */
const PART_REFINE_STEPS = [0.01, 0.005] as const;

/** Working memory of innerPictures, which is synchronous and never re-entered. */
const scratch = {
  histogram: new Uint32Array(256 / 4),
  content: new Uint8Array(THUMB_SIZE * THUMB_SIZE),
  label: new Uint8Array(THUMB_SIZE * THUMB_SIZE),
  stack: new Int32Array(THUMB_SIZE * THUMB_SIZE),
};

/** The layout of `part` of `sig`, to ask the layout index with. */
export function partLayout(sig: ImageSignature, part: Part): Float32Array {
  return regionLayout(sig, part.x, part.y, part.w, part.h);
}

/**
 * Compares `other` with `part` of `host`: the part is reshaped to the other's aspect about its centre (a found box
 * is a few pixels off, and squashed like the host's thumbnail), compared in detail, and polished by refineAlignment
 * first when that falls short of `accept`.
 */
export function matchPart(a: PreparedSignature, b: PreparedSignature, hostSide: 'a' | 'b', part: Part, accept = Number.POSITIVE_INFINITY): PictureMatch {
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
  // The box is found to a thumbnail pixel: often close enough already (one detail raster, not ~50 fine ones).
  const first = detailAgreement(a, b, start);
  if (first >= accept) return { agreement: first, alignment: start };
  // A box found to a thumbnail pixel (1.6% of the frame) needs no 2% steps: half the fine rasters of a full polish
  // (matchPart was ~1.4 ms a pair, the dearest step of a dedupe's inner-picture candidates).
  const alignment = refineAlignment(a, b, start, PART_REFINE_STEPS);
  const agreement = detailAgreement(a, b, alignment);
  return agreement >= first ? { agreement, alignment } : { agreement: first, alignment: start };
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
  const { histogram, content, label, stack } = scratch;
  histogram.fill(0);
  for (let i = 0; i < t.length; i++) histogram[t[i]! >> 2]!++;
  let mode = 0;
  for (let b = 1; b < histogram.length; b++) if (histogram[b]! > histogram[mode]!) mode = b;
  const background = mode * 4 + 2;
  for (let i = 0; i < t.length; i++) content[i] = Math.abs(t[i]! - background) > CONTENT_CONTRAST ? 1 : 0;
  label.fill(0);
  // The largest qualifying areas so far, biggest first (INNER_PICTURES of them).
  const best: { count: number; part: Part }[] = [];
  // Flood fill with an explicit stack in reused memory: this runs once per picture, 10^5 times at scale.
  for (let start = 0; start < n * n; start++) {
    if (!content[start] || label[start]) continue;
    let count = 0;
    let [x0, y0, x1, y1] = [n, n, -1, -1];
    let top = 0;
    label[start] = 1;
    stack[top++] = start;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % n;
      const y = (p - x) / n;
      count++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      // Left, right, up, down: unvisited content joins the area.
      if (x > 0 && content[p - 1] && !label[p - 1]) {
        label[p - 1] = 1;
        stack[top++] = p - 1;
      }
      if (x < n - 1 && content[p + 1] && !label[p + 1]) {
        label[p + 1] = 1;
        stack[top++] = p + 1;
      }
      if (y > 0 && content[p - n] && !label[p - n]) {
        label[p - n] = 1;
        stack[top++] = p - n;
      }
      if (y < n - 1 && content[p + n] && !label[p + n]) {
        label[p + n] = 1;
        stack[top++] = p + n;
      }
    }
    const part = { x: x0 / n, y: y0 / n, w: (x1 - x0 + 1) / n, h: (y1 - y0 + 1) / n };
    const area = part.w * part.h;
    if (area < INNER_MIN_AREA || area > INNER_MAX_AREA || part.w < INNER_MIN_SIDE || part.h < INNER_MIN_SIDE) continue;
    if (best.length === INNER_PICTURES && count <= best[best.length - 1]!.count) continue;
    best.push({ count, part });
    best.sort((a, b) => b.count - a.count);
    if (best.length > INNER_PICTURES) best.pop();
  }
  return best.map((b) => b.part);
}
