/**
 * Duplicate groups from verified pairs, without chaining: every member of a group is itself verified against
 * the group's representative, so A~B and B~C never put an unrelated A and C together.
 *
 * Representatives are chosen greedily by how many still-ungrouped items they are verified with (the original
 * of a family of copies is close to every copy, while two copies of it may not be close to each other); ties go
 * to the caller's preference (the better keeper), then to the lower node number.
 */

/** A verified near-duplicate pair of nodes with its similarity (higher is closer). */
export interface VerifiedEdge {
  a: number;
  b: number;
  similarity: number;
}

export interface Group {
  /** The node every member was verified against. */
  representative: number;
  /** Members other than the representative, each with its similarity to the representative, closest first. */
  members: { node: number; similarity: number }[];
}

export interface GroupingOptions {
  /** Lower sorts first: the preferred representative among equally connected nodes. Defaults to the node number. */
  preference?: (node: number) => number;
}

/**
 * Partitions the nodes touched by `edges` into groups of at least two.
 * @throws Error on a self-edge or a non-finite similarity (a caller bug).
 */
export function groupWithoutChaining(edges: readonly VerifiedEdge[], options: GroupingOptions = {}): Group[] {
  const adjacency = new Map<number, Map<number, number>>();
  const link = (x: number, y: number, s: number) => {
    let m = adjacency.get(x);
    if (!m) adjacency.set(x, (m = new Map()));
    const had = m.get(y);
    if (had === undefined || s > had) m.set(y, s);
  };
  for (const e of edges) {
    if (e.a === e.b) throw new Error(`self-edge on node ${e.a}`);
    if (!Number.isFinite(e.similarity)) throw new Error(`non-finite similarity between ${e.a} and ${e.b}`);
    link(e.a, e.b, e.similarity);
    link(e.b, e.a, e.similarity);
  }
  const preference = options.preference ?? ((n: number) => n);
  const prefOf = new Map<number, number>();
  for (const n of adjacency.keys()) prefOf.set(n, preference(n));

  const grouped = new Set<number>();
  // Live degree = neighbours not grouped yet. A lazy max-heap keyed by (degree, -preference, -node).
  const degree = new Map<number, number>();
  for (const [n, m] of adjacency) degree.set(n, m.size);
  const heap = new MaxHeap<[number, number, number, number]>((x, y) => compareKeys(x, y));
  for (const [n, d] of degree) heap.push([d, -(prefOf.get(n) ?? 0), -n, n]);

  const groups: Group[] = [];
  while (heap.size > 0) {
    const [d, , , node] = heap.pop()!;
    if (grouped.has(node) || d !== degree.get(node)) continue; // stale entry
    if (d === 0) continue;
    const members: { node: number; similarity: number }[] = [];
    for (const [other, similarity] of adjacency.get(node)!) if (!grouped.has(other)) members.push({ node: other, similarity });
    members.sort((x, y) => y.similarity - x.similarity || x.node - y.node);
    grouped.add(node);
    for (const m of members) grouped.add(m.node);
    groups.push({ representative: node, members });
    // Neighbours of everything just grouped lose those links; re-queue them with their new degree.
    const touched = new Set<number>();
    for (const g of [node, ...members.map((m) => m.node)]) {
      for (const other of adjacency.get(g)!.keys()) if (!grouped.has(other)) touched.add(other);
    }
    for (const t of touched) {
      let live = 0;
      for (const other of adjacency.get(t)!.keys()) if (!grouped.has(other)) live++;
      degree.set(t, live);
      if (live > 0) heap.push([live, -(prefOf.get(t) ?? 0), -t, t]);
    }
  }
  return groups;
}

function compareKeys(x: readonly number[], y: readonly number[]): number {
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A binary max-heap; `compare(a, b) > 0` means a comes out first. */
class MaxHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(value: T): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(a[i]!, a[parent]!) <= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && this.compare(a[l]!, a[best]!) > 0) best = l;
        if (r < a.length && this.compare(a[r]!, a[best]!) > 0) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best]!, a[i]!];
        i = best;
      }
    }
    return top;
  }
}
