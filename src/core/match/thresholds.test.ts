import { describe, expect, it } from 'vitest';
import { assignOneToOne } from './assign.js';
import { calibrateFromNeighbours, verdictOf } from './thresholds.js';

describe('verdictOf', () => {
  const t = { same: 0.98, similar: 0.9 };
  it('calls pictures that line up `same` whatever the cosine, else goes by the thresholds', () => {
    expect(verdictOf(0.5, true, t)).toBe('same');
    expect(verdictOf(0.985, false, t)).toBe('same');
    expect(verdictOf(0.95, false, t)).toBe('similar');
    expect(verdictOf(0.9, false, t)).toBe('similar');
    expect(verdictOf(0.89, false, t)).toBeNull();
  });
});

describe('calibrateFromNeighbours', () => {
  it('puts `similar` at the median and `same` above every sampled non-copy', () => {
    const scores = Array.from({ length: 101 }, (_, i) => 0.8 + i * 0.001); // 0.800 .. 0.900
    const t = calibrateFromNeighbours(scores);
    expect(t.similar).toBeCloseTo(0.85, 6);
    expect(t.same).toBeCloseTo(0.95, 6);
    expect(t.same).toBeGreaterThan(Math.max(...scores));
  });

  it('refuses an empty sample', () => {
    expect(() => calibrateFromNeighbours([])).toThrow(/at least one/);
  });
});

describe('assignOneToOne', () => {
  it('takes pairs best first and never reuses either side', () => {
    const pairs = [
      { ours: 1, theirs: 10, s: 0.99 },
      { ours: 2, theirs: 10, s: 0.98 },
      { ours: 2, theirs: 11, s: 0.9 },
      { ours: 1, theirs: 11, s: 0.85 },
      { ours: 3, theirs: 11, s: 0.8 },
    ];
    expect(assignOneToOne(pairs).map((p) => [p.ours, p.theirs])).toEqual([
      [1, 10],
      [2, 11],
    ]);
  });
});
