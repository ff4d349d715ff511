/**
 * One-to-one assignment of matches: each item of ours keeps at most one match and each item of theirs serves at
 * most one of ours. Greedy by priority (best pair first), which is what a person does with a ranked list and is
 * within a factor of two of the optimal total; an optimal (Hungarian) assignment would trade a clearly best pair
 * for two mediocre ones, which is not what "the competitor's version of this product" means.
 */

export interface Candidate {
  ours: number;
  theirs: number;
}

/**
 * Picks pairs in the order given (callers sort best first), skipping any whose ours or theirs is taken.
 * @returns the chosen candidates, in the same order.
 */
export function assignOneToOne<T extends Candidate>(sortedBestFirst: readonly T[]): T[] {
  const oursTaken = new Set<number>();
  const theirsTaken = new Set<number>();
  const chosen: T[] = [];
  for (const c of sortedBestFirst) {
    if (oursTaken.has(c.ours) || theirsTaken.has(c.theirs)) continue;
    oursTaken.add(c.ours);
    theirsTaken.add(c.theirs);
    chosen.push(c);
  }
  return chosen;
}
