import { describe, expect, it } from 'vitest';
import { characterAccuracy, ctcAlphabet, ctcGreedy, editDistance } from './ctc.js';
import { connectedComponents, convexHull, minAreaRect, toQuad, unclip } from './geometry.js';
import { detSize } from './ocr-engine.js';

describe('CTC greedy decoding', () => {
  it('collapses repeats, drops blanks, keeps a character repeated across a blank, adds space last', () => {
    const alphabet = ctcAlphabet('a\nb\n');
    expect(alphabet).toEqual(['', 'a', 'b', ' ']);
    // steps: a a blank a b space b
    const best = [1, 1, 0, 1, 2, 3, 2];
    const scores = new Float32Array(best.length * 4);
    best.forEach((c, t) => (scores[t * 4 + c] = 0.9));
    expect(ctcGreedy(scores, best.length, 4, alphabet)).toEqual({ text: 'aab b', confidence: expect.closeTo(0.9, 5) });
  });

  it('measures character accuracy as 1 − CER', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(characterAccuracy('你好世界', '你好世')).toBe(0.75);
    expect(characterAccuracy('abc', 'xyzxyz')).toBe(0);
    expect(characterAccuracy('', '')).toBe(1);
  });
});

describe('DB post-processing geometry', () => {
  it('labels 8-connected components', () => {
    const m = Uint8Array.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1]);
    const cs = connectedComponents(m, 4, 4);
    expect(cs.map((c) => [...c.pixels].sort((a, b) => a - b))).toEqual([[0, 5], [3], [11, 14, 15]]);
  });

  it('finds the minimum-area rectangle of a rotated rectangle and grows it by area·r/perimeter', () => {
    const a = Math.PI / 6;
    const corners = [
      [-20, -5],
      [20, -5],
      [20, 5],
      [-20, 5],
    ].map(([x, y]) => ({ x: 100 + x! * Math.cos(a) - y! * Math.sin(a), y: 50 + x! * Math.sin(a) + y! * Math.cos(a) }));
    const rect = minAreaRect(convexHull(corners));
    expect(rect.width * rect.height).toBeCloseTo(400, 6);
    expect(rect.center.x).toBeCloseTo(100, 6);
    expect(rect.center.y).toBeCloseTo(50, 6);
    const grown = unclip(rect, 1.5);
    const d = (400 * 1.5) / 100;
    expect(Math.max(grown.width, grown.height)).toBeCloseTo(40 + 2 * d, 6);
    const q = toQuad(rect);
    // Reading order: the long side first, pointing right and down at 30°.
    expect(Math.atan2(q[1].y - q[0].y, q[1].x - q[0].x)).toBeCloseTo(a, 6);
    expect(Math.hypot(q[3].x - q[0].x, q[3].y - q[0].y)).toBeCloseTo(10, 6);
  });

  it('sizes the detection input to multiples of 32 with the longer side at most the limit', () => {
    expect(detSize(1920, 1080, 960)).toEqual({ width: 960, height: 544 });
    expect(detSize(100, 20, 960)).toEqual({ width: 96, height: 32 });
  });
});
