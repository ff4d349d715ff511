import { describe, expect, it } from 'vitest';
import { outputSize1d, pads2d, samePads1d, zeroPadding2d } from './padding.js';

describe('samePads1d (TensorFlow SAME)', () => {
  it.each([
    // [input, kernel, stride, expected pads]
    [17, 3, 1, [1, 1]],
    [17, 7, 1, [3, 3]],
    [17, 1, 1, [0, 0]],
    [224, 3, 2, [0, 1]], // even input, stride 2: the extra pixel goes after
    [7, 3, 2, [1, 1]],
    [35, 3, 2, [1, 1]],
    [8, 3, 2, [0, 1]],
  ] as const)('in %d, k %d, s %d → %j', (n, k, s, expected) => {
    expect(samePads1d(n, k, s)).toEqual(expected);
  });

  it('accounts for dilation', () => {
    expect(samePads1d(10, 3, 1, 2)).toEqual([2, 2]);
  });
});

describe('pads2d', () => {
  it('gives per-axis pads for 1×7 and 7×1 kernels', () => {
    const one = { strides: [1, 1], dilations: [1, 1] } as const;
    expect(pads2d(17, 17, { kernel: [1, 7], ...one }, 'same').pads).toEqual([0, 3, 0, 3]);
    expect(pads2d(17, 17, { kernel: [7, 1], ...one }, 'same').pads).toEqual([3, 0, 3, 0]);
  });

  it('keeps valid convolutions unpadded and computes their output size', () => {
    expect(pads2d(299, 299, { kernel: [3, 3], strides: [2, 2], dilations: [1, 1] }, 'valid')).toEqual({ pads: [0, 0, 0, 0], outHeight: 149, outWidth: 149 });
  });

  it('folds a preceding ZeroPadding2D((0,1),(0,1)) into the pads (MobileNetV2 stem)', () => {
    const r = pads2d(224, 224, { kernel: [3, 3], strides: [2, 2], dilations: [1, 1] }, 'valid', [0, 0, 1, 1]);
    expect(r).toEqual({ pads: [0, 0, 1, 1], outHeight: 112, outWidth: 112 });
  });

  it('rejects a kernel larger than the padded input', () => {
    expect(() => outputSize1d(2, 5, 1, 1, 0, 0)).toThrow(/does not fit/);
  });
});

describe('zeroPadding2d', () => {
  it('normalises every Keras form to [top, left, bottom, right]', () => {
    expect(zeroPadding2d(2)).toEqual([2, 2, 2, 2]);
    expect(zeroPadding2d([1, 2])).toEqual([1, 2, 1, 2]);
    expect(zeroPadding2d([[0, 1], [2, 3]])).toEqual([0, 2, 1, 3]);
  });

  it('rejects anything else', () => {
    expect(() => zeroPadding2d('same')).toThrow(/unsupported/);
    expect(() => zeroPadding2d([[0, -1], [0, 1]])).toThrow(/unsupported/);
  });
});
