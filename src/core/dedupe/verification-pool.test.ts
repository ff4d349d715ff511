import { describe, expect, it } from 'vitest';
import { decodeOutcome, encodeOutcome, OUTCOME_FIELDS } from './verification-pool.js';
import type { CandidateOutcome } from './verify-candidate.js';

describe('outcome encoding', () => {
  it('carries every outcome across a worker message unchanged', () => {
    const outcomes: CandidateOutcome[] = [
      { searched: false },
      { searched: true },
      { searched: true, verified: { agreement: 0.53125, quarters: 3, alignment: { host: 'b', x: 0.1234567, y: 0.02, w: 0.8765, h: 0.9, mirrored: true, coarse: 0.912345 }, contained: true } },
      { searched: false, verified: { agreement: 1, quarters: 0, alignment: { host: 'a', x: 0, y: 0, w: 1, h: 1, mirrored: false, coarse: -0.25 }, contained: false } },
    ];
    const out = new Float64Array(outcomes.length * OUTCOME_FIELDS);
    outcomes.forEach((o, i) => encodeOutcome(out, i, o));
    expect(outcomes.map((_, i) => decodeOutcome(out, i))).toEqual(outcomes);
  });
});
