import { describe, expect, it } from 'vitest';
import { locateObjects } from './locate.js';

const GRID = { height: 10, width: 10 };

/** A 10 × 10 map: background 1, the given cells hot, the outer ring hottest (as the network's zero padding makes it). */
function map(hot: readonly [number, number][], value = 10): Float32Array {
  const m = new Float32Array(100).fill(1);
  for (let i = 0; i < 10; i++) for (const j of [0, 9]) m[i * 10 + j] = m[j * 10 + i] = 50;
  for (const [y, x] of hot) m[y * 10 + x] = value;
  return m;
}

const block = (y0: number, x0: number, y1: number, x1: number): [number, number][] => {
  const out: [number, number][] = [];
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.push([y, x]);
  return out;
};

describe('locateObjects (SCDA on a saliency map)', () => {
  it('boxes the hot component, squared with half a cell of margin, in the photo pixels', () => {
    // Cells 3..5 × 3..6 of a 400 × 400 photo: 40 px cells; 4 cells wide + 1 margin = 200 px, centred on x 200, y 180.
    const [main, ...rest] = locateObjects(map(block(3, 3, 5, 6)), GRID, { width: 400, height: 400 }, 'center-crop');
    expect(rest).toEqual([]);
    expect(main).toEqual({ x: 100, y: 80, width: 200, height: 200, area: 0.12 });
  });

  it('never seeds an object on the outer ring, however hot it is', () => {
    const objects = locateObjects(map(block(4, 4, 5, 5)), GRID, { width: 100, height: 100 }, 'center-crop');
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ x: 35, y: 35, width: 30, height: 30 });
  });

  it('maps through the centre crop of a landscape photo', () => {
    // 600 × 400: the model sees the centred 400 × 400 square, offset 100 px.
    const [main] = locateObjects(map(block(3, 3, 5, 6)), GRID, { width: 600, height: 400 }, 'center-crop');
    expect(main).toMatchObject({ x: 200, y: 80, width: 200, height: 200 });
  });

  it('ranks several objects by size and drops specks below the floor', () => {
    const m = map([...block(2, 2, 4, 4), ...block(6, 6, 7, 7), [2, 7]]);
    const objects = locateObjects(m, GRID, { width: 100, height: 100 }, 'center-crop');
    expect(objects.map((o) => o.area)).toEqual([0.09, 0.04]);
    expect(objects[0]).toMatchObject({ x: 15, y: 15, width: 40, height: 40 });
    expect(objects[1]).toMatchObject({ x: 55, y: 55, width: 30, height: 30 });
    expect(locateObjects(m, GRID, { width: 100, height: 100 }, 'center-crop', { max: 1 })).toHaveLength(1);
    expect(locateObjects(m, GRID, { width: 100, height: 100 }, 'center-crop', { minCells: 1 })).toHaveLength(3);
  });

  it('keeps boxes inside the photo and gives the whole view for a flat map', () => {
    const [edge] = locateObjects(map(block(1, 1, 2, 2)), GRID, { width: 100, height: 100 }, 'center-crop');
    expect(edge).toMatchObject({ x: 5, y: 5, width: 30, height: 30 });
    const flat = locateObjects(new Float32Array(100).fill(3), GRID, { width: 300, height: 200 }, 'center-crop');
    expect(flat).toEqual([{ x: 50, y: 0, width: 200, height: 200, area: 1 }]);
  });

  it('refuses a map of the wrong size', () => {
    expect(() => locateObjects(new Float32Array(99), GRID, { width: 10, height: 10 }, 'center-crop')).toThrow(/99 values/);
  });
});
