import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate.js';

describe('RateMeter', () => {
  it('reports the rate over its window and the ETA from it', () => {
    let t = 0;
    const m = new RateMeter(10_000, () => t);
    expect(m.rate()).toBe(0);
    expect(m.eta(0, 100)).toBeNull();
    m.mark(0);
    t = 2_000;
    m.mark(20);
    expect(m.rate()).toBeCloseTo(10);
    expect(m.eta(20, 100)).toBeCloseTo(8);
    // Old samples fall out of the window, so the rate follows a slowdown.
    t = 20_000;
    m.mark(30);
    t = 30_000;
    m.mark(40);
    expect(m.rate()).toBeCloseTo(1);
  });
});
