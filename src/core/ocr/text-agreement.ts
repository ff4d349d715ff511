/**
 * How much the text read from a query photo agrees with a candidate's text (its own OCR text, its product's
 * title and brand, the OCR text of the product's other photos): what a global vector cannot see, the brand and
 * variety printed on a carton ("Mellanmjölk" against "Lättmjölk" on one carton design).
 *
 * Texts are compared as sets of character trigrams of their words (diacritics folded, case ignored), so an OCR
 * slip costs one or two trigrams of a word instead of the word. Each trigram weighs its rarity among the
 * candidates compared (inverse document frequency over them, log((n + 1) / df)): a trigram every candidate has
 * cannot tell them apart and weighs least, so the score needs no corpus-wide statistics and costs microseconds
 * per candidate.
 * The score is the share of the query's weight found in the candidate's text (0..1).
 */

/** Words shorter than this are left out (single letters and digits are mostly OCR noise). */
const MIN_WORD = 2;

/** The trigrams of a text's words, each word padded with boundary marks ("^mj", "mjo", ..., "lk$"). */
export function textGrams(text: string): Set<string> {
  const out = new Set<string>();
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u);
  for (const w of words) {
    if ([...w].length < MIN_WORD) continue;
    const chars = ['^', ...w, '$'];
    for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(''));
  }
  return out;
}

export interface AgreementOptions {
  /** The texts the rarity is measured over (default: the candidates); the candidates should be among them. */
  context?: readonly Set<string>[];
  /**
   * Count the query's trigrams that no text of the context has at the rarest weight (default false: left out):
   * a query read with much noise then agrees less with everything, instead of fully with the one candidate
   * that shares its only clean word.
   */
  unmatched?: boolean;
}

/**
 * The agreement (0..1) of a query's text with each candidate's text, weighing trigrams by their rarity among
 * the context's texts. A query or candidate without text scores 0; candidates with the same text score alike.
 */
export function textAgreements(query: string | Set<string>, candidates: readonly (string | Set<string>)[], options: AgreementOptions = {}): number[] {
  const q = typeof query === 'string' ? textGrams(query) : query;
  const docs = candidates.map((c) => (typeof c === 'string' ? textGrams(c) : c));
  if (q.size === 0 || docs.length === 0) return docs.map(() => 0);
  const context = options.context ?? docs;
  const n = context.length;
  const idf = new Map<string, number>();
  let total = 0;
  for (const g of q) {
    let df = 0;
    for (const d of context) if (d.has(g)) df++;
    if (df === 0) {
      if (options.unmatched) total += Math.log(n + 1);
      continue;
    }
    const w = Math.log((n + 1) / df);
    idf.set(g, w);
    total += w;
  }
  if (total === 0) return docs.map(() => 0);
  return docs.map((d) => {
    let found = 0;
    for (const [g, w] of idf) if (d.has(g)) found += w;
    return found / total;
  });
}
