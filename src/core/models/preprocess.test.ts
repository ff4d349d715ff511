import { describe, expect, it } from 'vitest';
import type { ManifestInput } from './manifest.js';
import { createPixelPacker, packPixels } from './preprocess.js';

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
