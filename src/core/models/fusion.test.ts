import { describe, expect, it } from 'vitest';
import { l2NormalizeInPlace } from '../base/vector-norm.js';
import { averageViews, fuseImage, powerNormalizeInPlace } from './fusion.js';

const norm = (v: Float32Array) => Math.hypot(...v);

describe('fuseImage', () => {
  it('L2-normalises each output, weights it, concatenates and normalises the whole', () => {
    // Image 1 of a batch of two: output A [3, 4] (norm 5), output B [0, 10] (norm 10).
    const a = { data: Float32Array.from([9, 9, 3, 4]), dim: 2, weight: 1 };
    const b = { data: Float32Array.from([9, 9, 0, 10]), dim: 2, weight: 2 };
    const v = fuseImage([a, b], 1, true);
    // [0.6, 0.8] and 2 × [0, 1] → [0.6, 0.8, 0, 2] / √5.
    const s = Math.sqrt(5);
    expect(Array.from(v)).toEqual([0.6 / s, 0.8 / s, 0, 2 / s].map(Math.fround));
    expect(norm(v)).toBeCloseTo(1, 6);
  });

  it('without per-output normalisation, magnitudes carry through', () => {
    const v = fuseImage([{ data: Float32Array.from([3, 4]), dim: 2, weight: 1 }, { data: Float32Array.from([0]), dim: 1, weight: 1 }], 0, false);
    expect(Array.from(v)).toEqual([0.6, 0.8, 0].map(Math.fround));
  });

  it('keeps a zero output at zero instead of dividing by zero', () => {
    const v = fuseImage([{ data: new Float32Array(2), dim: 2, weight: 1 }, { data: Float32Array.from([5]), dim: 1, weight: 1 }], 0, true);
    expect(Array.from(v)).toEqual([0, 0, 1]);
  });

  it('throws when an output is shorter than the batch index requires', () => {
    expect(() => fuseImage([{ data: new Float32Array(2), dim: 2, weight: 1 }], 1, true)).toThrow(/holds 2 values/);
  });
});

describe('l2NormalizeInPlace', () => {
  it('normalises in place', () => {
    const v = Float32Array.from([0, 3, 4]);
    expect(l2NormalizeInPlace(v)).toBe(v);
    expect(Array.from(v)).toEqual([0, 0.6, 0.8].map(Math.fround));
  });
});

describe('averageViews', () => {
  it('returns the unit mean of the views (an image and its mirror)', () => {
    const v = averageViews([Float32Array.from([1, 0]), Float32Array.from([0, 1])]);
    expect(Array.from(v)).toEqual([Math.SQRT1_2, Math.SQRT1_2].map(Math.fround));
    expect(Array.from(averageViews([Float32Array.from([0.6, 0.8])]))).toEqual([0.6, 0.8].map(Math.fround));
    expect(() => averageViews([])).toThrow(/no views/);
    expect(() => averageViews([new Float32Array(2), new Float32Array(3)])).toThrow(/cannot be averaged/);
  });
});

describe('powerNormalizeInPlace', () => {
  it('takes the signed power of every value and normalises the result', () => {
    const v = Float32Array.from([0.64, -0.36, 0]);
    expect(powerNormalizeInPlace(v, 0.5)).toBe(v);
    // √0.64 = 0.8, −√0.36 = −0.6: already unit length.
    expect(Array.from(v)).toEqual([0.8, -0.6, 0].map(Math.fround));
  });

  it('flattens a bursty vector towards its weak channels', () => {
    const v = powerNormalizeInPlace(Float32Array.from([0.99, 0.1, 0.1]), 0.5);
    expect(v[1]! / v[0]!).toBeCloseTo(Math.sqrt(0.1 / 0.99), 6);
    expect(norm(v)).toBeCloseTo(1, 6);
    expect(Array.from(powerNormalizeInPlace(Float32Array.from([0.6, 0.8]), 1))).toEqual([0.6, 0.8].map(Math.fround));
  });
});
