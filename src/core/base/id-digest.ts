/** Order-independent digests of id sets, computed alike by the catalog's SQL triggers and the vector index files. */

/**
 * An order-independent summary of a set of ids: their count, sum and sum of squares modulo a prime. Item ids are
 * never reused, so a file that lags behind the catalog, or holds deleted items, differs from it in count or sum;
 * the squares catch contrived swaps. The catalog keeps the same sums per collection, updated by triggers
 * (catalog/migrations/0004-embedded-id-sets.ts) in SQLite integers: exact for ids below 3·10⁹ (id² must fit in
 * 63 bits); a vector index file records the digest of the ids it holds (vectors/ann-index.ts).
 */
export interface IdDigest {
  count: number;
  sum: bigint;
  squares: bigint;
}

export const ID_SQUARES_MODULUS = 4294967291;

export const EMPTY_ID_DIGEST: IdDigest = { count: 0, sum: 0n, squares: 0n };

export function sameIds(a: IdDigest, b: IdDigest): boolean {
  return a.count === b.count && a.sum === b.sum && a.squares === b.squares;
}

/** The digest of `ids` added to (sign 1) or removed from (sign −1) `base`. */
export function updateIdDigest(base: IdDigest, ids: readonly number[], sign: 1 | -1 = 1): IdDigest {
  // Plain numbers stay exact for a batch: ids < 2³² and fewer than 2²⁰ of them keep each sum below 2⁵³.
  let sum = 0n;
  let squares = 0n;
  for (let start = 0; start < ids.length; start += 1 << 20) {
    let s = 0;
    let q = 0;
    for (const id of ids.slice(start, start + (1 << 20))) {
      s += id;
      q += squareMod(id);
    }
    sum += BigInt(s);
    squares += BigInt(q);
  }
  const k = BigInt(sign);
  return { count: base.count + sign * ids.length, sum: base.sum + k * sum, squares: base.squares + k * squares };
}

function squareMod(id: number): number {
  // Below √2⁵³ the square is exact as a double.
  if (id < 94_906_265) return (id * id) % ID_SQUARES_MODULUS;
  return Number((BigInt(id) * BigInt(id)) % BigInt(ID_SQUARES_MODULUS));
}
