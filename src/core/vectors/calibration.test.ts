import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../base/linalg.js';
import { fitCalibration, marginsOf, measure, verdictOf, type Calibration } from './calibration.js';

/** Best candidates where being right depends on score and margin: P(right) = σ(8·score + 20·margin − 5). */
function points(seed: number, n: number) {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const score = rand();
    const margin = rand() * 0.2;
    const p = 1 / (1 + Math.exp(-(8 * score + 20 * margin - 5)));
    return { score, margin, correct: rand() < p };
  });
}

describe('verdict calibration', () => {
  it('recovers the probability of a logistic model and states its precision on the points', () => {
    const cal = fitCalibration(points(1, 4000), { source: 'catalog' });
    expect(cal.a).toBeGreaterThan(6);
    expect(cal.a).toBeLessThan(10);
    expect(cal.b).toBeGreaterThan(14);
    expect(cal.b).toBeLessThan(26);
    // On fresh points from the same law, the measured precision of `same` holds (≥ the verdict's threshold).
    const fresh = measure(points(2, 4000), cal);
    expect(fresh.precision!).toBeGreaterThan(cal.same);
    expect(Math.abs(fresh.precision! - cal.precision!)).toBeLessThan(0.05);
  });

  it('says same / similar / different by the calibrated probability; margin matters', () => {
    const cal: Calibration = { a: 8, b: 20, c: -5, typicalMargin: 0.05, same: 0.75, similar: 0.3, source: 'builtin', samples: 1, precision: null, recall: null };
    expect(verdictOf({ score: 0.9, margin: 0.1 }, cal).verdict).toBe('same');
    // Same score, but another product scores as high: not the same product.
    expect(verdictOf({ score: 0.9, margin: -0.3 }, cal).verdict).toBe('different');
    expect(verdictOf({ score: 0.55, margin: 0.02 }, cal).verdict).toBe('similar');
    expect(verdictOf({ score: 0.1, margin: 0 }, cal)).toMatchObject({ verdict: 'different' });
    expect(verdictOf({ score: 0.1, margin: 0 }, cal).confidence).toBeLessThan(0.05);
  });

  it('lets geometric evidence and a verified copy confirm same, never deny it', () => {
    const cal: Calibration = { a: 8, b: 20, c: -5, typicalMargin: 0.05, same: 0.75, similar: 0.3, source: 'builtin', samples: 1, precision: null, recall: null };
    const weak = { score: 0.3, margin: 0 };
    expect(verdictOf(weak, cal).verdict).toBe('different');
    expect(verdictOf({ ...weak, inliers: 4 }, cal).verdict).toBe('different');
    expect(verdictOf({ ...weak, inliers: 5 }, cal)).toMatchObject({ verdict: 'same', confidence: 0.85 });
    expect(verdictOf({ ...weak, inliers: 40 }, cal).confidence).toBe(0.94);
    expect(verdictOf({ ...weak, copy: true }, cal)).toMatchObject({ verdict: 'same', confidence: 0.99 });
    expect(verdictOf({ score: 0.99, margin: 0.3, inliers: 0 }, cal).verdict).toBe('same');
  });

  it('measures margins against the best candidate of another product', () => {
    expect(marginsOf([0.9, 0.8, 0.5], [undefined, undefined, undefined]).map((m) => m!.toFixed(2))).toEqual(['0.10', '-0.10', '-0.40']);
    // The second hit is the same SKU as the first: the margin is to the third.
    expect(marginsOf([0.9, 0.85, 0.5], ['A', 'A', 'B']).map((m) => m!.toFixed(2))).toEqual(['0.40', '0.35', '-0.40']);
    expect(marginsOf([0.9], [undefined])).toEqual([undefined]);
  });

  it('refuses points with nothing to separate', () => {
    expect(() => fitCalibration([{ score: 1, margin: 0, correct: true }], { source: 'catalog' })).toThrow(/nothing to separate/);
  });
});
