import { describe, expect, it } from 'vitest';
import type { ManifestInput } from './manifest.js';
import { createPixelPacker, packPixels, zoomOutPixels } from './preprocess.js';

const input = (over: Partial<ManifestInput> = {}): ManifestInput => ({
  name: 'image',
  width: 2,
  height: 2,
  channels: 3,
  layout: 'nchw',
  resize: 'squash',
  scaling: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  ...over,
});

// Four pixels: red, green, blue, white.
const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);

describe('packPixels', () => {
  it('scales x / 255 and writes planes for NCHW', () => {
    const packer = createPixelPacker(input());
    const out = new Float32Array(packer.size);
    packPixels(packer, rgb, out, 0);
    expect(Array.from(out)).toEqual([1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1]);
  });

  it('mirrors left-right when asked, in both layouts', () => {
    // Row 0: red, green → green, red; row 1: blue, white → white, blue.
    const nchw = createPixelPacker(input());
    const out = new Float32Array(nchw.size);
    packPixels(nchw, rgb, out, 0, true);
    expect(Array.from(out)).toEqual([0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1]);
    const nhwc = createPixelPacker(input({ layout: 'nhwc' }));
    const out2 = new Float32Array(nhwc.size);
    packPixels(nhwc, rgb, out2, 0, true);
    expect(Array.from(out2)).toEqual([0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1]);
  });

  it('keeps pixel order for NHWC', () => {
    const packer = createPixelPacker(input({ layout: 'nhwc' }));
    const out = new Float32Array(packer.size);
    packPixels(packer, rgb, out, 0);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('applies per-channel mean and std: (x × scale − mean) / std, computed in float64', () => {
    const packer = createPixelPacker(input({ scaling: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }));
    const out = new Float32Array(packer.size);
    packPixels(packer, rgb, out, 0);
    expect(out[0]).toBe(Math.fround((255 / 255 - 0.485) / 0.229));
    expect(out[4]).toBe(Math.fround((0 - 0.456) / 0.224));
    expect(out[11]).toBe(Math.fround((1 - 0.406) / 0.225));
  });

  it('supports Keras-style x / 127.5 − 1 through mean and std', () => {
    const packer = createPixelPacker(input({ scaling: { scale: 1, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] } }));
    expect(packer.lut[0]).toBe(-1);
    expect(packer.lut[255]).toBe(1);
  });

  it('writes at an offset and leaves the rest of the batch buffer alone', () => {
    const packer = createPixelPacker(input());
    const out = new Float32Array(2 * packer.size).fill(-7);
    packPixels(packer, rgb, out, packer.size);
    expect(out[0]).toBe(-7);
    expect(out[packer.size]).toBe(1);
  });

  it('rejects a buffer of the wrong size with INVALID_INPUT', () => {
    const packer = createPixelPacker(input());
    expect(() => packPixels(packer, Buffer.alloc(11), new Float32Array(12), 0)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('zoomOutPixels', () => {
  it('shrinks by area averaging, centres, and repeats the edge pixels to the border', () => {
    // 4 × 4: left half black, right half white → shrunk to 2 × 2 (black | white), padded back to 4 × 4.
    const src = Buffer.alloc(4 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 2; x < 4; x++) src.fill(255, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
    const out = zoomOutPixels(src, 4, 4, 0.5);
    const row = (y: number) => Array.from({ length: 4 }, (_, x) => out[(y * 4 + x) * 3]);
    for (let y = 0; y < 4; y++) expect(row(y)).toEqual([0, 0, 255, 255]);
  });

  it('averages the covered area for a fractional ratio and keeps a uniform image uniform', () => {
    const uniform = Buffer.alloc(8 * 6 * 3, 77);
    expect(zoomOutPixels(uniform, 8, 6, 0.75).every((v) => v === 77)).toBe(true);
    // One bright column in 3 shrunk to 2: the middle column is shared half and half.
    const src = Buffer.alloc(3 * 1 * 3);
    src.fill(240, 3, 6);
    const small = zoomOutPixels(src, 3, 1, 2 / 3);
    expect(small.length).toBe(9);
    expect([small[0], small[3], small[6]]).toEqual([80, 80, 80]);
    expect(() => zoomOutPixels(Buffer.alloc(5), 2, 2, 0.5)).toThrow(/packed RGB/);
  });

  it('matches a direct area average, to the byte, for shrinks with two or three taps per pixel and for larger ones', () => {
    // The reference: each output pixel's covered area, x then y, the x sums rounded to float32 and the y sum kept in
    // float32 as it grows, then rounded to a byte.
    const reference = (rgb: Uint8Array, width: number, height: number, w: number, h: number): Uint8Array => {
      const cover = (src: number, dst: number, o: number) => {
        const ratio = src / dst;
        const taps: [number, number][] = [];
        for (let i = Math.floor(o * ratio); i < Math.min(src, Math.ceil((o + 1) * ratio)); i++) {
          const wt = Math.fround((Math.min((o + 1) * ratio, i + 1) - Math.max(o * ratio, i)) / ratio);
          if (wt !== 0) taps.push([i, wt]);
        }
        return taps;
      };
      const rows = new Float32Array(height * w * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < w; x++) {
          for (let c = 0; c < 3; c++) rows[(y * w + x) * 3 + c] = cover(width, w, x).reduce((s, [i, wt]) => s + wt * rgb[(y * width + i) * 3 + c]!, 0);
        }
      }
      const out = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let j = 0; j < w * 3; j++) {
          const acc = cover(height, h, y).reduce((s, [i, wt]) => Math.fround(s + wt * rows[i * w * 3 + j]!), 0);
          out[y * w * 3 + j] = Math.min(255, Math.max(0, Math.round(acc)));
        }
      }
      return out;
    };
    let seed = 4;
    const rand = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (const [width, height, scale] of [[299, 299, 0.8], [37, 23, 0.75], [40, 30, 0.5], [41, 29, 0.3]] as const) {
      const rgb = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rand() * 256));
      const w = Math.round(width * scale);
      const h = Math.round(height * scale);
      const small = reference(rgb, width, height, w, h);
      const out = zoomOutPixels(rgb, width, height, scale);
      const left = Math.floor((width - w) / 2);
      const top = Math.floor((height - h) / 2);
      let mismatches = 0;
      for (let y = 0; y < h; y++) {
        for (let j = 0; j < w * 3; j++) if (out[((top + y) * width + left) * 3 + j] !== small[y * w * 3 + j]) mismatches++;
      }
      expect(mismatches, `${width}×${height} at ${scale}`).toBe(0);
    }
  });
});
