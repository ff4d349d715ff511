import { describe, expect, it } from 'vitest';
import type { PairVerification } from '../features/local-features.js';
import { FRAME_SHARE, SharedFrames } from './shared-frames.js';

/** A verification whose inliers pair keypoints `a[i]` of the first picture with `b[i]` of the second. */
const matched = (a: number[], b: number[]): PairVerification => ({ inlierKeypoints: { a: Int32Array.from(a), b: Int32Array.from(b) } }) as PairVerification;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('SharedFrames', () => {
  // Pages 1..4 in one template: keypoints 0..39 of each are the template, 40..59 their product.
  const template = range(0, 40);

  it('calls a pair a shared frame when its inliers lie on keypoints two other rejected pairs matched', () => {
    const frames = new SharedFrames();
    frames.witness(1, 3, matched(template, template));
    frames.witness(1, 4, matched(template, template));
    frames.witness(2, 3, matched(template, template));
    // Page 1 against page 2: the template again, plus a few product keypoints that happen to line up.
    const v = matched([...template, 40, 41], [...template, 50, 51]);
    expect(frames.share(1, 2, v)).toBeCloseTo(40 / 42);
    expect(frames.share(1, 2, v)).toBeGreaterThanOrEqual(FRAME_SHARE);
  });

  it('does not count the pair itself, nor a region only one other picture matched', () => {
    const frames = new SharedFrames();
    frames.witness(1, 2, matched(template, template));
    frames.witness(1, 3, matched(template, template));
    // Keypoint witnessed by 2 and 3; asked for the pair (1, 2), only 3 is another picture.
    expect(frames.share(1, 2, matched(template, template))).toBe(0);
    expect(frames.share(1, 5, matched(template, template))).toBe(1);
  });

  it('leaves a copy whose inliers are on its own content', () => {
    const frames = new SharedFrames();
    frames.witness(1, 3, matched(template, template));
    frames.witness(1, 4, matched(template, template));
    // The page's product (keypoints 40..59) against the original photo (node 9).
    expect(frames.share(1, 9, matched(range(40, 60), range(0, 20)))).toBe(0);
    expect(frames.share(1, 9, matched([], []))).toBe(0);
  });
});
