/**
 * Where the objects are in a photo, from the network's own saliency map (its channel-summed activation, one pass
 * with the vector): SCDA (Wei et al. 2017) as measured in docs/research/same-product.md. Cells above the map's
 * interior mean, their 8-connected components, each one's bounding box squared and padded by half a cell, in the
 * oriented photo's pixels. The largest component is the photo's main object; the others, above a size floor, are
 * the other objects a user may want to search for. Pure arithmetic on ~100 cells: a few microseconds per photo.
 */
import type { ModelInputSpec } from '../models/embedder.js';

/** A region of the oriented photo, in its pixels. */
export interface ObjectBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The component's share of the map's cells (0..1): the ranking, largest first. */
  area: number;
}

export interface LocateOptions {
  /** At most this many objects (default MAX_OBJECTS). */
  max?: number;
  /** Components with fewer cells are noise, not objects (default MIN_OBJECT_CELLS); the main one is always kept. */
  minCells?: number;
}

export const MAX_OBJECTS = 5;
/**
 * 3 of the 64 interior cells of `accurate`'s 10 × 10 map: one or two hot cells are texture (a price tag, a glint),
 * not a product, on the dev photos looked at.
 */
export const MIN_OBJECT_CELLS = 3;

interface Component {
  cells: number[];
  energy: number;
}

/** The 8-connected components of the cells above the interior mean, largest first (ties: more energy first). */
function components(map: Float32Array, h: number, w: number): Component[] {
  const s = Float32Array.from(map);
  // The outer ring fires on the zero padding of every photo (measured: the hottest ring of most store photos' maps,
  // whatever they show), so it never seeds an object.
  const ring = h > 4 && w > 4;
  if (ring) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (y === 0 || x === 0 || y === h - 1 || x === w - 1) s[y * w + x] = 0;
  const inner = ring ? (h - 2) * (w - 2) : h * w;
  let total = 0;
  for (const v of s) total += v;
  const mean = total / inner;
  const seen = new Uint8Array(h * w);
  const out: Component[] = [];
  for (let i = 0; i < h * w; i++) {
    if (!(s[i]! > mean) || seen[i]) continue;
    const cells: number[] = [];
    let energy = 0;
    const stack = [i];
    seen[i] = 1;
    while (stack.length > 0) {
      const j = stack.pop()!;
      cells.push(j);
      energy += s[j]!;
      const y = Math.floor(j / w);
      const x = j % w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const k = yy * w + xx;
          if (s[k]! > mean && !seen[k]) {
            seen[k] = 1;
            stack.push(k);
          }
        }
      }
    }
    out.push({ cells, energy });
  }
  return out.sort((a, b) => b.cells.length - a.cells.length || b.energy - a.energy);
}

/**
 * Maps a cell rectangle of the model's input grid to the oriented photo: squared, half a cell of margin on every
 * side, kept inside the photo (the research's boxToPixels, for each resize mode).
 */
function toPixels(cells: { x0: number; y0: number; x1: number; y1: number }, grid: { height: number; width: number }, photo: { width: number; height: number }, resize: ModelInputSpec['resize']): Omit<ObjectBox, 'area'> {
  const { width, height } = photo;
  // The part of the photo the model's input shows, and the size of one cell in photo pixels.
  let ox = 0;
  let oy = 0;
  let sw = width;
  let sh = height;
  if (resize === 'center-crop') {
    const side = Math.min(width, height);
    ox = (width - side) / 2;
    oy = (height - side) / 2;
    sw = sh = side;
  } else if (resize === 'pad') {
    const side = Math.max(width, height);
    ox = (width - side) / 2;
    oy = (height - side) / 2;
    sw = sh = side;
  }
  const cw = sw / grid.width;
  const ch = sh / grid.height;
  const cx = ox + ((cells.x0 + cells.x1 + 1) / 2) * cw;
  const cy = oy + ((cells.y0 + cells.y1 + 1) / 2) * ch;
  const side = Math.min(Math.max((cells.x1 - cells.x0 + 2) * cw, (cells.y1 - cells.y0 + 2) * ch), width, height);
  const x = Math.round(Math.min(Math.max(0, cx - side / 2), width - side));
  const y = Math.round(Math.min(Math.max(0, cy - side / 2), height - side));
  const size = Math.max(1, Math.min(Math.floor(side), width - x, height - y));
  return { x, y, width: size, height: size };
}

/**
 * The objects a saliency map shows in a photo of `photo` size (oriented), main object first, never none: the main
 * object is kept even below the size floor, and a flat map gives the whole view.
 * @throws Error when the map does not hold grid.height × grid.width values (a model/manifest mismatch).
 */
export function locateObjects(
  map: Float32Array,
  grid: { height: number; width: number },
  photo: { width: number; height: number },
  resize: ModelInputSpec['resize'],
  options: LocateOptions = {},
): ObjectBox[] {
  const { height: h, width: w } = grid;
  if (map.length !== h * w) throw new Error(`a saliency map of ${map.length} values is not ${h}×${w}`);
  const max = options.max ?? MAX_OBJECTS;
  const minCells = options.minCells ?? MIN_OBJECT_CELLS;
  const found = components(map, h, w);
  // Nothing above the mean (a flat map): the whole view is the object, as the research's crops had it.
  if (found.length === 0) return [{ ...toPixels({ x0: 0, y0: 0, x1: w - 1, y1: h - 1 }, grid, photo, resize), area: 1 }];
  return found
    .filter((c, i) => i === 0 || c.cells.length >= minCells)
    .slice(0, max)
    .map((c) => {
      let x0 = w;
      let y0 = h;
      let x1 = 0;
      let y1 = 0;
      for (const j of c.cells) {
        const y = Math.floor(j / w);
        const x = j % w;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
      return { ...toPixels({ x0, y0, x1, y1 }, grid, photo, resize), area: c.cells.length / (h * w) };
    });
}
