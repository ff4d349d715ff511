/**
 * The signature check of one candidate pair (step 2 of findNearDuplicates), shared by the calling thread and the
 * verification workers so that both decide every pair alike.
 */
import { matchPictures, prepareSignature, rotateSignature, type Alignment, type PreparedSignature } from '../images/phash.js';

export interface CandidateOutcome {
  /** Set when the pair verified: its agreement, alignment and the quarter turns applied to the query. */
  verified?: { agreement: number; alignment: Alignment; quarters: 0 | 1 | 2 | 3 };
  /** The plain comparison got the dear crop search and did not verify. */
  searched: boolean;
}

/** The query's signature turned by `quarters`, prepared once per query node (a bounded cache). */
export type TurnedSignature = (node: number, sig: PreparedSignature, quarters: 1 | 2 | 3) => PreparedSignature;

export function turnedSignatures(): TurnedSignature {
  const cache = new Map<number, PreparedSignature>();
  return (node, sig, quarters) => {
    const k = node * 4 + quarters;
    let r = cache.get(k);
    if (!r) {
      r = prepareSignature(rotateSignature(sig.sig, quarters));
      if (cache.size > 4096) cache.clear();
      cache.set(k, r);
    }
    return r;
  };
}

/**
 * Compares query `q` (signature `a`) with a target (`b`): plain when bit 0 of `turns` is set (with the crop search
 * when `search`), then each quarter turn of the query whose bit is set, until one reaches `accept`.
 */
export function verifyCandidate(
  q: number,
  a: PreparedSignature,
  b: PreparedSignature,
  turns: number,
  search: boolean,
  accept: number,
  turned: TurnedSignature,
): CandidateOutcome {
  let searched = false;
  if (turns & 1) {
    const m = matchPictures(a, b, { accept, search });
    if (m.agreement >= accept) return { verified: { agreement: m.agreement, alignment: m.alignment, quarters: 0 }, searched };
    searched = search;
  }
  for (const quarters of [1, 2, 3] as const) {
    if (!(turns & (1 << quarters))) continue;
    const r = matchPictures(turned(q, a, quarters), b, { accept, search: false });
    if (r.agreement >= accept) return { verified: { agreement: r.agreement, alignment: r.alignment, quarters }, searched };
  }
  return { searched };
}
