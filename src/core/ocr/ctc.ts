/** CTC greedy decoding of a recognition model's per-step class scores. */

/**
 * The recognizer's alphabet: index 0 is the CTC blank, then the dictionary's characters one per line, then a
 * space (PaddleOCR's `use_space_char`).
 */
export function ctcAlphabet(dictionary: string): string[] {
  const lines = dictionary.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines, ' '];
}

export interface Decoded {
  text: string;
  /** Mean probability of the kept characters (0 for an empty result). */
  confidence: number;
}

/**
 * Greedy CTC: the best class per step, repeats collapsed, blanks dropped.
 * @param scores `steps × classes` row-major probabilities
 */
export function ctcGreedy(scores: Float32Array, steps: number, classes: number, alphabet: readonly string[]): Decoded {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestScore = -Infinity;
    const off = t * classes;
    for (let c = 0; c < classes; c++) {
      const v = scores[off + c]!;
      if (v > bestScore) {
        bestScore = v;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += alphabet[best] ?? '';
      sum += bestScore;
      kept += 1;
    }
    previous = best;
  }
  return { text, confidence: kept > 0 ? sum / kept : 0 };
}

/** Levenshtein distance over code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/** Character accuracy 1 − CER (CER = edit distance / reference length), floored at 0. */
export function characterAccuracy(reference: string, hypothesis: string): number {
  const n = [...reference].length;
  if (n === 0) return hypothesis.length === 0 ? 1 : 0;
  return Math.max(0, 1 - editDistance(reference, hypothesis) / n);
}
