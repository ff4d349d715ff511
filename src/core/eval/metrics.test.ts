import { describe, expect, it } from 'vitest';
import { averagePrecisionAtK, hitAtK, retrievalMetrics } from './metrics.js';

const T = true;
const F = false;

describe('averagePrecisionAtK', () => {
  it('is 1 for a perfect ranking, also when fewer than k items are relevant', () => {
    expect(averagePrecisionAtK([T, T, T, F, F], 10, 3)).toBe(1);
    expect(averagePrecisionAtK([T, T, T, T, T, T, T, T, T, T, T], 10, 40)).toBe(1);
  });

  it('averages precision at the relevant ranks over min(k, R)', () => {
    // Relevant at ranks 2 and 4 of R = 2: (1/2 + 2/4) / 2.
    expect(averagePrecisionAtK([F, T, F, T], 10, 2)).toBeCloseTo(0.5, 12);
    // Relevant at ranks 1 and 3, R = 5: (1 + 2/3) / min(10, 5).
    expect(averagePrecisionAtK([T, F, T, F, F], 10, 5)).toBeCloseTo((1 + 2 / 3) / 5, 12);
  });

  it('ignores results beyond k and scores 0 with nothing relevant', () => {
    expect(averagePrecisionAtK([F, F, T], 2, 1)).toBe(0);
    expect(averagePrecisionAtK([F, T], 1, 3)).toBe(0);
    expect(averagePrecisionAtK([T], 10, 0)).toBe(0);
    expect(() => averagePrecisionAtK([T], 0, 1)).toThrow(/k must be/);
  });
});

describe('retrievalMetrics', () => {
  it('computes mAP@10, P@1 and Recall@k over queries with relevant items', () => {
    const m = retrievalMetrics([
      { ranked: [T, F, F], relevant: 1 }, // AP 1, P@1 1, R@1 1
      { ranked: [F, F, T, F, F, F], relevant: 2 }, // AP (1/3)/2, P@1 0, R@1 0, R@5 1
      { ranked: [F, F, F, F, F, F, T], relevant: 1 }, // AP 1/7, P@1 0, R@5 0, R@10 1
      { ranked: [F, F], relevant: 0 }, // cannot score: left out
    ]);
    expect(m.queries).toBe(3);
    expect(m.mapAt10).toBeCloseTo((1 + 1 / 6 + 1 / 7) / 3, 12);
    expect(m.precisionAt1).toBeCloseTo(1 / 3, 12);
    expect(m.recallAt[1]).toBeCloseTo(1 / 3, 12);
    expect(m.recallAt[5]).toBeCloseTo(2 / 3, 12);
    expect(m.recallAt[10]).toBeCloseTo(1, 12);
  });

  it('returns zeros for no scorable query', () => {
    expect(retrievalMetrics([])).toEqual({ queries: 0, mapAt10: 0, precisionAt1: 0, recallAt: { 1: 0, 5: 0, 10: 0 } });
  });

  it('hitAtK looks only at the first k', () => {
    expect(hitAtK([F, T], 1)).toBe(false);
    expect(hitAtK([F, T], 2)).toBe(true);
  });
});
