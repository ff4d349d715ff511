/** Crop rectangle arithmetic: between displayed (CSS) pixels and source-image pixels, always clamped. */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Below this many source pixels a drag counts as a click, not a crop. */
export const MIN_CROP_PX = 8;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The rectangle spanned by two points, clamped to the bounds. */
export function rectFromPoints(ax: number, ay: number, bx: number, by: number, bounds: Size): Rect {
  const x0 = clamp(Math.min(ax, bx), 0, bounds.width);
  const y0 = clamp(Math.min(ay, by), 0, bounds.height);
  const x1 = clamp(Math.max(ax, bx), 0, bounds.width);
  const y1 = clamp(Math.max(ay, by), 0, bounds.height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Moves a rectangle by (dx, dy) without letting it leave the bounds or change size. */
export function moveRect(rect: Rect, dx: number, dy: number, bounds: Size): Rect {
  return {
    ...rect,
    x: clamp(rect.x + dx, 0, bounds.width - rect.width),
    y: clamp(rect.y + dy, 0, bounds.height - rect.height),
  };
}

/** Grows or shrinks from the bottom-right corner, keeping at least `min` on each side. */
export function resizeRect(rect: Rect, dw: number, dh: number, bounds: Size, min: number): Rect {
  return {
    ...rect,
    width: clamp(rect.width + dw, Math.min(min, bounds.width - rect.x), bounds.width - rect.x),
    height: clamp(rect.height + dh, Math.min(min, bounds.height - rect.y), bounds.height - rect.y),
  };
}

/** Scales a rectangle from one coordinate space to another and rounds to whole, in-bounds pixels. */
export function scaleRect(rect: Rect, from: Size, to: Size): Rect {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  const x = clamp(Math.round(rect.x * sx), 0, to.width - 1);
  const y = clamp(Math.round(rect.y * sy), 0, to.height - 1);
  return {
    x,
    y,
    width: clamp(Math.round(rect.width * sx), 1, to.width - x),
    height: clamp(Math.round(rect.height * sy), 1, to.height - y),
  };
}

export function isUsableCrop(rect: Rect, source: Size, displayed: Size): boolean {
  const s = scaleRect(rect, displayed, source);
  return s.width >= MIN_CROP_PX && s.height >= MIN_CROP_PX;
}
