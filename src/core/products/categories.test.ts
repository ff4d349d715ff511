import { describe, expect, it } from 'vitest';
import { topK, voteCategory } from './categories.js';

describe('voteCategory', () => {
  it('weights votes by similarity and reports the winner share', () => {
    const v = voteCategory([
      { category: 'dress', score: 0.9 },
      { category: 'dress', score: 0.7 },
      { category: 'hat', score: 0.8 },
      { category: 'shoes', score: -0.5 },
    ]);
    expect(v).toMatchObject({ category: 'dress', votes: 4 });
    expect(v?.confidence).toBeCloseTo(1.6 / 2.4, 12);
  });

  it('lets fewer, closer neighbours outvote many distant ones', () => {
    const v = voteCategory([
      { category: 'a', score: 0.95 },
      { category: 'a', score: 0.9 },
      { category: 'b', score: 0.3 },
      { category: 'b', score: 0.3 },
      { category: 'b', score: 0.3 },
    ]);
    expect(v?.category).toBe('a');
    expect(v?.confidence).toBeCloseTo(1.85 / 2.75, 10);
  });

  it('breaks ties by the closest neighbour, then by name; unanimous is 1; none is null', () => {
    expect(voteCategory([{ category: 'b', score: 0.5 }, { category: 'a', score: 0.3 }, { category: 'a', score: 0.2 }])?.category).toBe('b');
    expect(voteCategory([{ category: 'b', score: 0.5 }, { category: 'a', score: 0.5 }])?.category).toBe('a');
    expect(voteCategory([{ category: 'x', score: 0.4 }, { category: 'x', score: 0.1 }])?.confidence).toBe(1);
    expect(voteCategory([{ category: 'x', score: -0.4 }, { category: 'y', score: -0.1 }, { category: 'x', score: -0.2 }])).toEqual({
      category: 'x',
      confidence: 2 / 3,
      votes: 3,
    });
    expect(voteCategory([])).toBeNull();
  });
});

describe('topK', () => {
  it('returns the indices of the k largest values, largest first', () => {
    const v = new Float32Array([0.1, 0.9, 0.5, 0.9, -1, 0.7]);
    expect(topK(v, 3)).toEqual([1, 3, 5]);
    expect(topK(v, 10)).toEqual([1, 3, 5, 2, 0, 4]);
    expect(topK(v, 1)).toEqual([1]);
  });
});
