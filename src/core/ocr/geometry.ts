/**
 * The pure parts of PP-OCR's DB post-processing: connected components of the thresholded probability map, their
 * convex hull and minimum-area rectangle (rotating calipers), the box score, and the "unclip" that grows a
 * shrunk text kernel back to the text's extent (Vatti offset of a rectangle by area × ratio / perimeter).
 */

export interface Point {
  x: number;
  y: number;
}

/** A rotated rectangle as four corners: top-left, top-right, bottom-right, bottom-left (reading order). */
export type Quad = [Point, Point, Point, Point];

export interface Component {
  /** Pixel indices (y * width + x) of the component. */
  pixels: Int32Array;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** 8-connected components of `mask` (non-zero = on), in scan order. */
export function connectedComponents(mask: Uint8Array, width: number, height: number): Component[] {
  const label = new Int32Array(width * height);
  const out: Component[] = [];
  const stack = new Int32Array(width * height);
  let next = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    next += 1;
    let sp = 0;
    stack[sp++] = start;
    label[start] = next;
    const pixels: number[] = [];
    let minX = width;
    let minY = height;
    let maxX = 0;
    let maxY = 0;
    while (sp > 0) {
      const p = stack[--sp]!;
      pixels.push(p);
      const x = p % width;
      const y = (p - x) / width;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          const q = ny * width + nx;
          if (mask[q] && !label[q]) {
            label[q] = next;
            stack[sp++] = q;
          }
        }
      }
    }
    out.push({ pixels: Int32Array.from(pixels), minX, minY, maxX, maxY });
  }
  return out;
}

/** Convex hull (Andrew's monotone chain), counter-clockwise in image coordinates, no collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (pts.length <= 2) return pts;
  const cross = (o: Point, a: Point, b: Point) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** The boundary points of a component's pixels (pixel squares' corners), enough for its hull. */
export function componentOutline(c: Component, width: number): Point[] {
  // Per row, the leftmost and rightmost pixel: the hull of their corners is the hull of all pixels.
  const rows = new Map<number, [number, number]>();
  for (const p of c.pixels) {
    const x = p % width;
    const y = (p - x) / width;
    const r = rows.get(y);
    if (!r) rows.set(y, [x, x]);
    else {
      if (x < r[0]) r[0] = x;
      if (x > r[1]) r[1] = x;
    }
  }
  const pts: Point[] = [];
  for (const [y, [l, r]] of rows) pts.push({ x: l, y }, { x: l, y: y + 1 }, { x: r + 1, y }, { x: r + 1, y: y + 1 });
  return pts;
}

export interface RotatedRect {
  center: Point;
  /** Along the rectangle's first axis (the longer one is not implied). */
  width: number;
  height: number;
  /** Radians of the first axis. */
  angle: number;
}

/** Minimum-area enclosing rectangle of a convex polygon (rotating calipers over its edges). */
export function minAreaRect(hull: readonly Point[]): RotatedRect {
  if (hull.length === 1) return { center: { ...hull[0]! }, width: 0, height: 0, angle: 0 };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    if (len === 0) continue;
    const ux = (b.x - a.x) / len;
    const uy = (b.y - a.y) / len;
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = p.x * ux + p.y * uy;
      const v = -p.x * uy + p.y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { center: { x: cu * ux - cv * uy, y: cu * uy + cv * ux }, width: maxU - minU, height: maxV - minV, angle: Math.atan2(uy, ux) };
    }
  }
  return best ?? { center: { ...hull[0]! }, width: 0, height: 0, angle: 0 };
}

/**
 * Grows a rectangle outward by area × ratio / perimeter on every side (PP-OCR's unclip, exact for a rectangle
 * up to the rounded corners, which the next min-area rectangle drops anyway).
 */
export function unclip(rect: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (rect.width + rect.height);
  if (perimeter === 0) return rect;
  const d = (rect.width * rect.height * ratio) / perimeter;
  return { ...rect, width: rect.width + 2 * d, height: rect.height + 2 * d };
}

/**
 * The rectangle's corners in reading order: the long side horizontal-ish, starting top-left. Near-vertical
 * long sides (text set vertically) keep their order so the crop reads top to bottom.
 */
export function toQuad(rect: RotatedRect): Quad {
  let { width: w, height: h, angle } = rect;
  if (h > w) {
    [w, h] = [h, w];
    angle += Math.PI / 2;
  }
  // Normalise the reading direction to point right (−90°..90°).
  while (angle > Math.PI / 2) angle -= Math.PI;
  while (angle <= -Math.PI / 2) angle += Math.PI;
  const ux = Math.cos(angle);
  const uy = Math.sin(angle);
  const vx = -uy;
  const vy = ux;
  const { x: cx, y: cy } = rect.center;
  const at = (su: number, sv: number): Point => ({ x: cx + (su * w * ux) / 2 + (sv * h * vx) / 2, y: cy + (su * w * uy) / 2 + (sv * h * vy) / 2 });
  return [at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)];
}

/** Mean of `prob` over a component's pixels (PP-OCR's box score, on the component instead of its polygon). */
export function componentScore(c: Component, prob: Float32Array): number {
  let s = 0;
  for (const p of c.pixels) s += prob[p]!;
  return c.pixels.length > 0 ? s / c.pixels.length : 0;
}
