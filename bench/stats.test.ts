import { describe, expect, it } from 'vitest';
import { formatMs, median, percentile, summarize } from './stats.js';

describe('median', () => {
  it('takes the middle value of an odd sample and the mean of the two middle ones of an even sample', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('refuses an empty sample and NaN', () => {
    expect(() => median([])).toThrow(/empty/);
    expect(() => median([1, Number.NaN])).toThrow(/NaN/);
  });
});

describe('percentile (nearest rank)', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, reversed

  it('returns a measured value at rank ceil(p/100 * n)', () => {
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99.5)).toBe(100);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 51)).toBe(30);
  });

  it('gives the extremes at 0 and 100, and the maximum for p99 of a small sample', () => {
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([3, 9, 1], 99)).toBe(9);
  });

  it('refuses p outside 0..100', () => {
    expect(() => percentile(xs, -1)).toThrow(/outside/);
    expect(() => percentile(xs, 101)).toThrow(/outside/);
  });
});

describe('summarize', () => {
  it('reports median, p99, min, max and n', () => {
    const xs = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000); // 0..999 shuffled
    expect(summarize(xs)).toEqual({ median: 499.5, p99: 989, min: 0, max: 999, n: 1000 });
  });
});

describe('formatMs', () => {
  it('keeps three significant digits in a readable unit', () => {
    expect(formatMs(0.4123)).toBe('412 µs');
    expect(formatMs(41.23)).toBe('41.2 ms');
    expect(formatMs(4123)).toBe('4.12 s');
    expect(formatMs(1)).toBe('1.00 ms');
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(0.0005)).toBe('500 ns');
  });
});
