/**
 * The signature check of one candidate pair (step 2 of findNearDuplicates), shared by the calling thread and the
 * verification workers so that both decide every pair alike.
 */
import { matchPictures, prepareSignature, rotateSignature, type Alignment, type PreparedSignature } from '../images/phash.js';
import { innerPictures, matchPart } from '../images/parts.js';

export interface CandidateOutcome {
  /**
   * Set when the pair verified: its agreement, alignment and the quarter turns applied to the query; `contained`
   * when one was found as an inner picture of the other (a photo inside a page).
   */
  verified?: { agreement: number; alignment: Alignment; quarters: 0 | 1 | 2 | 3; contained: boolean };
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
 * A candidate's verification flags (one int per task): bit 0, the crop search; bits 1–2, the inner picture
 * (innerPictures' index + 1) of the host whose layout proposed the pair; bit 3, that host is the target.
 */
export function candidateFlags(search: boolean, inner?: { index: number; hostIsTarget: boolean }): number {
  return (search ? 1 : 0) | (inner ? ((inner.index + 1) << 1) | (inner.hostIsTarget ? 8 : 0) : 0);
}

/**
 * Compares query `q` (signature `a`) with a target (`b`): plain when bit 0 of `turns` is set (with the crop search
 * when `flags` asks for it), then as the inner picture that proposed the pair (see candidateFlags), then each
 * quarter turn of the query whose bit is set, until one reaches `accept`.
 */
export function verifyCandidate(
  q: number,
  a: PreparedSignature,
  b: PreparedSignature,
  turns: number,
  flags: number,
  accept: number,
  turned: TurnedSignature,
): CandidateOutcome {
  let searched = false;
  const search = (flags & 1) === 1;
  if (turns & 1) {
    const m = matchPictures(a, b, { accept, search });
    if (m.agreement >= accept) return { verified: { agreement: m.agreement, alignment: m.alignment, quarters: 0, contained: false }, searched };
    searched = search;
  }
  const inner = (flags >> 1) & 3;
  if (inner > 0) {
    const hostSide = flags & 8 ? 'b' : 'a';
    const part = innerPictures((hostSide === 'a' ? a : b).sig)[inner - 1];
    if (part) {
      const m = matchPart(a, b, hostSide, part, accept);
      if (m.agreement >= accept) return { verified: { agreement: m.agreement, alignment: m.alignment, quarters: 0, contained: true }, searched };
    }
  }
  for (const quarters of [1, 2, 3] as const) {
    if (!(turns & (1 << quarters))) continue;
    const r = matchPictures(turned(q, a, quarters), b, { accept, search: false });
    if (r.agreement >= accept) return { verified: { agreement: r.agreement, alignment: r.alignment, quarters, contained: false }, searched };
  }
  return { searched };
}
