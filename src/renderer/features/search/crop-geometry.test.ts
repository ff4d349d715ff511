import { describe, expect, it } from 'vitest';
import { isUsableCrop, moveRect, rectFromPoints, resizeRect, scaleRect } from './crop-geometry';

const bounds = { width: 200, height: 100 };

describe('crop geometry', () => {
  it('spans two points in any drag direction and clamps to the image', () => {
    expect(rectFromPoints(150, 80, 50, 20, bounds)).toEqual({ x: 50, y: 20, width: 100, height: 60 });
    expect(rectFromPoints(-20, -5, 260, 130, bounds)).toEqual({ x: 0, y: 0, width: 200, height: 100 });
  });

  it('moves without leaving the image or changing size', () => {
    const r = { x: 10, y: 10, width: 50, height: 40 };
    expect(moveRect(r, 500, 500, bounds)).toEqual({ x: 150, y: 60, width: 50, height: 40 });
    expect(moveRect(r, -500, -500, bounds)).toEqual({ x: 0, y: 0, width: 50, height: 40 });
  });

  it('resizes from the corner within the image and above a minimum', () => {
    const r = { x: 150, y: 50, width: 20, height: 20 };
    expect(resizeRect(r, 100, 100, bounds, 8)).toEqual({ x: 150, y: 50, width: 50, height: 50 });
    expect(resizeRect(r, -100, -100, bounds, 8)).toEqual({ x: 150, y: 50, width: 8, height: 8 });
  });

  it('scales displayed pixels to whole source pixels that stay inside the source', () => {
    const displayed = { width: 267, height: 200 };
    const source = { width: 640, height: 480 };
    const s = scaleRect({ x: 133.5, y: 100, width: 133.5, height: 100 }, displayed, source);
    expect(s).toEqual({ x: 320, y: 240, width: 320, height: 240 });
    const edge = scaleRect({ x: 266.9, y: 199.9, width: 5, height: 5 }, displayed, source);
    expect(edge.x + edge.width).toBeLessThanOrEqual(640);
    expect(edge.y + edge.height).toBeLessThanOrEqual(480);
    expect(edge.width).toBeGreaterThanOrEqual(1);
  });

  it('treats a tiny drag as a click, not a crop', () => {
    expect(isUsableCrop({ x: 0, y: 0, width: 2, height: 2 }, { width: 640, height: 480 }, { width: 267, height: 200 })).toBe(false);
    expect(isUsableCrop({ x: 0, y: 0, width: 20, height: 20 }, { width: 640, height: 480 }, { width: 267, height: 200 })).toBe(true);
  });
});
