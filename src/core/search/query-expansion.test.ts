import { describe, expect, it } from 'vitest';
import { expandQuery, pinFirst } from './query-expansion.js';

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};

describe('expandQuery', () => {
  it('adds the first neighbours weighted by score^alpha and normalises', () => {
    const q = unit(1, 0, 0);
    const a = unit(0, 1, 0);
    const b = unit(0, 0, 1);
    const out = expandQuery(q, [{ score: 0.5, vector: a }, { score: 0.25, vector: b }], { neighbours: 2, alpha: 1 });
    const expected = unit(1, 0.5, 0.25);
    expect(Array.from(out).map((x) => x.toFixed(6))).toEqual(Array.from(expected).map((x) => x.toFixed(6)));
    // alpha sharpens the weights; only `neighbours` neighbours count.
    const sharp = expandQuery(q, [{ score: 0.5, vector: a }, { score: 0.25, vector: b }], { neighbours: 1, alpha: 2 });
    expect(Array.from(sharp).map((x) => x.toFixed(6))).toEqual(Array.from(unit(1, 0.25, 0)).map((x) => x.toFixed(6)));
  });

  it('ignores neighbours with a negative score and leaves the query untouched', () => {
    const q = unit(1, 1);
    const out = expandQuery(q, [{ score: -0.3, vector: unit(1, -1) }], { neighbours: 3, alpha: 1 });
    expect(Array.from(out)).toEqual(Array.from(q));
    expect(Array.from(q)).toEqual(Array.from(unit(1, 1)));
    expect(() => expandQuery(q, [{ score: 1, vector: unit(1, 0, 0) }], { neighbours: 1, alpha: 1 })).toThrow(/3 values/);
  });
});

describe('pinFirst', () => {
  const h = (id: number, score: number) => ({ id, score });

  it('keeps the best plain hit first and the expanded order after it, sorted', () => {
    const plain = [h(7, 0.62), h(3, 0.6)];
    const expanded = [h(3, 0.8), h(5, 0.7), h(7, 0.65), h(9, 0.5)];
    expect(pinFirst(plain, expanded, 3)).toEqual([h(7, 0.8), h(3, 0.8), h(5, 0.7)]);
    // When the pinned hit scores highest anyway, nothing is raised.
    expect(pinFirst([h(1, 0.95)], [h(1, 0.9), h(2, 0.7)], 5)).toEqual([h(1, 0.95), h(2, 0.7)]);
    expect(pinFirst([], [h(2, 0.5)], 1)).toEqual([h(2, 0.5)]);
  });
});
