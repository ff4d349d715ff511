import { describe, expect, it } from 'vitest';
import { groupWithoutChaining, type VerifiedEdge } from './grouping.js';

/** Unit vectors on a circle: neighbours 20° apart are "duplicates" (cos ≥ 0.9), 40° apart are not. */
function ring(n: number, stepDeg: number): number[][] {
  return Array.from({ length: n }, (_, i) => [Math.cos((i * stepDeg * Math.PI) / 180), Math.sin((i * stepDeg * Math.PI) / 180)]);
}

function edgesAbove(vectors: number[][], threshold: number): VerifiedEdge[] {
  const edges: VerifiedEdge[] = [];
  for (let a = 0; a < vectors.length; a++) {
    for (let b = a + 1; b < vectors.length; b++) {
      const s = vectors[a]!.reduce((sum, x, i) => sum + x * vectors[b]![i]!, 0);
      if (s >= threshold) edges.push({ a, b, similarity: s });
    }
  }
  return edges;
}

describe('groupWithoutChaining', () => {
  it('never puts two items in a group unless each is verified against the representative', () => {
    // A chain 0~1~2~3~4 where only neighbours pass: transitive closure would make one group of five.
    const vectors = ring(5, 20);
    const edges = edgesAbove(vectors, 0.9);
    const groups = groupWithoutChaining(edges);
    const verified = new Set(edges.map((e) => `${Math.min(e.a, e.b)}-${Math.max(e.a, e.b)}`));
    for (const g of groups) {
      for (const m of g.members) {
        expect(verified.has(`${Math.min(g.representative, m.node)}-${Math.max(g.representative, m.node)}`)).toBe(true);
      }
    }
    expect(groups.every((g) => g.members.length <= 2)).toBe(true);
    // Every item is in at most one group.
    const seen = groups.flatMap((g) => [g.representative, ...g.members.map((m) => m.node)]);
    expect(new Set(seen).size).toBe(seen.length);
    // 0 and 4 (80° apart) never share a group.
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => [g.representative, ...g.members.map((m) => m.node)].forEach((n) => groupOf.set(n, i)));
    expect(groupOf.get(0) === undefined || groupOf.get(0) !== groupOf.get(4)).toBe(true);
  });

  it('makes the most connected item the representative (an original with its copies)', () => {
    // 0 is the original; 1..4 are copies close to it but not to each other.
    const edges: VerifiedEdge[] = [1, 2, 3, 4].map((n) => ({ a: n, b: 0, similarity: 0.9 + n / 100 }));
    const groups = groupWithoutChaining(edges);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.representative).toBe(0);
    expect(groups[0]!.members.map((m) => m.node)).toEqual([4, 3, 2, 1]);
    expect(groups[0]!.members[0]!.similarity).toBeCloseTo(0.94);
  });

  it('breaks degree ties by the caller preference', () => {
    const edges: VerifiedEdge[] = [{ a: 7, b: 9, similarity: 0.95 }];
    expect(groupWithoutChaining(edges)[0]!.representative).toBe(7);
    expect(groupWithoutChaining(edges, { preference: (n) => (n === 9 ? 0 : 1) })[0]!.representative).toBe(9);
  });

  it('keeps separate families apart and drops items left alone', () => {
    const edges: VerifiedEdge[] = [
      { a: 1, b: 2, similarity: 0.99 },
      { a: 1, b: 3, similarity: 0.98 },
      { a: 10, b: 11, similarity: 0.97 },
      // 3~10 is a weak bridge: 10 already belongs to the family of 11 or 3 to the family of 1.
      { a: 3, b: 10, similarity: 0.91 },
    ];
    const groups = groupWithoutChaining(edges);
    const sets = groups.map((g) => [g.representative, ...g.members.map((m) => m.node)].sort((x, y) => x - y));
    expect(sets).toContainEqual([1, 2, 3]);
    expect(sets).toContainEqual([10, 11]);
  });

  it('rejects a self-edge', () => {
    expect(() => groupWithoutChaining([{ a: 1, b: 1, similarity: 1 }])).toThrow(/self-edge/);
  });
});
