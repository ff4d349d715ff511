import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../base/linalg.js';
import { prepareSignature, signatureFromRaw, trimBox, type RawImage } from './phash.js';
import { innerPictures, matchPart, partLayout } from './parts.js';

/** A grey photo with blobs of detail at a few scales (what a real photo's thumbnail shows), `w`×`h`. */
function photo(seed: number, w: number, h: number): Uint8Array {
  const rand = mulberry32(seed);
  const blobs = Array.from({ length: 40 }, () => ({ x: rand() * w, y: rand() * h, r: 4 + rand() * 18, v: 40 + rand() * 170 }));
  const out = new Uint8Array(w * h).fill(90);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r ** 2) out[y * w + x] = b.v;
    }
  }
  return out;
}

/** A 256×256 page: a header bar, a grey footer, white between, `inner` (if any) pasted at (left, top), two text lines. */
function page(inner: Uint8Array | undefined, w: number, h: number, left: number, top: number): RawImage {
  const n = 256;
  const data = new Uint8Array(n * n).fill(255);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (y < 16) data[y * n + x] = 110;
      else if (y >= n - 10) data[y * n + x] = 230;
      else if (inner && x >= left && x < left + w && y >= top && y < top + h) data[y * n + x] = inner[(y - top) * w + (x - left)]!;
      // Text: short dark dashes on two lines to the right.
      else if ((y === 70 || y === 90) && x > 170 && x < 240 && x % 6 < 4) data[y * n + x] = 30;
    }
  }
  return { data, width: n, height: n, channels: 1 };
}

const raw = (data: Uint8Array, width: number, height: number): RawImage => ({ data, width, height, channels: 1 });

describe('innerPictures', () => {
  it('finds a photo inside a page, where it lies', () => {
    const inner = photo(1, 100, 150);
    const raster = page(inner, 100, 150, 40, 60);
    const parts = innerPictures(signatureFromRaw(raster));
    expect(parts.length).toBeGreaterThanOrEqual(1);
    const p = parts[0]!;
    // In units of the signature's trimmed content (the near-white footer and the white above it are trimmed), 2
    // thumbnail pixels of 64 at most off on each edge.
    const box = trimBox(raster);
    expect(box.height).toBeLessThan(256);
    const cell = 2 / 64;
    expect(Math.abs(p.x - (40 - box.left) / box.width)).toBeLessThanOrEqual(cell);
    expect(Math.abs(p.y - (60 - box.top) / box.height)).toBeLessThanOrEqual(cell);
    expect(Math.abs(p.w - 100 / box.width)).toBeLessThanOrEqual(cell);
    expect(Math.abs(p.h - 150 / box.height)).toBeLessThanOrEqual(cell);
  });

  it('finds none in a page without a photo: its bars and text lines are no picture', () => {
    expect(innerPictures(signatureFromRaw(page(undefined, 100, 150, 40, 60)))).toEqual([]);
  });
});

describe('matchPart', () => {
  it('verifies the photo against its place in the page, and not another photo', () => {
    const inner = photo(3, 100, 150);
    const host = prepareSignature(signatureFromRaw(page(inner, 100, 150, 40, 60)));
    const part = innerPictures(host.sig)[0]!;
    const same = prepareSignature(signatureFromRaw(raw(inner, 100, 150)));
    const other = prepareSignature(signatureFromRaw(raw(photo(4, 100, 150), 100, 150)));
    // The part's layout is what the photo's own layout looks like (what proposes the pair).
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
    expect(dot(partLayout(host.sig, part), same.whole[0])).toBeGreaterThan(0.8);
    expect(dot(partLayout(host.sig, part), other.whole[0])).toBeLessThan(0.6);
    const m = matchPart(host, same, 'a', part);
    expect(m.agreement).toBeGreaterThanOrEqual(0.5);
    expect(m.alignment.host).toBe('a');
    expect(m.alignment.w).toBeLessThan(0.5);
    // The same with the sides swapped: the page as the target.
    expect(matchPart(same, host, 'b', part).agreement).toBeCloseTo(m.agreement, 6);
    expect(matchPart(host, other, 'a', part).agreement).toBeLessThan(0.5);
  });
});
